// sidecar.h: the rocketmq-agent sidecar container (pure). One function builds it, for the pods
// the operator renders and for the injection webhook.
#pragma once

#include <string>

#include "nlohmann/json.hpp"

namespace rmq::controller {

using Json = nlohmann::json;

struct AgentSidecarOptions {
  std::string image = "rocketmq-agent:latest";
  std::string image_pull_policy = "IfNotPresent";
  // The broker's remoting port inside the pod.
  int broker_port = 10911;
  // mTLS: a Secret with tls.crt, tls.key and ca.crt mounted at /etc/rocketmq-agent/tls. Empty:
  // plaintext gRPC (--grpc-insecure), for clusters where the pod network is trusted.
  std::string tls_secret;
  std::string log_level = "info";
};

inline constexpr char kAgentContainerName[] = "rocketmq-agent";
inline constexpr char kAgentTlsVolume[] = "rocketmq-agent-tls";

// The container (name rocketmq-agent; ports grpc 9095 and http 9096; /healthz liveness and
// readiness; downward-API POD_NAME, POD_NAMESPACE, POD_IP; small resources).
Json BuildAgentContainer(const AgentSidecarOptions& options);

// The volumes the container needs (the TLS Secret), to add to the pod's volumes.
Json AgentVolumes(const AgentSidecarOptions& options);

}  // namespace rmq::controller
