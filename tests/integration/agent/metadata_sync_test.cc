// The gRPC BrokerAgent service against two real RocketMQ 5.3.3 brokers (each with its own name
// server). ExportMetadata / ImportMetadata: 10,000 topics and 10,000 subscription groups, compared
// field by field; a second import changes nothing; an import into the wrong cluster and a malformed
// stream are refused. SetWritePermission: producers are refused, then accepted again.
// GetConsumerLag: the broker's offsets minus committed ones.
#include <gtest/gtest.h>

#include <memory>
#include <thread>

#include "absl/strings/str_cat.h"
#include "agent/metadata/metadata.h"
#include "agent/service/broker_agent_service.h"
#include "grpcpp/grpcpp.h"
#include "tests/support/agent_env.h"

namespace rmq::agent {
namespace {

namespace v1 = ::rocketmq::agent::v1;
using rocketmq::Json;

constexpr int kTopics = 10000;
constexpr int kGroups = 10000;

using Side = testing::AgentTestEnv;

class MetadataSyncTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    source_ = StartSide("SourceCluster", "source-0");
    target_ = StartSide("TargetCluster", "target-0");
    if (source_ == nullptr || target_ == nullptr) return;
    // Source metadata: varied topics (queues, perms, attributes, filter types) and groups.
    std::vector<rocketmq::TopicConfig> topics;
    for (int i = 0; i < kTopics; ++i) {
      rocketmq::TopicConfig t;
      t.topic_name = absl::StrCat("Sync_", i);
      t.read_queue_nums = 1 + i % 16;
      t.write_queue_nums = 1 + i % 16;
      t.perm = i % 10 == 0 ? rocketmq::kPermRead : rocketmq::kPermRead | rocketmq::kPermWrite;
      if (i % 3 == 0) t.attributes["message.type"] = "NORMAL";
      if (i % 7 == 0) t.topic_filter_type = "MULTI_TAG";
      topics.push_back(std::move(t));
    }
    std::vector<rocketmq::SubscriptionGroupConfig> groups;
    for (int i = 0; i < kGroups; ++i) {
      rocketmq::SubscriptionGroupConfig g;
      g.group_name = absl::StrCat("GID_sync_", i);
      g.json = Json{{"groupName", g.group_name},
                    {"retryMaxTimes", i % 17},
                    {"consumeBroadcastEnable", i % 2 == 0},
                    {"consumeMessageOrderly", i % 5 == 0}};
      groups.push_back(std::move(g));
    }
    auto& env = source_->env();
    auto t = env.Run(env.admin().CreateTopics(env.broker(), topics));
    auto g = env.Run(env.admin().CreateSubscriptionGroups(env.broker(), groups));
    if (!t.ok() || !t->ok() || !g.ok() || !g->ok()) {
      setup_error_ = new std::string("cannot create the source metadata");
    }
  }

  static void TearDownTestSuite() {
    delete source_;
    delete target_;
    source_ = target_ = nullptr;
  }

  void SetUp() override {
    ASSERT_EQ(setup_error_, nullptr) << *setup_error_;
    ASSERT_NE(source_, nullptr);
    ASSERT_NE(target_, nullptr);
  }

  static Side* StartSide(const std::string& cluster, const std::string& broker_name) {
    testing::LocalRocketMQOptions options;
    options.cluster_name = cluster;
    options.broker_name = broker_name;
    auto side = testing::AgentTestEnv::Start(options);
    if (!side.ok()) {
      setup_error_ = new std::string(side.status().ToString());
      return nullptr;
    }
    return side->release();
  }

