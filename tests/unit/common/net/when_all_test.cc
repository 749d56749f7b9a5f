// WhenAll: every awaitable runs concurrently, results keep their order, an exception leaves the
// default value, an empty list completes at once.
#include "common/net/when_all.h"

#include <gtest/gtest.h>

#include <chrono>
#include <stdexcept>
#include <vector>

#include "common/net/blocking.h"

namespace rmq::net {
namespace {

asio::awaitable<int> After(std::chrono::milliseconds delay, int value, int* running,
                           int* max_running) {
  ++*running;
  *max_running = std::max(*max_running, *running);
  asio::steady_timer t(co_await asio::this_coro::executor, delay);
  co_await t.async_wait(asio::use_awaitable);
  --*running;
  if (value < 0) throw std::runtime_error("negative");
  co_return value;
}

TEST(WhenAll, RunsConcurrentlyAndKeepsTheOrder) {
  asio::io_context io;
  int running = 0;
  int max_running = 0;
  std::vector<asio::awaitable<int>> work;
  work.push_back(After(std::chrono::milliseconds(150), 1, &running, &max_running));
  work.push_back(After(std::chrono::milliseconds(50), 2, &running, &max_running));
  work.push_back(After(std::chrono::milliseconds(100), -1, &running, &max_running));
  std::vector<int> results = BlockOn(io, WhenAll(io.get_executor(), std::move(work)));
  EXPECT_EQ(results, (std::vector<int>{1, 2, 0}));  // the throwing one: default
  EXPECT_EQ(max_running, 3);                        // all three were waiting at once
}

TEST(WhenAll, NothingToWaitFor) {
  asio::io_context io;
  EXPECT_TRUE(BlockOn(io, WhenAll(io.get_executor(), std::vector<asio::awaitable<int>>{})).empty());
}

}  // namespace
}  // namespace rmq::net
