#include "agent/probe/readiness.h"

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "agent/state/broker_state.h"
#include "agent/state/observe.h"

namespace rmq::agent {

namespace v1 = ::rocketmq::agent::v1;

namespace {

bool Serves(const v1::BrokerState& state) {
  return state.state() == v1::LIFECYCLE_STATE_SERVING ||
         state.state() == v1::LIFECYCLE_STATE_READ_ONLY;
}

// Every listed name server that answered lists the broker, and one answered at least.
Readiness EvaluateRegistrations(const v1::BrokerState& state) {
  if (state.name_servers().empty()) {
    return {false, "no name server configured (namesrvAddr is empty)"};
  }
  std::vector<std::string> missing;
  std::vector<std::string> silent;
  for (const v1::NameServerRegistration& r : state.registrations()) {
    if (!r.error().empty()) {
      silent.push_back(absl::StrCat(r.address(), " (", r.error(), ")"));
    } else if (!r.registered()) {
      missing.push_back(r.address());
    }
  }
  const size_t answered = static_cast<size_t>(state.registrations_size()) - silent.size();
  if (answered == 0) {
    return {false, absl::StrCat("no listed name server answers: ", absl::StrJoin(silent, ", "))};
  }
  if (!missing.empty()) {
    return {false, absl::StrCat("broker not registered yet on ", absl::StrJoin(missing, ", "), " (",
                                answered, " of ", state.name_servers_size(),
                                " listed name servers answered)")};
  }
  return {true, ""};
}

}  // namespace

Readiness EvaluateReadiness(const v1::BrokerState& state) {
  switch (state.state()) {
    case v1::LIFECYCLE_STATE_SERVING:
      return {true, "serving"};
    case v1::LIFECYCLE_STATE_READ_ONLY:
      return {true, absl::StrCat("serving read-only: ", state.state_reason())};
    case v1::LIFECYCLE_STATE_STARTING:
      return {false, absl::StrCat("broker starting: ", state.state_reason())};
    case v1::LIFECYCLE_STATE_UNREACHABLE:
      return {false, absl::StrCat("broker unreachable: ", state.state_reason())};
    default:
      return {false, "broker state unknown"};
  }
}

bool ReadinessGate::NeedsRegistrations(const v1::BrokerState& state) const {
  return Serves(state) && confirmed_boot_ != state.boot_timestamp_ms();
}

Readiness ReadinessGate::Evaluate(const v1::BrokerState& state) {
  Readiness lifecycle = EvaluateReadiness(state);
  if (!lifecycle.ready || !NeedsRegistrations(state)) return lifecycle;
  Readiness registered = EvaluateRegistrations(state);
  if (!registered.ready) return registered;
  confirmed_boot_ = state.boot_timestamp_ms();
  return lifecycle;
}

boost::asio::awaitable<Readiness> ReadinessProbe::Probe() {
  BrokerObservation o =
      co_await ObserveBroker(admin_, broker_, {.tables = false, .replication = false});
  v1::BrokerState state = BuildBrokerState(o);
  if (gate_.NeedsRegistrations(state)) {
    co_await ObserveRegistrations(name_server_admin_, o);
    state = BuildBrokerState(o);
  }
  co_return gate_.Evaluate(state);
}

}  // namespace rmq::agent
