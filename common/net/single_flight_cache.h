// single_flight_cache.h: a value refreshed at most once per `max_age`, shared by concurrent
// readers.
//
// Get() returns the cached value while it is younger than `max_age` (measured from the start of
// the refresh that produced it). Otherwise it runs `refresh`, and every Get() that arrives while
// that refresh is in flight waits for the same result instead of starting another: at most one
// refresh is ever in flight. `refresh` reports failures inside T (e.g. a status field), never by
// throwing; a failed refresh is cached like a successful one, so a dead backend is not hammered.
//
// Threading: confined to one executor (a single-threaded io_context or a strand); call Get() from
// coroutines on it. Destroy the cache only after its coroutines finished (drain the executor).
// The clock is injected for tests.
//
// Example:
//   SingleFlightCache<Snapshot> cache(io.get_executor(), std::chrono::seconds(15),
//                                     [&] { return ReadSnapshot(admin); });
//   std::shared_ptr<const Snapshot> snap = co_await cache.Get();
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <utility>

#include "common/net/asio.h"

namespace rmq::net {

template <typename T>
class SingleFlightCache {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;
  using Refresh = std::function<asio::awaitable<T>()>;

  SingleFlightCache(const asio::any_io_executor& executor,
                    std::chrono::steady_clock::duration max_age, Refresh refresh,
                    Clock clock = &std::chrono::steady_clock::now)
      : max_age_(max_age),
        refresh_(std::move(refresh)),
        clock_(std::move(clock)),
        done_(executor, std::chrono::steady_clock::time_point::max()) {}

  SingleFlightCache(const SingleFlightCache&) = delete;
  SingleFlightCache& operator=(const SingleFlightCache&) = delete;

  asio::awaitable<std::shared_ptr<const T>> Get() {
    if (value_ != nullptr && clock_() - started_at_ < max_age_) co_return value_;
    if (in_flight_) {
      const uint64_t generation = generation_;
      while (generation_ == generation) {
        boost::system::error_code ignored;  // cancelled = the refresh finished
        co_await done_.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
      }
      co_return value_;
    }
    in_flight_ = true;
    const std::chrono::steady_clock::time_point started = clock_();
    T fresh = co_await refresh_();
    value_ = std::make_shared<const T>(std::move(fresh));
    started_at_ = started;
    in_flight_ = false;
    ++generation_;
    ++refreshes_;
    done_.cancel();  // wakes every waiter
    co_return value_;
  }

  // The last value without refreshing (nullptr before the first refresh).
  std::shared_ptr<const T> Peek() const { return value_; }
  // Refreshes completed so far.
  uint64_t refreshes() const { return refreshes_; }

 private:
  std::chrono::steady_clock::duration max_age_;
  Refresh refresh_;
  Clock clock_;
  asio::steady_timer done_;  // never expires; cancelled when a refresh completes
  std::shared_ptr<const T> value_;
  std::chrono::steady_clock::time_point started_at_{};
  bool in_flight_ = false;
  uint64_t generation_ = 0;
  uint64_t refreshes_ = 0;
};

}  // namespace rmq::net
