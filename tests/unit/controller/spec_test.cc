// ParseNameService/ParseBroker: the CRD's defaults, and every rule's error naming its field.
#include "controller/api/spec.h"

#include <string>

#include "gtest/gtest.h"

namespace rmq::controller {
namespace {

Json Cr(const char* kind, const std::string& name, Json spec) {
  return {{"apiVersion", kApiVersion},
          {"kind", kind},
          {"metadata", {{"name", name}, {"namespace", "ns"}, {"uid", "u-1"}}},
          {"spec", std::move(spec)}};
}

TEST(ParseBroker, AppliesTheCrdDefaults) {
  absl::StatusOr<BrokerSpec> spec = ParseBroker(Cr("Broker", "b", Json::object()));
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->size, 1);
  EXPECT_EQ(spec->replica_per_group, 0);
  EXPECT_EQ(spec->pod.image, kDefaultImage);
  EXPECT_EQ(spec->pod.image_pull_policy, "IfNotPresent");
  EXPECT_EQ(spec->pod.storage_mode, StorageMode::kEmptyDir);
  EXPECT_EQ(spec->cluster_mode, ClusterMode::kStatic);
  EXPECT_EQ(spec->replication_mode, ReplicationMode::kAsync);
  EXPECT_TRUE(spec->pod.affinity.is_null());
  EXPECT_EQ(spec->ns, "ns");
}

TEST(ParseNameService, AppliesTheCrdDefaults) {
  absl::StatusOr<NameServiceSpec> spec = ParseNameService(Cr("NameService", "n", Json::object()));
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->size, 1);
  EXPECT_EQ(spec->pod.image, kDefaultImage);
  EXPECT_FALSE(spec->pod.host_network);
}

struct BadCase {
  const char* kind;
  const char* name;
  const char* spec_json;
  const char* field;  // the message starts with "<field>: "
};

class InvalidSpecTest : public testing::TestWithParam<BadCase> {};

TEST_P(InvalidSpecTest, IsRejectedNamingTheField) {
  const BadCase& c = GetParam();
  const Json cr = Cr(c.kind, c.name, Json::parse(c.spec_json));
  absl::Status status =
      std::string(c.kind) == "Broker" ? ParseBroker(cr).status() : ParseNameService(cr).status();
  ASSERT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  EXPECT_EQ(std::string(status.message()).rfind(std::string(c.field) + ": ", 0), 0u) << status;
}

INSTANTIATE_TEST_SUITE_P(
    Rules, InvalidSpecTest,
    testing::Values(
        BadCase{"NameService", "n", R"({"size": 0})", "spec.size"},
        BadCase{"NameService", "n", R"({"size": "two"})", "spec.size"},
        BadCase{"NameService", "n", R"({"storageMode": "Local"})", "spec.storageMode"},
        BadCase{"NameService", "n", R"({"storageMode": "HostPath"})", "spec.hostPath"},
        BadCase{"NameService", "n", R"({"dnsPolicy": "Bogus"})", "spec.dnsPolicy"},
        BadCase{"NameService", "n", R"({"hostNetwork": "yes"})", "spec.hostNetwork"},
        BadCase{"NameService", "n", R"({"nameServiceImage": ""})", "spec.nameServiceImage"},
        BadCase{"Broker", "b", R"({"size": -1})", "spec.size"},
        BadCase{"Broker", "b", R"({"replicaPerGroup": 16})", "spec.replicaPerGroup"},
        BadCase{"Broker", "b", R"({"clusterMode": "CONTAINER"})", "spec.clusterMode"},
        BadCase{"Broker", "b", R"({"replicationMode": "SYNC"})", "spec.replicationMode"},
        BadCase{"Broker", "b", R"({"storageMode": "StorageClass"})", "spec.volumeClaimTemplates"},
        BadCase{"Broker", "b", R"({"storageMode": "HostPath", "hostPath": "rel/dir"})",
                "spec.hostPath"},
        BadCase{"Broker", "b", R"({"nameServers": "10.0.0.1"})", "spec.nameServers"},
        BadCase{"Broker", "b", R"({"nameServers": "a:1;b:port"})", "spec.nameServers"},
        BadCase{"Broker", "b", R"({"scalePodName": "Bad_Name"})", "spec.scalePodName"},
        BadCase{"Broker", "b", R"({"env": [{"value": "x"}]})", "spec.env[0].name"},
        BadCase{"Broker", "b", R"({"volumes": [{"name": "a"}, {"emptyDir": {}}]})",
                "spec.volumes[1].name"},
        BadCase{"Broker", "b", R"({"imagePullPolicy": "Sometimes"})", "spec.imagePullPolicy"},
        BadCase{"Broker", "b", R"({"size": 100, "replicaPerGroup": 2})", "spec.size"},
        BadCase{"Broker", "this-name-is-longer-than-thirty-chars", "{}", "metadata.name"}));

TEST(ParseBroker, AcceptsTheApacheNameServerFormatWithTrailingSemicolon) {
  absl::StatusOr<BrokerSpec> spec =
      ParseBroker(Cr("Broker", "b", {{"nameServers", "10.0.0.1:9876;10.0.0.2:9876;"}}));
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->name_servers, "10.0.0.1:9876;10.0.0.2:9876;");
}

}  // namespace
}  // namespace rmq::controller
