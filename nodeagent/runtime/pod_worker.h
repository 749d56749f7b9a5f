// pod_worker.h: one pod on this node, from acceptance to the final delete (the node agent's
// kubelet pod worker).
//
// A PodWorker carries out the pure decisions of plan/ and status/ with the sandbox/ calls:
//  1. sandbox: an address from the IpAllocator, the pod's network namespace (CreatePodNetwork),
//     its /etc/hosts (the runtime renders it; peers of the same headless Service), the pod
//     directory; a PodRecord is written so that a restarted agent can adopt the pod;
//  2. plan: BuildPodPlan with the ConfigMaps/Secrets/PVCs of the runtime's informers; an error
//     (a missing ConfigMap, an unknown image) is reported as the containers' waiting reason and
//     retried with back-off (1 s doubling to 30 s) and on every change of the pod;
//  3. volumes: directories for emptyDir/PVC volumes, hostPath types checked or created, the files
//     of configMap/secret/downwardAPI/projected volumes written (service-account tokens fetched
//     with the TokenRequest API, bound to the pod);
//  4. init containers one after the other (a failed one retried per the restart policy; a
//     sidecar, restartPolicy Always, keeps running and must have started before the next), then
//     every container, each supervised by its own coroutine: spawn (SpawnInPod with the image's
//     overlay, or the binary's host path for build-directory images), postStart, probes
//     (ProbeTracker + RunHandler), exit -> NextRestart (crash-loop back-off), liveness or
//     startup failure -> kill with the probe's or the pod's grace period and restart;
//  5. status: a single writer coroutine patches pods/<name>/status (JSON merge patch of the
//     whole status from ComputePodStatus) whenever what it computes differs from what it last
//     wrote; failures are retried after 1 s;
//  6. deletion (deletionTimestamp): preStop, SIGTERM to each container's process group, the
//     grace period (deletionGracePeriodSeconds), SIGKILL, the final status, network and
//     directories removed, then DELETE with gracePeriodSeconds 0 and the pod's uid as
//     precondition (a kubelet's final delete). A pod that vanished from the API (force delete)
//     is stopped with a 2 s grace and no API writes.
//
// A container's processes are its process group (SpawnInPod starts a session): when the main
// process exits, the rest of the group is killed, as a container runtime kills a container's
// cgroup. Logs: "<state_dir>/logs/<ns>_<pod>_<uid>/<container>/<restartCount>.log".
//
// Threading: confined to the runtime's executor (one thread); blocking work of probes runs on the
// runtime's thread pool. The RuntimeServices must outlive the worker.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "boost/asio/thread_pool.hpp"
#include "common/k8s/client.h"
#include "common/net/asio.h"
#include "nodeagent/plan/image_map.h"
#include "nodeagent/plan/pod_plan.h"
#include "nodeagent/runtime/pod_record.h"
#include "nodeagent/sandbox/ip_allocator.h"
#include "nodeagent/sandbox/names.h"
#include "nodeagent/sandbox/network.h"

namespace rmq::nodeagent {

struct RuntimeConfig {
  std::string node_name{};
  std::string node_ip{};    // the bridge's address: status.hostIP
  std::string state_dir{};  // pods/<uid>/ (records, volumes, scratch), logs/
  std::string pv_root{};    // persistent volumes: <pv_root>/<namespace>/<claim>
  std::string cluster_domain = "cluster.local";
  BridgeConfig bridge{};
  PodNetworkNamePrefixes prefixes{};
  // Grace period when a pod vanished from the API without a graceful delete, and the cap on any
  // grace period when the agent itself shuts down and stops its pods.
  std::chrono::seconds vanished_grace{2};
  std::chrono::seconds shutdown_grace_cap{30};
};

// What the runtime lends its workers.
struct RuntimeServices {
  k8s::Client* client = nullptr;
  boost::asio::any_io_executor executor{};
  boost::asio::thread_pool* blocking = nullptr;
  const ImageMap* images = nullptr;
  IpAllocator* ips = nullptr;
  const RuntimeConfig* config = nullptr;
  ObjectLookup lookup{};
  // The pod's /etc/hosts content for `pod` at `ip` (peers from the other workers).
  std::function<std::string(const Json& pod, const std::string& ip)> render_hosts{};
  // A worker's address appeared or went away: other pods' hosts files change.
  std::function<void()> network_changed{};
};

class PodWorker {
 public:
  // `record`: what an earlier agent instance left for this pod (adopted), or nullopt.
  PodWorker(RuntimeServices& services, Json pod, std::optional<PodRecord> record);
  ~PodWorker();
  PodWorker(const PodWorker&) = delete;
  PodWorker& operator=(const PodWorker&) = delete;

