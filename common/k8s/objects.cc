#include "common/k8s/objects.h"

#include <algorithm>
#include <ctime>
#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/k8s/leader_election.h"

namespace rmq::k8s {
namespace {

// obj[key] if obj is an object that has it, else nullptr.
const Json* Field(const Json& obj, std::string_view key) {
  if (!obj.is_object()) return nullptr;
  auto it = obj.find(key);
  return it == obj.end() ? nullptr : &*it;
}

const Json* Metadata(const Json& object) { return Field(object, "metadata"); }

std::string StringOrEmpty(const Json* value) {
  return value != nullptr && value->is_string() ? value->get<std::string>() : std::string();
}

std::string MetaString(const Json& object, std::string_view key) {
  const Json* metadata = Metadata(object);
  return metadata == nullptr ? std::string() : StringOrEmpty(Field(*metadata, key));
}

std::optional<std::string> MetaMapValue(const Json& object, std::string_view map,
                                        std::string_view key) {
  const Json* metadata = Metadata(object);
  const Json* values = metadata == nullptr ? nullptr : Field(*metadata, map);
  const Json* value = values == nullptr ? nullptr : Field(*values, key);
  if (value == nullptr || !value->is_string()) return std::nullopt;
  return value->get<std::string>();
}

bool IsAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}
bool IsLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

// A label of a DNS-1123 subdomain, without the length limit: [a-z0-9]([-a-z0-9]*[a-z0-9])?
bool IsSubdomainLabel(std::string_view label) {
  if (label.empty() || !IsLowerAlnum(label.front()) || !IsLowerAlnum(label.back())) return false;
  return std::all_of(label.begin(), label.end(),
                     [](char c) { return IsLowerAlnum(c) || c == '-'; });
}

// For error messages: a value cut to a readable length.
std::string Shown(std::string_view value) {
  constexpr size_t kMax = 64;
  if (value.size() <= kMax) return absl::StrCat("\"", std::string(value), "\"");
  return absl::StrCat("\"", TruncateUtf8(value, kMax), "...\" (", value.size(), " bytes)");
}

// Condition.reason: ^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$
bool IsConditionReason(std::string_view reason) {
  if (reason.empty()) return false;
  const char first = reason.front();
  if (!((first >= 'a' && first <= 'z') || (first >= 'A' && first <= 'Z'))) return false;
  const char last = reason.back();
  if (!(IsAlnum(last) || last == '_')) return false;
  return std::all_of(reason.begin(), reason.end(),
                     [](char c) { return IsAlnum(c) || c == '_' || c == ',' || c == ':'; });
}

// Reads an optional string field (absent or null: untouched); InvalidArgument on another type.
absl::Status ReadString(const Json& json, const char* key, const char* what, std::string& out) {
  const Json* value = Field(json, key);
  if (value == nullptr || value->is_null()) return absl::OkStatus();
  if (!value->is_string()) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ".", key, ": expected a string, got ", value->type_name()));
  }
  out = value->get<std::string>();
  return absl::OkStatus();
}

absl::Status ReadBool(const Json& json, const char* key, const char* what, bool& out) {
  const Json* value = Field(json, key);
  if (value == nullptr || value->is_null()) return absl::OkStatus();
  if (!value->is_boolean()) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ".", key, ": expected a boolean, got ", value->type_name()));
  }
  out = value->get<bool>();
  return absl::OkStatus();
}

absl::Status ReadInt64(const Json& json, const char* key, const char* what, int64_t& out) {
  const Json* value = Field(json, key);
  if (value == nullptr || value->is_null()) return absl::OkStatus();
  if (value->is_number_unsigned() &&
      value->get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
    return absl::InvalidArgumentError(absl::StrCat(what, ".", key, ": out of range"));
  }
  if (!value->is_number_integer()) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ".", key, ": expected an integer, got ", value->type_name()));
  }
  out = value->get<int64_t>();
  return absl::OkStatus();
}

