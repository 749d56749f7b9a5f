// ComputeNameServiceStatus/ComputeBrokerStatus: conditions from observed children.
#include "controller/status/status.h"

#include <chrono>

#include "common/k8s/objects.h"
#include "controller/desired/names.h"
#include "gtest/gtest.h"

namespace rmq::controller {
namespace {

using std::chrono::system_clock;

const system_clock::time_point kT0 = system_clock::from_time_t(1'800'000'000);

Json Sts(int64_t generation, int64_t observed, int ready, int updated, const char* rev = "r1",
         const char* update_rev = "r1") {
  return {{"metadata", {{"generation", generation}}},
          {"status",
           {{"observedGeneration", observed},
            {"readyReplicas", ready},
            {"updatedReplicas", updated},
            {"currentRevision", rev},
            {"updateRevision", update_rev}}}};
}

Json Pod(const std::string& name, const std::string& ip, bool ready) {
  return {
      {"metadata", {{"name", name}}},
      {"status",
       {{"podIP", ip},
        {"conditions", Json::array({{{"type", "Ready"}, {"status", ready ? "True" : "False"}}})}}}};
}

std::string Cond(const Json& status, const char* type, const char* field = "status") {
  for (const Json& c : status["conditions"]) {
    if (c["type"] == type) return c[field];
  }
  return "<absent>";
}

class NameServiceStatusTest : public testing::Test {
 protected:
  Json cr_ = {{"metadata", {{"name", "ns"}, {"namespace", "x"}, {"generation", 3}}}};
  NameServiceSpec spec_ = [] {
    NameServiceSpec s;
    s.name = "ns";
    s.ns = "x";
    s.size = 2;
    return s;
  }();
};

TEST_F(NameServiceStatusTest, ReadyWhenAllReplicasAreReadyAndListsReadyPodsOnly) {
  NameServiceStatusInputs in{.cr = &cr_, .spec = &spec_, .observed = {}, .blockers = {}};
  in.observed.stateful_sets["ns"] = Sts(3, 3, 2, 2);
  in.observed.pods = {Pod("ns-1", "10.0.0.9", true), Pod("ns-0", "10.0.0.10", true),
                      Pod("ns-2", "10.0.0.11", false)};
  Json status = ComputeNameServiceStatus(in, kT0);
  EXPECT_EQ(Cond(status, "Ready"), "True");
  EXPECT_EQ(Cond(status, "Ready", "reason"), "AllReplicasReady");
  EXPECT_EQ(Cond(status, "Progressing"), "False");
  EXPECT_EQ(Cond(status, "Degraded"), "False");
  EXPECT_EQ(status["nameServers"], Json::array({"10.0.0.10", "10.0.0.9"}));
  EXPECT_EQ(status["nameServerList"], "10.0.0.10:9876;10.0.0.9:9876");
  EXPECT_EQ(status["observedGeneration"], 3);
  EXPECT_EQ(status["conditions"][0]["observedGeneration"], 3);
}

TEST_F(NameServiceStatusTest, AStatefulSetThatHasNotSeenTheSpecIsRollingNotReady) {
  NameServiceStatusInputs in{.cr = &cr_, .spec = &spec_, .observed = {}, .blockers = {}};
  in.observed.stateful_sets["ns"] = Sts(5, 4, 2, 2);
  Json status = ComputeNameServiceStatus(in, kT0);
  EXPECT_EQ(Cond(status, "Ready"), "False");
  EXPECT_EQ(Cond(status, "Ready", "reason"), "RollingUpdate");
  EXPECT_EQ(Cond(status, "Progressing", "reason"), "RollingUpdate");
}

TEST_F(NameServiceStatusTest, MissingStatefulSetIsCreating) {
  NameServiceStatusInputs in{.cr = &cr_, .spec = &spec_, .observed = {}, .blockers = {}};
  Json status = ComputeNameServiceStatus(in, kT0);
  EXPECT_EQ(Cond(status, "Ready", "reason"), "Creating");
  EXPECT_EQ(Cond(status, "Progressing"), "True");
}

TEST_F(NameServiceStatusTest, TransitionTimeMovesOnlyWhenTheStatusFlips) {
  NameServiceStatusInputs in{.cr = &cr_, .spec = &spec_, .observed = {}, .blockers = {}};
  in.observed.stateful_sets["ns"] = Sts(3, 3, 1, 2);
  cr_["status"] = ComputeNameServiceStatus(in, kT0);
  const std::string t0 = Cond(cr_["status"], "Ready", "lastTransitionTime");
  // Still not ready an hour later (another reason): same transition time.
  in.observed.stateful_sets["ns"] = Sts(3, 3, 0, 2);
  cr_["status"] = ComputeNameServiceStatus(in, kT0 + std::chrono::hours(1));
  EXPECT_EQ(Cond(cr_["status"], "Ready", "lastTransitionTime"), t0);
  // Ready: moves.
  in.observed.stateful_sets["ns"] = Sts(3, 3, 2, 2);
  cr_["status"] = ComputeNameServiceStatus(in, kT0 + std::chrono::hours(2));
  EXPECT_NE(Cond(cr_["status"], "Ready", "lastTransitionTime"), t0);
  // Recomputing with nothing changed gives the same status: nothing to write.
  const Json again = ComputeNameServiceStatus(in, kT0 + std::chrono::hours(3));
  EXPECT_EQ(again, cr_["status"]);
}

TEST_F(NameServiceStatusTest, InvalidSpecIsDegradedAndNotReady) {
  NameServiceStatusInputs in{.cr = &cr_, .spec = nullptr, .observed = {}, .blockers = {}};
  in.blockers.invalid_spec = absl::InvalidArgumentError("spec.size: must be between 1 and 32");
  Json status = ComputeNameServiceStatus(in, kT0);
  EXPECT_EQ(Cond(status, "Degraded", "reason"), "InvalidSpec");
  EXPECT_EQ(Cond(status, "Degraded", "message"), "spec.size: must be between 1 and 32");
  EXPECT_EQ(Cond(status, "Ready"), "False");
}

TEST(BrokerStatus, ScaleInRefusedIsDegradedButStaysReady) {
  Json cr = {{"metadata", {{"name", "b"}, {"namespace", "x"}, {"generation", 2}}}};
  BrokerSpec spec;
  spec.name = "b";
  spec.ns = "x";
  spec.size = 1;
  BrokerStatusInputs in{.cr = &cr,
                        .spec = &spec,
                        .observed = {},
                        .blockers = {},
                        .groups_applied = 2,
                        .name_servers = "n:9876",
                        .operations = {}};
  for (const BrokerInstance& i : BrokerInstances("b", 2, 0)) {
    in.observed.stateful_sets[i.stateful_set] = Sts(1, 1, 1, 1);
    in.observed.pods.push_back(Pod(i.pod, "10.0.0.1", true));
  }
  in.blockers.scale_in = "size 2 -> 1 refused: scale-in is not supported yet";
  Json status = ComputeBrokerStatus(in, kT0);
  EXPECT_EQ(Cond(status, "Degraded", "reason"), "ScaleInRefused");
  EXPECT_EQ(Cond(status, "Ready"), "True");
  EXPECT_EQ(status["size"], 2);
  EXPECT_EQ(status["nodes"], Json::array({"b-0-master-0", "b-1-master-0"}));
  EXPECT_EQ(status["readyReplicas"], 2);
  EXPECT_EQ(status["selector"], "app=broker,broker_cr=b");
  EXPECT_EQ(status["nameServers"], "n:9876");
}

TEST(BrokerStatus, WaitingForNameServersIsNotReady) {
  Json cr = {{"metadata", {{"name", "b"}, {"namespace", "x"}, {"generation", 1}}}};
  BrokerSpec spec;
  spec.name = "b";
  BrokerStatusInputs in{.cr = &cr,
                        .spec = &spec,
                        .observed = {},
                        .blockers = {},
                        .groups_applied = 0,
                        .name_servers = "",
                        .operations = {}};
  in.blockers.waiting_for = "no NameService in namespace x and spec.nameServers is empty";
  Json status = ComputeBrokerStatus(in, kT0);
  EXPECT_EQ(Cond(status, "Ready", "reason"), "WaitingForNameServers");
  EXPECT_EQ(Cond(status, "Degraded"), "True");
}

TEST(BrokerStatus, OperationsReportTheirProgressAndClearItWhenDone) {
  Json cr = {{"metadata", {{"name", "b"}, {"namespace", "x"}, {"generation", 3}}},
             {"status", {{"nameServers", "old:9876"}}}};
  BrokerSpec spec;
  spec.name = "b";
  BrokerStatusInputs in{.cr = &cr,
                        .spec = &spec,
                        .observed = {},
                        .blockers = {},
                        .groups_applied = 2,
                        .name_servers = "old:9876",
                        .operations = {}};
  in.operations.reported = true;
  in.operations.published = "old:9876";
  in.operations.name_server_target = "new:9876";
  in.operations.name_server_reason = "Propagating";
  in.operations.name_server_message = "waiting for registrations (b-0-master-0 on new:9876)";
  in.operations.pending_groups = {1};
  in.operations.sync_reason = "WaitingForBrokers";
  in.operations.sync_message = "group 1: the master of group 1 is not ready";
  Json status = ComputeBrokerStatus(in, kT0);
  EXPECT_EQ(status["nameServers"], "old:9876");  // not published before propagation
  EXPECT_EQ(status["nameServerChange"]["target"], "new:9876");
  EXPECT_EQ(Cond(status, "NameServersPropagated"), "False");
  EXPECT_EQ(Cond(status, "NameServersPropagated", "reason"), "Propagating");
  for (const Json& c : status["conditions"]) EXPECT_EQ(c["observedGeneration"], 3);
  EXPECT_EQ(status["metadataSync"]["pendingGroups"], Json::array({1}));
  EXPECT_EQ(Cond(status, "MetadataSynced"), "False");

  cr["status"] = status;
  in.operations.published = "new:9876";
  in.operations.name_server_target = "";
  in.operations.name_server_reason = kPropagated;
  in.operations.pending_groups = {};
  in.operations.sync_reason = kSynced;
  in.operations.last_sync = {{"group", 1}, {"topics", 1000}};
  status = ComputeBrokerStatus(in, kT0);
  EXPECT_EQ(status["nameServers"], "new:9876");
  EXPECT_FALSE(status.contains("nameServerChange"));
  EXPECT_EQ(Cond(status, "NameServersPropagated"), "True");
  EXPECT_EQ(Cond(status, "MetadataSynced"), "True");
  EXPECT_EQ(status["metadataSync"]["pendingGroups"], Json::array());
  EXPECT_EQ(status["metadataSync"]["lastSync"]["topics"], 1000);

  // Not reported (e.g. the spec became invalid): the fields stay as they are.
  cr["status"] = status;
  in.operations = {};
  EXPECT_EQ(ComputeBrokerStatus(in, kT0)["metadataSync"]["lastSync"]["topics"], 1000);
}

}  // namespace
}  // namespace rmq::controller
