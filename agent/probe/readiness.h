// readiness.h: what /readyz answers: the broker serves, and has registered on its name servers.
//
// Ready means the broker answers and serves: LIFECYCLE_STATE_SERVING, and also READ_ONLY (write
// permission off while the operator drains it: it still serves reads and consumers, and marking
// the pod unready would make Kubernetes count a planned drain as a disruption). STARTING,
// UNREACHABLE and UNSPECIFIED are not ready; the reason is short and meant for humans reading
// the probe output or events.
//
// Registration: a broker opens its port a moment before its start-up registration reaches the
// name servers (seconds, for a slave), and clients find brokers only through the name servers.
// So after each broker start (a new boot timestamp), ready also needs every listed name server
// that answers to list the broker at its address, and at least one to answer. A name server
// that does not answer (down, or slower than the probe's timeout) does not hold the broker back.
// Once confirmed, the name servers are not asked again until the broker restarts: a restarted
// name server is empty until the brokers' next periodic registration (30 s), and that must not
// turn every broker of the cluster unready at once (PodDisruptionBudgets, rolling updates and
// the Broker's Ready condition all read pod readiness).
//
// EvaluateReadiness() and ReadinessGate are pure; ReadinessProbe is the I/O (GET_BROKER_CONFIG,
// GET_BROKER_RUNTIME_INFO, and GET_BROKER_CLUSTER_INFO on each name server while unconfirmed) as
// a coroutine on the AdminClients' executor, one probe at a time.
//
// Example:
//   ReadinessProbe probe(admin, name_server_admin, "127.0.0.1:10911");
//   Readiness r = co_await probe.Probe();
//   co_return http::Response{.status = r.ready ? 200 : 503, .body = r.reason + "\n"};
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "common/net/asio.h"
#include "common/rocketmq/admin/admin_client.h"
#include "rmq/agent/v1/agent.pb.h"

namespace rmq::agent {

struct Readiness {
  bool ready = false;
  std::string reason;  // "serving", "read-only (brokerPermission ...)", "broker unreachable: ..."
};

// From the lifecycle state alone.
Readiness EvaluateReadiness(const ::rocketmq::agent::v1::BrokerState& state);

// Remembers the broker start (boot timestamp) whose registrations were confirmed.
class ReadinessGate {
 public:
  // Whether a probe of `state` must ask the name servers (state.registrations) to decide.
  bool NeedsRegistrations(const ::rocketmq::agent::v1::BrokerState& state) const;

  // The lifecycle, then (unless confirmed for this start) the registrations in `state`;
  // a confirmation is remembered.
  Readiness Evaluate(const ::rocketmq::agent::v1::BrokerState& state);

 private:
  std::optional<int64_t> confirmed_boot_;
};

class ReadinessProbe {
 public:
  // `admin` reads the broker; `name_server_admin` asks the name servers (its timeout bounds
  // how long an unanswering one delays the probe: keep it below the probe's timeoutSeconds).
  ReadinessProbe(rocketmq::AdminClient& admin, rocketmq::AdminClient& name_server_admin,
                 std::string broker)
      : admin_(admin), name_server_admin_(name_server_admin), broker_(std::move(broker)) {}

  boost::asio::awaitable<Readiness> Probe();

 private:
  rocketmq::AdminClient& admin_;
  rocketmq::AdminClient& name_server_admin_;
  std::string broker_;
  ReadinessGate gate_;
};

}  // namespace rmq::agent
