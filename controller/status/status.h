// status.h: the status of NameService and Broker resources, computed from what the operator
// observed (pure; one place, the reconciler's status writer, sends it).
//
// Conditions (metav1.Condition, lastTransitionTime kept while a status does not flip):
//  - Ready: every StatefulSet exists, has seen its latest spec, and all pods are updated and
//    Ready. Reasons: AllReplicasReady, ReplicasNotReady, RollingUpdate, Creating, InvalidSpec,
//    WaitingForNameServers, ApplyFailed.
//  - Progressing: a rollout or scale is under way (RollingUpdate, Scaling, Creating) or not
//    (Stable).
//  - NameServersPropagated (Broker): the published name-server list is the one the spec asks for
//    and every broker is registered on it (Propagated), or not yet (Propagating, WaitingForAgents,
//    UpdateFailed).
//  - MetadataSynced (Broker): every group a scale-out added has the cluster's topics and
//    subscription groups (Synced), or not yet (Syncing, WaitingForBrokers, SyncFailed).
//  - Degraded: something needs a human (InvalidSpec, ApplyFailed, ScaleInRefused,
//    ClusterModeUnsupported, WaitingForNameServers, ConfigMapNotFound) or not (AsExpected).
// Every condition carries the CR's metadata.generation as observedGeneration, and so does
// status.observedGeneration.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "controller/api/spec.h"

namespace rmq::controller {

// Why the operator could not bring the children to the spec (all empty = nothing blocks).
struct Blockers {
  absl::Status invalid_spec;   // the spec failed ParseNameService/ParseBroker
  absl::Status apply_error;    // the last apply of a child failed
  std::string waiting_for;     // e.g. "name servers: no NameService in namespace x"
  std::string missing_config;  // e.g. "ConfigMap x (broker-common.conf) not found"
  std::string scale_in;        // set when a size decrease was refused (message)
  std::string unsupported;     // e.g. clusterMode CONTROLLER
};

// StatefulSets by name, pods as read from the cache (the CR's pods, by label).
struct Observed {
  std::map<std::string, Json> stateful_sets;
  std::vector<Json> pods;
};

struct NameServiceStatusInputs {
  const Json* cr = nullptr;
  const NameServiceSpec* spec = nullptr;  // null when the spec is invalid
  Observed observed;
  Blockers blockers;
};

// Progress of the operations on a running cluster (controller/operations), for the status.
struct BrokerOperations {
  bool reported = false;           // false: the status keeps these fields as they are
  std::string published;           // status.nameServers
  std::string name_server_target;  // status.nameServerChange.target ("": no change under way)
  // NameServersPropagated: True with reason kPropagated, else False with this reason.
  std::string name_server_reason;
  std::string name_server_message;
  std::vector<int32_t> pending_groups;  // status.metadataSync.pendingGroups
  // MetadataSynced: True with reason kSynced, else False with this reason.
  std::string sync_reason;
  std::string sync_message;
  Json last_sync;  // status.metadataSync.lastSync; null: keep the current one
};
inline constexpr char kPropagated[] = "Propagated";
inline constexpr char kSynced[] = "Synced";

struct BrokerStatusInputs {
  const Json* cr = nullptr;
  const BrokerSpec* spec = nullptr;  // null when the spec is invalid
  Observed observed;
  Blockers blockers;
  // Groups whose StatefulSets the operator renders (status.size): spec.size, or more while a
  // scale-in is refused.
  int32_t groups_applied = 0;
  std::string name_servers;  // the list the brokers were given
  BrokerOperations operations;
};

// The whole new `status` object, built on the CR's current status (fields this code does not
// own are kept). The caller writes it only when it differs from the current one.
Json ComputeNameServiceStatus(const NameServiceStatusInputs& in,
                              std::chrono::system_clock::time_point now);
Json ComputeBrokerStatus(const BrokerStatusInputs& in, std::chrono::system_clock::time_point now);

// What a Broker's status records of the operations (read back at each reconcile; total: a field
// of the wrong type or out of range reads as absent).
struct BrokerProgress {
  int32_t size = 0;                     // status.size
  std::string published;                // status.nameServers
  std::string target;                   // status.nameServerChange.target
  std::vector<int32_t> pending_groups;  // status.metadataSync.pendingGroups (0 <= g < 128)
};
BrokerProgress ReadBrokerProgress(const Json& cr);

// A pod's Ready condition is True.
bool PodIsReady(const Json& pod);

}  // namespace rmq::controller
