#include "common/rocketmq/admin/types.h"

#include <algorithm>
#include <limits>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/base/status_macros.h"
#include "common/rocketmq/remoting/fastjson.h"

namespace rmq::rocketmq {
namespace {

absl::Status TypeError(const char* field, const char* want) {
  return absl::InvalidArgumentError(absl::StrCat("field '", field, "' is not ", want));
}

// Field readers: a missing or null field leaves `out` unchanged.
absl::Status ReadInt64(const Json& j, const char* key, int64_t& out) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return absl::OkStatus();
  if (it->is_number_integer() && !it->is_number_unsigned()) {
    out = it->get<int64_t>();
    return absl::OkStatus();
  }
  if (it->is_number_unsigned() &&
      it->get<uint64_t>() <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
    out = static_cast<int64_t>(it->get<uint64_t>());
    return absl::OkStatus();
  }
  if (it->is_string() && absl::SimpleAtoi(it->get<std::string>(), &out)) return absl::OkStatus();
  return TypeError(key, "an int64");
}

absl::Status ReadInt32(const Json& j, const char* key, int32_t& out) {
  int64_t v = out;
  RMQ_RETURN_IF_ERROR(ReadInt64(j, key, v));
  if (v < std::numeric_limits<int32_t>::min() || v > std::numeric_limits<int32_t>::max()) {
    return TypeError(key, "an int32");
  }
  out = static_cast<int32_t>(v);
  return absl::OkStatus();
}

absl::Status ReadDouble(const Json& j, const char* key, double& out) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return absl::OkStatus();
  if (!it->is_number()) return TypeError(key, "a number");
  out = it->get<double>();
  return absl::OkStatus();
}

absl::Status ReadBool(const Json& j, const char* key, bool& out) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return absl::OkStatus();
  if (!it->is_boolean()) return TypeError(key, "a boolean");
  out = it->get<bool>();
  return absl::OkStatus();
}

absl::Status ReadString(const Json& j, const char* key, std::string& out) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return absl::OkStatus();
  if (!it->is_string()) return TypeError(key, "a string");
  out = it->get<std::string>();
  return absl::OkStatus();
}

absl::Status ReadStringMap(const Json& j, const char* key,
                           std::map<std::string, std::string>& out) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return absl::OkStatus();
  if (!it->is_object()) return TypeError(key, "an object");
  for (const auto& [k, v] : it->items()) {
    if (v.is_string()) {
      out[k] = v.get<std::string>();
    } else if (!v.is_null()) {
      out[k] = DumpJson(v);
    }
  }
  return absl::OkStatus();
}

const Json* FindObject(const Json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_object()) return nullptr;
  return &*it;
}

absl::Status RequireObject(const Json& j, const char* what) {
  if (!j.is_object()) return absl::InvalidArgumentError(absl::StrCat(what, " is not an object"));
  return absl::OkStatus();
}

absl::StatusOr<MessageQueue> MessageQueueFromKey(const std::string& key) {
  RMQ_ASSIGN_OR_RETURN(Json j, ParseObjectKey(key));
  MessageQueue mq;
  RMQ_RETURN_IF_ERROR(ReadString(j, "topic", mq.topic));
  RMQ_RETURN_IF_ERROR(ReadString(j, "brokerName", mq.broker_name));
  RMQ_RETURN_IF_ERROR(ReadInt32(j, "queueId", mq.queue_id));
  return mq;
}

Json ToJson(const MessageQueue& mq) {
  return Json{{"brokerName", mq.broker_name}, {"queueId", mq.queue_id}, {"topic", mq.topic}};
}

std::string PrefixedKey(const std::string& key) {
  if (!key.empty() && (key[0] == '+' || key[0] == '-')) return key;
  return "+" + key;
}

