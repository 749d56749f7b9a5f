#include "agent/metadata/metadata.h"

#include <algorithm>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "common/rocketmq/remoting/fastjson.h"

namespace rmq::agent {
namespace {

using rocketmq::Json;

const std::set<std::string>& SystemTopics() {
  static const auto* topics = new std::set<std::string>{"TBW102",
                                                        "SCHEDULE_TOPIC_XXXX",
                                                        "BenchmarkTest",
                                                        "RMQ_SYS_TRANS_HALF_TOPIC",
                                                        "RMQ_SYS_TRACE_TOPIC",
                                                        "RMQ_SYS_TRANS_OP_HALF_TOPIC",
                                                        "TRANS_CHECK_MAX_TIME_TOPIC",
                                                        "SELF_TEST_TOPIC",
                                                        "OFFSET_MOVED_EVENT",
                                                        "CHECKPOINT_TOPIC"};
  return *topics;
}

const std::set<std::string>& SystemGroups() {
  static const auto* groups = new std::set<std::string>{
      "TOOLS_CONSUMER",        "FILTERSRV_CONSUMER", "SELF_TEST_C_GROUP", "CID_ONS-HTTP-PROXY",
      "CID_ONSAPI_PERMISSION", "CID_ONSAPI_OWNER",   "CID_ONSAPI_PULL",   "__MONITOR_CONSUMER",
      "SCHEDULE_CONSUMER",     "DEFAULT_CONSUMER"};
  return *groups;
}

bool StartsWith(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

absl::Status Invalid(const std::string& kind, const std::string& name, const std::string& why) {
  return absl::InvalidArgumentError(absl::StrCat(kind, " '", name, "': ", why));
}

v1::ItemFailure Failure(const std::string& kind, const std::string& name,
                        const absl::Status& status) {
  v1::ItemFailure f;
  f.set_kind(kind);
  f.set_name(name);
  f.set_reason(std::string(status.message()));
  return f;
}

}  // namespace

bool IsSystemTopic(const std::string& topic, const BrokerNames& self) {
  return SystemTopics().count(topic) > 0 || StartsWith(topic, "rmq_sys_") ||
         (!self.cluster.empty() &&
          (topic == self.cluster || topic == self.cluster + "_REPLY_TOPIC")) ||
         (!self.broker_name.empty() && topic == self.broker_name);
}

bool IsSystemGroup(const std::string& group) {
  return SystemGroups().count(group) > 0 || StartsWith(group, "CID_RMQ_SYS_");
}

v1::TopicConfig ToProto(const rocketmq::TopicConfig& topic) {
  v1::TopicConfig out;
  out.set_name(topic.topic_name);
  out.set_read_queue_nums(topic.read_queue_nums);
  out.set_write_queue_nums(topic.write_queue_nums);
  out.set_perm(topic.perm);
  out.set_topic_filter_type(topic.topic_filter_type);
  out.set_topic_sys_flag(topic.topic_sys_flag);
  out.set_order(topic.order);
  for (const auto& [k, v] : topic.attributes) (*out.mutable_attributes())[k] = v;
  return out;
}

v1::DataVersion ToProto(const rocketmq::DataVersion& version) {
  v1::DataVersion out;
  out.set_counter(version.counter);
  out.set_state_version(version.state_version);
  out.set_timestamp_ms(version.timestamp);
  return out;
}

v1::SubscriptionGroup ToProto(const rocketmq::SubscriptionGroupConfig& group) {
  v1::SubscriptionGroup out;
  out.set_name(group.group_name);
  out.set_config_json(rocketmq::DumpJson(group.json));
  return out;
}

absl::StatusOr<rocketmq::TopicConfig> FromProto(const v1::TopicConfig& topic) {
  if (absl::Status s = rocketmq::ValidateTopicName(topic.name()); !s.ok()) {
    return Invalid("topic", topic.name(), std::string(s.message()));
  }
  if (topic.read_queue_nums() <= 0 || topic.write_queue_nums() <= 0) {
    return Invalid("topic", topic.name(), "read_queue_nums and write_queue_nums must be positive");
  }
  if (topic.perm() < 0 || topic.perm() > 15) {
    return Invalid("topic", topic.name(), absl::StrCat("perm ", topic.perm(), " is not 0..15"));
  }
  if (topic.topic_filter_type() != "SINGLE_TAG" && topic.topic_filter_type() != "MULTI_TAG") {
    return Invalid("topic", topic.name(),
                   absl::StrCat("topic_filter_type '", topic.topic_filter_type(),
                                "' is not SINGLE_TAG or MULTI_TAG"));
  }
  rocketmq::TopicConfig out;
  out.topic_name = topic.name();
  out.read_queue_nums = topic.read_queue_nums();
  out.write_queue_nums = topic.write_queue_nums();
  out.perm = topic.perm();
  out.topic_filter_type = topic.topic_filter_type();
  out.topic_sys_flag = topic.topic_sys_flag();
  out.order = topic.order();
  for (const auto& [k, v] : topic.attributes()) {
    if (k.empty() || k[0] == '+' || k[0] == '-') {
      return Invalid("topic", topic.name(),
                     absl::StrCat("attribute key '", k, "' must be a plain key (as stored)"));
    }
    out.attributes[k] = v;
  }
  return out;
}

absl::StatusOr<rocketmq::SubscriptionGroupConfig> FromProto(const v1::SubscriptionGroup& group) {
  if (absl::Status s = rocketmq::ValidateGroupName(group.name()); !s.ok()) {
    return Invalid("group", group.name(), std::string(s.message()));
  }
  rocketmq::SubscriptionGroupConfig out;
  out.group_name = group.name();
  if (group.config_json().empty()) {
    out.json = Json{{"groupName", group.name()}};
    return out;
  }
  absl::StatusOr<Json> json = rocketmq::ParseFastJson(group.config_json());
  if (!json.ok()) {
    return Invalid("group", group.name(), absl::StrCat("config_json: ", json.status().message()));
  }
  if (!json->is_object()) return Invalid("group", group.name(), "config_json is not an object");
  if (auto it = json->find("groupName"); it != json->end() && *it != group.name()) {
    return Invalid("group", group.name(),
                   absl::StrCat("config_json names another group: ", rocketmq::DumpJson(*it)));
  }
  out.json = *std::move(json);
  out.json["groupName"] = group.name();
  return out;
}

std::vector<v1::MetadataChunk> BuildExportChunks(
    const rocketmq::TopicConfigTable& topics, const rocketmq::SubscriptionGroupTable& groups,
    const BrokerNames& self, const v1::ExportMetadataRequest& request,
    const std::vector<rocketmq::ConsumerOffsets>& offsets) {
  uint32_t per_chunk =
      request.max_items_per_chunk() == 0 ? kDefaultItemsPerChunk : request.max_items_per_chunk();
  per_chunk = std::min(per_chunk, kMaxItemsPerChunk);
  std::vector<v1::MetadataChunk> chunks;
  uint32_t in_chunk = per_chunk;  // forces a new chunk for the first item
  auto next = [&]() -> v1::MetadataChunk& {
    if (in_chunk >= per_chunk) {
      chunks.emplace_back();
      in_chunk = 0;
    }
    ++in_chunk;
    return chunks.back();
  };
  v1::ExportSummary summary;
  for (const auto& [name, t] : topics.topics) {  // std::map: sorted by name
    if (!request.include_system() && IsSystemTopic(name, self)) continue;
    *next().add_topics() = ToProto(t);
    summary.set_topics(summary.topics() + 1);
  }
  for (const auto& [name, g] : groups.groups) {
    if (!request.include_system() && IsSystemGroup(name)) continue;
    *next().add_groups() = ToProto(g);
    summary.set_groups(summary.groups() + 1);
  }
  if (request.include_consumer_offsets()) {
    std::map<std::pair<std::string, std::string>, const rocketmq::ConsumerOffsets*> sorted;
    for (const auto& o : offsets) {
      if (!request.include_system() && (IsSystemGroup(o.group) || IsSystemTopic(o.topic, self))) {
        continue;
      }
      sorted[{o.topic, o.group}] = &o;
    }
    for (const auto& [key, o] : sorted) {
      v1::ConsumerOffset& out = *next().add_offsets();
      out.set_topic(o->topic);
      out.set_group(o->group);
      for (const auto& [queue, offset] : o->queue_offsets) {
        (*out.mutable_queue_offsets())[queue] = offset;
      }
      summary.set_offsets(summary.offsets() + 1);
    }
  }
  *summary.mutable_topic_data_version() = ToProto(topics.data_version);
  *summary.mutable_group_data_version() = ToProto(groups.data_version);
  summary.mutable_source()->set_cluster(self.cluster);
  summary.mutable_source()->set_broker_name(self.broker_name);
  if (chunks.empty()) chunks.emplace_back();
  *chunks.back().mutable_summary() = std::move(summary);
  return chunks;
}

ImportPlan PlanImport(const std::vector<v1::TopicConfig>& topics,
                      const std::vector<v1::SubscriptionGroup>& groups,
                      const rocketmq::TopicConfigTable& target_topics,
                      const rocketmq::SubscriptionGroupTable& target_groups,
                      v1::ExistingPolicy policy) {
  ImportPlan plan;
  const bool overwrite = policy == v1::EXISTING_POLICY_OVERWRITE;

  std::map<std::string, rocketmq::TopicConfig> wanted_topics;
  for (const v1::TopicConfig& t : topics) {
    absl::StatusOr<rocketmq::TopicConfig> parsed = FromProto(t);
    if (!parsed.ok()) {
      plan.failures.push_back(Failure("topic", t.name(), parsed.status()));
      plan.topics.set_failed(plan.topics.failed() + 1);
      continue;
    }
    wanted_topics[t.name()] = *std::move(parsed);
  }
  for (auto& [name, want] : wanted_topics) {
    auto it = target_topics.topics.find(name);
    const bool exists = it != target_topics.topics.end();
    if (exists && it->second == want) {
      plan.topics.set_unchanged(plan.topics.unchanged() + 1);
    } else if (exists && !overwrite) {
      plan.topics.set_skipped_existing(plan.topics.skipped_existing() + 1);
    } else {
      plan.topics_to_write.push_back(std::move(want));
    }
  }

  std::map<std::string, rocketmq::SubscriptionGroupConfig> wanted_groups;
  for (const v1::SubscriptionGroup& g : groups) {
    absl::StatusOr<rocketmq::SubscriptionGroupConfig> parsed = FromProto(g);
    if (!parsed.ok()) {
      plan.failures.push_back(Failure("group", g.name(), parsed.status()));
      plan.groups.set_failed(plan.groups.failed() + 1);
      continue;
    }
    wanted_groups[g.name()] = *std::move(parsed);
  }
  for (auto& [name, want] : wanted_groups) {
    auto it = target_groups.groups.find(name);
    const bool exists = it != target_groups.groups.end();
    if (exists && rocketmq::SubscriptionGroupMatches(want, it->second)) {
      plan.groups.set_unchanged(plan.groups.unchanged() + 1);
    } else if (exists && !overwrite) {
      plan.groups.set_skipped_existing(plan.groups.skipped_existing() + 1);
    } else {
      plan.groups_to_write.push_back(std::move(want));
    }
  }
  return plan;
}

OffsetPlan PlanOffsetImport(const std::vector<v1::ConsumerOffset>& offsets,
                            const std::vector<rocketmq::ConsumerOffsets>& target_offsets,
                            const rocketmq::TopicConfigTable& target_topics,
                            const rocketmq::SubscriptionGroupTable& target_groups,
                            v1::ExistingPolicy policy) {
  OffsetPlan plan;
  const bool overwrite = policy == v1::EXISTING_POLICY_OVERWRITE;
  std::map<std::pair<std::string, std::string>, const std::map<int32_t, int64_t>*> existing;
  for (const auto& o : target_offsets) existing[{o.topic, o.group}] = &o.queue_offsets;
  std::map<std::pair<std::string, std::string>, const v1::ConsumerOffset*> wanted;
  for (const auto& o : offsets) wanted[{o.topic(), o.group()}] = &o;

  auto fail = [&plan](const std::string& name, const std::string& why) {
    plan.failures.push_back(Failure("offset", name, absl::InvalidArgumentError(why)));
    plan.counts.set_failed(plan.counts.failed() + 1);
  };
  for (const auto& [key, o] : wanted) {
    const auto& [topic, group] = key;
    const std::string name = absl::StrCat(topic, "@", group);
    auto t = target_topics.topics.find(topic);
    if (t == target_topics.topics.end()) {
      fail(name, "the topic does not exist on the target broker");
      continue;
    }
    if (target_groups.groups.count(group) == 0) {
      fail(name, "the subscription group does not exist on the target broker");
      continue;
    }
    const int32_t queues = std::max(t->second.read_queue_nums, t->second.write_queue_nums);
    std::string bad;
    for (const auto& [queue, offset] : o->queue_offsets()) {
      if (queue < 0 || queue >= queues) {
        bad = absl::StrCat("queue ", queue, " is outside the topic's ", queues, " queues");
      } else if (offset < 0) {
        bad = absl::StrCat("queue ", queue, " has a negative offset");
      }
      if (!bad.empty()) break;
    }
    if (!bad.empty()) {
      fail(name, bad);
      continue;
    }
    auto e = existing.find(key);
    const std::map<int32_t, int64_t>* have = e == existing.end() ? nullptr : e->second;
    std::vector<std::pair<int32_t, int64_t>> differing;
    for (const auto& [queue, offset] : o->queue_offsets()) {
      auto q = have == nullptr ? std::map<int32_t, int64_t>::const_iterator() : have->find(queue);
      if (have == nullptr || q == have->end() || q->second != offset) {
        differing.emplace_back(queue, offset);
      }
    }
    if (differing.empty()) {
      plan.counts.set_unchanged(plan.counts.unchanged() + 1);
      continue;
    }
    if (have != nullptr && !overwrite) {
      plan.counts.set_skipped_existing(plan.counts.skipped_existing() + 1);
      continue;
    }
    std::sort(differing.begin(), differing.end());
    const size_t entry = plan.entries.size();
    plan.entries.push_back({name, have != nullptr});
    for (const auto& [queue, offset] : differing) {
      plan.writes.push_back({group, topic, queue, offset, entry});
    }
  }
  return plan;
}

}  // namespace rmq::agent
