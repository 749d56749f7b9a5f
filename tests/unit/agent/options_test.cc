// rocketmq-agent options: defaults, flags over environment, validation messages naming the flag,
// --help, and the file checks.
#include "agent/main/options.h"

#include <gtest/gtest.h>

#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>

namespace rmq::agent {
namespace {

using Env = std::map<std::string, std::string>;

EnvLookup FakeEnv(Env env) {
  return [env = std::move(env)](const std::string& name) -> std::optional<std::string> {
    auto it = env.find(name);
    if (it == env.end()) return std::nullopt;
    return it->second;
  };
}

absl::StatusOr<AgentOptions> Parse(const std::vector<std::string>& args, Env env = {}) {
  return ParseAgentOptions(args, FakeEnv(std::move(env)));
}

// The error of parsing `args`, which must be an InvalidArgument mentioning `needle`.
void ExpectError(const std::vector<std::string>& args, const std::string& needle, Env env = {}) {
  absl::StatusOr<AgentOptions> o = Parse(args, std::move(env));
  ASSERT_FALSE(o.ok()) << "parsed: " << ::testing::PrintToString(args);
  EXPECT_EQ(o.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(o.status().message().find(needle), std::string::npos)
      << "'" << o.status().message() << "' does not mention '" << needle << "'";
}

TEST(AgentOptionsTest, DefaultsWithExplicitInsecureGrpc) {
  absl::StatusOr<AgentOptions> o = Parse({"--grpc-insecure"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->broker_addr, "127.0.0.1:10911");
  EXPECT_EQ(o->grpc_listen, "0.0.0.0:9095");
  EXPECT_EQ(o->http_listen, "0.0.0.0:9096");
  EXPECT_TRUE(o->grpc_insecure);
  EXPECT_FALSE(o->tls());
  EXPECT_EQ(o->metrics_cache_ttl, std::chrono::seconds(15));
  EXPECT_EQ(o->request_timeout, std::chrono::seconds(10));
  EXPECT_EQ(o->tls_refresh_interval, std::chrono::seconds(60));
  EXPECT_EQ(o->log_level, "info");
  EXPECT_EQ(o->log_format, log::Format::kText);
  EXPECT_TRUE(o->acl_access_key.empty());
  EXPECT_FALSE(o->help);
}

TEST(AgentOptionsTest, FlagsInBothSpellingsAndTheirValues) {
  absl::StatusOr<AgentOptions> o = Parse({"--broker-addr",
                                          "10.0.0.7:10911",
                                          "--grpc-listen=127.0.0.1:19095",
                                          "--http-listen",
                                          "[::]:19096",
                                          "--tls-cert",
                                          "/c.pem",
                                          "--tls-key=/k.pem",
                                          "--tls-client-ca",
                                          "/ca.pem",
                                          "--tls-refresh-interval=5s",
                                          "--acl-access-key",
                                          "ak",
                                          "--acl-secret-key",
                                          "sk",
                                          "--metrics-cache-ttl=500ms",
                                          "--request-timeout",
                                          "3",
                                          "--shutdown-timeout=1m",
                                          "--log-level=debug",
                                          "--log-format",
                                          "json"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->broker_addr, "10.0.0.7:10911");
  EXPECT_EQ(o->grpc_listen, "127.0.0.1:19095");
  EXPECT_EQ(o->http_listen, "[::]:19096");
  EXPECT_EQ(o->tls_cert, "/c.pem");
  EXPECT_EQ(o->tls_key, "/k.pem");
  EXPECT_EQ(o->tls_client_ca, "/ca.pem");
  EXPECT_TRUE(o->tls());
  EXPECT_TRUE(o->mtls());
  EXPECT_EQ(o->tls_refresh_interval, std::chrono::seconds(5));
  EXPECT_EQ(o->acl_access_key, "ak");
  EXPECT_EQ(o->acl_secret_key, "sk");
  EXPECT_EQ(o->metrics_cache_ttl, std::chrono::milliseconds(500));
  EXPECT_EQ(o->request_timeout, std::chrono::seconds(3));  // plain number = seconds
  EXPECT_EQ(o->shutdown_timeout, std::chrono::minutes(1));
  EXPECT_EQ(o->log_level, "debug");
  EXPECT_EQ(o->log_format, log::Format::kJson);
}

TEST(AgentOptionsTest, EnvironmentSetsEveryFlagAndFlagsWin) {
  Env env = {{"ROCKETMQ_AGENT_BROKER_ADDR", "10.1.1.1:10911"},
             {"ROCKETMQ_AGENT_GRPC_LISTEN", "0.0.0.0:7000"},
             {"ROCKETMQ_AGENT_HTTP_LISTEN", "0.0.0.0:7001"},
             {"ROCKETMQ_AGENT_GRPC_INSECURE", "true"},
             {"ROCKETMQ_AGENT_ACL_ACCESS_KEY", "env-ak"},
             {"ROCKETMQ_AGENT_ACL_SECRET_KEY_FILE", "/secret/sk"},
             {"ROCKETMQ_AGENT_METRICS_CACHE_TTL", "30s"},
             {"ROCKETMQ_AGENT_REQUEST_TIMEOUT", "2s"},
             {"ROCKETMQ_AGENT_LOG_LEVEL", "warn"},
             {"ROCKETMQ_AGENT_LOG_FORMAT", "json"},
             {"POD_NAME", "broker-0-0"},
             {"POD_NAMESPACE", "mq"},
             {"POD_IP", "10.244.0.9"}};
  absl::StatusOr<AgentOptions> o = Parse({"--request-timeout=4s"}, env);
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->broker_addr, "10.1.1.1:10911");
  EXPECT_EQ(o->grpc_listen, "0.0.0.0:7000");
  EXPECT_EQ(o->http_listen, "0.0.0.0:7001");
  EXPECT_TRUE(o->grpc_insecure);
  EXPECT_EQ(o->acl_access_key, "env-ak");
  EXPECT_EQ(o->acl_secret_key_file, "/secret/sk");
  EXPECT_EQ(o->metrics_cache_ttl, std::chrono::seconds(30));
  EXPECT_EQ(o->request_timeout, std::chrono::seconds(4));  // the flag wins
  EXPECT_EQ(o->log_level, "warn");
  EXPECT_EQ(o->log_format, log::Format::kJson);
  EXPECT_EQ(o->pod_name, "broker-0-0");
  EXPECT_EQ(o->pod_namespace, "mq");
  EXPECT_EQ(o->pod_ip, "10.244.0.9");
}

TEST(AgentOptionsTest, AclFallsBackToTheAdminCliVariables) {
  absl::StatusOr<AgentOptions> o = Parse(
      {"--grpc-insecure"}, {{"ROCKETMQ_ACCESS_KEY", "cli-ak"}, {"ROCKETMQ_SECRET_KEY", "cli-sk"}});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->acl_access_key, "cli-ak");
  EXPECT_EQ(o->acl_secret_key, "cli-sk");
  // The agent's own variables and flags come first.
  o = Parse({"--grpc-insecure", "--acl-access-key=flag-ak"},
            {{"ROCKETMQ_ACCESS_KEY", "cli-ak"},
             {"ROCKETMQ_SECRET_KEY", "cli-sk"},
             {"ROCKETMQ_AGENT_ACL_SECRET_KEY", "agent-sk"}});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->acl_access_key, "flag-ak");
  EXPECT_EQ(o->acl_secret_key, "agent-sk");
}

TEST(AgentOptionsTest, GrpcSecurityMustBeChosenExplicitly) {
  ExpectError({}, "--grpc-insecure");
  ExpectError({}, "--tls-cert");
  ExpectError({"--grpc-insecure", "--tls-cert=/c", "--tls-key=/k"}, "--grpc-insecure cannot");
  ExpectError({"--grpc-insecure", "--tls-client-ca=/ca"}, "--grpc-insecure cannot");
  ExpectError({"--tls-cert=/c"}, "--tls-key is missing");
  ExpectError({"--tls-key=/k"}, "--tls-cert is missing");
  ExpectError({"--tls-client-ca=/ca"}, "--tls-cert is missing");
  ExpectError({"--grpc-insecure=maybe"}, "--grpc-insecure: 'maybe' is not a boolean");
  absl::StatusOr<AgentOptions> tls_only = Parse({"--tls-cert=/c", "--tls-key=/k"});
  ASSERT_TRUE(tls_only.ok()) << tls_only.status();
  EXPECT_TRUE(tls_only->tls());
  EXPECT_FALSE(tls_only->mtls());
  absl::StatusOr<AgentOptions> off =
      Parse({"--grpc-insecure=false", "--tls-cert=/c", "--tls-key=/k"});
  ASSERT_TRUE(off.ok()) << off.status();
}

TEST(AgentOptionsTest, ErrorsNameTheFlagOrVariable) {
  ExpectError({"--grpc-insecure", "--bogus"}, "unknown flag --bogus");
  ExpectError({"--grpc-insecure", "stray"}, "unexpected argument 'stray'");
  ExpectError({"--grpc-insecure", "--broker-addr"}, "--broker-addr needs a value");
  ExpectError({"--grpc-insecure", "--metrics-cache-ttl=banana"}, "--metrics-cache-ttl: 'banana'");
  ExpectError({"--grpc-insecure", "--metrics-cache-ttl=0s"},
              "--metrics-cache-ttl must be positive");
  ExpectError({"--grpc-insecure", "--request-timeout=-1s"}, "--request-timeout must be positive");
  ExpectError({"--grpc-insecure", "--tls-refresh-interval=100ms"}, "--tls-refresh-interval");
  ExpectError({"--grpc-insecure", "--broker-addr=localhost"}, "--broker-addr must be HOST:PORT");
  ExpectError({"--grpc-insecure", "--broker-addr=host:0"}, "--broker-addr");
  ExpectError({"--grpc-insecure", "--grpc-listen=0.0.0.0:99999"}, "--grpc-listen");
  ExpectError({"--grpc-insecure", "--http-listen=localhost:9096"}, "--http-listen");
  ExpectError({"--grpc-insecure", "--log-level=loud"}, "--log-level");
  ExpectError({"--grpc-insecure", "--log-format=xml"}, "--log-format: 'xml'");
  ExpectError({"--grpc-insecure", "--acl-access-key=ak"},
              "--acl-secret-key or --acl-secret-key-file");
  ExpectError({"--grpc-insecure", "--acl-secret-key=sk"}, "--acl-access-key is missing");
  ExpectError(
      {"--grpc-insecure", "--acl-access-key=ak", "--acl-secret-key=sk", "--acl-secret-key-file=/f"},
      "exclusive");
  // Errors from the environment name the variable and its flag.
  ExpectError({"--grpc-insecure"}, "ROCKETMQ_AGENT_REQUEST_TIMEOUT (--request-timeout): 'soon'",
              {{"ROCKETMQ_AGENT_REQUEST_TIMEOUT", "soon"}});
}

TEST(AgentOptionsTest, HelpWinsOverEverythingAndDocumentsEveryFlagWithItsVariable) {
  absl::StatusOr<AgentOptions> o = Parse({"--bogus", "--help"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_TRUE(o->help);
  const std::string usage = AgentUsage();
  for (const char* flag :
       {"broker-addr", "grpc-listen", "http-listen", "tls-cert", "tls-key", "tls-client-ca",
        "tls-refresh-interval", "grpc-insecure", "acl-access-key", "acl-secret-key",
        "acl-secret-key-file", "metrics-cache-ttl", "request-timeout", "shutdown-timeout",
        "log-level", "log-format"}) {
    EXPECT_NE(usage.find(std::string("--") + flag), std::string::npos) << flag;
    std::string env = "ROCKETMQ_AGENT_";
    for (const char* c = flag; *c != '\0'; ++c) {
      env.push_back(*c == '-' ? '_'
                              : static_cast<char>(std::toupper(static_cast<unsigned char>(*c))));
    }
    EXPECT_NE(usage.find(env), std::string::npos) << env;
  }
  for (const char* text : {"(default 127.0.0.1:10911)", "(default 15s)", "POD_NAME",
                           "ROCKETMQ_ACCESS_KEY", "Exit status"}) {
    EXPECT_NE(usage.find(text), std::string::npos) << text;
  }
}

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "agent-options-XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data());
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string Write(const std::string& name, const std::string& content) const {
    std::string p = (std::filesystem::path(path_) / name).string();
    std::ofstream(p) << content;
    return p;
  }

 private:
  std::string path_;
};

TEST(AgentOptionsTest, LoadOptionFilesChecksTlsFilesAndReadsTheSecretKeyFile) {
  TempDir dir;
  AgentOptions o;
  o.tls_cert = dir.Write("cert.pem", "cert");
  o.tls_key = dir.Write("key.pem", "key");
  o.tls_client_ca = "/nonexistent/ca.pem";
  absl::Status s = LoadOptionFiles(o);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("--tls-client-ca"), std::string::npos) << s;
  o.tls_client_ca = dir.Write("ca.pem", "ca");
  EXPECT_TRUE(LoadOptionFiles(o).ok());

  o.acl_access_key = "ak";
  o.acl_secret_key_file = dir.Write("sk", "s3cret\n");
  ASSERT_TRUE(LoadOptionFiles(o).ok());
  EXPECT_EQ(o.acl_secret_key, "s3cret");
  o.acl_secret_key_file = dir.Write("empty", "\n");
  s = LoadOptionFiles(o);
  EXPECT_NE(s.message().find("--acl-secret-key-file"), std::string::npos) << s;
  o.acl_secret_key_file = "/nonexistent/sk";
  s = LoadOptionFiles(o);
  EXPECT_NE(s.message().find("--acl-secret-key-file"), std::string::npos) << s;
}

TEST(AgentOptionsTest, DescribeOptionsNeverShowsSecrets) {
  absl::StatusOr<AgentOptions> o =
      Parse({"--grpc-insecure", "--acl-access-key=visible-ak", "--acl-secret-key=hidden-sk"},
            {{"POD_NAME", "b-0"}, {"POD_NAMESPACE", "mq"}});
  ASSERT_TRUE(o.ok()) << o.status();
  const std::string d = DescribeOptions(*o);
  EXPECT_EQ(d.find("hidden-sk"), std::string::npos) << d;
  EXPECT_EQ(d.find("visible-ak"), std::string::npos) << d;
  EXPECT_NE(d.find("acl=on"), std::string::npos) << d;
  EXPECT_NE(d.find("pod=mq/b-0"), std::string::npos) << d;
  EXPECT_NE(d.find("grpc_security=plaintext"), std::string::npos) << d;
}

}  // namespace
}  // namespace rmq::agent
