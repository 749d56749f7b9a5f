// The admin client against a real RocketMQ 5.1.4 broker, which predates the batch request codes
// (UPDATE_AND_CREATE_TOPIC_LIST came in 5.3.0, UPDATE_AND_CREATE_SUBSCRIPTIONGROUP_LIST in
// 5.3.1): batch upserts must fall back to one request per item and still be exact and idempotent.
// Its name server and broker answer in the binary (ROCKETMQ) header format
// (-Drocketmq.serialize.type=ROCKETMQ), so every test here also exercises that decoder.
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "common/rocketmq/admin/admin_client.h"
#include "common/rocketmq/remoting/codes.h"
#include "common/rocketmq/remoting/status.h"
#include "tests/support/admin_env.h"

namespace rmq::rocketmq {
namespace {

constexpr char kOldVersion[] = "5.1.4";

class AdminCompatTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    testing::LocalRocketMQOptions options;
    options.version = kOldVersion;
    options.jvm_properties["rocketmq.serialize.type"] = "ROCKETMQ";
    auto env = testing::AdminTestEnv::Start(options);
    if (!env.ok()) {
      start_error_ = new std::string(env.status().ToString());
      return;
    }
    env_ = env->release();
  }
  static void TearDownTestSuite() {
    delete env_;
    env_ = nullptr;
  }
  void SetUp() override {
    ASSERT_EQ(start_error_, nullptr)
        << "RocketMQ " << kOldVersion << " did not start: " << *start_error_;
  }
  template <typename T>
  static T Run(asio::awaitable<T> work) {
    return env_->Run(std::move(work));
  }
  static AdminClient& Admin() { return env_->admin(); }
  static const std::string& Broker() { return env_->broker(); }

  static inline testing::AdminTestEnv* env_ = nullptr;
  static inline std::string* start_error_ = nullptr;
};

// Every response header carries the server's MQVersion ordinal (V5_1_4 = 441). (Runtime info
// is not used here: 5.1.4 answers GET_BROKER_RUNTIME_INFO with SYSTEM_ERROR
// NoSuchElementException until its stats have samples, as seen right after boot.)
TEST_F(AdminCompatTest, BrokerIsTheOldVersion) {
  auto resp = Run(
      env_->client().Invoke(Broker(), RemotingCommand::Request(request_code::kGetBrokerConfig)));
  ASSERT_TRUE(resp.ok()) << resp.status();
  EXPECT_EQ(resp->code, response_code::kSuccess);
  EXPECT_EQ(resp->version, 441);
  EXPECT_EQ(resp->serialize_type, SerializeType::kRocketMQ);
  EXPECT_FALSE(resp->body.empty());
}

TEST_F(AdminCompatTest, NameServerAnswersInBinaryToo) {
  absl::Status registered = env_->WaitForRegistration();
  ASSERT_TRUE(registered.ok()) << registered;
  auto resp = Run(env_->client().Invoke(
      env_->namesrv(), RemotingCommand::Request(request_code::kGetBrokerClusterInfo)));
  ASSERT_TRUE(resp.ok()) << resp.status();
  EXPECT_EQ(resp->serialize_type, SerializeType::kRocketMQ);
  auto info = Run(Admin().GetBrokerClusterInfo(env_->namesrv()));
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->brokers.at("broker-a").broker_addrs.at(0), Broker());
}

TEST_F(AdminCompatTest, TopicBatchFallsBackToSingleRequests) {
  std::vector<TopicConfig> topics;
  for (int i = 0; i < 100; ++i) {
    TopicConfig t;
    t.topic_name = absl::StrCat("Compat_", i);
    t.read_queue_nums = 1 + i % 4;
    t.write_queue_nums = 1 + i % 4;
    if (i % 2 == 0) t.attributes["message.type"] = "NORMAL";
    topics.push_back(t);
  }
  absl::StatusOr<BatchResult> r = Run(Admin().CreateTopics(Broker(), topics));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->ok()) << ToJson(*r).dump();
  EXPECT_FALSE(r->batch_supported);
  EXPECT_EQ(r->created, 100);
  EXPECT_EQ(r->requests, 101);

  absl::StatusOr<TopicConfigTable> table = Run(Admin().GetAllTopicConfig(Broker()));
  ASSERT_TRUE(table.ok()) << table.status();
  for (const auto& want : topics) {
    ASSERT_EQ(table->topics.count(want.topic_name), 1u) << want.topic_name;
    EXPECT_EQ(table->topics.at(want.topic_name), want);
  }
  absl::StatusOr<BatchResult> again = Run(Admin().CreateTopics(Broker(), topics));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->unchanged, 100);
  EXPECT_EQ(again->requests, 0);
}

TEST_F(AdminCompatTest, GroupBatchFallsBackAndDeleteWorks) {
  std::vector<SubscriptionGroupConfig> groups;
  for (int i = 0; i < 50; ++i) {
    SubscriptionGroupConfig g;
    g.group_name = absl::StrCat("GID_compat_", i);
    g.json = Json{{"groupName", g.group_name}, {"retryMaxTimes", i % 10}};
    groups.push_back(g);
  }
  absl::StatusOr<BatchResult> r = Run(Admin().CreateSubscriptionGroups(Broker(), groups));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->ok()) << ToJson(*r).dump();
  EXPECT_FALSE(r->batch_supported);
  EXPECT_EQ(r->created, 50);
  absl::StatusOr<SubscriptionGroupConfig> g =
      Run(Admin().GetSubscriptionGroup(Broker(), "GID_compat_7"));
  ASSERT_TRUE(g.ok()) << g.status();
  EXPECT_EQ(g->json["retryMaxTimes"], 7);

  ASSERT_TRUE(Run(Admin().DeleteSubscriptionGroup(Broker(), "GID_compat_7", true)).ok());
  EXPECT_EQ(Run(Admin().GetSubscriptionGroup(Broker(), "GID_compat_7")).status().code(),
            absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace rmq::rocketmq
