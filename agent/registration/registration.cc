#include "agent/registration/registration.h"

#include <algorithm>
#include <boost/crc.hpp>
#include <set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/rocketmq/remoting/codes.h"

namespace rmq::agent {
namespace {

using rocketmq::Json;
using Props = std::map<std::string, std::string>;

std::string Get(const Props& m, const std::string& key) {
  auto it = m.find(key);
  return it == m.end() ? "" : it->second;
}

absl::StatusOr<int64_t> GetInt(const Props& m, const std::string& key, const char* what) {
  int64_t v = 0;
  if (!absl::SimpleAtoi(Get(m, key), &v)) {
    return absl::FailedPreconditionError(
        absl::StrCat(what, " has no numeric '", key, "' (got '", Get(m, key), "')"));
  }
  return v;
}

// A millisecond setting from the broker config, or `fallback` when absent or not a number.
std::chrono::milliseconds Millis(const Props& config, const std::string& key,
                                 std::chrono::milliseconds fallback) {
  int64_t v = 0;
  if (!absl::SimpleAtoi(Get(config, key), &v) || v <= 0) return fallback;
  return std::chrono::milliseconds(v);
}

}  // namespace

absl::StatusOr<BrokerRegistration> RegistrationFromBroker(const Props& config, const Props& runtime,
                                                          rocketmq::TopicConfigTable topics) {
  BrokerRegistration r;
  r.cluster = Get(config, "brokerClusterName");
  r.broker_name = Get(config, "brokerName");
  const std::string ip1 = Get(config, "brokerIP1");
  if (r.cluster.empty() || r.broker_name.empty() || ip1.empty()) {
    return absl::FailedPreconditionError(
        "broker config lacks brokerClusterName, brokerName or brokerIP1");
  }
  auto id = GetInt(config, "brokerId", "broker config");
  if (!id.ok()) return id.status();
  r.broker_id = *id;
  auto port = GetInt(config, "listenPort", "broker config");
  if (!port.ok()) return port.status();
  r.broker_addr = absl::StrCat(ip1, ":", *port);
  const std::string ip2 = Get(config, "brokerIP2");
  auto ha_port = GetInt(config, "haListenPort", "broker config");
  if (!ha_port.ok()) return ha_port.status();
  r.ha_server_addr = absl::StrCat(ip2.empty() ? ip1 : ip2, ":", *ha_port);
  auto perm = GetInt(config, "brokerPermission", "broker config");
  if (!perm.ok()) return perm.status();
  r.permission = static_cast<int32_t>(*perm);
  auto version = GetInt(runtime, "brokerVersion", "broker runtime info");
  if (!version.ok()) return version.status();
  r.version = static_cast<int32_t>(*version);
  r.enable_acting_master = Get(config, "enableSlaveActingMaster") == "true";
  if (r.enable_acting_master) {
    r.heartbeat_timeout_ms =
        Millis(config, "brokerNotActiveTimeoutMillis", std::chrono::milliseconds(10'000)).count();
  }
  r.topics = std::move(topics);
  return r;
}

int32_t RocketMQCrc32(const std::string& data) {
  boost::crc_32_type crc;
  crc.process_bytes(data.data(), data.size());
  return static_cast<int32_t>(crc.checksum() & 0x7fffffffU);
}

std::string EncodeRegisterBrokerBody(const BrokerRegistration& r) {
  // The broker masks every topic's perm with its own permission when that is not read+write
  // (BrokerController.registerBrokerAll), so a drained broker stays drained in the new routes.
  const bool mask =
      (r.permission & rocketmq::kPermRead) == 0 || (r.permission & rocketmq::kPermWrite) == 0;
  Json table = Json::object();
  for (const auto& [name, topic] : r.topics.topics) {
    Json t = rocketmq::ToJson(topic);
    if (mask) t["perm"] = topic.perm & r.permission;
    table[name] = std::move(t);
  }
  Json body{
      {"filterServerList", Json::array()},
      {"topicConfigSerializeWrapper", Json{{"dataVersion", rocketmq::ToJson(r.topics.data_version)},
                                           {"topicConfigTable", std::move(table)},
                                           {"topicQueueMappingInfoMap", Json::object()}}},
  };
  return body.dump();
}

rocketmq::RemotingCommand BuildRegisterBroker(const BrokerRegistration& r) {
  rocketmq::RemotingCommand request =
      rocketmq::RemotingCommand::Request(rocketmq::request_code::kRegisterBroker);
  request.version = r.version;
  request.body = EncodeRegisterBrokerBody(r);
  auto& h = request.ext_fields;
  h["brokerName"] = r.broker_name;
  h["brokerAddr"] = r.broker_addr;
  h["clusterName"] = r.cluster;
  h["haServerAddr"] = r.ha_server_addr;
  h["brokerId"] = absl::StrCat(r.broker_id);
  h["enableActingMaster"] = r.enable_acting_master ? "true" : "false";
  h["compressed"] = "false";
  h["bodyCrc32"] = absl::StrCat(RocketMQCrc32(request.body));
  if (r.heartbeat_timeout_ms.has_value()) {
    h["heartbeatTimeoutMillis"] = absl::StrCat(*r.heartbeat_timeout_ms);
  }
  return request;
}

bool IsRegistered(const rocketmq::ClusterInfo& info, const std::string& cluster,
                  const std::string& broker_name, int64_t broker_id,
                  const std::string& broker_addr) {
  auto it = info.brokers.find(broker_name);
  if (it == info.brokers.end() || it->second.cluster != cluster) return false;
  auto addr = it->second.broker_addrs.find(broker_id);
  return addr != it->second.broker_addrs.end() && addr->second == broker_addr;
}

HandoverTimings TimingsFromBrokerConfig(const Props& config) {
  HandoverTimings t;
  t.list_refresh = Millis(config, "updateNameServerAddrPeriod", t.list_refresh);
  t.availability_scan = Millis(config, "connectTimeoutMillis", t.availability_scan);
  t.register_period =
      std::clamp(Millis(config, "registerNameServerPeriod", t.register_period),
                 std::chrono::milliseconds(10'000), std::chrono::milliseconds(60'000));
  if (Get(config, "enableSlaveActingMaster") == "true") {
    // The name server expires such a broker after brokerNotActiveTimeoutMillis, not 120 s.
    auto timeout =
        Millis(config, "brokerNotActiveTimeoutMillis", std::chrono::milliseconds(10'000));
    t.reregister_every = std::min(t.reregister_every, timeout / 3);
  }
  return t;
}

absl::Status ValidateNameServerList(const std::vector<std::string>& name_servers) {
  if (name_servers.empty()) {
    return absl::InvalidArgumentError("name_servers: at least one name server is required");
  }
  if (name_servers.size() > 32) {
    return absl::InvalidArgumentError(
        absl::StrCat("name_servers: at most 32 name servers, got ", name_servers.size()));
  }
  std::set<std::string> seen;
  for (const std::string& ns : name_servers) {
    const std::string where = absl::StrCat("name_servers: '", ns, "'");
    const size_t colon = ns.rfind(':');
    if (colon == std::string::npos || colon == 0) {
      return absl::InvalidArgumentError(absl::StrCat(where, " is not host:port"));
    }
    const std::string host = ns.substr(0, colon);
    for (char c : host) {
      if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-' && c != '_' &&
          c != ':' && c != '[' && c != ']') {
        return absl::InvalidArgumentError(
            absl::StrCat(where, " has a character not allowed in a host name"));
      }
    }
    int port = 0;
    if (!absl::SimpleAtoi(ns.substr(colon + 1), &port) || port < 1 || port > 65535) {
      return absl::InvalidArgumentError(absl::StrCat(where, " has no port in 1..65535"));
    }
    if (!seen.insert(ns).second) {
      return absl::InvalidArgumentError(absl::StrCat(where, " is listed twice"));
    }
  }
  return absl::OkStatus();
}

std::string JoinNameServers(const std::vector<std::string>& name_servers) {
  return absl::StrJoin(name_servers, ";");
}

}  // namespace rmq::agent
