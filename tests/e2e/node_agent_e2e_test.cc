// End to end: the rmq-node-agent binary runs pods for a real control plane (etcd, kube-apiserver,
// kube-controller-manager). StatefulSet pods reach each other by their stable DNS names, scale
// down gracefully and keep their volumes; a failing liveness probe restarts a container; the
// agent can be killed and restarted without disturbing its pods; a RocketMQ name server and
// broker run as pods and carry a message sent from the host; on SIGTERM the agent leaves nothing
// behind. Needs root (it fails without it, never skips).
//
// The agent gets its own bridge, pod range, name prefixes and state directory
// (tests/support/local_cluster.h), so the test does not touch a demo running on the same machine.
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/support/child_process.h"
#include "tests/support/local_cluster.h"

namespace rmq::testing {
namespace {

using Json = nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::seconds;
using Clock = std::chrono::steady_clock;

// Different from the operator's e2e test and the demo: see NodeNetwork.
constexpr char kBridge[] = "rmqe2e0";
constexpr char kVethPrefix[] = "rmqx";
constexpr char kNode[] = "e2e-node";

std::string Trim(const std::string& s) { return std::string(absl::StripAsciiWhitespace(s)); }

class NodeAgentE2eTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ASSERT_EQ(::geteuid(), 0u) << "the node agent needs root (network namespaces, mounts)";
    absl::StatusOr<std::unique_ptr<LocalCluster>> cluster =
        LocalCluster::Start({.node_agent_binary = RMQ_NODE_AGENT,
                             .build_dir = RMQ_BUILD_DIR,
                             .network = {.node_name = kNode,
                                         .bridge = kBridge,
                                         .pod_cidr = "10.246.0.0/16",
                                         .gateway = "10.246.0.1",
                                         .service_cidr = "10.97.0.0/16",
                                         .netns_prefix = "rmqe2e-",
                                         .veth_prefix = kVethPrefix},
                             .node_agent_log_level = "debug",
                             .dir_prefix = "/tmp/rmq-nodeagent-e2e-"});
    ASSERT_TRUE(cluster.ok()) << cluster.status();
    cluster_ = cluster->release();
  }

  static void TearDownTestSuite() {
    if (cluster_ != nullptr) {
      absl::Status stopped = cluster_->Shutdown();
      EXPECT_TRUE(stopped.ok()) << stopped;
    }
    delete cluster_;
    cluster_ = nullptr;
  }

  void SetUp() override { ASSERT_NE(cluster_, nullptr) << "the local cluster did not start"; }

  static absl::StatusOr<std::string> Kubectl(const std::vector<std::string>& args) {
    return cluster_->Kubectl(args);
  }

  static void Apply(const std::string& name, const std::string& yaml) {
    absl::Status applied = cluster_->Apply(name, yaml);
    ASSERT_TRUE(applied.ok()) << applied;
  }

  static std::optional<Json> GetPod(const std::string& ns, const std::string& name) {
    return cluster_->GetPod(ns, name);
  }
  static Json Status(const Json& pod) { return LocalCluster::PodStatus(pod); }
  static bool PodReady(const Json& pod) { return LocalCluster::PodReady(pod); }
  static bool WaitReady(const std::string& ns, const std::string& name, seconds timeout) {
    return cluster_->WaitPodReady(ns, name, timeout);
  }
  static std::string ContainerPid(const Json& pod, const std::string& container) {
    return LocalCluster::ContainerPid(pod, container);
  }
  static Json ContainerStatus(const Json& pod, const std::string& container) {
    return LocalCluster::ContainerStatus(pod, container);
  }
  static Json At(const Json& j, const std::string& pointer) { return LocalCluster::At(j, pointer); }
  static CapturedRun Exec(const std::string& ns, const std::string& pod_name,
                          const std::string& container, const std::vector<std::string>& argv) {
    return cluster_->Exec(ns, pod_name, container, argv);
  }
  static std::vector<std::string> PodNetworks() { return cluster_->PodNetworks(); }
  static bool LinkExists(const std::string& name) { return LocalCluster::LinkExists(name); }
  static std::string AgentLog() { return cluster_->NodeAgentLog(); }

