// work_queue.h: the controller's work queue, keyed by "namespace/name" (pure, injected time).
//
// Semantics (those of client-go's workqueue, which every Kubernetes controller author expects):
//  - dedup: a key added several times before it is processed is processed once;
//  - one worker per key: a key being processed is not handed out again; if it is added meanwhile,
//    it becomes ready again when the worker calls Done();
//  - delays: AddAfter() makes a key ready at a time (the earliest wins when added twice);
//  - rate limiting: AddRateLimited() delays a key by the larger of its own exponential backoff
//    (base * 2^failures, capped) and an overall token bucket (qps, burst); Forget() resets the
//    key's backoff after a success.
// Nothing here sleeps or reads a clock: callers pass `now`, and NextReadyTime() says when to wake
// up (the async driver arms a timer for it). Thread-compatible: confine to one executor.
//
// Example:
//   WorkQueue queue({});
//   queue.Add("ns/broker-a", now);
//   while (auto key = queue.Pop(now)) { Status s = Reconcile(*key); s.ok() ? queue.Forget(*key)
//     : queue.AddRateLimited(*key, now); queue.Done(*key, now); }
#pragma once

#include <chrono>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>

namespace rmq::k8s {

class WorkQueue {
 public:
  using Clock = std::chrono::steady_clock;
  using TimePoint = Clock::time_point;

  struct Options {
    std::chrono::milliseconds base_delay{5};
    std::chrono::milliseconds max_delay{1'000'000};  // 1000 s, client-go's default
    double qps = 10;                                 // overall retry rate
    int burst = 100;
  };

  explicit WorkQueue(Options options);

  // Makes `key` ready now (no-op if it is ready already).
  void Add(const std::string& key, TimePoint now);
  // Makes `key` ready at `when` (now if `when` has passed).
  void AddAfter(const std::string& key, TimePoint when, TimePoint now);
  // Makes `key` ready after its backoff; returns the delay chosen.
  std::chrono::nanoseconds AddRateLimited(const std::string& key, TimePoint now);
  // Resets `key`'s backoff (after a successful reconcile).
  void Forget(const std::string& key);
  int NumRequeues(const std::string& key) const;

  // The next ready key not being processed, marked as processing; nullopt if none is ready.
  std::optional<std::string> Pop(TimePoint now);
  // The worker finished `key`; if it was added meanwhile it is ready again.
  void Done(const std::string& key, TimePoint now);

  // When the earliest delayed key becomes ready (nullopt: none waits).
  std::optional<TimePoint> NextReadyTime() const;
  // Ready keys (not processing, not delayed).
  size_t Ready() const { return queue_.size(); }
  bool Processing(const std::string& key) const { return processing_.count(key) > 0; }

 private:
  void PromoteDue(TimePoint now);

  Options options_;
  std::deque<std::string> queue_;  // ready, in order
  std::set<std::string> dirty_;    // needs processing (ready or re-added while processing)
  std::set<std::string> processing_;
  std::map<std::string, TimePoint> waiting_;       // delayed key -> ready time
  std::multimap<TimePoint, std::string> by_time_;  // the same, ordered by time
  std::map<std::string, int> failures_;
  // Token bucket (reservations may take it below zero: later callers wait longer).
  std::optional<TimePoint> bucket_updated_;
  double bucket_tokens_ = 0;
};

}  // namespace rmq::k8s
