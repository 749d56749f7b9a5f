#include "controller/api/spec.h"

#include <string_view>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/base/status_macros.h"
#include "common/k8s/objects.h"

namespace rmq::controller {
namespace {

absl::Status FieldError(std::string_view field, std::string_view message) {
  return absl::InvalidArgumentError(absl::StrCat(std::string(field), ": ", std::string(message)));
}

// Typed readers of spec fields: absent or null -> the default; a wrong type is an error.
class SpecReader {
 public:
  explicit SpecReader(const Json& spec) : spec_(spec) {}

  absl::Status Int(std::string_view key, int32_t min, int32_t max, int32_t& out) const {
    const Json* v = Find(key);
    if (v == nullptr) return absl::OkStatus();
    if (!v->is_number_integer()) return FieldError(Path(key), "must be an integer");
    const int64_t n = v->get<int64_t>();
    if (n < min || n > max) {
      return FieldError(Path(key),
                        absl::StrCat("must be between ", min, " and ", max, ", got ", n));
    }
    out = static_cast<int32_t>(n);
    return absl::OkStatus();
  }

  absl::Status Bool(std::string_view key, bool& out) const {
    const Json* v = Find(key);
    if (v == nullptr) return absl::OkStatus();
    if (!v->is_boolean()) return FieldError(Path(key), "must be a boolean");
    out = v->get<bool>();
    return absl::OkStatus();
  }

  absl::Status String(std::string_view key, std::string& out) const {
    const Json* v = Find(key);
    if (v == nullptr) return absl::OkStatus();
    if (!v->is_string()) return FieldError(Path(key), "must be a string");
    out = v->get<std::string>();
    return absl::OkStatus();
  }

  // A string that must be one of `allowed` (the CRD's enum).
  absl::Status Enum(std::string_view key, std::initializer_list<std::string_view> allowed,
                    std::string& out) const {
    RMQ_RETURN_IF_ERROR(String(key, out));
    for (std::string_view a : allowed) {
      if (out == a) return absl::OkStatus();
    }
    std::string names;
    for (std::string_view a : allowed) {
      absl::StrAppend(&names, names.empty() ? "" : ", ", std::string(a));
    }
    return FieldError(Path(key),
                      absl::StrCat("unsupported value \"", out, "\": must be one of ", names));
  }

  absl::Status Object(std::string_view key, Json& out) const {
    const Json* v = Find(key);
    if (v == nullptr) return absl::OkStatus();
    if (!v->is_object()) return FieldError(Path(key), "must be an object");
    out = *v;
    return absl::OkStatus();
  }

  // An array of objects; with `required_name`, each needs a non-empty string "name".
  absl::Status Array(std::string_view key, bool required_name, Json& out) const {
    const Json* v = Find(key);
    if (v == nullptr) return absl::OkStatus();
    if (!v->is_array()) return FieldError(Path(key), "must be an array");
    for (size_t i = 0; i < v->size(); ++i) {
      const Json& item = (*v)[i];
      if (!item.is_object()) {
        return FieldError(absl::StrCat(Path(key), "[", i, "]"), "must be an object");
      }
      if (!required_name) continue;
      auto name = item.find("name");
      if (name == item.end() || !name->is_string() || name->get<std::string>().empty()) {
        return FieldError(absl::StrCat(Path(key), "[", i, "].name"), "required");
      }
    }
    out = *v;
    return absl::OkStatus();
  }

  static std::string Path(std::string_view key) { return absl::StrCat("spec.", std::string(key)); }

 private:
  const Json* Find(std::string_view key) const {
    if (!spec_.is_object()) return nullptr;
    auto it = spec_.find(key);
    return it == spec_.end() || it->is_null() ? nullptr : &*it;
  }

