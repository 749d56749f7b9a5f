// Unit tests of the pure half of UpdateNameServers: the REGISTER_BROKER request the agent sends on
// the broker's behalf, the handover timings and the input validation.
#include "agent/registration/registration.h"

#include <gtest/gtest.h>

#include "common/rocketmq/remoting/codes.h"

namespace rmq::agent {
namespace {

using rocketmq::Json;

std::map<std::string, std::string> Config() {
  return {{"brokerClusterName", "C1"}, {"brokerName", "b-0"},     {"brokerId", "0"},
          {"brokerIP1", "10.0.0.5"},   {"brokerIP2", "10.0.1.5"}, {"listenPort", "10911"},
          {"haListenPort", "10912"},   {"brokerPermission", "6"}};
}

std::map<std::string, std::string> Runtime() { return {{"brokerVersion", "479"}}; }

rocketmq::TopicConfigTable Topics() {
  rocketmq::TopicConfigTable t;
  t.data_version = {.counter = 7, .state_version = 2, .timestamp = 1700000000000};
  rocketmq::TopicConfig a;
  a.topic_name = "A";
  a.read_queue_nums = 4;
  a.write_queue_nums = 4;
  a.perm = 6;
  a.attributes["message.type"] = "NORMAL";
  t.topics["A"] = a;
  rocketmq::TopicConfig b;
  b.topic_name = "B";
  b.order = true;
  t.topics["B"] = b;
  return t;
}

TEST(RegistrationTest, FromBrokerTakesIdentityVersionAndTopics) {
  auto r = RegistrationFromBroker(Config(), Runtime(), Topics());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->cluster, "C1");
  EXPECT_EQ(r->broker_name, "b-0");
  EXPECT_EQ(r->broker_id, 0);
  EXPECT_EQ(r->broker_addr, "10.0.0.5:10911");
  EXPECT_EQ(r->ha_server_addr, "10.0.1.5:10912");
  EXPECT_EQ(r->version, 479);
  EXPECT_EQ(r->permission, 6);
  EXPECT_FALSE(r->enable_acting_master);
  EXPECT_FALSE(r->heartbeat_timeout_ms.has_value());
  EXPECT_EQ(r->topics.topics.size(), 2u);
}

TEST(RegistrationTest, HaAddressFallsBackToBrokerIp1) {
  auto config = Config();
  config.erase("brokerIP2");
  auto r = RegistrationFromBroker(config, Runtime(), {});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->ha_server_addr, "10.0.0.5:10912");
}

TEST(RegistrationTest, MissingFieldsAreFailedPrecondition) {
  for (const char* key : {"brokerClusterName", "brokerIP1", "brokerId", "listenPort",
                          "haListenPort", "brokerPermission"}) {
    auto config = Config();
    config.erase(key);
    auto r = RegistrationFromBroker(config, Runtime(), {});
    EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition) << key;
  }
  auto r = RegistrationFromBroker(Config(), {}, {});
  EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(r.status().message().find("brokerVersion"), std::string::npos);
}

TEST(RegistrationTest, Crc32MatchesJavaUtilZipMaskedTo31Bits) {
  // CRC-32 check value of "123456789" is 0xCBF43926; RocketMQ masks the sign bit.
  EXPECT_EQ(RocketMQCrc32("123456789"), 0x4BF43926);
  EXPECT_EQ(RocketMQCrc32(""), 0);
}

TEST(RegistrationTest, RequestCarriesTheBrokersHeaderVersionAndChecksummedBody) {
  auto r = RegistrationFromBroker(Config(), Runtime(), Topics());
  ASSERT_TRUE(r.ok());
  rocketmq::RemotingCommand req = BuildRegisterBroker(*r);
  EXPECT_EQ(req.code, rocketmq::request_code::kRegisterBroker);
  EXPECT_EQ(req.version, 479);
  const auto& h = req.ext_fields;
  EXPECT_EQ(h.at("brokerName"), "b-0");
  EXPECT_EQ(h.at("brokerAddr"), "10.0.0.5:10911");
  EXPECT_EQ(h.at("clusterName"), "C1");
  EXPECT_EQ(h.at("haServerAddr"), "10.0.1.5:10912");
  EXPECT_EQ(h.at("brokerId"), "0");
  EXPECT_EQ(h.at("enableActingMaster"), "false");
  EXPECT_EQ(h.at("compressed"), "false");
  EXPECT_EQ(h.at("bodyCrc32"), std::to_string(RocketMQCrc32(req.body)));
  EXPECT_EQ(h.count("heartbeatTimeoutMillis"), 0u);

  Json body = Json::parse(req.body);
  EXPECT_EQ(body["filterServerList"], Json::array());
  const Json& wrapper = body["topicConfigSerializeWrapper"];
  EXPECT_EQ(wrapper["dataVersion"]["counter"], 7);
  EXPECT_EQ(wrapper["dataVersion"]["stateVersion"], 2);
  EXPECT_EQ(wrapper["dataVersion"]["timestamp"], 1700000000000);
  const Json& a = wrapper["topicConfigTable"]["A"];
  EXPECT_EQ(a["topicName"], "A");
  EXPECT_EQ(a["readQueueNums"], 4);
  EXPECT_EQ(a["perm"], 6);
  EXPECT_EQ(a["attributes"]["message.type"], "NORMAL");
  EXPECT_EQ(wrapper["topicConfigTable"]["B"]["order"], true);
}

