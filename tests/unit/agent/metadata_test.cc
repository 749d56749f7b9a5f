#include "agent/metadata/metadata.h"

#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"

namespace rmq::agent {
namespace {

using rocketmq::Json;

const BrokerNames kSelf{"prod", "prod-0"};

rocketmq::TopicConfig Topic(const std::string& name, int queues = 8) {
  rocketmq::TopicConfig t;
  t.topic_name = name;
  t.read_queue_nums = queues;
  t.write_queue_nums = queues;
  return t;
}

rocketmq::SubscriptionGroupConfig Group(const std::string& name, int retries = 16) {
  rocketmq::SubscriptionGroupConfig g;
  g.group_name = name;
  g.json = Json{{"groupName", name}, {"retryMaxTimes", retries}, {"consumeEnable", true}};
  return g;
}

TEST(MetadataTest, SystemNames) {
  for (const char* t : {"TBW102", "SCHEDULE_TOPIC_XXXX", "rmq_sys_REVIVE_LOG_prod", "prod",
                        "prod-0", "prod_REPLY_TOPIC", "OFFSET_MOVED_EVENT", "BenchmarkTest"}) {
    EXPECT_TRUE(IsSystemTopic(t, kSelf)) << t;
  }
  for (const char* t : {"Orders", "%RETRY%GID_a", "%DLQ%GID_a", "prod-1", "other"}) {
    EXPECT_FALSE(IsSystemTopic(t, kSelf)) << t;
  }
  EXPECT_TRUE(IsSystemGroup("TOOLS_CONSUMER"));
  EXPECT_TRUE(IsSystemGroup("CID_RMQ_SYS_TRANS"));
  EXPECT_FALSE(IsSystemGroup("GID_orders"));
}

TEST(MetadataTest, TopicProtoRoundTripAndValidation) {
  rocketmq::TopicConfig t = Topic("Orders", 4);
  t.perm = 4;
  t.order = true;
  t.topic_filter_type = "MULTI_TAG";
  t.attributes["message.type"] = "FIFO";
  absl::StatusOr<rocketmq::TopicConfig> back = FromProto(ToProto(t));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, t);

