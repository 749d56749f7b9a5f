// rocketmq-operator's command line.
#include "controller/main/options.h"

#include <map>

#include "gtest/gtest.h"

namespace rmq::controller {
namespace {

absl::StatusOr<OperatorProcessOptions> Parse(const std::vector<std::string>& args,
                                             const std::map<std::string, std::string>& env = {}) {
  return ParseOperatorOptions(
      args,
      [env](const std::string& name) -> std::optional<std::string> {
        auto it = env.find(name);
        if (it == env.end()) return std::nullopt;
        return it->second;
      },
      "host-1");
}

TEST(OperatorOptions, Defaults) {
  absl::StatusOr<OperatorProcessOptions> o = Parse({});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_TRUE(o->leader_elect);
  EXPECT_TRUE(o->namespaces.empty());
  EXPECT_EQ(o->leader_election_namespace, "default");
  EXPECT_EQ(o->identity, "host-1");
  EXPECT_EQ(o->http_listen, "0.0.0.0:8080");
  EXPECT_EQ(o->workers, 4);
}

TEST(OperatorOptions, EnvironmentFallbacksAndFlagsWin) {
  absl::StatusOr<OperatorProcessOptions> o =
      Parse({"--leader-elect=false", "--workers", "8", "--lease-duration=30s"},
            {{"WATCH_NAMESPACE", "a, b"},
             {"POD_NAMESPACE", "ops"},
             {"POD_NAME", "op-7d9"},
             {"RMQ_AGENT_IMAGE", "reg/agent:1"}});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_FALSE(o->leader_elect);
  EXPECT_EQ(o->namespaces, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(o->leader_election_namespace, "ops");
  EXPECT_EQ(o->identity, "op-7d9");
  EXPECT_EQ(o->agent_image, "reg/agent:1");
  EXPECT_EQ(o->workers, 8);
  EXPECT_EQ(o->lease_duration, std::chrono::seconds(30));
  o = Parse({"--namespaces=x"}, {{"WATCH_NAMESPACE", "a"}});
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->namespaces, (std::vector<std::string>{"x"}));
}

TEST(OperatorOptions, ErrorsNameTheFlag) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"--bogus"}, "unknown flag --bogus"},
      {{"--workers=0"}, "--workers:"},
      {{"--workers=many"}, "--workers:"},
      {{"--lease-duration=soon"}, "--lease-duration:"},
      {{"--leader-elect=maybe"}, "--leader-elect:"},
      {{"--namespaces=Bad_NS"}, "--namespaces:"},
      {{"--log-format=xml"}, "--log-format:"},
      {{"--renew-deadline=20s"}, "--lease-duration:"},
      {{"--http-listen"}, "--http-listen: needs a value"},
      {{"--agent-tls-secret=s"}, "--agent-client-tls-dir: required with --agent-tls-secret"},
      {{"--agent-client-tls-dir=/d"}, "--agent-tls-secret: required with --agent-client-tls-dir"},
      {{"--agent-tls-secret=s", "--agent-client-tls-dir=/d", "--agent-tls-server-name="},
       "--agent-tls-server-name:"},
      {{"positional"}, "unexpected argument"}};
  for (const auto& [args, want] : cases) {
    absl::StatusOr<OperatorProcessOptions> o = Parse(args);
    ASSERT_FALSE(o.ok()) << args[0];
    EXPECT_NE(std::string(o.status().message()).find(want), std::string::npos)
        << args[0] << ": " << o.status();
  }
}

TEST(OperatorOptions, AgentMtlsTakesBothSidesAndAServerName) {
  absl::StatusOr<OperatorProcessOptions> o =
      Parse({"--agent-tls-secret=agent-tls", "--agent-client-tls-dir=/etc/operator/agent-tls"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->agent_tls_secret, "agent-tls");
  EXPECT_EQ(o->agent_client_tls_dir, "/etc/operator/agent-tls");
  EXPECT_EQ(o->agent_tls_server_name, "rocketmq-agent");
  o = Parse(
      {"--agent-tls-secret=a", "--agent-client-tls-dir=/d", "--agent-tls-server-name=agents"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->agent_tls_server_name, "agents");
}

TEST(OperatorOptions, HelpDocumentsEveryFlag) {
  const std::string usage = OperatorUsage();
  for (const char* flag :
       {"--kubeconfig", "--namespaces", "--leader-elect", "--leader-election-namespace",
        "--leader-election-id", "--lease-duration", "--renew-deadline", "--retry-period",
        "--identity", "--http-listen", "--agent-image", "--agent-tls-secret",
        "--agent-client-tls-dir", "--agent-tls-server-name", "--cluster-domain", "--workers",
        "--log-level", "--log-format"}) {
    EXPECT_NE(usage.find(flag), std::string::npos) << flag;
  }
}

}  // namespace
}  // namespace rmq::controller
