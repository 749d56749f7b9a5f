#include "common/rocketmq/remoting/status.h"

#include <string>

#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/rocketmq/remoting/codes.h"

namespace rmq::rocketmq {
namespace {

constexpr char kPayloadUrl[] = "type.rocketmq.apache.org/ResponseCode";

absl::StatusCode MapCode(int32_t code) {
  namespace rc = response_code;
  switch (code) {
    case rc::kTopicNotExist:
    case rc::kSubscriptionGroupNotExist:
      return absl::StatusCode::kNotFound;
    case rc::kTopicExistAlready:
      return absl::StatusCode::kAlreadyExists;
    case rc::kNoPermission:
      return absl::StatusCode::kPermissionDenied;
    case rc::kInvalidParameter:
      return absl::StatusCode::kInvalidArgument;
    case rc::kRequestCodeNotSupported:
      return absl::StatusCode::kUnimplemented;
    case rc::kSystemBusy:
    case rc::kServiceNotAvailable:
    case rc::kGoAway:
      return absl::StatusCode::kUnavailable;
    default:
      return absl::StatusCode::kUnknown;
  }
}

}  // namespace

absl::Status ResponseStatus(const RemotingCommand& response, int32_t request_code,
                            const std::string& peer) {
  if (response.code == response_code::kSuccess) return absl::OkStatus();
  std::string message =
      absl::StrCat(RequestCodeName(request_code), " (", request_code, ") to ", peer,
                   " failed: ", ResponseCodeName(response.code), " (", response.code, ")");
  if (response.remark.has_value() && !response.remark->empty()) {
    absl::StrAppend(&message, ": ", *response.remark);
  }
  absl::Status status(MapCode(response.code), message);
  status.SetPayload(kPayloadUrl, absl::Cord(absl::StrCat(response.code)));
  return status;
}

std::optional<int32_t> RemotingResponseCode(const absl::Status& status) {
  auto payload = status.GetPayload(kPayloadUrl);
  if (!payload.has_value()) return std::nullopt;
  int32_t code = 0;
  if (!absl::SimpleAtoi(std::string(*payload), &code)) return std::nullopt;
  return code;
}

}  // namespace rmq::rocketmq
