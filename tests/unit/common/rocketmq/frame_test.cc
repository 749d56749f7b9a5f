#include "common/rocketmq/remoting/frame.h"

#include <gtest/gtest.h>

#include <string>

#include "common/rocketmq/remoting/codes.h"

namespace rmq::rocketmq {
namespace {

std::string Hex(std::string_view bytes) {
  static const char* kDigits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 0xF]);
  }
  return out;
}

std::string FromHex(std::string_view hex) {
  std::string out;
  auto val = [](char c) { return c <= '9' ? c - '0' : c - 'a' + 10; };
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    if (hex[i] == ' ') {
      --i;
      continue;
    }
    out.push_back(static_cast<char>(val(hex[i]) * 16 + val(hex[i + 1])));
  }
  return out;
}

RemotingCommand RouteRequest() {
  RemotingCommand cmd = RemotingCommand::Request(request_code::kGetRouteInfoByTopic);
  cmd.ext_fields["topic"] = "TopicTest";
  cmd.opaque = 1;
  cmd.version = 479;
  return cmd;
}

// rocketmq-protocol.md §1.8 Example A.
TEST(FrameTest, EncodesJsonHeaderByteForByte) {
  absl::StatusOr<std::string> frame = EncodeFrame(RouteRequest());
  ASSERT_TRUE(frame.ok()) << frame.status();
  const std::string header =
      R"({"code":105,"extFields":{"topic":"TopicTest"},"flag":0,"language":"CPP","opaque":1,)"
      R"("serializeTypeCurrentRPC":"JSON","version":479})";
  ASSERT_EQ(header.size(), 130u);
  EXPECT_EQ(Hex(frame->substr(0, 8)), "0000008600000082");
  EXPECT_EQ(frame->substr(8), header);
  EXPECT_EQ(frame->size(), 138u);
}

// Example B: the same request with the binary header.
TEST(FrameTest, EncodesBinaryHeaderByteForByte) {
  absl::StatusOr<std::string> frame = EncodeFrame(RouteRequest(), SerializeType::kRocketMQ);
  ASSERT_TRUE(frame.ok()) << frame.status();
  EXPECT_EQ(Hex(*frame),
            "0000002d01000029006901"
            "01df"
            "00000001"
            "00000000"
            "00000000"
            "00000014"
            "0005746f706963"
            "00000009546f70696354657374");
}

// Example C: a body after the header.
TEST(FrameTest, EncodesBody) {
  RemotingCommand cmd = RemotingCommand::Request(request_code::kUpdateBrokerConfig);
  cmd.opaque = 2;
  cmd.version = 479;
  cmd.body = "namesrvAddr=127.0.0.1:9876\n";
  absl::StatusOr<std::string> frame = EncodeFrame(cmd);
  ASSERT_TRUE(frame.ok());
  EXPECT_EQ(Hex(frame->substr(0, 8)), "0000007e0000005f");
  EXPECT_EQ(frame->substr(8 + 95), cmd.body);
}

// Example D: a JSON response and its binary twin decode to the same command.
TEST(FrameTest, DecodesJsonAndBinaryResponses) {
  std::string json_header =
      R"({"code":0,"extFields":{"offset":"42"},"flag":1,"language":"JAVA","opaque":3,)"
      R"("serializeTypeCurrentRPC":"JSON","version":479})";
  std::string json_frame = FromHex("0000007f0000007b") + json_header;
  absl::StatusOr<RemotingCommand> a = DecodeFrame(json_frame);
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->code, 0);
  EXPECT_EQ(a->opaque, 3);
  EXPECT_TRUE(a->IsResponse());
  EXPECT_EQ(a->version, 479);
  EXPECT_EQ(a->language, "JAVA");
  EXPECT_EQ(a->ext_fields.at("offset"), "42");
  EXPECT_EQ(a->serialize_type, SerializeType::kJson);

  absl::StatusOr<RemotingCommand> b =
      DecodeFrame(FromHex("0000002701000023000000"
                          "01df"
                          "00000003"
                          "00000001"
                          "00000000"
                          "0000000e"
                          "00066f6666736574"
                          "000000023432"));
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(b->serialize_type, SerializeType::kRocketMQ);
  b->serialize_type = SerializeType::kJson;
  EXPECT_EQ(*a, *b);
}

