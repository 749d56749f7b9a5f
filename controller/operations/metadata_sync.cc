#include "controller/operations/metadata_sync.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace rmq::controller {

std::set<int32_t> GroupsNeedingSync(int32_t previous_size, int32_t groups) {
  std::set<int32_t> out;
  if (previous_size <= 0) return out;
  for (int32_t g = previous_size; g < groups; ++g) out.insert(g);
  return out;
}

MetadataSyncPlan PlanMetadataSync(int32_t group, const std::set<int32_t>& pending,
                                  const std::string& scale_pod_name,
                                  const std::vector<BrokerPodView>& pods) {
  MetadataSyncPlan plan;
  plan.group = group;
  const BrokerPodView* source = nullptr;
  if (!scale_pod_name.empty()) {
    auto it = std::find_if(pods.begin(), pods.end(),
                           [&](const BrokerPodView& p) { return p.name == scale_pod_name; });
    if (it == pods.end()) {
      plan.waiting = absl::StrCat("spec.scalePodName ", scale_pod_name,
                                  " is not a broker pod of this cluster");
      return plan;
    }
    if (pending.count(it->group) != 0) {
      plan.waiting = absl::StrCat("spec.scalePodName ", scale_pod_name, " belongs to group ",
                                  it->group, ", which is not synced itself");
      return plan;
    }
    if (!it->ready || it->ip.empty()) {
      plan.waiting = absl::StrCat("source ", scale_pod_name, " is not ready");
      return plan;
    }
    source = &*it;
  } else {
    for (const BrokerPodView& p : pods) {
      if (p.broker_id != 0 || p.group < 0 || pending.count(p.group) != 0) continue;
      if (!p.ready || p.ip.empty()) continue;
      if (source == nullptr || p.group < source->group) source = &p;
    }
    if (source == nullptr) {
      plan.waiting = "no ready master of a synced group to copy from";
      return plan;
    }
  }
  auto target = std::find_if(pods.begin(), pods.end(), [&](const BrokerPodView& p) {
    return p.group == group && p.broker_id == 0;
  });
  if (target == pods.end() || !target->ready || target->ip.empty()) {
    plan.waiting = absl::StrCat("the master of group ", group, " is not ready");
    return plan;
  }
  plan.source_pod = source->name;
  plan.source_ip = source->ip;
  plan.target_pod = target->name;
  plan.target_ip = target->ip;
  return plan;
}

}  // namespace rmq::controller
