// observe.h: reading what BuildBrokerState() needs from the broker (the I/O half of
// broker_state.h), shared by GetBrokerState and the /readyz probe.
//
// Config and runtime info always; the topic and group tables, the master's replication
// (GET_BROKER_HA_STATUS) and the name servers' cluster info when asked. Read failures are recorded
// in the observation (BuildBrokerState turns them into a lifecycle state), never returned.
//
// Threading: a coroutine on the AdminClient's executor.
//
// Example:
//   BrokerObservation o = co_await ObserveBroker(admin, broker, {.tables = false});
//   v1::BrokerState state = BuildBrokerState(o);
#pragma once

#include <string>

#include "agent/state/broker_state.h"
#include "common/net/asio.h"
#include "common/rocketmq/admin/admin_client.h"

namespace rmq::agent {

struct ObserveOptions {
  bool tables = true;          // topic and subscription-group tables (counts, data versions)
  bool replication = true;     // a master's slaves (GET_BROKER_HA_STATUS; 5.x)
  bool registrations = false;  // ask every configured name server whether it lists the broker
};

boost::asio::awaitable<BrokerObservation> ObserveBroker(rocketmq::AdminClient& admin,
                                                        std::string broker, ObserveOptions options);

// Fills o.name_servers: every name server of o.config's namesrvAddr asked at once (the slowest,
// e.g. an unreachable one, bounds the time, not their sum), through `admin` (its timeout).
boost::asio::awaitable<void> ObserveRegistrations(rocketmq::AdminClient& admin,
                                                  BrokerObservation& o);

}  // namespace rmq::agent