absl::Status ValidateName(const std::string& name, size_t max_len, const char* what) {
  if (name.empty()) return absl::InvalidArgumentError(absl::StrCat(what, " name is empty"));
  if (name.size() > max_len) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " name '", name, "' is longer than ", max_len, " characters"));
  }
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '%' || c == '|' || c == '_' || c == '-';
    if (!ok) {
      return absl::InvalidArgumentError(
          absl::StrCat(what, " name '", name, "' has a character outside [%|a-zA-Z0-9_-]"));
    }
  }
  return absl::OkStatus();
}

bool JsonSubsetEquals(const Json& want, const Json& have) {
  if (!want.is_object() || !have.is_object()) return want == have;
  for (const auto& [k, v] : want.items()) {
    auto it = have.find(k);
    if (it == have.end()) {
      if (v.is_null() || (v.is_object() && v.empty()) || (v.is_array() && v.empty())) continue;
      return false;
    }
    if (k == "attributes") {
      if (v != *it) return false;
      continue;
    }
    if (!JsonSubsetEquals(v, *it)) return false;
  }
  return true;
}

}  // namespace

bool SubscriptionGroupMatches(const SubscriptionGroupConfig& want,
                              const SubscriptionGroupConfig& have) {
  return want.group_name == have.group_name && JsonSubsetEquals(want.json, have.json);
}

absl::StatusOr<DataVersion> DataVersionFromJson(const Json& j) {
  RMQ_RETURN_IF_ERROR(RequireObject(j, "dataVersion"));
  DataVersion v;
  RMQ_RETURN_IF_ERROR(ReadInt64(j, "counter", v.counter));
  RMQ_RETURN_IF_ERROR(ReadInt64(j, "stateVersion", v.state_version));
  RMQ_RETURN_IF_ERROR(ReadInt64(j, "timestamp", v.timestamp));
  return v;
}

absl::StatusOr<TopicConfig> TopicConfigFromJson(const Json& j) {
  RMQ_RETURN_IF_ERROR(RequireObject(j, "topic config"));
  TopicConfig t;
  RMQ_RETURN_IF_ERROR(ReadString(j, "topicName", t.topic_name));
  RMQ_RETURN_IF_ERROR(ReadInt32(j, "readQueueNums", t.read_queue_nums));
  RMQ_RETURN_IF_ERROR(ReadInt32(j, "writeQueueNums", t.write_queue_nums));
  RMQ_RETURN_IF_ERROR(ReadInt32(j, "perm", t.perm));
  RMQ_RETURN_IF_ERROR(ReadString(j, "topicFilterType", t.topic_filter_type));
  RMQ_RETURN_IF_ERROR(ReadInt32(j, "topicSysFlag", t.topic_sys_flag));
  RMQ_RETURN_IF_ERROR(ReadBool(j, "order", t.order));
  RMQ_RETURN_IF_ERROR(ReadStringMap(j, "attributes", t.attributes));
  if (t.topic_name.empty()) return absl::InvalidArgumentError("topic config has no topicName");
  return t;
}

absl::StatusOr<TopicConfigTable> TopicConfigTableFromJson(const Json& j) {
  RMQ_RETURN_IF_ERROR(RequireObject(j, "topic config table"));
  TopicConfigTable table;
  if (const Json* dv = FindObject(j, "dataVersion")) {
    RMQ_ASSIGN_OR_RETURN(table.data_version, DataVersionFromJson(*dv));
  }
  if (const Json* topics = FindObject(j, "topicConfigTable")) {
    for (const auto& [name, value] : topics->items()) {
      absl::StatusOr<TopicConfig> t = TopicConfigFromJson(value);
      if (!t.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat("topic '", name, "': ", t.status().message()));
      }
      table.topics.emplace(name, *std::move(t));
    }
  }
  return table;
}

absl::StatusOr<SubscriptionGroupConfig> SubscriptionGroupConfigFromJson(const Json& j) {
  RMQ_RETURN_IF_ERROR(RequireObject(j, "subscription group config"));
  SubscriptionGroupConfig g;
  RMQ_RETURN_IF_ERROR(ReadString(j, "groupName", g.group_name));
  if (g.group_name.empty()) {
    return absl::InvalidArgumentError("subscription group config has no groupName");
  }
  g.json = j;
  return g;
}

