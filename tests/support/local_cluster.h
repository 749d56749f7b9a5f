// local_cluster.h: the local cluster for end-to-end tests: a control plane with
// kube-controller-manager (LocalControlPlane), our node agent rmq-node-agent running pods as
// processes, and optionally the CRDs of deploy/crds/ and the rocketmq-operator process.
//
// Start() builds (or reuses) the local apache/rocketmq image (scripts/local-images.sh), starts the
// plane, installs the CRDs (Established) when an operator binary is given, starts the node agent
// as a child process with its own node name, bridge, pod range, netns/veth prefixes and state
// directory (so a demo or another e2e suite with other values does not collide), waits for the
// Node to be Ready, then starts the operator (--leader-elect=false) and waits for its /readyz.
// Needs root (the node agent makes network namespaces and mounts); without it Start() fails.
//
// Helpers: kubectl with captured output, apply YAML, pod lookups, waiting for a pod or a custom
// resource condition, running a command inside a container (nsenter), mqadmin from the host,
// killing and restarting the node agent and the operator, their logs, and what the node runs
// (pod network namespaces and every process inside them).
//
// Shutdown() deletes the operator's custom resources and every namespace the tests made, waits for
// their pods to go, stops the operator and the node agent (SIGTERM), and fails if anything the
// node agent started is left: a process that ran in a pod's network namespace, a namespace with
// the prefix, a veth with the prefix, the bridge. Then it stops the plane. The destructor calls it
// if the test did not (ignoring the result; RMQ_KEEP_TEST_DIRS=1 keeps the directory).
//
// Not thread-safe; one instance per test suite (start about 10 s plus the image's first build).
//
// Example:
//   auto cluster = LocalCluster::Start({.node_agent_binary = RMQ_NODE_AGENT,
//                                       .operator_binary = RMQ_OPERATOR_BIN,
//                                       .build_dir = RMQ_BUILD_DIR});
//   (*cluster)->ApplyPath(source + "/deploy/examples/");
//   (*cluster)->WaitCondition("rocketmq", "broker/broker", "Ready", "True", seconds(300));
//   (*cluster)->KillOperator();  (*cluster)->StartOperator();
//   EXPECT_TRUE((*cluster)->Shutdown().ok());
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "tests/support/child_process.h"
#include "tests/support/local_control_plane.h"
#include "tests/support/wait.h"  // WaitFor, used with the cluster everywhere

namespace rmq::testing {

// Seconds since `t0` (steady clock), for figures printed by tests.
double SecondsSince(std::chrono::steady_clock::time_point t0);

// The node agent's network and names. Every suite (and the demo, which uses the node agent's
// defaults: rmqbr0, 10.244.0.0/16, rmqpod-, rmqv) needs its own values.
struct NodeNetwork {
  std::string node_name = "e2e-node";
  std::string bridge = "rmqe2e0";
  std::string pod_cidr = "10.246.0.0/16";
  std::string gateway = "10.246.0.1";
  std::string service_cidr = "10.97.0.0/16";
  std::string netns_prefix = "rmqe2e-";
  std::string veth_prefix = "rmqx";
};

struct LocalClusterOptions {
  std::string node_agent_binary{};  // required: build/<preset>/nodeagent/main/rmq-node-agent
  // The CMake build directory (RMQ_BUILD_DIR of images.yaml: the project's own images, such as
  // rocketmq-agent, run that build's binaries).
  std::string build_dir{};
  // Empty: no CRDs and no operator.
  std::string operator_binary{};
  // The sidecar image the operator renders (images.yaml maps rocketmq-agent:<any tag> to
  // build_dir's agent).
  std::string agent_image = "rocketmq-agent:dev";
  std::vector<std::string> operator_args{};  // extra flags
  NodeNetwork network{};
  std::string node_agent_log_level = "info";
  // Prefix of the test's directory (mkdtemp): node agent state, logs, manifests.
  std::string dir_prefix = "/tmp/rmq-e2e-";
};

// Processes found in pod network namespaces: pid -> start time (/proc/<pid>/stat field 22), so a
// pid reused later is not mistaken for the same process.
using ProcessSet = std::map<pid_t, uint64_t>;

class LocalCluster {
 public:
  using Json = nlohmann::json;

  static absl::StatusOr<std::unique_ptr<LocalCluster>> Start(LocalClusterOptions options);
  ~LocalCluster();
  LocalCluster(const LocalCluster&) = delete;
  LocalCluster& operator=(const LocalCluster&) = delete;

  LocalControlPlane& plane() { return *plane_; }
  const LocalClusterOptions& options() const { return options_; }
  // The test's directory: node/ (the node agent's state; pv/ its volumes), *.log, manifests.
  const std::string& dir() const { return dir_; }
  // scripts/local-images.sh's directory (RMQ_IMAGES).
  const std::string& images_dir() const { return images_dir_; }
  // The local image's ROCKETMQ_HOME on the host (bin/mqadmin, lib/ with the client jars).
  std::string RocketMqHome(const std::string& version = "5.3.3") const;