// An events.k8s.io ObjectReference to `object`.
absl::StatusOr<Json> ObjectReferenceTo(const Json& object, const char* what) {
  const std::string kind = StringOrEmpty(Field(object, "kind"));
  const std::string name = Name(object);
  if (kind.empty() || name.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("event: ", what, " needs kind and metadata.name"));
  }
  Json ref = Json::object();
  if (std::string api_version = StringOrEmpty(Field(object, "apiVersion")); !api_version.empty()) {
    ref["apiVersion"] = std::move(api_version);
  }
  ref["kind"] = kind;
  ref["name"] = name;
  if (std::string ns = Namespace(object); !ns.empty()) ref["namespace"] = std::move(ns);
  if (std::string uid = Uid(object); !uid.empty()) ref["uid"] = std::move(uid);
  if (std::string rv = ResourceVersion(object); !rv.empty()) ref["resourceVersion"] = std::move(rv);
  return ref;
}

absl::Status CheckLength(std::string_view value, const char* field, size_t max) {
  if (value.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("event: ", field, " is required"));
  }
  if (value.size() > max) {
    return absl::InvalidArgumentError(
        absl::StrCat("event: ", field, " has ", value.size(), " bytes, at most ", max, " allowed"));
  }
  return absl::OkStatus();
}

}  // namespace

