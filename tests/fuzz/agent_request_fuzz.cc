// libFuzzer target for the agent's request validation: arbitrary bytes decoded as the gRPC
// messages a client can send (ImportMetadataRequest, GetConsumerLagRequest, ExportMetadataRequest,
// UpdateNameServersRequest) go through the same validation and planning the service uses.
// Invariants beyond "no crash": every item is accounted for exactly once (written, unchanged, kept
// or failed), and whatever validation accepts converts back to the same proto; an accepted
// name-server list joins into a namesrvAddr that splits back into the same list.
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "agent/metadata/metadata.h"
#include "agent/registration/registration.h"
#include "agent/state/broker_state.h"

namespace {

namespace v1 = ::rocketmq::agent::v1;
using rmq::agent::FromProto;
using rmq::agent::ToProto;

void Check(bool ok) {
  if (!ok) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  v1::ImportMetadataRequest request;
  if (request.ParseFromArray(data, static_cast<int>(size)) && request.has_chunk()) {
    const v1::MetadataChunk& chunk = request.chunk();
    std::vector<v1::TopicConfig> topics(chunk.topics().begin(), chunk.topics().end());
    std::vector<v1::SubscriptionGroup> groups(chunk.groups().begin(), chunk.groups().end());
    for (const auto& t : topics) {
      absl::StatusOr<rmq::rocketmq::TopicConfig> parsed = FromProto(t);
      if (parsed.ok()) {
        v1::TopicConfig back = ToProto(*parsed);
        Check(back.name() == t.name() && back.read_queue_nums() == t.read_queue_nums() &&
              back.attributes_size() == t.attributes_size());
      }
    }
    for (const auto& g : groups) (void)FromProto(g);
    // Plan against an empty target and against a target holding a few of the same names.
    rmq::rocketmq::TopicConfigTable target_topics;
    rmq::rocketmq::SubscriptionGroupTable target_groups;
    for (size_t i = 0; i < topics.size() && i < 3; ++i) {
      if (auto t = FromProto(topics[i]); t.ok()) target_topics.topics[t->topic_name] = *t;
    }
    for (size_t i = 0; i < groups.size() && i < 3; ++i) {
      if (auto g = FromProto(groups[i]); g.ok()) target_groups.groups[g->group_name] = *g;
    }
    for (auto policy : {v1::EXISTING_POLICY_KEEP, v1::EXISTING_POLICY_OVERWRITE}) {
      rmq::agent::ImportPlan plan =
          rmq::agent::PlanImport(topics, groups, target_topics, target_groups, policy);
      // Distinct valid names + invalid items = planned outcomes.
      std::set<std::string> valid_topics;
      size_t invalid_topics = 0;
      for (const auto& t : topics) {
        if (FromProto(t).ok()) {
          valid_topics.insert(t.name());
        } else {
          ++invalid_topics;
        }
      }
      Check(plan.topics_to_write.size() + plan.topics.unchanged() +
                plan.topics.skipped_existing() ==
            valid_topics.size());
      Check(plan.topics.failed() == invalid_topics);
    }
  }
  v1::GetConsumerLagRequest lag;
  (void)lag.ParseFromArray(data, static_cast<int>(size));
  v1::UpdateNameServersRequest update;
  if (update.ParseFromArray(data, static_cast<int>(size))) {
    std::vector<std::string> list(update.name_servers().begin(), update.name_servers().end());
    if (rmq::agent::ValidateNameServerList(list).ok()) {
      Check(rmq::agent::SplitNameServers(rmq::agent::JoinNameServers(list)) == list);
    }
  }
  v1::ExportMetadataRequest export_request;
  if (export_request.ParseFromArray(data, static_cast<int>(size))) {
    auto chunks = rmq::agent::BuildExportChunks({}, {}, {"c", "b"}, export_request);
    Check(chunks.size() == 1 && chunks[0].has_summary());
  }
  return 0;
}
