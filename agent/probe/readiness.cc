#include "agent/probe/readiness.h"

#include <chrono>
#include <utility>

#include "absl/strings/str_cat.h"
#include "agent/state/broker_state.h"

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
  BrokerObservation o;
  absl::StatusOr<rocketmq::BrokerConfig> config = co_await admin.GetBrokerConfig(broker);
  o.config_status = config.status();
  if (config.ok()) {
    o.config = std::move(config->properties);
    absl::StatusOr<std::map<std::string, std::string>> runtime =
        co_await admin.GetBrokerRuntimeInfo(broker);
    o.runtime_status = runtime.status();
    if (runtime.ok()) o.runtime = *std::move(runtime);
  }
  o.observed_at_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
  co_return BuildBrokerState(o);
}

}  // namespace rmq::agent
