#include "controller/operations/metadata_sync.h"

#include "gtest/gtest.h"

namespace rmq::controller {
namespace {

std::vector<BrokerPodView> Cluster(int groups, bool new_master_ready) {
  std::vector<BrokerPodView> pods;
  for (int g = 0; g < groups; ++g) {
    const bool last = g == groups - 1;
    pods.push_back({.name = "mq-" + std::to_string(g) + "-master-0",
                    .group = g,
                    .broker_id = 0,
                    .ready = !last || new_master_ready,
                    .ip = "10.0.0." + std::to_string(10 + g)});
    pods.push_back({.name = "mq-" + std::to_string(g) + "-replica-1-0",
                    .group = g,
                    .broker_id = 1,
                    .ready = true,
                    .ip = "10.0.1." + std::to_string(10 + g)});
  }
  return pods;
}

TEST(GroupsNeedingSync, OnlyGroupsAddedToAnExistingCluster) {
  EXPECT_TRUE(GroupsNeedingSync(0, 3).empty());  // created with 3 groups: all empty alike
  EXPECT_EQ(GroupsNeedingSync(1, 3), (std::set<int32_t>{1, 2}));
  EXPECT_TRUE(GroupsNeedingSync(2, 2).empty());
  EXPECT_TRUE(GroupsNeedingSync(3, 2).empty());  // scale-in is refused elsewhere
}

TEST(PlanMetadataSync, CopiesFromTheFirstSyncedMasterIntoTheNewMaster) {
  const std::vector<BrokerPodView> pods = Cluster(3, true);
  MetadataSyncPlan plan = PlanMetadataSync(2, {1, 2}, "", pods);
  EXPECT_EQ(plan.waiting, "");
  EXPECT_EQ(plan.source_pod, "mq-0-master-0");
  EXPECT_EQ(plan.source_ip, "10.0.0.10");
  EXPECT_EQ(plan.target_pod, "mq-2-master-0");
  EXPECT_EQ(plan.target_ip, "10.0.0.12");
}

TEST(PlanMetadataSync, NeverCopiesFromAGroupThatIsNotSyncedItself) {
  std::vector<BrokerPodView> pods = Cluster(3, true);
  pods[0].ready = false;  // group 0's master down; group 1 is pending: nothing to copy from
  MetadataSyncPlan plan = PlanMetadataSync(2, {1, 2}, "", pods);
  EXPECT_NE(plan.waiting, "");
  EXPECT_EQ(plan.source_pod, "");
  plan = PlanMetadataSync(2, {2}, "", pods);  // group 1 synced: it is the source now
  EXPECT_EQ(plan.source_pod, "mq-1-master-0");
  EXPECT_EQ(PlanMetadataSync(2, {1, 2}, "mq-1-master-0", Cluster(3, true)).waiting,
            "spec.scalePodName mq-1-master-0 belongs to group 1, which is not synced itself");
}

TEST(PlanMetadataSync, ScalePodNameIsTheSourceWhenReady) {
  const std::vector<BrokerPodView> pods = Cluster(2, true);
  MetadataSyncPlan plan = PlanMetadataSync(1, {1}, "mq-0-replica-1-0", pods);
  EXPECT_EQ(plan.waiting, "");
  EXPECT_EQ(plan.source_pod, "mq-0-replica-1-0");
  EXPECT_EQ(plan.source_ip, "10.0.1.10");
  EXPECT_EQ(PlanMetadataSync(1, {1}, "other-0", pods).waiting,
            "spec.scalePodName other-0 is not a broker pod of this cluster");
  std::vector<BrokerPodView> down = pods;
  down[1].ready = false;
  EXPECT_EQ(PlanMetadataSync(1, {1}, "mq-0-replica-1-0", down).waiting,
            "source mq-0-replica-1-0 is not ready");
}

TEST(PlanMetadataSync, WaitsForTheNewMaster) {
  MetadataSyncPlan plan = PlanMetadataSync(1, {1}, "", Cluster(2, false));
  EXPECT_EQ(plan.waiting, "the master of group 1 is not ready");
  EXPECT_EQ(plan.target_pod, "");
  std::vector<BrokerPodView> pods = Cluster(1, true);  // the new group's pods do not exist yet
  EXPECT_EQ(PlanMetadataSync(1, {1}, "", pods).waiting, "the master of group 1 is not ready");
}

}  // namespace
}  // namespace rmq::controller
