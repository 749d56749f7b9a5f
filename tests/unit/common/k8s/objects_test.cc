// Object helpers: metadata accessors, owner references, conditions and events, on literal JSON.
#include "common/k8s/objects.h"

#include <gtest/gtest.h>

#include <string>

namespace rmq::k8s {
namespace {

using std::chrono::seconds;
using Clock = std::chrono::system_clock;

const Clock::time_point kWall{seconds(1'795'000'000)};  // 2026-11-18T11:06:40Z

Json Broker() {
  return Json::parse(R"({
    "apiVersion": "rocketmq.apache.org/v1alpha1",
    "kind": "RocketMQCluster",
    "metadata": {
      "name": "prod", "namespace": "mq", "uid": "u-1", "resourceVersion": "42",
      "generation": 7,
      "labels": {"app": "rocketmq"},
      "annotations": {"rocketmq.apache.org/hash": "abc"},
      "finalizers": ["rocketmq.apache.org/topic-cleanup", 5]
    }
  })");
}

TEST(ObjectsTest, Rfc3339TimeHasWholeSecondsInUtc) {
  EXPECT_EQ(Rfc3339Time(kWall), "2026-11-18T11:06:40Z");
  EXPECT_EQ(Rfc3339Time(kWall + std::chrono::milliseconds(999)), "2026-11-18T11:06:40Z");
  EXPECT_EQ(Rfc3339Time(Clock::time_point{}), "1970-01-01T00:00:00Z");
}

TEST(ObjectsTest, CreateMergePatchRemovesWhatIsGoneAndRoundTrips) {
  const Json original = Json::parse(R"({
    "size": 1, "nameServers": "a:1", "nameServerChange": {"target": "b:1", "message": "m"},
    "metadataSync": {"pendingGroups": [1], "lastSync": {"group": 1, "topics": 5}},
    "conditions": [{"type": "Ready", "status": "False"}]})");
  const Json modified = Json::parse(R"({
    "size": 2, "nameServers": "b:1",
    "metadataSync": {"pendingGroups": [], "lastSync": {"group": 1, "topics": 5}},
    "conditions": [{"type": "Ready", "status": "True"}], "selector": "app=x"})");
  const Json patch = CreateMergePatch(original, modified);
  EXPECT_EQ(patch, Json::parse(R"({
    "size": 2, "nameServers": "b:1", "nameServerChange": null,
    "metadataSync": {"pendingGroups": []},
    "conditions": [{"type": "Ready", "status": "True"}], "selector": "app=x"})"));
  Json merged = original;
  merged.merge_patch(patch);  // RFC 7386, as the API server applies it
  EXPECT_EQ(merged, modified);
  EXPECT_EQ(CreateMergePatch(modified, modified), Json::object());
  EXPECT_EQ(CreateMergePatch(Json::object(), modified), modified);
  EXPECT_EQ(CreateMergePatch(Json::array(), Json(3)), Json(3));  // not objects: replaced whole
}

TEST(ObjectsTest, MetadataAccessors) {
  const Json broker = Broker();
  EXPECT_EQ(Name(broker), "prod");
  EXPECT_EQ(Namespace(broker), "mq");
  EXPECT_EQ(Uid(broker), "u-1");
  EXPECT_EQ(ResourceVersion(broker), "42");
  EXPECT_EQ(Generation(broker), 7);
  EXPECT_FALSE(IsBeingDeleted(broker));
  EXPECT_TRUE(HasFinalizer(broker, "rocketmq.apache.org/topic-cleanup"));
  EXPECT_FALSE(HasFinalizer(broker, "other"));
  EXPECT_EQ(Label(broker, "app"), "rocketmq");
  EXPECT_EQ(Label(broker, "missing"), std::nullopt);
  EXPECT_EQ(Annotation(broker, "rocketmq.apache.org/hash"), "abc");

  Json deleting = broker;
  deleting["metadata"]["deletionTimestamp"] = "2026-11-18T11:06:40Z";
  EXPECT_TRUE(IsBeingDeleted(deleting));
}

TEST(ObjectsTest, AccessorsAreLenientWithAbsentOrMistypedFields) {
  for (const Json& odd : {Json(), Json(5), Json::array(), Json::object(), Json{{"metadata", "x"}},
                          Json::parse(R"({"metadata": {"name": 1, "namespace": null,
                              "generation": "7", "labels": [], "finalizers": "f",
                              "deletionTimestamp": null}})")}) {
    EXPECT_EQ(Name(odd), "") << odd;
    EXPECT_EQ(Namespace(odd), "") << odd;
    EXPECT_EQ(Uid(odd), "") << odd;
    EXPECT_EQ(ResourceVersion(odd), "") << odd;
    EXPECT_EQ(Generation(odd), 0) << odd;
    EXPECT_FALSE(IsBeingDeleted(odd)) << odd;
    EXPECT_FALSE(HasFinalizer(odd, "f")) << odd;
    EXPECT_EQ(Label(odd, "app"), std::nullopt) << odd;
  }
  // A generation beyond int64 reads as 0 rather than wrapping.
  EXPECT_EQ(Generation(Json{{"metadata", {{"generation", uint64_t{1} << 63}}}}), 0);
}

