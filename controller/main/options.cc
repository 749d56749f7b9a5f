#include "controller/main/options.h"

#include <map>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "common/k8s/objects.h"

namespace rmq::controller {
namespace {

absl::Status Bad(const std::string& flag, const std::string& what) {
  return absl::InvalidArgumentError(absl::StrCat("--", flag, ": ", what));
}

absl::StatusOr<std::chrono::seconds> Seconds(const std::string& flag, const std::string& text) {
  absl::Duration d;
  if (!absl::ParseDuration(text, &d) || d < absl::Seconds(1)) {
    return Bad(flag, absl::StrCat("not a duration of at least 1s: \"", text, "\" (e.g. 15s, 2m)"));
  }
  return std::chrono::seconds(absl::ToInt64Seconds(d));
}

absl::StatusOr<bool> Bool(const std::string& flag, const std::string& text) {
  if (text == "true" || text == "1") return true;
  if (text == "false" || text == "0") return false;
  return Bad(flag, absl::StrCat("expected true or false, got \"", text, "\""));
}

}  // namespace

absl::StatusOr<OperatorProcessOptions> ParseOperatorOptions(const std::vector<std::string>& args,
                                                            const OptionEnv& env,
                                                            const std::string& default_identity) {
  OperatorProcessOptions o;
  std::string namespaces = env("WATCH_NAMESPACE").value_or("");
  o.agent_image = env("RMQ_AGENT_IMAGE").value_or(o.agent_image);
  std::map<std::string, std::string*> strings = {
      {"kubeconfig", &o.kubeconfig},
      {"namespaces", &namespaces},
      {"leader-election-namespace", &o.leader_election_namespace},
      {"leader-election-id", &o.leader_election_id},
      {"identity", &o.identity},
      {"http-listen", &o.http_listen},
      {"agent-image", &o.agent_image},
      {"agent-tls-secret", &o.agent_tls_secret},
      {"agent-client-tls-dir", &o.agent_client_tls_dir},
      {"agent-tls-server-name", &o.agent_tls_server_name},
      {"cluster-domain", &o.cluster_domain},
      {"log-level", &o.log_level}};
  std::map<std::string, std::chrono::seconds*> durations = {{"lease-duration", &o.lease_duration},
                                                            {"renew-deadline", &o.renew_deadline},
                                                            {"retry-period", &o.retry_period}};
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--help" || arg == "-h") {
      o.help = true;
      return o;
    }
    if (!arg.starts_with("--")) {
      return absl::InvalidArgumentError(
          absl::StrCat("unexpected argument \"", arg, "\" (see --help)"));
    }
    std::string name = arg.substr(2);
    std::optional<std::string> value;
    if (size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    const bool is_bool = name == "leader-elect";
    const bool known = strings.contains(name) || durations.contains(name) || is_bool ||
                       name == "workers" || name == "log-format";
    if (!known) {
      return absl::InvalidArgumentError(absl::StrCat("unknown flag --", name, " (see --help)"));
    }
    if (!value) {
      if (is_bool) {
        value = "true";
      } else if (i + 1 < args.size()) {
        value = args[++i];
      } else {
        return Bad(name, "needs a value");
      }
    }
    if (auto s = strings.find(name); s != strings.end()) {
      *s->second = *value;
    } else if (auto d = durations.find(name); d != durations.end()) {
      absl::StatusOr<std::chrono::seconds> parsed = Seconds(name, *value);
      if (!parsed.ok()) return parsed.status();
      *d->second = *parsed;
    } else if (is_bool) {
      absl::StatusOr<bool> b = Bool(name, *value);
      if (!b.ok()) return b.status();
      o.leader_elect = *b;
    } else if (name == "workers") {
      int n = 0;
      if (!absl::SimpleAtoi(*value, &n) || n < 1 || n > 64) {
        return Bad(name, "expected a number from 1 to 64");
      }
      o.workers = n;
    } else if (name == "log-format") {
      if (*value != "text" && *value != "json") return Bad(name, "expected text or json");
      o.log_format = *value == "json" ? log::Format::kJson : log::Format::kText;
    }
  }
  for (absl::string_view ns : absl::StrSplit(namespaces, ',', absl::SkipWhitespace())) {
    std::string n(absl::StripAsciiWhitespace(ns));
    if (!k8s::IsDns1123Subdomain(n) || n.size() > 63) {
      return Bad("namespaces", absl::StrCat("\"", n, "\" is not a namespace name"));
    }
    o.namespaces.push_back(std::move(n));
  }
  if (o.leader_election_namespace.empty()) {
    o.leader_election_namespace = env("POD_NAMESPACE").value_or("default");
  }
  if (o.identity.empty()) o.identity = env("POD_NAME").value_or(default_identity);
  if (o.identity.empty()) return Bad("identity", "required (no $POD_NAME and no host name)");
  if (o.agent_image.empty()) return Bad("agent-image", "must not be empty");
  if (!o.agent_tls_secret.empty() && o.agent_client_tls_dir.empty()) {
    return Bad("agent-client-tls-dir",
               "required with --agent-tls-secret (the agents then accept mTLS clients only)");
  }
  if (o.agent_tls_secret.empty() && !o.agent_client_tls_dir.empty()) {
    return Bad("agent-tls-secret",
               "required with --agent-client-tls-dir (without it the agents serve plaintext)");
  }
  if (o.agent_tls_server_name.empty()) return Bad("agent-tls-server-name", "must not be empty");
  if (!(o.lease_duration > o.renew_deadline &&
        o.renew_deadline.count() * 10 > o.retry_period.count() * 12)) {
    return Bad("lease-duration",
               "need lease-duration > renew-deadline > 1.2 x retry-period (client-go's rule)");
  }
  return o;
}

