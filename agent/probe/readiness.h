// readiness.h: what /readyz answers, from the broker's lifecycle state.
//
// Ready means the broker answers and serves: LIFECYCLE_STATE_SERVING, and also READ_ONLY (write
// permission off while the operator drains it: it still serves reads and consumers, and marking
// the pod unready would make Kubernetes count a planned drain as a disruption). STARTING,
// UNREACHABLE and UNSPECIFIED are not ready; the reason is short and meant for humans reading
// the probe output or events.
//
// EvaluateReadiness() is pure; ProbeBroker() is the I/O (GET_BROKER_CONFIG and
// GET_BROKER_RUNTIME_INFO) as a coroutine on the AdminClient's executor.
//
// Example:
//   Readiness r = EvaluateReadiness(co_await ProbeBroker(admin, broker));
//   co_return http::Response{.status = r.ready ? 200 : 503, .body = r.reason + "\n"};
#pragma once

#include <string>

#include "common/net/asio.h"
#include "common/rocketmq/admin/admin_client.h"
#include "rmq/agent/v1/agent.pb.h"

namespace rmq::agent {

struct Readiness {
  bool ready = false;
  std::string reason;  // "serving", "read-only (brokerPermission ...)", "broker unreachable: ..."
};

Readiness EvaluateReadiness(const ::rocketmq::agent::v1::BrokerState& state);

// The broker's state from its config and runtime info (no tables, no name servers).
boost::asio::awaitable<::rocketmq::agent::v1::BrokerState> ProbeBroker(rocketmq::AdminClient& admin,
                                                                       std::string broker);

}  // namespace rmq::agent