  // ---- kubectl
  // kubectl `args` against the plane: stdout, or an error with stderr.
  absl::StatusOr<std::string> Kubectl(const std::vector<std::string>& args,
                                      std::chrono::seconds timeout = std::chrono::seconds(60));
  // Writes `yaml` to dir()/<name>.yaml and applies it.
  absl::Status Apply(const std::string& name, const std::string& yaml);
  // `kubectl apply -f path` (a file or a directory).
  absl::Status ApplyPath(const std::string& path);
  // `kubectl -n ns get what -o json` ("pod/x", "brokers"), or nullopt when it fails.
  std::optional<Json> Get(const std::string& ns, const std::string& what);
  std::optional<Json> GetPod(const std::string& ns, const std::string& name);
  // Waits until the object's status.conditions has `type` with `status`; on timeout an error with
  // the object's status.
  absl::Status WaitCondition(const std::string& ns, const std::string& what,
                             const std::string& type, const std::string& status,
                             std::chrono::seconds timeout);
  bool WaitPodReady(const std::string& ns, const std::string& name, std::chrono::seconds timeout);
  // Waits until no pod in `ns` matches `selector` (empty: any pod).
  bool WaitNoPods(const std::string& ns, const std::string& selector, std::chrono::seconds timeout);
  // status.podIP of a pod, NotFound before it has one.
  absl::StatusOr<std::string> PodIp(const std::string& ns, const std::string& name);
  // "name" -> podIP of the pods matching `selector` (label selector; empty: all) that have one.
  absl::StatusOr<std::map<std::string, std::string>> PodIps(const std::string& ns,
                                                            const std::string& selector);

  // ---- pods (static: pure reads of a pod's JSON)
  // pod.status, or an empty object (a pod before its first status write has none).
  static Json PodStatus(const Json& pod);
  static bool PodReady(const Json& pod);
  // The named container's status (a copy), or an empty object.
  static Json ContainerStatus(const Json& pod, const std::string& container);
  // The container's host pid (containerID proc://<pid>), or "".
  static std::string ContainerPid(const Json& pod, const std::string& container);
  // The value at a JSON pointer ("/status/phase"), or null when a step is missing.
  static Json At(const Json& j, const std::string& pointer);

  // Runs `argv` inside the container's mount, UTS and network namespaces (as kubectl exec would).
  CapturedRun Exec(const std::string& ns, const std::string& pod, const std::string& container,
                   const std::vector<std::string>& argv,
                   std::chrono::seconds timeout = std::chrono::seconds(30));
  // Runs the local image's mqadmin on the host (ROCKETMQ_HOME = RocketMqHome(), HOME = dir()).
  absl::StatusOr<CapturedRun> Mqadmin(const std::vector<std::string>& args,
                                      std::chrono::seconds timeout = std::chrono::seconds(60));

  // ---- node agent
  absl::Status StartNodeAgent();
  // SIGKILL: its pods keep running (the next agent adopts them).
  void KillNodeAgent();
  // SIGTERM and wait (it stops every pod first): its exit status, or an error if it hung.
  absl::StatusOr<int> StopNodeAgent(std::chrono::seconds timeout = std::chrono::seconds(120));
  bool NodeAgentRunning();
  std::string NodeAgentLog() const;

  // ---- operator (only with options().operator_binary)
  // Starts it (appending to dir()/operator.log) and waits for /readyz (caches synced).
  absl::Status StartOperator();
  // SIGKILL, as a crash would; waits for it to be gone.
  void KillOperator();
  absl::Status RestartOperator();  // KillOperator() + StartOperator()
  // SIGTERM: its exit status.
  absl::StatusOr<int> StopOperator(std::chrono::seconds timeout = std::chrono::seconds(30));
  bool OperatorRunning();
  int operator_http_port() const { return operator_port_; }
  // The whole log, every start included.
  std::string OperatorLog() const;

  // ---- what runs on the node
  // Network namespaces (under /run/netns) with the node agent's prefix.
  std::vector<std::string> PodNetworks() const;
  // Every process inside those network namespaces (the containers' processes and their children).
  ProcessSet PodProcesses() const;
  // Those of `before` that still run (same pid and start time).
  static ProcessSet Survivors(const ProcessSet& before);
  static bool LinkExists(const std::string& name);
  // Host interfaces with the veth prefix.
  std::vector<std::string> PodLinks() const;
  // "" when nothing of the node agent's is left: no pod network, no pod link, no bridge, none of
  // `processes` alive; else what is left.
  std::string Leftovers(const ProcessSet& processes) const;

  // Deletes everything (see the top of this file), stops the operator and the node agent, checks
  // that nothing is left, stops the plane. Idempotent; the first error is returned.
  absl::Status Shutdown();

 private:
  explicit LocalCluster(LocalClusterOptions options) : options_(std::move(options)) {}
  absl::Status StartAll();
  absl::Status InstallCrds();

  LocalClusterOptions options_;
  std::string dir_;
  std::string images_dir_;
  std::unique_ptr<LocalControlPlane> plane_;
  std::unique_ptr<ChildProcess> node_agent_;
  std::unique_ptr<ChildProcess> operator_;
  int operator_port_ = 0;
  bool shut_down_ = false;
};

}  // namespace rmq::testing
