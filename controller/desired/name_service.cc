#include "controller/desired/name_service.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "controller/desired/names.h"
#include "controller/desired/pod_template.h"

namespace rmq::controller {
namespace {

// The official image: ROCKETMQ_HOME is set, logs go to ~/logs, kvConfig to ~/namesrv.
constexpr char kNameServerScript[] = R"sh(exec "${ROCKETMQ_HOME}/bin/mqnamesrv")sh";

}  // namespace

std::string NameServerDnsList(const NameServiceSpec& spec, const ClusterSettings& settings) {
  std::string out;
  for (int32_t i = 0; i < spec.size; ++i) {
    if (!out.empty()) out += ";";
    absl::StrAppend(&out, NameServiceStatefulSetName(spec.name), "-", i, ".",
                    NameServiceServiceName(spec.name), ".", spec.ns, ".svc.",
                    settings.cluster_domain, ":", kNameServerPort);
  }
  return out;
}

absl::StatusOr<std::vector<Json>> BuildNameServiceChildren(const Json& cr,
                                                           const NameServiceSpec& spec,
                                                           const ClusterSettings& settings) {
  (void)settings;
  if (OwnerReferences(cr).empty()) {
    return absl::InvalidArgumentError("the NameService lacks apiVersion, kind, name or uid");
  }
  const Json labels = NameServiceLabels(spec.name);
  const Json selector = NameServiceSelector(spec.name);

  Json service = {
      {"apiVersion", "v1"},
      {"kind", "Service"},
      {"metadata", ChildMetadata(cr, spec.ns, NameServiceServiceName(spec.name), labels)},
      {"spec",
       {{"clusterIP", "None"},
        {"publishNotReadyAddresses", true},
        {"selector", selector},
        {"ports", Json::array({{{"name", "main"},
                                {"port", kNameServerPort},
                                {"targetPort", kNameServerPort},
                                {"protocol", "TCP"}}})}}}};

  const DataStorage storage =
      BuildDataStorage(spec.pod, {{"logs", kLogsDir}, {"namesrv", kNamesrvDir}});
  Json env = DownwardEnv();
  for (const Json& e : spec.pod.env) env.push_back(e);
  Json container = {
      {"name", "name-service"},
      {"image", spec.pod.image},
      {"imagePullPolicy", spec.pod.image_pull_policy},
      {"command", Json::array({"/bin/sh", "-c", kNameServerScript})},
      {"env", env},
      {"ports", Json::array({{{"name", "main"}, {"containerPort", kNameServerPort}}})},
      {"readinessProbe",
       {{"tcpSocket", {{"port", kNameServerPort}}}, {"periodSeconds", 5}, {"failureThreshold", 3}}},
      {"livenessProbe",
       {{"tcpSocket", {{"port", kNameServerPort}}},
        {"initialDelaySeconds", 30},
        {"periodSeconds", 10},
        {"failureThreshold", 3}}},
      {"volumeMounts", storage.mounts},
  };
  if (!spec.pod.resources.empty()) container["resources"] = spec.pod.resources;
  if (spec.pod.container_security_context.is_object()) {
    container["securityContext"] = spec.pod.container_security_context;
  }
  Json pod_spec = {{"containers", Json::array({container})}, {"terminationGracePeriodSeconds", 30}};
  if (!storage.volumes.empty()) pod_spec["volumes"] = storage.volumes;
  ApplyPodFields(spec.pod, PreferredAntiAffinity(selector), pod_spec);

  Json sts_spec = {
      {"replicas", spec.size},
      {"serviceName", NameServiceServiceName(spec.name)},
      {"podManagementPolicy", "Parallel"},
      {"selector", {{"matchLabels", selector}}},
      {"updateStrategy", {{"type", "RollingUpdate"}}},
      {"template",
       {{"metadata", TemplateMetadata(spec.pod, labels, Json::object())}, {"spec", pod_spec}}},
  };
  if (!storage.claim_templates.empty()) sts_spec["volumeClaimTemplates"] = storage.claim_templates;
  Json sts = {
      {"apiVersion", "apps/v1"},
      {"kind", "StatefulSet"},
      {"metadata", ChildMetadata(cr, spec.ns, NameServiceStatefulSetName(spec.name), labels)},
      {"spec", sts_spec}};
  return std::vector<Json>{service, sts};
}

}  // namespace rmq::controller
