#include "common/k8s/work_queue.h"

#include <algorithm>
#include <cmath>

namespace rmq::k8s {

WorkQueue::WorkQueue(Options options)
    : options_(options), bucket_tokens_(static_cast<double>(options.burst)) {}

void WorkQueue::Add(const std::string& key, TimePoint now) {
  PromoteDue(now);
  if (auto it = waiting_.find(key); it != waiting_.end()) {  // ready now instead of later
    auto range = by_time_.equal_range(it->second);
    for (auto t = range.first; t != range.second; ++t) {
      if (t->second == key) {
        by_time_.erase(t);
        break;
      }
    }
    waiting_.erase(it);
  }
  if (!dirty_.insert(key).second) return;  // already ready (or re-added while processing)
  if (processing_.count(key) == 0) queue_.push_back(key);
}

void WorkQueue::AddAfter(const std::string& key, TimePoint when, TimePoint now) {
  if (when <= now) {
    Add(key, now);
    return;
  }
  if (dirty_.count(key) > 0) return;  // ready already: sooner than `when`
  auto it = waiting_.find(key);
  if (it != waiting_.end()) {
    if (it->second <= when) return;  // the earlier time wins
    auto range = by_time_.equal_range(it->second);
    for (auto t = range.first; t != range.second; ++t) {
      if (t->second == key) {
        by_time_.erase(t);
        break;
      }
    }
  }
  waiting_[key] = when;
  by_time_.emplace(when, key);
}

std::chrono::nanoseconds WorkQueue::AddRateLimited(const std::string& key, TimePoint now) {
  // Per key: base * 2^failures, capped.
  const int failures = failures_[key]++;
  const double exp = std::ldexp(1.0, std::min(failures, 62));
  const double key_ns =
      std::min(static_cast<double>(std::chrono::nanoseconds(options_.base_delay).count()) * exp,
               static_cast<double>(std::chrono::nanoseconds(options_.max_delay).count()));
  // Overall: a token bucket of `burst` tokens refilled at `qps`.
  if (bucket_updated_.has_value()) {
    const double elapsed = std::chrono::duration<double>(now - *bucket_updated_).count();
    bucket_tokens_ = std::min(static_cast<double>(options_.burst),
                              bucket_tokens_ + std::max(0.0, elapsed) * options_.qps);
  }
  bucket_updated_ = std::max(now, bucket_updated_.value_or(now));
  bucket_tokens_ -= 1;
  const double bucket_ns = bucket_tokens_ >= 0 ? 0 : -bucket_tokens_ / options_.qps * 1e9;
  const auto delay = std::chrono::nanoseconds(static_cast<int64_t>(std::max(key_ns, bucket_ns)));
  AddAfter(key, now + std::chrono::duration_cast<Clock::duration>(delay), now);
  return delay;
}

void WorkQueue::Forget(const std::string& key) { failures_.erase(key); }

int WorkQueue::NumRequeues(const std::string& key) const {
  auto it = failures_.find(key);
  return it == failures_.end() ? 0 : it->second;
}

void WorkQueue::PromoteDue(TimePoint now) {
  while (!by_time_.empty() && by_time_.begin()->first <= now) {
    const std::string key = by_time_.begin()->second;
    by_time_.erase(by_time_.begin());
    waiting_.erase(key);
    if (dirty_.insert(key).second && processing_.count(key) == 0) queue_.push_back(key);
  }
}

std::optional<std::string> WorkQueue::Pop(TimePoint now) {
  PromoteDue(now);
  if (queue_.empty()) return std::nullopt;
  std::string key = std::move(queue_.front());
  queue_.pop_front();
  dirty_.erase(key);
  processing_.insert(key);
  return key;
}

void WorkQueue::Done(const std::string& key, TimePoint now) {
  processing_.erase(key);
  if (dirty_.count(key) > 0) queue_.push_back(key);
  PromoteDue(now);
}

std::optional<WorkQueue::TimePoint> WorkQueue::NextReadyTime() const {
  if (by_time_.empty()) return std::nullopt;
  return by_time_.begin()->first;
}

}  // namespace rmq::k8s
