// metadata_sync_bench: copying N topics + N subscription groups from one real RocketMQ 5.3.3
// broker to another (a broker scale-out's metadata sync)
//   (a) through the agents: ExportMetadata from the source's agent streamed into ImportMetadata
//       on the target's agent (gRPC, batch upserts on the broker),
//   (b) with mqadmin, one JVM per command as the Apache operator's tooling does: `exportMetadata`
//       on the source, then `updateTopic` / `updateSubGroup` per item on the target, sampled on a
//       few items and extrapolated to N.
// Prints wall times and the ratio. Usage: metadata_sync_bench [N=10000] [mqadmin_samples=5]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "bench/mqadmin.h"
#include "tests/support/agent_env.h"

namespace {

namespace v1 = ::rocketmq::agent::v1;
using Clock = std::chrono::steady_clock;

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

// Streams the source's export into the target's import, one chunk at a time.
bool SyncThroughAgents(rmq::testing::AgentTestEnv& source, rmq::testing::AgentTestEnv& target,
                       v1::ImportMetadataResponse& response) {
  grpc::ClientContext export_context;
  auto reader = source.stub().ExportMetadata(&export_context, v1::ExportMetadataRequest());
  grpc::ClientContext import_context;
  auto writer = target.stub().ImportMetadata(&import_context, &response);
  v1::ImportMetadataRequest msg;
  msg.mutable_options()->set_existing(v1::EXISTING_POLICY_OVERWRITE);
  msg.mutable_options()->set_expected_cluster("BenchTarget");
  writer->Write(msg);
  v1::MetadataChunk chunk;
  while (reader->Read(&chunk)) {
    chunk.clear_summary();
    *msg.mutable_chunk() = std::move(chunk);
    if (!writer->Write(msg)) break;
  }
  grpc::Status exported = reader->Finish();
  writer->WritesDone();
  grpc::Status imported = writer->Finish();
  if (!exported.ok() || !imported.ok()) {
    std::fprintf(stderr, "export: %s, import: %s\n", exported.error_message().c_str(),
                 imported.error_message().c_str());
    return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  const int n = argc > 1 ? std::atoi(argv[1]) : 10000;
  const int samples = argc > 2 ? std::atoi(argv[2]) : 5;
  auto source = rmq::testing::AgentTestEnv::Start({.cluster_name = "BenchSource"});
  auto target = rmq::testing::AgentTestEnv::Start({.cluster_name = "BenchTarget"});
  if (!source.ok() || !target.ok()) {
    std::fprintf(stderr, "cannot start RocketMQ: %s %s\n", source.status().ToString().c_str(),
                 target.status().ToString().c_str());
    return 1;
  }
  auto& src = (*source)->env();
  std::vector<rmq::rocketmq::TopicConfig> topics(n);
  std::vector<rmq::rocketmq::SubscriptionGroupConfig> groups(n);
  for (int i = 0; i < n; ++i) {
    topics[i].topic_name = absl::StrCat("Sync_", i);
    groups[i].group_name = absl::StrCat("GID_sync_", i);
    groups[i].json = rmq::rocketmq::Json{{"groupName", groups[i].group_name}};
  }
  auto t = src.Run(src.admin().CreateTopics(src.broker(), topics));
  auto g = src.Run(src.admin().CreateSubscriptionGroups(src.broker(), groups));
  if (!t.ok() || !t->ok() || !g.ok() || !g->ok()) {
    std::fprintf(stderr, "cannot create the source metadata\n");
    return 1;
  }

  auto t0 = Clock::now();
  v1::ImportMetadataResponse response;
  if (!SyncThroughAgents(**source, **target, response)) return 1;
  const double agents_s = Seconds(Clock::now() - t0);
  std::printf("(a) agents: export+import of %d topics + %d groups: %.2f s (created %u+%u)\n", n, n,
              agents_s, response.topics().created(), response.groups().created());

  if (samples <= 0) return 0;
  auto& dst = (*target)->env();
  const rmq::bench::MqadminResult exported = rmq::bench::RunMqadmin(
      src.mq(),
      absl::StrCat("exportMetadata -b ", src.broker(), " -f ", src.mq().dir(), "/export"));
  double topic_s = 0;
  double group_s = 0;
  for (int i = 0; i < samples; ++i) {
    topic_s += rmq::bench::RunMqadmin(
                   dst.mq(), absl::StrCat("updateTopic -b ", dst.broker(), " -t MqadminSync_", i))
                   .seconds;
    group_s += rmq::bench::RunMqadmin(dst.mq(), absl::StrCat("updateSubGroup -b ", dst.broker(),
                                                             " -g GID_mqadmin_", i))
                   .seconds;
  }
  topic_s /= samples;
  group_s /= samples;
  const double mqadmin_s = exported.seconds + n * (topic_s + group_s);
  std::printf(
      "(b) mqadmin: exportMetadata %.2f s, updateTopic %.2f s and updateSubGroup %.2f s per item "
      "(mean of %d): %.0f s for %d + %d (extrapolated)\n",
      exported.seconds, topic_s, group_s, samples, mqadmin_s, n, n);
  std::printf("ratio (b)/(a): %.0fx\n", mqadmin_s / agents_s);
  return 0;
}
