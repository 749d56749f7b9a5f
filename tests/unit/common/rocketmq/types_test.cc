#include "common/rocketmq/admin/types.h"

#include <gtest/gtest.h>

#include "common/rocketmq/admin/properties.h"
#include "common/rocketmq/remoting/fastjson.h"
#include "common/rocketmq/remoting/status.h"

namespace rmq::rocketmq {
namespace {

Json Parse(std::string_view text) {
  absl::StatusOr<Json> v = ParseFastJson(text);
  EXPECT_TRUE(v.ok()) << v.status();
  return v.ok() ? *v : Json();
}

TEST(TypesTest, ClusterInfoWithNumericBrokerIds) {
  absl::StatusOr<ClusterInfo> info = ClusterInfoFromJson(
      Parse(R"({"brokerAddrTable":{"c-0":{"brokerAddrs":{0:"10.0.0.1:10911",1:"10.0.0.2:10911"},)"
            R"("brokerName":"c-0","cluster":"c","enableActingMaster":false,"zoneName":"z"}},)"
            R"("clusterAddrTable":{"c":["c-0"]}})"));
  ASSERT_TRUE(info.ok()) << info.status();
  const BrokerData& b = info->brokers.at("c-0");
  EXPECT_EQ(b.broker_addrs.at(0), "10.0.0.1:10911");
  EXPECT_EQ(b.broker_addrs.at(1), "10.0.0.2:10911");
  EXPECT_EQ(b.zone_name, "z");
  EXPECT_EQ(info->clusters.at("c"), std::vector<std::string>{"c-0"});
  EXPECT_FALSE(
      ClusterInfoFromJson(Parse(R"({"brokerAddrTable":{"x":{"brokerAddrs":{"a":"b"}}}})")).ok());
}

TEST(TypesTest, ConsumeStatsWithObjectKeys) {
  absl::StatusOr<ConsumeStats> stats = ConsumeStatsFromJson(Parse(
      R"({"consumeTps":1.5,"offsetTable":{)"
      R"({"brokerName":"b","queueId":1,"topic":"t"}:{"brokerOffset":10,"consumerOffset":4,"lastTimestamp":5,"pullOffset":6},)"
      R"({"brokerName":"b","queueId":0,"topic":"t"}:{"brokerOffset":3,"consumerOffset":3,"lastTimestamp":0,"pullOffset":3}}})"));
  ASSERT_TRUE(stats.ok()) << stats.status();
  ASSERT_EQ(stats->offsets.size(), 2u);
  EXPECT_EQ(stats->offsets[0].queue.queue_id, 0);
  EXPECT_EQ(stats->offsets[1].lag(), 6);
  EXPECT_DOUBLE_EQ(stats->consume_tps, 1.5);
  EXPECT_FALSE(ConsumeStatsFromJson(Parse(R"({"offsetTable":{"notanobject":{}}})")).ok());
}

TEST(TypesTest, TopicStatsAndRoute) {
  absl::StatusOr<TopicStats> stats = TopicStatsFromJson(
      Parse(R"({"offsetTable":{{"brokerName":"b","queueId":0,"topic":"t"}:)"
            R"({"lastUpdateTimestamp":7,"maxOffset":9,"minOffset":1}},"topicPutTps":0.0})"));
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->offsets.at(0).max_offset, 9);
  absl::StatusOr<TopicRouteData> route = TopicRouteDataFromJson(
      Parse(R"({"brokerDatas":[{"brokerAddrs":{"0":"a:1"},"brokerName":"b","cluster":"c"}],)"
            R"("filterServerTable":{},"queueDatas":[{"brokerName":"b","perm":6,"readQueueNums":4,)"
            R"("topicSysFlag":0,"writeQueueNums":4}]})"));
  ASSERT_TRUE(route.ok());
  EXPECT_EQ(route->queue_datas.at(0).read_queue_nums, 4);
  EXPECT_EQ(route->broker_datas.at(0).broker_addrs.at(0), "a:1");
}

TEST(TypesTest, TopicConfigRoundTripAndCreatePrefix) {
  Json stored =
      Parse(R"({"attributes":{"message.type":"FIFO"},"order":true,"perm":4,"readQueueNums":2,)"
            R"("topicFilterType":"MULTI_TAG","topicName":"T","topicSysFlag":1,"writeQueueNums":3,)"
            R"("unknownFutureField":1})");
  absl::StatusOr<TopicConfig> t = TopicConfigFromJson(stored);
  ASSERT_TRUE(t.ok());
  EXPECT_TRUE(t->order);
  EXPECT_EQ(t->write_queue_nums, 3);
  Json back = ToJson(*t);
  stored.erase("unknownFutureField");
  EXPECT_EQ(back, stored);
  EXPECT_EQ(TopicConfigToCreateJson(*t)["attributes"], (Json{{"+message.type", "FIFO"}}));
  EXPECT_EQ(AttributesToCreateString({{"a", "1"}, {"+b", "2"}}), "+b=2,+a=1");  // map order
  EXPECT_FALSE(TopicConfigFromJson(Parse(R"({"perm":"x","topicName":"T"})")).ok());
  EXPECT_FALSE(TopicConfigFromJson(Parse(R"({"perm":6})")).ok());
}

TEST(TypesTest, SubscriptionGroupKeepsAllFields) {
  Json stored = Parse(R"({"attributes":{"k":"v"},"groupName":"G","retryMaxTimes":3,)"
                      R"("groupRetryPolicy":{"type":"CUSTOMIZED"}})");
  absl::StatusOr<SubscriptionGroupConfig> g = SubscriptionGroupConfigFromJson(stored);
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(g->json, stored);
  Json create = SubscriptionGroupToCreateJson(*g);
  EXPECT_EQ(create["attributes"], (Json{{"+k", "v"}}));
  EXPECT_EQ(create["groupRetryPolicy"], stored["groupRetryPolicy"]);
}

TEST(TypesTest, ConsumerOffsetTableWithIntegerKeys) {
  absl::StatusOr<std::vector<ConsumerOffsets>> offsets =
      ConsumerOffsetsFromJson(Parse(R"({"dataVersion":{"counter":1},"groupTopicMap":{"g":["t@x"]},)"
                                    R"("offsetTable":{"t@x@g":{0:5,1:9},"%RETRY%g@g":{0:0}}})"));
  ASSERT_TRUE(offsets.ok()) << offsets.status();
  ASSERT_EQ(offsets->size(), 2u);
  const ConsumerOffsets& retry = (*offsets)[0];  // sorted keys: '%' < 't'
  EXPECT_EQ(retry.topic, "%RETRY%g");
  EXPECT_EQ(retry.group, "g");
  const ConsumerOffsets& main = (*offsets)[1];
  EXPECT_EQ(main.topic, "t@x");  // the group follows the last '@'
  EXPECT_EQ(main.group, "g");
  EXPECT_EQ(main.queue_offsets.at(1), 9);
  EXPECT_FALSE(ConsumerOffsetsFromJson(Parse(R"({"offsetTable":{"nogroup":{0:1}}})")).ok());
  EXPECT_FALSE(ConsumerOffsetsFromJson(Parse(R"({"offsetTable":{"t@g":{"x":1}}})")).ok());
}

TEST(TypesTest, NameValidation) {
  EXPECT_TRUE(ValidateTopicName("%RETRY%g_1-x|y").ok());
  EXPECT_FALSE(ValidateTopicName("").ok());
  EXPECT_FALSE(ValidateTopicName("a b").ok());
  EXPECT_FALSE(ValidateTopicName(std::string(128, 'a')).ok());
  EXPECT_TRUE(ValidateTopicName(std::string(127, 'a')).ok());
  EXPECT_TRUE(ValidateGroupName(std::string(255, 'g')).ok());
  EXPECT_FALSE(ValidateGroupName("g/1").ok());
}

TEST(PropertiesTest, EncodesWhatJavaPropertiesLoadExpects) {
  absl::StatusOr<std::string> text = EncodeProperties(
      {{"namesrvAddr", "127.0.0.1:9876;127.0.0.2:9876"}, {"k e=y", " lead\\\n\xC3\xA9"}});
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(*text,
            "k\\ e\\=y=\\ lead\\\\\\n\\u00E9\n"
            "namesrvAddr=127.0.0.1\\:9876;127.0.0.2\\:9876\n");
  EXPECT_FALSE(EncodeProperties({{"", "v"}}).ok());
}

TEST(PropertiesTest, ParsesBrokerOutput) {
  auto props = ParseProperties("a=1\n# comment\n\nnamesrvAddr=x:1;y:2\r\nempty=\nflag\n");
  EXPECT_EQ(props.at("a"), "1");
  EXPECT_EQ(props.at("namesrvAddr"), "x:1;y:2");
  EXPECT_EQ(props.at("empty"), "");
  EXPECT_EQ(props.at("flag"), "");
  EXPECT_EQ(props.size(), 4u);
}

TEST(StatusTest, MapsResponseCodes) {
  RemotingCommand resp;
  resp.flag = kFlagResponse;
  EXPECT_TRUE(ResponseStatus(resp, 17, "b:1").ok());
  resp.code = 17;
  resp.remark = "No topic route info in name server for the topic: T";
  absl::Status s = ResponseStatus(resp, 105, "ns:9876");
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(RemotingResponseCode(s), 17);
  EXPECT_NE(s.message().find("GET_ROUTEINFO_BY_TOPIC"), absl::string_view::npos);
  EXPECT_NE(s.message().find("ns:9876"), absl::string_view::npos);
  EXPECT_NE(s.message().find("No topic route"), absl::string_view::npos);
  resp.code = 3;
  EXPECT_EQ(ResponseStatus(resp, 18, "b").code(), absl::StatusCode::kUnimplemented);
  resp.code = 16;
  EXPECT_EQ(ResponseStatus(resp, 25, "b").code(), absl::StatusCode::kPermissionDenied);
  resp.code = 1;
  EXPECT_EQ(ResponseStatus(resp, 25, "b").code(), absl::StatusCode::kUnknown);
  EXPECT_EQ(RemotingResponseCode(absl::InternalError("x")), std::nullopt);
}

}  // namespace
}  // namespace rmq::rocketmq
