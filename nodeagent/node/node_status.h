// node_status.h: the Node and node Lease objects the node agent writes, as a kubelet (or kwok)
// writes them (pure).
//
// NodeObject() is the agent's server-side-apply body for the Node itself (name and the
// well-known labels); NodeStatus() the body for its `status` subresource: conditions Ready=True
// (KubeletReady) and MemoryPressure/DiskPressure/PIDPressure/NetworkUnavailable=False, addresses
// (InternalIP, Hostname), capacity = allocatable, nodeInfo, daemonEndpoints, phase Running.
// NodeLease() is the coordination.k8s.io/v1 Lease in kube-node-lease that the node lifecycle
// controller of kube-controller-manager reads as the node's heartbeat.
//
// Example:
//   NodeConfig config{.name = "node-1", .machine = machine};
//   Json node = NodeObject(config);
//   Json status = NodeStatus(config, now, registered_at);
//   Json lease = NodeLease(config.name, node_uid, now);
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "nlohmann/json.hpp"

namespace rmq::nodeagent {

using Json = nlohmann::json;

inline constexpr char kNodeLeaseNamespace[] = "kube-node-lease";
inline constexpr char kNotReadyTaint[] = "node.kubernetes.io/not-ready";
inline constexpr char kUnreachableTaint[] = "node.kubernetes.io/unreachable";

// What the node reports about the machine it runs on (read by the caller).
struct MachineInfo {
  std::string internal_ip{};     // e.g. "127.0.0.1"
  std::string hostname{};        // the Hostname address
  std::string architecture{};    // GOARCH spelling: "amd64", "arm64" (see GoArch())
  std::string os_image{};        // /etc/os-release PRETTY_NAME
  std::string kernel_version{};  // uname -r
  std::string machine_id{};      // /etc/machine-id
  std::string boot_id{};         // /proc/sys/kernel/random/boot_id
  std::string system_uuid{};
  int64_t cpu_millis = 0;    // capacity: cpu
  int64_t memory_bytes = 0;  // capacity: memory
  int64_t ephemeral_storage_bytes = 0;
  int64_t max_pods = 110;
};

struct NodeConfig {
  std::string name{};
  MachineInfo machine{};
  std::string kubelet_version = "v1.36.3-rmq-node";
  std::string container_runtime_version = "rmq-node://0.1";
  int kubelet_port = 10250;  // daemonEndpoints.kubeletEndpoint.Port
  int lease_duration_seconds = 40;
};

// uname's machine name -> GOARCH ("x86_64" -> "amd64", "aarch64" -> "arm64"); others unchanged.
std::string GoArch(std::string_view uname_machine);

// {"apiVersion":"v1","kind":"Node","metadata":{"name",labels}}: kubernetes.io/hostname,
// kubernetes.io/os=linux, kubernetes.io/arch, and the beta.kubernetes.io/{os,arch} aliases.
Json NodeObject(const NodeConfig& config);

// The Node with only its status, for an apply on the `status` subresource. lastHeartbeatTime =
// `now`; lastTransitionTime = `since` (when the agent started reporting these statuses).
Json NodeStatus(const NodeConfig& config, std::chrono::system_clock::time_point now,
                std::chrono::system_clock::time_point since);

// The node's Lease in kube-node-lease: holderIdentity = node name, leaseDurationSeconds,
// renewTime = `now` (MicroTime), owned by the Node (`node_uid`; no owner when empty).
Json NodeLease(const NodeConfig& config, const std::string& node_uid,
               std::chrono::system_clock::time_point now);

// `lease` (as read) renewed at `now`: spec.holderIdentity, leaseDurationSeconds and renewTime set,
// everything else (resourceVersion included, for an optimistic Replace) kept.
Json RenewedLease(Json lease, const NodeConfig& config, std::chrono::system_clock::time_point now);

// The value of condition `type` in status.conditions ("True", "False", "Unknown"), "" if absent.
std::string NodeConditionStatus(const Json& node, std::string_view type);

// spec.taints without those with key `key`; nullopt when none had that key (nothing to write).
std::optional<Json> TaintsWithout(const Json& node, std::string_view key);

// Whether a pod is for the binder to bind: no spec.nodeName, no metadata.deletionTimestamp, no
// (non-empty) spec.schedulingGates.
bool NeedsBinding(const Json& pod);

// The Binding that binds `pod` to `node_name` (POST .../pods/{name}/binding).
Json PodBinding(const Json& pod, const std::string& node_name);

}  // namespace rmq::nodeagent