std::string Rfc3339Time(std::chrono::system_clock::time_point t) {
  const auto seconds = static_cast<std::time_t>(
      std::chrono::floor<std::chrono::seconds>(t).time_since_epoch().count());
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  return absl::StrFormat("%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                         tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

bool IsDns1123Subdomain(std::string_view value) {
  constexpr size_t kMax = 253;
  if (value.empty() || value.size() > kMax) return false;
  size_t start = 0;
  while (true) {
    const size_t dot = value.find('.', start);
    if (!IsSubdomainLabel(value.substr(start, dot == std::string_view::npos ? dot : dot - start))) {
      return false;
    }
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

bool IsQualifiedName(std::string_view value) {
  constexpr size_t kMaxName = 63;
  std::string_view name = value;
  if (const size_t slash = value.find('/'); slash != std::string_view::npos) {
    if (!IsDns1123Subdomain(value.substr(0, slash))) return false;
    name = value.substr(slash + 1);
  }
  if (name.empty() || name.size() > kMaxName) return false;
  if (!IsAlnum(name.front()) || !IsAlnum(name.back())) return false;
  return std::all_of(name.begin(), name.end(),
                     [](char c) { return IsAlnum(c) || c == '-' || c == '_' || c == '.'; });
}

std::string Name(const Json& object) { return MetaString(object, "name"); }
std::string Namespace(const Json& object) { return MetaString(object, "namespace"); }
std::string Uid(const Json& object) { return MetaString(object, "uid"); }
std::string ResourceVersion(const Json& object) { return MetaString(object, "resourceVersion"); }

int64_t Generation(const Json& object) {
  const Json* metadata = Metadata(object);
  const Json* generation = metadata == nullptr ? nullptr : Field(*metadata, "generation");
  if (generation == nullptr || !generation->is_number_integer()) return 0;
  if (generation->is_number_unsigned() &&
      generation->get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
    return 0;
  }
  return generation->get<int64_t>();
}

Json CreateMergePatch(const Json& original, const Json& modified) {
  if (!original.is_object() || !modified.is_object()) return modified;
  Json patch = Json::object();
  for (const auto& [key, value] : original.items()) {
    if (!modified.contains(key)) patch[key] = nullptr;
  }
  for (const auto& [key, value] : modified.items()) {
    auto it = original.find(key);
    if (it == original.end()) {
      patch[key] = value;
    } else if (*it != value) {
      patch[key] = it->is_object() && value.is_object() ? CreateMergePatch(*it, value) : value;
    }
  }
  return patch;
}

bool IsBeingDeleted(const Json& object) { return !MetaString(object, "deletionTimestamp").empty(); }

bool HasFinalizer(const Json& object, std::string_view finalizer) {
  const Json* metadata = Metadata(object);
  const Json* finalizers = metadata == nullptr ? nullptr : Field(*metadata, "finalizers");
  if (finalizers == nullptr || !finalizers->is_array()) return false;
  return std::any_of(finalizers->begin(), finalizers->end(), [&](const Json& f) {
    return f.is_string() && f.get_ref<const std::string&>() == finalizer;
  });
}

std::optional<std::string> Label(const Json& object, std::string_view key) {
  return MetaMapValue(object, "labels", key);
}

std::optional<std::string> Annotation(const Json& object, std::string_view key) {
  return MetaMapValue(object, "annotations", key);
}

// ---------------------------------------------------------------------------------------------
// Owner references.

absl::StatusOr<OwnerReference> OwnerReference::FromJson(const Json& json) {
  constexpr const char* kWhat = "ownerReference";
  if (!json.is_object()) {
    return absl::InvalidArgumentError(
        absl::StrCat(kWhat, ": expected an object, got ", json.type_name()));
  }
  OwnerReference ref;
  const std::pair<const char*, std::string*> required[] = {{"apiVersion", &ref.api_version},
                                                           {"kind", &ref.kind},
                                                           {"name", &ref.name},
                                                           {"uid", &ref.uid}};
  for (const auto& [key, out] : required) {
    if (absl::Status s = ReadString(json, key, kWhat, *out); !s.ok()) return s;
    if (out->empty()) {
      return absl::InvalidArgumentError(absl::StrCat(kWhat, ".", key, ": required"));
    }
  }
  if (absl::Status s = ReadBool(json, "controller", kWhat, ref.controller); !s.ok()) return s;
  if (absl::Status s = ReadBool(json, "blockOwnerDeletion", kWhat, ref.block_owner_deletion);
      !s.ok()) {
    return s;
  }
  return ref;
}

Json OwnerReference::ToJson() const {
  Json json = {{"apiVersion", api_version}, {"kind", kind}, {"name", name}, {"uid", uid}};
  if (controller) json["controller"] = true;
  if (block_owner_deletion) json["blockOwnerDeletion"] = true;
  return json;
}

absl::StatusOr<OwnerReference> ControllerRef(const Json& owner) {
  OwnerReference ref{.api_version = StringOrEmpty(Field(owner, "apiVersion")),
                     .kind = StringOrEmpty(Field(owner, "kind")),
                     .name = Name(owner),
                     .uid = Uid(owner),
                     .controller = true,
                     .block_owner_deletion = true};
  const std::pair<const char*, const std::string*> required[] = {{"apiVersion", &ref.api_version},
                                                                 {"kind", &ref.kind},
                                                                 {"metadata.name", &ref.name},
                                                                 {"metadata.uid", &ref.uid}};
  for (const auto& [field, value] : required) {
    if (value->empty()) {
      return absl::InvalidArgumentError(absl::StrCat("controller reference: owner has no ", field));
    }
  }
  return ref;
}

std::optional<OwnerReference> GetControllerOf(const Json& object) {
  const Json* metadata = Metadata(object);
  const Json* refs = metadata == nullptr ? nullptr : Field(*metadata, "ownerReferences");
  if (refs == nullptr || !refs->is_array()) return std::nullopt;
  for (const Json& entry : *refs) {
    absl::StatusOr<OwnerReference> ref = OwnerReference::FromJson(entry);
    if (ref.ok() && ref->controller) return *std::move(ref);
  }
  return std::nullopt;
}

bool IsOwnedBy(const Json& object, const Json& owner) {
  const std::string uid = Uid(owner);
  if (uid.empty()) return false;
  const Json* metadata = Metadata(object);
  const Json* refs = metadata == nullptr ? nullptr : Field(*metadata, "ownerReferences");
  if (refs == nullptr || !refs->is_array()) return false;
  return std::any_of(refs->begin(), refs->end(),
                     [&](const Json& entry) { return StringOrEmpty(Field(entry, "uid")) == uid; });
}

// ---------------------------------------------------------------------------------------------
// Conditions.

absl::StatusOr<Condition> Condition::FromJson(const Json& json) {
  constexpr const char* kWhat = "condition";
  if (!json.is_object()) {
    return absl::InvalidArgumentError(
        absl::StrCat(kWhat, ": expected an object, got ", json.type_name()));
  }
  Condition c;
  const std::pair<const char*, std::string*> strings[] = {
      {"type", &c.type},
      {"status", &c.status},
      {"reason", &c.reason},
      {"message", &c.message},
      {"lastTransitionTime", &c.last_transition_time}};
  for (const auto& [key, out] : strings) {
    if (absl::Status s = ReadString(json, key, kWhat, *out); !s.ok()) return s;
  }
  if (absl::Status s = ReadInt64(json, "observedGeneration", kWhat, c.observed_generation);
      !s.ok()) {
    return s;
  }
  return c;
}

Json Condition::ToJson() const {
  Json json = {{"type", type}, {"status", status}, {"reason", reason}, {"message", message}};
  if (observed_generation != 0) json["observedGeneration"] = observed_generation;
  if (!last_transition_time.empty()) json["lastTransitionTime"] = last_transition_time;
  return json;
}

absl::Status ValidateCondition(const Condition& c) {
  constexpr size_t kMaxType = 316;
  constexpr size_t kMaxReason = 1024;
  constexpr size_t kMaxMessage = 32768;
  if (c.type.empty()) return absl::InvalidArgumentError("condition.type: required");
  if (c.type.size() > kMaxType || !IsQualifiedName(c.type)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "condition.type: ", Shown(c.type),
        " is not a qualified name (optional DNS subdomain prefix and '/', then at most 63 "
        "alphanumeric characters, '-', '_' or '.' inside)"));
  }
  if (c.status != kConditionTrue && c.status != kConditionFalse && c.status != kConditionUnknown) {
    return absl::InvalidArgumentError(absl::StrCat(
        "condition ", c.type, ": status ", Shown(c.status), " is not True, False or Unknown"));
  }
  if (c.reason.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("condition ", c.type, ": reason is required"));
  }
  if (c.reason.size() > kMaxReason || !IsConditionReason(c.reason)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "condition ", c.type, ": reason ", Shown(c.reason),
        " must be 1-1024 characters matching ^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$"));
  }
  if (c.message.size() > kMaxMessage) {
    return absl::InvalidArgumentError(absl::StrCat("condition ", c.type, ": message has ",
                                                   c.message.size(), " bytes, at most ",
                                                   kMaxMessage, " allowed"));
  }
  if (c.observed_generation < 0) {
    return absl::InvalidArgumentError(absl::StrCat("condition ", c.type, ": observedGeneration ",
                                                   c.observed_generation, " is negative"));
  }
  return absl::OkStatus();
}

