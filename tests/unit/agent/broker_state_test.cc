#include "agent/state/broker_state.h"

#include <gtest/gtest.h>

namespace rmq::agent {
namespace {

namespace v1 = ::rocketmq::agent::v1;

BrokerObservation Healthy() {
  BrokerObservation o;
  o.config = {{"brokerClusterName", "prod"},
              {"brokerName", "prod-0"},
              {"brokerId", "0"},
              {"brokerRole", "SYNC_MASTER"},
              {"brokerIP1", "10.0.0.5"},
              {"listenPort", "10911"},
              {"brokerPermission", "6"},
              {"namesrvAddr", "ns-0:9876; ns-1:9876;"}};
  o.runtime = {{"brokerVersionDesc", "V5_3_3"}, {"brokerVersion", "479"},
               {"commitLogMaxOffset", "4096"},  {"commitLogDiskRatio", "0.25"},
               {"putTps", "12.5 3.0 1.0"},      {"getTransferredTps", "7.0 1.0 1.0"},
               {"msgPutTotalTodayNow", "100"},  {"bootTimestamp", "1700000000000"}};
  rocketmq::TopicConfigTable topics;
  for (const char* t : {"Orders", "Payments", "TBW102", "prod", "prod-0", "rmq_sys_x"}) {
    topics.topics[t].topic_name = t;
  }
  topics.data_version.counter = 3;
  o.topics = topics;
  rocketmq::SubscriptionGroupTable groups;
  for (const char* g : {"GID_a", "TOOLS_CONSUMER"}) groups.groups[g].group_name = g;
  o.groups = groups;
  o.observed_at_ms = 1234;
  return o;
}

TEST(BrokerStateTest, ServingBrokerIdentityAndFigures) {
  v1::BrokerState s = BuildBrokerState(Healthy());
  EXPECT_EQ(s.state(), v1::LIFECYCLE_STATE_SERVING);
  EXPECT_EQ(s.identity().cluster(), "prod");
  EXPECT_EQ(s.identity().broker_name(), "prod-0");
  EXPECT_EQ(s.identity().role(), v1::BROKER_ROLE_SYNC_MASTER);
  EXPECT_EQ(s.identity().address(), "10.0.0.5:10911");
  EXPECT_EQ(s.identity().version(), "V5_3_3");
  EXPECT_EQ(s.identity().version_ordinal(), 479);
  ASSERT_EQ(s.name_servers_size(), 2);
  EXPECT_EQ(s.name_servers(1), "ns-1:9876");
  EXPECT_TRUE(s.writable());
  EXPECT_EQ(s.commit_log_max_offset(), 4096);
  EXPECT_EQ(s.boot_timestamp_ms(), 1700000000000);
  EXPECT_DOUBLE_EQ(s.disk().commit_log_ratio(), 0.25);
  EXPECT_DOUBLE_EQ(s.throughput().put_tps(), 12.5);
  EXPECT_DOUBLE_EQ(s.throughput().get_tps(), 7.0);
  EXPECT_EQ(s.metadata().topic_count(), 2u);  // system topics excluded
  EXPECT_EQ(s.metadata().group_count(), 1u);
  EXPECT_EQ(s.metadata().topic_data_version().counter(), 3);
  EXPECT_EQ(s.observed_at_ms(), 1234);
  EXPECT_EQ(s.registrations_size(), 0);
}

TEST(BrokerStateTest, LifecycleStates) {
  BrokerObservation o = Healthy();
  o.config["brokerPermission"] = "4";
  v1::BrokerState ro = BuildBrokerState(o);
  EXPECT_EQ(ro.state(), v1::LIFECYCLE_STATE_READ_ONLY);
  EXPECT_FALSE(ro.writable());

  o = Healthy();
  o.runtime_status = absl::UnknownError("java.util.NoSuchElementException");
  v1::BrokerState starting = BuildBrokerState(o);
  EXPECT_EQ(starting.state(), v1::LIFECYCLE_STATE_STARTING);
  EXPECT_NE(starting.state_reason().find("NoSuchElementException"), std::string::npos);

  o = Healthy();
  o.config_status = absl::UnavailableError("cannot connect to 127.0.0.1:10911");
  v1::BrokerState down = BuildBrokerState(o);
  EXPECT_EQ(down.state(), v1::LIFECYCLE_STATE_UNREACHABLE);
  EXPECT_NE(down.state_reason().find("cannot connect"), std::string::npos);
}

TEST(BrokerStateTest, RegistrationsCompareTheAddress) {
  BrokerObservation o = Healthy();
  rocketmq::ClusterInfo good;
  good.brokers["prod-0"] = {"prod", "prod-0", {{0, "10.0.0.5:10911"}}, false, ""};
  rocketmq::ClusterInfo stale;  // the broker's old IP
  stale.brokers["prod-0"] = {"prod", "prod-0", {{0, "10.0.0.9:10911"}}, false, ""};
  o.name_servers.emplace("ns-0:9876", good);
  o.name_servers.emplace("ns-1:9876", stale);
  o.name_servers.emplace("ns-2:9876", absl::UnavailableError("connection refused"));
  v1::BrokerState s = BuildBrokerState(o);
  ASSERT_EQ(s.registrations_size(), 3);
  EXPECT_TRUE(s.registrations(0).registered());
  EXPECT_FALSE(s.registrations(1).registered());
  EXPECT_FALSE(s.registrations(2).registered());
  EXPECT_EQ(s.registrations(2).error(), "connection refused");
}

TEST(BrokerStateTest, SplitNameServers) {
  EXPECT_EQ(SplitNameServers(""), std::vector<std::string>{});
  EXPECT_EQ(SplitNameServers("a:1;;b:2 "), (std::vector<std::string>{"a:1", "b:2"}));
}

}  // namespace
}  // namespace rmq::agent
