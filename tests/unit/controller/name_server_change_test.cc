// The name-server change state machine: publish only once every broker runs with the new list and
// is registered on each of its name servers.
#include "controller/operations/name_server_change.h"

#include "gtest/gtest.h"

namespace rmq::controller {
namespace {

BrokerNameServerView Broker(const std::string& pod, const std::string& configured,
                            std::map<std::string, bool> registered, bool reachable = true) {
  return {.pod = pod,
          .reachable = reachable,
          .configured = configured,
          .registered = std::move(registered)};
}

TEST(NameServerSet, OrderBlanksDuplicatesAndTrailingSemicolonDoNotMatter) {
  EXPECT_TRUE(SameNameServers("a:1;b:2", " b:2 ;a:1;a:1;"));
  EXPECT_FALSE(SameNameServers("a:1;b:2", "a:1"));
  EXPECT_EQ(NameServerSet(""), std::set<std::string>{});
}

TEST(DecideNameServerChange, FirstListIsPublishedAtOnce) {
  NameServerDecision d = DecideNameServerChange("a:1", {}, {}, {});
  EXPECT_EQ(d.action, NameServerAction::kPublish);
  EXPECT_EQ(d.next.published, "a:1");
  EXPECT_EQ(d.next.target, "");
}

TEST(DecideNameServerChange, SteadyStateDoesNothing) {
  NameServerDecision d =
      DecideNameServerChange("a:1", {.published = "a:1", .target = ""},
                             {Broker("m", "a:1", {{"a:1", true}}), Broker("s", "a:1", {})}, {});
  EXPECT_EQ(d.action, NameServerAction::kNothing);
  EXPECT_EQ(d.next.target, "");
}

TEST(DecideNameServerChange, ScaleOutWalksUpdateWaitPublish) {
  const NameServerChangeState before{.published = "a:1", .target = ""};
  // 1. Brokers still run with the old list: update them (both), remember the target.
  NameServerDecision d = DecideNameServerChange(
      "a:1;b:1", before, {Broker("m", "a:1", {{"a:1", true}}), Broker("s", "a:1", {{"a:1", true}})},
      {});
  EXPECT_EQ(d.action, NameServerAction::kUpdateBrokers);
  EXPECT_EQ(d.brokers, (std::vector<std::string>{"m", "s"}));
  EXPECT_EQ(d.next.target, "a:1;b:1");
  EXPECT_EQ(d.next.published, "a:1");
  // 2. Updated, the slave not yet registered on the new name server: wait, publish nothing.
  d = DecideNameServerChange("a:1;b:1", d.next,
                             {Broker("m", "b:1;a:1", {{"a:1", true}, {"b:1", true}}),
                              Broker("s", "a:1;b:1", {{"a:1", true}, {"b:1", false}})},
                             {});
  EXPECT_EQ(d.action, NameServerAction::kWait);
  EXPECT_EQ(d.brokers, std::vector<std::string>{"s"});
  EXPECT_NE(d.message.find("s on b:1"), std::string::npos) << d.message;
  EXPECT_EQ(d.next.published, "a:1");
  // 3. Everyone registered everywhere: publish.
  d = DecideNameServerChange("a:1;b:1", d.next,
                             {Broker("m", "a:1;b:1", {{"a:1", true}, {"b:1", true}}),
                              Broker("s", "a:1;b:1", {{"a:1", true}, {"b:1", true}})},
                             {});
  EXPECT_EQ(d.action, NameServerAction::kPublish);
  EXPECT_EQ(d.next.published, "a:1;b:1");
  EXPECT_EQ(d.next.target, "");
}

TEST(DecideNameServerChange, AnUnreachableAgentHoldsThePublication) {
  NameServerDecision d = DecideNameServerChange(
      "a:1;b:1", {.published = "a:1", .target = "a:1;b:1"},
      {Broker("m", "a:1;b:1", {{"a:1", true}, {"b:1", true}}), Broker("s", "", {}, false)}, {});
  EXPECT_EQ(d.action, NameServerAction::kWait);
  EXPECT_EQ(d.brokers, std::vector<std::string>{"s"});
  EXPECT_EQ(d.next.published, "a:1");
}

TEST(DecideNameServerChange, ABrokerRestartedMidChangeWithTheOldListIsUpdatedAgain) {
  // The ConfigMap still holds the published (old) list: a broker restarted during the change
  // comes back with it and gets the target again.
  NameServerDecision d = DecideNameServerChange(
      "b:1", {.published = "a:1", .target = "b:1"},
      {Broker("m", "b:1", {{"b:1", true}}), Broker("s", "a:1", {{"a:1", true}})}, {});
  EXPECT_EQ(d.action, NameServerAction::kUpdateBrokers);
  EXPECT_EQ(d.brokers, std::vector<std::string>{"s"});
}

TEST(DecideNameServerChange, ATargetAbandonedForTheOldListIsDropped) {
  // Scaled out, then back before publication: the brokers go back to the published list.
  NameServerDecision d =
      DecideNameServerChange("a:1", {.published = "a:1", .target = "a:1;b:1"},
                             {Broker("m", "a:1;b:1", {{"a:1", true}, {"b:1", true}})}, {});
  EXPECT_EQ(d.action, NameServerAction::kUpdateBrokers);
  EXPECT_EQ(d.next.target, "");
  EXPECT_EQ(d.list, "a:1");
}

TEST(DecideNameServerChange, AChangeWaitsForNameServerPodsThatDoNotServeYet) {
  // Scaled in and out again at once: ns-2 still terminates, answering under its name with the
  // old registrations. Nobody is given the list until it serves; the target is remembered.
  const std::vector<BrokerNameServerView> brokers = {Broker("m", "a:1", {{"a:1", true}})};
  NameServerDecision d = DecideNameServerChange("a:1;b:1", {.published = "a:1", .target = ""},
                                                brokers, {"ns-2 (terminating)"});
  EXPECT_EQ(d.action, NameServerAction::kWait);
  EXPECT_TRUE(d.waiting_for_name_servers);
  EXPECT_TRUE(d.brokers.empty());
  EXPECT_EQ(d.next.target, "a:1;b:1");
  EXPECT_EQ(d.next.published, "a:1");
  EXPECT_EQ(d.message,
            "waiting for name server pod(s) ns-2 (terminating) before giving the "
            "brokers a:1;b:1");
  // It serves: the brokers get the list.
  d = DecideNameServerChange("a:1;b:1", d.next, brokers, {});
  EXPECT_EQ(d.action, NameServerAction::kUpdateBrokers);
  EXPECT_FALSE(d.waiting_for_name_servers);
  // Without a change (or for a new cluster's first list) a pod that is not ready changes nothing.
  d = DecideNameServerChange("a:1", {.published = "a:1", .target = ""}, brokers,
                             {"ns-0 (not ready)"});
  EXPECT_EQ(d.action, NameServerAction::kNothing);
  d = DecideNameServerChange("a:1", {}, {}, {"ns-0 (not created yet)"});
  EXPECT_EQ(d.action, NameServerAction::kPublish);
}

}  // namespace
}  // namespace rmq::controller