  static inline LocalCluster* cluster_ = nullptr;
};

constexpr char kWebYaml[] = R"yaml(
apiVersion: v1
kind: Namespace
metadata: {name: e2e-sts}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: e2e-sts}
spec:
  clusterIP: None
  selector: {app: web}
  ports: [{name: http, port: 8080}]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: web, namespace: e2e-sts}
spec:
  serviceName: web
  replicas: 3
  podManagementPolicy: Parallel
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      terminationGracePeriodSeconds: 20
      containers:
        - name: web
          image: rmq-local/host
          command:
            - /bin/sh
            - -c
            - |
              trap 'echo "bye from $(hostname)" > /mnt/terminated; kill $server; exit 0' TERM
              hostname > /mnt/hostname
              python3 -m http.server 8080 --directory /mnt &
              server=$!
              wait
          ports: [{name: http, containerPort: 8080}]
          readinessProbe:
            httpGet: {path: /hostname, port: http}
            periodSeconds: 1
          volumeMounts: [{name: data, mountPath: /mnt}]
  volumeClaimTemplates:
    - metadata: {name: data}
      spec:
        accessModes: [ReadWriteOnce]
        resources: {requests: {storage: 1Gi}}
)yaml";

TEST_F(NodeAgentE2eTest, StatefulSetPodsReachEachOtherScaleDownGracefullyAndKeepTheirData) {
  const Clock::time_point t0 = Clock::now();
  Apply("web", kWebYaml);
  for (const char* pod : {"web-0", "web-1", "web-2"}) {
    ASSERT_TRUE(WaitReady("e2e-sts", pod, seconds(120))) << pod << "\n" << AgentLog();
  }
  std::printf("[e2e] StatefulSet web (3 pods, Parallel): apply -> all Ready in %.1f s\n",
              SecondsSince(t0));

  // Running, Ready, distinct addresses in the pod range.
  std::set<std::string> ips;
  for (const char* name : {"web-0", "web-1", "web-2"}) {
    std::optional<Json> pod = GetPod("e2e-sts", name);
    ASSERT_TRUE(pod);
    EXPECT_EQ((*pod)["status"]["phase"], "Running");
    const std::string ip = (*pod)["status"].value("podIP", "");
    EXPECT_EQ(ip.rfind("10.246.", 0), 0u) << ip;
    ips.insert(ip);
    EXPECT_EQ((*pod)["spec"]["nodeName"], kNode);
  }
  EXPECT_EQ(ips.size(), 3u);

  // Each pod reaches the two others by their stable DNS names, and knows its own host name.
  for (int i = 0; i < 3; ++i) {
    const std::string self = absl::StrCat("web-", i);
    CapturedRun host = Exec("e2e-sts", self, "web", {"hostname"});
    EXPECT_EQ(Trim(host.out), self) << host.err;
    for (int j = 0; j < 3; ++j) {
      if (i == j) continue;
      const std::string peer = absl::StrCat("web-", j);
      CapturedRun got =
          Exec("e2e-sts", self, "web",
               {"curl", "-sf", "--max-time", "5",
                absl::StrCat("http://", peer, ".web.e2e-sts.svc.cluster.local:8080/hostname")});
      EXPECT_EQ(got.exit_status, 0) << self << " -> " << peer << ": " << got.err;
      EXPECT_EQ(Trim(got.out), peer);
    }
  }
  // The host reaches pods directly too.
  absl::StatusOr<CapturedRun> from_host =
      RunCapturing({"/usr/bin/curl", "-sf", "--max-time", "5",
                    absl::StrCat("http://", *ips.begin(), ":8080/hostname")},
                   {}, seconds(10));
  ASSERT_TRUE(from_host.ok());
  EXPECT_EQ(from_host->exit_status, 0) << from_host->err;

  // PVC data survives deleting the pod: the StatefulSet recreates web-0 on the same claim.
  CapturedRun marked = Exec("e2e-sts", "web-0", "web", {"sh", "-c", "echo kept > /mnt/marker"});
  ASSERT_EQ(marked.exit_status, 0) << marked.err;
  const std::string old_uid =
      At(GetPod("e2e-sts", "web-0").value_or(Json::object()), "/metadata/uid").get<std::string>();
  ASSERT_FALSE(old_uid.empty());
  ASSERT_TRUE(Kubectl({"-n", "e2e-sts", "delete", "pod", "web-0", "--wait=false"}).ok());
  ASSERT_TRUE(WaitFor(
      [&] {
        std::optional<Json> pod = GetPod("e2e-sts", "web-0");
        return pod && (*pod)["metadata"]["uid"] != old_uid && PodReady(*pod);
      },
      seconds(120)))
      << AgentLog();
  CapturedRun kept = Exec("e2e-sts", "web-0", "web", {"cat", "/mnt/marker"});
  EXPECT_EQ(Trim(kept.out), "kept") << kept.err;
  absl::StatusOr<std::string> claim =
      Kubectl({"-n", "e2e-sts", "get", "pvc", "data-web-0", "-o", "jsonpath={.status.phase}"});
  ASSERT_TRUE(claim.ok());
  EXPECT_EQ(*claim, "Bound");

  // Scale to 1: web-1 and web-2 get SIGTERM (their trap writes to their volumes) and go.
  const Clock::time_point scaled = Clock::now();
  ASSERT_TRUE(Kubectl({"-n", "e2e-sts", "scale", "statefulset", "web", "--replicas=1"}).ok());
  ASSERT_TRUE(WaitFor([] { return !GetPod("e2e-sts", "web-1") && !GetPod("e2e-sts", "web-2"); },
                      seconds(60)))
      << AgentLog();
  const double gone_after = SecondsSince(scaled);
  std::printf("[e2e] scale 3 -> 1: both pods gone after %.1f s\n", gone_after);
  EXPECT_LT(gone_after, 20.0) << "the grace period ran out: SIGTERM was not handled";
  for (const char* name : {"web-1", "web-2"}) {
    std::ifstream bye(absl::StrCat(cluster_->dir(), "/node/pv/e2e-sts/data-", name, "/terminated"));
    std::string line;
    std::getline(bye, line);
    EXPECT_EQ(line, absl::StrCat("bye from ", name));
  }
  EXPECT_TRUE(GetPod("e2e-sts", "web-0").has_value());
  EXPECT_TRUE(WaitFor([] { return PodNetworks().size() == 1; }, seconds(10)))
      << PodNetworks().size();
}

