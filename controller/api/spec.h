// spec.h: the NameService and Broker custom resources as the operator reads them (pure).
//
// ParseNameService()/ParseBroker() read a CR's JSON (as the API server returns it) into typed
// specs, apply the same defaults as the CRD schema (deploy/crds/) so a CR stored before a CRD
// upgrade, or a test's hand-written CR, reads the same, and check the same rules. The API server
// enforces those rules first; these checks are the defence behind it (a CR written while the CRD
// was older, or applied with validation off). A violation is InvalidArgument naming the field:
// "spec.hostPath: an absolute hostPath is required when storageMode is HostPath".
//
// Kubernetes-typed fields (resources, env, volumes, affinity, ...) are kept as JSON and passed
// through to the pod template unchanged; the API server validates them when the StatefulSet is
// applied, and such an error is reported in the CR's status.
//
// Example:
//   absl::StatusOr<BrokerSpec> spec = ParseBroker(cr);
//   if (!spec.ok()) return ReportInvalidSpec(cr, spec.status());
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace rmq::controller {

using Json = nlohmann::json;

inline constexpr char kApiGroup[] = "rocketmq.apache.org";
inline constexpr char kApiVersion[] = "rocketmq.apache.org/v1alpha1";
inline constexpr char kDefaultImage[] = "apache/rocketmq:5.3.3";

enum class StorageMode { kEmptyDir, kHostPath, kStorageClass };
enum class ClusterMode { kStatic, kController };
enum class ReplicationMode { kAsync, kSync };

// Fields NameService and Broker share: what goes into the pod template.
struct PodSpecFields {
  std::string image;
  std::string image_pull_policy = "IfNotPresent";
  bool host_network = false;
  std::string dns_policy;  // "" = Kubernetes' default (ClusterFirstWithHostNet with hostNetwork)
  StorageMode storage_mode = StorageMode::kEmptyDir;
  std::string host_path;
  Json resources = Json::object();
  Json env = Json::array();
  Json volume_claim_templates = Json::array();
  Json security_context;            // null when unset
  Json container_security_context;  // null when unset
  Json pod_annotations = Json::object();
  Json image_pull_secrets = Json::array();
  Json affinity;  // null when unset: the operator's default anti-affinity applies
  Json tolerations = Json::array();
  Json node_selector = Json::object();
  std::string priority_class_name;
  std::string service_account_name;
};

struct NameServiceSpec {
  std::string name;
  std::string ns;
  int32_t size = 1;
  PodSpecFields pod;
};

struct BrokerSpec {
  std::string name;
  std::string ns;
  int32_t size = 1;               // groups
  int32_t replica_per_group = 0;  // slaves per group
  std::string name_servers;       // "host:port;host:port", "" = from the NameService
  ClusterMode cluster_mode = ClusterMode::kStatic;
  ReplicationMode replication_mode = ReplicationMode::kAsync;
  bool allow_restart = true;  // accepted for compatibility; never acted on
  Json volumes = Json::array();
  std::string scale_pod_name;
  PodSpecFields pod;
};

inline constexpr int kMaxNameServiceName = 50;
inline constexpr int kMaxBrokerName = 30;

absl::StatusOr<NameServiceSpec> ParseNameService(const Json& cr);
absl::StatusOr<BrokerSpec> ParseBroker(const Json& cr);

std::string_view StorageModeName(StorageMode mode);

}  // namespace rmq::controller
