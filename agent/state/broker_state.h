// broker_state.h: GetBrokerState's answer, computed from what the agent read from its broker.
//
// Pure: the I/O layer reads the broker config, runtime info and tables (and, when asked, the
// name servers' cluster info) and passes them here with the read time; nothing here does I/O or
// reads a clock. Thread-compatible.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "common/rocketmq/admin/types.h"
#include "rmq/agent/v1/agent.pb.h"

namespace rmq::agent {

struct BrokerObservation {
  // GET_BROKER_CONFIG; an error means the broker is unreachable (or refuses the agent).
  absl::Status config_status;
  std::map<std::string, std::string> config;
  // GET_BROKER_RUNTIME_INFO; fails for a while after boot on some versions (5.1.x).
  absl::Status runtime_status;
  std::map<std::string, std::string> runtime;
  std::optional<rocketmq::TopicConfigTable> topics;
  std::optional<rocketmq::SubscriptionGroupTable> groups;
  // GET_BROKER_HA_STATUS of a master (absent on slaves and brokers without it).
  std::optional<rocketmq::HaRuntimeInfo> ha;
  // Per configured name server: its cluster info, or why it could not be read. Empty when
  // registrations were not asked for.
  std::map<std::string, absl::StatusOr<rocketmq::ClusterInfo>> name_servers;
  int64_t observed_at_ms = 0;
};

::rocketmq::agent::v1::BrokerState BuildBrokerState(const BrokerObservation& observation);

// "a;b;c" (namesrvAddr) -> {"a","b","c"}, empty items dropped.
std::vector<std::string> SplitNameServers(const std::string& list);

}  // namespace rmq::agent
