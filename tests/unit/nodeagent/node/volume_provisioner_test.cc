#include "nodeagent/node/volume_provisioner.h"

#include "gtest/gtest.h"

namespace rmq::nodeagent {
namespace {

using k8s::Json;

Json Claim() {
  return Json::parse(R"({
    "apiVersion": "v1", "kind": "PersistentVolumeClaim",
    "metadata": {"name": "data-web-0", "namespace": "ns", "uid": "c-1"},
    "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "2Gi"}}},
    "status": {"phase": "Pending"}})");
}

TEST(VolumeProvisionerTest, ServesPendingUnboundClaimsOfItsClasses) {
  const std::set<std::string> classes = {"standard"};
  EXPECT_TRUE(NeedsProvisioning(Claim(), classes));
  Json c = Claim();
  c["spec"]["storageClassName"] = "standard";
  EXPECT_TRUE(NeedsProvisioning(c, classes));
  c["spec"]["storageClassName"] = "";
  EXPECT_TRUE(NeedsProvisioning(c, classes));
  c["spec"]["storageClassName"] = "fast-ssd";
  EXPECT_FALSE(NeedsProvisioning(c, classes));
  c = Claim();
  c["spec"]["volumeName"] = "pv-1";
  EXPECT_FALSE(NeedsProvisioning(c, classes));
  c = Claim();
  c["status"]["phase"] = "Bound";
  EXPECT_FALSE(NeedsProvisioning(c, classes));
  c = Claim();
  c["metadata"]["deletionTimestamp"] = "2026-01-01T00:00:00Z";
  EXPECT_FALSE(NeedsProvisioning(c, classes));
  EXPECT_FALSE(NeedsProvisioning(Json::object(), classes));
}

TEST(VolumeProvisionerTest, VolumeIsPreboundToTheClaim) {
  Json pv = ProvisionedVolume(Claim(), "/pv/ns/data-web-0");
  EXPECT_EQ(pv["metadata"]["name"], "pvc-c-1");
  EXPECT_EQ(pv["spec"]["capacity"]["storage"], "2Gi");
  EXPECT_EQ(pv["spec"]["hostPath"]["path"], "/pv/ns/data-web-0");
  EXPECT_EQ(pv["spec"]["persistentVolumeReclaimPolicy"], "Retain");
  EXPECT_EQ(pv["spec"]["storageClassName"], "");
  EXPECT_EQ(pv["spec"]["claimRef"]["uid"], "c-1");
  EXPECT_EQ(pv["spec"]["claimRef"]["namespace"], "ns");
  EXPECT_EQ(pv["spec"]["claimRef"]["name"], "data-web-0");
  Json bare = Claim();
  bare["spec"].erase("resources");
  bare["spec"].erase("accessModes");
  Json pv2 = ProvisionedVolume(bare, "/d");
  EXPECT_EQ(pv2["spec"]["capacity"]["storage"], "1Gi");
  EXPECT_EQ(pv2["spec"]["accessModes"], Json::array({"ReadWriteOnce"}));
}

}  // namespace
}  // namespace rmq::nodeagent