TEST(ObjectsTest, DnsSubdomainsAndQualifiedNames) {
  for (const char* ok : {"a", "rocketmq.apache.org", "a-b.c-d", "0"}) {
    EXPECT_TRUE(IsDns1123Subdomain(ok)) << ok;
  }
  for (const char* bad : {"", "A", "a_b", "-a", "a-", "a..b", ".a", "a.", "a/b"}) {
    EXPECT_FALSE(IsDns1123Subdomain(bad)) << bad;
  }
  EXPECT_TRUE(IsDns1123Subdomain(std::string(253, 'a')));
  EXPECT_FALSE(IsDns1123Subdomain(std::string(254, 'a')));

  for (const char* ok : {"Ready", "rocketmq.apache.org/BrokersReady", "a", "A.b-c_d", "9"}) {
    EXPECT_TRUE(IsQualifiedName(ok)) << ok;
  }
  for (const char* bad : {"", "/Ready", "Example.com/Ready", "a/b/c", "Ready-", "_Ready",
                          "rocketmq.apache.org/", "has space"}) {
    EXPECT_FALSE(IsQualifiedName(bad)) << bad;
  }
  EXPECT_TRUE(IsQualifiedName(std::string(63, 'a')));
  EXPECT_FALSE(IsQualifiedName(std::string(64, 'a')));
  EXPECT_TRUE(IsQualifiedName(std::string(253, 'a') + "/" + std::string(63, 'b')));
}

// ---------------------------------------------------------------------------------------------

TEST(OwnerReferenceTest, ControllerRefFromAnOwnerObjectAndBackThroughJson) {
  absl::StatusOr<OwnerReference> ref = ControllerRef(Broker());
  ASSERT_TRUE(ref.ok()) << ref.status();
  EXPECT_EQ(*ref, (OwnerReference{.api_version = "rocketmq.apache.org/v1alpha1",
                                  .kind = "RocketMQCluster",
                                  .name = "prod",
                                  .uid = "u-1",
                                  .controller = true,
                                  .block_owner_deletion = true}));
  const Json json = ref->ToJson();
  EXPECT_EQ(json, Json::parse(R"({"apiVersion": "rocketmq.apache.org/v1alpha1",
      "kind": "RocketMQCluster", "name": "prod", "uid": "u-1", "controller": true,
      "blockOwnerDeletion": true})"));
  absl::StatusOr<OwnerReference> back = OwnerReference::FromJson(json);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, *ref);
}

TEST(OwnerReferenceTest, FalseFlagsAreOmittedAndReadBackAsFalse) {
  const OwnerReference plain{.api_version = "v1", .kind = "Pod", .name = "p", .uid = "u"};
  const Json json = plain.ToJson();
  EXPECT_FALSE(json.contains("controller"));
  EXPECT_FALSE(json.contains("blockOwnerDeletion"));
  EXPECT_EQ(*OwnerReference::FromJson(json), plain);
}