TEST(FrameTest, RoundTripsBothFormats) {
  RemotingCommand cmd = RemotingCommand::Request(request_code::kUpdateAndCreateTopic);
  cmd.opaque = -7;
  cmd.flag = kFlagOneway;
  cmd.remark = "r\xC3\xA9mark";
  cmd.ext_fields = {{"topic", "T"}, {"perm", "6"}, {"attributes", "+message.type=NORMAL"}};
  cmd.body = std::string("\0\x01\x02 binary body", 15);
  for (SerializeType type : {SerializeType::kJson, SerializeType::kRocketMQ}) {
    absl::StatusOr<std::string> wire = EncodeFrame(cmd, type);
    ASSERT_TRUE(wire.ok());
    absl::StatusOr<RemotingCommand> back = DecodeFrame(*wire);
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_EQ(back->serialize_type, type);
    back->serialize_type = cmd.serialize_type;
    EXPECT_EQ(*back, cmd);
  }
}

TEST(FrameTest, RejectsOversizedFrames) {
  RemotingCommand cmd = RemotingCommand::Request(request_code::kUpdateAndCreateTopicList);
  cmd.body.assign(kMaxFrameBytes, 'x');
  absl::StatusOr<std::string> wire = EncodeFrame(cmd);
  EXPECT_EQ(wire.status().code(), absl::StatusCode::kOutOfRange);

  // Largest legal length field is 16 MiB - 4.
  EXPECT_TRUE(DecodeFrameLength(FromHex("00fffffc")).ok());
  absl::StatusOr<uint32_t> too_big = DecodeFrameLength(FromHex("00fffffd"));
  EXPECT_EQ(too_big.status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_NE(too_big.status().message().find("limit"), absl::string_view::npos);
  EXPECT_FALSE(DecodeFrameLength(FromHex("ffffffff")).ok());
  EXPECT_FALSE(DecodeFrameLength(FromHex("00000003")).ok());
  EXPECT_FALSE(DecodeFrameLength(FromHex("0000")).ok());
}

TEST(FrameTest, RejectsTruncatedAndMalformedFrames) {
  absl::StatusOr<std::string> wire = EncodeFrame(RouteRequest());
  ASSERT_TRUE(wire.ok());
  // Every proper prefix is rejected by the whole-frame decoder.
  for (size_t n = 0; n < wire->size(); ++n) {
    EXPECT_FALSE(DecodeFrame(wire->substr(0, n)).ok()) << n;
  }
  // Header length larger than the frame.
  std::string bad = *wire;
  bad[7] = static_cast<char>(0xFF);
  EXPECT_FALSE(DecodeFrame(bad).ok());
  // Unknown serialize type.
  bad = *wire;
  bad[4] = 5;
  absl::StatusOr<RemotingCommand> unknown = DecodeFrame(bad);
  EXPECT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("serialize type"), absl::string_view::npos);
  // Header that is not JSON, and JSON without code.
  EXPECT_FALSE(DecodeFrame(FromHex("0000000600000002") + "{x").ok());
  EXPECT_FALSE(DecodeFrame(FromHex("0000000e0000000a") + R"({"flag":1})").ok());
  // Binary header with an ext length past its end.
  absl::StatusOr<std::string> bin = EncodeFrame(RouteRequest(), SerializeType::kRocketMQ);
  ASSERT_TRUE(bin.ok());
  bad = *bin;
  bad[8 + 17 + 3] = 0x7F;  // extLen
  EXPECT_FALSE(DecodeFrame(bad).ok());
  // Binary header truncated inside the fixed part.
  EXPECT_FALSE(DecodeFrame(FromHex("0000000801000004") + std::string(4, '\0')).ok());
}

TEST(FrameTest, StreamDecoderHandlesArbitrarySplits) {
  std::string stream;
  for (int i = 0; i < 5; ++i) {
    RemotingCommand cmd = RouteRequest();
    cmd.opaque = i;
    cmd.body = std::string(static_cast<size_t>(i) * 100, 'b');
    stream += *EncodeFrame(cmd, i % 2 == 0 ? SerializeType::kJson : SerializeType::kRocketMQ);
  }
  for (size_t step : {1u, 3u, 7u, 64u, 1000u}) {
    FrameDecoder decoder;
    int seen = 0;
    for (size_t pos = 0; pos < stream.size(); pos += step) {
      decoder.Append(std::string_view(stream).substr(pos, step));
      while (true) {
        auto next = decoder.Next();
        ASSERT_TRUE(next.ok()) << next.status();
        if (!next->has_value()) break;
        EXPECT_EQ((*next)->opaque, seen);
        EXPECT_EQ((*next)->body.size(), static_cast<size_t>(seen) * 100);
        ++seen;
      }
    }
    EXPECT_EQ(seen, 5) << "step " << step;
    EXPECT_EQ(decoder.buffered(), 0u);
  }
}

TEST(FrameTest, StreamDecoderReportsBadLength) {
  FrameDecoder decoder;
  decoder.Append(FromHex("7fffffff00000000"));
  EXPECT_FALSE(decoder.Next().ok());
}

}  // namespace
}  // namespace rmq::rocketmq
