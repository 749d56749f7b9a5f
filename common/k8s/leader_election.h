// leader_election.h: the decisions of Lease-based leader election (coordination.k8s.io/v1), pure.
//
// As client-go does it: expiry is judged on the local monotonic clock, never by comparing the
// holder's renewTime with our wall clock (clocks differ between machines). Each time the Lease
// record is seen to change, we note our monotonic time; another holder's lease counts as expired
// only after `lease_duration` without a change. We lead from a successful create/update of the
// record with our identity until `renew_deadline` after the last successful renewal; a leader that
// cannot renew in time stops leading (and must stop reconciling) even before others can take over
// (renew_deadline < lease_duration leaves the margin).
//
// The async driver reads the Lease every `retry_period`, calls Decide(), writes what it says
// (create, or update with the read resourceVersion for optimistic concurrency) and reports a
// successful write with Written(). Thread-compatible.
//
// Example:
//   LeaderElection election({.identity = pod_name});
//   Step step = election.Decide(current, mono_now, wall_now);
//   if (step.write != Write::kNone && WriteLease(step).ok()) election.Written(step.record,
//   mono_now); if (!election.Leading(mono_now)) StopReconciling();
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace rmq::k8s {

// Lease.spec.
struct LeaseRecord {
  std::string holder{};        // holderIdentity
  int32_t duration_s = 0;      // leaseDurationSeconds
  std::string acquire_time{};  // RFC 3339 with microseconds (MicroTime)
  std::string renew_time{};
  int32_t transitions = 0;  // leaseTransitions
  friend bool operator==(const LeaseRecord&, const LeaseRecord&) = default;
};

// From a Lease object ({"spec":{...}}); missing fields stay empty/zero.
LeaseRecord LeaseRecordFromJson(const nlohmann::json& lease);
nlohmann::json LeaseSpecToJson(const LeaseRecord& record);
// "2026-11-29T10:00:00.123456Z" for a system_clock time (MicroTime's format).
std::string MicroTime(std::chrono::system_clock::time_point t);

struct LeaderElectionConfig {
  std::string identity;
  std::chrono::seconds lease_duration{15};
  std::chrono::seconds renew_deadline{10};
  std::chrono::seconds retry_period{2};
};

class LeaderElection {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  enum class Write { kNone, kCreate, kUpdate };
  struct Step {
    Write write = Write::kNone;
    LeaseRecord record;  // what to write
  };

  explicit LeaderElection(LeaderElectionConfig config) : config_(std::move(config)) {}

  // `current`: the Lease's spec as just read (nullopt: the Lease does not exist).
  Step Decide(const std::optional<LeaseRecord>& current, TimePoint now,
              std::chrono::system_clock::time_point wall_now);
  // The write of `record` succeeded at `now`.
  void Written(const LeaseRecord& record, TimePoint now);
  // True while our last successful renewal is younger than renew_deadline.
  bool Leading(TimePoint now) const;
  const LeaderElectionConfig& config() const { return config_; }

 private:
  LeaderElectionConfig config_;
  std::optional<LeaseRecord> observed_;
  TimePoint observed_at_{};
  std::optional<TimePoint> renewed_at_;
};

}  // namespace rmq::k8s