TEST(OwnerReferenceTest, ControllerRefNamesWhatTheOwnerLacks) {
  Json owner = Broker();
  owner["metadata"].erase("uid");
  absl::StatusOr<OwnerReference> ref = ControllerRef(owner);
  ASSERT_FALSE(ref.ok());
  EXPECT_EQ(ref.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(ref.status().message().find("metadata.uid"), absl::string_view::npos) << ref.status();
  owner = Broker();
  owner.erase("apiVersion");
  EXPECT_NE(ControllerRef(owner).status().message().find("apiVersion"), absl::string_view::npos);
}

TEST(OwnerReferenceTest, FromJsonRejectsMissingAndMistypedFields) {
  const Json good = Json::parse(R"({"apiVersion": "v1", "kind": "Pod", "name": "p",
                                    "uid": "u", "controller": false})");
  ASSERT_TRUE(OwnerReference::FromJson(good).ok());
  struct Case {
    Json json;
    const char* field;
  };
  Json no_uid = good;
  no_uid.erase("uid");
  Json numeric_name = good;
  numeric_name["name"] = 5;
  Json empty_kind = good;
  empty_kind["kind"] = "";
  Json string_controller = good;
  string_controller["controller"] = "true";
  Json string_block = good;
  string_block["blockOwnerDeletion"] = 1;
  for (const Case& c : {Case{no_uid, "uid"}, Case{numeric_name, "name"}, Case{empty_kind, "kind"},
                        Case{string_controller, "controller"},
                        Case{string_block, "blockOwnerDeletion"}, Case{Json::array(), ""}}) {
    absl::StatusOr<OwnerReference> ref = OwnerReference::FromJson(c.json);
    ASSERT_FALSE(ref.ok()) << c.json;
    EXPECT_EQ(ref.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(ref.status().message().find(c.field), absl::string_view::npos) << ref.status();
  }
}

TEST(OwnerReferenceTest, GetControllerOfAndIsOwnedBy) {
  const Json owner = Broker();
  Json sts = Json::parse(R"({"metadata": {"name": "prod-broker-0", "ownerReferences": [
      {"apiVersion": "v1", "kind": "ConfigMap", "name": "cm", "uid": "u-cm"},
      {"apiVersion": "v1", "kind": "Broken", "uid": 5, "controller": true},
      {"apiVersion": "rocketmq.apache.org/v1alpha1", "kind": "RocketMQCluster",
       "name": "prod", "uid": "u-1", "controller": true, "blockOwnerDeletion": true}]}})");
  std::optional<OwnerReference> controller = GetControllerOf(sts);
  ASSERT_TRUE(controller.has_value());
  EXPECT_EQ(controller->uid, "u-1");  // the malformed controller entry is skipped
  EXPECT_TRUE(IsOwnedBy(sts, owner));
  EXPECT_TRUE(IsOwnedBy(sts, Json{{"metadata", {{"uid", "u-cm"}}}}));  // not only controllers
  EXPECT_FALSE(IsOwnedBy(sts, Json{{"metadata", {{"uid", "u-2"}}}}));
  EXPECT_FALSE(IsOwnedBy(sts, Json::object()));  // an owner without uid owns nothing

  sts["metadata"]["ownerReferences"].erase(2);
  EXPECT_EQ(GetControllerOf(sts), std::nullopt);
  EXPECT_EQ(GetControllerOf(Json::object()), std::nullopt);
  EXPECT_FALSE(IsOwnedBy(Json::object(), owner));
}

// ---------------------------------------------------------------------------------------------

Condition Ready(std::string status = "True", std::string reason = "AllBrokersReady") {
  return Condition{.type = "Ready",
                   .status = std::move(status),
                   .reason = std::move(reason),
                   .message = "3/3 brokers ready",
                   .observed_generation = 4};
}

TEST(ConditionTest, ValidConditionsPass) {
  EXPECT_TRUE(ValidateCondition(Ready()).ok());
  for (const char* status : {"True", "False", "Unknown"}) {
    EXPECT_TRUE(ValidateCondition(Ready(status)).ok()) << status;
  }
  for (const char* reason : {"A", "Ab", "Reason_1", "a,b:c_", "Z9"}) {
    EXPECT_TRUE(ValidateCondition(Ready("True", reason)).ok()) << reason;
  }
  Condition c = Ready();
  c.type = "rocketmq.apache.org/BrokersReady";
  c.message = std::string(32768, 'm');
  c.observed_generation = 0;
  EXPECT_TRUE(ValidateCondition(c).ok());
  c.reason = "R" + std::string(1023, 'r');
  EXPECT_TRUE(ValidateCondition(c).ok());
}

