#include "agent/main/options.h"

#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/base/status_macros.h"
#include "common/http/server.h"

namespace rmq::agent {
namespace {

using Setter = std::function<absl::Status(AgentOptions&, const std::string& value)>;

enum class Kind { kString, kBool, kDuration };

struct Flag {
  std::string name;        // without "--"
  std::string value_name;  // for --help, e.g. "HOST:PORT"
  std::string help;
  std::string default_text;  // "" = none
  Kind kind;
  Setter set;
};

absl::StatusOr<std::chrono::milliseconds> ParseDuration(const std::string& text) {
  int64_t seconds = 0;
  if (absl::SimpleAtoi(text, &seconds)) {
    return std::chrono::milliseconds(seconds * 1000);
  }
  absl::Duration d;
  if (!absl::ParseDuration(text, &d)) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", text, "' is not a duration (e.g. 15s, 500ms, 2m)"));
  }
  return std::chrono::milliseconds(absl::ToInt64Milliseconds(d));
}

absl::StatusOr<bool> ParseBool(const std::string& text) {
  const std::string v = absl::AsciiStrToLower(text);
  if (v == "true" || v == "1" || v == "yes") return true;
  if (v == "false" || v == "0" || v == "no") return false;
  return absl::InvalidArgumentError(absl::StrCat("'", text, "' is not a boolean (true|false)"));
}

Setter String(std::string AgentOptions::*field) {
  return [field](AgentOptions& o, const std::string& v) {
    o.*field = v;
    return absl::OkStatus();
  };
}

Setter Duration(std::chrono::milliseconds AgentOptions::*field) {
  return [field](AgentOptions& o, const std::string& v) -> absl::Status {
    RMQ_ASSIGN_OR_RETURN(o.*field, ParseDuration(v));
    return absl::OkStatus();
  };
}

const std::vector<Flag>& Flags() {
  static const auto* flags = new std::vector<Flag>{
      {"broker-addr", "HOST:PORT", "the broker to manage (the one in this pod)", "127.0.0.1:10911",
       Kind::kString, String(&AgentOptions::broker_addr)},
      {"grpc-listen", "IP:PORT", "where the BrokerAgent gRPC API listens", "0.0.0.0:9095",
       Kind::kString, String(&AgentOptions::grpc_listen)},
      {"http-listen", "IP:PORT", "where /metrics, /healthz and /readyz are served", "0.0.0.0:9096",
       Kind::kString, String(&AgentOptions::http_listen)},
      {"tls-cert", "FILE", "PEM certificate (chain) of the gRPC server; enables TLS", "",
       Kind::kString, String(&AgentOptions::tls_cert)},
      {"tls-key", "FILE", "PEM private key of --tls-cert", "", Kind::kString,
       String(&AgentOptions::tls_key)},
      {"tls-client-ca", "FILE",
       "PEM CA bundle; when set, clients must present a certificate it signed (mTLS)", "",
       Kind::kString, String(&AgentOptions::tls_client_ca)},
      {"tls-refresh-interval", "DURATION",
       "how often the TLS files are re-read (mounted certificates rotate)", "60s", Kind::kDuration,
       [](AgentOptions& o, const std::string& v) -> absl::Status {
         RMQ_ASSIGN_OR_RETURN(std::chrono::milliseconds d, ParseDuration(v));
         o.tls_refresh_interval = std::chrono::duration_cast<std::chrono::seconds>(d);
         if (d < std::chrono::seconds(1)) {
           return absl::InvalidArgumentError("must be at least 1s");
         }
         return absl::OkStatus();
       }},
      {"grpc-insecure", "", "serve gRPC in plaintext (must be explicit; never with --tls-*)", "",
       Kind::kBool,
       [](AgentOptions& o, const std::string& v) -> absl::Status {
         RMQ_ASSIGN_OR_RETURN(o.grpc_insecure, ParseBool(v));
         return absl::OkStatus();
       }},
      {"acl-access-key", "KEY",
       "ACL access key for broker requests (fallback env ROCKETMQ_ACCESS_KEY)", "", Kind::kString,
       String(&AgentOptions::acl_access_key)},
      {"acl-secret-key", "KEY",
       "ACL secret key (fallback env ROCKETMQ_SECRET_KEY); prefer --acl-secret-key-file", "",
       Kind::kString, String(&AgentOptions::acl_secret_key)},
      {"acl-secret-key-file", "FILE", "file holding the ACL secret key (e.g. a mounted Secret)", "",
       Kind::kString, String(&AgentOptions::acl_secret_key_file)},
      {"metrics-cache-ttl", "DURATION",
       "broker data behind /metrics is refreshed at most this often", "15s", Kind::kDuration,
       Duration(&AgentOptions::metrics_cache_ttl)},
      {"request-timeout", "DURATION", "deadline of each broker request", "10s", Kind::kDuration,
       Duration(&AgentOptions::request_timeout)},
      {"shutdown-timeout", "DURATION", "on SIGTERM, how long running gRPC calls may take to finish",
       "10s", Kind::kDuration, Duration(&AgentOptions::shutdown_timeout)},
      {"log-level", "LEVEL", "trace|debug|info|warn|error|critical|off", "info", Kind::kString,
       String(&AgentOptions::log_level)},
      {"log-format", "FORMAT", "text|json", "text", Kind::kString,
       [](AgentOptions& o, const std::string& v) -> absl::Status {
         if (v == "text") {
           o.log_format = log::Format::kText;
         } else if (v == "json") {
           o.log_format = log::Format::kJson;
         } else {
           return absl::InvalidArgumentError(absl::StrCat("'", v, "' is not text or json"));
         }
         return absl::OkStatus();
       }},
  };
  return *flags;
}

std::string EnvName(const std::string& flag) {
  std::string out = "ROCKETMQ_AGENT_";
  for (char c : flag) out.push_back(c == '-' ? '_' : absl::ascii_toupper(c));
  return out;
}

const Flag* FindFlag(const std::string& name) {
  for (const Flag& f : Flags()) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

absl::Status Apply(const Flag& flag, AgentOptions& options, const std::string& value,
                   const std::string& source) {
  absl::Status s = flag.set(options, value);
  if (s.ok()) return s;
  return absl::InvalidArgumentError(absl::StrCat(source, ": ", s.message()));
}

// host:port with a non-empty host and a port in [min_port, 65535].
absl::Status CheckHostPort(const std::string& value, const std::string& flag, int min_port) {
  const size_t colon = value.rfind(':');
  int port = -1;
  if (colon == std::string::npos || colon == 0 ||
      !absl::SimpleAtoi(value.substr(colon + 1), &port) || port < min_port || port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("--", flag, " must be HOST:PORT with a port in ",
                                                   min_port, "-65535, got '", value, "'"));
  }
  return absl::OkStatus();
}

absl::Status Validate(const AgentOptions& o) {
  RMQ_RETURN_IF_ERROR(CheckHostPort(o.broker_addr, "broker-addr", 1));
  RMQ_RETURN_IF_ERROR(CheckHostPort(o.grpc_listen, "grpc-listen", 0));
  if (absl::StatusOr<boost::asio::ip::tcp::endpoint> http =
          http::ParseListenAddress(o.http_listen, "--http-listen");
      !http.ok()) {
    return http.status();
  }
  const bool any_tls = !o.tls_cert.empty() || !o.tls_key.empty() || !o.tls_client_ca.empty();
  if (o.grpc_insecure && any_tls) {
    return absl::InvalidArgumentError(
        "--grpc-insecure cannot be combined with --tls-cert/--tls-key/--tls-client-ca: choose "
        "one");
  }
  if (!o.grpc_insecure && !any_tls) {
    return absl::InvalidArgumentError(
        "gRPC needs --tls-cert and --tls-key (plus --tls-client-ca for mTLS), or an explicit "
        "--grpc-insecure for plaintext");
  }
  if (any_tls && (o.tls_cert.empty() || o.tls_key.empty())) {
    return absl::InvalidArgumentError(
        absl::StrCat(o.tls_cert.empty() ? "--tls-cert" : "--tls-key",
                     " is missing: --tls-cert and --tls-key go together"
                     " (--tls-client-ca needs both)"));
  }
  if (!o.acl_secret_key.empty() && !o.acl_secret_key_file.empty()) {
    return absl::InvalidArgumentError(
        "--acl-secret-key and --acl-secret-key-file are exclusive: give one");
  }
  const bool has_secret = !o.acl_secret_key.empty() || !o.acl_secret_key_file.empty();
  if (o.acl_access_key.empty() && has_secret) {
    return absl::InvalidArgumentError("--acl-access-key is missing (a secret key was given)");
  }
  if (!o.acl_access_key.empty() && !has_secret) {
    return absl::InvalidArgumentError(
        "--acl-secret-key or --acl-secret-key-file is missing (--acl-access-key was given)");
  }
  const std::pair<const char*, std::chrono::milliseconds> positive[] = {
      {"metrics-cache-ttl", o.metrics_cache_ttl},
      {"request-timeout", o.request_timeout},
      {"shutdown-timeout", o.shutdown_timeout}};
  for (const auto& [flag, value] : positive) {
    if (value <= std::chrono::milliseconds(0)) {
      return absl::InvalidArgumentError(absl::StrCat("--", flag, " must be positive"));
    }
  }
  static const auto* levels =
      new std::set<std::string>{"trace", "debug", "info", "warn", "error", "critical", "off"};
  if (levels->count(o.log_level) == 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--log-level must be trace|debug|info|warn|error|critical|off, got '", o.log_level, "'"));
  }
  return absl::OkStatus();
}

absl::Status CheckReadable(const std::string& path, const char* flag) {
  if (path.empty()) return absl::OkStatus();
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::InvalidArgumentError(absl::StrCat(flag, ": cannot read '", path, "'"));
  }
  return absl::OkStatus();
}

}  // namespace

