#include "nodeagent/status/probe_tracker.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"

namespace rmq::nodeagent {

const char* ProbeKindName(ProbeKind kind) {
  switch (kind) {
    case ProbeKind::kStartup:
      return "Startup";
    case ProbeKind::kReadiness:
      return "Readiness";
    case ProbeKind::kLiveness:
      return "Liveness";
  }
  return "Unknown";
}

ProbeTracker::ProbeTracker(std::optional<Probe> startup, std::optional<Probe> readiness,
                           std::optional<Probe> liveness) {
  Get(ProbeKind::kStartup).spec = std::move(startup);
  Get(ProbeKind::kReadiness).spec = std::move(readiness);
  Get(ProbeKind::kLiveness).spec = std::move(liveness);
  Stop();
}

// The kubelet's initial values: readiness starts as failure (not ready until it passes), liveness
// as success, startup as unknown.
ProbeResult ProbeTracker::InitialResult(ProbeKind kind) {
  switch (kind) {
    case ProbeKind::kStartup:
      return ProbeResult::kUnknown;
    case ProbeKind::kReadiness:
      return ProbeResult::kFailure;
    case ProbeKind::kLiveness:
      return ProbeResult::kSuccess;
  }
  return ProbeResult::kUnknown;
}

void ProbeTracker::Start(TimePoint started_at) {
  running_ = true;
  started_at_ = started_at;
  for (ProbeKind kind : {ProbeKind::kStartup, ProbeKind::kReadiness, ProbeKind::kLiveness}) {
    Worker& w = Get(kind);
    w.reported = InitialResult(kind);
    w.last = ProbeResult::kUnknown;
    w.run = 0;
    w.last_probe.reset();
    w.on_hold = false;
  }
}

void ProbeTracker::Stop() {
  Start(TimePoint{});
  running_ = false;
}

bool ProbeTracker::started() const {
  if (!running_) return false;
  const Worker& startup = Get(ProbeKind::kStartup);
  return !startup.spec.has_value() || startup.reported == ProbeResult::kSuccess;
}

bool ProbeTracker::ready() const {
  if (!started()) return false;
  const Worker& readiness = Get(ProbeKind::kReadiness);
  return !readiness.spec.has_value() || readiness.reported == ProbeResult::kSuccess;
}

std::optional<ProbeTracker::TimePoint> ProbeTracker::DueAt(ProbeKind kind) const {
  const Worker& w = Get(kind);
  if (!running_ || !w.spec.has_value() || w.on_hold) return std::nullopt;
  // The startup probe stops once the container has started; the others wait for it.
  if ((kind == ProbeKind::kStartup) == started()) return std::nullopt;
  const TimePoint first = started_at_ + std::chrono::seconds(w.spec->initial_delay_seconds);
  if (!w.last_probe.has_value()) return first;
  return std::max(first, *w.last_probe + std::chrono::seconds(w.spec->period_seconds));
}

std::vector<ProbeKind> ProbeTracker::Due(TimePoint now) const {
  std::vector<ProbeKind> due;
  for (ProbeKind kind : {ProbeKind::kStartup, ProbeKind::kReadiness, ProbeKind::kLiveness}) {
    if (std::optional<TimePoint> at = DueAt(kind); at.has_value() && *at <= now) {
      due.push_back(kind);
    }
  }
  return due;
}

std::optional<ProbeTracker::TimePoint> ProbeTracker::NextDue() const {
  std::optional<TimePoint> next;
  for (ProbeKind kind : {ProbeKind::kStartup, ProbeKind::kReadiness, ProbeKind::kLiveness}) {
    if (std::optional<TimePoint> at = DueAt(kind); at.has_value() && (!next || *at < *next)) {
      next = at;
    }
  }
  return next;
}

ProbeUpdate ProbeTracker::Record(ProbeKind kind, ProbeResult result, TimePoint now) {
  ProbeUpdate update;
  Worker& w = Get(kind);
  if (!running_ || !w.spec.has_value() || w.on_hold) return update;
  if ((kind == ProbeKind::kStartup) == started()) return update;  // not a probe that runs now
  w.last_probe = now;
  if (result == ProbeResult::kUnknown) return update;  // a probe error: the result is dropped
  if (w.last == result) {
    ++w.run;
  } else {
    w.last = result;
    w.run = 1;
  }
  if ((result == ProbeResult::kFailure && w.run < w.spec->failure_threshold) ||
      (result == ProbeResult::kSuccess && w.run < w.spec->success_threshold)) {
    return update;  // not enough in a row yet: the reported result stands
  }
  const bool was_started = started();
  const bool was_ready = ready();
  w.reported = result;
  if (result == ProbeResult::kFailure && kind != ProbeKind::kReadiness) {
    // The kubelet kills the container and holds the probe until the container restarts.
    w.on_hold = true;
    w.run = 0;
    update.restart = true;
    update.message = absl::StrCat(ProbeKindName(kind), " probe failed ", w.spec->failure_threshold,
                                  " times in a row, the container will be restarted");
  }
  update.changed = was_started != started() || was_ready != ready();
  return update;
}

std::optional<int64_t> ProbeTracker::KillGracePeriod(ProbeKind kind) const {
  const Worker& w = Get(kind);
  return w.spec.has_value() ? w.spec->termination_grace_period_seconds : std::nullopt;
}

}  // namespace rmq::nodeagent
