#include "agent/probe/readiness.h"

#include <chrono>
#include <utility>

#include "absl/strings/str_cat.h"
#include "agent/state/broker_state.h"
#include "agent/state/observe.h"

namespace rmq::agent {

namespace v1 = ::rocketmq::agent::v1;

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

boost::asio::awaitable<v1::BrokerState> ProbeBroker(rocketmq::AdminClient& admin,
                                                    std::string broker) {
  BrokerObservation o =
      co_await ObserveBroker(admin, std::move(broker), {.tables = false, .replication = false});
  co_return BuildBrokerState(o);
}

}  // namespace rmq::agent
