// pod_template.h: pieces of pod templates shared by the NameService and Broker builders (pure).
#pragma once

#include <string>

#include "controller/api/spec.h"
#include "nlohmann/json.hpp"

namespace rmq::controller {

// The data volume per storageMode, with the mounts of its subdirectories.
//  - EmptyDir: an emptyDir named after volumeClaimTemplates[0] (Apache compatible) or "data".
//  - HostPath: hostPath `spec.hostPath` (DirectoryOrCreate), each pod under
//    <namespace>/<pod>/ by subPathExpr (the Apache operator let replicas collide).
//  - StorageClass: the StatefulSet's volumeClaimTemplates as given; the first is the data volume.
struct DataStorage {
  Json volumes = Json::array();
  Json claim_templates = Json::array();
  Json mounts = Json::array();
};
// `subdirs`: {subdirectory, mountPath} pairs, e.g. {"store", "/home/rocketmq/store"}.
DataStorage BuildDataStorage(const PodSpecFields& pod,
                             const std::vector<std::pair<std::string, std::string>>& subdirs);

// Puts the pass-through fields (scheduling, security, pull secrets, service account, host
// network, DNS policy) into `pod_spec`; `default_affinity` applies when spec.affinity is unset.
void ApplyPodFields(const PodSpecFields& pod, const Json& default_affinity, Json& pod_spec);

// Pod-template metadata: labels plus spec.podAnnotations (+ `extra_annotations`).
Json TemplateMetadata(const PodSpecFields& pod, const Json& labels, const Json& extra_annotations);

// A preferred (not required: a one-node cluster must still schedule) pod anti-affinity on
// kubernetes.io/hostname against pods matching `match_labels`.
Json PreferredAntiAffinity(const Json& match_labels);

// metadata of a child object: name, namespace, labels, the owner's controller reference.
Json ChildMetadata(const Json& owner, const std::string& ns, const std::string& name,
                   const Json& labels);

// The controller ownerReference on `owner` (the CR), as a one-element array.
Json OwnerReferences(const Json& owner);

// env entries the containers need for subPathExpr and logs: POD_NAME, POD_NAMESPACE, POD_IP.
Json DownwardEnv();

}  // namespace rmq::controller
