// Golden tests of the desired-state builders: tests/testdata/controller/<case>.yaml ->
// golden/<case>.json (see the README there; RMQ_UPDATE_GOLDEN=1 rewrites the golden files).
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "common/k8s/yaml_json.h"
#include "controller/api/spec.h"
#include "controller/desired/broker.h"
#include "controller/desired/name_service.h"
#include "gtest/gtest.h"

namespace rmq::controller {
namespace {

namespace fs = std::filesystem;

const fs::path kDir = fs::path(RMQ_SOURCE_DIR) / "tests/testdata/controller";

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The children rendered for a case file, as one pretty JSON array.
absl::StatusOr<std::string> Render(const fs::path& input) {
  absl::StatusOr<std::vector<Json>> docs = k8s::YamlDocumentsToJson(ReadFile(input));
  if (!docs.ok()) return docs.status();
  const Json& cr = docs->at(0);
  std::string user_conf;
  for (size_t i = 1; i < docs->size(); ++i) {
    user_conf = (*docs)[i].value("/data/broker-common.conf"_json_pointer, "");
  }
  Json out = Json::array();
  const ClusterSettings settings;
  if (cr.value("kind", "") == "NameService") {
    absl::StatusOr<NameServiceSpec> spec = ParseNameService(cr);
    if (!spec.ok()) return spec.status();
    absl::StatusOr<std::vector<Json>> children = BuildNameServiceChildren(cr, *spec, settings);
    if (!children.ok()) return children.status();
    for (Json& c : *children) out.push_back(std::move(c));
  } else {
    absl::StatusOr<BrokerSpec> spec = ParseBroker(cr);
    if (!spec.ok()) return spec.status();
    BrokerInputs inputs{.user_conf = user_conf,
                        .name_servers = spec->name_servers.empty()
                                            ? "ns-0.ns.team-a.svc.cluster.local:9876"
                                            : spec->name_servers};
    AgentSidecarOptions agent;
    agent.image = "apache/rocketmq-operator-agent:0.1.0";
    absl::StatusOr<BrokerChildren> children = BuildBrokerChildren(cr, *spec, inputs, agent);
    if (!children.ok()) return children.status();
    for (Json& c : children->All()) out.push_back(std::move(c));
    out.push_back({{"ignoredUserKeys", children->conf.ignored_keys}});
  }
  return out.dump(2) + "\n";
}

class GoldenTest : public testing::TestWithParam<std::string> {};

TEST_P(GoldenTest, RenderedChildrenMatchTheGoldenFile) {
  const fs::path input = kDir / (GetParam() + ".yaml");
  const fs::path golden = kDir / "golden" / (GetParam() + ".json");
  absl::StatusOr<std::string> rendered = Render(input);
  ASSERT_TRUE(rendered.ok()) << rendered.status();
  // RMQ_UPDATE_GOLDEN=1: rewrite the golden file, then compare as always (equal by then).
  if (std::getenv("RMQ_UPDATE_GOLDEN") != nullptr) std::ofstream(golden) << *rendered;
  ASSERT_TRUE(fs::exists(golden)) << golden << " is missing: run with RMQ_UPDATE_GOLDEN=1";
  EXPECT_EQ(*rendered, ReadFile(golden))
      << "the builders' output changed; if intended, regenerate (see " << kDir / "README.md"
      << ")";
}

INSTANTIATE_TEST_SUITE_P(Cases, GoldenTest,
                         testing::Values("apache_example_nameservice", "apache_example_broker",
                                         "broker_hostpath_sync", "broker_storageclass_minimal",
                                         "nameservice_hostpath"));

// Rendering is a pure function: the same input twice gives the same bytes (the config hash and
// server-side apply rely on it).
TEST(GoldenDeterminism, SameInputSameOutput) {
  absl::StatusOr<std::string> a = Render(kDir / "broker_hostpath_sync.yaml");
  absl::StatusOr<std::string> b = Render(kDir / "broker_hostpath_sync.yaml");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(*a, *b);
}

}  // namespace
}  // namespace rmq::controller
