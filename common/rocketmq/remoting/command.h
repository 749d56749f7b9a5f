// command.h: RemotingCommand, one RocketMQ remoting request or response.
//
// Mirrors the Java class of the same name (rocketmq-protocol.md §1.3): `code` is the request code
// on requests and the response code on responses; `ext_fields` carries the custom header (all
// values are strings on the wire); `body` is opaque bytes. Value type, no invariants beyond the
// wire limits checked by the codec in frame.h.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace rmq::rocketmq {

enum class SerializeType : uint8_t { kJson = 0, kRocketMQ = 1 };

inline constexpr int32_t kFlagResponse = 0x1;
inline constexpr int32_t kFlagOneway = 0x2;
// Version ordinal sent when none is chosen: V4_9_8, valid for 4.9.x and 5.x servers, and >= 401
// so name servers return standard JSON for routes (rocketmq-protocol.md §1.7).
inline constexpr int32_t kDefaultClientVersion = 409;

struct RemotingCommand {
  int32_t code = 0;
  std::string language = "CPP";
  int32_t version = kDefaultClientVersion;
  int32_t opaque = 0;
  int32_t flag = 0;
  std::optional<std::string> remark;
  std::map<std::string, std::string> ext_fields;
  std::string body;
  // The header format the frame was decoded from (informational on requests we build).
  SerializeType serialize_type = SerializeType::kJson;

  bool IsResponse() const { return (flag & kFlagResponse) != 0; }
  bool IsOneway() const { return (flag & kFlagOneway) != 0; }

  static RemotingCommand Request(int32_t code) {
    RemotingCommand cmd;
    cmd.code = code;
    return cmd;
  }

  friend bool operator==(const RemotingCommand&, const RemotingCommand&) = default;
};

}  // namespace rmq::rocketmq