absl::StatusOr<SubscriptionGroupTable> SubscriptionGroupTableFromJson(const Json& j) {
  RMQ_RETURN_IF_ERROR(RequireObject(j, "subscription group table"));
  SubscriptionGroupTable table;
  if (const Json* dv = FindObject(j, "dataVersion")) {
    RMQ_ASSIGN_OR_RETURN(table.data_version, DataVersionFromJson(*dv));
  }
  if (const Json* groups = FindObject(j, "subscriptionGroupTable")) {
    for (const auto& [name, value] : groups->items()) {
      absl::StatusOr<SubscriptionGroupConfig> g = SubscriptionGroupConfigFromJson(value);
      if (!g.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat("group '", name, "': ", g.status().message()));
      }
      table.groups.emplace(name, *std::move(g));
    }
  }
  return table;
}

absl::StatusOr<BrokerData> BrokerDataFromJson(const Json& j) {
  RMQ_RETURN_IF_ERROR(RequireObject(j, "broker data"));
  BrokerData b;
  RMQ_RETURN_IF_ERROR(ReadString(j, "cluster", b.cluster));
  RMQ_RETURN_IF_ERROR(ReadString(j, "brokerName", b.broker_name));
  RMQ_RETURN_IF_ERROR(ReadBool(j, "enableActingMaster", b.enable_acting_master));
  RMQ_RETURN_IF_ERROR(ReadString(j, "zoneName", b.zone_name));
  std::map<std::string, std::string> addrs;
  RMQ_RETURN_IF_ERROR(ReadStringMap(j, "brokerAddrs", addrs));
  for (const auto& [id, addr] : addrs) {
    int64_t broker_id = 0;
    if (!absl::SimpleAtoi(id, &broker_id)) {
      return absl::InvalidArgumentError(absl::StrCat("brokerAddrs key '", id, "' is not an id"));
    }
    b.broker_addrs[broker_id] = addr;
  }
  return b;
}

absl::StatusOr<ClusterInfo> ClusterInfoFromJson(const Json& j) {
  RMQ_RETURN_IF_ERROR(RequireObject(j, "cluster info"));
  ClusterInfo info;
  if (const Json* brokers = FindObject(j, "brokerAddrTable")) {
    for (const auto& [name, value] : brokers->items()) {
      RMQ_ASSIGN_OR_RETURN(BrokerData b, BrokerDataFromJson(value));
      info.brokers.emplace(name, std::move(b));
    }
  }
  if (const Json* clusters = FindObject(j, "clusterAddrTable")) {
    for (const auto& [cluster, names] : clusters->items()) {
      if (!names.is_array()) return TypeError("clusterAddrTable", "a map of arrays");
      std::vector<std::string>& out = info.clusters[cluster];
      for (const auto& n : names) {
        if (n.is_string()) out.push_back(n.get<std::string>());
      }
      std::sort(out.begin(), out.end());
    }
  }
  return info;
}

absl::StatusOr<TopicRouteData> TopicRouteDataFromJson(const Json& j) {
  RMQ_RETURN_IF_ERROR(RequireObject(j, "topic route"));
  TopicRouteData route;
  RMQ_RETURN_IF_ERROR(ReadString(j, "orderTopicConf", route.order_topic_conf));
  if (auto it = j.find("queueDatas"); it != j.end() && it->is_array()) {
    for (const auto& q : *it) {
      RMQ_RETURN_IF_ERROR(RequireObject(q, "queue data"));
      QueueData qd;
      RMQ_RETURN_IF_ERROR(ReadString(q, "brokerName", qd.broker_name));
      RMQ_RETURN_IF_ERROR(ReadInt32(q, "readQueueNums", qd.read_queue_nums));
      RMQ_RETURN_IF_ERROR(ReadInt32(q, "writeQueueNums", qd.write_queue_nums));
      RMQ_RETURN_IF_ERROR(ReadInt32(q, "perm", qd.perm));
      RMQ_RETURN_IF_ERROR(ReadInt32(q, "topicSysFlag", qd.topic_sys_flag));
      route.queue_datas.push_back(std::move(qd));
    }
  }
  if (auto it = j.find("brokerDatas"); it != j.end() && it->is_array()) {
    for (const auto& b : *it) {
      RMQ_ASSIGN_OR_RETURN(BrokerData bd, BrokerDataFromJson(b));
      route.broker_datas.push_back(std::move(bd));
    }
  }
  return route;
}

