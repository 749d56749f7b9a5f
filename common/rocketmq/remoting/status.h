// status.h: turning RocketMQ response codes into absl::Status.
//
// The broker's answer keeps its exact code: the Status carries it as a payload, readable with
// RemotingResponseCode(), so callers can distinguish e.g. REQUEST_CODE_NOT_SUPPORTED from other
// failures while the canonical code stays meaningful at the gRPC edge:
//   TOPIC_NOT_EXIST / SUBSCRIPTION_GROUP_NOT_EXIST -> NotFound, TOPIC_EXIST_ALREADY ->
//   AlreadyExists, NO_PERMISSION -> PermissionDenied, INVALID_PARAMETER -> InvalidArgument,
//   REQUEST_CODE_NOT_SUPPORTED -> Unimplemented, SYSTEM_BUSY / GO_AWAY / SERVICE_NOT_AVAILABLE ->
//   Unavailable, anything else (SYSTEM_ERROR included) -> Unknown.
// The message names the request, the peer, the response code and the broker's remark.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "common/rocketmq/remoting/command.h"

namespace rmq::rocketmq {

// OK if response.code is SUCCESS; otherwise the mapped error described above.
absl::Status ResponseStatus(const RemotingCommand& response, int32_t request_code,
                            const std::string& peer);

// The RocketMQ response code carried by a Status made by ResponseStatus(), if any.
std::optional<int32_t> RemotingResponseCode(const absl::Status& status);

}  // namespace rmq::rocketmq
