#include "controller/desired/broker.h"

#include <array>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "controller/desired/pod_template.h"

namespace rmq::controller {
namespace {

// Runs in the broker container (POSIX sh). Java properties: a later duplicate key wins, so the
// identity lines appended here override the common file.
constexpr char kBrokerScript[] = R"sh(set -eu
conf=/home/rocketmq/run/broker.conf
cp /etc/rocketmq/broker/broker.conf "$conf"
{
  echo "brokerName=${BROKER_NAME}"
  echo "brokerId=${BROKER_ID}"
  echo "brokerIP1=${POD_IP}"
  echo "namesrvAddr=${NAMESRV_ADDR}"
  if [ "${BROKER_ID}" != "0" ]; then echo "brokerRole=SLAVE"; fi
} >> "$conf"
export JAVA_OPT_EXT="${BROKER_MEM:-} ${JAVA_OPT_EXT:-}"
exec "${ROCKETMQ_HOME}/bin/mqbroker" -c "$conf"
)sh";

constexpr std::array<std::string_view, 9> kOperatorKeys = {
    "brokerClusterName", "brokerName", "brokerId",         "brokerRole",        "brokerIP1",
    "namesrvAddr",       "listenPort", "storePathRootDir", "storePathCommitLog"};

constexpr char kConfVolume[] = "rocketmq-broker-conf";
constexpr char kRunVolume[] = "rocketmq-run";

Json ValueEnv(const char* name, const std::string& value) {
  return {{"name", name}, {"value", value}};
}

Json BuildStatefulSet(const Json& cr, const BrokerSpec& spec, const BrokerInstance& instance,
                      const std::string& conf_hash, const AgentSidecarOptions& agent) {
  const Json labels = BrokerInstanceLabels(spec.name, instance);
  const Json selector = BrokerInstanceSelector(spec.name, instance);
  const DataStorage storage =
      BuildDataStorage(spec.pod, {{"store", kStoreDir}, {"logs", kLogsDir}});

  Json env = DownwardEnv();
  env.push_back({{"name", "NAMESRV_ADDR"},
                 {"valueFrom",
                  {{"configMapKeyRef",
                    {{"name", NameServersConfigMapName(spec.name)}, {"key", kNameServersKey}}}}}});
  env.push_back(ValueEnv("BROKER_ID", std::to_string(instance.broker_id)));
  env.push_back(ValueEnv("BROKER_CLUSTER_NAME", spec.name));
  env.push_back(ValueEnv("BROKER_NAME", instance.broker_name));
  for (const Json& e : spec.pod.env) env.push_back(e);

  Json mounts = storage.mounts;
  mounts.push_back({{"name", kConfVolume}, {"mountPath", kBrokerConfigDir}, {"readOnly", true}});
  mounts.push_back({{"name", kRunVolume}, {"mountPath", kBrokerRunDir}});

  Json broker = {
      {"name", "broker"},
      {"image", spec.pod.image},
      {"imagePullPolicy", spec.pod.image_pull_policy},
      {"command", Json::array({"/bin/sh", "-c", kBrokerScript})},
      {"env", env},
      {"ports", Json::array({{{"name", "vip"}, {"containerPort", kBrokerVipPort}},
                             {{"name", "main"}, {"containerPort", kBrokerPort}},
                             {{"name", "ha"}, {"containerPort", kBrokerHaPort}}})},
      // Serving = answering and, after each start, registered on its name servers: the
      // agent's /readyz (agent/probe/readiness.h). It may ask the name servers (2 s at most).
      {"readinessProbe",
       {{"httpGet", {{"path", "/readyz"}, {"port", kAgentHttpPort}}},
        {"periodSeconds", 5},
        {"timeoutSeconds", 5},
        {"failureThreshold", 3}}},
      // Recovery of a large store can take minutes: liveness starts once the port is open.
      {"startupProbe",
       {{"tcpSocket", {{"port", kBrokerPort}}}, {"periodSeconds", 5}, {"failureThreshold", 120}}},
      {"livenessProbe",
       {{"tcpSocket", {{"port", kBrokerPort}}}, {"periodSeconds", 10}, {"failureThreshold", 3}}},
      {"volumeMounts", mounts},
  };
  if (!spec.pod.resources.empty()) broker["resources"] = spec.pod.resources;
  if (spec.pod.container_security_context.is_object()) {
    broker["securityContext"] = spec.pod.container_security_context;
  }
  AgentSidecarOptions agent_options = agent;
  agent_options.broker_port = kBrokerPort;

  Json volumes = storage.volumes;
  volumes.push_back(
      {{"name", kConfVolume}, {"configMap", {{"name", BrokerConfigMapName(spec.name)}}}});
  volumes.push_back({{"name", kRunVolume}, {"emptyDir", Json::object()}});
  for (const Json& v : AgentVolumes(agent_options)) volumes.push_back(v);
  for (const Json& v : spec.volumes) volumes.push_back(v);

  Json pod_spec = {
      {"containers", Json::array({broker, BuildAgentContainer(agent_options)})},
      {"volumes", volumes},
      // A broker's clean stop (flush, unregister from the name servers) takes 10-20 s.
      {"terminationGracePeriodSeconds", 60},
  };
  // Instances of one group apart: a node loss must not take a master and its slaves.
  Json group_selector = BrokerClusterSelector(spec.name);
  group_selector[kLabelBrokerGroup] = std::to_string(instance.group);
  ApplyPodFields(spec.pod, PreferredAntiAffinity(group_selector), pod_spec);

  Json sts_spec = {
      {"replicas", 1},
      {"serviceName", BrokerServiceName(spec.name)},
      {"selector", {{"matchLabels", selector}}},
      {"updateStrategy", {{"type", "RollingUpdate"}}},
      {"template",
       {{"metadata", TemplateMetadata(spec.pod, labels, {{kAnnotationConfigHash, conf_hash}})},
        {"spec", pod_spec}}},
  };
  if (!storage.claim_templates.empty()) sts_spec["volumeClaimTemplates"] = storage.claim_templates;
  return {{"apiVersion", "apps/v1"},
          {"kind", "StatefulSet"},
          {"metadata", ChildMetadata(cr, spec.ns, instance.stateful_set, labels)},
          {"spec", sts_spec}};
}

}  // namespace

