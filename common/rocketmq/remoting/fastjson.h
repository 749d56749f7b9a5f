// fastjson.h: a tolerant JSON reader for what RocketMQ's fastjson 1.x (and fastjson2) write.
//
// Standard JSON readers reject RocketMQ response bodies and store files because fastjson writes
// map keys that are not strings (rocketmq-protocol.md §3.1, §3.3):
//   - numeric keys without quotes:   {"brokerAddrs":{0:"127.0.0.1:10911"}}
//   - object keys written inline: {"offsetTable":{{"brokerName":"b","queueId":0,"topic":"t"}:{..}}}
// and int64 values that must never pass through a double.
//
// ParseFastJson() accepts all of that and returns an nlohmann::json value in which every object
// key is a string: a numeric key becomes its decimal text ("0"), and an object or array key
// becomes its exact raw source text (`{"brokerName":"b","queueId":0,"topic":"t"}`), which
// ParseFastJson() can parse again to rebuild the key (see ParseObjectKey()). Integers without a
// fraction or exponent are int64 (uint64 above INT64_MAX); other numbers are doubles; the bare
// words NaN, Infinity and -Infinity are accepted. Whitespace (tabs, CR/LF) is free; `$ref` objects
// are kept as plain objects; duplicate keys keep the last value; invalid UTF-8 inside strings is
// replaced by U+FFFD so every result can be serialized again.
//
// Errors are InvalidArgument with the byte offset. Nesting deeper than kMaxJsonDepth is an error,
// never a stack overflow. Pure function, thread-safe.
//
// Example:
//   RMQ_ASSIGN_OR_RETURN(nlohmann::json doc, ParseFastJson(response.body));
//   for (auto& [id, addr] : doc["brokerAddrTable"]["b"]["brokerAddrs"].items()) { ... }  // id "0"
#pragma once

#include <string_view>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace rmq::rocketmq {

inline constexpr int kMaxJsonDepth = 256;

// Parses one JSON value (trailing whitespace allowed, anything else after it is an error).
absl::StatusOr<nlohmann::json> ParseFastJson(std::string_view text);

// Parses a key produced for an object-valued key back into its object.
absl::StatusOr<nlohmann::json> ParseObjectKey(std::string_view key);

// Serializes `value` as compact standard JSON; invalid UTF-8 never throws (it is replaced).
std::string DumpJson(const nlohmann::json& value);

}  // namespace rmq::rocketmq
