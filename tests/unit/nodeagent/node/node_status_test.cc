// The Node, its status and Lease as the node agent writes them; taint and binding helpers.
#include "nodeagent/node/node_status.h"

#include <gtest/gtest.h>

namespace rmq::nodeagent {
namespace {

using std::chrono::seconds;
using std::chrono::system_clock;

NodeConfig Config() {
  MachineInfo machine;
  machine.internal_ip = "10.0.0.7";
  machine.hostname = "box";
  machine.architecture = "amd64";
  machine.os_image = "Debian GNU/Linux 12 (bookworm)";
  machine.kernel_version = "6.1.0-18-amd64";
  machine.machine_id = "mid";
  machine.boot_id = "bid";
  machine.cpu_millis = 2000;
  machine.memory_bytes = 8LL << 30;
  machine.ephemeral_storage_bytes = 100LL << 30;
  NodeConfig config;
  config.name = "node-1";
  config.machine = machine;
  return config;
}

// 2026-11-29T10:00:00Z
system_clock::time_point T0() { return system_clock::time_point(seconds(1795946400)); }

TEST(NodeStatusTest, GoArch) {
  EXPECT_EQ(GoArch("x86_64"), "amd64");
  EXPECT_EQ(GoArch("aarch64"), "arm64");
  EXPECT_EQ(GoArch("armv7l"), "arm");
  EXPECT_EQ(GoArch("riscv64"), "riscv64");
}

TEST(NodeStatusTest, NodeObjectHasNameAndWellKnownLabels) {
  Json node = NodeObject(Config());
  EXPECT_EQ(node["apiVersion"], "v1");
  EXPECT_EQ(node["kind"], "Node");
  EXPECT_EQ(node["metadata"]["name"], "node-1");
  const Json& labels = node["metadata"]["labels"];
  EXPECT_EQ(labels["kubernetes.io/hostname"], "node-1");
  EXPECT_EQ(labels["kubernetes.io/os"], "linux");
  EXPECT_EQ(labels["kubernetes.io/arch"], "amd64");
  EXPECT_FALSE(node.contains("status"));
  EXPECT_FALSE(node.contains("spec"));
}

TEST(NodeStatusTest, StatusAsAKubeletWritesIt) {
  Json node = NodeStatus(Config(), T0() + seconds(30), T0());
  EXPECT_EQ(node["metadata"]["name"], "node-1");
  const Json& status = node["status"];
  ASSERT_EQ(status["conditions"].size(), 5U);
  const Json& ready = status["conditions"][0];
  EXPECT_EQ(ready["type"], "Ready");
  EXPECT_EQ(ready["status"], "True");
  EXPECT_EQ(ready["reason"], "KubeletReady");
  EXPECT_EQ(ready["lastHeartbeatTime"], "2026-11-29T10:00:30Z");
  EXPECT_EQ(ready["lastTransitionTime"], "2026-11-29T10:00:00Z");
  for (const char* type : {"MemoryPressure", "DiskPressure", "PIDPressure", "NetworkUnavailable"}) {
    EXPECT_EQ(NodeConditionStatus(node, type), "False") << type;
  }
  EXPECT_EQ(NodeConditionStatus(node, "Ready"), "True");
  EXPECT_EQ(NodeConditionStatus(node, "Nope"), "");
  EXPECT_EQ(status["addresses"], Json::parse(R"([{"type":"InternalIP","address":"10.0.0.7"},
                            {"type":"Hostname","address":"box"}])"));
  EXPECT_EQ(status["capacity"], Json::parse(R"({"cpu":"2000m","memory":"8589934592",
      "ephemeral-storage":"107374182400","pods":"110"})"));
  EXPECT_EQ(status["allocatable"], status["capacity"]);
  const Json& info = status["nodeInfo"];
  EXPECT_EQ(info["kubeletVersion"], "v1.36.3-rmq-node");
  EXPECT_EQ(info["containerRuntimeVersion"], "rmq-node://0.1");
  EXPECT_EQ(info["architecture"], "amd64");
  EXPECT_EQ(info["operatingSystem"], "linux");
  EXPECT_EQ(info["osImage"], "Debian GNU/Linux 12 (bookworm)");
  EXPECT_EQ(info["kernelVersion"], "6.1.0-18-amd64");
  EXPECT_EQ(info["machineID"], "mid");
  EXPECT_EQ(info["bootID"], "bid");
  EXPECT_EQ(status["daemonEndpoints"]["kubeletEndpoint"]["Port"], 10250);
  EXPECT_EQ(status["phase"], "Running");
}

TEST(NodeStatusTest, LeaseOwnedByTheNode) {
  Json lease = NodeLease(Config(), "uid-1", T0() + std::chrono::microseconds(123456));
  EXPECT_EQ(lease["apiVersion"], "coordination.k8s.io/v1");
  EXPECT_EQ(lease["kind"], "Lease");
  EXPECT_EQ(lease["metadata"]["name"], "node-1");
  EXPECT_EQ(lease["metadata"]["namespace"], "kube-node-lease");
  EXPECT_EQ(lease["metadata"]["ownerReferences"],
            Json::parse(R"([{"apiVersion":"v1","kind":"Node","name":"node-1","uid":"uid-1"}])"));
  EXPECT_EQ(lease["spec"]["holderIdentity"], "node-1");
  EXPECT_EQ(lease["spec"]["leaseDurationSeconds"], 40);
  EXPECT_EQ(lease["spec"]["renewTime"], "2026-11-29T10:00:00.123456Z");
  EXPECT_FALSE(NodeLease(Config(), "", T0())["metadata"].contains("ownerReferences"));
}

TEST(NodeStatusTest, RenewedLeaseKeepsVersionAndOtherFields) {
  Json read = Json::parse(R"({"metadata":{"name":"node-1","namespace":"kube-node-lease",
      "resourceVersion":"42"},"spec":{"holderIdentity":"other","renewTime":"x",
      "leaseTransitions":3}})");
  Json renewed = RenewedLease(read, Config(), T0());
  EXPECT_EQ(renewed["metadata"]["resourceVersion"], "42");
  EXPECT_EQ(renewed["spec"]["holderIdentity"], "node-1");
  EXPECT_EQ(renewed["spec"]["leaseDurationSeconds"], 40);
  EXPECT_EQ(renewed["spec"]["renewTime"], "2026-11-29T10:00:00.000000Z");
  EXPECT_EQ(renewed["spec"]["leaseTransitions"], 3);
}

