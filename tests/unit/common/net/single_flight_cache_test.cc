// SingleFlightCache: fresh values are reused, stale ones refreshed, and concurrent readers share
// one refresh. Fake clock; the io_context runs on the test thread.
#include "common/net/single_flight_cache.h"

#include <gtest/gtest.h>

#include <vector>

namespace rmq::net {
namespace {

using Clock = std::chrono::steady_clock;

struct Fixture {
  asio::io_context io;
  Clock::time_point now = Clock::time_point() + std::chrono::hours(1);
  int refreshes_started = 0;
  std::chrono::milliseconds refresh_takes{0};

  SingleFlightCache<int> MakeCache(std::chrono::seconds max_age) {
    return {io.get_executor(), max_age,
            [this]() -> asio::awaitable<int> {
              const int n = ++refreshes_started;
              if (refresh_takes.count() > 0) {
                asio::steady_timer t(io, refresh_takes);
                co_await t.async_wait(asio::use_awaitable);
              }
              co_return n;
            },
            [this] { return now; }};
  }

  int GetNow(SingleFlightCache<int>& cache) {
    std::future<std::shared_ptr<const int>> f = asio::co_spawn(io, cache.Get(), asio::use_future);
    io.restart();
    io.run();
    return *f.get();
  }
};

TEST(SingleFlightCacheTest, ReusesFreshValuesAndRefreshesStaleOnes) {
  Fixture f;
  SingleFlightCache<int> cache = f.MakeCache(std::chrono::seconds(15));
  EXPECT_EQ(cache.Peek(), nullptr);
  EXPECT_EQ(f.GetNow(cache), 1);
  f.now += std::chrono::seconds(14);
  EXPECT_EQ(f.GetNow(cache), 1);  // still fresh
  EXPECT_EQ(cache.refreshes(), 1u);
  f.now += std::chrono::seconds(1);
  EXPECT_EQ(f.GetNow(cache), 2);  // 15 s old: refreshed
  EXPECT_EQ(cache.refreshes(), 2u);
  EXPECT_EQ(*cache.Peek(), 2);
}

TEST(SingleFlightCacheTest, ConcurrentReadersShareOneRefresh) {
  Fixture f;
  f.refresh_takes = std::chrono::milliseconds(50);
  SingleFlightCache<int> cache = f.MakeCache(std::chrono::seconds(15));
  std::vector<std::future<std::shared_ptr<const int>>> readers;
  readers.reserve(10);
  for (int i = 0; i < 10; ++i) {
    readers.push_back(asio::co_spawn(f.io, cache.Get(), asio::use_future));
  }
  f.io.run();
  std::shared_ptr<const int> first = readers.front().get();
  for (size_t i = 1; i < readers.size(); ++i) {
    EXPECT_EQ(readers[i].get(), first) << i;  // the same object, not just the same value
  }
  EXPECT_EQ(*first, 1);
  EXPECT_EQ(f.refreshes_started, 1);
  EXPECT_EQ(cache.refreshes(), 1u);

  // A stale value with readers arriving during its refresh: again a single refresh.
  f.now += std::chrono::seconds(20);
  readers.clear();
  readers.reserve(3);
  for (int i = 0; i < 3; ++i) {
    readers.push_back(asio::co_spawn(f.io, cache.Get(), asio::use_future));
  }
  f.io.restart();
  f.io.run();
  for (auto& r : readers) EXPECT_EQ(*r.get(), 2);
  EXPECT_EQ(f.refreshes_started, 2);
}

TEST(SingleFlightCacheTest, AgeCountsFromTheStartOfTheRefresh) {
  Fixture f;
  SingleFlightCache<int> cache(
      f.io.get_executor(), std::chrono::seconds(10),
      [&f]() -> asio::awaitable<int> {
        f.now += std::chrono::seconds(4);  // the refresh itself takes 4 s
        co_return ++f.refreshes_started;
      },
      [&f] { return f.now; });
  EXPECT_EQ(f.GetNow(cache), 1);
  f.now += std::chrono::seconds(5);  // 9 s after the refresh started
  EXPECT_EQ(f.GetNow(cache), 1);
  f.now += std::chrono::seconds(1);
  EXPECT_EQ(f.GetNow(cache), 2);
}

}  // namespace
}  // namespace rmq::net