constexpr char kLivenessYaml[] = R"yaml(
apiVersion: v1
kind: Pod
metadata: {name: liveness, namespace: default}
spec:
  terminationGracePeriodSeconds: 5
  initContainers:
    - name: init
      image: rmq-local/host
      command: [/bin/sh, -c, "echo init > /mnt/starts"]
      volumeMounts: [{name: work, mountPath: /mnt}]
  containers:
    - name: app
      image: rmq-local/host
      command:
        - /bin/sh
        - -c
        - |
          echo start >> /mnt/starts
          touch /mnt/alive
          sleep 3
          rm /mnt/alive
          exec sleep 1000
      livenessProbe:
        exec: {command: [cat, /mnt/alive]}
        periodSeconds: 1
        failureThreshold: 2
      volumeMounts: [{name: work, mountPath: /mnt}]
  volumes: [{name: work, emptyDir: {}}]
)yaml";

TEST_F(NodeAgentE2eTest, FailingLivenessProbeRestartsTheContainer) {
  Apply("liveness", kLivenessYaml);
  Json pod;
  ASSERT_TRUE(WaitFor(
      [&] {
        std::optional<Json> p = GetPod("default", "liveness");
        if (!p) return false;
        const Json c = ContainerStatus(*p, "app");
        if (c.value("restartCount", 0) < 1 || At(c, "/state/running").is_null()) {
          return false;
        }
        pod = *p;
        return true;
      },
      seconds(90)))
      << AgentLog();
  const Json c = ContainerStatus(pod, "app");
  const int restarts = c.value("restartCount", 0);
  const Json last = At(c, "/lastState/terminated");
  ASSERT_TRUE(last.is_object()) << c.dump();
  // `exec sleep` got SIGTERM: 128 + 15.
  EXPECT_EQ(last.value("exitCode", -1), 143) << last.dump();
  EXPECT_EQ(At(pod, "/status/phase"), "Running");
  // The init container ran first, once; the emptyDir outlives container restarts; one line per
  // start.
  EXPECT_EQ(At(pod, "/status/initContainerStatuses/0/state/terminated/exitCode"), 0);
  std::optional<Json> again = GetPod("default", "liveness");
  ASSERT_TRUE(again);
  if (ContainerStatus(*again, "app").value("restartCount", -1) == restarts) {
    CapturedRun starts = Exec("default", "liveness", "app", {"cat", "/mnt/starts"});
    EXPECT_EQ(starts.out.rfind("init\n", 0), 0u) << starts.out;
    EXPECT_EQ(std::count(starts.out.begin(), starts.out.end(), '\n'), restarts + 2) << starts.out;
  }
  ASSERT_TRUE(Kubectl({"delete", "pod", "liveness", "--wait=true", "--timeout=60s"}).ok());
}

