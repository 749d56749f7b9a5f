#include "nodeagent/main/options.h"

#include <map>

#include "gtest/gtest.h"

namespace rmq::nodeagent {
namespace {

OptionEnv Env(const std::map<std::string, std::string>& vars) {
  return [vars](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

TEST(NodeAgentOptionsTest, DefaultsAndEnvironment) {
  absl::StatusOr<NodeAgentOptions> o =
      ParseNodeAgentOptions({"--images", "/i.yaml"}, Env({{"KUBECONFIG", "/k"}}), "MyHost");
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->kubeconfig, "/k");
  EXPECT_EQ(o->node_name, "myhost");
  EXPECT_EQ(o->state_dir, "/var/lib/rmq-node");
  EXPECT_EQ(o->pv_root, "/var/lib/rmq-node/pv");
  EXPECT_EQ(o->pod_cidr, "10.244.0.0/16");
  EXPECT_FALSE(o->keep_pods_on_exit);
  EXPECT_EQ(o->shutdown_grace, std::chrono::seconds(30));
}

TEST(NodeAgentOptionsTest, FlagsWin) {
  absl::StatusOr<NodeAgentOptions> o = ParseNodeAgentOptions(
      {"--kubeconfig=/a", "--images=/i", "--node-name", "n1", "--state-dir", "/s", "--on-exit=keep",
       "--shutdown-grace", "2m", "--log-format", "json"},
      Env({{"KUBECONFIG", "/k"}}), "h");
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->kubeconfig, "/a");
  EXPECT_EQ(o->node_name, "n1");
  EXPECT_EQ(o->pv_root, "/s/pv");
  EXPECT_TRUE(o->keep_pods_on_exit);
  EXPECT_EQ(o->shutdown_grace, std::chrono::seconds(120));
  EXPECT_EQ(o->log_format, log::Format::kJson);
}

TEST(NodeAgentOptionsTest, ErrorsNameTheFlag) {
  auto error = [](const std::vector<std::string>& args) {
    absl::StatusOr<NodeAgentOptions> o = ParseNodeAgentOptions(args, Env({}), "h");
    return o.ok() ? std::string("ok") : std::string(o.status().message());
  };
  EXPECT_NE(error({"--images", "/i"}).find("--kubeconfig"), std::string::npos);
  EXPECT_NE(error({"--kubeconfig", "/k"}).find("--images"), std::string::npos);
  EXPECT_NE(error({"--kubeconfig", "/k", "--images", "/i", "--bogus", "1"}).find("--bogus"),
            std::string::npos);
  EXPECT_NE(error({"--kubeconfig", "/k", "--images", "/i", "--on-exit", "maybe"}).find("--on-exit"),
            std::string::npos);
  EXPECT_NE(error({"--kubeconfig", "/k", "--images", "/i", "--shutdown-grace", "soon"})
                .find("--shutdown-grace"),
            std::string::npos);
  EXPECT_NE(
      error({"--kubeconfig", "/k", "--images", "/i", "--state-dir", "rel"}).find("--state-dir"),
      std::string::npos);
  // 500ms rounds down to 0 s: refused rather than renewing in a busy loop.
  EXPECT_NE(error({"--kubeconfig", "/k", "--images", "/i", "--lease-renew-interval", "500ms"})
                .find("--lease-renew-interval"),
            std::string::npos);
  EXPECT_NE(error({"--kubeconfig", "/k", "--images"}).find("needs a value"), std::string::npos);
  EXPECT_NE(error({"stray"}).find("unexpected argument"), std::string::npos);
  EXPECT_EQ(error({"--help"}), "ok");
}

}  // namespace
}  // namespace rmq::nodeagent
