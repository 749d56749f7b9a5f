// options.h: the rmq-node-agent command line (pure).
//
// `--flag value` and `--flag=value` are both accepted. Every flag has a default except where
// noted; --kubeconfig falls back to $KUBECONFIG. Durations are "30s", "500ms", "2m" or seconds.
// Errors are InvalidArgument and name the flag. NodeAgentUsage() documents everything.
//
// Example:
//   absl::StatusOr<NodeAgentOptions> o = ParseNodeAgentOptions(args, getenv_lookup, "myhost");
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/log/logger.h"

namespace rmq::nodeagent {

struct NodeAgentOptions {
  std::string kubeconfig{};  // required (flag or $KUBECONFIG)
  std::string node_name{};   // default: the host name, lower-cased
  std::string state_dir = "/var/lib/rmq-node";
  std::string pv_root{};  // default: <state_dir>/pv
  std::string images{};   // the image map (deploy/local/images/images.yaml); required
  std::string pod_cidr = "10.244.0.0/16";
  std::string gateway = "10.244.0.1";  // the bridge's address = the node's InternalIP
  std::string bridge = "rmqbr0";
  std::string service_cidr = "10.96.0.0/16";
  std::string netns_prefix = "rmqpod-";
  std::string veth_prefix = "rmqv";
  std::string cluster_domain = "cluster.local";
  bool keep_pods_on_exit = false;  // --on-exit=keep: leave pods running for the next instance
  std::chrono::seconds shutdown_grace{30};
  std::chrono::seconds lease_renew_interval{10};
  std::chrono::seconds status_interval{60};
  std::string log_level = "info";
  log::Format log_format = log::Format::kText;
  bool help = false;
};

using OptionEnv = std::function<std::optional<std::string>(const std::string& name)>;

// `args` excludes argv[0]; `hostname` is the default node name.
absl::StatusOr<NodeAgentOptions> ParseNodeAgentOptions(const std::vector<std::string>& args,
                                                       const OptionEnv& env,
                                                       const std::string& hostname);

std::string NodeAgentUsage();

}  // namespace rmq::nodeagent
