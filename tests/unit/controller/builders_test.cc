// Properties of the builders that the golden files show but do not explain.
#include <set>
#include <string>

#include "controller/api/spec.h"
#include "controller/desired/broker.h"
#include "controller/desired/name_service.h"
#include "controller/desired/names.h"
#include "gtest/gtest.h"

namespace rmq::controller {
namespace {

Json BrokerCr(Json spec) {
  return {{"apiVersion", kApiVersion},
          {"kind", "Broker"},
          {"metadata", {{"name", "b"}, {"namespace", "ns"}, {"uid", "u-1"}}},
          {"spec", std::move(spec)}};
}

BrokerChildren Build(const Json& cr, const std::string& user_conf = "") {
  absl::StatusOr<BrokerSpec> spec = ParseBroker(cr);
  EXPECT_TRUE(spec.ok()) << spec.status();
  absl::StatusOr<BrokerChildren> c =
      BuildBrokerChildren(cr, *spec, {.user_conf = user_conf, .name_servers = "n:9876"}, {});
  EXPECT_TRUE(c.ok()) << c.status();
  return *c;
}

std::string ConfHash(const Json& sts) {
  return sts["spec"]["template"]["metadata"]["annotations"].value(kAnnotationConfigHash, "");
}

TEST(BrokerInstances, NamesFollowTheApacheOperator) {
  std::vector<BrokerInstance> all = BrokerInstances("broker", 2, 1);
  ASSERT_EQ(all.size(), 4u);
  EXPECT_EQ(all[0].stateful_set, "broker-0-master");
  EXPECT_EQ(all[0].pod, "broker-0-master-0");
  EXPECT_EQ(all[1].stateful_set, "broker-0-replica-1");
  EXPECT_EQ(all[1].broker_id, 1);
  EXPECT_EQ(all[2].broker_name, "broker-1");
  EXPECT_EQ(all[3].stateful_set, "broker-1-replica-1");
}

TEST(BuildBrokerChildren, EveryStatefulSetHasItsOwnSelector) {
  BrokerChildren c = Build(BrokerCr({{"size", 3}, {"replicaPerGroup", 2}}));
  ASSERT_EQ(c.stateful_sets.size(), 9u);
  std::set<std::string> selectors;
  for (const Json& sts : c.stateful_sets) {
    selectors.insert(SelectorString(sts["spec"]["selector"]["matchLabels"]));
    // The template's labels match the selector (the API server refuses it otherwise).
    for (const auto& [k, v] : sts["spec"]["selector"]["matchLabels"].items()) {
      EXPECT_EQ(sts["spec"]["template"]["metadata"]["labels"][k], v);
    }
  }
  EXPECT_EQ(selectors.size(), 9u);
}

TEST(BuildBrokerChildren, AConfigChangeChangesTheHashButANameServerChangeDoesNot) {
  const Json cr = BrokerCr({{"size", 1}});
  const std::string base = ConfHash(Build(cr, "flushDiskType=ASYNC_FLUSH\n").stateful_sets[0]);
  EXPECT_EQ(base.size(), 16u);
  EXPECT_NE(ConfHash(Build(cr, "flushDiskType=SYNC_FLUSH\n").stateful_sets[0]), base);

  absl::StatusOr<BrokerSpec> spec = ParseBroker(cr);
  ASSERT_TRUE(spec.ok());
  absl::StatusOr<BrokerChildren> other_ns = BuildBrokerChildren(
      cr, *spec, {.user_conf = "flushDiskType=ASYNC_FLUSH\n", .name_servers = "x:9876;y:9876"}, {});
  ASSERT_TRUE(other_ns.ok());
  EXPECT_EQ(other_ns->stateful_sets[0], Build(cr, "flushDiskType=ASYNC_FLUSH\n").stateful_sets[0]);
  EXPECT_EQ(other_ns->name_servers_config_map["data"][kNameServersKey], "x:9876;y:9876");
}

TEST(RenderBrokerConf, OperatorKeysWinAndAreReported) {
  absl::StatusOr<BrokerSpec> spec =
      ParseBroker(BrokerCr({{"replicationMode", "SYNC"}, {"replicaPerGroup", 1}}));
  ASSERT_TRUE(spec.ok());
  RenderedBrokerConf conf = RenderBrokerConf(
      *spec, "# comment\nbrokerRole=ASYNC_MASTER\n  deleteWhen = 04\nnamesrvAddr:1.2.3.4:9876\n");
  EXPECT_NE(conf.text.find("brokerRole=SYNC_MASTER\n"), std::string::npos) << conf.text;
  EXPECT_EQ(conf.text.find("ASYNC_MASTER"), std::string::npos) << conf.text;
  EXPECT_NE(conf.text.find("deleteWhen = 04\n"), std::string::npos) << conf.text;
  EXPECT_EQ(conf.text.find("1.2.3.4"), std::string::npos) << conf.text;
  EXPECT_EQ(conf.ignored_keys, (std::vector<std::string>{"brokerRole", "namesrvAddr"}));
  EXPECT_NE(conf.text.find("brokerClusterName=b\n"), std::string::npos);
}

TEST(UserConfigMapName, FindsTheVolumeCarryingBrokerCommonConf) {
  absl::StatusOr<BrokerSpec> spec =
      ParseBroker(BrokerCr({{"volumes", Json::parse(R"([{"name": "x", "emptyDir": {}},
          {"name": "y", "configMap": {"name": "other", "items": [{"key": "a", "path": "a"}]}},
          {"name": "z", "configMap": {"name": "conf",
                                       "items": [{"key": "broker-common.conf", "path": "c"}]}}])")}}));
  ASSERT_TRUE(spec.ok());
  EXPECT_EQ(UserConfigMapName(*spec), "conf");
  spec->volumes = Json::array();
  EXPECT_EQ(UserConfigMapName(*spec), std::nullopt);
}

TEST(BuildBrokerChildren, RefusesWithoutNameServers) {
  const Json cr = BrokerCr(Json::object());
  absl::StatusOr<BrokerSpec> spec = ParseBroker(cr);
  ASSERT_TRUE(spec.ok());
  EXPECT_EQ(
      BuildBrokerChildren(cr, *spec, {.user_conf = "", .name_servers = ""}, {}).status().code(),
      absl::StatusCode::kFailedPrecondition);
}

TEST(NameServerDnsList, ListsEveryOrdinalByItsStableName) {
  NameServiceSpec spec;
  spec.name = "ns";
  spec.ns = "prod";
  spec.size = 2;
  EXPECT_EQ(NameServerDnsList(spec, {}),
            "ns-0.ns.prod.svc.cluster.local:9876;ns-1.ns.prod.svc.cluster.local:9876");
}

}  // namespace
}  // namespace rmq::controller