  const Json& spec_;
};

absl::Status ReadPodFields(const SpecReader& r, std::string_view image_key, PodSpecFields& pod) {
  pod.image = kDefaultImage;
  RMQ_RETURN_IF_ERROR(r.String(image_key, pod.image));
  if (pod.image.empty()) return FieldError(SpecReader::Path(image_key), "must not be empty");
  RMQ_RETURN_IF_ERROR(
      r.Enum("imagePullPolicy", {"Always", "IfNotPresent", "Never"}, pod.image_pull_policy));
  RMQ_RETURN_IF_ERROR(r.Bool("hostNetwork", pod.host_network));
  RMQ_RETURN_IF_ERROR(r.String("dnsPolicy", pod.dns_policy));
  if (!pod.dns_policy.empty()) {
    RMQ_RETURN_IF_ERROR(r.Enum("dnsPolicy",
                               {"ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"},
                               pod.dns_policy));
  }
  std::string mode = "EmptyDir";
  RMQ_RETURN_IF_ERROR(r.Enum("storageMode", {"EmptyDir", "HostPath", "StorageClass"}, mode));
  pod.storage_mode = mode == "HostPath"       ? StorageMode::kHostPath
                     : mode == "StorageClass" ? StorageMode::kStorageClass
                                              : StorageMode::kEmptyDir;
  RMQ_RETURN_IF_ERROR(r.String("hostPath", pod.host_path));
  if (pod.storage_mode == StorageMode::kHostPath &&
      (pod.host_path.empty() || pod.host_path[0] != '/')) {
    return FieldError("spec.hostPath",
                      "an absolute hostPath is required when storageMode is HostPath");
  }
  RMQ_RETURN_IF_ERROR(r.Object("resources", pod.resources));
  RMQ_RETURN_IF_ERROR(r.Array("env", /*required_name=*/true, pod.env));
  RMQ_RETURN_IF_ERROR(r.Array("volumeClaimTemplates", false, pod.volume_claim_templates));
  if (pod.storage_mode == StorageMode::kStorageClass && pod.volume_claim_templates.empty()) {
    return FieldError(
        "spec.volumeClaimTemplates",
        "at least one volumeClaimTemplate is required when storageMode is StorageClass");
  }
  RMQ_RETURN_IF_ERROR(r.Object("securityContext", pod.security_context));
  RMQ_RETURN_IF_ERROR(r.Object("containerSecurityContext", pod.container_security_context));
  RMQ_RETURN_IF_ERROR(r.Object("podAnnotations", pod.pod_annotations));
  RMQ_RETURN_IF_ERROR(r.Array("imagePullSecrets", true, pod.image_pull_secrets));
  RMQ_RETURN_IF_ERROR(r.Object("affinity", pod.affinity));
  RMQ_RETURN_IF_ERROR(r.Array("tolerations", false, pod.tolerations));
  RMQ_RETURN_IF_ERROR(r.Object("nodeSelector", pod.node_selector));
  RMQ_RETURN_IF_ERROR(r.String("priorityClassName", pod.priority_class_name));
  RMQ_RETURN_IF_ERROR(r.String("serviceAccountName", pod.service_account_name));
  return absl::OkStatus();
}

absl::Status ReadMetadata(const Json& cr, size_t max_name, std::string& name, std::string& ns) {
  name = k8s::Name(cr);
  ns = k8s::Namespace(cr);
  if (name.empty()) return FieldError("metadata.name", "required");
  if (name.size() > max_name) {
    return FieldError("metadata.name", absl::StrCat("must be at most ", max_name, " characters"));
  }
  if (ns.empty()) return FieldError("metadata.namespace", "required");
  return absl::OkStatus();
}

const Json& SpecOf(const Json& cr) {
  static const Json* empty = new Json(Json::object());
  auto it = cr.find("spec");
  return it != cr.end() && it->is_object() ? *it : *empty;
}

// "host:port;host:port" with an optional trailing ';' (the Apache operator's format).
absl::Status CheckNameServerList(const std::string& list) {
  if (list.empty()) return absl::OkStatus();
  for (absl::string_view entry : absl::StrSplit(list, ';', absl::SkipEmpty())) {
    const size_t colon = entry.rfind(':');
    bool ok = colon != std::string_view::npos && colon > 0 && colon + 1 < entry.size() &&
              entry.size() - colon - 1 <= 5;
    for (size_t i = colon + 1; ok && i < entry.size(); ++i) ok = entry[i] >= '0' && entry[i] <= '9';
    if (!ok) {
      return FieldError(
          "spec.nameServers",
          absl::StrCat("\"", entry, "\" is not host:port (format: host:port;host:port)"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

std::string_view StorageModeName(StorageMode mode) {
  switch (mode) {
    case StorageMode::kEmptyDir:
      return "EmptyDir";
    case StorageMode::kHostPath:
      return "HostPath";
    case StorageMode::kStorageClass:
      return "StorageClass";
  }
  return "EmptyDir";
}

absl::StatusOr<NameServiceSpec> ParseNameService(const Json& cr) {
  NameServiceSpec spec;
  RMQ_RETURN_IF_ERROR(ReadMetadata(cr, kMaxNameServiceName, spec.name, spec.ns));
  const SpecReader r(SpecOf(cr));
  RMQ_RETURN_IF_ERROR(r.Int("size", 1, 32, spec.size));
  RMQ_RETURN_IF_ERROR(ReadPodFields(r, "nameServiceImage", spec.pod));
  return spec;
}

absl::StatusOr<BrokerSpec> ParseBroker(const Json& cr) {
  BrokerSpec spec;
  RMQ_RETURN_IF_ERROR(ReadMetadata(cr, kMaxBrokerName, spec.name, spec.ns));
  const SpecReader r(SpecOf(cr));
  RMQ_RETURN_IF_ERROR(r.Int("size", 0, 128, spec.size));
  RMQ_RETURN_IF_ERROR(r.Int("replicaPerGroup", 0, 15, spec.replica_per_group));
  RMQ_RETURN_IF_ERROR(r.String("nameServers", spec.name_servers));
  RMQ_RETURN_IF_ERROR(CheckNameServerList(spec.name_servers));
  std::string mode = "STATIC";
  RMQ_RETURN_IF_ERROR(r.Enum("clusterMode", {"STATIC", "CONTROLLER"}, mode));
  spec.cluster_mode = mode == "CONTROLLER" ? ClusterMode::kController : ClusterMode::kStatic;
  std::string replication = "ASYNC";
  RMQ_RETURN_IF_ERROR(r.Enum("replicationMode", {"ASYNC", "SYNC"}, replication));
  spec.replication_mode = replication == "SYNC" ? ReplicationMode::kSync : ReplicationMode::kAsync;
  if (spec.replication_mode == ReplicationMode::kSync && spec.replica_per_group < 1) {
    return FieldError("spec.replicationMode",
                      "SYNC replication needs replicaPerGroup >= 1 (a SYNC_MASTER without a slave "
                      "refuses every message)");
  }
  if (spec.size * (1 + spec.replica_per_group) > 256) {
    return FieldError("spec.size",
                      "size * (1 + replicaPerGroup) must be at most 256 broker instances");
  }
  RMQ_RETURN_IF_ERROR(r.Bool("allowRestart", spec.allow_restart));
  RMQ_RETURN_IF_ERROR(r.Array("volumes", /*required_name=*/true, spec.volumes));
  RMQ_RETURN_IF_ERROR(r.String("scalePodName", spec.scale_pod_name));
  if (!spec.scale_pod_name.empty() && !k8s::IsDns1123Subdomain(spec.scale_pod_name)) {
    return FieldError("spec.scalePodName", "must be a pod name (lower-case DNS subdomain)");
  }
  RMQ_RETURN_IF_ERROR(ReadPodFields(r, "brokerImage", spec.pod));
  return spec;
}

}  // namespace rmq::controller