TEST(NodeStatusTest, TaintsWithout) {
  Json node = Json::parse(R"({"spec":{"taints":[
      {"key":"node.kubernetes.io/not-ready","effect":"NoSchedule"},
      {"key":"dedicated","value":"x","effect":"NoSchedule"}]}})");
  std::optional<Json> kept = TaintsWithout(node, kNotReadyTaint);
  ASSERT_TRUE(kept.has_value());
  EXPECT_EQ(*kept, Json::parse(R"([{"key":"dedicated","value":"x","effect":"NoSchedule"}])"));
  EXPECT_FALSE(TaintsWithout(node, kUnreachableTaint).has_value());
  EXPECT_FALSE(TaintsWithout(Json::parse(R"({"spec":{}})"), kNotReadyTaint).has_value());
  EXPECT_FALSE(TaintsWithout(Json::object(), kNotReadyTaint).has_value());
}

TEST(NodeStatusTest, NeedsBinding) {
  EXPECT_TRUE(NeedsBinding(Json::parse(R"({"metadata":{"name":"p"},"spec":{}})")));
  EXPECT_TRUE(NeedsBinding(Json::parse(R"({"metadata":{"name":"p"},"spec":{"nodeName":""}})")));
  EXPECT_TRUE(
      NeedsBinding(Json::parse(R"({"metadata":{"name":"p"},"spec":{"schedulingGates":[]}})")));
  EXPECT_FALSE(NeedsBinding(Json::parse(R"({"metadata":{"name":"p"},"spec":{"nodeName":"n"}})")));
  EXPECT_FALSE(NeedsBinding(Json::parse(
      R"({"metadata":{"name":"p","deletionTimestamp":"2026-11-29T10:00:00Z"},"spec":{}})")));
  EXPECT_FALSE(NeedsBinding(
      Json::parse(R"({"metadata":{"name":"p"},"spec":{"schedulingGates":[{"name":"wait"}]}})")));
  EXPECT_FALSE(NeedsBinding(Json()));
}

TEST(NodeStatusTest, PodBinding) {
  Json pod = Json::parse(R"({"metadata":{"name":"p","namespace":"ns","uid":"u1"},"spec":{}})");
  EXPECT_EQ(PodBinding(pod, "node-1"), Json::parse(R"({"apiVersion":"v1","kind":"Binding",
      "metadata":{"name":"p","namespace":"ns","uid":"u1"},
      "target":{"apiVersion":"v1","kind":"Node","name":"node-1"}})"));
}

}  // namespace
}  // namespace rmq::nodeagent