bool SetCondition(Json& conditions, Condition condition,
                  std::chrono::system_clock::time_point now) {
  if (!conditions.is_array()) conditions = Json::array();
  std::string transition_time = condition.last_transition_time.empty()
                                    ? Rfc3339Time(now)
                                    : std::move(condition.last_transition_time);
  for (Json& entry : conditions) {
    if (StringOrEmpty(Field(entry, "type")) != condition.type) continue;
    const std::string old_time = StringOrEmpty(Field(entry, "lastTransitionTime"));
    const bool flipped = StringOrEmpty(Field(entry, "status")) != condition.status;
    if (flipped || old_time.empty()) {
      condition.last_transition_time = std::move(transition_time);
    } else {
      condition.last_transition_time = old_time;
    }
    Json next = condition.ToJson();
    if (next == entry) return false;
    entry = std::move(next);
    return true;
  }
  condition.last_transition_time = std::move(transition_time);
  conditions.push_back(condition.ToJson());
  return true;
}

bool RemoveCondition(Json& conditions, std::string_view type) {
  if (!conditions.is_array()) return false;
  const size_t before = conditions.size();
  Json kept = Json::array();
  for (Json& entry : conditions) {
    if (StringOrEmpty(Field(entry, "type")) != type) kept.push_back(std::move(entry));
  }
  conditions = std::move(kept);
  return conditions.size() != before;
}

std::optional<Condition> FindCondition(const Json& conditions, std::string_view type) {
  if (!conditions.is_array()) return std::nullopt;
  for (const Json& entry : conditions) {
    if (StringOrEmpty(Field(entry, "type")) != type) continue;
    absl::StatusOr<Condition> condition = Condition::FromJson(entry);
    if (condition.ok()) return *std::move(condition);
  }
  return std::nullopt;
}

