// types.h: typed RocketMQ admin data (topic and subscription-group configs, cluster and route
// info, stats) and their conversions from and to the JSON the broker writes.
//
// Decoders take the output of ParseFastJson() (fastjson.h), ignore unknown keys, and fail with
// InvalidArgument naming the field when a known field has the wrong type. Encoders write the
// field names the broker expects. Value types; pure functions; thread-compatible.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace rmq::rocketmq {

using Json = nlohmann::json;

// PermName bits.
inline constexpr int32_t kPermPriority = 8;
inline constexpr int32_t kPermRead = 4;
inline constexpr int32_t kPermWrite = 2;
inline constexpr int32_t kPermInherit = 1;

struct DataVersion {
  int64_t counter = 0;
  int64_t state_version = 0;
  int64_t timestamp = 0;
  friend bool operator==(const DataVersion&, const DataVersion&) = default;
};

struct TopicConfig {
  std::string topic_name;
  int32_t read_queue_nums = 8;  // mqadmin updateTopic's default
  int32_t write_queue_nums = 8;
  int32_t perm = kPermRead | kPermWrite;
  std::string topic_filter_type = "SINGLE_TAG";  // or MULTI_TAG
  int32_t topic_sys_flag = 0;
  bool order = false;
  // As stored by the broker: keys without the +/- prefix (5.x), e.g. {"message.type":"NORMAL"}.
  std::map<std::string, std::string> attributes;
  friend bool operator==(const TopicConfig&, const TopicConfig&) = default;
};

struct TopicConfigTable {
  DataVersion data_version;
  std::map<std::string, TopicConfig> topics;
};

// A subscription group's config. The broker has ~15 fields and adds more between versions, so
// the JSON object is kept whole (field for field, for export/import); `group_name` mirrors
// json["groupName"].
struct SubscriptionGroupConfig {
  std::string group_name;
  Json json = Json::object();
  friend bool operator==(const SubscriptionGroupConfig& a, const SubscriptionGroupConfig& b) {
    return a.group_name == b.group_name && a.json == b.json;
  }
};

struct SubscriptionGroupTable {
  DataVersion data_version;
  std::map<std::string, SubscriptionGroupConfig> groups;
};

struct BrokerData {
  std::string cluster;
  std::string broker_name;
  std::map<int64_t, std::string> broker_addrs;  // brokerId -> "ip:port"; 0 is the master
  bool enable_acting_master = false;
  std::string zone_name;
};

struct ClusterInfo {
  std::map<std::string, BrokerData> brokers;                 // by brokerName
  std::map<std::string, std::vector<std::string>> clusters;  // cluster -> brokerNames
};

struct QueueData {
  std::string broker_name;
  int32_t read_queue_nums = 0;
  int32_t write_queue_nums = 0;
  int32_t perm = 0;
  int32_t topic_sys_flag = 0;
};

struct TopicRouteData {
  std::vector<QueueData> queue_datas;
  std::vector<BrokerData> broker_datas;
  std::string order_topic_conf;
};

struct MessageQueue {
  std::string topic;
  std::string broker_name;
  int32_t queue_id = 0;
  friend auto operator<=>(const MessageQueue&,
                          const MessageQueue&) = default;  // NOLINT(modernize-use-nullptr)
};

struct ConsumeOffset {
  MessageQueue queue;
  int64_t broker_offset = 0;
  int64_t consumer_offset = 0;
  int64_t pull_offset = 0;
  int64_t last_timestamp = 0;
  int64_t lag() const { return broker_offset - consumer_offset; }
};

struct ConsumeStats {
  double consume_tps = 0;
  std::vector<ConsumeOffset> offsets;  // sorted by queue
};

struct TopicQueueOffset {
  MessageQueue queue;
  int64_t min_offset = 0;
  int64_t max_offset = 0;
  int64_t last_update_timestamp = 0;
};

struct TopicStats {
  double topic_put_tps = 0;
  std::vector<TopicQueueOffset> offsets;  // sorted by queue
};

// One `topic@group` entry of the broker's consumer offset table.
struct ConsumerOffsets {
  std::string topic;
  std::string group;
  std::map<int32_t, int64_t> queue_offsets;
};

