// metadata.h: the agent's metadata export/import logic, as pure functions over typed data.
//
// Export: the broker's topic and subscription-group tables -> agent API chunks (user metadata
// only unless asked; every broker creates its own system topics and groups at startup).
// Import: incoming chunks + the target broker's current tables + a policy -> a plan saying which
// items to write and which are unchanged, kept (policy KEEP) or invalid. The thin I/O layer (the
// gRPC service) reads the tables, applies the plan with AdminClient's batch upserts and reports
// the counts. Nothing here does I/O, logs or reads a clock. Thread-compatible.
//
// Example:
//   std::vector<v1::MetadataChunk> chunks = BuildExportChunks(topics, groups, self, options);
//   ImportPlan plan = PlanImport(incoming_topics, incoming_groups, target_topics, target_groups,
//                                v1::EXISTING_POLICY_KEEP);
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/rocketmq/admin/types.h"
#include "rmq/agent/v1/agent.pb.h"

namespace rmq::agent {

namespace v1 = ::rocketmq::agent::v1;

// The broker's own identity, which names some of its system topics.
struct BrokerNames {
  std::string cluster;
  std::string broker_name;
};

// Topics every broker creates for itself (TopicValidator.SYSTEM_TOPIC_SET, the rmq_sys_ prefix,
// and the cluster-, broker- and reply-topic TopicConfigManager adds in 5.3.3). Retry (%RETRY%) and
// dead-letter (%DLQ%) topics belong to user groups and are not system topics.
bool IsSystemTopic(const std::string& topic, const BrokerNames& self);
// Groups every broker creates for itself (SubscriptionGroupManager.init) and CID_RMQ_SYS_*.
bool IsSystemGroup(const std::string& group);

v1::TopicConfig ToProto(const rocketmq::TopicConfig& topic);
v1::SubscriptionGroup ToProto(const rocketmq::SubscriptionGroupConfig& group);
v1::DataVersion ToProto(const rocketmq::DataVersion& version);
// Validates the name and fields; errors name the item and field (INVALID_ARGUMENT).
absl::StatusOr<rocketmq::TopicConfig> FromProto(const v1::TopicConfig& topic);
absl::StatusOr<rocketmq::SubscriptionGroupConfig> FromProto(const v1::SubscriptionGroup& group);

inline constexpr uint32_t kDefaultItemsPerChunk = 1000;
inline constexpr uint32_t kMaxItemsPerChunk = 10000;

// Splits the tables into chunks of at most `max_items_per_chunk` items (0: the default; capped),
// topics first, then groups, then consumer offsets (one item per topic@group), each sorted by
// name; the last chunk carries the summary (also when there is nothing to export: then it is the
// only chunk). Offsets of system groups or on system topics are left out unless include_system.
// `offsets` is only read when the request asks for them.
std::vector<v1::MetadataChunk> BuildExportChunks(
    const rocketmq::TopicConfigTable& topics, const rocketmq::SubscriptionGroupTable& groups,
    const BrokerNames& self, const v1::ExportMetadataRequest& request,
    const std::vector<rocketmq::ConsumerOffsets>& offsets = {});

// What an import must write, and everything it must not.
struct ImportPlan {
  std::vector<rocketmq::TopicConfig> topics_to_write;
  std::vector<rocketmq::SubscriptionGroupConfig> groups_to_write;
  v1::ItemCounts
      topics;  // unchanged, skipped_existing and failed filled in; the rest by the writer
  v1::ItemCounts groups;
  std::vector<v1::ItemFailure> failures;  // invalid items (never sent to the broker)
};

// Plans an import. An item equal to the target's is unchanged; an existing, different one is
// written under OVERWRITE and kept (skipped_existing) under KEEP/UNSPECIFIED; a new one is written.
// Duplicate names in the input: the last one wins. Invalid items become failures.
ImportPlan PlanImport(const std::vector<v1::TopicConfig>& topics,
                      const std::vector<v1::SubscriptionGroup>& groups,
                      const rocketmq::TopicConfigTable& target_topics,
                      const rocketmq::SubscriptionGroupTable& target_groups,
                      v1::ExistingPolicy policy);

// One UPDATE_CONSUMER_OFFSET.
struct OffsetWrite {
  std::string group;
  std::string topic;
  int32_t queue_id = 0;
  int64_t offset = 0;
  size_t entry = 0;  // index into OffsetPlan::entries
};

// Consumer offsets to import, one entry per topic@group. Outcome counts are per entry.
struct OffsetPlan {
  struct Entry {
    std::string name;      // "topic@group"
    bool existed = false;  // the target had offsets for it (counted as updated, else created)
  };
  std::vector<Entry> entries;       // entries with writes
  std::vector<OffsetWrite> writes;  // sorted by entry
  v1::ItemCounts counts;  // unchanged, skipped_existing, failed; created/updated once written
  std::vector<v1::ItemFailure> failures;
};

// Plans an offset import against the target's offset table and its topic and group tables as they
// will be after the topic and group import (UPDATE_CONSUMER_OFFSET needs both to exist). An entry
// is unchanged when every queue offset equals the target's; under KEEP an entry the target has with
// other offsets is skipped; under OVERWRITE only differing queues are written. An entry whose topic
// or group the target lacks, or with a queue id outside the topic's queues or a negative offset,
// fails as a whole. Duplicate entries: the last one wins.
OffsetPlan PlanOffsetImport(const std::vector<v1::ConsumerOffset>& offsets,
                            const std::vector<rocketmq::ConsumerOffsets>& target_offsets,
                            const rocketmq::TopicConfigTable& target_topics,
                            const rocketmq::SubscriptionGroupTable& target_groups,
                            v1::ExistingPolicy policy);

}  // namespace rmq::agent
