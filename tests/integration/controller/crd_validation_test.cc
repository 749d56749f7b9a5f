// The CRDs in deploy/crds/ on a real kube-apiserver: the Apache operator's example manifests are
// accepted unchanged (with our defaults filled in), invalid resources are refused with a message
// naming the field, `kubectl scale broker` works through the scale subresource.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/integration/controller/crd_plane.h"
#include "tests/support/local_control_plane.h"

namespace rmq::controller {
namespace {

using Json = nlohmann::json;
using rmq::testing::LocalControlPlane;

const std::string kSource = RMQ_SOURCE_DIR;

class CrdValidationTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    absl::StatusOr<std::unique_ptr<LocalControlPlane>> plane = StartPlaneWithCrds({});
    if (!plane.ok()) {
      error_ = new std::string(plane.status().ToString());
      return;
    }
    plane_ = plane->release();
  }
  static void TearDownTestSuite() {
    delete plane_;
    plane_ = nullptr;
  }
  void SetUp() override { ASSERT_EQ(error_, nullptr) << *error_; }

  // Writes `yaml` to a file in the plane's directory and runs `kubectl <verb> -f file`.
  static absl::StatusOr<std::string> KubectlFile(const std::string& verb, const std::string& yaml) {
    const std::string path = plane_->dir() + "/manifest.yaml";
    std::ofstream(path) << yaml;
    return plane_->Kubectl({verb, "-f", path});
  }

  // The field of the first cause in an "is invalid" answer: "spec.size" from
  // `The Broker "bad" is invalid: spec.size: Invalid value: ...` or from the multi-cause form
  // `is invalid: \n* spec.size: ...`.
  static std::string FirstInvalidField(const std::string& message) {
    const size_t at = message.find("is invalid: ");
    if (at == std::string::npos) return "<not an Invalid answer: " + message + ">";
    absl::string_view rest = absl::string_view(message).substr(at + 12);
    rest = absl::StripLeadingAsciiWhitespace(rest);
    if (absl::ConsumePrefix(&rest, "* ")) rest = absl::StripLeadingAsciiWhitespace(rest);
    const size_t colon = rest.find(": ");
    return std::string(rest.substr(0, colon));
  }

  static LocalControlPlane* plane_;
  static std::string* error_;
};

LocalControlPlane* CrdValidationTest::plane_ = nullptr;
std::string* CrdValidationTest::error_ = nullptr;

TEST_F(CrdValidationTest, TheApacheOperatorsExampleIsAcceptedUnchangedAndDefaulted) {
  // tests/testdata/controller/apache_rocketmq_cluster.yaml: the Apache operator's example as is.
  absl::StatusOr<std::string> out = plane_->Kubectl(
      {"apply", "-f", kSource + "/tests/testdata/controller/apache_rocketmq_cluster.yaml"});
  ASSERT_TRUE(out.ok()) << out.status();
  absl::StatusOr<std::string> got = plane_->Kubectl({"get", "broker", "broker", "-o", "json"});
  ASSERT_TRUE(got.ok()) << got.status();
  const Json broker = Json::parse(*got);
  EXPECT_EQ(broker["spec"]["clusterMode"], "STATIC");
  EXPECT_EQ(broker["spec"]["replicationMode"], "ASYNC");
  EXPECT_EQ(broker["spec"]["size"], 1);
  EXPECT_EQ(broker["spec"]["volumeClaimTemplates"][0]["metadata"]["name"], "broker-storage");

  // The scale subresource: `kubectl scale` sets spec.size.
  ASSERT_TRUE(plane_->Kubectl({"scale", "broker", "broker", "--replicas=2"}).ok());
  got = plane_->Kubectl({"get", "broker", "broker", "-o", "jsonpath={.spec.size}"});
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, "2");
  // Printer columns.
  got = plane_->Kubectl({"get", "brokers,nameservices"});
  ASSERT_TRUE(got.ok());
  EXPECT_NE(got->find("REPLICA-PER-GROUP"), std::string::npos) << *got;
  EXPECT_NE(got->find("READY"), std::string::npos) << *got;
}