bool IsConditionTrue(const Json& conditions, std::string_view type) {
  std::optional<Condition> condition = FindCondition(conditions, type);
  return condition.has_value() && condition->status == kConditionTrue;
}

// ---------------------------------------------------------------------------------------------
// Events.

absl::StatusOr<Json> MakeEvent(const EventSpec& spec) {
  constexpr size_t kMaxName = 253;
  if (absl::Status s = CheckLength(spec.reason, "reason", kEventReasonMaxBytes); !s.ok()) return s;
  if (absl::Status s = CheckLength(spec.action, "action", kEventActionMaxBytes); !s.ok()) return s;
  if (absl::Status s = CheckLength(spec.reporting_instance, "reportingInstance",
                                   kEventReportingInstanceMaxBytes);
      !s.ok()) {
    return s;
  }
  if (spec.reporting_controller.empty()) {
    return absl::InvalidArgumentError("event: reportingController is required");
  }
  if (!IsQualifiedName(spec.reporting_controller)) {
    return absl::InvalidArgumentError(absl::StrCat("event: reportingController ",
                                                   Shown(spec.reporting_controller),
                                                   " is not a qualified name"));
  }
  absl::StatusOr<Json> regarding = ObjectReferenceTo(spec.regarding, "regarding");
  if (!regarding.ok()) return regarding.status();
  std::optional<Json> related;
  if (spec.related.has_value()) {
    absl::StatusOr<Json> ref = ObjectReferenceTo(*spec.related, "related");
    if (!ref.ok()) return ref.status();
    related = *std::move(ref);
  }
  const auto nanos =
      std::chrono::duration_cast<std::chrono::nanoseconds>(spec.event_time.time_since_epoch())
          .count();
  std::string name = absl::StrFormat("%s.%x", Name(spec.regarding), static_cast<uint64_t>(nanos));
  if (name.size() > kMaxName) {
    return absl::InvalidArgumentError(
        absl::StrCat("event: name ", Shown(name), " exceeds ", kMaxName, " characters"));
  }
  std::string ns = Namespace(spec.regarding);
  if (ns.empty()) ns = "default";  // cluster-scoped: the API accepts "default" (or kube-system)
  Json event = {
      {"apiVersion", "events.k8s.io/v1"},
      {"kind", "Event"},
      {"metadata", {{"name", std::move(name)}, {"namespace", std::move(ns)}}},
      {"eventTime", MicroTime(spec.event_time)},
      {"type", spec.type == EventType::kWarning ? "Warning" : "Normal"},
      {"reason", spec.reason},
      {"action", spec.action},
      {"reportingController", spec.reporting_controller},
      {"reportingInstance", spec.reporting_instance},
      {"regarding", *std::move(regarding)},
  };
  if (related.has_value()) event["related"] = *std::move(related);
  if (!spec.note.empty()) event["note"] = TruncateUtf8(spec.note, kEventNoteMaxBytes);
  return event;
}

Json EventSeriesUpdate(const Json& event, std::chrono::system_clock::time_point now) {
  // series.count is an int32 in the API; a count stuck at its maximum stays there.
  constexpr int64_t kMaxCount = std::numeric_limits<int32_t>::max();
  int64_t count = 1;
  const Json* series = Field(event, "series");
  const Json* seen = series == nullptr ? nullptr : Field(*series, "count");
  if (seen != nullptr && seen->is_number_unsigned()) {
    count = seen->get<uint64_t>() >= static_cast<uint64_t>(kMaxCount)
                ? kMaxCount
                : static_cast<int64_t>(seen->get<uint64_t>());
  } else if (seen != nullptr && seen->is_number_integer()) {
    count = seen->get<int64_t>();
  }
  const int64_t next = std::clamp<int64_t>(count, 1, kMaxCount - 1) + 1;
  return {{"series", {{"count", next}, {"lastObservedTime", MicroTime(now)}}}};
}

std::string TruncateUtf8(std::string_view text, size_t max_bytes) {
  if (text.size() <= max_bytes) return std::string(text);
  size_t end = max_bytes;
  // Back up over continuation bytes (10xxxxxx) to the start of the character at the cut.
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return std::string(text.substr(0, end));
}

}  // namespace rmq::k8s