bool IsOperatorOwnedBrokerKey(std::string_view key) {
  for (std::string_view k : kOperatorKeys) {
    if (k == key) return true;
  }
  return false;
}

RenderedBrokerConf RenderBrokerConf(const BrokerSpec& spec, std::string_view user_conf) {
  RenderedBrokerConf out;
  out.text = absl::StrCat(
      "# Rendered by rocketmq-operator for Broker ", spec.ns, "/", spec.name,
      ". brokerName, brokerId, brokerIP1 and namesrvAddr are appended per pod at start.\n",
      "brokerClusterName=", spec.name, "\n", "brokerRole=",
      spec.replication_mode == ReplicationMode::kSync ? "SYNC_MASTER" : "ASYNC_MASTER", "\n",
      "listenPort=", kBrokerPort, "\n", "storePathRootDir=", kStoreDir, "\n",
      "storePathCommitLog=", kStoreDir, "/commitlog\n");
  bool header = false;
  for (absl::string_view raw :
       absl::StrSplit(absl::string_view(user_conf.data(), user_conf.size()), '\n')) {
    const absl::string_view line = absl::StripAsciiWhitespace(raw);
    if (line.empty() || line[0] == '#' || line[0] == '!') continue;
    const size_t end = line.find_first_of("=: \t");
    const std::string_view key(line.data(), std::min(end, line.size()));
    if (IsOperatorOwnedBrokerKey(key)) {
      out.ignored_keys.emplace_back(key);
      continue;
    }
    if (!header) {
      out.text += "# From broker-common.conf:\n";
      header = true;
    }
    absl::StrAppend(&out.text, line, "\n");
  }
  return out;
}

