// metadata_sync.h: which broker groups of a scale-out still need the cluster's topics and
// subscription groups, and where to copy them from (pure).
//
// A group created by a scale-out (status.size grew from n > 0) starts empty: producers would not
// find its topics, consumers its groups. The operator copies them from a source broker (the
// Broker's spec.scalePodName, else the lowest-numbered group's master that is itself synced) into
// the new group's master through their agents (ExportMetadata -> ImportMetadata, keep existing
// entries, refused by the agent unless the target belongs to this cluster). Groups created with the
// cluster need nothing: every group is empty then.
//
// The set of groups still to sync lives in the Broker's status (metadataSync.pendingGroups),
// written together with the new status.size, so a restarted operator resumes; the copy is an
// idempotent upsert, so repeating a copy that was cut off changes nothing that was already there.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

namespace rmq::controller {

// Groups that need a copy after status.size went from `previous_size` to `groups`.
// previous_size 0 (the cluster's creation): none.
std::set<int32_t> GroupsNeedingSync(int32_t previous_size, int32_t groups);

// One broker pod of the cluster, as the cache shows it.
struct BrokerPodView {
  std::string name;
  int32_t group = -1;
  int32_t broker_id = -1;  // 0 = master
  bool ready = false;      // the pod's Ready condition (the agent's /readyz: broker serving)
  std::string ip;          // status.podIP
};

struct MetadataSyncPlan {
  int32_t group = -1;
  std::string source_pod;
  std::string source_ip;
  std::string target_pod;
  std::string target_ip;
  std::string waiting;  // non-empty: not possible yet, and why (source and target are unset)
};

// The plan for `group` (one of `pending`). `scale_pod_name`: spec.scalePodName ("" = choose).
// A named source must be a ready pod of this cluster outside `pending` (a pending group has
// nothing to give); otherwise the first ready master of a group not pending, lowest group first.
// The target is the group's master and must be ready.
MetadataSyncPlan PlanMetadataSync(int32_t group, const std::set<int32_t>& pending,
                                  const std::string& scale_pod_name,
                                  const std::vector<BrokerPodView>& pods);

}  // namespace rmq::controller
