// options.h: the rocketmq-agent command line and environment.
//
// Every flag `--some-flag` can also be set by the environment variable
// `ROCKETMQ_AGENT_SOME_FLAG`; a flag given on the command line wins over the environment, which
// wins over the default. `--flag value` and `--flag=value` are both accepted; boolean flags take
// no value (or `=true|false`). The ACL keys also fall back to ROCKETMQ_ACCESS_KEY /
// ROCKETMQ_SECRET_KEY, as rocketmq-admin reads them. The pod identity comes from the downward
// API variables POD_NAME, POD_NAMESPACE and POD_IP. Durations are "15s", "500ms", "2m" or
// plain seconds.
//
// ParseAgentOptions() is pure (the environment is passed in) and validates everything it can
// without I/O; errors are InvalidArgument and name the flag. LoadOptionFiles() then checks the
// TLS files and reads --acl-secret-key-file. Thread-compatible.
//
// Example:
//   absl::StatusOr<AgentOptions> options = ParseAgentOptions(args, ProcessEnv());
//   if (!options.ok()) { std::cerr << options.status().message(); return kAgentExitUsage; }
//   if (options->help) { std::cout << AgentUsage(); return 0; }
//   absl::Status files = LoadOptionFiles(*options);
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/log/logger.h"

namespace rmq::agent {

struct AgentOptions {
  std::string broker_addr = "127.0.0.1:10911";  // the broker in the same pod
  std::string grpc_listen = "0.0.0.0:9095";
  std::string http_listen = "0.0.0.0:9096";  // /metrics /healthz /readyz

  // gRPC transport security: TLS with these files (mTLS when tls_client_ca is set), or
  // plaintext when grpc_insecure; exactly one of the two.
  std::string tls_cert;
  std::string tls_key;
  std::string tls_client_ca;
  std::chrono::seconds tls_refresh_interval{60};  // how often the files are re-read
  bool grpc_insecure = false;

  // ACL credentials the agent signs broker requests with (both or neither).
  std::string acl_access_key;
  std::string acl_secret_key;       // given directly, or read from the file below
  std::string acl_secret_key_file;  // LoadOptionFiles() fills acl_secret_key from it

  std::chrono::milliseconds metrics_cache_ttl{15'000};
  std::chrono::milliseconds request_timeout{10'000};
  std::chrono::milliseconds shutdown_timeout{10'000};

  std::string log_level = "info";
  log::Format log_format = log::Format::kText;

  // Downward API identity (env only).
  std::string pod_name;
  std::string pod_namespace;
  std::string pod_ip;

  bool help = false;  // --help: print AgentUsage() and exit 0; nothing else is validated

  bool tls() const { return !tls_cert.empty(); }
  bool mtls() const { return tls() && !tls_client_ca.empty(); }
};

// Returns the variable's value, or nullopt when it is not set.
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;

// The process environment (getenv).
EnvLookup ProcessEnv();

// `args` excludes argv[0].
absl::StatusOr<AgentOptions> ParseAgentOptions(const std::vector<std::string>& args,
                                               const EnvLookup& env);

// I/O part of the validation: the TLS files exist and are readable (errors name the flag), and
// --acl-secret-key-file is read (trailing newlines dropped) into acl_secret_key.
absl::Status LoadOptionFiles(AgentOptions& options);

// The --help text: every flag with its environment variable and default.
std::string AgentUsage();

// Credentials are never logged: "broker=... grpc=... tls=mtls acl=on ...".
std::string DescribeOptions(const AgentOptions& options);

// Exit status of rocketmq-agent: clean shutdown, runtime failure, bad flags.
inline constexpr int kAgentExitOk = 0;
inline constexpr int kAgentExitFailed = 1;
inline constexpr int kAgentExitUsage = 2;

}  // namespace rmq::agent