constexpr char kSurvivorYaml[] = R"yaml(
apiVersion: v1
kind: Pod
metadata: {name: survivor, namespace: default}
spec:
  containers:
    - name: server
      image: rmq-local/host
      command: [python3, -m, http.server, "8080", --directory, /tmp]
      readinessProbe:
        tcpSocket: {port: 8080}
        periodSeconds: 1
)yaml";

constexpr char kFinishedYaml[] = R"yaml(
apiVersion: v1
kind: Pod
metadata: {name: finished, namespace: default}
spec:
  restartPolicy: Never
  containers:
    - name: job
      image: rmq-local/host
      command: [/bin/sh, -c, "echo ran >> /mnt/runs; exit 3"]
      volumeMounts: [{name: out, mountPath: /mnt}]
  volumes: [{name: out, hostPath: {path: /tmp/rmq-e2e-finished, type: DirectoryOrCreate}}]
)yaml";

// The project's own image maps to the build directory: its binary runs by its host path.
constexpr char kAgentHelpYaml[] = R"yaml(
apiVersion: v1
kind: Pod
metadata: {name: agent-help, namespace: default}
spec:
  restartPolicy: Never
  containers:
    - name: agent
      image: rocketmq-agent:dev
      args: ["--help"]
)yaml";

TEST_F(NodeAgentE2eTest, KillingTheAgentLeavesPodsRunningAndTheNextOneAdoptsThem) {
  std::filesystem::remove_all("/tmp/rmq-e2e-finished");
  Apply("survivor", kSurvivorYaml);
  Apply("finished", kFinishedYaml);
  Apply("agent-help", kAgentHelpYaml);
  ASSERT_TRUE(WaitReady("default", "survivor", seconds(60))) << AgentLog();
  ASSERT_TRUE(WaitFor(
      [] {
        std::optional<Json> p = GetPod("default", "finished");
        return p && (*p)["status"].value("phase", "") == "Failed";
      },
      seconds(60)))
      << AgentLog();
  ASSERT_TRUE(WaitFor(
      [] {
        std::optional<Json> p = GetPod("default", "agent-help");
        return p && (*p)["status"].value("phase", "") == "Succeeded";
      },
      seconds(60)))
      << AgentLog();
  ASSERT_TRUE(Kubectl({"delete", "pod", "agent-help", "--wait=false"}).ok());
  const Json before = GetPod("default", "survivor").value_or(Json::object());
  const std::string pid = ContainerPid(before, "server");
  ASSERT_FALSE(pid.empty());

  cluster_->KillNodeAgent();
  ASSERT_FALSE(cluster_->NodeAgentRunning());
  std::this_thread::sleep_for(seconds(2));
  EXPECT_EQ(::kill(std::stoi(pid), 0), 0) << "the pod's process died with the agent";

  ASSERT_TRUE(cluster_->StartNodeAgent().ok());
  // The new agent adopts the process: same container, no restart, still Ready.
  ASSERT_TRUE(WaitFor(
      [] { return AgentLog().find("adopted container server") != std::string::npos; }, seconds(30)))
      << AgentLog();
  std::this_thread::sleep_for(seconds(3));
  const Json after = GetPod("default", "survivor").value_or(Json::object());
  EXPECT_TRUE(PodReady(after));
  EXPECT_EQ(ContainerPid(after, "server"), pid);
  EXPECT_EQ(ContainerStatus(after, "server").value("restartCount", -1), 0);
  EXPECT_EQ(At(ContainerStatus(after, "server"), "/state/running/startedAt"),
            At(ContainerStatus(before, "server"), "/state/running/startedAt"));
  // StatefulSet pods from the first test are still there and Ready too.
  EXPECT_TRUE(WaitReady("e2e-sts", "web-0", seconds(10)));
  // A pod that ran to its end is not run again and keeps its exit code.
  const Json finished = GetPod("default", "finished").value_or(Json::object());
  EXPECT_EQ(At(finished, "/status/phase"), "Failed");
  EXPECT_EQ(At(ContainerStatus(finished, "job"), "/state/terminated/exitCode"), 3);
  std::ifstream runs("/tmp/rmq-e2e-finished/runs");
  std::stringstream ran;
  ran << runs.rdbuf();
  EXPECT_EQ(ran.str(), "ran\n");
  ASSERT_TRUE(Kubectl({"delete", "pod", "finished", "--wait=true", "--timeout=60s"}).ok());
  std::filesystem::remove_all("/tmp/rmq-e2e-finished");

  // The adopted process is still watched: killing it is seen and the container restarted.
  ASSERT_EQ(::kill(std::stoi(pid), SIGKILL), 0);
  ASSERT_TRUE(WaitFor(
      [&] {
        std::optional<Json> p = GetPod("default", "survivor");
        return p && ContainerStatus(*p, "server").value("restartCount", 0) == 1 &&
               ContainerPid(*p, "server") != pid && PodReady(*p);
      },
      seconds(60)))
      << AgentLog();
  ASSERT_TRUE(Kubectl({"delete", "pod", "survivor", "--wait=true", "--timeout=60s"}).ok());
}

