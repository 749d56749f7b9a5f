// objects.h: typed helpers for the parts of Kubernetes objects every controller touches (pure).
//
// Objects stay JSON (nlohmann) everywhere; this header adds what is worth typing:
//  - metadata accessors (Name, Namespace, Uid, ...): lenient reads of the API server's objects,
//    where an absent or mistyped field reads as empty, 0 or false;
//  - owner references (metav1.OwnerReference): the controller reference a dependent carries so
//    that garbage collection deletes it with its owner, and the lookups a controller does to map
//    a child back to its owner;
//  - conditions (metav1.Condition): validation by the API's rules, and an upsert that keeps
//    lastTransitionTime unless the status flips, so that unchanged conditions produce no write;
//  - events (events.k8s.io/v1 Event): a validated Event body named as client-go names it, and the
//    merge patch that counts a repeat in its series.
// Nothing here reads a clock: times are parameters. Thread-compatible (free functions and values).
//
// Example:
//   RMQ_ASSIGN_OR_RETURN(OwnerReference ref, ControllerRef(cluster));
//   sts["metadata"]["ownerReferences"] = Json::array({ref.ToJson()});
//   Condition ready{.type = "Ready", .status = kConditionTrue, .reason = "AllBrokersReady",
//                   .observed_generation = Generation(cluster)};
//   RMQ_RETURN_IF_ERROR(ValidateCondition(ready));
//   bool changed = SetCondition(status["conditions"], ready, clock.Now());
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace rmq::k8s {

using Json = nlohmann::json;

// metav1.Time's wire format: RFC 3339 in UTC with whole seconds, "2026-11-29T10:00:00Z"
// (sub-second parts are dropped). MicroTime() in leader_election.h has microseconds.
std::string Rfc3339Time(std::chrono::system_clock::time_point t);

// Validation of Kubernetes names (k8s.io/apimachinery/pkg/util/validation).
// A DNS-1123 subdomain: at most 253 characters of lower-case alphanumeric labels joined by '.',
// each label may contain '-' inside ("rocketmq.apache.org").
bool IsDns1123Subdomain(std::string_view value);
// A qualified name: an optional DNS-1123 subdomain prefix and '/', then a name of at most 63
// characters, alphanumeric at both ends with '-', '_' and '.' inside ("Ready",
// "rocketmq.apache.org/BrokersReady"). Label keys, condition types and reportingController.
bool IsQualifiedName(std::string_view value);

// ---------------------------------------------------------------------------------------------
// Metadata accessors. Absent or mistyped fields read as "" / 0 / false / nullopt.

std::string Name(const Json& object);
std::string Namespace(const Json& object);  // "" for cluster-scoped objects
std::string Uid(const Json& object);
std::string ResourceVersion(const Json& object);
int64_t Generation(const Json& object);
// metadata.deletionTimestamp is set: the object waits for its finalizers to be removed.
bool IsBeingDeleted(const Json& object);

// The JSON merge patch (RFC 7386) that turns `original` into `modified`: changed and added keys,
// removed keys as null, nested objects diffed recursively, anything else (arrays, scalars)
// replaced whole. Merging it into `original` gives `modified` as long as `modified` holds no null
// values (a merge patch cannot express them). Equal documents give {}.
Json CreateMergePatch(const Json& original, const Json& modified);
bool HasFinalizer(const Json& object, std::string_view finalizer);
std::optional<std::string> Label(const Json& object, std::string_view key);
std::optional<std::string> Annotation(const Json& object, std::string_view key);

// ---------------------------------------------------------------------------------------------
// Owner references (metadata.ownerReferences[]).

struct OwnerReference {
  std::string api_version{};
  std::string kind{};
  std::string name{};
  std::string uid{};
  bool controller = false;
  // Foreground deletion of the owner waits for this dependent. Setting it needs `update` on the
  // owner's `<resource>/finalizers` where OwnerReferencesPermissionEnforcement is enabled.
  bool block_owner_deletion = false;

  // apiVersion, kind, name and uid are required strings; controller and blockOwnerDeletion are
  // optional booleans. InvalidArgument naming the field otherwise.
  static absl::StatusOr<OwnerReference> FromJson(const Json& json);
  // controller and blockOwnerDeletion appear only when true (Go's *bool with omitempty).
  Json ToJson() const;

  friend bool operator==(const OwnerReference&, const OwnerReference&) = default;
};

// The controller reference to put on objects `owner` manages: its apiVersion, kind, name and uid,
// controller=true, blockOwnerDeletion=true. InvalidArgument if `owner` lacks one of the four.
// A namespaced dependent must live in its owner's namespace: the API server accepts a
// cross-namespace reference, but the garbage collector treats it as absent (reporting
// OwnerRefInvalidNamespace) and may delete the dependent.
absl::StatusOr<OwnerReference> ControllerRef(const Json& owner);

// The ownerReference with controller=true, if any (entries that do not parse are skipped).
std::optional<OwnerReference> GetControllerOf(const Json& object);

// Whether any of `object`'s ownerReferences names `owner`'s uid (false if `owner` has none).
bool IsOwnedBy(const Json& object, const Json& owner);

// ---------------------------------------------------------------------------------------------
// Conditions (metav1.Condition in status.conditions[]).

inline constexpr std::string_view kConditionTrue = "True";
inline constexpr std::string_view kConditionFalse = "False";
inline constexpr std::string_view kConditionUnknown = "Unknown";

struct Condition {
  std::string type{};    // qualified name, CamelCase by convention ("Ready")
  std::string status{};  // kConditionTrue, kConditionFalse or kConditionUnknown
  std::string reason{};  // CamelCase, required ("BrokersStarting")
  std::string message{};
  int64_t observed_generation = 0;  // the .metadata.generation the condition was computed from
  // metav1.Time ("2026-11-29T10:00:00Z"), kept verbatim as read; SetCondition() fills it.
  std::string last_transition_time{};

  // Tolerates missing fields (left empty/0); InvalidArgument naming a field of the wrong type.
  static absl::StatusOr<Condition> FromJson(const Json& json);
  // observedGeneration is omitted when 0 (omitempty), the other fields are always present.
  Json ToJson() const;

  friend bool operator==(const Condition&, const Condition&) = default;
};

// The API's rules for metav1.Condition: type a qualified name of at most 316 characters;
// status True, False or Unknown; reason 1-1024 characters matching
// ^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$; message at most 32768 bytes; observedGeneration
// >= 0. lastTransitionTime is not checked (SetCondition() sets it). InvalidArgument naming the
// field and the value.
absl::Status ValidateCondition(const Condition& condition);

// Upserts `condition` into `conditions` (a JSON array; null or any non-array becomes an empty
// array first) by type, as apimachinery's meta.SetStatusCondition does:
//  - a new type is appended, with lastTransitionTime = condition.last_transition_time if set,
//    else `now`;
//  - for an existing type, lastTransitionTime changes (to the same choice) only when the status
//    differs; it is kept otherwise; reason, message and observedGeneration are replaced.
// Returns whether `conditions` changed, so that a caller writes status only when needed. Does not
// validate: call ValidateCondition() first.
bool SetCondition(Json& conditions, Condition condition, std::chrono::system_clock::time_point now);

// Removes the condition of this type; returns whether there was one.
bool RemoveCondition(Json& conditions, std::string_view type);

// The first condition of this type. An entry whose fields have the wrong JSON types counts as
// absent (an API server that enforces the CRD's schema never returns one).
std::optional<Condition> FindCondition(const Json& conditions, std::string_view type);

// The condition is present with status "True". (Absent means Unknown by convention.)
bool IsConditionTrue(const Json& conditions, std::string_view type);

// ---------------------------------------------------------------------------------------------
// Events (events.k8s.io/v1).

enum class EventType { kNormal, kWarning };

struct EventSpec {
  // The object the event is about: its apiVersion, kind, metadata.name, metadata.namespace,
  // metadata.uid and metadata.resourceVersion are copied into `regarding`. Needs kind and name.
  Json regarding{};
  // Optional secondary object (e.g. the Pod of the broker), copied the same way.
  std::optional<Json> related{};
  EventType type = EventType::kNormal;
  std::string reason{};  // why: "BrokerRestarted"; 1-128 bytes
  std::string action{};  // what was done or failed: "Reconcile", "ScaleDown"; 1-128 bytes
  std::string note{};    // human-readable; truncated to 1024 bytes on a UTF-8 character boundary
  std::string reporting_controller{};  // qualified name: "rocketmq.apache.org/operator"
  std::string reporting_instance{};    // 1-128 bytes: the operator's pod name
  std::chrono::system_clock::time_point event_time{};
};

// Limits the API server enforces on Events (pkg/apis/core/validation/events.go).
inline constexpr size_t kEventReasonMaxBytes = 128;
inline constexpr size_t kEventActionMaxBytes = 128;
inline constexpr size_t kEventReportingInstanceMaxBytes = 128;
inline constexpr size_t kEventNoteMaxBytes = 1024;

// The Event to POST to /apis/events.k8s.io/v1/namespaces/<namespace>/events. Named as client-go
// names it, "<regarding name>.<event_time in Unix nanoseconds, lower-case hex>", in the regarding
// object's namespace ("default" for a cluster-scoped object); eventTime is a MicroTime.
// InvalidArgument if a limit above is exceeded, a required field is empty, reporting_controller
// is not a qualified name, regarding lacks kind or name, or the name would exceed 253 characters.
absl::StatusOr<Json> MakeEvent(const EventSpec& spec);

// The merge patch (application/merge-patch+json) that records one more occurrence of `event` (an
// Event as created or last patched) at `now`: {"series":{"count":N,"lastObservedTime":...}} with
// N = series.count + 1, or 2 for an event without a series yet (client-go's rule).
Json EventSeriesUpdate(const Json& event, std::chrono::system_clock::time_point now);

// `text` cut to at most `max_bytes` bytes without splitting a UTF-8 sequence.
std::string TruncateUtf8(std::string_view text, size_t max_bytes);

}  // namespace rmq::k8s
