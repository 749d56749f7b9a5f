// Work-queue semantics with an injected clock: dedup, one worker per key, delays, per-key
// exponential backoff and the overall token bucket. No sleeps.
#include "common/k8s/work_queue.h"

#include <gtest/gtest.h>

namespace rmq::k8s {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

const WorkQueue::TimePoint kT0{seconds(1000)};

TEST(WorkQueueTest, DedupAndFifo) {
  WorkQueue q({});
  q.Add("ns/a", kT0);
  q.Add("ns/b", kT0);
  q.Add("ns/a", kT0);
  EXPECT_EQ(q.Ready(), 2u);
  EXPECT_EQ(q.Pop(kT0), "ns/a");
  EXPECT_EQ(q.Pop(kT0), "ns/b");
  EXPECT_EQ(q.Pop(kT0), std::nullopt);
}

TEST(WorkQueueTest, OneWorkerPerKeyAndReAddDuringProcessing) {
  WorkQueue q({});
  q.Add("k", kT0);
  ASSERT_EQ(q.Pop(kT0), "k");
  EXPECT_TRUE(q.Processing("k"));
  q.Add("k", kT0);  // changed while being reconciled
  q.Add("k", kT0);
  EXPECT_EQ(q.Pop(kT0), std::nullopt);  // not handed to a second worker
  q.Done("k", kT0);
  EXPECT_EQ(q.Pop(kT0), "k");  // once more, once
  q.Done("k", kT0);
  EXPECT_EQ(q.Pop(kT0), std::nullopt);
}

TEST(WorkQueueTest, DelaysEarliestWinsAndAddOverridesDelay) {
  WorkQueue q({});
  q.AddAfter("a", kT0 + seconds(10), kT0);
  q.AddAfter("a", kT0 + seconds(5), kT0);
  q.AddAfter("a", kT0 + seconds(20), kT0);
  q.AddAfter("b", kT0 + seconds(7), kT0);
  EXPECT_EQ(q.NextReadyTime(), kT0 + seconds(5));
  EXPECT_EQ(q.Pop(kT0 + seconds(4)), std::nullopt);
  EXPECT_EQ(q.Pop(kT0 + seconds(5)), "a");
  EXPECT_EQ(q.Pop(kT0 + seconds(6)), std::nullopt);
  EXPECT_EQ(q.NextReadyTime(), kT0 + seconds(7));
  q.Add("b", kT0 + seconds(6));  // an event arrives: ready now, not at 7 s
  EXPECT_EQ(q.NextReadyTime(), std::nullopt);
  EXPECT_EQ(q.Pop(kT0 + seconds(6)), "b");
  q.AddAfter("c", kT0, kT0 + seconds(6));  // a time in the past: ready now
  EXPECT_EQ(q.Pop(kT0 + seconds(6)), "c");
}

TEST(WorkQueueTest, PerKeyExponentialBackoffCappedAndForgotten) {
  WorkQueue q({.base_delay = milliseconds(5), .max_delay = seconds(1), .qps = 1e9, .burst = 1000});
  std::vector<int64_t> delays;
  delays.reserve(10);
  for (int i = 0; i < 10; ++i) {
    delays.push_back(std::chrono::duration_cast<milliseconds>(q.AddRateLimited("k", kT0)).count());
  }
  EXPECT_EQ(delays, (std::vector<int64_t>{5, 10, 20, 40, 80, 160, 320, 640, 1000, 1000}));
  EXPECT_EQ(q.NumRequeues("k"), 10);
  EXPECT_EQ(q.NumRequeues("other"), 0);
  q.Forget("k");
  EXPECT_EQ(q.NumRequeues("k"), 0);
  EXPECT_EQ(q.AddRateLimited("k", kT0), milliseconds(5));
  // The key became ready after its (shortest pending) delay.
  EXPECT_EQ(q.Pop(kT0 + milliseconds(4)), std::nullopt);
  EXPECT_EQ(q.Pop(kT0 + milliseconds(5)), "k");
}

TEST(WorkQueueTest, TokenBucketLimitsTheOverallRetryRate) {
  WorkQueue q({.base_delay = milliseconds(0), .max_delay = seconds(1), .qps = 10, .burst = 3});
  // Three tokens: immediate; then one every 100 ms.
  EXPECT_EQ(q.AddRateLimited("a", kT0), milliseconds(0));
  EXPECT_EQ(q.AddRateLimited("b", kT0), milliseconds(0));
  EXPECT_EQ(q.AddRateLimited("c", kT0), milliseconds(0));
  EXPECT_EQ(q.AddRateLimited("d", kT0), milliseconds(100));
  EXPECT_EQ(q.AddRateLimited("e", kT0), milliseconds(200));
  // A second later the bucket has refilled (10 tokens/s, capped at the burst of 3).
  EXPECT_EQ(q.AddRateLimited("f", kT0 + seconds(1)), milliseconds(0));
}

}  // namespace
}  // namespace rmq::k8s
