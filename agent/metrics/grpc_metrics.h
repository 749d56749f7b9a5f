// grpc_metrics.h: request counts and latencies of the agent's gRPC server.
//
//   rocketmq_agent_grpc_requests_total{method, code}       counter (code: "OK", "UNAVAILABLE", ...)
//   rocketmq_agent_grpc_request_duration_seconds{method}   histogram
// `method` is the RPC's short name ("GetBrokerState"). Recorded by a server interceptor when the
// status is sent, so every RPC counts, including ones refused by validation and UNIMPLEMENTED
// methods; a TLS handshake that fails never becomes an RPC and is not counted.
//
// Threading: Record() and the interceptors are called on gRPC's threads; prometheus-cpp metrics
// are thread-safe. The registry must outlive the server.
//
// Example:
//   GrpcServerMetrics metrics(registry);
//   std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> f;
//   f.push_back(metrics.InterceptorFactory());
//   builder.experimental().SetInterceptorCreators(std::move(f));
#pragma once

#include <memory>
#include <string>

#include "grpcpp/support/server_interceptor.h"
#include "grpcpp/support/status.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace rmq::agent {

class GrpcServerMetrics {
 public:
  explicit GrpcServerMetrics(prometheus::Registry& registry);

  // `method` may be the full path ("/pkg.Service/Method"); the short name is recorded.
  void Record(const std::string& method, grpc::StatusCode code, double seconds);

  // A factory whose interceptors call Record(); `this` must outlive the server.
  std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> InterceptorFactory();

 private:
  prometheus::Family<prometheus::Counter>& requests_;
  prometheus::Family<prometheus::Histogram>& duration_;
};

// "OK", "CANCELLED", ... as gRPC spells the codes.
const char* GrpcCodeName(grpc::StatusCode code);

}  // namespace rmq::agent