  static std::vector<v1::MetadataChunk> Export(Side& side, grpc::Status& status) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(120));
    v1::ExportMetadataRequest request;
    auto reader = side.stub().ExportMetadata(&context, request);
    std::vector<v1::MetadataChunk> chunks;
    v1::MetadataChunk chunk;
    while (reader->Read(&chunk)) chunks.push_back(chunk);
    status = reader->Finish();
    return chunks;
  }

  static grpc::Status Import(Side& side, const v1::ImportOptions& options,
                             const std::vector<v1::MetadataChunk>& chunks,
                             v1::ImportMetadataResponse& response, bool send_options = true) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(300));
    auto writer = side.stub().ImportMetadata(&context, &response);
    v1::ImportMetadataRequest msg;
    if (send_options) {
      *msg.mutable_options() = options;
      writer->Write(msg);
    }
    for (const auto& chunk : chunks) {
      *msg.mutable_chunk() = chunk;
      msg.mutable_chunk()->clear_summary();
      if (!writer->Write(msg)) break;
    }
    writer->WritesDone();
    return writer->Finish();
  }

  static inline Side* source_ = nullptr;
  static inline Side* target_ = nullptr;
  static inline std::string* setup_error_ = nullptr;
};

TEST_F(MetadataSyncTest, ExportImportCopiesEverythingFieldByFieldAndIsIdempotent) {
  grpc::Status status;
  auto started = std::chrono::steady_clock::now();
  std::vector<v1::MetadataChunk> chunks = Export(*source_, status);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_FALSE(chunks.empty());
  const v1::ExportSummary& summary = chunks.back().summary();
  EXPECT_EQ(summary.topics(), static_cast<uint32_t>(kTopics));  // system topics excluded
  EXPECT_EQ(summary.groups(), static_cast<uint32_t>(kGroups));
  EXPECT_EQ(summary.source().cluster(), "SourceCluster");
  EXPECT_GE(chunks.size(), static_cast<size_t>((kTopics + kGroups) / kDefaultItemsPerChunk));

  v1::ImportOptions options;
  options.set_existing(v1::EXISTING_POLICY_OVERWRITE);
  options.set_expected_cluster("TargetCluster");
  v1::ImportMetadataResponse first;
  status = Import(*target_, options, chunks, first);
  ASSERT_TRUE(status.ok()) << status.error_message();
  std::printf("export+import of %d topics and %d groups: %.2f s\n", kTopics, kGroups,
              std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  EXPECT_EQ(first.topics().created(), static_cast<uint32_t>(kTopics)) << first.DebugString();
  EXPECT_EQ(first.groups().created(), static_cast<uint32_t>(kGroups));
  EXPECT_EQ(first.topics().failed() + first.groups().failed(), 0u) << first.DebugString();
  EXPECT_TRUE(first.used_batch_requests());

  // Field by field: every user topic and group of the source equals the target's.
  auto& src = source_->env();
  auto& dst = target_->env();
  auto src_topics = src.Run(src.admin().GetAllTopicConfig(src.broker()));
  auto dst_topics = dst.Run(dst.admin().GetAllTopicConfig(dst.broker()));
  ASSERT_TRUE(src_topics.ok() && dst_topics.ok());
  BrokerNames src_names{"SourceCluster", "source-0"};
  int compared = 0;
  for (const auto& [name, topic] : src_topics->topics) {
    if (IsSystemTopic(name, src_names)) continue;
    auto it = dst_topics->topics.find(name);
    ASSERT_NE(it, dst_topics->topics.end()) << name;
    EXPECT_EQ(it->second, topic) << name;
    ++compared;
  }
  EXPECT_EQ(compared, kTopics);
  auto src_groups = src.Run(src.admin().GetAllSubscriptionGroups(src.broker()));
  auto dst_groups = dst.Run(dst.admin().GetAllSubscriptionGroups(dst.broker()));
  ASSERT_TRUE(src_groups.ok() && dst_groups.ok());
  compared = 0;
  for (const auto& [name, group] : src_groups->groups) {
    if (IsSystemGroup(name)) continue;
    auto it = dst_groups->groups.find(name);
    ASSERT_NE(it, dst_groups->groups.end()) << name;
    EXPECT_EQ(it->second.json, group.json) << name;  // every field, defaults included
    ++compared;
  }
  EXPECT_EQ(compared, kGroups);

  // Again: nothing changes.
  v1::ImportMetadataResponse second;
  status = Import(*target_, options, chunks, second);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(second.topics().unchanged(), static_cast<uint32_t>(kTopics)) << second.DebugString();
  EXPECT_EQ(second.groups().unchanged(), static_cast<uint32_t>(kGroups));
  EXPECT_EQ(second.topics().created() + second.topics().updated(), 0u);
  EXPECT_EQ(second.groups().created() + second.groups().updated(), 0u);
}

TEST_F(MetadataSyncTest, ImportIntoTheWrongClusterIsRefusedAndWritesNothing) {
  grpc::Status status;
  v1::MetadataChunk chunk;
  v1::TopicConfig* t = chunk.add_topics();
  t->set_name("WrongClusterTopic");
  t->set_read_queue_nums(1);
  t->set_write_queue_nums(1);
  t->set_perm(6);
  t->set_topic_filter_type("SINGLE_TAG");
  v1::ImportOptions options;
  options.set_expected_cluster("SourceCluster");
  v1::ImportMetadataResponse response;
  status = Import(*target_, options, {chunk}, response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << status.error_message();
  EXPECT_NE(status.error_message().find("TargetCluster"), std::string::npos);
  auto& dst = target_->env();
  EXPECT_EQ(dst.Run(dst.admin().GetTopicConfig(dst.broker(), "WrongClusterTopic")).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(MetadataSyncTest, MalformedStreamsAreInvalidArguments) {
  v1::ImportMetadataResponse response;
  grpc::Status status = Import(*target_, {}, {v1::MetadataChunk()}, response, false);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("first message"), std::string::npos);

  // An invalid item is reported per item; the valid one in the same chunk is imported.
  v1::MetadataChunk chunk;
  for (const char* name : {"bad name", "GoodImportTopic"}) {
    v1::TopicConfig* t = chunk.add_topics();
    t->set_name(name);
    t->set_read_queue_nums(2);
    t->set_write_queue_nums(2);
    t->set_perm(6);
    t->set_topic_filter_type("SINGLE_TAG");
  }
  v1::ImportMetadataResponse partial;
  status = Import(*target_, {}, {chunk}, partial);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(partial.topics().created(), 1u);
  EXPECT_EQ(partial.topics().failed(), 1u);
  ASSERT_EQ(partial.failures_size(), 1);
  EXPECT_EQ(partial.failures(0).name(), "bad name");
}

TEST_F(MetadataSyncTest, BrokerStateReportsIdentityRegistrationAndCounts) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  v1::GetBrokerStateRequest request;
  request.set_check_registrations(true);
  v1::BrokerState state;
  grpc::Status status = target_->stub().GetBrokerState(&context, request, &state);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(state.state(), v1::LIFECYCLE_STATE_SERVING) << state.state_reason();
  EXPECT_EQ(state.identity().cluster(), "TargetCluster");
  EXPECT_EQ(state.identity().broker_name(), "target-0");
  EXPECT_EQ(state.identity().broker_id(), 0);
  EXPECT_EQ(state.identity().role(), v1::BROKER_ROLE_ASYNC_MASTER);
  EXPECT_EQ(state.identity().address(), target_->env().broker());
  EXPECT_EQ(state.identity().version(), "V5_3_3");
  EXPECT_EQ(state.identity().version_ordinal(), 479);
  ASSERT_EQ(state.name_servers_size(), 1);
  EXPECT_EQ(state.name_servers(0), target_->env().namesrv());
  ASSERT_EQ(state.registrations_size(), 1);
  EXPECT_TRUE(state.registrations(0).registered()) << state.DebugString();
  EXPECT_TRUE(state.writable());
  EXPECT_GT(state.observed_at_ms(), 0);
  EXPECT_GE(state.disk().commit_log_ratio(), 0.0);
  EXPECT_LE(state.disk().commit_log_ratio(), 1.0);

  // A cached answer within max_age_ms is the same observation.
  grpc::ClientContext again_context;
  v1::GetBrokerStateRequest cached_request;
  cached_request.set_max_age_ms(600000);
  v1::BrokerState cached;
  ASSERT_TRUE(target_->stub().GetBrokerState(&again_context, cached_request, &cached).ok());
  EXPECT_EQ(cached.observed_at_ms(), state.observed_at_ms());
  EXPECT_EQ(cached.registrations_size(), 0);  // not asked for this time
}

// Write permission off: the broker refuses sends to order topics and re-registers its routes
// without the write bit (so producers stop choosing it); on again: both come back.
TEST_F(MetadataSyncTest, WritePermissionOffRefusesProducersAndOnRestores) {
  auto& env = source_->env();
  rocketmq::TopicConfig ordered;
  ordered.topic_name = "DrainOrdered";
  ordered.order = true;
  rocketmq::TopicConfig normal;
  normal.topic_name = "DrainNormal";
  ASSERT_TRUE(env.Run(env.admin().CreateTopic(env.broker(), ordered)).ok());
  ASSERT_TRUE(env.Run(env.admin().CreateTopic(env.broker(), normal)).ok());
  ASSERT_TRUE(env.Run(env.admin().SendMessage(env.broker(), "DrainOrdered", 0, "before")).ok());

  auto set = [&](bool writable, v1::SetWritePermissionResponse& response) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    v1::SetWritePermissionRequest request;
    request.set_writable(writable);
    return source_->stub().SetWritePermission(&context, request, &response);
  };
  // Polls the name server until the topic's route perm has (or lacks) the write bit.
  auto route_writable = [&](bool want) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < deadline) {
      auto route = env.Run(env.admin().GetRouteInfoByTopic(env.namesrv(), "DrainNormal"));
      if (route.ok() && !route->queue_datas.empty() &&
          ((route->queue_datas[0].perm & rocketmq::kPermWrite) != 0) == want) {
        return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  };
  ASSERT_TRUE(route_writable(true));

  v1::SetWritePermissionResponse off;
  grpc::Status status = set(false, off);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(off.previous_permission(), 6);
  EXPECT_EQ(off.permission(), 4);
  absl::StatusOr<rocketmq::SendResult> refused =
      env.Run(env.admin().SendMessage(env.broker(), "DrainOrdered", 0, "during"));
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kPermissionDenied) << refused.status();
  EXPECT_TRUE(route_writable(false)) << "route still writable after SetWritePermission(false)";

  v1::SetWritePermissionResponse again;  // idempotent
  ASSERT_TRUE(set(false, again).ok());
  EXPECT_EQ(again.previous_permission(), 4);
  EXPECT_EQ(again.permission(), 4);

  v1::SetWritePermissionResponse on;
  ASSERT_TRUE(set(true, on).ok());
  EXPECT_EQ(on.permission(), 6);
  EXPECT_TRUE(env.Run(env.admin().SendMessage(env.broker(), "DrainOrdered", 0, "after")).ok());
  EXPECT_TRUE(route_writable(true));
}

