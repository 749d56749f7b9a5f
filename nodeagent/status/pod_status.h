// pod_status.h: the `status` a kubelet writes for a pod, from what the node agent observed
// (pure).
//
// ComputePodStatus() takes the pod (its spec), the status last written (for condition times and
// fields the kubelet does not own) and a PodRuntimeView (per container: state, last state,
// restart count, ready, started; the pod's addresses and start time) and returns the whole new
// `status` object, ready for a strategic-merge PATCH of the pod's status subresource. It
// follows the kubelet (kubelet_pods.go generateAPIPodStatus/getPhase, status/generate.go):
//  - phase: Pending while a regular init container has not succeeded, a container waits
//    without having run, or (before any regular container ran) a sidecar has not started; Running
//    while a container runs (or, under restartPolicy Always or OnFailure, is being restarted);
//    Succeeded when all stopped with exit code 0 under OnFailure or Never; Failed when all stopped
//    and one failed under Never, or an init container failed under Never. When the view is
//    `terminal` (the pod will not run again, e.g. deleted) all stopped containers give
//    Succeeded/Failed whatever the policy. A terminal phase never changes back.
//  - conditions: the ones the kubelet does not own are kept (readiness gates, DisruptionTarget);
//    then PodReadyToStartContainers (the sandbox - netns and IP - is ready), Initialized
//    (ContainersNotInitialized with "containers with incomplete status: [a b]"), Ready (also
//    ReadinessGatesNotReady), ContainersReady (ContainersNotReady with "containers with unready
//    status: [a]"; PodCompleted/PodFailed when terminal), PodScheduled True. lastTransitionTime
//    is kept unless the status flips; lastProbeTime is null; observedGeneration is the pod's
//    metadata.generation when it has one.
//  - containerStatuses / initContainerStatuses in spec order: name, image, imageID
//    "local://<image>", containerID "proc://<pid>" (of the running or last run), ready, started,
//    restartCount, state, lastState ({} when none). A container missing from the view is
//    waiting: ContainerCreating, or PodInitializing when the pod has init containers. ready and
//    started are false unless the container runs; a regular init container that exited 0 is
//    ready.
//  - hostIP/hostIPs, podIP/podIPs (kept from the previous status when the view has none),
//    startTime (kept once set; else the view's, else `now`), qosClass and anything else the
//    kubelet does not write: kept.
// Thread-compatible (free functions and values).
//
// Example:
//   PodRuntimeView view{.sandbox_ready = true, .pod_ip = "10.244.0.7", .host_ip = "10.244.0.1"};
//   view.containers.push_back({.name = "broker",
//                              .state = ContainerState::Running(4242, started_at),
//                              .ready = probes.ready(), .started = probes.started()});
//   Json status = ComputePodStatus(pod, last_written, view, clock.Now());
//   if (status != last_written) PatchStatus(pod, {{"status", status}});
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "nodeagent/plan/pod_plan.h"

namespace rmq::nodeagent {

using TimePoint = std::chrono::system_clock::time_point;

// One container's state (core/v1 ContainerState).
struct ContainerState {
  enum class Kind { kWaiting, kRunning, kTerminated };
  Kind kind = Kind::kWaiting;
  // Waiting: ContainerCreating, PodInitializing, CrashLoopBackOff, CreateContainerConfigError...
  // Terminated: "" picks Completed (exit code 0) or Error; else as given (OOMKilled...).
  std::string reason{};
  std::string message{};
  int32_t exit_code = 0;  // terminated
  int32_t signal = 0;     // terminated by this signal (0: none)
  int64_t pid = 0;        // running/terminated: the process; containerID "proc://<pid>"
  std::optional<TimePoint> started_at{};   // running, terminated
  std::optional<TimePoint> finished_at{};  // terminated

  static ContainerState Waiting(std::string reason, std::string message = "");
  static ContainerState Running(int64_t pid, TimePoint started_at);
  static ContainerState Terminated(int64_t pid, int32_t exit_code, TimePoint started_at,
                                   TimePoint finished_at, std::string reason = "");

  bool running() const { return kind == Kind::kRunning; }
  bool terminated() const { return kind == Kind::kTerminated; }
  bool waiting() const { return kind == Kind::kWaiting; }

  // {"waiting": {...}} / {"running": {...}} / {"terminated": {...}}, as the API writes them.
  Json ToJson() const;
};

struct ContainerRuntimeStatus {
  std::string name{};
  ContainerState state{};
  std::optional<ContainerState> last_state{};  // the previous run (terminated), if any
  int32_t restart_count = 0;
  bool ready = false;    // readiness (ProbeTracker::ready()); ignored unless running
  bool started = false;  // startup (ProbeTracker::started()); ignored unless running
};

struct PodRuntimeView {
  bool sandbox_ready = false;  // the pod's network namespace and IP are set up
  std::vector<ContainerRuntimeStatus> init_containers{};
  std::vector<ContainerRuntimeStatus> containers{};
  std::string pod_ip{};
  std::vector<std::string> pod_ips{};  // {pod_ip} when empty
  std::string host_ip{};
  std::optional<TimePoint> start_time{};  // when the agent accepted the pod
  // The pod will not run again (deleted, or its containers are not to be restarted): stopped
  // containers then decide Succeeded/Failed whatever the restart policy.
  bool terminal = false;
};

inline constexpr std::string_view kPhasePending = "Pending";
inline constexpr std::string_view kPhaseRunning = "Running";
inline constexpr std::string_view kPhaseSucceeded = "Succeeded";
inline constexpr std::string_view kPhaseFailed = "Failed";

// The new status object; `previous_status` is the status last written (usually
// pod["status"]; null or {} for a new pod).
Json ComputePodStatus(const Json& pod, const Json& previous_status, const PodRuntimeView& view,
                      TimePoint now);

// The phase alone (kubelet getPhase, plus "a terminal phase stays").
std::string ComputePhase(const Json& pod, const Json& previous_status, const PodRuntimeView& view);

}  // namespace rmq::nodeagent
