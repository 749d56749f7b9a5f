#include "nodeagent/main/options.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <map>

#include "absl/strings/str_cat.h"

namespace rmq::nodeagent {
namespace {

absl::Status Bad(std::string_view flag, std::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("--", std::string(flag), ": ", std::string(what)));
}

absl::StatusOr<std::chrono::seconds> ParseSeconds(std::string_view flag, std::string_view text) {
  int64_t scale_ms = 1000;
  std::string_view digits = text;
  if (text.ends_with("ms")) {
    scale_ms = 1;
    digits.remove_suffix(2);
  } else if (text.ends_with("s")) {
    digits.remove_suffix(1);
  } else if (text.ends_with("m")) {
    scale_ms = 60'000;
    digits.remove_suffix(1);
  }
  int64_t value = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size() || value < 0) {
    return Bad(flag,
               absl::StrCat("not a duration: \"", std::string(text), "\" (e.g. 30s, 500ms, 2m)"));
  }
  return std::chrono::seconds(value * scale_ms / 1000);
}

}  // namespace

absl::StatusOr<NodeAgentOptions> ParseNodeAgentOptions(const std::vector<std::string>& args,
                                                       const OptionEnv& env,
                                                       const std::string& hostname) {
  NodeAgentOptions o;
  std::map<std::string, std::string*> strings = {{"kubeconfig", &o.kubeconfig},
                                                 {"node-name", &o.node_name},
                                                 {"state-dir", &o.state_dir},
                                                 {"pv-root", &o.pv_root},
                                                 {"images", &o.images},
                                                 {"pod-cidr", &o.pod_cidr},
                                                 {"gateway", &o.gateway},
                                                 {"bridge", &o.bridge},
                                                 {"service-cidr", &o.service_cidr},
                                                 {"netns-prefix", &o.netns_prefix},
                                                 {"veth-prefix", &o.veth_prefix},
                                                 {"cluster-domain", &o.cluster_domain},
                                                 {"log-level", &o.log_level}};
  std::map<std::string, std::chrono::seconds*> durations = {
      {"shutdown-grace", &o.shutdown_grace},
      {"lease-renew-interval", &o.lease_renew_interval},
      {"status-interval", &o.status_interval}};
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--help" || arg == "-h") {
      o.help = true;
      return o;
    }
    if (!arg.starts_with("--")) {
      return absl::InvalidArgumentError(absl::StrCat("unexpected argument \"", arg, "\""));
    }
    std::string name = arg.substr(2);
    std::optional<std::string> value;
    if (size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    const bool known = strings.contains(name) || durations.contains(name) || name == "on-exit" ||
                       name == "log-format";
    if (!known) return absl::InvalidArgumentError(absl::StrCat("unknown flag --", name));
    if (!value) {
      if (i + 1 >= args.size()) return Bad(name, "needs a value");
      value = args[++i];
    }
    if (auto s = strings.find(name); s != strings.end()) {
      *s->second = *value;
    } else if (auto d = durations.find(name); d != durations.end()) {
      absl::StatusOr<std::chrono::seconds> parsed = ParseSeconds(name, *value);
      if (!parsed.ok()) return parsed.status();
      *d->second = *parsed;
    } else if (name == "on-exit") {
      if (*value != "stop" && *value != "keep") return Bad(name, "expected stop or keep");
      o.keep_pods_on_exit = *value == "keep";
    } else if (name == "log-format") {
      if (*value != "text" && *value != "json") return Bad(name, "expected text or json");
      o.log_format = *value == "json" ? log::Format::kJson : log::Format::kText;
    }
  }
  if (o.kubeconfig.empty()) o.kubeconfig = env("KUBECONFIG").value_or("");
  if (o.kubeconfig.empty()) return Bad("kubeconfig", "required (or set $KUBECONFIG)");
  if (o.images.empty()) {
    return Bad("images", "required: the image map, e.g. deploy/local/images/images.yaml");
  }
  if (o.node_name.empty()) {
    o.node_name = hostname;
    std::transform(o.node_name.begin(), o.node_name.end(), o.node_name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  }
  if (o.node_name.empty()) return Bad("node-name", "required (the host name is empty)");
  if (o.state_dir.empty() || o.state_dir[0] != '/') {
    return Bad("state-dir", "must be an absolute path");
  }
  if (o.pv_root.empty()) o.pv_root = o.state_dir + "/pv";
  if (o.pv_root[0] != '/') return Bad("pv-root", "must be an absolute path");
  if (o.lease_renew_interval.count() <= 0) return Bad("lease-renew-interval", "must be positive");
  if (o.status_interval.count() <= 0) return Bad("status-interval", "must be positive");
  return o;
}

std::string NodeAgentUsage() {
  return R"(rmq-node-agent: a small kubelet that runs pods as local processes (the local cluster).

It registers a Node, keeps its Lease fresh, binds pending pods to itself, provisions
PersistentVolumes for claims, and runs each pod's containers as processes in the pod's own
network namespace (a bridge, one address per pod), with images mapped to local directories.
Needs root (network namespaces, mounts).

Usage: rmq-node-agent --kubeconfig FILE --images FILE [flags]

  --kubeconfig FILE           the cluster (default: $KUBECONFIG)
  --images FILE               the image map (deploy/local/images/images.yaml); ${VAR} in its
                              roots comes from this process's environment
  --node-name NAME            the Node's name (default: the host name, lower-cased)
  --state-dir DIR             pods' directories, records and logs (default /var/lib/rmq-node);
                              container logs: DIR/logs/<ns>_<pod>_<uid>/<container>/<restart>.log
  --pv-root DIR               persistent volumes: DIR/<namespace>/<claim> (default DIR/pv)
  --pod-cidr CIDR             pod addresses (default 10.244.0.0/16)
  --gateway IP                the bridge's address and the node's InternalIP (default 10.244.0.1)
  --bridge NAME               the bridge (default rmqbr0)
  --service-cidr CIDR         blackholed on the host: there is no kube-proxy (default 10.96.0.0/16)
  --netns-prefix P            pod network namespace names (default rmqpod-)
  --veth-prefix P             host veth names (default rmqv)
  --cluster-domain D          (default cluster.local)
  --on-exit stop|keep         on SIGTERM/SIGINT: stop every pod and remove their networks and the
                              bridge (stop, the default), or leave them running for the next
                              instance to adopt (keep). A killed agent leaves them running too.
  --shutdown-grace DUR        cap on each pod's grace period when stopping on exit (default 30s)
  --lease-renew-interval DUR  node Lease renewal (default 10s)
  --status-interval DUR       node status heartbeat (default 60s)
  --log-level LEVEL           trace, debug, info, warn, error (default info)
  --log-format text|json      (default text)
  --help                      this text
)";
}

}  // namespace rmq::nodeagent