TEST_F(MetadataSyncTest, ConsumerLagIsBrokerOffsetMinusCommitted) {
  auto& env = source_->env();
  rocketmq::TopicConfig topic;
  topic.topic_name = "LagTopic";
  topic.read_queue_nums = 2;
  topic.write_queue_nums = 2;
  ASSERT_TRUE(env.Run(env.admin().CreateTopic(env.broker(), topic)).ok());
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(env.Run(env.admin().SendMessage(env.broker(), "LagTopic", 0, "m")).ok());
  }
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(env.Run(env.admin().SendMessage(env.broker(), "LagTopic", 1, "m")).ok());
  }
  // The broker refuses offsets for a group it does not know (SUBSCRIPTION_GROUP_NOT_EXIST).
  rocketmq::SubscriptionGroupConfig group;
  group.group_name = "GID_lag";
  group.json = Json{{"groupName", "GID_lag"}};
  ASSERT_TRUE(env.Run(env.admin().CreateSubscriptionGroup(env.broker(), group)).ok());
  absl::Status committed =
      env.Run(env.admin().UpdateConsumerOffset(env.broker(), "GID_lag", "LagTopic", 0, 2));
  ASSERT_TRUE(committed.ok()) << committed;
  committed = env.Run(env.admin().UpdateConsumerOffset(env.broker(), "GID_lag", "LagTopic", 1, 3));
  ASSERT_TRUE(committed.ok()) << committed;

  auto lag = [&](const std::vector<std::string>& groups, v1::GetConsumerLagResponse& response) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    v1::GetConsumerLagRequest request;
    for (const auto& g : groups) request.add_groups(g);
    return source_->stub().GetConsumerLag(&context, request, &response);
  };
  v1::GetConsumerLagResponse one;
  grpc::Status status = lag({"GID_lag"}, one);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(one.groups_size(), 1) << one.DebugString();
  EXPECT_EQ(one.groups(0).lag(), 3);
  ASSERT_EQ(one.groups(0).topics_size(), 1);
  const v1::TopicLag& t = one.groups(0).topics(0);
  EXPECT_EQ(t.topic(), "LagTopic");
  ASSERT_EQ(t.queues_size(), 2);
  EXPECT_EQ(t.queues(0).broker_offset(), 5);
  EXPECT_EQ(t.queues(0).consumer_offset(), 2);
  EXPECT_EQ(t.queues(0).lag(), 3);
  EXPECT_EQ(t.queues(1).lag(), 0);

  // All groups: only those with committed offsets (the 10,000 synced groups have none).
  v1::GetConsumerLagResponse all;
  ASSERT_TRUE(lag({}, all).ok());
  ASSERT_EQ(all.groups_size(), 1) << all.DebugString();
  EXPECT_EQ(all.groups(0).group(), "GID_lag");

  v1::GetConsumerLagResponse bad;
  status = lag({"not a group"}, bad);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(MetadataSyncTest, ConsumerOffsetsTravelWithTheirTopicAndGroup) {
  auto& src = source_->env();
  rocketmq::TopicConfig topic;
  topic.topic_name = "OffsetTopic";
  topic.read_queue_nums = 2;
  topic.write_queue_nums = 2;
  ASSERT_TRUE(src.Run(src.admin().CreateTopic(src.broker(), topic)).ok());
  rocketmq::SubscriptionGroupConfig group;
  group.group_name = "GID_offsets";
  group.json = Json{{"groupName", "GID_offsets"}};
  ASSERT_TRUE(src.Run(src.admin().CreateSubscriptionGroup(src.broker(), group)).ok());
  for (int q = 0; q < 2; ++q) {
    for (int i = 0; i < 4; ++i) {
      ASSERT_TRUE(src.Run(src.admin().SendMessage(src.broker(), "OffsetTopic", q, "m")).ok());
    }
  }
  ASSERT_TRUE(
      src.Run(src.admin().UpdateConsumerOffset(src.broker(), "GID_offsets", "OffsetTopic", 0, 2))
          .ok());
  ASSERT_TRUE(
      src.Run(src.admin().UpdateConsumerOffset(src.broker(), "GID_offsets", "OffsetTopic", 1, 3))
          .ok());

  // Export with offsets; keep only this test's items so the import is small.
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(120));
  v1::ExportMetadataRequest request;
  request.set_include_consumer_offsets(true);
  auto reader = source_->stub().ExportMetadata(&context, request);
  v1::MetadataChunk chunk;
  v1::MetadataChunk mine;
  uint32_t exported_offsets = 0;
  while (reader->Read(&chunk)) {
    for (const auto& t : chunk.topics()) {
      if (t.name() == "OffsetTopic") *mine.add_topics() = t;
    }
    for (const auto& g : chunk.groups()) {
      if (g.name() == "GID_offsets") *mine.add_groups() = g;
    }
    for (const auto& o : chunk.offsets()) {
      if (o.group() == "GID_offsets") *mine.add_offsets() = o;
    }
    if (chunk.has_summary()) exported_offsets = chunk.summary().offsets();
  }
  ASSERT_TRUE(reader->Finish().ok());
  EXPECT_GE(exported_offsets, 1u);
  ASSERT_EQ(mine.offsets_size(), 1);
  EXPECT_EQ(mine.offsets(0).queue_offsets().at(0), 2);
  EXPECT_EQ(mine.offsets(0).queue_offsets().at(1), 3);

  v1::ImportOptions options;
  options.set_existing(v1::EXISTING_POLICY_OVERWRITE);
  options.set_expected_cluster("TargetCluster");
  // An offset whose group the target lacks fails on its own, with the reason.
  v1::MetadataChunk orphan;
  *orphan.add_offsets() = mine.offsets(0);
  orphan.mutable_offsets(0)->set_group("GID_not_there");
  v1::ImportMetadataResponse first;
  grpc::Status status = Import(*target_, options, {mine, orphan}, first);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(first.offsets().created(), 1u) << first.DebugString();
  EXPECT_EQ(first.offsets().failed(), 1u);
  ASSERT_EQ(first.failures_size(), 1);
  EXPECT_EQ(first.failures(0).name(), "OffsetTopic@GID_not_there");

  auto& dst = target_->env();
  auto offsets = dst.Run(dst.admin().GetAllConsumerOffsets(dst.broker()));
  ASSERT_TRUE(offsets.ok()) << offsets.status();
  std::map<int32_t, int64_t> got;
  for (const auto& o : *offsets) {
    if (o.group == "GID_offsets" && o.topic == "OffsetTopic") got = o.queue_offsets;
  }
  EXPECT_EQ(got, (std::map<int32_t, int64_t>{{0, 2}, {1, 3}}));

  v1::ImportMetadataResponse second;
  status = Import(*target_, options, {mine}, second);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(second.offsets().unchanged(), 1u) << second.DebugString();
  EXPECT_EQ(second.topics().unchanged(), 1u);
  EXPECT_EQ(second.groups().unchanged(), 1u);
}

