#include "common/rocketmq/remoting/fastjson.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace rmq::rocketmq {
namespace {

using nlohmann::json;

json Parse(std::string_view text) {
  absl::StatusOr<json> v = ParseFastJson(text);
  EXPECT_TRUE(v.ok()) << v.status() << " for " << text;
  return v.ok() ? *v : json();
}

TEST(FastJsonTest, UnquotedNumericKeys) {
  // GET_BROKER_CLUSTER_INFO, as fastjson writes it.
  json v = Parse(
      R"({"brokerAddrTable":{"broker-a":{"brokerAddrs":{0:"127.0.0.1:10911",1:"127.0.0.1:10921"},)"
      R"("brokerName":"broker-a","cluster":"DefaultCluster","enableActingMaster":false}},)"
      R"("clusterAddrTable":{"DefaultCluster":["broker-a"]}})");
  const json& addrs = v["brokerAddrTable"]["broker-a"]["brokerAddrs"];
  EXPECT_EQ(addrs["0"], "127.0.0.1:10911");
  EXPECT_EQ(addrs["1"], "127.0.0.1:10921");
  EXPECT_EQ(Parse("{-1:2}")["-1"], 2);
}

TEST(FastJsonTest, ObjectKeysKeepRawTextAndReparse) {
  // GET_CONSUME_STATS offsetTable keyed by MessageQueue objects.
  json v = Parse(
      R"({"consumeTps":0.5,"offsetTable":{{"brokerName":"b","queueId":3,"topic":"t"}:)"
      R"({"brokerOffset":10,"consumerOffset":8,"lastTimestamp":1700000000000,"pullOffset":8}}})");
  ASSERT_EQ(v["offsetTable"].size(), 1u);
  auto it = v["offsetTable"].begin();
  EXPECT_EQ(it.key(), R"({"brokerName":"b","queueId":3,"topic":"t"})");
  absl::StatusOr<json> key = ParseObjectKey(it.key());
  ASSERT_TRUE(key.ok());
  EXPECT_EQ((*key)["queueId"], 3);
  EXPECT_EQ((*it)["lastTimestamp"].get<int64_t>(), 1700000000000);
  EXPECT_DOUBLE_EQ(v["consumeTps"].get<double>(), 0.5);
  EXPECT_FALSE(ParseObjectKey("12").ok());
}

TEST(FastJsonTest, SixtyFourBitNumbersNeverGoThroughDouble) {
  json v = Parse(R"({"max":9223372036854775807,"min":-9223372036854775808,)"
                 R"("big":18446744073709551615,"odd":9007199254740993,"huge":1e400})");
  EXPECT_TRUE(v["max"].is_number_integer());
  EXPECT_EQ(v["max"].get<int64_t>(), std::numeric_limits<int64_t>::max());
  EXPECT_EQ(v["min"].get<int64_t>(), std::numeric_limits<int64_t>::min());
  EXPECT_TRUE(v["big"].is_number_unsigned());
  EXPECT_EQ(v["big"].get<uint64_t>(), std::numeric_limits<uint64_t>::max());
  EXPECT_EQ(v["odd"].get<int64_t>(), 9007199254740993);  // not representable as double
  EXPECT_TRUE(std::isinf(v["huge"].get<double>()));
  json past = Parse("[18446744073709551616]");
  EXPECT_TRUE(past[0].is_number_float());
}

TEST(FastJsonTest, NonFiniteWordsAndWhitespace) {
  json v = Parse("{\r\n\t\"a\" :\tNaN ,\n \"b\": Infinity, \"c\" : -Infinity\t}\n");
  EXPECT_TRUE(std::isnan(v["a"].get<double>()));
  EXPECT_EQ(v["b"].get<double>(), std::numeric_limits<double>::infinity());
  EXPECT_EQ(v["c"].get<double>(), -std::numeric_limits<double>::infinity());
  // Pretty-printed store file with numeric keys on their own lines.
  json offsets = Parse("{\n\t\"offsetTable\":{\n\t\t\"t@g\":{0:37960,1:37961\n\t\t}\n\t}\n}");
  EXPECT_EQ(offsets["offsetTable"]["t@g"]["1"], 37961);
}

TEST(FastJsonTest, RefObjectsStayObjects) {
  json v = Parse(R"({"a":{"x":1},"b":{"$ref":"$.a"}})");
  EXPECT_EQ(v["b"]["$ref"], "$.a");
}

TEST(FastJsonTest, StringEscapesAndUtf8) {
  json v = Parse(R"(["a\"b\\c\/\b\f\n\r\t", "\u00e9\ud83d\ude00", "\ud800x", "\u0041"])");
  EXPECT_EQ(v[0], "a\"b\\c/\b\f\n\r\t");
  EXPECT_EQ(v[1], "\xC3\xA9\xF0\x9F\x98\x80");
  EXPECT_EQ(v[2], "\xEF\xBF\xBDx");  // lone surrogate -> U+FFFD
  EXPECT_EQ(v[3], "A");
  // Invalid UTF-8 bytes are replaced, so the value can always be dumped again.
  json bad = Parse(std::string("[\"a\xFF\xC3\"]"));
  EXPECT_EQ(bad[0], "a\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_NO_THROW(bad.dump());
}

TEST(FastJsonTest, DuplicateKeysKeepTheLast) { EXPECT_EQ(Parse(R"({"a":1,"a":2})")["a"], 2); }

TEST(FastJsonTest, RejectsMalformedInput) {
  for (std::string_view bad : {"",         "{",           "}",       "[1,]",
                               R"({"a"})", R"({"a":})",   "{a:1}",   R"("unterminated)",
                               "[1 2]",    R"({"a":1,})", "tru",     "-",
                               "1.",       "1e",          R"("\x")", R"("\u12")",
                               "{} {}",    "nul",         "{1.5:2}", R"(["\ud800\u12"])"}) {
    absl::StatusOr<json> v = ParseFastJson(bad);
    EXPECT_FALSE(v.ok()) << "accepted: " << bad;
    if (!v.ok()) {
      EXPECT_EQ(v.status().code(), absl::StatusCode::kInvalidArgument);
    }
  }
}

TEST(FastJsonTest, DeepNestingIsAnErrorNotACrash) {
  std::string deep(100000, '[');
  EXPECT_FALSE(ParseFastJson(deep).ok());
  std::string keys;
  for (int i = 0; i < 100000; ++i) keys += "{{";
  EXPECT_FALSE(ParseFastJson(keys).ok());
  std::string ok_depth = std::string(kMaxJsonDepth, '[') + std::string(kMaxJsonDepth, ']');
  EXPECT_TRUE(ParseFastJson(ok_depth).ok());
}

}  // namespace
}  // namespace rmq::rocketmq