absl::StatusOr<ConsumeStats> ConsumeStatsFromJson(const Json& j) {
  RMQ_RETURN_IF_ERROR(RequireObject(j, "consume stats"));
  ConsumeStats stats;
  RMQ_RETURN_IF_ERROR(ReadDouble(j, "consumeTps", stats.consume_tps));
  if (const Json* table = FindObject(j, "offsetTable")) {
    for (const auto& [key, value] : table->items()) {
      RMQ_ASSIGN_OR_RETURN(MessageQueue mq, MessageQueueFromKey(key));
      RMQ_RETURN_IF_ERROR(RequireObject(value, "offset wrapper"));
      ConsumeOffset o;
      o.queue = std::move(mq);
      RMQ_RETURN_IF_ERROR(ReadInt64(value, "brokerOffset", o.broker_offset));
      RMQ_RETURN_IF_ERROR(ReadInt64(value, "consumerOffset", o.consumer_offset));
      RMQ_RETURN_IF_ERROR(ReadInt64(value, "pullOffset", o.pull_offset));
      RMQ_RETURN_IF_ERROR(ReadInt64(value, "lastTimestamp", o.last_timestamp));
      stats.offsets.push_back(std::move(o));
    }
  }
  std::sort(stats.offsets.begin(), stats.offsets.end(),
            [](const ConsumeOffset& a, const ConsumeOffset& b) { return a.queue < b.queue; });
  return stats;
}

absl::StatusOr<TopicStats> TopicStatsFromJson(const Json& j) {
  RMQ_RETURN_IF_ERROR(RequireObject(j, "topic stats"));
  TopicStats stats;
  RMQ_RETURN_IF_ERROR(ReadDouble(j, "topicPutTps", stats.topic_put_tps));
  if (const Json* table = FindObject(j, "offsetTable")) {
    for (const auto& [key, value] : table->items()) {
      RMQ_ASSIGN_OR_RETURN(MessageQueue mq, MessageQueueFromKey(key));
      RMQ_RETURN_IF_ERROR(RequireObject(value, "topic offset"));
      TopicQueueOffset o;
      o.queue = std::move(mq);
      RMQ_RETURN_IF_ERROR(ReadInt64(value, "minOffset", o.min_offset));
      RMQ_RETURN_IF_ERROR(ReadInt64(value, "maxOffset", o.max_offset));
      RMQ_RETURN_IF_ERROR(ReadInt64(value, "lastUpdateTimestamp", o.last_update_timestamp));
      stats.offsets.push_back(std::move(o));
    }
  }
  std::sort(stats.offsets.begin(), stats.offsets.end(),
            [](const TopicQueueOffset& a, const TopicQueueOffset& b) { return a.queue < b.queue; });
  return stats;
}

absl::StatusOr<std::map<std::string, std::string>> KvTableFromJson(const Json& j) {
  RMQ_RETURN_IF_ERROR(RequireObject(j, "KV table"));
  std::map<std::string, std::string> out;
  RMQ_RETURN_IF_ERROR(ReadStringMap(j, "table", out));
  return out;
}

