#include "controller/reconcile/decisions.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/k8s/objects.h"
#include "controller/desired/names.h"
#include "controller/status/status.h"

namespace rmq::controller {

Json WithAppliedHash(Json desired) {
  Json& meta = desired["metadata"];
  if (meta.contains("annotations") && meta["annotations"].is_object()) {
    meta["annotations"].erase(kAnnotationAppliedHash);
    // An annotations object emptied here must hash like one that never existed.
    if (meta["annotations"].empty()) meta.erase("annotations");
  }
  // nlohmann's objects are sorted maps: dump() is canonical.
  const std::string hash = StableHash(desired.dump());
  desired["metadata"]["annotations"][kAnnotationAppliedHash] = hash;
  return desired;
}

bool NeedsApply(const Json* observed, const Json& desired) {
  if (observed == nullptr) return true;
  const std::optional<std::string> have = k8s::Annotation(*observed, kAnnotationAppliedHash);
  const std::optional<std::string> want = k8s::Annotation(desired, kAnnotationAppliedHash);
  return !have.has_value() || !want.has_value() || *have != *want;
}

GroupDecision DecideBrokerGroups(int32_t spec_size, int32_t existing_groups) {
  if (spec_size >= existing_groups) return {.groups = spec_size, .refused = ""};
  return {.groups = existing_groups,
          .refused = absl::StrCat("size ", existing_groups, " -> ", spec_size,
                                  " refused: broker scale-in (drain, then remove) is not "
                                  "implemented yet; the ",
                                  existing_groups - spec_size,
                                  " extra group(s) keep running. Set size back to ",
                                  existing_groups, " to clear this.")};
}

NameServerChoice ChooseNameServers(const BrokerSpec& broker,
                                   const std::vector<NameServiceSpec>& name_services_in_namespace,
                                   const ClusterSettings& settings) {
  if (!broker.name_servers.empty()) return {.list = broker.name_servers, .waiting = ""};
  if (name_services_in_namespace.empty()) {
    return {.list = "",
            .waiting = absl::StrCat("spec.nameServers is empty and namespace ", broker.ns,
                                    " has no NameService")};
  }
  if (name_services_in_namespace.size() > 1) {
    std::string names;
    for (const NameServiceSpec& n : name_services_in_namespace) {
      absl::StrAppend(&names, names.empty() ? "" : ", ", n.name);
    }
    return {
        .list = "",
        .waiting = absl::StrCat("spec.nameServers is empty and namespace ", broker.ns,
                                " has several NameServices (", names, "): set spec.nameServers")};
  }
  return {.list = NameServerDnsList(name_services_in_namespace[0], settings), .waiting = ""};
}

std::vector<std::string> NameServerPodsNotServing(const NameServiceSpec& name_service,
                                                  const std::vector<Json>& pods) {
  std::vector<std::string> out;
  for (int32_t i = 0; i < name_service.size; ++i) {
    const std::string name = absl::StrCat(NameServiceStatefulSetName(name_service.name), "-", i);
    auto pod =
        std::find_if(pods.begin(), pods.end(), [&](const Json& p) { return k8s::Name(p) == name; });
    if (pod == pods.end()) {
      out.push_back(absl::StrCat(name, " (not created yet)"));
    } else if (k8s::IsBeingDeleted(*pod)) {
      out.push_back(absl::StrCat(name, " (terminating)"));
    } else if (!PodIsReady(*pod)) {
      out.push_back(absl::StrCat(name, " (not ready)"));
    }
  }
  return out;
}

std::optional<std::string> OwnerKey(const Json& object, std::string_view kind) {
  const std::string ns = k8s::Namespace(object);
  if (std::optional<k8s::OwnerReference> ref = k8s::GetControllerOf(object);
      ref && ref->kind == kind && ref->api_version == kApiVersion) {
    return absl::StrCat(ns, "/", ref->name);
  }
  const char* label = kind == "Broker" ? kLabelBrokerCr : kLabelNameServiceCr;
  if (std::optional<std::string> cr = k8s::Label(object, label); cr && !cr->empty()) {
    return absl::StrCat(ns, "/", *cr);
  }
  return std::nullopt;
}

}  // namespace rmq::controller
