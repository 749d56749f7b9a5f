#include "nodeagent/node/node_status.h"

#include <utility>

#include "common/k8s/leader_election.h"
#include "common/k8s/objects.h"

namespace rmq::nodeagent {
namespace {

Json Condition(const char* type, const char* status, const char* reason, const char* message,
               const std::string& heartbeat, const std::string& transition) {
  return Json{{"type", type},
              {"status", status},
              {"reason", reason},
              {"message", message},
              {"lastHeartbeatTime", heartbeat},
              {"lastTransitionTime", transition}};
}

Json Resources(const MachineInfo& machine) {
  return Json{{"cpu", std::to_string(machine.cpu_millis) + "m"},
              {"memory", std::to_string(machine.memory_bytes)},
              {"ephemeral-storage", std::to_string(machine.ephemeral_storage_bytes)},
              {"pods", std::to_string(machine.max_pods)}};
}

const Json* Field(const Json& object, const char* a, const char* b) {
  if (!object.is_object()) return nullptr;
  auto first = object.find(a);
  if (first == object.end() || !first->is_object()) return nullptr;
  auto second = first->find(b);
  return second == first->end() ? nullptr : &*second;
}

std::string StringField(const Json& object, const char* a, const char* b) {
  const Json* field = Field(object, a, b);
  return field != nullptr && field->is_string() ? field->get<std::string>() : "";
}

}  // namespace

std::string GoArch(std::string_view uname_machine) {
  if (uname_machine == "x86_64") return "amd64";
  if (uname_machine == "aarch64" || uname_machine == "arm64") return "arm64";
  if (uname_machine == "i386" || uname_machine == "i686") return "386";
  if (uname_machine == "ppc64le") return "ppc64le";
  if (uname_machine == "s390x") return "s390x";
  if (uname_machine.starts_with("armv")) return "arm";
  return std::string(uname_machine);
}

Json NodeObject(const NodeConfig& config) {
  const std::string& arch = config.machine.architecture;
  return Json{{"apiVersion", "v1"},
              {"kind", "Node"},
              {"metadata",
               {{"name", config.name},
                {"labels",
                 {{"kubernetes.io/hostname", config.name},
                  {"kubernetes.io/os", "linux"},
                  {"kubernetes.io/arch", arch},
                  {"beta.kubernetes.io/os", "linux"},
                  {"beta.kubernetes.io/arch", arch}}}}}};
}

Json NodeStatus(const NodeConfig& config, std::chrono::system_clock::time_point now,
                std::chrono::system_clock::time_point since) {
  const std::string heartbeat = k8s::Rfc3339Time(now);
  const std::string transition = k8s::Rfc3339Time(since);
  const MachineInfo& machine = config.machine;
  Json conditions =
      Json::array({Condition("Ready", "True", "KubeletReady", "kubelet is posting ready status",
                             heartbeat, transition),
                   Condition("MemoryPressure", "False", "KubeletHasSufficientMemory",
                             "kubelet has sufficient memory available", heartbeat, transition),
                   Condition("DiskPressure", "False", "KubeletHasNoDiskPressure",
                             "kubelet has no disk pressure", heartbeat, transition),
                   Condition("PIDPressure", "False", "KubeletHasSufficientPID",
                             "kubelet has sufficient PID available", heartbeat, transition),
                   Condition("NetworkUnavailable", "False", "RouteCreated",
                             "RouteController created a route", heartbeat, transition)});
  Json addresses = Json::array({{{"type", "InternalIP"}, {"address", machine.internal_ip}},
                                {{"type", "Hostname"}, {"address", machine.hostname}}});
  Json node_info = {{"architecture", machine.architecture},
                    {"bootID", machine.boot_id},
                    {"containerRuntimeVersion", config.container_runtime_version},
                    {"kernelVersion", machine.kernel_version},
                    {"kubeProxyVersion", ""},
                    {"kubeletVersion", config.kubelet_version},
                    {"machineID", machine.machine_id},
                    {"operatingSystem", "linux"},
                    {"osImage", machine.os_image},
                    {"systemUUID", machine.system_uuid}};
  Json status = {{"conditions", std::move(conditions)},
                 {"addresses", std::move(addresses)},
                 {"capacity", Resources(machine)},
                 {"allocatable", Resources(machine)},
                 {"nodeInfo", std::move(node_info)},
                 {"daemonEndpoints", {{"kubeletEndpoint", {{"Port", config.kubelet_port}}}}},
                 {"phase", "Running"}};
  return Json{{"apiVersion", "v1"},
              {"kind", "Node"},
              {"metadata", {{"name", config.name}}},
              {"status", std::move(status)}};
}

Json NodeLease(const NodeConfig& config, const std::string& node_uid,
               std::chrono::system_clock::time_point now) {
  Json lease = {{"apiVersion", "coordination.k8s.io/v1"},
                {"kind", "Lease"},
                {"metadata", {{"name", config.name}, {"namespace", kNodeLeaseNamespace}}}};
  if (!node_uid.empty()) {
    lease["metadata"]["ownerReferences"] = Json::array(
        {{{"apiVersion", "v1"}, {"kind", "Node"}, {"name", config.name}, {"uid", node_uid}}});
  }
  return RenewedLease(std::move(lease), config, now);
}

Json RenewedLease(Json lease, const NodeConfig& config, std::chrono::system_clock::time_point now) {
  Json& spec = lease["spec"];
  if (!spec.is_object()) spec = Json::object();
  spec["holderIdentity"] = config.name;
  spec["leaseDurationSeconds"] = config.lease_duration_seconds;
  spec["renewTime"] = k8s::MicroTime(now);
  return lease;
}

std::string NodeConditionStatus(const Json& node, std::string_view type) {
  const Json* conditions = Field(node, "status", "conditions");
  if (conditions == nullptr || !conditions->is_array()) return "";
  for (const Json& condition : *conditions) {
    if (condition.is_object() && condition.value("type", "") == type) {
      return condition.value("status", "");
    }
  }
  return "";
}

std::optional<Json> TaintsWithout(const Json& node, std::string_view key) {
  const Json* taints = Field(node, "spec", "taints");
  if (taints == nullptr || !taints->is_array()) return std::nullopt;
  Json kept = Json::array();
  bool removed = false;
  for (const Json& taint : *taints) {
    if (taint.is_object() && taint.value("key", "") == key) {
      removed = true;
    } else {
      kept.push_back(taint);
    }
  }
  if (!removed) return std::nullopt;
  return kept;
}

bool NeedsBinding(const Json& pod) {
  if (!pod.is_object()) return false;
  if (!StringField(pod, "spec", "nodeName").empty()) return false;
  const Json* deletion = Field(pod, "metadata", "deletionTimestamp");
  if (deletion != nullptr && !deletion->is_null()) return false;
  const Json* gates = Field(pod, "spec", "schedulingGates");
  return gates == nullptr || !gates->is_array() || gates->empty();
}

Json PodBinding(const Json& pod, const std::string& node_name) {
  Json metadata = {{"name", StringField(pod, "metadata", "name")},
                   {"namespace", StringField(pod, "metadata", "namespace")}};
  const std::string uid = StringField(pod, "metadata", "uid");
  if (!uid.empty()) metadata["uid"] = uid;
  return Json{{"apiVersion", "v1"},
              {"kind", "Binding"},
              {"metadata", std::move(metadata)},
              {"target", {{"apiVersion", "v1"}, {"kind", "Node"}, {"name", node_name}}}};
}

}  // namespace rmq::nodeagent
