// AdminClient logic that a RocketMQ 5.3.3 broker does not exercise: the fallback to one request
// per topic/group on brokers without the batch request codes (4.9.x, 5.0-5.2), driven by a
// scripted 4.9-style peer. The batch path and broker quirks are covered against a real broker in
// tests/integration/rocketmq/admin_integration_test.cc.
#include "common/rocketmq/admin/admin_client.h"

#include <gtest/gtest.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/net/blocking.h"
#include "common/rocketmq/remoting/codes.h"
#include "common/rocketmq/remoting/fastjson.h"
#include "tests/support/scripted_peer.h"

namespace rmq::rocketmq {
namespace {

using testing::ReadFrame;
using testing::Reply;
using testing::ScriptedPeer;
using testing::tcp;

// An in-memory broker that, like 4.9.x, has no batch request codes.
struct OldBroker {
  std::map<std::string, Json> topics;
  std::map<std::string, Json> groups;
  std::vector<int32_t> codes;  // every request code received
  std::map<std::string, std::string> last_delete_fields;

  asio::awaitable<void> Serve(tcp::socket s) {
    while (true) {
      absl::StatusOr<RemotingCommand> req = co_await ReadFrame(s);
      if (!req.ok()) co_return;
      std::pair<int32_t, std::string> answer = Handle(*req);
      co_await Reply(s, *req, std::move(answer.second), answer.first);
    }
  }

  // (response code, body) for one request.
  std::pair<int32_t, std::string> Handle(RemotingCommand& req) {
    codes.push_back(req.code);
    namespace rc = request_code;
    const std::string none;
    switch (req.code) {
      case rc::kGetAllTopicConfig:
        return {0, Json{{"topicConfigTable", Json(topics)}}.dump()};
      case rc::kGetAllSubscriptionGroupConfig:
        return {0, Json{{"subscriptionGroupTable", Json(groups)}}.dump()};
      case rc::kUpdateAndCreateTopic: {
        auto& f = req.ext_fields;
        int r = 0;
        int w = 0;
        int perm = 0;
        bool ok = absl::SimpleAtoi(f["readQueueNums"], &r) &&
                  absl::SimpleAtoi(f["writeQueueNums"], &w) && absl::SimpleAtoi(f["perm"], &perm);
        if (!ok || f["topic"].empty() || f["topicFilterType"].empty() || f["order"].empty()) {
          return {response_code::kSystemError, none};
        }
        topics[f["topic"]] = Json{{"topicName", f["topic"]},
                                  {"readQueueNums", r},
                                  {"writeQueueNums", w},
                                  {"perm", perm},
                                  {"topicFilterType", f["topicFilterType"]},
                                  {"topicSysFlag", 0},
                                  {"order", f["order"] == "true"}};
        return {0, none};
      }
      case rc::kUpdateAndCreateSubscriptionGroup: {
        absl::StatusOr<Json> body = ParseFastJson(req.body);
        Json g = Json{{"retryMaxTimes", 16}, {"consumeEnable", true}};
        if (body.ok()) g.update(*body);
        groups[g["groupName"].get<std::string>()] = g;
        return {0, none};
      }
      case rc::kDeleteSubscriptionGroup:
        last_delete_fields = req.ext_fields;
        groups.erase(req.ext_fields["groupName"]);
        return {0, none};
      default:
        return {response_code::kRequestCodeNotSupported, none};
    }
  }

  int Count(int32_t code) const {
    return static_cast<int>(std::count(codes.begin(), codes.end(), code));
  }
};

class AdminClientFallbackTest : public ::testing::Test {
 protected:
  AdminClientFallbackTest()
      : peer_(io_, [this](tcp::socket s, int) { return broker_.Serve(std::move(s)); }),
        client_(io_.get_executor(), ClientOptions{}),
        admin_(client_) {}