TEST(ConditionTest, InvalidConditionsNameTheField) {
  struct Case {
    Condition condition;
    const char* expect;
  };
  std::vector<Case> cases;
  auto with = [](auto mutate) {
    Condition c = Ready();
    mutate(c);
    return c;
  };
  cases.push_back({with([](Condition& c) { c.type = ""; }), "type: required"});
  cases.push_back({with([](Condition& c) { c.type = "Not Ready"; }), "condition.type"});
  cases.push_back({with([](Condition& c) { c.type = std::string(64, 'a'); }), "condition.type"});
  cases.push_back({with([](Condition& c) {
                     c.type = std::string(253, 'a') + "/" + std::string(63, 'b');  // 317
                   }),
                   "condition.type"});
  cases.push_back({with([](Condition& c) { c.status = "true"; }), "status \"true\""});
  cases.push_back({with([](Condition& c) { c.status = ""; }), "status"});
  cases.push_back({with([](Condition& c) { c.reason = ""; }), "reason is required"});
  for (const char* reason : {"1Reason", "Reason,", "Reason:", "Has space", "Dash-ed", "_a"}) {
    cases.push_back({with([&](Condition& c) { c.reason = reason; }), "reason"});
  }
  cases.push_back({with([](Condition& c) { c.reason = "R" + std::string(1024, 'r'); }), "reason"});
  cases.push_back({with([](Condition& c) { c.message = std::string(32769, 'm'); }), "message"});
  cases.push_back({with([](Condition& c) { c.observed_generation = -1; }), "observedGeneration"});
  for (const Case& c : cases) {
    absl::Status status = ValidateCondition(c.condition);
    ASSERT_FALSE(status.ok()) << c.expect;
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(status.message().find(c.expect), absl::string_view::npos) << status;
  }
  // Long values are cut in the message.
  EXPECT_LT(ValidateCondition(with([](Condition& c) { c.reason = std::string(5000, 'r') + "-"; }))
                .message()
                .size(),
            300u);
}

TEST(ConditionTest, JsonRoundTripToleratesMissingFieldsAndRejectsWrongTypes) {
  Condition c = Ready();
  c.last_transition_time = "2026-11-18T11:06:40Z";
  const Json json = c.ToJson();
  EXPECT_EQ(json, Json::parse(R"({"type": "Ready", "status": "True",
      "reason": "AllBrokersReady", "message": "3/3 brokers ready", "observedGeneration": 4,
      "lastTransitionTime": "2026-11-18T11:06:40Z"})"));
  EXPECT_EQ(*Condition::FromJson(json), c);

  // observedGeneration 0 is omitted, as Go's omitempty does; the message is always present.
  const Json minimal =
      Condition{.type = "Ready", .status = "Unknown", .reason = "Starting"}.ToJson();
  EXPECT_EQ(minimal, Json::parse(R"({"type": "Ready", "status": "Unknown",
      "reason": "Starting", "message": ""})"));

  absl::StatusOr<Condition> sparse =
      Condition::FromJson(Json::parse(R"({"type": "Ready", "lastTransitionTime": null})"));
  ASSERT_TRUE(sparse.ok()) << sparse.status();
  EXPECT_EQ(*sparse, (Condition{.type = "Ready"}));

  for (const auto& [bad, field] : std::vector<std::pair<const char*, const char*>>{
           {R"({"type": 1})", "condition.type"},
           {R"({"type": "Ready", "status": true})", "condition.status"},
           {R"({"type": "Ready", "observedGeneration": "4"})", "condition.observedGeneration"},
           {R"({"type": "Ready", "observedGeneration": 1.5})", "condition.observedGeneration"},
           {R"({"type": "Ready", "observedGeneration": 18446744073709551615})",
            "condition.observedGeneration"},
           {R"({"type": "Ready", "message": []})", "condition.message"},
           {R"("Ready")", "condition"}}) {
    absl::StatusOr<Condition> parsed = Condition::FromJson(Json::parse(bad));
    ASSERT_FALSE(parsed.ok()) << bad;
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(parsed.status().message().find(field), absl::string_view::npos) << parsed.status();
  }
}

