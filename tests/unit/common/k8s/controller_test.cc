// The reconcile driver on a real io_context with a scripted reconcile function: dedup, one
// reconcile per key at a time, a worker limit, retries with backoff after errors, requeue_after.
#include "common/k8s/controller.h"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <vector>

namespace rmq::k8s {
namespace {

namespace asio = boost::asio;
using std::chrono::milliseconds;

class ControllerTest : public ::testing::Test {
 protected:
  Controller::Options Options(int workers) {
    Controller::Options options;
    options.workers = workers;
    options.queue.base_delay = milliseconds(20);
    return options;
  }

  asio::io_context io_;
  std::vector<std::string> calls_;
  std::set<std::string> running_;
  int max_running_ = 0;
  bool same_key_overlapped_ = false;
};

TEST_F(ControllerTest, DedupsKeysAndLimitsWorkersWithOneReconcilePerKey) {
  std::unique_ptr<Controller> controller;
  auto reconcile = [&](const std::string& key) -> asio::awaitable<Controller::Result> {
    if (running_.count(key) > 0) same_key_overlapped_ = true;
    running_.insert(key);
    max_running_ = std::max(max_running_, static_cast<int>(running_.size()));
    calls_.push_back(key);
    asio::steady_timer timer(io_, milliseconds(30));
    co_await timer.async_wait(asio::use_awaitable);
    // Re-added while running: must run again afterwards, not concurrently.
    if (key == "ns/a" && calls_.size() < 3) controller->Enqueue("ns/a");
    running_.erase(key);
    co_return Controller::Result{};
  };
  controller = std::make_unique<Controller>(io_.get_executor(), reconcile, Options(2));
  for (int i = 0; i < 5; ++i) controller->Enqueue("ns/a");
  controller->Enqueue("ns/b");
  controller->Enqueue("ns/c");
  asio::co_spawn(io_, controller->Run(), asio::detached);
  io_.run_for(milliseconds(400));
  controller->Stop();
  io_.run_for(milliseconds(100));
  EXPECT_FALSE(same_key_overlapped_);
  EXPECT_EQ(max_running_, 2);
  std::map<std::string, int> per_key;
  for (const auto& k : calls_) ++per_key[k];
  EXPECT_EQ(per_key["ns/a"], 2);  // five adds collapse into one, plus the re-add
  EXPECT_EQ(per_key["ns/b"], 1);
  EXPECT_EQ(per_key["ns/c"], 1);
  EXPECT_EQ(controller->active(), 0);
}

TEST_F(ControllerTest, RetriesFailuresWithGrowingBackoffAndHonoursRequeueAfter) {
  std::vector<std::chrono::steady_clock::time_point> times;
  auto reconcile = [&](const std::string& key) -> asio::awaitable<Controller::Result> {
    times.push_back(std::chrono::steady_clock::now());
    Controller::Result result;
    if (times.size() <= 3) {
      result.status = absl::UnavailableError("broker not reachable");
    } else if (times.size() == 4) {
      result.requeue_after = milliseconds(150);
    }
    calls_.push_back(key);
    co_return result;
  };
  Controller controller(io_.get_executor(), reconcile, Options(1));
  controller.Enqueue("ns/x");
  asio::co_spawn(io_, controller.Run(), asio::detached);
  io_.run_for(milliseconds(800));
  controller.Stop();
  io_.run_for(milliseconds(50));
  ASSERT_EQ(times.size(), 5u);
  // Backoff 20, 40, 80 ms after the failures, then 150 ms as asked.
  auto gap = [&](size_t i) {
    return std::chrono::duration_cast<milliseconds>(times[i] - times[i - 1]).count();
  };
  EXPECT_GE(gap(1), 20);
  EXPECT_GE(gap(2), 40);
  EXPECT_GE(gap(3), 80);
  EXPECT_GE(gap(4), 150);
  EXPECT_LT(gap(4), 400);
  EXPECT_EQ(controller.queue().NumRequeues("ns/x"), 0);  // success forgot the failures
}

TEST_F(ControllerTest, StopWaitsForRunningReconciles) {
  bool finished = false;
  auto reconcile = [&](const std::string&) -> asio::awaitable<Controller::Result> {
    asio::steady_timer timer(io_, milliseconds(100));
    co_await timer.async_wait(asio::use_awaitable);
    finished = true;
    co_return Controller::Result{};
  };
  Controller controller(io_.get_executor(), reconcile, Options(1));
  controller.Enqueue("ns/x");
  bool run_returned = false;
  asio::co_spawn(io_, controller.Run(), [&](const std::exception_ptr&) { run_returned = true; });
  io_.run_for(milliseconds(20));
  controller.Stop();
  io_.run_for(milliseconds(20));
  EXPECT_FALSE(run_returned);
  io_.run_for(milliseconds(200));
  EXPECT_TRUE(finished);
  EXPECT_TRUE(run_returned);
}

}  // namespace
}  // namespace rmq::k8s