std::optional<std::string> UserConfigMapName(const BrokerSpec& spec) {
  for (const Json& v : spec.volumes) {
    auto cm = v.find("configMap");
    if (cm == v.end() || !cm->is_object()) continue;
    const std::string name = cm->value("name", "");
    if (name.empty()) continue;
    auto items = cm->find("items");
    if (items == cm->end() || !items->is_array()) return name;
    for (const Json& item : *items) {
      if (item.is_object() && item.value("key", "") == kUserConfKey) return name;
    }
  }
  return std::nullopt;
}

std::vector<Json> BrokerChildren::All() const {
  std::vector<Json> all = {config_map, name_servers_config_map, service};
  all.insert(all.end(), stateful_sets.begin(), stateful_sets.end());
  all.push_back(pdb);
  return all;
}

absl::StatusOr<BrokerChildren> BuildBrokerChildren(const Json& cr, const BrokerSpec& spec,
                                                   const BrokerInputs& inputs,
                                                   const AgentSidecarOptions& agent) {
  if (OwnerReferences(cr).empty()) {
    return absl::InvalidArgumentError("the Broker lacks apiVersion, kind, name or uid");
  }
  if (inputs.name_servers.empty()) {
    return absl::FailedPreconditionError("no name servers to give the brokers");
  }
  BrokerChildren out;
  out.conf = RenderBrokerConf(spec, inputs.user_conf);
  const Json cluster_labels = [&] {
    Json l = BrokerClusterSelector(spec.name);
    l[kLabelK8sName] = "rocketmq";
    l[kLabelK8sInstance] = spec.name;
    l[kLabelK8sComponent] = "broker";
    l[kLabelK8sManagedBy] = kManagedBy;
    return l;
  }();
  out.config_map = {
      {"apiVersion", "v1"},
      {"kind", "ConfigMap"},
      {"metadata", ChildMetadata(cr, spec.ns, BrokerConfigMapName(spec.name), cluster_labels)},
      {"data", {{kBrokerConfKey, out.conf.text}}}};
  out.name_servers_config_map = {
      {"apiVersion", "v1"},
      {"kind", "ConfigMap"},
      {"metadata", ChildMetadata(cr, spec.ns, NameServersConfigMapName(spec.name), cluster_labels)},
      {"data", {{kNameServersKey, inputs.name_servers}}}};
  out.service = {
      {"apiVersion", "v1"},
      {"kind", "Service"},
      {"metadata", ChildMetadata(cr, spec.ns, BrokerServiceName(spec.name), cluster_labels)},
      {"spec",
       {{"clusterIP", "None"},
        {"publishNotReadyAddresses", true},
        {"selector", BrokerClusterSelector(spec.name)},
        {"ports",
         Json::array({{{"name", "main"}, {"port", kBrokerPort}, {"protocol", "TCP"}},
                      {{"name", "agent-grpc"}, {"port", kAgentGrpcPort}, {"protocol", "TCP"}}})}}}};
  const std::string conf_hash = StableHash(out.conf.text);
  for (const BrokerInstance& instance :
       BrokerInstances(spec.name, spec.size, spec.replica_per_group)) {
    out.stateful_sets.push_back(BuildStatefulSet(cr, spec, instance, conf_hash, agent));
  }
  out.pdb = {
      {"apiVersion", "policy/v1"},
      {"kind", "PodDisruptionBudget"},
      {"metadata", ChildMetadata(cr, spec.ns, BrokerPdbName(spec.name), cluster_labels)},
      {"spec",
       {{"maxUnavailable", 1}, {"selector", {{"matchLabels", BrokerClusterSelector(spec.name)}}}}}};
  return out;
}

}  // namespace rmq::controller
