// leader_elector.h: Lease-based leader election against the API server, the async driver of the
// pure LeaderElection (leader_election.h).
//
// Run() loops until Stop(): every `retry_period` it reads the Lease (GET), asks Decide() what to
// write, writes it (create, or replace with the read resourceVersion: optimistic concurrency; a
// 409 means another candidate won the race) and reports a successful write with Written(). After
// every step and every sleep it compares Leading() with what it last reported and calls
// `started_leading` / `stopped_leading` exactly once per transition.
//
// Bounded steps: a leader whose renewals fail must stop leading after `renew_deadline`, even while
// the API server hangs. So each step (GET + write) has a deadline of `retry_period`: its requests
// are raced with a timer, and a request that misses the deadline counts as failed. Boost 1.74 has
// no per-operation cancellation, so such a request is abandoned, not cancelled: it finishes on its
// own within the Transport's timeouts. Give the elector a Client on its own Transport with
// connect and request timeouts of about `retry_period` (client-go uses a dedicated client too), so
// abandoned requests do not pile up. Steps start every `retry_period` (one that ran into its
// deadline is followed by the next at once). While we lead, both the sleep and a step in flight
// also end at the moment our leadership runs out, so `stopped_leading` comes on time (within
// milliseconds of `renew_deadline` after the last successful renewal) even while requests hang.
//
// Release() gives the Lease up (holder "", leaseDurationSeconds 1, as client-go's
// ReleaseOnCancel) so that another candidate takes over at its next retry instead of waiting for
// the lease to expire. Call it after Run() returned, typically on SIGTERM.
//
// Threading and lifetime: confined to the executor Run() runs on (one thread); call Stop(),
// Leading() and Release() from it. Callbacks are called inline on it: they must not block and
// must not destroy the elector. The Client (and its Transport) must outlive every request the
// elector started, abandoned ones included: keep them until the io_context has run out of work.
//
// Example:
//   LeaderElectionConfig config{.identity = pod_name};
//   RMQ_RETURN_IF_ERROR(LeaderElector::Validate(config));
//   LeaderElector elector(client, "rocketmq-system", "rocketmq-operator", config,
//                         {.started_leading = [&] { StartReconcilers(); },
//                          .stopped_leading = [&] { StopReconcilers(); }});
//   asio::co_spawn(io, [&]() -> asio::awaitable<void> {
//     co_await elector.Run();      // until elector.Stop(), e.g. from a SIGTERM handler
//     co_await elector.Release();  // let the next candidate lead at once
//   }, net::DieOnException);
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/k8s/client.h"
#include "common/k8s/leader_election.h"
#include "common/net/asio.h"

namespace rmq::k8s {

class LeaderElector {
 public:
  struct Callbacks {
    std::function<void()> started_leading{};  // may be empty
    std::function<void()> stopped_leading{};  // may be empty
  };

  // InvalidArgument unless identity is set and lease_duration > renew_deadline > 1.2 *
  // retry_period > 0 (client-go's rule: a leader must be able to retry before its deadline, and
  // stop leading before others may take over).
  static absl::Status Validate(const LeaderElectionConfig& config);

  // `config` must pass Validate(), `ns` and `lease_name` must not be empty (both checked: validate
  // external input first).
  LeaderElector(Client& client, std::string ns, std::string lease_name, LeaderElectionConfig config,
                Callbacks callbacks);
  LeaderElector(const LeaderElector&) = delete;
  LeaderElector& operator=(const LeaderElector&) = delete;

  // Campaigns for and renews the Lease until Stop(). On return we no longer lead
  // (`stopped_leading` was called if we did). Not re-entrant: one Run() at a time.
  boost::asio::awaitable<void> Run();

  // Ends Run(): at once when it sleeps, else when its current step ends (at most `retry_period`).
  // Final: a Run() after Stop() returns at once. Idempotent.
  void Stop();

  // If the Lease is held by us, writes holderIdentity "" and leaseDurationSeconds 1 so the next
  // candidate takes over at once. Call after Run() returned. Failures are logged: a lease that
  // could not be released simply expires.
  boost::asio::awaitable<void> Release();

  // True while we lead: we reported it (started_leading) and our last renewal is younger than
  // renew_deadline.
  bool Leading() const;

  const LeaderElectionConfig& config() const { return config_; }

 private:
  using Clock = std::chrono::steady_clock;

  // One read-decide-write round, within `deadline`.
  boost::asio::awaitable<void> Step(Clock::time_point deadline);
  // Calls the callback of a transition of Leading().
  void Report();
  // When our leadership runs out without another renewal (max() when we do not lead).
  Clock::time_point LeadingUntil() const;
  // `op`, unless `deadline` comes first (then DeadlineExceeded; `op` is abandoned).
  boost::asio::awaitable<absl::StatusOr<Json>> WithDeadline(
      boost::asio::awaitable<absl::StatusOr<Json>> op, Clock::time_point deadline,
      const std::string& what);
  // A failed read or write: 409s are lost races (debug); the rest a warning when leading or
  // when failures start, else debug.
  void LogFailure(const std::string& what, const absl::Status& status);
  std::string LeaseId() const;

  Client& client_;
  std::string ns_;
  std::string name_;
  LeaderElectionConfig config_;
  Callbacks callbacks_;
  LeaderElection election_;
  std::optional<Clock::time_point> renewed_at_;  // of our last successful write
  std::string observed_holder_;                  // for logging changes of leader
  int consecutive_failures_ = 0;
  bool leading_ = false;  // as last reported through the callbacks
  bool running_ = false;
  bool stop_requested_ = false;
  boost::asio::steady_timer* sleep_timer_ = nullptr;  // Run()'s, while it runs
};

}  // namespace rmq::k8s