EnvLookup ProcessEnv() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  };
}

absl::StatusOr<AgentOptions> ParseAgentOptions(const std::vector<std::string>& args,
                                               const EnvLookup& env) {
  AgentOptions options;
  for (const std::string& a : args) {
    if (a == "--help" || a == "-h") {
      options.help = true;
      return options;
    }
  }
  // Environment first, so flags override it.
  for (const Flag& flag : Flags()) {
    const std::string name = EnvName(flag.name);
    std::optional<std::string> value = env(name);
    if (!value.has_value() || value->empty()) continue;
    RMQ_RETURN_IF_ERROR(Apply(flag, options, *value, absl::StrCat(name, " (--", flag.name, ")")));
  }
  if (options.acl_access_key.empty()) {
    options.acl_access_key = env("ROCKETMQ_ACCESS_KEY").value_or("");
  }
  if (options.acl_secret_key.empty() && options.acl_secret_key_file.empty()) {
    options.acl_secret_key = env("ROCKETMQ_SECRET_KEY").value_or("");
  }
  options.pod_name = env("POD_NAME").value_or("");
  options.pod_namespace = env("POD_NAMESPACE").value_or("");
  options.pod_ip = env("POD_IP").value_or("");

  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a.rfind("--", 0) != 0 || a.size() == 2) {
      return absl::InvalidArgumentError(
          absl::StrCat("unexpected argument '", a, "' (flags start with --; see --help)"));
    }
    std::string name = a.substr(2);
    std::optional<std::string> value;
    if (size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    const Flag* flag = FindFlag(name);
    if (flag == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("unknown flag --", name, " (see --help)"));
    }
    if (!value.has_value()) {
      if (flag->kind == Kind::kBool) {
        value = "true";
      } else if (i + 1 < args.size()) {
        value = args[++i];
      } else {
        return absl::InvalidArgumentError(absl::StrCat("--", name, " needs a value"));
      }
    }
    RMQ_RETURN_IF_ERROR(Apply(*flag, options, *value, absl::StrCat("--", name)));
  }
  RMQ_RETURN_IF_ERROR(Validate(options));
  return options;
}

