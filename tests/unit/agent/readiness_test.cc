// /readyz decisions from the broker's lifecycle state, and the gRPC request metrics.
#include "agent/probe/readiness.h"

#include <gtest/gtest.h>

#include "agent/metrics/grpc_metrics.h"
#include "prometheus/registry.h"

namespace rmq::agent {
namespace {

namespace v1 = ::rocketmq::agent::v1;

v1::BrokerState State(v1::LifecycleState lifecycle, const std::string& reason = "") {
  v1::BrokerState s;
  s.set_state(lifecycle);
  s.set_state_reason(reason);
  return s;
}

TEST(ReadinessTest, ServingAndReadOnlyBrokersAreReady) {
  Readiness r = EvaluateReadiness(State(v1::LIFECYCLE_STATE_SERVING));
  EXPECT_TRUE(r.ready);
  EXPECT_EQ(r.reason, "serving");
  r = EvaluateReadiness(
      State(v1::LIFECYCLE_STATE_READ_ONLY, "brokerPermission is 4 (no write bit)"));
  EXPECT_TRUE(r.ready);
  EXPECT_EQ(r.reason, "serving read-only: brokerPermission is 4 (no write bit)");
}

TEST(ReadinessTest, StartingUnreachableAndUnknownBrokersAreNotReady) {
  Readiness r = EvaluateReadiness(
      State(v1::LIFECYCLE_STATE_UNREACHABLE, "GET_BROKER_CONFIG: connection refused"));
  EXPECT_FALSE(r.ready);
  EXPECT_EQ(r.reason, "broker unreachable: GET_BROKER_CONFIG: connection refused");
  r = EvaluateReadiness(State(v1::LIFECYCLE_STATE_STARTING, "runtime info not available yet"));
  EXPECT_FALSE(r.ready);
  EXPECT_EQ(r.reason, "broker starting: runtime info not available yet");
  EXPECT_FALSE(EvaluateReadiness(State(v1::LIFECYCLE_STATE_UNSPECIFIED)).ready);
}

TEST(GrpcServerMetricsTest, CountsByShortMethodAndCodeAndObservesLatency) {
  prometheus::Registry registry;
  GrpcServerMetrics metrics(registry);
  metrics.Record("/rocketmq.agent.v1.BrokerAgent/GetBrokerState", grpc::StatusCode::OK, 0.002);
  metrics.Record("/rocketmq.agent.v1.BrokerAgent/GetBrokerState", grpc::StatusCode::OK, 0.2);
  metrics.Record("/rocketmq.agent.v1.BrokerAgent/UpdateNameServers",
                 grpc::StatusCode::UNIMPLEMENTED, 0.001);
  std::map<std::string, double> counts;
  uint64_t observations = 0;
  double sum = 0;
  for (const prometheus::MetricFamily& f : registry.Collect()) {
    for (const prometheus::ClientMetric& m : f.metric) {
      std::map<std::string, std::string> labels;
      for (const auto& l : m.label) labels[l.name] = l.value;
      if (f.name == "rocketmq_agent_grpc_requests_total") {
        counts[labels["method"] + "/" + labels["code"]] = m.counter.value;
      } else if (f.name == "rocketmq_agent_grpc_request_duration_seconds" &&
                 labels["method"] == "GetBrokerState") {
        observations = m.histogram.sample_count;
        sum = m.histogram.sample_sum;
      }
    }
  }
  EXPECT_EQ(counts, (std::map<std::string, double>{{"GetBrokerState/OK", 2},
                                                   {"UpdateNameServers/UNIMPLEMENTED", 1}}));
  EXPECT_EQ(observations, 2u);
  EXPECT_DOUBLE_EQ(sum, 0.202);
  EXPECT_STREQ(GrpcCodeName(grpc::StatusCode::UNAVAILABLE), "UNAVAILABLE");
  EXPECT_STREQ(GrpcCodeName(grpc::StatusCode::PERMISSION_DENIED), "PERMISSION_DENIED");
}

}  // namespace
}  // namespace rmq::agent
