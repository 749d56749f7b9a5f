#include "controller/desired/pod_template.h"

#include "common/k8s/objects.h"

namespace rmq::controller {

DataStorage BuildDataStorage(const PodSpecFields& pod,
                             const std::vector<std::pair<std::string, std::string>>& subdirs) {
  DataStorage out;
  std::string volume = "data";
  if (!pod.volume_claim_templates.empty()) {
    const Json& first = pod.volume_claim_templates[0];
    std::string name = first.value("/metadata/name"_json_pointer, "");
    if (!name.empty()) volume = name;
  }
  const bool host_path = pod.storage_mode == StorageMode::kHostPath;
  switch (pod.storage_mode) {
    case StorageMode::kEmptyDir:
      out.volumes.push_back({{"name", volume}, {"emptyDir", Json::object()}});
      break;
    case StorageMode::kHostPath:
      out.volumes.push_back(
          {{"name", volume},
           {"hostPath", {{"path", pod.host_path}, {"type", "DirectoryOrCreate"}}}});
      break;
    case StorageMode::kStorageClass:
      for (const Json& t : pod.volume_claim_templates) {
        Json claim = t;
        if (claim.value("/metadata/name"_json_pointer, "").empty()) {
          claim["metadata"]["name"] = volume;
        }
        claim["apiVersion"] = "v1";
        claim["kind"] = "PersistentVolumeClaim";
        out.claim_templates.push_back(std::move(claim));
      }
      break;
  }
  for (const auto& [subdir, path] : subdirs) {
    Json m = {{"name", volume}, {"mountPath", path}};
    if (host_path) {
      m["subPathExpr"] = "$(POD_NAMESPACE)/$(POD_NAME)/" + subdir;
    } else {
      m["subPath"] = subdir;
    }
    out.mounts.push_back(std::move(m));
  }
  return out;
}

void ApplyPodFields(const PodSpecFields& pod, const Json& default_affinity, Json& pod_spec) {
  if (pod.host_network) pod_spec["hostNetwork"] = true;
  if (!pod.dns_policy.empty()) {
    pod_spec["dnsPolicy"] = pod.dns_policy;
  } else if (pod.host_network) {
    pod_spec["dnsPolicy"] = "ClusterFirstWithHostNet";
  }
  pod_spec["affinity"] = pod.affinity.is_object() ? pod.affinity : default_affinity;
  if (pod.security_context.is_object()) pod_spec["securityContext"] = pod.security_context;
  if (!pod.image_pull_secrets.empty()) pod_spec["imagePullSecrets"] = pod.image_pull_secrets;
  if (!pod.tolerations.empty()) pod_spec["tolerations"] = pod.tolerations;
  if (!pod.node_selector.empty()) pod_spec["nodeSelector"] = pod.node_selector;
  if (!pod.priority_class_name.empty()) pod_spec["priorityClassName"] = pod.priority_class_name;
  if (!pod.service_account_name.empty()) {
    pod_spec["serviceAccountName"] = pod.service_account_name;
  }
}

Json TemplateMetadata(const PodSpecFields& pod, const Json& labels, const Json& extra_annotations) {
  Json annotations = pod.pod_annotations.is_object() ? pod.pod_annotations : Json::object();
  for (const auto& [k, v] : extra_annotations.items()) annotations[k] = v;
  Json meta = {{"labels", labels}};
  if (!annotations.empty()) meta["annotations"] = annotations;
  return meta;
}

Json PreferredAntiAffinity(const Json& match_labels) {
  return {{"podAntiAffinity",
           {{"preferredDuringSchedulingIgnoredDuringExecution",
             Json::array({{{"weight", 100},
                           {"podAffinityTerm",
                            {{"topologyKey", "kubernetes.io/hostname"},
                             {"labelSelector", {{"matchLabels", match_labels}}}}}}})}}}};
}

Json OwnerReferences(const Json& owner) {
  absl::StatusOr<k8s::OwnerReference> ref = k8s::ControllerRef(owner);
  // A CR read from the API always has apiVersion, kind, name and uid.
  if (!ref.ok()) return Json::array();
  return Json::array({ref->ToJson()});
}

Json ChildMetadata(const Json& owner, const std::string& ns, const std::string& name,
                   const Json& labels) {
  return {{"name", name},
          {"namespace", ns},
          {"labels", labels},
          {"ownerReferences", OwnerReferences(owner)}};
}

Json DownwardEnv() {
  auto field = [](const char* name, const char* path) {
    return Json{{"name", name}, {"valueFrom", {{"fieldRef", {{"fieldPath", path}}}}}};
  };
  return Json::array({field("POD_NAME", "metadata.name"),
                      field("POD_NAMESPACE", "metadata.namespace"),
                      field("POD_IP", "status.podIP")});
}

}  // namespace rmq::controller