struct Invalid {
  const char* name;  // test name
  const char* kind;
  const char* metadata_name;
  const char* spec;   // YAML flow mapping
  const char* field;  // the field the API server's message must name first
};

class InvalidCrTest : public CrdValidationTest, public ::testing::WithParamInterface<Invalid> {};

TEST_P(InvalidCrTest, IsRefusedNamingTheField) {
  const Invalid& c = GetParam();
  const std::string yaml = std::string("apiVersion: rocketmq.apache.org/v1alpha1\nkind: ") +
                           c.kind + "\nmetadata: {name: " + c.metadata_name +
                           ", namespace: default}\nspec: " + c.spec + "\n";
  absl::StatusOr<std::string> out = KubectlFile("create", yaml);
  ASSERT_FALSE(out.ok()) << "accepted:\n" << yaml;
  EXPECT_EQ(FirstInvalidField(std::string(out.status().message())), c.field) << out.status();
}

INSTANTIATE_TEST_SUITE_P(
    Manifests, InvalidCrTest,
    ::testing::Values(
        Invalid{"NsSizeZero", "NameService", "ns1", "{size: 0}", "spec.size"},
        Invalid{"NsSizeString", "NameService", "ns2", "{size: two}", "spec.size"},
        Invalid{"NsStorageMode", "NameService", "ns3", "{storageMode: Local}", "spec.storageMode"},
        Invalid{"NsHostPathMissing", "NameService", "ns4", "{storageMode: HostPath}",
                "spec.hostPath"},
        Invalid{"NsDnsPolicy", "NameService", "ns5", "{dnsPolicy: Bogus}", "spec.dnsPolicy"},
        Invalid{"NsHostNetwork", "NameService", "ns6", "{hostNetwork: maybe}", "spec.hostNetwork"},
        Invalid{"NsImageEmpty", "NameService", "ns7", "{nameServiceImage: ''}",
                "spec.nameServiceImage"},
        Invalid{"BrokerSizeNegative", "Broker", "b1", "{size: -1}", "spec.size"},
        Invalid{"BrokerReplicaPerGroup", "Broker", "b2", "{replicaPerGroup: 16}",
                "spec.replicaPerGroup"},
        Invalid{"BrokerClusterMode", "Broker", "b3", "{clusterMode: CONTAINER}",
                "spec.clusterMode"},
        Invalid{"BrokerReplicationMode", "Broker", "b4", "{replicationMode: HALF}",
                "spec.replicationMode"},
        Invalid{"BrokerSyncWithoutSlave", "Broker", "b5", "{replicationMode: SYNC}",
                "spec.replicationMode"},
        Invalid{"BrokerStorageClassWithoutClaims", "Broker", "b6", "{storageMode: StorageClass}",
                "spec.volumeClaimTemplates"},
        Invalid{"BrokerRelativeHostPath", "Broker", "b7",
                "{storageMode: HostPath, hostPath: data/x}", "spec.hostPath"},
        Invalid{"BrokerNameServers", "Broker", "b8", "{nameServers: 'not an address'}",
                "spec.nameServers"},
        Invalid{"BrokerScalePodName", "Broker", "b9", "{scalePodName: Bad_Name}",
                "spec.scalePodName"},
        Invalid{"BrokerEnvWithoutName", "Broker", "b10", "{env: [{value: x}]}", "spec.env[0].name"},
        Invalid{"BrokerVolumeWithoutName", "Broker", "b11", "{volumes: [{emptyDir: {}}]}",
                "spec.volumes[0].name"},
        Invalid{"BrokerPullPolicy", "Broker", "b12", "{imagePullPolicy: Sometimes}",
                "spec.imagePullPolicy"},
        Invalid{"BrokerTooManyInstances", "Broker", "b13", "{size: 100, replicaPerGroup: 2}",
                "spec.size"},
        Invalid{"BrokerNameTooLong", "Broker", "this-broker-name-is-longer-than-30", "{}",
                "metadata.name"}),
    [](const ::testing::TestParamInfo<Invalid>& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace rmq::controller
