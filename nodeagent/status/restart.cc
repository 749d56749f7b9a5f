#include "nodeagent/status/restart.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace rmq::nodeagent {

RestartPolicy ContainerRestartPolicy(RestartPolicy pod_policy, bool init_container,
                                     std::optional<RestartPolicy> container_policy) {
  if (!init_container) return pod_policy;
  if (container_policy == RestartPolicy::kAlways) return RestartPolicy::kAlways;  // a sidecar
  return pod_policy == RestartPolicy::kNever ? RestartPolicy::kNever : RestartPolicy::kOnFailure;
}

bool ShouldRestart(RestartPolicy policy, int exit_code) {
  switch (policy) {
    case RestartPolicy::kAlways:
      return true;
    case RestartPolicy::kOnFailure:
      return exit_code != 0;
    case RestartPolicy::kNever:
      return false;
  }
  return false;
}

RestartDecision NextRestart(RestartPolicy policy, int exit_code,
                            std::chrono::seconds current_backoff, std::chrono::nanoseconds last_run,
                            std::chrono::system_clock::time_point finished_at) {
  RestartDecision d;
  d.next_backoff = current_backoff;
  if (!ShouldRestart(policy, exit_code)) return d;
  d.restart = true;
  const bool expired = last_run > kBackoffResetAfter;
  if (current_backoff <= std::chrono::seconds(0) || expired) {
    // No back-off entry yet (or a stable run forgot it): restart now, start the back-off.
    d.restart_at = finished_at;
    d.next_backoff = kInitialBackoff;
    return d;
  }
  d.backoff = current_backoff;
  d.restart_at = finished_at + current_backoff;
  d.next_backoff = std::min(current_backoff * 2, kMaxBackoff);
  return d;
}

std::string BackoffMessage(std::chrono::seconds backoff, std::string_view container,
                           std::string_view pod_name, std::string_view pod_namespace,
                           std::string_view pod_uid) {
  // Go's time.Duration formatting for whole seconds: "10s", "5m0s".
  const int64_t total = backoff.count();
  const std::string duration =
      total >= 60 ? absl::StrCat(total / 60, "m", total % 60, "s") : absl::StrCat(total, "s");
  return absl::StrCat("back-off ", duration,
                      " restarting failed container=", std::string(container),
                      " pod=", std::string(pod_name), "_", std::string(pod_namespace), "(",
                      std::string(pod_uid), ")");
}

}  // namespace rmq::nodeagent