TEST_F(NodeAgentE2eTest, RocketMqNameServerAndBrokerCarryAMessageFromTheHost) {
  const Clock::time_point t0 = Clock::now();
  ASSERT_TRUE(
      Kubectl({"apply", "-f", std::string(RMQ_SOURCE_DIR) + "/deploy/local/examples/rocketmq.yaml"})
          .ok());
  ASSERT_TRUE(WaitReady("rocketmq-demo", "namesrv-0", seconds(180))) << AgentLog();
  const double namesrv_ready = SecondsSince(t0);
  ASSERT_TRUE(WaitReady("rocketmq-demo", "broker-0", seconds(240))) << AgentLog();
  const double all_ready = SecondsSince(t0);

  // How much of apply -> Ready is the JVM: from each container's start to its pod's Ready.
  auto start_to_ready = [](const Json& pod, const std::string& container) {
    const std::string started =
        At(ContainerStatus(pod, container), "/state/running/startedAt").get<std::string>();
    std::string ready;
    for (const Json& cond : Status(pod).value("conditions", Json::array())) {
      if (cond.value("type", "") == "Ready") ready = cond.value("lastTransitionTime", "");
    }
    auto parse = [](const std::string& t) {
      std::tm tm{};
      strptime(t.c_str(), "%Y-%m-%dT%H:%M:%SZ", &tm);
      return static_cast<double>(timegm(&tm));
    };
    return parse(ready) - parse(started);
  };
  const Json ns_pod = GetPod("rocketmq-demo", "namesrv-0").value_or(Json::object());
  const Json broker_pod = GetPod("rocketmq-demo", "broker-0").value_or(Json::object());
  std::printf(
      "[e2e] RocketMQ: apply -> namesrv-0 Ready %.1f s, broker-0 Ready %.1f s; container start -> "
      "Ready (JVM boot, +registration for the broker, 1 s resolution): namesrv %.0f s, broker "
      "%.0f s\n",
      namesrv_ready, all_ready, start_to_ready(ns_pod, "namesrv"),
      start_to_ready(broker_pod, "broker"));

  const std::string ns_ip = Status(ns_pod).value("podIP", "");
  ASSERT_FALSE(ns_ip.empty()) << ns_pod.dump();
  const std::string body = absl::StrCat("hello-e2e-", ::getpid());
  bool sent = false;
  std::string last;
  for (int i = 0; i < 10 && !sent; ++i) {
    absl::StatusOr<CapturedRun> send =
        cluster_->Mqadmin({"sendMessage", "-n", ns_ip + ":9876", "-t", "E2eTopic", "-p", body});
    ASSERT_TRUE(send.ok()) << send.status();
    last = send->out + send->err;
    sent = send->exit_status == 0 && send->out.find("SEND_OK") != std::string::npos;
    if (!sent) std::this_thread::sleep_for(seconds(3));
  }
  ASSERT_TRUE(sent) << last;
  absl::StatusOr<CapturedRun> consume =
      cluster_->Mqadmin({"consumeMessage", "-n", ns_ip + ":9876", "-t", "E2eTopic", "-c", "10"});
  ASSERT_TRUE(consume.ok()) << consume.status();
  EXPECT_NE(consume->out.find(body), std::string::npos) << consume->out << consume->err;

  ASSERT_TRUE(Kubectl({"delete", "namespace", "rocketmq-demo", "--wait=false"}).ok());
}