TEST(ConditionTest, SetConditionAppendsNewTypesWithNowAsTransitionTime) {
  Json conditions;  // null: becomes an array
  EXPECT_TRUE(SetCondition(conditions, Ready(), kWall));
  ASSERT_TRUE(conditions.is_array());
  ASSERT_EQ(conditions.size(), 1u);
  EXPECT_EQ(conditions[0]["lastTransitionTime"], "2026-11-18T11:06:40Z");
  EXPECT_EQ(conditions[0]["observedGeneration"], 4);

  Condition degraded{.type = "Degraded", .status = "False", .reason = "AsExpected"};
  EXPECT_TRUE(SetCondition(conditions, degraded, kWall + seconds(5)));
  ASSERT_EQ(conditions.size(), 2u);
  EXPECT_EQ(conditions[1]["type"], "Degraded");
  EXPECT_EQ(conditions[1]["lastTransitionTime"], "2026-11-18T11:06:45Z");
}

TEST(ConditionTest, SetConditionKeepsTheTransitionTimeUnlessTheStatusFlips) {
  Json conditions = Json::array();
  ASSERT_TRUE(SetCondition(conditions, Ready(), kWall));
  const Json first = conditions;

  // Same everything, later: nothing changes, so no status write is needed.
  EXPECT_FALSE(SetCondition(conditions, Ready(), kWall + seconds(60)));
  EXPECT_EQ(conditions, first);

  // Same status, new reason/message/generation: updated, transition time kept.
  Condition newer = Ready("True", "Scaled");
  newer.observed_generation = 5;
  EXPECT_TRUE(SetCondition(conditions, newer, kWall + seconds(60)));
  EXPECT_EQ(conditions[0]["reason"], "Scaled");
  EXPECT_EQ(conditions[0]["observedGeneration"], 5);
  EXPECT_EQ(conditions[0]["lastTransitionTime"], "2026-11-18T11:06:40Z");

  // The status flips: the transition time moves to now.
  EXPECT_TRUE(SetCondition(conditions, Ready("False", "BrokerDown"), kWall + seconds(120)));
  EXPECT_EQ(conditions[0]["status"], "False");
  EXPECT_EQ(conditions[0]["lastTransitionTime"], "2026-11-18T11:08:40Z");
  EXPECT_EQ(conditions.size(), 1u);
}

TEST(ConditionTest, SetConditionUsesAGivenTransitionTimeAndRepairsAMissingOne) {
  Json conditions = Json::array();
  Condition c = Ready();
  c.last_transition_time = "2026-01-01T00:00:00Z";
  EXPECT_TRUE(SetCondition(conditions, c, kWall));
  EXPECT_EQ(conditions[0]["lastTransitionTime"], "2026-01-01T00:00:00Z");
  // A given time does not move the transition time while the status stays.
  c.last_transition_time = "2026-02-02T00:00:00Z";
  EXPECT_FALSE(SetCondition(conditions, c, kWall));
  EXPECT_EQ(conditions[0]["lastTransitionTime"], "2026-01-01T00:00:00Z");

  // An existing entry without lastTransitionTime gets one even though the status is the same.
  Json bare = Json::array({Json{{"type", "Ready"}, {"status", "True"}}});
  EXPECT_TRUE(SetCondition(bare, Ready(), kWall));
  EXPECT_EQ(bare[0]["lastTransitionTime"], "2026-11-18T11:06:40Z");

  // Non-object entries are left alone; a non-array is replaced.
  Json odd = Json::array({5, "x"});
  EXPECT_TRUE(SetCondition(odd, Ready(), kWall));
  EXPECT_EQ(odd.size(), 3u);
  Json object = Json::object();
  EXPECT_TRUE(SetCondition(object, Ready(), kWall));
  EXPECT_TRUE(object.is_array());
}

TEST(ConditionTest, FindIsTrueAndRemove) {
  Json conditions = Json::array();
  ASSERT_TRUE(SetCondition(conditions, Ready(), kWall));
  ASSERT_TRUE(SetCondition(
      conditions, Condition{.type = "Degraded", .status = "Unknown", .reason = "Starting"}, kWall));
  std::optional<Condition> ready = FindCondition(conditions, "Ready");
  ASSERT_TRUE(ready.has_value());
  EXPECT_EQ(ready->reason, "AllBrokersReady");
  EXPECT_EQ(ready->last_transition_time, "2026-11-18T11:06:40Z");
  EXPECT_TRUE(IsConditionTrue(conditions, "Ready"));
  EXPECT_FALSE(IsConditionTrue(conditions, "Degraded"));
  EXPECT_FALSE(IsConditionTrue(conditions, "Missing"));
  EXPECT_EQ(FindCondition(conditions, "Missing"), std::nullopt);
  EXPECT_EQ(FindCondition(Json(), "Ready"), std::nullopt);

  // A malformed entry counts as absent.
  Json malformed = Json::array({Json{{"type", "Ready"}, {"status", true}}});
  EXPECT_EQ(FindCondition(malformed, "Ready"), std::nullopt);
  EXPECT_FALSE(IsConditionTrue(malformed, "Ready"));

  EXPECT_TRUE(RemoveCondition(conditions, "Ready"));
  EXPECT_FALSE(RemoveCondition(conditions, "Ready"));
  ASSERT_EQ(conditions.size(), 1u);
  EXPECT_EQ(conditions[0]["type"], "Degraded");
  Json null;
  EXPECT_FALSE(RemoveCondition(null, "Ready"));
}