absl::Status LoadOptionFiles(AgentOptions& options) {
  RMQ_RETURN_IF_ERROR(CheckReadable(options.tls_cert, "--tls-cert"));
  RMQ_RETURN_IF_ERROR(CheckReadable(options.tls_key, "--tls-key"));
  RMQ_RETURN_IF_ERROR(CheckReadable(options.tls_client_ca, "--tls-client-ca"));
  if (!options.acl_secret_key_file.empty()) {
    std::ifstream in(options.acl_secret_key_file, std::ios::binary);
    if (!in) {
      return absl::InvalidArgumentError(
          absl::StrCat("--acl-secret-key-file: cannot read '", options.acl_secret_key_file, "'"));
    }
    std::stringstream buffer;
    buffer << in.rdbuf();
    std::string secret = buffer.str();
    while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r')) secret.pop_back();
    if (secret.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--acl-secret-key-file: '", options.acl_secret_key_file, "' is empty"));
    }
    options.acl_secret_key = std::move(secret);
  }
  return absl::OkStatus();
}

std::string AgentUsage() {
  std::string out = R"(usage: rocketmq-agent [flags]

The sidecar beside a RocketMQ broker: serves the BrokerAgent gRPC API to the operator, broker
metrics for Prometheus (/metrics, names as the Apache rocketmq-exporter) and kubelet probes
(/healthz: the agent is alive; /readyz: the broker answers and is serving).

Flags (each also settable by the environment variable shown; a flag wins over the environment):
)";
  for (const Flag& f : Flags()) {
    std::string head = absl::StrCat("  --", f.name);
    if (!f.value_name.empty()) absl::StrAppend(&head, " ", f.value_name);
    absl::StrAppend(&out, head, "\n      ", f.help);
    if (!f.default_text.empty()) absl::StrAppend(&out, " (default ", f.default_text, ")");
    absl::StrAppend(&out, "\n      env ", EnvName(f.name), "\n");
  }
  absl::StrAppend(&out, R"(  --help
      this text

Environment (Kubernetes downward API): POD_NAME, POD_NAMESPACE, POD_IP identify the pod in logs
and metrics labels.
Durations: 15s, 500ms, 2m, or plain seconds.
gRPC security: --tls-cert + --tls-key (TLS), plus --tls-client-ca (mTLS: clients must present a
certificate signed by that CA), or --grpc-insecure (plaintext); one of them is required.

Exit status: 0 after SIGTERM/SIGINT and a clean shutdown, 1 on a runtime failure (e.g. a port in
use), 2 on bad flags.
)");
  return out;
}

std::string DescribeOptions(const AgentOptions& o) {
  const char* grpc_security = o.grpc_insecure ? "plaintext" : (o.mtls() ? "mtls" : "tls");
  return absl::StrCat("broker=", o.broker_addr, " grpc=", o.grpc_listen, " http=", o.http_listen,
                      " grpc_security=", grpc_security,
                      " acl=", o.acl_access_key.empty() ? "off" : "on",
                      " metrics_cache_ttl_ms=", o.metrics_cache_ttl.count(),
                      " request_timeout_ms=", o.request_timeout.count(),
                      " pod=", o.pod_namespace.empty() ? "" : absl::StrCat(o.pod_namespace, "/"),
                      o.pod_name, " pod_ip=", o.pod_ip);
}

}  // namespace rmq::agent
