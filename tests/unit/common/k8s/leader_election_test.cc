// Lease-based leader election decisions on an injected monotonic clock.
#include "common/k8s/leader_election.h"

#include <gtest/gtest.h>

namespace rmq::k8s {
namespace {

using std::chrono::seconds;
using Write = LeaderElection::Write;

const LeaderElection::TimePoint kT0{seconds(5000)};
const std::chrono::system_clock::time_point kWall{seconds(1'795'000'000)};

TEST(LeaderElectionTest, MicroTimeFormat) {
  EXPECT_EQ(MicroTime(kWall + std::chrono::microseconds(123456)), "2026-11-18T11:06:40.123456Z");
}

TEST(LeaderElectionTest, CreatesAMissingLeaseAndLeadsUntilTheRenewDeadline) {
  LeaderElection a({.identity = "a"});
  auto step = a.Decide(std::nullopt, kT0, kWall);
  ASSERT_EQ(step.write, Write::kCreate);
  EXPECT_EQ(step.record.holder, "a");
  EXPECT_EQ(step.record.duration_s, 15);
  EXPECT_EQ(step.record.acquire_time, step.record.renew_time);
  EXPECT_FALSE(a.Leading(kT0));
  a.Written(step.record, kT0);
  EXPECT_TRUE(a.Leading(kT0 + seconds(9)));
  EXPECT_FALSE(a.Leading(kT0 + seconds(10)));  // could not renew in time: stop reconciling

  // Renewal keeps acquireTime and transitions.
  auto renew = a.Decide(step.record, kT0 + seconds(2), kWall + seconds(2));
  ASSERT_EQ(renew.write, Write::kUpdate);
  EXPECT_EQ(renew.record.acquire_time, step.record.acquire_time);
  EXPECT_EQ(renew.record.transitions, 0);
  EXPECT_NE(renew.record.renew_time, step.record.renew_time);
}

TEST(LeaderElectionTest, TakesOverOnlyAfterTheLeaseWentUnrenewedForItsDuration) {
  LeaseRecord held{
      .holder = "a", .duration_s = 15, .acquire_time = "t0", .renew_time = "t0", .transitions = 3};
  LeaderElection b({.identity = "b"});
  EXPECT_EQ(b.Decide(held, kT0, kWall).write, Write::kNone);
  EXPECT_EQ(b.Decide(held, kT0 + seconds(14), kWall).write, Write::kNone);
  // a renews at 14 s: the 15 s count restarts from when b saw the change.
  held.renew_time = "t14";
  EXPECT_EQ(b.Decide(held, kT0 + seconds(14), kWall).write, Write::kNone);
  EXPECT_EQ(b.Decide(held, kT0 + seconds(28), kWall).write, Write::kNone);
  // No renewal for 15 s on b's clock (whatever the wall clocks say): b takes over.
  auto take = b.Decide(held, kT0 + seconds(29), kWall);
  ASSERT_EQ(take.write, Write::kUpdate);
  EXPECT_EQ(take.record.holder, "b");
  EXPECT_EQ(take.record.transitions, 4);
  EXPECT_EQ(take.record.acquire_time, take.record.renew_time);
  EXPECT_FALSE(b.Leading(kT0 + seconds(29)));  // only once the update succeeded
  b.Written(take.record, kT0 + seconds(29));
  EXPECT_TRUE(b.Leading(kT0 + seconds(30)));
}

TEST(LeaderElectionTest, AReleasedLeaseIsTakenAtOnceAndJsonRoundTrips) {
  LeaseRecord released{.holder = "", .duration_s = 15, .transitions = 1};
  LeaderElection b({.identity = "b"});
  EXPECT_EQ(b.Decide(released, kT0, kWall).write, Write::kUpdate);
  LeaseRecord r{.holder = "x",
                .duration_s = 15,
                .acquire_time = "2026-11-29T10:00:00.000000Z",
                .renew_time = "2026-11-29T10:00:02.000000Z",
                .transitions = 2};
  EXPECT_EQ(LeaseRecordFromJson(nlohmann::json{{"spec", LeaseSpecToJson(r)}}), r);
  EXPECT_EQ(LeaseRecordFromJson(nlohmann::json::object()), LeaseRecord{});
}

}  // namespace
}  // namespace rmq::k8s