std::string OperatorUsage() {
  return R"(rocketmq-operator: runs Apache RocketMQ on Kubernetes (NameService and Broker resources,
group rocketmq.apache.org/v1alpha1; install deploy/crds/ first).

Usage: rocketmq-operator [flags]

  --kubeconfig FILE                 the cluster; default: the in-cluster configuration (service
                                    account), else $KUBECONFIG
  --namespaces a,b                  watch only these namespaces (default: all; env
                                    WATCH_NAMESPACE, the Apache operator's variable)
  --leader-elect=true|false         one active operator per Lease (default true)
  --leader-election-namespace NS    the Lease's namespace (default $POD_NAMESPACE, else default)
  --leader-election-id NAME         the Lease's name (default rocketmq-operator)
  --lease-duration DUR              (default 15s)
  --renew-deadline DUR              (default 10s)
  --retry-period DUR                (default 2s)
  --identity ID                     this candidate's identity (default $POD_NAME, else host-pid)
  --http-listen IP:PORT             /metrics, /healthz, /readyz (default 0.0.0.0:8080)
  --agent-image IMAGE               the rocketmq-agent sidecar's image (default
                                    rocketmq-agent:latest; env RMQ_AGENT_IMAGE)
  --agent-tls-secret NAME           Secret (tls.crt, tls.key, ca.crt) for the agents' gRPC mTLS in
                                    each broker namespace; default: plaintext gRPC. Needs
                                    --agent-client-tls-dir
  --agent-client-tls-dir DIR        the operator's own mTLS files for calling the agents: tls.crt,
                                    tls.key (its client certificate) and ca.crt (the agents' CA);
                                    read at start
  --agent-tls-server-name NAME      the name every agent certificate carries as a DNS SAN, checked
                                    instead of the pod IP it is dialled at (default rocketmq-agent)
  --cluster-domain D                for the name servers' DNS names (default cluster.local)
  --workers N                       concurrent reconciles per kind (default 4)
  --log-level LEVEL                 trace, debug, info, warn, error (default info)
  --log-format text|json            (default text)
  --help                            this text

/readyz is 200 once the caches are synced and this process leads (or leader election is off);
/healthz is 200 while the process runs. SIGTERM: stop reconciling, release the Lease, exit 0.
)";
}

}  // namespace rmq::controller
