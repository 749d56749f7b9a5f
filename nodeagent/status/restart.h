// restart.h: whether and when the node agent restarts an exited container (pure).
//
// The kubelet's rules (kuberuntime_manager.go computePodActions, doBackOff; client-go's
// flowcontrol.Backoff with the kubelet's constants):
//  - the restart policy of a container: a pod's regular containers follow spec.restartPolicy; a
//    regular init container is retried on failure (OnFailure) unless the pod's policy is Never;
//    an init container with restartPolicy Always is a sidecar and is always restarted;
//  - Always restarts on any exit, OnFailure on a non-zero exit code, Never never;
//  - crash-loop back-off: the first exit restarts at once; each later exit waits the current
//    back-off, counted from the exit (10 s, then 20 s, 40 s, ... up to 300 s). A run longer than
//    10 minutes (twice the maximum) resets the back-off: that exit restarts at once again.
// The back-off is state the caller keeps per container (the kubelet keeps it in memory too, so a
// restart of the agent forgets it, as a kubelet restart does).
// Thread-compatible (free functions and values).
//
// Example (on each exit of container c, which ran from `started` to `finished`):
//   RestartDecision d = NextRestart(ContainerRestartPolicy(pod_policy, /*init=*/false, {}),
//                                   exit_code, c.backoff, finished - started, finished);
//   if (!d.restart) return ReportTerminated(c);
//   c.backoff = d.next_backoff;
//   if (now < d.restart_at) ReportWaiting(c, kReasonCrashLoopBackOff,
//                                         BackoffMessage(d.backoff, c.name, pod));
//   ScheduleStart(c, d.restart_at);
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "nodeagent/plan/pod_plan.h"

namespace rmq::nodeagent {

inline constexpr std::chrono::seconds kInitialBackoff{10};
inline constexpr std::chrono::seconds kMaxBackoff{300};
// A run longer than this (2 x kMaxBackoff) forgets the back-off.
inline constexpr std::chrono::seconds kBackoffResetAfter{600};

inline constexpr std::string_view kReasonCrashLoopBackOff = "CrashLoopBackOff";

// The policy that applies to one container: see the banner. `container_policy` is the init
// container's own restartPolicy (only Always is valid there).
RestartPolicy ContainerRestartPolicy(RestartPolicy pod_policy, bool init_container,
                                     std::optional<RestartPolicy> container_policy);

// Whether `policy` restarts a container that exited with `exit_code`.
bool ShouldRestart(RestartPolicy policy, int exit_code);

struct RestartDecision {
  bool restart = false;  // false: the container stays terminated
  // Restart not before this time (the exit time plus `backoff`).
  std::chrono::system_clock::time_point restart_at{};
  std::chrono::seconds backoff{0};  // the wait applied to this exit (0: at once)
  // The back-off state to keep for the next exit (unchanged when there is no restart).
  std::chrono::seconds next_backoff{0};

  friend bool operator==(const RestartDecision&, const RestartDecision&) = default;
};

// The decision for a container that exited with `exit_code` at `finished_at` after running for
// `last_run`. `current_backoff` is the state kept from the previous decision (0 for a container
// that never exited, or whose state was lost).
RestartDecision NextRestart(RestartPolicy policy, int exit_code,
                            std::chrono::seconds current_backoff, std::chrono::nanoseconds last_run,
                            std::chrono::system_clock::time_point finished_at);

// The waiting message a kubelet shows during a back-off:
// "back-off 20s restarting failed container=broker pod=broker-0_rocketmq(uid-1)".
std::string BackoffMessage(std::chrono::seconds backoff, std::string_view container,
                           std::string_view pod_name, std::string_view pod_namespace,
                           std::string_view pod_uid);

}  // namespace rmq::nodeagent
