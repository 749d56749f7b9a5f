// registration.h: registering the local broker on a name server on its behalf (pure part).
//
// Why: a running broker never reloads its name-server list on request. UPDATE_BROKER_CONFIG
// namesrvAddr only changes (and persists) the config; a scheduled task copies it into the broker's
// remoting client every updateNameServerAddrPeriod (120 s default), and the broker's next periodic
// registration (registerNameServerPeriod, 30 s) then reaches the new name servers: ~155 s in the
// worst case. The agent closes that gap by sending REGISTER_BROKER (103) itself to each newly
// listed name server, with exactly what the broker would send (identity from GET_BROKER_CONFIG, its
// version from GET_BROKER_RUNTIME_INFO, its full topic table from GET_ALL_TOPIC_CONFIG), until the
// broker's own registration has taken over (handover.h runs that).
//
// The name server does not check who registers, but it ties the registration to the TCP
// connection it arrived on: closing that connection unregisters the broker there unless a later
// registration (the broker's own) replaced the entry. See handover.h for how that is handled.
//
// Everything here is pure: request building, timing derivation, input validation and the
// "is it registered" check. Thread-compatible.
//
// Example:
//   RMQ_ASSIGN_OR_RETURN(BrokerRegistration reg, RegistrationFromBroker(config, runtime, topics));
//   RemotingCommand request = BuildRegisterBroker(reg);  // send to the new name server
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/rocketmq/admin/types.h"
#include "common/rocketmq/remoting/command.h"

namespace rmq::agent {

// What a broker puts into its REGISTER_BROKER request.
struct BrokerRegistration {
  std::string cluster;         // brokerClusterName
  std::string broker_name;     // brokerName
  int64_t broker_id = 0;       // 0 = master
  std::string broker_addr;     // brokerIP1:listenPort, what clients connect to
  std::string ha_server_addr;  // brokerIP2:haListenPort
  int32_t version = 0;         // MQVersion ordinal of the broker (the request's `version`)
  int32_t permission = 0;      // brokerPermission; topic perms are masked by it, as the broker does
  bool enable_acting_master = false;            // enableSlaveActingMaster
  std::optional<int64_t> heartbeat_timeout_ms;  // sent only with acting master, as the broker does
  rocketmq::TopicConfigTable topics;            // the full table, system topics included
};

// Builds the registration from GET_BROKER_CONFIG, GET_BROKER_RUNTIME_INFO and GET_ALL_TOPIC_CONFIG.
// FailedPrecondition if a field the name server needs is missing or malformed.
absl::StatusOr<BrokerRegistration> RegistrationFromBroker(
    const std::map<std::string, std::string>& config,
    const std::map<std::string, std::string>& runtime, rocketmq::TopicConfigTable topics);

// The REGISTER_BROKER request: header fields as the broker sets them, an uncompressed JSON
// RegisterBrokerBody, bodyCrc32 = CRC-32(body) & 0x7fffffff, request version = the broker's.
rocketmq::RemotingCommand BuildRegisterBroker(const BrokerRegistration& registration);

// The RegisterBrokerBody JSON alone (for tests and the fuzz target).
std::string EncodeRegisterBrokerBody(const BrokerRegistration& registration);

// java.util.zip.CRC32 of `data`, masked to 31 bits like RocketMQ's UtilAll.crc32.
int32_t RocketMQCrc32(const std::string& data);

// True if `info` (a name server's GET_BROKER_CLUSTER_INFO) lists this broker at its address.
bool IsRegistered(const rocketmq::ClusterInfo& info, const std::string& cluster,
                  const std::string& broker_name, int64_t broker_id,
                  const std::string& broker_addr);

// How long the agent must keep a name server's registration alive, from the broker's config.
struct HandoverTimings {
  // The broker copies namesrvAddr into its client this often (updateNameServerAddrPeriod).
  std::chrono::milliseconds list_refresh{120'000};
  // It connects to a newly listed name server within this (connectTimeoutMillis scan).
  std::chrono::milliseconds availability_scan{3'000};
  // It registers on every available name server this often (registerNameServerPeriod, clamped
  // to [10 s, 60 s] like the broker does).
  std::chrono::milliseconds register_period{30'000};
  // The agent repeats its registration this often (well under the name server's 120 s expiry or
  // the acting-master heartbeat timeout).
  std::chrono::milliseconds reregister_every{20'000};
  // Added to each wait for clock skew and slow brokers.
  std::chrono::milliseconds margin{10'000};

  // From the moment namesrvAddr changed until the broker registers there itself, worst case.
  std::chrono::milliseconds Takeover() const {
    return list_refresh + availability_scan + register_period + margin;
  }
  // After the agent's last registration, how long to keep its connection open so the broker's
  // periodic registration replaces the entry before the close (a close would unregister it).
  std::chrono::milliseconds Hold() const { return register_period + margin; }
};

HandoverTimings TimingsFromBrokerConfig(const std::map<std::string, std::string>& config);

// Validates an UpdateNameServers list: 1..32 distinct "host:port" items, no ';' or spaces, port
// 1..65535. Returns InvalidArgument naming the bad item.
absl::Status ValidateNameServerList(const std::vector<std::string>& name_servers);

// "a;b;c", the broker's namesrvAddr format.
std::string JoinNameServers(const std::vector<std::string>& name_servers);

}  // namespace rmq::agent
