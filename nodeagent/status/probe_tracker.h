// probe_tracker.h: the state of one container's startup, readiness and liveness probes (pure).
//
// The caller runs the probes (exec, HTTP, TCP, gRPC) and feeds each result in; the tracker says
// which probes are due, whether the container counts as started and ready, and when it must be
// restarted. It follows the kubelet's prober workers (pkg/kubelet/prober/worker.go):
//  - nothing is probed before the container runs, nor before initialDelaySeconds have passed
//    since it started; then each probe runs every periodSeconds;
//  - while a startup probe has not succeeded, readiness and liveness probes do not run; once it
//    succeeds it stops. Without a startup probe the container is started as soon as it runs;
//  - a result changes what is reported only after successThreshold consecutive successes or
//    failureThreshold consecutive failures; an error (ProbeResult::kUnknown: the probe could not
//    be run) is ignored;
//  - ready = running, started, and (no readiness probe, or its reported result is success). The
//    readiness result starts as failure, so a container with a readiness probe is not ready
//    until it passes;
//  - liveness or startup failure (at the threshold) asks for a restart; the probe is then on
//    hold until the container starts again (Start()).
// Times are parameters; nothing here reads a clock. Thread-compatible (one owner, e.g. the
// container's supervisor on the agent's io thread).
//
// Example:
//   ProbeTracker probes(plan.startup_probe, plan.readiness_probe, plan.liveness_probe);
//   probes.Start(started_at);
//   for (ProbeKind kind : probes.Due(now)) Run(kind);  // later, for each result:
//   ProbeUpdate u = probes.Record(kind, result, now);
//   if (u.restart) Kill(container, probes.KillGracePeriod(kind).value_or(pod_grace));
//   if (u.changed) WriteStatus();  // ready()/started() flipped
//   timer.expires_at(probes.NextDue());
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "nodeagent/plan/pod_plan.h"

namespace rmq::nodeagent {

enum class ProbeKind { kStartup, kReadiness, kLiveness };
enum class ProbeResult { kSuccess, kFailure, kUnknown };

const char* ProbeKindName(ProbeKind kind);  // "Startup", "Readiness", "Liveness"

struct ProbeUpdate {
  bool changed = false;   // started() or ready() changed
  bool restart = false;   // liveness/startup failed at the threshold: kill and restart
  std::string message{};  // for an Event: "Liveness probe failed 3 times"

  friend bool operator==(const ProbeUpdate&, const ProbeUpdate&) = default;
};

class ProbeTracker {
 public:
  using TimePoint = std::chrono::system_clock::time_point;

  ProbeTracker(std::optional<Probe> startup, std::optional<Probe> readiness,
               std::optional<Probe> liveness);

  // The container (re)started at `started_at`: all results and counters reset.
  void Start(TimePoint started_at);
  // The container stopped: nothing is due, not ready, not started.
  void Stop();

  bool running() const { return running_; }
  bool started() const;
  bool ready() const;

  // The probes due at `now`, in the order startup, readiness, liveness.
  std::vector<ProbeKind> Due(TimePoint now) const;
  // The earliest time a probe becomes due; nullopt when none will (not running, on hold, no
  // probes, or only a startup probe that already succeeded).
  std::optional<TimePoint> NextDue() const;

  // Records a result of `kind` probed at `now`. A result for a probe that does not run now (not
  // configured, container not running, on hold, gated by the startup probe, or a startup probe
  // after the start) is ignored.
  ProbeUpdate Record(ProbeKind kind, ProbeResult result, TimePoint now);

  // The probe's terminationGracePeriodSeconds, which overrides the pod's when that probe kills
  // the container.
  std::optional<int64_t> KillGracePeriod(ProbeKind kind) const;

 private:
  struct Worker {
    std::optional<Probe> spec;
    ProbeResult reported = ProbeResult::kUnknown;  // what the kubelet's results manager holds
    ProbeResult last = ProbeResult::kUnknown;      // the last result, for counting runs
    int run = 0;                                   // consecutive results equal to `last`
    std::optional<TimePoint> last_probe{};
    bool on_hold = false;
  };

  Worker& Get(ProbeKind kind) { return workers_[static_cast<size_t>(kind)]; }
  const Worker& Get(ProbeKind kind) const { return workers_[static_cast<size_t>(kind)]; }
  std::optional<TimePoint> DueAt(ProbeKind kind) const;
  static ProbeResult InitialResult(ProbeKind kind);

  std::array<Worker, 3> workers_{};  // indexed by ProbeKind
  bool running_ = false;
  TimePoint started_at_{};
};

}  // namespace rmq::nodeagent
