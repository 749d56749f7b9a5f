// /readyz decisions from the broker's lifecycle state and registrations, and the gRPC request
// metrics.
#include "agent/probe/readiness.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

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

// A serving broker started at `boot`, listing `name_servers`; `registrations`: per name server,
// "yes" (lists the broker), "no" (answers without it) or an error message (did not answer).
v1::BrokerState Started(int64_t boot, const std::vector<std::string>& name_servers,
                        const std::map<std::string, std::string>& registrations) {
  v1::BrokerState s = State(v1::LIFECYCLE_STATE_SERVING);
  s.set_boot_timestamp_ms(boot);
  for (const std::string& ns : name_servers) s.add_name_servers(ns);
  for (const auto& [ns, answer] : registrations) {
    v1::NameServerRegistration& r = *s.add_registrations();
    r.set_address(ns);
    if (answer == "yes" || answer == "no") {
      r.set_registered(answer == "yes");
    } else {
      r.set_error(answer);
    }
  }
  return s;
}

TEST(ReadinessGateTest, AStartedBrokerIsReadyOnceEveryAnsweringNameServerListsIt) {
  ReadinessGate gate;
  const std::vector<std::string> listed = {"ns-0:9876", "ns-1:9876", "ns-2:9876"};
  v1::BrokerState s = Started(1000, listed, {});
  EXPECT_TRUE(gate.NeedsRegistrations(s));

  s = Started(1000, listed, {{"ns-0:9876", "yes"}, {"ns-1:9876", "no"}, {"ns-2:9876", "no"}});
  Readiness r = gate.Evaluate(s);
  EXPECT_FALSE(r.ready);
  EXPECT_EQ(r.reason,
            "broker not registered yet on ns-1:9876, ns-2:9876 (3 of 3 listed name servers "
            "answered)");
  EXPECT_TRUE(gate.NeedsRegistrations(s)) << "nothing confirmed yet";

  // A name server that does not answer does not hold the broker back.
  s = Started(1000, listed,
              {{"ns-0:9876", "yes"}, {"ns-1:9876", "yes"}, {"ns-2:9876", "connection refused"}});
  r = gate.Evaluate(s);
  EXPECT_TRUE(r.ready) << r.reason;
  EXPECT_EQ(r.reason, "serving");
  EXPECT_FALSE(gate.NeedsRegistrations(s));
}

TEST(ReadinessGateTest, ConfirmedOncePerBrokerStart) {
  ReadinessGate gate;
  const std::vector<std::string> listed = {"ns-0:9876", "ns-1:9876"};
  ASSERT_TRUE(
      gate.Evaluate(Started(1000, listed, {{"ns-0:9876", "yes"}, {"ns-1:9876", "yes"}})).ready);
  // A restarted name server forgets the broker until its next periodic registration: the broker
  // stays ready, and the name servers are not asked.
  v1::BrokerState same_start = Started(1000, listed, {});
  EXPECT_FALSE(gate.NeedsRegistrations(same_start));
  EXPECT_TRUE(gate.Evaluate(same_start).ready);
  // Read-only keeps the confirmation too.
  v1::BrokerState read_only = same_start;
  read_only.set_state(v1::LIFECYCLE_STATE_READ_ONLY);
  EXPECT_TRUE(gate.Evaluate(read_only).ready);

  // The broker restarted (a new boot timestamp): registration is checked again.
  v1::BrokerState restarted =
      Started(2000, listed, {{"ns-0:9876", "no"}, {"ns-1:9876", "connection refused"}});
  EXPECT_TRUE(gate.NeedsRegistrations(restarted));
  Readiness r = gate.Evaluate(restarted);
  EXPECT_FALSE(r.ready);
  EXPECT_EQ(r.reason,
            "broker not registered yet on ns-0:9876 (1 of 2 listed name servers answered)");
  // Not serving: the lifecycle decides and the name servers are not asked.
  v1::BrokerState down = State(v1::LIFECYCLE_STATE_UNREACHABLE, "connection refused");
  EXPECT_FALSE(gate.NeedsRegistrations(down));
  EXPECT_EQ(gate.Evaluate(down).reason, "broker unreachable: connection refused");
}

TEST(ReadinessGateTest, NoNameServerToConfirmWithIsNotReady) {
  ReadinessGate gate;
  Readiness r = gate.Evaluate(Started(1000, {}, {}));
  EXPECT_FALSE(r.ready);
  EXPECT_EQ(r.reason, "no name server configured (namesrvAddr is empty)");
  r = gate.Evaluate(Started(1000, {"ns-0:9876", "ns-1:9876"},
                            {{"ns-0:9876", "connection refused"}, {"ns-1:9876", "timed out"}}));
  EXPECT_FALSE(r.ready);
  EXPECT_EQ(r.reason,
            "no listed name server answers: ns-0:9876 (connection refused), ns-1:9876 (timed out)");
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
