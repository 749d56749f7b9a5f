#include "controller/desired/sidecar.h"

#include "absl/strings/str_cat.h"
#include "controller/desired/names.h"

namespace rmq::controller {
namespace {

Json FieldEnv(const char* name, const char* path) {
  return {{"name", name}, {"valueFrom", {{"fieldRef", {{"fieldPath", path}}}}}};
}

Json HttpProbe(const char* path, int period, int failures) {
  return {{"httpGet", {{"path", path}, {"port", "agent-http"}}},
          {"periodSeconds", period},
          {"failureThreshold", failures}};
}

}  // namespace

Json BuildAgentContainer(const AgentSidecarOptions& options) {
  Json args = Json::array({absl::StrCat("--broker-addr=127.0.0.1:", options.broker_port),
                           absl::StrCat("--grpc-listen=0.0.0.0:", kAgentGrpcPort),
                           absl::StrCat("--http-listen=0.0.0.0:", kAgentHttpPort),
                           absl::StrCat("--log-level=", options.log_level)});
  Json mounts = Json::array();
  if (options.tls_secret.empty()) {
    args.push_back("--grpc-insecure");
  } else {
    args.push_back("--tls-cert=/etc/rocketmq-agent/tls/tls.crt");
    args.push_back("--tls-key=/etc/rocketmq-agent/tls/tls.key");
    args.push_back("--tls-client-ca=/etc/rocketmq-agent/tls/ca.crt");
    mounts.push_back(
        {{"name", kAgentTlsVolume}, {"mountPath", "/etc/rocketmq-agent/tls"}, {"readOnly", true}});
  }
  Json c = {
      {"name", kAgentContainerName},
      {"image", options.image},
      {"imagePullPolicy", options.image_pull_policy},
      {"args", args},
      {"env", Json::array({FieldEnv("POD_NAME", "metadata.name"),
                           FieldEnv("POD_NAMESPACE", "metadata.namespace"),
                           FieldEnv("POD_IP", "status.podIP")})},
      {"ports", Json::array({{{"name", "agent-grpc"}, {"containerPort", kAgentGrpcPort}},
                             {{"name", "agent-http"}, {"containerPort", kAgentHttpPort}}})},
      {"livenessProbe", HttpProbe("/healthz", 10, 3)},
      {"readinessProbe", HttpProbe("/healthz", 5, 3)},
      {"resources",
       {{"requests", {{"cpu", "10m"}, {"memory", "32Mi"}}}, {"limits", {{"memory", "128Mi"}}}}},
      {"securityContext",
       {{"allowPrivilegeEscalation", false},
        {"readOnlyRootFilesystem", true},
        {"capabilities", {{"drop", Json::array({"ALL"})}}}}},
  };
  if (!mounts.empty()) c["volumeMounts"] = mounts;
  return c;
}

Json AgentVolumes(const AgentSidecarOptions& options) {
  if (options.tls_secret.empty()) return Json::array();
  return Json::array(
      {{{"name", kAgentTlsVolume}, {"secret", {{"secretName", options.tls_secret}}}}});
}

}  // namespace rmq::controller
