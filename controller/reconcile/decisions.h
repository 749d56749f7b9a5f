// decisions.h: the reconcilers' decisions that are not builders (pure): whether a child needs
// applying, how many broker groups to render, where a Broker's name servers come from, and which
// custom resource an event on a child concerns.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "controller/api/spec.h"
#include "controller/desired/name_service.h"

namespace rmq::controller {

inline constexpr char kAnnotationAppliedHash[] = "rocketmq.apache.org/applied-hash";

// `desired` with annotation rocketmq.apache.org/applied-hash = StableHash of its canonical JSON
// (computed without the annotation).
Json WithAppliedHash(Json desired);

// Whether to apply `desired` (from WithAppliedHash): the object is missing, or its cached copy
// carries another hash (the spec changed, or someone else rewrote the annotation). Steady state:
// false for every child, so a reconcile sends nothing.
bool NeedsApply(const Json* observed, const Json& desired);

// Groups to render for a Broker: spec.size, but never fewer than already exist (`status.size`)
// while scale-in is not implemented; `refused` explains a refused decrease.
struct GroupDecision {
  int32_t groups = 0;
  std::string refused;  // "" when not refusing
};
GroupDecision DecideBrokerGroups(int32_t spec_size, int32_t existing_groups);

// The name servers a Broker's pods are given: spec.nameServers when set, else the NameService of
// the namespace (its pods' stable DNS names). With several NameServices and no explicit list the
// choice would be a guess: `waiting` says so and nothing is chosen.
struct NameServerChoice {
  std::string list;     // "host:port;host:port"
  std::string waiting;  // why there is no list yet ("" when list is set)
};
NameServerChoice ChooseNameServers(const BrokerSpec& broker,
                                   const std::vector<NameServiceSpec>& name_services_in_namespace,
                                   const ClusterSettings& settings);

// The pods behind a NameService's name-server list (<sts>-0 .. <sts>-<size-1>) that do not serve
// as that name yet: "ns-2 (not created yet)", "ns-2 (terminating)", "ns-2 (not ready)". A pod
// being replaced (scaled in, then out again at once) still answers under the name while it
// terminates, with the old registrations: a name-server change waits for these (`pods`: the
// NameService's pods, any order).
std::vector<std::string> NameServerPodsNotServing(const NameServiceSpec& name_service,
                                                  const std::vector<Json>& pods);

// "namespace/name" of the NameService or Broker (kind) an object belongs to: its controller
// ownerReference of that kind, or, for pods (owned by StatefulSets), the name_service_cr /
// broker_cr label. nullopt when it belongs to none.
std::optional<std::string> OwnerKey(const Json& object, std::string_view kind);

}  // namespace rmq::controller
