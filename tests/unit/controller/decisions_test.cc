// The reconcilers' pure decisions.
#include "controller/reconcile/decisions.h"

#include "controller/desired/names.h"
#include "gtest/gtest.h"

namespace rmq::controller {
namespace {

Json ConfigMap(const std::string& value) {
  return {{"apiVersion", "v1"},
          {"kind", "ConfigMap"},
          {"metadata", {{"name", "c"}, {"namespace", "n"}}},
          {"data", {{"k", value}}}};
}

TEST(AppliedHash, SameDesiredSameHashAndNoApply) {
  const Json a = WithAppliedHash(ConfigMap("1"));
  EXPECT_EQ(WithAppliedHash(ConfigMap("1")), a);
  // Re-hashing an object that already carries the annotation gives the same hash.
  EXPECT_EQ(WithAppliedHash(a), a);
  Json observed = a;
  observed["metadata"]["resourceVersion"] = "42";  // what the server adds does not matter
  EXPECT_FALSE(NeedsApply(&observed, a));
}

TEST(AppliedHash, AChangeOrAMissingObjectNeedsApply) {
  const Json a = WithAppliedHash(ConfigMap("1"));
  const Json b = WithAppliedHash(ConfigMap("2"));
  EXPECT_NE(a["metadata"]["annotations"][kAnnotationAppliedHash],
            b["metadata"]["annotations"][kAnnotationAppliedHash]);
  EXPECT_TRUE(NeedsApply(&a, b));
  EXPECT_TRUE(NeedsApply(nullptr, a));
  Json unannotated = ConfigMap("1");
  EXPECT_TRUE(NeedsApply(&unannotated, a));
}

TEST(DecideBrokerGroups, GrowsButNeverShrinks) {
  EXPECT_EQ(DecideBrokerGroups(3, 1).groups, 3);
  EXPECT_TRUE(DecideBrokerGroups(3, 1).refused.empty());
  EXPECT_EQ(DecideBrokerGroups(2, 2).groups, 2);
  GroupDecision d = DecideBrokerGroups(1, 3);
  EXPECT_EQ(d.groups, 3);
  EXPECT_NE(d.refused.find("size 3 -> 1 refused"), std::string::npos) << d.refused;
}

TEST(ChooseNameServers, ExplicitListThenTheOnlyNameServiceElseWait) {
  BrokerSpec broker;
  broker.name = "b";
  broker.ns = "prod";
  NameServiceSpec ns;
  ns.name = "names";
  ns.ns = "prod";
  ns.size = 2;
  EXPECT_EQ(ChooseNameServers(broker, {ns}, {}).list,
            "names-0.names.prod.svc.cluster.local:9876;names-1.names.prod.svc.cluster.local:9876");
  EXPECT_NE(ChooseNameServers(broker, {}, {}).waiting.find("has no NameService"),
            std::string::npos);
  NameServiceSpec other = ns;
  other.name = "other";
  NameServerChoice two = ChooseNameServers(broker, {ns, other}, {});
  EXPECT_TRUE(two.list.empty());
  EXPECT_NE(two.waiting.find("names, other"), std::string::npos) << two.waiting;
  broker.name_servers = "10.0.0.1:9876";
  EXPECT_EQ(ChooseNameServers(broker, {ns, other}, {}).list, "10.0.0.1:9876");
}

Json NameServerPod(const std::string& name, bool ready, bool deleting) {
  Json pod = {
      {"metadata", {{"name", name}, {"namespace", "prod"}}},
      {"status",
       {{"conditions", Json::array({{{"type", "Ready"}, {"status", ready ? "True" : "False"}}})}}}};
  if (deleting) pod["metadata"]["deletionTimestamp"] = "2026-11-30T03:00:00Z";
  return pod;
}

TEST(NameServerPodsNotServing, EveryOrdinalOfTheSizeMustBeReadyAndNotTerminating) {
  NameServiceSpec ns;
  ns.name = "names";
  ns.ns = "prod";
  ns.size = 3;
  EXPECT_EQ(NameServerPodsNotServing(
                ns, {NameServerPod("names-2", true, true), NameServerPod("names-0", true, false)}),
            (std::vector<std::string>{"names-1 (not created yet)", "names-2 (terminating)"}));
  EXPECT_EQ(NameServerPodsNotServing(
                ns, {NameServerPod("names-0", true, false), NameServerPod("names-1", false, false),
                     NameServerPod("names-2", true, false)}),
            std::vector<std::string>{"names-1 (not ready)"});
  // A pod beyond the size (being scaled in) does not matter.
  ns.size = 1;
  EXPECT_TRUE(NameServerPodsNotServing(
                  ns, {NameServerPod("names-0", true, false), NameServerPod("names-1", true, true)})
                  .empty());
}

TEST(OwnerKey, ByControllerReferenceOrPodLabel) {
  Json sts = {{"metadata",
               {{"name", "b-0-master"},
                {"namespace", "prod"},
                {"ownerReferences", Json::array({{{"apiVersion", kApiVersion},
                                                  {"kind", "Broker"},
                                                  {"name", "b"},
                                                  {"uid", "u"},
                                                  {"controller", true}}})}}}};
  EXPECT_EQ(OwnerKey(sts, "Broker"), "prod/b");
  EXPECT_EQ(OwnerKey(sts, "NameService"), std::nullopt);
  Json pod = {{"metadata",
               {{"name", "names-0"},
                {"namespace", "prod"},
                {"labels", {{kLabelApp, "name_service"}, {kLabelNameServiceCr, "names"}}}}}};
  EXPECT_EQ(OwnerKey(pod, "NameService"), "prod/names");
  EXPECT_EQ(OwnerKey(pod, "Broker"), std::nullopt);
}

}  // namespace
}  // namespace rmq::controller