// GET_BROKER_HA_STATUS (5.x): the master's view of its slaves' replication.
struct HaConnection {
  std::string addr;  // the slave's HA client address (ip:port of its connection)
  int64_t slave_ack_offset = 0;
  int64_t diff = 0;  // master commit-log max offset - slave_ack_offset
  bool in_sync = false;
};

struct HaRuntimeInfo {
  bool master = false;
  int64_t master_commit_log_max_offset = 0;
  int32_t in_sync_slave_nums = 0;
  std::vector<HaConnection> connections;
};

struct SendResult {
  std::string msg_id;
  int32_t queue_id = 0;
  int64_t queue_offset = 0;
};

struct BrokerConfig {
  std::map<std::string, std::string> properties;
  std::string data_version;  // DataVersion JSON from extFields.version, if sent
};

// --- Decoding (input: ParseFastJson output) ---
absl::StatusOr<DataVersion> DataVersionFromJson(const Json& j);
absl::StatusOr<TopicConfig> TopicConfigFromJson(const Json& j);
absl::StatusOr<TopicConfigTable> TopicConfigTableFromJson(const Json& j);
absl::StatusOr<SubscriptionGroupConfig> SubscriptionGroupConfigFromJson(const Json& j);
absl::StatusOr<SubscriptionGroupTable> SubscriptionGroupTableFromJson(const Json& j);
absl::StatusOr<BrokerData> BrokerDataFromJson(const Json& j);
absl::StatusOr<ClusterInfo> ClusterInfoFromJson(const Json& j);
absl::StatusOr<TopicRouteData> TopicRouteDataFromJson(const Json& j);
absl::StatusOr<ConsumeStats> ConsumeStatsFromJson(const Json& j);
absl::StatusOr<TopicStats> TopicStatsFromJson(const Json& j);
absl::StatusOr<std::map<std::string, std::string>> KvTableFromJson(const Json& j);
absl::StatusOr<std::vector<std::string>> TopicListFromJson(const Json& j);
// GET_ALL_CONSUMER_OFFSET / consumerOffset.json: {"offsetTable":{"topic@group":{0:123}}}.
absl::StatusOr<std::vector<ConsumerOffsets>> ConsumerOffsetsFromJson(const Json& j);
absl::StatusOr<HaRuntimeInfo> HaRuntimeInfoFromJson(const Json& j);

// True if every field `want` names has the same value in `have` (nested objects likewise;
// attributes must match exactly). The broker fills defaults for fields a create request leaves
// out, so only the fields `want` gives decide whether a group is already as wanted.
bool SubscriptionGroupMatches(const SubscriptionGroupConfig& want,
                              const SubscriptionGroupConfig& have);

// --- Encoding ---
// As the broker stores it (attribute keys without prefix). Used for output and comparisons.
Json ToJson(const DataVersion& v);
Json ToJson(const TopicConfig& t);
Json ToJson(const BrokerData& b);
Json ToJson(const ClusterInfo& c);
Json ToJson(const TopicRouteData& r);
Json ToJson(const ConsumeStats& s);
Json ToJson(const TopicStats& s);

// For create requests: attribute keys get the '+' prefix 5.x requires when creating/updating
// (rocketmq-protocol.md §2.3); keys that already carry '+' or '-' are kept.
Json TopicConfigToCreateJson(const TopicConfig& t);
Json SubscriptionGroupToCreateJson(const SubscriptionGroupConfig& g);
// "+k1=v1,+k2=v2,-k3" for UPDATE_AND_CREATE_TOPIC's `attributes` ext field ("" when none); a
// key given as "-k" asks the broker to delete attribute k of an existing topic.
std::string AttributesToCreateString(const std::map<std::string, std::string>& attributes);

// Topic name rules of the broker (TopicValidator): [%|a-zA-Z0-9_-]+, at most 127 chars.
absl::Status ValidateTopicName(const std::string& name);
// Group names follow the same character rules, at most 255 chars.
absl::Status ValidateGroupName(const std::string& name);

}  // namespace rmq::rocketmq