// Last (gtest runs a suite's tests in order): SIGTERM stops every pod and removes everything.
TEST_F(NodeAgentE2eTest, ShutdownLeavesNoProcessesNamespacesOrInterfaces) {
  std::vector<std::string> pids;
  absl::StatusOr<std::string> pods = Kubectl({"get", "pods", "-A", "-o", "json"});
  ASSERT_TRUE(pods.ok());
  const Json list = Json::parse(*pods);
  for (const Json& pod : list["items"]) {
    for (const Json& c : pod["status"].value("containerStatuses", Json::array())) {
      std::string id = c.value("containerID", "");
      if (id.rfind("proc://", 0) == 0 && c["state"].contains("running")) {
        pids.push_back(id.substr(7));
      }
    }
  }
  EXPECT_FALSE(pids.empty());
  EXPECT_TRUE(LinkExists(kBridge));
  absl::StatusOr<int> code = cluster_->StopNodeAgent();
  ASSERT_TRUE(code.ok()) << code.status() << AgentLog();
  EXPECT_EQ(*code, 0) << AgentLog();
  for (const std::string& pid : pids) {
    EXPECT_NE(::kill(std::stoi(pid), 0), 0) << "process " << pid << " survived the agent";
  }
  EXPECT_TRUE(PodNetworks().empty());
  EXPECT_FALSE(LinkExists(kBridge));
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator("/sys/class/net", ec)) {
    EXPECT_NE(e.path().filename().string().rfind(kVethPrefix, 0), 0u) << e.path();
  }
}

}  // namespace
}  // namespace rmq::testing
