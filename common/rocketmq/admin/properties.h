// properties.h: Java properties text, as UPDATE_BROKER_CONFIG reads it and GET_BROKER_CONFIG
// writes it (rocketmq-protocol.md §2.4).
//
// The broker loads our request body with java.util.Properties.load(), which reads ISO-8859-1 and
// treats '\\', '=', ':', '#', '!' and leading whitespace specially, so EncodeProperties() escapes
// all of them and writes non-ASCII characters as \uXXXX. The broker's own output is plain
// `key=value` lines; ParseProperties() splits each at the first '=' and skips blank lines and
// '#'/'!' comments. Pure functions.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace rmq::rocketmq {

// Fails if a key is empty.
absl::StatusOr<std::string> EncodeProperties(const std::map<std::string, std::string>& props);

std::map<std::string, std::string> ParseProperties(std::string_view text);

}  // namespace rmq::rocketmq
