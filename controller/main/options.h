// options.h: the rocketmq-operator command line (pure).
//
// `--flag value` and `--flag=value`; environment fallbacks as noted (the Apache operator's
// WATCH_NAMESPACE included). Durations as absl::ParseDuration reads them ("15s", "500ms", "2m").
// Errors are InvalidArgument naming the flag. OperatorUsage() documents everything.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/log/logger.h"

namespace rmq::controller {

struct OperatorProcessOptions {
  std::string kubeconfig;               // "" = in-cluster configuration
  std::vector<std::string> namespaces;  // empty = all namespaces
  bool leader_elect = true;
  std::string leader_election_namespace;  // default: $POD_NAMESPACE, else "default"
  std::string leader_election_id = "rocketmq-operator";
  std::chrono::seconds lease_duration{15};
  std::chrono::seconds renew_deadline{10};
  std::chrono::seconds retry_period{2};
  std::string identity;  // default: $POD_NAME, else the host name + pid
  std::string http_listen = "0.0.0.0:8080";
  std::string agent_image = "rocketmq-agent:latest";
  std::string agent_tls_secret;
  // mTLS towards the agents: a directory with tls.crt + tls.key (the operator's client certificate)
  // and ca.crt (the CA of the agents' certificates), e.g. the same Secret mounted in the
  // operator's pod; and the name every agent certificate carries (agents are dialled by pod IP).
  std::string agent_client_tls_dir;
  std::string agent_tls_server_name = "rocketmq-agent";
  std::string cluster_domain = "cluster.local";
  int workers = 4;
  std::string log_level = "info";
  log::Format log_format = log::Format::kText;
  bool help = false;
};

using OptionEnv = std::function<std::optional<std::string>(const std::string& name)>;

// `args` excludes argv[0]; `default_identity` is used when neither --identity nor $POD_NAME is set.
absl::StatusOr<OperatorProcessOptions> ParseOperatorOptions(const std::vector<std::string>& args,
                                                            const OptionEnv& env,
                                                            const std::string& default_identity);

std::string OperatorUsage();

}  // namespace rmq::controller