  asio::io_context io_;
  OldBroker broker_;
  ScriptedPeer peer_;
  RemotingClient client_;
  AdminClient admin_;
};

TEST_F(AdminClientFallbackTest, TopicsFallBackToSingleRequests) {
  std::vector<TopicConfig> topics;
  for (int i = 0; i < 50; ++i) {
    TopicConfig t;
    t.topic_name = absl::StrCat("Old", i);
    t.read_queue_nums = 1 + i % 4;
    t.write_queue_nums = 1 + i % 4;
    topics.push_back(t);
  }
  absl::StatusOr<BatchResult> r = net::BlockOn(io_, admin_.CreateTopics(peer_.addr(), topics));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->ok());
  EXPECT_FALSE(r->batch_supported);
  EXPECT_EQ(r->created, 50);
  EXPECT_EQ(r->requests, 51);  // one refused batch, then one request per topic
  EXPECT_EQ(broker_.Count(request_code::kUpdateAndCreateTopicList), 1);
  EXPECT_EQ(broker_.Count(request_code::kUpdateAndCreateTopic), 50);
  ASSERT_EQ(broker_.topics.size(), 50u);
  EXPECT_EQ(broker_.topics.at("Old3")["readQueueNums"], 4);

  // Idempotent: nothing is sent the second time.
  absl::StatusOr<BatchResult> again = net::BlockOn(io_, admin_.CreateTopics(peer_.addr(), topics));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->unchanged, 50);
  EXPECT_EQ(again->requests, 0);
}

TEST_F(AdminClientFallbackTest, GroupsFallBackAndDeleteSendsBothOffsetFlags) {
  std::vector<SubscriptionGroupConfig> groups;
  for (int i = 0; i < 20; ++i) {
    SubscriptionGroupConfig g;
    g.group_name = absl::StrCat("G", i);
    g.json = Json{{"groupName", g.group_name}, {"retryMaxTimes", i}};
    groups.push_back(g);
  }
  absl::StatusOr<BatchResult> r =
      net::BlockOn(io_, admin_.CreateSubscriptionGroups(peer_.addr(), groups));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_FALSE(r->batch_supported);
  EXPECT_EQ(r->created, 20);
  EXPECT_EQ(broker_.Count(request_code::kUpdateAndCreateSubscriptionGroup), 20);
  EXPECT_EQ(broker_.groups.at("G7")["retryMaxTimes"], 7);

  // A group read back from the broker has defaults the request did not name: still unchanged.
  absl::StatusOr<BatchResult> again =
      net::BlockOn(io_, admin_.CreateSubscriptionGroups(peer_.addr(), groups));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->unchanged, 20);

  ASSERT_TRUE(net::BlockOn(io_, admin_.DeleteSubscriptionGroup(peer_.addr(), "G1", true)).ok());
  EXPECT_EQ(broker_.last_delete_fields.at("removeOffset"), "true");
  EXPECT_EQ(broker_.last_delete_fields.at("cleanOffset"), "true");
  EXPECT_EQ(broker_.groups.count("G1"), 0u);
  absl::StatusOr<SubscriptionGroupConfig> gone =
      net::BlockOn(io_, admin_.GetSubscriptionGroup(peer_.addr(), "G1"));
  EXPECT_EQ(gone.status().code(), absl::StatusCode::kNotFound);
}

TEST_F(AdminClientFallbackTest, GetTopicConfigFallsBackToTheFullTable) {
  TopicConfig t;
  t.topic_name = "Solo";
  ASSERT_TRUE(net::BlockOn(io_, admin_.CreateTopic(peer_.addr(), t)).ok());
  absl::StatusOr<TopicConfig> got = net::BlockOn(io_, admin_.GetTopicConfig(peer_.addr(), "Solo"));
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(*got, t);
  EXPECT_EQ(net::BlockOn(io_, admin_.GetTopicConfig(peer_.addr(), "None")).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(AdminClientFallbackTest, InvalidInputNeverReachesTheBroker) {
  TopicConfig bad;
  bad.topic_name = "has space";
  EXPECT_EQ(net::BlockOn(io_, admin_.CreateTopic(peer_.addr(), bad)).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(net::BlockOn(io_, admin_.UpdateBrokerConfig(peer_.addr(), {})).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(broker_.codes.empty());
}

}  // namespace
}  // namespace rmq::rocketmq