  auto bad = [](auto mutate) {
    v1::TopicConfig p = ToProto(Topic("T"));
    mutate(p);
    return FromProto(p).status();
  };
  EXPECT_EQ(bad([](v1::TopicConfig& p) { p.set_name("has space"); }).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(bad([](v1::TopicConfig& p) { p.set_write_queue_nums(0); }).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(bad([](v1::TopicConfig& p) { p.set_perm(99); }).code(),
            absl::StatusCode::kInvalidArgument);
  absl::Status filter = bad([](v1::TopicConfig& p) { p.set_topic_filter_type("ANY"); });
  EXPECT_NE(filter.message().find("topic_filter_type"), absl::string_view::npos) << filter;
  absl::Status attr =
      bad([](v1::TopicConfig& p) { (*p.mutable_attributes())["+message.type"] = "X"; });
  EXPECT_NE(attr.message().find("'T'"), absl::string_view::npos) << attr;
}

TEST(MetadataTest, GroupProtoRoundTripAndValidation) {
  rocketmq::SubscriptionGroupConfig g = Group("GID_a", 3);
  g.json["groupRetryPolicy"] = Json{{"type", "CUSTOMIZED"}};
  absl::StatusOr<rocketmq::SubscriptionGroupConfig> back = FromProto(ToProto(g));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, g);

  v1::SubscriptionGroup p;
  p.set_name("GID_b");
  p.set_config_json(R"({"groupName":"GID_other"})");
  EXPECT_EQ(FromProto(p).status().code(), absl::StatusCode::kInvalidArgument);
  p.set_config_json("{not json");
  EXPECT_NE(FromProto(p).status().message().find("config_json"), absl::string_view::npos);
  p.set_config_json("[]");
  EXPECT_FALSE(FromProto(p).ok());
  p.set_config_json("");  // name only: the broker's defaults
  absl::StatusOr<rocketmq::SubscriptionGroupConfig> bare = FromProto(p);
  ASSERT_TRUE(bare.ok());
  EXPECT_EQ(bare->json, (Json{{"groupName", "GID_b"}}));
}

TEST(MetadataTest, ExportChunksUserMetadataWithSummaryLast) {
  rocketmq::TopicConfigTable topics;
  for (int i = 0; i < 2500; ++i) topics.topics[absl::StrCat("T", i)] = Topic(absl::StrCat("T", i));
  for (const char* sys : {"TBW102", "prod", "prod-0", "rmq_sys_x"}) topics.topics[sys] = Topic(sys);
  topics.data_version.counter = 7;
  rocketmq::SubscriptionGroupTable groups;
  for (int i = 0; i < 300; ++i) groups.groups[absl::StrCat("G", i)] = Group(absl::StrCat("G", i));
  groups.groups["TOOLS_CONSUMER"] = Group("TOOLS_CONSUMER");

  v1::ExportMetadataRequest request;
  std::vector<v1::MetadataChunk> chunks = BuildExportChunks(topics, groups, kSelf, request);
  ASSERT_EQ(chunks.size(), 3u);  // 2800 items, 1000 per chunk
  size_t topic_items = 0;
  size_t group_items = 0;
  for (size_t i = 0; i < chunks.size(); ++i) {
    EXPECT_LE(chunks[i].topics_size() + chunks[i].groups_size(), 1000);
    EXPECT_EQ(chunks[i].has_summary(), i + 1 == chunks.size());
    topic_items += static_cast<size_t>(chunks[i].topics_size());
    group_items += static_cast<size_t>(chunks[i].groups_size());
  }
  EXPECT_EQ(topic_items, 2500u);
  EXPECT_EQ(group_items, 300u);
  const v1::ExportSummary& summary = chunks.back().summary();
  EXPECT_EQ(summary.topics(), 2500u);
  EXPECT_EQ(summary.groups(), 300u);
  EXPECT_EQ(summary.topic_data_version().counter(), 7);
  EXPECT_EQ(summary.source().cluster(), "prod");

  request.set_include_system(true);
  request.set_max_items_per_chunk(100000);  // capped at kMaxItemsPerChunk
  chunks = BuildExportChunks(topics, groups, kSelf, request);
  ASSERT_EQ(chunks.size(), 1u);
  EXPECT_EQ(chunks[0].summary().topics(), 2504u);
  EXPECT_EQ(chunks[0].summary().groups(), 301u);

  chunks = BuildExportChunks({}, {}, kSelf, v1::ExportMetadataRequest());
  ASSERT_EQ(chunks.size(), 1u);
  EXPECT_TRUE(chunks[0].has_summary());
  EXPECT_EQ(chunks[0].summary().topics(), 0u);
}

TEST(MetadataTest, PlanImportHonoursPolicyAndIsIdempotent) {
  rocketmq::TopicConfigTable target_topics;
  target_topics.topics["Same"] = Topic("Same", 8);
  target_topics.topics["Diff"] = Topic("Diff", 8);
  rocketmq::SubscriptionGroupTable target_groups;
  // The broker stores defaults the import does not name: still unchanged.
  rocketmq::SubscriptionGroupConfig stored = Group("GSame", 16);
  stored.json["brokerId"] = 0;
  target_groups.groups["GSame"] = stored;
  target_groups.groups["GDiff"] = Group("GDiff", 16);

  std::vector<v1::TopicConfig> topics = {ToProto(Topic("Same", 8)), ToProto(Topic("Diff", 4)),
                                         ToProto(Topic("New", 2)), ToProto(Topic("bad name"))};
  std::vector<v1::SubscriptionGroup> groups = {
      ToProto(Group("GSame", 16)), ToProto(Group("GDiff", 5)), ToProto(Group("GNew", 1))};

  ImportPlan keep =
      PlanImport(topics, groups, target_topics, target_groups, v1::EXISTING_POLICY_UNSPECIFIED);
  ASSERT_EQ(keep.topics_to_write.size(), 1u);
  EXPECT_EQ(keep.topics_to_write[0].topic_name, "New");
  EXPECT_EQ(keep.topics.unchanged(), 1u);
  EXPECT_EQ(keep.topics.skipped_existing(), 1u);
  EXPECT_EQ(keep.topics.failed(), 1u);
  ASSERT_EQ(keep.failures.size(), 1u);
  EXPECT_EQ(keep.failures[0].name(), "bad name");
  EXPECT_EQ(keep.failures[0].kind(), "topic");
  ASSERT_EQ(keep.groups_to_write.size(), 1u);
  EXPECT_EQ(keep.groups_to_write[0].group_name, "GNew");
  EXPECT_EQ(keep.groups.unchanged(), 1u);
  EXPECT_EQ(keep.groups.skipped_existing(), 1u);

  ImportPlan over =
      PlanImport(topics, groups, target_topics, target_groups, v1::EXISTING_POLICY_OVERWRITE);
  EXPECT_EQ(over.topics_to_write.size(), 2u);
  EXPECT_EQ(over.groups_to_write.size(), 2u);
  EXPECT_EQ(over.topics.skipped_existing(), 0u);

  // Duplicates: the last one wins.
  ImportPlan dup = PlanImport({ToProto(Topic("X", 1)), ToProto(Topic("X", 3))}, {}, {}, {},
                              v1::EXISTING_POLICY_KEEP);
  ASSERT_EQ(dup.topics_to_write.size(), 1u);
  EXPECT_EQ(dup.topics_to_write[0].read_queue_nums, 3);
}

TEST(MetadataTest, ExportThenPlanIntoTheSameBrokerChangesNothing) {
  rocketmq::TopicConfigTable topics;
  rocketmq::SubscriptionGroupTable groups;
  for (int i = 0; i < 50; ++i) {
    rocketmq::TopicConfig t = Topic(absl::StrCat("T", i), 1 + i % 8);
    if (i % 2 == 0) t.attributes["message.type"] = "NORMAL";
    topics.topics[t.topic_name] = t;
    groups.groups[absl::StrCat("G", i)] = Group(absl::StrCat("G", i), i % 16);
  }
  std::vector<v1::TopicConfig> exported_topics;
  std::vector<v1::SubscriptionGroup> exported_groups;
  v1::ExportMetadataRequest request;
  request.set_max_items_per_chunk(7);
  for (const auto& chunk : BuildExportChunks(topics, groups, kSelf, request)) {
    exported_topics.insert(exported_topics.end(), chunk.topics().begin(), chunk.topics().end());
    exported_groups.insert(exported_groups.end(), chunk.groups().begin(), chunk.groups().end());
  }
  ImportPlan into_empty =
      PlanImport(exported_topics, exported_groups, {}, {}, v1::EXISTING_POLICY_OVERWRITE);
  EXPECT_EQ(into_empty.topics_to_write.size(), 50u);
  EXPECT_EQ(into_empty.groups_to_write.size(), 50u);
  ImportPlan into_same =
      PlanImport(exported_topics, exported_groups, topics, groups, v1::EXISTING_POLICY_OVERWRITE);
  EXPECT_TRUE(into_same.topics_to_write.empty());
  EXPECT_TRUE(into_same.groups_to_write.empty());
  EXPECT_EQ(into_same.topics.unchanged(), 50u);
  EXPECT_EQ(into_same.groups.unchanged(), 50u);
}

rocketmq::ConsumerOffsets Offsets(const std::string& topic, const std::string& group,
                                  std::map<int32_t, int64_t> queues) {
  return {.topic = topic, .group = group, .queue_offsets = std::move(queues)};
}

v1::ConsumerOffset OffsetProto(const std::string& topic, const std::string& group,
                               const std::map<int32_t, int64_t>& queues) {
  v1::ConsumerOffset o;
  o.set_topic(topic);
  o.set_group(group);
  for (const auto& [q, off] : queues) (*o.mutable_queue_offsets())[q] = off;
  return o;
}

TEST(MetadataTest, ExportIncludesUserOffsetsOnlyWhenAsked) {
  rocketmq::TopicConfigTable topics;
  topics.topics["Orders"] = Topic("Orders");
  rocketmq::SubscriptionGroupTable groups;
  groups.groups["GID_a"] = Group("GID_a");
  std::vector<rocketmq::ConsumerOffsets> offsets = {
      Offsets("Orders", "GID_a", {{0, 5}, {1, 7}}), Offsets("%RETRY%GID_a", "GID_a", {{0, 1}}),
      Offsets("Orders", "TOOLS_CONSUMER", {{0, 5}}), Offsets("rmq_sys_X", "GID_a", {{0, 1}})};
  v1::ExportMetadataRequest request;
  auto chunks = BuildExportChunks(topics, groups, kSelf, request, offsets);
  ASSERT_EQ(chunks.size(), 1u);
  EXPECT_EQ(chunks[0].offsets_size(), 0);
  EXPECT_EQ(chunks[0].summary().offsets(), 0u);

  request.set_include_consumer_offsets(true);
  request.set_max_items_per_chunk(1);
  chunks = BuildExportChunks(topics, groups, kSelf, request, offsets);
  ASSERT_EQ(chunks.size(), 4u);  // topic, group, two offsets (system ones left out)
  EXPECT_EQ(chunks.back().summary().offsets(), 2u);
  EXPECT_EQ(chunks[2].offsets(0).topic(), "%RETRY%GID_a");  // sorted by topic
  EXPECT_EQ(chunks[3].offsets(0).topic(), "Orders");
  EXPECT_EQ(chunks[3].offsets(0).queue_offsets().at(1), 7);

  request.set_include_system(true);
  chunks = BuildExportChunks(topics, groups, kSelf, request, offsets);
  EXPECT_EQ(chunks.back().summary().offsets(), 4u);
}

TEST(MetadataTest, OffsetImportPlan) {
  rocketmq::TopicConfigTable topics;
  topics.topics["Orders"] = Topic("Orders", 4);
  rocketmq::SubscriptionGroupTable groups;
  groups.groups["GID_a"] = Group("GID_a");
  groups.groups["GID_b"] = Group("GID_b");
  groups.groups["GID_c"] = Group("GID_c");
  std::vector<rocketmq::ConsumerOffsets> target = {
      Offsets("Orders", "GID_b", {{0, 10}, {1, 11}}),  // equal to the incoming one
      Offsets("Orders", "GID_c", {{0, 1}, {1, 11}})};  // differs on queue 0
  std::vector<v1::ConsumerOffset> incoming = {
      OffsetProto("Orders", "GID_a", {{0, 3}, {3, 4}}),    // new
      OffsetProto("Orders", "GID_b", {{0, 10}, {1, 11}}),  // unchanged
      OffsetProto("Orders", "GID_c", {{0, 9}, {1, 11}}),   // existing, different
      OffsetProto("Missing", "GID_a", {{0, 1}}),           // no such topic
      OffsetProto("Orders", "GID_zzz", {{0, 1}}),          // no such group
      OffsetProto("Orders", "GID_a", {{0, 3}, {3, 4}}),    // duplicate: last wins
  };
  OffsetPlan keep = PlanOffsetImport(incoming, target, topics, groups, v1::EXISTING_POLICY_KEEP);
  EXPECT_EQ(keep.counts.unchanged(), 1u);
  EXPECT_EQ(keep.counts.skipped_existing(), 1u);
  EXPECT_EQ(keep.counts.failed(), 2u);
  ASSERT_EQ(keep.entries.size(), 1u);
  EXPECT_EQ(keep.entries[0].name, "Orders@GID_a");
  EXPECT_FALSE(keep.entries[0].existed);
  ASSERT_EQ(keep.writes.size(), 2u);
  EXPECT_EQ(keep.writes[1].queue_id, 3);
  EXPECT_EQ(keep.writes[1].offset, 4);
  ASSERT_EQ(keep.failures.size(), 2u);
  EXPECT_EQ(keep.failures[0].kind(), "offset");

  OffsetPlan overwrite =
      PlanOffsetImport(incoming, target, topics, groups, v1::EXISTING_POLICY_OVERWRITE);
  ASSERT_EQ(overwrite.entries.size(), 2u);
  EXPECT_TRUE(overwrite.entries[1].existed);
  ASSERT_EQ(overwrite.writes.size(), 3u);  // GID_a's two queues + GID_c's queue 0 only
  EXPECT_EQ(overwrite.writes[2].group, "GID_c");
  EXPECT_EQ(overwrite.writes[2].queue_id, 0);
  EXPECT_EQ(overwrite.writes[2].offset, 9);

  // Queue ids outside the topic and negative offsets fail the entry as a whole.
  OffsetPlan bad = PlanOffsetImport(
      {OffsetProto("Orders", "GID_a", {{0, 1}, {4, 1}}), OffsetProto("Orders", "GID_b", {{0, -1}})},
      {}, topics, groups, v1::EXISTING_POLICY_OVERWRITE);
  EXPECT_EQ(bad.counts.failed(), 2u);
  EXPECT_TRUE(bad.writes.empty());
  EXPECT_NE(bad.failures[0].reason().find("outside"), std::string::npos);
}

}  // namespace
}  // namespace rmq::agent