// ---------------------------------------------------------------------------------------------

EventSpec Spec() {
  Json pod = {{"apiVersion", "v1"},
              {"kind", "Pod"},
              {"metadata", {{"name", "prod-broker-0-0"}, {"namespace", "mq"}, {"uid", "p-1"}}}};
  return EventSpec{.regarding = Broker(),
                   .related = std::move(pod),
                   .type = EventType::kWarning,
                   .reason = "BrokerRestarted",
                   .action = "Reconcile",
                   .note = "broker-0 restarted",
                   .reporting_controller = "rocketmq.apache.org/operator",
                   .reporting_instance = "rocketmq-operator-7d9f-abcde",
                   .event_time = kWall + std::chrono::nanoseconds(123'456'789)};
}

TEST(EventTest, MakeEventBuildsAnEventsV1Body) {
  absl::StatusOr<Json> event = MakeEvent(Spec());
  ASSERT_TRUE(event.ok()) << event.status();
  EXPECT_EQ(*event, Json::parse(R"({
    "apiVersion": "events.k8s.io/v1",
    "kind": "Event",
    "metadata": {"name": "prod.18e91efd632f4d15", "namespace": "mq"},
    "eventTime": "2026-11-18T11:06:40.123456Z",
    "type": "Warning",
    "reason": "BrokerRestarted",
    "action": "Reconcile",
    "note": "broker-0 restarted",
    "reportingController": "rocketmq.apache.org/operator",
    "reportingInstance": "rocketmq-operator-7d9f-abcde",
    "regarding": {"apiVersion": "rocketmq.apache.org/v1alpha1", "kind": "RocketMQCluster",
                  "name": "prod", "namespace": "mq", "uid": "u-1", "resourceVersion": "42"},
    "related": {"apiVersion": "v1", "kind": "Pod", "name": "prod-broker-0-0", "namespace": "mq",
                "uid": "p-1"}
  })"));
}

TEST(EventTest, ClusterScopedObjectsGetDefaultNamespaceAndOptionalPartsAreOmitted) {
  EventSpec spec = Spec();
  spec.regarding = {{"apiVersion", "v1"}, {"kind", "Node"}, {"metadata", {{"name", "n1"}}}};
  spec.related.reset();
  spec.note.clear();
  spec.type = EventType::kNormal;
  spec.event_time = kWall;
  absl::StatusOr<Json> event = MakeEvent(spec);
  ASSERT_TRUE(event.ok()) << event.status();
  EXPECT_EQ((*event)["metadata"], Json::parse(R"({"name": "n1.18e91efd5bd38000",
                                                  "namespace": "default"})"));
  EXPECT_EQ((*event)["type"], "Normal");
  EXPECT_EQ((*event)["regarding"], Json::parse(R"({"apiVersion": "v1", "kind": "Node",
                                                   "name": "n1"})"));
  EXPECT_FALSE(event->contains("related"));
  EXPECT_FALSE(event->contains("note"));
}

TEST(EventTest, TheNoteIsTruncatedOnACharacterBoundary) {
  EventSpec spec = Spec();
  // 1023 ASCII bytes, then a 3-byte character straddling the 1024-byte limit.
  spec.note = std::string(1023, 'x') + "\xE2\x82\xAC" + "tail";
  absl::StatusOr<Json> event = MakeEvent(spec);
  ASSERT_TRUE(event.ok()) << event.status();
  EXPECT_EQ((*event)["note"], std::string(1023, 'x'));
  spec.note = std::string(1021, 'x') + "\xE2\x82\xAC" + "tail";  // ends exactly at 1024
  EXPECT_EQ((*MakeEvent(spec))["note"], std::string(1021, 'x') + "\xE2\x82\xAC");
  EXPECT_NO_THROW((void)MakeEvent(spec)->dump());
}

