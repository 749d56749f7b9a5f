// The probe state machine: delays, periods, thresholds, startup gating, restarts.
#include "nodeagent/status/probe_tracker.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace rmq::nodeagent {
namespace {

using std::chrono::seconds;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using Clock = std::chrono::system_clock;

const Clock::time_point kT0 = Clock::from_time_t(1767225600);

Probe TcpProbe(int32_t delay = 0, int32_t period = 10, int32_t success = 1, int32_t failure = 3) {
  return Probe{.handler = Handler{.kind = Handler::Kind::kTcpSocket, .port = 9876},
               .initial_delay_seconds = delay,
               .period_seconds = period,
               .success_threshold = success,
               .failure_threshold = failure};
}

constexpr ProbeResult kOk = ProbeResult::kSuccess;
constexpr ProbeResult kFail = ProbeResult::kFailure;

TEST(ProbeTrackerTest, WithoutProbesARunningContainerIsStartedAndReady) {
  ProbeTracker t(std::nullopt, std::nullopt, std::nullopt);
  EXPECT_FALSE(t.running());
  EXPECT_FALSE(t.started());
  EXPECT_FALSE(t.ready());
  t.Start(kT0);
  EXPECT_TRUE(t.started());
  EXPECT_TRUE(t.ready());
  EXPECT_THAT(t.Due(kT0 + seconds(100)), IsEmpty());
  EXPECT_EQ(t.NextDue(), std::nullopt);
  t.Stop();
  EXPECT_FALSE(t.ready());
  EXPECT_FALSE(t.started());
}

TEST(ProbeTrackerTest, ReadinessWaitsForTheInitialDelayThenRunsEveryPeriod) {
  ProbeTracker t(std::nullopt, TcpProbe(/*delay=*/5, /*period=*/10), std::nullopt);
  t.Start(kT0);
  EXPECT_TRUE(t.started());
  EXPECT_FALSE(t.ready());  // readiness starts as failure
  EXPECT_EQ(t.NextDue(), kT0 + seconds(5));
  EXPECT_THAT(t.Due(kT0 + seconds(4)), IsEmpty());
  EXPECT_THAT(t.Due(kT0 + seconds(5)), ElementsAre(ProbeKind::kReadiness));
  ProbeUpdate u = t.Record(ProbeKind::kReadiness, kOk, kT0 + seconds(5));
  EXPECT_TRUE(u.changed);
  EXPECT_FALSE(u.restart);
  EXPECT_TRUE(t.ready());
  EXPECT_EQ(t.NextDue(), kT0 + seconds(15));
  EXPECT_THAT(t.Due(kT0 + seconds(14)), IsEmpty());
  EXPECT_THAT(t.Due(kT0 + seconds(15)), ElementsAre(ProbeKind::kReadiness));
  // The same result again changes nothing.
  EXPECT_FALSE(t.Record(ProbeKind::kReadiness, kOk, kT0 + seconds(15)).changed);
}

TEST(ProbeTrackerTest, ReadinessFailureThreshold) {
  ProbeTracker t(std::nullopt, TcpProbe(0, 10, 1, 3), std::nullopt);
  t.Start(kT0);
  t.Record(ProbeKind::kReadiness, kOk, kT0);
  ASSERT_TRUE(t.ready());
  EXPECT_FALSE(t.Record(ProbeKind::kReadiness, kFail, kT0 + seconds(10)).changed);
  EXPECT_FALSE(t.Record(ProbeKind::kReadiness, kFail, kT0 + seconds(20)).changed);
  EXPECT_TRUE(t.ready());
  ProbeUpdate u = t.Record(ProbeKind::kReadiness, kFail, kT0 + seconds(30));
  EXPECT_TRUE(u.changed);
  EXPECT_FALSE(u.restart);  // readiness never restarts
  EXPECT_FALSE(t.ready());
  // Still probed while unready; one success is enough to come back.
  EXPECT_THAT(t.Due(kT0 + seconds(40)), ElementsAre(ProbeKind::kReadiness));
  EXPECT_TRUE(t.Record(ProbeKind::kReadiness, kOk, kT0 + seconds(40)).changed);
  EXPECT_TRUE(t.ready());
}

TEST(ProbeTrackerTest, SuccessThresholdNeedsConsecutiveSuccesses) {
  ProbeTracker t(std::nullopt, TcpProbe(0, 1, /*success=*/2, 3), std::nullopt);
  t.Start(kT0);
  t.Record(ProbeKind::kReadiness, kOk, kT0);
  EXPECT_FALSE(t.ready());
  t.Record(ProbeKind::kReadiness, kFail, kT0 + seconds(1));  // breaks the run
  t.Record(ProbeKind::kReadiness, kOk, kT0 + seconds(2));
  EXPECT_FALSE(t.ready());
  t.Record(ProbeKind::kReadiness, kOk, kT0 + seconds(3));
  EXPECT_TRUE(t.ready());
}

TEST(ProbeTrackerTest, ProbeErrorsAreIgnored) {
  ProbeTracker t(std::nullopt, std::nullopt, TcpProbe(0, 10, 1, 3));
  t.Start(kT0);
  t.Record(ProbeKind::kLiveness, kFail, kT0);
  t.Record(ProbeKind::kLiveness, ProbeResult::kUnknown, kT0 + seconds(10));
  t.Record(ProbeKind::kLiveness, kFail, kT0 + seconds(20));
  EXPECT_EQ(t.NextDue(), kT0 + seconds(30));  // an error still counts as a run for the period
  EXPECT_TRUE(t.Record(ProbeKind::kLiveness, kFail, kT0 + seconds(30)).restart);
}

TEST(ProbeTrackerTest, LivenessFailureRestartsThenHoldsUntilTheNextStart) {
  Probe liveness = TcpProbe(0, 10, 1, 3);
  liveness.termination_grace_period_seconds = 7;
  ProbeTracker t(std::nullopt, std::nullopt, liveness);
  t.Start(kT0);
  EXPECT_TRUE(t.ready());  // liveness starts as success and does not gate readiness
  EXPECT_FALSE(t.Record(ProbeKind::kLiveness, kFail, kT0).restart);
  EXPECT_FALSE(t.Record(ProbeKind::kLiveness, kFail, kT0 + seconds(10)).restart);
  ProbeUpdate u = t.Record(ProbeKind::kLiveness, kFail, kT0 + seconds(20));
  EXPECT_TRUE(u.restart);
  EXPECT_FALSE(u.changed);
  EXPECT_EQ(u.message, "Liveness probe failed 3 times in a row, the container will be restarted");
  EXPECT_EQ(t.KillGracePeriod(ProbeKind::kLiveness), 7);
  EXPECT_EQ(t.KillGracePeriod(ProbeKind::kReadiness), std::nullopt);
  // On hold: nothing due, further results ignored.
  EXPECT_THAT(t.Due(kT0 + seconds(100)), IsEmpty());
  EXPECT_EQ(t.NextDue(), std::nullopt);
  EXPECT_FALSE(t.Record(ProbeKind::kLiveness, kFail, kT0 + seconds(30)).restart);
  // The restarted container starts from scratch.
  t.Start(kT0 + seconds(40));
  EXPECT_THAT(t.Due(kT0 + seconds(40)), ElementsAre(ProbeKind::kLiveness));
  EXPECT_FALSE(t.Record(ProbeKind::kLiveness, kFail, kT0 + seconds(40)).restart);
  t.Record(ProbeKind::kLiveness, kOk, kT0 + seconds(50));
  EXPECT_FALSE(t.Record(ProbeKind::kLiveness, kFail, kT0 + seconds(60)).restart);
  EXPECT_FALSE(t.Record(ProbeKind::kLiveness, kFail, kT0 + seconds(70)).restart);
  EXPECT_TRUE(t.Record(ProbeKind::kLiveness, kFail, kT0 + seconds(80)).restart);
}

TEST(ProbeTrackerTest, StartupProbeGatesReadinessAndLiveness) {
  ProbeTracker t(TcpProbe(0, 2, 1, 30), TcpProbe(10, 10), TcpProbe(0, 10));
  t.Start(kT0);
  EXPECT_FALSE(t.started());
  EXPECT_FALSE(t.ready());
  EXPECT_THAT(t.Due(kT0 + seconds(20)), ElementsAre(ProbeKind::kStartup));
  t.Record(ProbeKind::kStartup, kFail, kT0);
  EXPECT_EQ(t.NextDue(), kT0 + seconds(2));
  // Results of gated probes are ignored (the kubelet does not run them).
  EXPECT_EQ(t.Record(ProbeKind::kReadiness, kOk, kT0 + seconds(1)), ProbeUpdate{});
  EXPECT_FALSE(t.ready());
  // Startup succeeds at 4 s.
  ProbeUpdate u = t.Record(ProbeKind::kStartup, kOk, kT0 + seconds(4));
  EXPECT_TRUE(u.changed);
  EXPECT_TRUE(t.started());
  EXPECT_FALSE(t.ready());
  // The startup probe stops; liveness is due at once, readiness after its own initial delay.
  EXPECT_THAT(t.Due(kT0 + seconds(4)), ElementsAre(ProbeKind::kLiveness));
  EXPECT_THAT(t.Due(kT0 + seconds(10)), ElementsAre(ProbeKind::kReadiness, ProbeKind::kLiveness));
  EXPECT_TRUE(t.Record(ProbeKind::kReadiness, kOk, kT0 + seconds(10)).changed);
  EXPECT_TRUE(t.ready());
  // Late startup results change nothing.
  EXPECT_EQ(t.Record(ProbeKind::kStartup, kFail, kT0 + seconds(11)), ProbeUpdate{});
}

TEST(ProbeTrackerTest, StartupFailureAtTheThresholdRestarts) {
  ProbeTracker t(TcpProbe(0, 1, 1, 2), TcpProbe(), std::nullopt);
  t.Start(kT0);
  EXPECT_FALSE(t.Record(ProbeKind::kStartup, kFail, kT0).restart);
  ProbeUpdate u = t.Record(ProbeKind::kStartup, kFail, kT0 + seconds(1));
  EXPECT_TRUE(u.restart);
  EXPECT_EQ(u.message, "Startup probe failed 2 times in a row, the container will be restarted");
  EXPECT_FALSE(t.started());
  EXPECT_THAT(t.Due(kT0 + seconds(100)), IsEmpty());
}

TEST(ProbeTrackerTest, ResultsOutsideARunAreIgnored) {
  ProbeTracker t(std::nullopt, TcpProbe(), std::nullopt);
  EXPECT_EQ(t.Record(ProbeKind::kReadiness, kOk, kT0), ProbeUpdate{});
  EXPECT_FALSE(t.ready());
  t.Start(kT0);
  EXPECT_EQ(t.Record(ProbeKind::kLiveness, kFail, kT0), ProbeUpdate{});  // not configured
  t.Record(ProbeKind::kReadiness, kOk, kT0);
  EXPECT_TRUE(t.ready());
  t.Stop();
  EXPECT_FALSE(t.ready());
  EXPECT_EQ(t.NextDue(), std::nullopt);
  EXPECT_STREQ(ProbeKindName(ProbeKind::kReadiness), "Readiness");
}

}  // namespace
}  // namespace rmq::nodeagent
