// name_service.h: the children of a NameService (pure, golden-tested).
//
//   Service <cr> (headless, publishNotReadyAddresses: stable per-pod DNS names
//     <cr>-<i>.<cr>.<namespace>.svc.<domain> even while a pod restarts)
//   StatefulSet <cr> (size replicas, Parallel, container name-service running the image's
//     mqnamesrv, TCP probes on 9876, preferred anti-affinity, data per storageMode)
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "controller/api/spec.h"

namespace rmq::controller {

struct ClusterSettings {
  std::string cluster_domain = "cluster.local";
};

// Every child in apply order. InvalidArgument if `cr` lacks apiVersion/kind/name/uid.
absl::StatusOr<std::vector<Json>> BuildNameServiceChildren(const Json& cr,
                                                           const NameServiceSpec& spec,
                                                           const ClusterSettings& settings);

// "host:9876;..." of every name-server pod by its stable DNS name, in ordinal order: what
// brokers are given (a replaced pod's new IP needs no broker update).
std::string NameServerDnsList(const NameServiceSpec& spec, const ClusterSettings& settings);

}  // namespace rmq::controller