  // Runs the pod until it has been torn down (deleted, vanished, or the agent stops).
  boost::asio::awaitable<void> Run();

  // A new version of the pod from the informer (spec changes other than deletion are ignored,
  // as a kubelet ignores them: pods are immutable but for images and deletion).
  void Update(Json pod);
  // The pod is gone from the API: stop now, write nothing.
  void Vanished();
  // The agent stops: stop the containers (`stop_containers`) or leave them running for the next
  // agent instance to adopt.
  void Shutdown(bool stop_containers);

  const Json& pod() const { return pod_; }
  const std::string& uid() const { return uid_; }
  // The pod's address once its network exists, else "".
  const std::string& ip() const { return ip_; }
  // Rewrites the hosts file if `content` differs from what it holds.
  void WriteHosts(const std::string& content);

 private:
  struct Container;
  enum class Stop { kNone, kDelete, kVanished, kShutdownStop, kShutdownKeep };

  boost::asio::awaitable<absl::Status> PrepareSandbox();
  absl::Status BuildPlan();
  boost::asio::awaitable<absl::Status> PrepareVolumes();
  boost::asio::awaitable<void> RunInitContainers();
  void SpawnSupervisor(Container& c);
  boost::asio::awaitable<void> Supervise(Container& c);
  boost::asio::awaitable<void> KillUnadopted(std::chrono::seconds grace);
  absl::Status StartContainer(Container& c);
  boost::asio::awaitable<void> RunProbes(Container& c);
  void HandleExit(Container& c, std::chrono::system_clock::time_point now);
  boost::asio::awaitable<void> KillContainer(Container& c, std::chrono::seconds grace);
  boost::asio::awaitable<void> KillAll(std::chrono::seconds grace);
  boost::asio::awaitable<void> Teardown();
  boost::asio::awaitable<void> StatusWriter();
  boost::asio::awaitable<void> SleepUntil(boost::asio::steady_timer& timer,
                                          std::chrono::steady_clock::time_point deadline);
  void AdoptContainers();
  void ReportWaiting(const std::string& reason, const std::string& message);
  void MarkDirty();
  void SaveRecord();
  bool stopping() const { return stop_ != Stop::kNone; }
  std::chrono::seconds GracePeriod() const;

  RuntimeServices& services_;
  Json pod_;
  std::string uid_;
  std::string key_;  // "ns/name"
  std::optional<PodRecord> adopted_;
  PodRecord record_;
  std::string pod_dir_;
  std::string log_dir_;
  std::string ip_;
  std::string hosts_content_;
  std::optional<PodNetwork> network_;
  std::optional<PodPlan> plan_;
  std::vector<std::unique_ptr<Container>> init_containers_;
  std::vector<std::unique_ptr<Container>> containers_;
  std::string waiting_reason_;  // a pod-level problem every not-started container reports
  std::string waiting_message_;
  bool sandbox_ready_ = false;
  bool terminal_ = false;
  bool holding_status_ = false;  // adopted containers: no write until their probes ran once
  Stop stop_ = Stop::kNone;
  Json last_written_;
  bool dirty_ = true;
  bool writer_done_ = false;
  bool finishing_ = false;  // Teardown: the writer flushes and ends
  int supervisors_ = 0;
  boost::asio::steady_timer wake_;         // the main coroutine: cancelled on any change
  boost::asio::steady_timer status_wake_;  // the status writer
};

}  // namespace rmq::nodeagent
