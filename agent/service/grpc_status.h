// grpc_status.h: absl::Status -> grpc::Status at the RPC edge. absl's canonical codes are gRPC's
// codes (same numbers), so this is a cast plus the message.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "grpcpp/support/status.h"

namespace rmq::agent {

inline grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  return {static_cast<grpc::StatusCode>(status.code()), std::string(status.message())};
}

}  // namespace rmq::agent