TEST(EventTest, InvalidEventsAreRejectedNamingTheField) {
  struct Case {
    void (*mutate)(EventSpec&);
    const char* expect;
  };
  const Case cases[] = {
      {[](EventSpec& s) { s.reason.clear(); }, "reason is required"},
      {[](EventSpec& s) { s.reason = std::string(129, 'r'); }, "reason has 129 bytes"},
      {[](EventSpec& s) { s.action.clear(); }, "action is required"},
      {[](EventSpec& s) { s.action = std::string(129, 'a'); }, "action has 129 bytes"},
      {[](EventSpec& s) { s.reporting_instance.clear(); }, "reportingInstance is required"},
      {[](EventSpec& s) { s.reporting_instance = std::string(129, 'i'); }, "reportingInstance"},
      {[](EventSpec& s) { s.reporting_controller.clear(); }, "reportingController is required"},
      {[](EventSpec& s) { s.reporting_controller = "Rocketmq Operator"; }, "reportingController"},
      {[](EventSpec& s) { s.regarding["metadata"].erase("name"); }, "regarding needs kind"},
      {[](EventSpec& s) { s.regarding.erase("kind"); }, "regarding needs kind"},
      {[](EventSpec& s) { s.related = Json::object(); }, "related needs kind"},
      {[](EventSpec& s) { s.regarding["metadata"]["name"] = std::string(240, 'n'); }, "253"},
  };
  for (const Case& c : cases) {
    EventSpec spec = Spec();
    c.mutate(spec);
    absl::StatusOr<Json> event = MakeEvent(spec);
    ASSERT_FALSE(event.ok()) << c.expect;
    EXPECT_EQ(event.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(event.status().message().find(c.expect), absl::string_view::npos) << event.status();
  }
  // The limits themselves are allowed.
  EventSpec spec = Spec();
  spec.reason = std::string(128, 'r');
  spec.action = std::string(128, 'a');
  spec.reporting_instance = std::string(128, 'i');
  EXPECT_TRUE(MakeEvent(spec).ok());
}

TEST(EventTest, SeriesUpdateCountsRepeats) {
  const Json event = *MakeEvent(Spec());
  Json patch = EventSeriesUpdate(event, kWall + seconds(30));
  EXPECT_EQ(patch, Json::parse(R"({"series": {"count": 2,
                                   "lastObservedTime": "2026-11-18T11:07:10.000000Z"}})"));
  Json repeated = event;
  repeated.merge_patch(patch);
  EXPECT_EQ(EventSeriesUpdate(repeated, kWall)["series"]["count"], 3);
  repeated["series"]["count"] = 2147483647;  // int32 max stays
  EXPECT_EQ(EventSeriesUpdate(repeated, kWall)["series"]["count"], 2147483647);
  repeated["series"]["count"] = uint64_t{1} << 40;
  EXPECT_EQ(EventSeriesUpdate(repeated, kWall)["series"]["count"], 2147483647);
  repeated["series"]["count"] = -7;
  EXPECT_EQ(EventSeriesUpdate(repeated, kWall)["series"]["count"], 2);
  EXPECT_EQ(EventSeriesUpdate(Json(), kWall)["series"]["count"], 2);
}

TEST(EventTest, TruncateUtf8) {
  EXPECT_EQ(TruncateUtf8("hello", 10), "hello");
  EXPECT_EQ(TruncateUtf8("hello", 5), "hello");
  EXPECT_EQ(TruncateUtf8("hello", 4), "hell");
  EXPECT_EQ(TruncateUtf8("hello", 0), "");
  const std::string smile = "a\xF0\x9F\x98\x80";  // 'a' + a 4-byte character
  for (size_t n = 1; n < 5; ++n) EXPECT_EQ(TruncateUtf8(smile, n), "a") << n;
  EXPECT_EQ(TruncateUtf8(smile, 5), smile);
  EXPECT_EQ(TruncateUtf8("\xC3\xA9\xC3\xA9", 3), "\xC3\xA9");
}

}  // namespace
}  // namespace rmq::k8s
