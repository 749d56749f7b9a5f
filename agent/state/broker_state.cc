#include "agent/state/broker_state.h"

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "agent/metadata/metadata.h"

namespace rmq::agent {
namespace {

namespace v1 = ::rocketmq::agent::v1;

std::string Get(const std::map<std::string, std::string>& m, const std::string& key) {
  auto it = m.find(key);
  return it == m.end() ? "" : it->second;
}

int64_t GetInt(const std::map<std::string, std::string>& m, const std::string& key) {
  int64_t v = 0;
  return absl::SimpleAtoi(Get(m, key), &v) ? v : 0;
}

// Runtime info writes rates as "1m 5m 10m"-style space-separated windows; the first is current.
double GetRate(const std::map<std::string, std::string>& m, const std::string& key) {
  std::string value = Get(m, key);
  value = value.substr(0, value.find(' '));
  double d = 0;
  return absl::SimpleAtod(value, &d) ? d : 0;
}

v1::BrokerRole Role(const std::string& role) {
  if (role == "ASYNC_MASTER") return v1::BROKER_ROLE_ASYNC_MASTER;
  if (role == "SYNC_MASTER") return v1::BROKER_ROLE_SYNC_MASTER;
  if (role == "SLAVE") return v1::BROKER_ROLE_SLAVE;
  return v1::BROKER_ROLE_UNSPECIFIED;
}

}  // namespace

std::vector<std::string> SplitNameServers(const std::string& list) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= list.size()) {
    size_t end = list.find(';', start);
    if (end == std::string::npos) end = list.size();
    std::string item = list.substr(start, end - start);
    while (!item.empty() && item.front() == ' ') item.erase(item.begin());
    while (!item.empty() && item.back() == ' ') item.pop_back();
    if (!item.empty()) out.push_back(item);
    start = end + 1;
  }
  return out;
}

v1::BrokerState BuildBrokerState(const BrokerObservation& o) {
  v1::BrokerState state;
  state.set_observed_at_ms(o.observed_at_ms);
  if (!o.config_status.ok()) {
    state.set_state(v1::LIFECYCLE_STATE_UNREACHABLE);
    state.set_state_reason(std::string(o.config_status.message()));
    return state;
  }
  const auto& c = o.config;
  v1::BrokerIdentity& id = *state.mutable_identity();
  id.set_cluster(Get(c, "brokerClusterName"));
  id.set_broker_name(Get(c, "brokerName"));
  id.set_broker_id(GetInt(c, "brokerId"));
  id.set_role(Role(Get(c, "brokerRole")));
  id.set_address(absl::StrCat(Get(c, "brokerIP1"), ":", Get(c, "listenPort")));
  for (const std::string& ns : SplitNameServers(Get(c, "namesrvAddr"))) state.add_name_servers(ns);

  const int64_t permission = GetInt(c, "brokerPermission");
  state.set_writable((permission & rocketmq::kPermWrite) != 0);

  if (!o.runtime_status.ok()) {
    state.set_state(v1::LIFECYCLE_STATE_STARTING);
    state.set_state_reason(
        absl::StrCat("runtime info not available yet: ", o.runtime_status.message()));
  } else if (!state.writable()) {
    state.set_state(v1::LIFECYCLE_STATE_READ_ONLY);
    state.set_state_reason(absl::StrCat("brokerPermission is ", permission, " (no write bit)"));
  } else {
    state.set_state(v1::LIFECYCLE_STATE_SERVING);
  }
  const auto& r = o.runtime;
  id.set_version(Get(r, "brokerVersionDesc"));
  id.set_version_ordinal(static_cast<int32_t>(GetInt(r, "brokerVersion")));
  state.set_boot_timestamp_ms(GetInt(r, "bootTimestamp"));
  state.set_commit_log_max_offset(GetInt(r, "commitLogMaxOffset"));
  double ratio = 0;
  if (absl::SimpleAtod(Get(r, "commitLogDiskRatio"), &ratio)) {
    state.mutable_disk()->set_commit_log_ratio(ratio);
  }
  if (absl::SimpleAtod(Get(r, "consumeQueueDiskRatio"), &ratio)) {
    state.mutable_disk()->set_consume_queue_ratio(ratio);
  }
  v1::Throughput& tp = *state.mutable_throughput();
  tp.set_put_tps(GetRate(r, "putTps"));
  tp.set_get_tps(GetRate(r, "getTransferredTps"));
  tp.set_messages_put_today(GetInt(r, "msgPutTotalTodayNow"));
  tp.set_messages_got_today(GetInt(r, "msgGetTotalTodayNow"));

  if (o.ha.has_value() && o.ha->master) {
    for (const rocketmq::HaConnection& c : o.ha->connections) {
      v1::SlaveReplication& slave = *state.add_slaves();
      slave.set_broker_id(-1);  // an HA connection carries only the slave's address
      slave.set_address(c.addr);
      slave.set_lag_bytes(std::max<int64_t>(0, c.diff));
      slave.set_in_sync(c.in_sync);
    }
  }

  BrokerNames self{id.cluster(), id.broker_name()};
  if (o.topics.has_value()) {
    uint32_t n = 0;
    for (const auto& [name, t] : o.topics->topics) n += IsSystemTopic(name, self) ? 0 : 1;
    state.mutable_metadata()->set_topic_count(n);
    *state.mutable_metadata()->mutable_topic_data_version() = ToProto(o.topics->data_version);
  }
  if (o.groups.has_value()) {
    uint32_t n = 0;
    for (const auto& [name, g] : o.groups->groups) n += IsSystemGroup(name) ? 0 : 1;
    state.mutable_metadata()->set_group_count(n);
    *state.mutable_metadata()->mutable_group_data_version() = ToProto(o.groups->data_version);
  }

  for (const auto& [ns, info] : o.name_servers) {
    v1::NameServerRegistration& reg = *state.add_registrations();
    reg.set_address(ns);
    if (!info.ok()) {
      reg.set_error(std::string(info.status().message()));
      continue;
    }
    auto it = info->brokers.find(id.broker_name());
    if (it != info->brokers.end() && it->second.cluster == id.cluster()) {
      auto addr = it->second.broker_addrs.find(id.broker_id());
      reg.set_registered(addr != it->second.broker_addrs.end() && addr->second == id.address());
    }
  }
  return state;
}

}  // namespace rmq::agent