TEST(RegistrationTest, TopicPermsAreMaskedWhenTheBrokerIsReadOnly) {
  auto config = Config();
  config["brokerPermission"] = "4";  // drained: read only
  auto r = RegistrationFromBroker(config, Runtime(), Topics());
  ASSERT_TRUE(r.ok());
  Json body = Json::parse(EncodeRegisterBrokerBody(*r));
  EXPECT_EQ(body["topicConfigSerializeWrapper"]["topicConfigTable"]["A"]["perm"], 4);
}

TEST(RegistrationTest, ActingMasterSendsItsHeartbeatTimeout) {
  auto config = Config();
  config["enableSlaveActingMaster"] = "true";
  config["brokerNotActiveTimeoutMillis"] = "9000";
  auto r = RegistrationFromBroker(config, Runtime(), {});
  ASSERT_TRUE(r.ok());
  rocketmq::RemotingCommand req = BuildRegisterBroker(*r);
  EXPECT_EQ(req.ext_fields.at("enableActingMaster"), "true");
  EXPECT_EQ(req.ext_fields.at("heartbeatTimeoutMillis"), "9000");
  EXPECT_EQ(TimingsFromBrokerConfig(config).reregister_every, std::chrono::milliseconds(3000));
}

TEST(RegistrationTest, TimingsFollowTheBrokerConfig) {
  HandoverTimings defaults = TimingsFromBrokerConfig({});
  EXPECT_EQ(defaults.list_refresh, std::chrono::milliseconds(120'000));
  EXPECT_EQ(defaults.register_period, std::chrono::milliseconds(30'000));
  EXPECT_EQ(defaults.Takeover(), std::chrono::milliseconds(120'000 + 3'000 + 30'000 + 10'000));
  EXPECT_EQ(defaults.Hold(), std::chrono::milliseconds(40'000));
  // The hold must end before the name server closes an idle connection (120 s).
  EXPECT_LT(defaults.Hold(), std::chrono::milliseconds(120'000));

  HandoverTimings fast = TimingsFromBrokerConfig(
      {{"updateNameServerAddrPeriod", "10000"}, {"registerNameServerPeriod", "5000"}});
  EXPECT_EQ(fast.list_refresh, std::chrono::milliseconds(10'000));
  EXPECT_EQ(fast.register_period, std::chrono::milliseconds(10'000));  // clamped like the broker
  HandoverTimings slow = TimingsFromBrokerConfig({{"registerNameServerPeriod", "600000"}});
  EXPECT_EQ(slow.register_period, std::chrono::milliseconds(60'000));
  EXPECT_LT(slow.Hold(), std::chrono::milliseconds(120'000));
  HandoverTimings junk = TimingsFromBrokerConfig({{"updateNameServerAddrPeriod", "x"}});
  EXPECT_EQ(junk.list_refresh, std::chrono::milliseconds(120'000));
}

TEST(RegistrationTest, NameServerListValidation) {
  EXPECT_TRUE(ValidateNameServerList({"10.0.0.1:9876", "ns-1.ns.default.svc:9876"}).ok());
  EXPECT_TRUE(ValidateNameServerList({"[::1]:9876"}).ok());
  for (const std::vector<std::string>& bad : std::vector<std::vector<std::string>>{
           {},
           {"10.0.0.1"},
           {":9876"},
           {"10.0.0.1:0"},
           {"10.0.0.1:65536"},
           {"10.0.0.1:98x"},
           {"10.0.0.1:9876;10.0.0.2:9876"},
           {"10.0.0.1 :9876"},
           {"a:1", "a:1"},
       }) {
    absl::Status s = ValidateNameServerList(bad);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << (bad.empty() ? "" : bad[0]);
    EXPECT_NE(s.message().find("name_servers"), std::string::npos);
  }
  std::vector<std::string> many;
  many.reserve(33);
  for (int i = 0; i < 33; ++i) many.push_back("h:" + std::to_string(1000 + i));
  EXPECT_EQ(ValidateNameServerList(many).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(JoinNameServers({"a:1", "b:2"}), "a:1;b:2");
}

TEST(RegistrationTest, IsRegisteredNeedsClusterNameIdAndAddress) {
  rocketmq::ClusterInfo info;
  rocketmq::BrokerData& b = info.brokers["b-0"];
  b.cluster = "C1";
  b.broker_name = "b-0";
  b.broker_addrs[0] = "10.0.0.5:10911";
  EXPECT_TRUE(IsRegistered(info, "C1", "b-0", 0, "10.0.0.5:10911"));
  EXPECT_FALSE(IsRegistered(info, "C2", "b-0", 0, "10.0.0.5:10911"));
  EXPECT_FALSE(IsRegistered(info, "C1", "b-1", 0, "10.0.0.5:10911"));
  EXPECT_FALSE(IsRegistered(info, "C1", "b-0", 1, "10.0.0.5:10911"));
  EXPECT_FALSE(IsRegistered(info, "C1", "b-0", 0, "10.0.0.6:10911"));
}

}  // namespace
}  // namespace rmq::agent
