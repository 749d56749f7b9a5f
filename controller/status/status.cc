#include "controller/status/status.h"

#include <algorithm>
#include <optional>

#include "absl/strings/str_cat.h"
#include "common/k8s/objects.h"
#include "controller/desired/names.h"

namespace rmq::controller {
namespace {

struct RolloutState {
  int32_t desired = 0;
  int32_t ready = 0;
  int32_t updated = 0;
  int32_t missing = 0;  // StatefulSets not there yet
  int32_t stale = 0;    // StatefulSets whose controller has not seen the latest spec
  bool rolling = false;
};

int32_t IntAt(const Json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_number_integer() ? it->get<int32_t>() : 0;
}

void AddStatefulSet(const Json* sts, int32_t desired, RolloutState& s) {
  s.desired += desired;
  if (sts == nullptr) {
    ++s.missing;
    return;
  }
  const Json status = sts->value("status", Json::object());
  const int64_t generation = sts->value("/metadata/generation"_json_pointer, int64_t{0});
  if (status.value("observedGeneration", int64_t{0}) < generation) {
    ++s.stale;
  }
  const int32_t ready = IntAt(status, "readyReplicas");
  const int32_t updated = IntAt(status, "updatedReplicas");
  s.ready += std::min(ready, desired);
  s.updated += std::min(updated, desired);
  if (status.value("currentRevision", "") != status.value("updateRevision", "") ||
      updated < desired) {
    s.rolling = true;
  }
}

struct Verdict {
  bool ready;
  std::string ready_reason, ready_message;
  bool progressing;
  std::string progressing_reason, progressing_message;
  bool degraded;
  std::string degraded_reason, degraded_message;
};

Verdict Decide(const Blockers& b, const RolloutState& s, const char* what) {
  Verdict v{};
  v.degraded = true;
  if (!b.invalid_spec.ok()) {
    v.degraded_reason = "InvalidSpec";
    v.degraded_message = std::string(b.invalid_spec.message());
  } else if (!b.apply_error.ok()) {
    v.degraded_reason = "ApplyFailed";
    v.degraded_message = std::string(b.apply_error.message());
  } else if (!b.unsupported.empty()) {
    v.degraded_reason = "ClusterModeUnsupported";
    v.degraded_message = b.unsupported;
  } else if (!b.scale_in.empty()) {
    v.degraded_reason = "ScaleInRefused";
    v.degraded_message = b.scale_in;
  } else if (!b.missing_config.empty()) {
    v.degraded_reason = "ConfigMapNotFound";
    v.degraded_message = b.missing_config;
  } else if (!b.waiting_for.empty()) {
    v.degraded_reason = "WaitingForNameServers";
    v.degraded_message = b.waiting_for;
  } else {
    v.degraded = false;
    v.degraded_reason = "AsExpected";
  }

  const std::string counts = absl::StrCat(s.ready, "/", s.desired, " ", what, " ready");
  if (s.missing > 0) {
    v.progressing = true;
    v.progressing_reason = "Creating";
    v.progressing_message = absl::StrCat(s.missing, " StatefulSet(s) not created yet");
  } else if (s.stale > 0 || s.rolling) {
    v.progressing = true;
    v.progressing_reason = "RollingUpdate";
    v.progressing_message = absl::StrCat(s.updated, "/", s.desired, " ", what, " updated");
  } else if (s.ready < s.desired) {
    v.progressing = true;
    v.progressing_reason = "Scaling";
    v.progressing_message = counts;
  } else {
    v.progressing = false;
    v.progressing_reason = "Stable";
    v.progressing_message = counts;
  }

  if (v.degraded && v.degraded_reason != "ScaleInRefused") {
    v.ready = false;
    v.ready_reason = v.degraded_reason;
    v.ready_message = v.degraded_message;
  } else if (s.missing > 0) {
    v.ready = false;
    v.ready_reason = "Creating";
    v.ready_message = v.progressing_message;
  } else if (s.ready == s.desired && s.updated == s.desired && s.stale == 0) {
    v.ready = true;
    v.ready_reason = "AllReplicasReady";
    v.ready_message = counts;
  } else if (s.stale > 0 || s.rolling) {
    v.ready = false;
    v.ready_reason = "RollingUpdate";
    v.ready_message = absl::StrCat(counts, ", ", v.progressing_message);
  } else {
    v.ready = false;
    v.ready_reason = "ReplicasNotReady";
    v.ready_message = counts;
  }
  return v;
}

void ApplyVerdict(const Verdict& v, int64_t generation, Json& status,
                  std::chrono::system_clock::time_point now) {
  Json& conditions = status["conditions"];
  if (!conditions.is_array()) conditions = Json::array();
  auto set = [&](const char* type, bool value, const std::string& reason,
                 const std::string& message) {
    k8s::Condition c{.type = type,
                     .status = std::string(value ? k8s::kConditionTrue : k8s::kConditionFalse),
                     .reason = reason,
                     .message = k8s::TruncateUtf8(message, 32768),
                     .observed_generation = generation,
                     .last_transition_time = ""};
    k8s::SetCondition(conditions, std::move(c), now);
  };
  set("Ready", v.ready, v.ready_reason, v.ready_message);
  set("Progressing", v.progressing, v.progressing_reason, v.progressing_message);
  set("Degraded", v.degraded, v.degraded_reason, v.degraded_message);
  status["observedGeneration"] = generation;
}

Json CurrentStatus(const Json& cr) {
  auto it = cr.find("status");
  return it != cr.end() && it->is_object() ? *it : Json::object();
}

const Json* Find(const Observed& o, const std::string& name) {
  auto it = o.stateful_sets.find(name);
  return it == o.stateful_sets.end() ? nullptr : &it->second;
}

}  // namespace

BrokerProgress ReadBrokerProgress(const Json& cr) {
  BrokerProgress p;
  auto at = [&](const char* pointer) -> const Json* {
    const Json::json_pointer ptr(pointer);
    return cr.contains(ptr) ? &cr.at(ptr) : nullptr;
  };
  auto string_at = [&](const char* pointer) {
    const Json* v = at(pointer);
    return v != nullptr && v->is_string() ? v->get<std::string>() : std::string();
  };
  if (const Json* size = at("/status/size");
      size != nullptr && size->is_number_integer() && *size >= 0 && *size <= 1024) {
    p.size = size->get<int32_t>();
  }
  p.published = string_at("/status/nameServers");
  p.target = string_at("/status/nameServerChange/target");
  if (const Json* pending = at("/status/metadataSync/pendingGroups");
      pending != nullptr && pending->is_array()) {
    for (const Json& g : *pending) {
      if (g.is_number_integer() && g >= 0 && g < 128) p.pending_groups.push_back(g.get<int32_t>());
    }
  }
  return p;
}

bool PodIsReady(const Json& pod) {
  const Json conditions = pod.value("/status/conditions"_json_pointer, Json::array());
  return k8s::IsConditionTrue(conditions, "Ready");
}

Json ComputeNameServiceStatus(const NameServiceStatusInputs& in,
                              std::chrono::system_clock::time_point now) {
  Json status = CurrentStatus(*in.cr);
  RolloutState s;
  if (in.spec != nullptr) {
    AddStatefulSet(Find(in.observed, NameServiceStatefulSetName(in.spec->name)), in.spec->size, s);
  }
  // Ready pods' addresses, sorted (the Apache operator's status.nameServers, but by readiness).
  std::vector<std::string> ips;
  for (const Json& pod : in.observed.pods) {
    const std::string ip = pod.value("/status/podIP"_json_pointer, "");
    if (!ip.empty() && PodIsReady(pod) && !k8s::IsBeingDeleted(pod)) ips.push_back(ip);
  }
  std::sort(ips.begin(), ips.end());
  ips.erase(std::unique(ips.begin(), ips.end()), ips.end());
  std::string list;
  for (const std::string& ip : ips) {
    absl::StrAppend(&list, list.empty() ? "" : ";", ip, ":", kNameServerPort);
  }
  status["nameServers"] = ips;
  status["nameServerList"] = list;
  status["readyReplicas"] = static_cast<int32_t>(ips.size());
  ApplyVerdict(Decide(in.blockers, s, "name servers"), k8s::Generation(*in.cr), status, now);
  return status;
}

Json ComputeBrokerStatus(const BrokerStatusInputs& in, std::chrono::system_clock::time_point now) {
  Json status = CurrentStatus(*in.cr);
  RolloutState s;
  if (in.spec != nullptr) {
    for (const BrokerInstance& i :
         BrokerInstances(in.spec->name, in.groups_applied, in.spec->replica_per_group)) {
      AddStatefulSet(Find(in.observed, i.stateful_set), 1, s);
    }
    status["selector"] = SelectorString(BrokerClusterSelector(in.spec->name));
  }
  std::vector<std::string> nodes;
  int32_t ready = 0;
  for (const Json& pod : in.observed.pods) {
    nodes.push_back(k8s::Name(pod));
    if (PodIsReady(pod)) ++ready;
  }
  std::sort(nodes.begin(), nodes.end());
  status["nodes"] = nodes;
  status["size"] = in.groups_applied;
  status["replicas"] = static_cast<int32_t>(nodes.size());
  status["readyReplicas"] = ready;
  if (!in.name_servers.empty()) status["nameServers"] = in.name_servers;
  ApplyVerdict(Decide(in.blockers, s, "brokers"), k8s::Generation(*in.cr), status, now);
  const BrokerOperations& ops = in.operations;
  if (ops.reported) {
    if (!ops.published.empty()) status["nameServers"] = ops.published;
    if (ops.name_server_target.empty()) {
      status.erase("nameServerChange");
    } else {
      status["nameServerChange"] = {{"target", ops.name_server_target},
                                    {"message", ops.name_server_message}};
    }
    Json& sync = status["metadataSync"];
    if (!sync.is_object()) sync = Json::object();
    sync["pendingGroups"] = ops.pending_groups;
    if (!ops.last_sync.is_null()) sync["lastSync"] = ops.last_sync;
    auto set = [&](const char* type, const std::string& reason, const char* ok_reason,
                   const std::string& message) {
      k8s::Condition c{
          .type = type,
          .status = std::string(reason == ok_reason ? k8s::kConditionTrue : k8s::kConditionFalse),
          .reason = reason,
          .message = k8s::TruncateUtf8(message, 32768),
          .observed_generation = k8s::Generation(*in.cr),
          .last_transition_time = ""};
      k8s::SetCondition(status["conditions"], std::move(c), now);
    };
    set("NameServersPropagated", ops.name_server_reason, kPropagated, ops.name_server_message);
    set("MetadataSynced", ops.sync_reason, kSynced, ops.sync_message);
  }
  return status;
}

}  // namespace rmq::controller