absl::StatusOr<std::vector<std::string>> TopicListFromJson(const Json& j) {
  RMQ_RETURN_IF_ERROR(RequireObject(j, "topic list"));
  std::vector<std::string> out;
  if (auto it = j.find("topicList"); it != j.end() && it->is_array()) {
    for (const auto& t : *it) {
      if (t.is_string()) out.push_back(t.get<std::string>());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

absl::StatusOr<std::vector<ConsumerOffsets>> ConsumerOffsetsFromJson(const Json& j) {
  RMQ_RETURN_IF_ERROR(RequireObject(j, "consumer offsets"));
  std::vector<ConsumerOffsets> out;
  const Json* table = FindObject(j, "offsetTable");
  if (table == nullptr) return out;
  for (const auto& [key, queues] : table->items()) {
    size_t at = key.rfind('@');
    if (at == std::string::npos || at == 0 || at + 1 == key.size()) {
      return absl::InvalidArgumentError(
          absl::StrCat("offsetTable key '", key, "' is not topic@group"));
    }
    RMQ_RETURN_IF_ERROR(RequireObject(queues, "queue offsets"));
    ConsumerOffsets entry;
    entry.topic = key.substr(0, at);
    entry.group = key.substr(at + 1);
    for (const auto& [queue, offset] : queues.items()) {
      int32_t queue_id = 0;
      if (!absl::SimpleAtoi(queue, &queue_id) || !offset.is_number_integer()) {
        return absl::InvalidArgumentError(
            absl::StrCat("offsetTable '", key, "' has a bad entry for queue '", queue, "'"));
      }
      entry.queue_offsets[queue_id] = offset.get<int64_t>();
    }
    out.push_back(std::move(entry));
  }
  return out;
}

absl::StatusOr<HaRuntimeInfo> HaRuntimeInfoFromJson(const Json& j) {
  RMQ_RETURN_IF_ERROR(RequireObject(j, "HA runtime info"));
  HaRuntimeInfo out;
  RMQ_RETURN_IF_ERROR(ReadBool(j, "master", out.master));
  RMQ_RETURN_IF_ERROR(ReadInt64(j, "masterCommitLogMaxOffset", out.master_commit_log_max_offset));
  RMQ_RETURN_IF_ERROR(ReadInt32(j, "inSyncSlaveNums", out.in_sync_slave_nums));
  auto it = j.find("haConnectionInfo");
  if (it != j.end() && !it->is_null()) {
    if (!it->is_array()) return TypeError("haConnectionInfo", "an array");
    for (const Json& c : *it) {
      RMQ_RETURN_IF_ERROR(RequireObject(c, "HA connection"));
      HaConnection conn;
      RMQ_RETURN_IF_ERROR(ReadString(c, "addr", conn.addr));
      RMQ_RETURN_IF_ERROR(ReadInt64(c, "slaveAckOffset", conn.slave_ack_offset));
      RMQ_RETURN_IF_ERROR(ReadInt64(c, "diff", conn.diff));
      RMQ_RETURN_IF_ERROR(ReadBool(c, "inSync", conn.in_sync));
      out.connections.push_back(std::move(conn));
    }
  }
  return out;
}

Json ToJson(const DataVersion& v) {
  return Json{
      {"counter", v.counter}, {"stateVersion", v.state_version}, {"timestamp", v.timestamp}};
}

Json ToJson(const TopicConfig& t) {
  Json attrs = Json::object();
  for (const auto& [k, v] : t.attributes) attrs[k] = v;
  return Json{{"attributes", std::move(attrs)},
              {"order", t.order},
              {"perm", t.perm},
              {"readQueueNums", t.read_queue_nums},
              {"topicFilterType", t.topic_filter_type},
              {"topicName", t.topic_name},
              {"topicSysFlag", t.topic_sys_flag},
              {"writeQueueNums", t.write_queue_nums}};
}

Json ToJson(const BrokerData& b) {
  Json addrs = Json::object();
  for (const auto& [id, addr] : b.broker_addrs) addrs[std::to_string(id)] = addr;
  Json j{{"brokerAddrs", std::move(addrs)},
         {"brokerName", b.broker_name},
         {"cluster", b.cluster},
         {"enableActingMaster", b.enable_acting_master}};
  if (!b.zone_name.empty()) j["zoneName"] = b.zone_name;
  return j;
}

Json ToJson(const ClusterInfo& c) {
  Json brokers = Json::object();
  for (const auto& [name, b] : c.brokers) brokers[name] = ToJson(b);
  Json clusters = Json::object();
  for (const auto& [name, names] : c.clusters) clusters[name] = names;
  return Json{{"brokerAddrTable", std::move(brokers)}, {"clusterAddrTable", std::move(clusters)}};
}

Json ToJson(const TopicRouteData& r) {
  Json queues = Json::array();
  for (const auto& q : r.queue_datas) {
    queues.push_back(Json{{"brokerName", q.broker_name},
                          {"perm", q.perm},
                          {"readQueueNums", q.read_queue_nums},
                          {"topicSysFlag", q.topic_sys_flag},
                          {"writeQueueNums", q.write_queue_nums}});
  }
  Json brokers = Json::array();
  for (const auto& b : r.broker_datas) brokers.push_back(ToJson(b));
  Json j{{"brokerDatas", std::move(brokers)}, {"queueDatas", std::move(queues)}};
  if (!r.order_topic_conf.empty()) j["orderTopicConf"] = r.order_topic_conf;
  return j;
}

Json ToJson(const ConsumeStats& s) {
  Json offsets = Json::array();
  for (const auto& o : s.offsets) {
    offsets.push_back(Json{{"queue", ToJson(o.queue)},
                           {"brokerOffset", o.broker_offset},
                           {"consumerOffset", o.consumer_offset},
                           {"pullOffset", o.pull_offset},
                           {"lastTimestamp", o.last_timestamp},
                           {"lag", o.lag()}});
  }
  return Json{{"consumeTps", s.consume_tps}, {"offsets", std::move(offsets)}};
}

Json ToJson(const TopicStats& s) {
  Json offsets = Json::array();
  for (const auto& o : s.offsets) {
    offsets.push_back(Json{{"queue", ToJson(o.queue)},
                           {"minOffset", o.min_offset},
                           {"maxOffset", o.max_offset},
                           {"lastUpdateTimestamp", o.last_update_timestamp}});
  }
  return Json{{"topicPutTps", s.topic_put_tps}, {"offsets", std::move(offsets)}};
}

Json TopicConfigToCreateJson(const TopicConfig& t) {
  Json j = ToJson(t);
  Json attrs = Json::object();
  for (const auto& [k, v] : t.attributes) attrs[PrefixedKey(k)] = v;
  j["attributes"] = std::move(attrs);
  return j;
}

Json SubscriptionGroupToCreateJson(const SubscriptionGroupConfig& g) {
  Json j = g.json;
  j["groupName"] = g.group_name;
  if (auto it = j.find("attributes"); it != j.end() && it->is_object()) {
    Json attrs = Json::object();
    for (const auto& [k, v] : it->items()) attrs[PrefixedKey(k)] = v;
    *it = std::move(attrs);
  }
  return j;
}

std::string AttributesToCreateString(const std::map<std::string, std::string>& attributes) {
  std::string out;
  for (const auto& [k, v] : attributes) {
    if (!out.empty()) out.push_back(',');
    std::string key = PrefixedKey(k);
    if (key[0] == '-') {
      absl::StrAppend(&out, key);  // deletion: no value (AttributeParser rejects "-k=")
    } else {
      absl::StrAppend(&out, key, "=", v);
    }
  }
  return out;
}

absl::Status ValidateTopicName(const std::string& name) { return ValidateName(name, 127, "topic"); }

absl::Status ValidateGroupName(const std::string& name) { return ValidateName(name, 255, "group"); }

}  // namespace rmq::rocketmq
