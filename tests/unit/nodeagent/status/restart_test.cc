// Restart policies and the kubelet's crash-loop back-off.
#include "nodeagent/status/restart.h"

#include <gtest/gtest.h>

#include <vector>

namespace rmq::nodeagent {
namespace {

using std::chrono::seconds;
using Clock = std::chrono::system_clock;

const Clock::time_point kT0 = Clock::from_time_t(1767225600);  // 2026-01-01T00:00:00Z

TEST(RestartPolicyTest, PerContainerPolicy) {
  using P = RestartPolicy;
  EXPECT_EQ(ContainerRestartPolicy(P::kAlways, false, std::nullopt), P::kAlways);
  EXPECT_EQ(ContainerRestartPolicy(P::kOnFailure, false, std::nullopt), P::kOnFailure);
  EXPECT_EQ(ContainerRestartPolicy(P::kNever, false, std::nullopt), P::kNever);
  // Regular init containers retry on failure unless the pod says Never.
  EXPECT_EQ(ContainerRestartPolicy(P::kAlways, true, std::nullopt), P::kOnFailure);
  EXPECT_EQ(ContainerRestartPolicy(P::kOnFailure, true, std::nullopt), P::kOnFailure);
  EXPECT_EQ(ContainerRestartPolicy(P::kNever, true, std::nullopt), P::kNever);
  // Sidecars always restart.
  EXPECT_EQ(ContainerRestartPolicy(P::kNever, true, P::kAlways), P::kAlways);
}

TEST(RestartPolicyTest, ShouldRestart) {
  EXPECT_TRUE(ShouldRestart(RestartPolicy::kAlways, 0));
  EXPECT_TRUE(ShouldRestart(RestartPolicy::kAlways, 1));
  EXPECT_FALSE(ShouldRestart(RestartPolicy::kOnFailure, 0));
  EXPECT_TRUE(ShouldRestart(RestartPolicy::kOnFailure, 137));
  EXPECT_FALSE(ShouldRestart(RestartPolicy::kNever, 0));
  EXPECT_FALSE(ShouldRestart(RestartPolicy::kNever, 1));
}

TEST(RestartBackoffTest, CrashLoopSequence) {
  // A container that crashes one second after each start.
  std::vector<int64_t> waits;
  seconds backoff{0};
  Clock::time_point now = kT0;
  for (int i = 0; i < 9; ++i) {
    const Clock::time_point finished = now + seconds(1);
    RestartDecision d = NextRestart(RestartPolicy::kAlways, 1, backoff, seconds(1), finished);
    ASSERT_TRUE(d.restart);
    EXPECT_EQ(d.restart_at, finished + d.backoff);
    waits.push_back(d.backoff.count());
    backoff = d.next_backoff;
    now = d.restart_at;
  }
  EXPECT_EQ(waits, (std::vector<int64_t>{0, 10, 20, 40, 80, 160, 300, 300, 300}));
}

TEST(RestartBackoffTest, ALongRunResetsTheBackoff) {
  RestartDecision d = NextRestart(RestartPolicy::kAlways, 1, seconds(160), seconds(601), kT0);
  EXPECT_EQ(
      d,
      (RestartDecision{
          .restart = true, .restart_at = kT0, .backoff = seconds(0), .next_backoff = seconds(10)}));
  // Exactly 10 minutes is not "longer than".
  d = NextRestart(RestartPolicy::kAlways, 1, seconds(160), seconds(600), kT0);
  EXPECT_EQ(d.backoff, seconds(160));
  EXPECT_EQ(d.next_backoff, seconds(300));
}

TEST(RestartBackoffTest, NoRestartKeepsTheState) {
  RestartDecision d = NextRestart(RestartPolicy::kNever, 1, seconds(40), seconds(1), kT0);
  EXPECT_FALSE(d.restart);
  EXPECT_EQ(d.next_backoff, seconds(40));
  d = NextRestart(RestartPolicy::kOnFailure, 0, seconds(40), seconds(1), kT0);
  EXPECT_FALSE(d.restart);
  d = NextRestart(RestartPolicy::kOnFailure, 2, seconds(40), seconds(1), kT0);
  EXPECT_TRUE(d.restart);
  EXPECT_EQ(d.restart_at, kT0 + seconds(40));
  // Always restarts clean exits too, with the same back-off.
  d = NextRestart(RestartPolicy::kAlways, 0, seconds(20), seconds(1), kT0);
  EXPECT_TRUE(d.restart);
  EXPECT_EQ(d.backoff, seconds(20));
}

TEST(RestartBackoffTest, MessageAsTheKubeletWritesIt) {
  EXPECT_EQ(BackoffMessage(seconds(20), "broker", "broker-0", "rocketmq", "uid-1"),
            "back-off 20s restarting failed container=broker pod=broker-0_rocketmq(uid-1)");
  EXPECT_EQ(BackoffMessage(seconds(300), "c", "p", "n", "u"),
            "back-off 5m0s restarting failed container=c pod=p_n(u)");
  EXPECT_EQ(BackoffMessage(seconds(160), "c", "p", "n", "u"),
            "back-off 2m40s restarting failed container=c pod=p_n(u)");
}

}  // namespace
}  // namespace rmq::nodeagent