// Last: it adds a slave to the source broker's group.
TEST_F(MetadataSyncTest, MasterReportsItsSlavesReplication) {
  auto& env = source_->env();
  testing::LocalRocketMQOptions options;
  options.namesrv_addr = env.namesrv();
  options.cluster_name = "SourceCluster";
  options.broker_name = "source-0";
  options.broker_config = {{"brokerId", "1"}, {"brokerRole", "SLAVE"}};
  auto slave = testing::LocalRocketMQ::Start(options);
  ASSERT_TRUE(slave.ok()) << slave.status();
  rocketmq::TopicConfig topic;
  topic.topic_name = "ReplicatedTopic";
  ASSERT_TRUE(env.Run(env.admin().CreateTopic(env.broker(), topic)).ok());
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(
        env.Run(env.admin().SendMessage(env.broker(), "ReplicatedTopic", 0, "replicated")).ok());
  }

  // The slave learns the master's HA address from its first registration (~10 s after boot),
  // then catches up.
  v1::BrokerState state;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(90);
  while (std::chrono::steady_clock::now() < deadline) {
    grpc::ClientContext context;
    v1::GetBrokerStateRequest request;  // max_age_ms 0: fresh
    ASSERT_TRUE(source_->stub().GetBrokerState(&context, request, &state).ok());
    if (state.slaves_size() == 1 && state.slaves(0).in_sync() && state.slaves(0).lag_bytes() == 0) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  ASSERT_EQ(state.slaves_size(), 1) << state.DebugString();
  EXPECT_EQ(state.slaves(0).broker_id(), -1);
  EXPECT_NE(state.slaves(0).address().find("127.0.0.1:"), std::string::npos);
  EXPECT_TRUE(state.slaves(0).in_sync()) << state.DebugString();
  EXPECT_EQ(state.slaves(0).lag_bytes(), 0) << state.DebugString();
  EXPECT_GT(state.commit_log_max_offset(), 0);
}

}  // namespace
}  // namespace rmq::agent
