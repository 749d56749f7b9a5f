#include "nodeagent/plan/pod_plan.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <map>
#include <set>
#include <utility>

#include "absl/strings/cord.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/base/check.h"
#include "common/base/status_macros.h"
#include "nodeagent/plan/json_read.h"
#include "nodeagent/plan/quantity.h"

namespace rmq::nodeagent {
namespace {

using json::Array;
using json::Bool;
using json::Field;
using json::Int;
using json::Str;
using json::Strings;

constexpr char kReasonPayloadUrl[] = "type.rmq.apache.org/nodeagent.WaitingReason";
constexpr uint32_t kDefaultFileMode = 0644;
constexpr int64_t kDefaultGracePeriodSeconds = 30;
constexpr int64_t kDefaultTokenExpirationSeconds = 3600;
constexpr size_t kMaxHostnameLength = 63;
// What containerd puts first in every container's env (oci.WithDefaultPathEnv).
constexpr char kDefaultPath[] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

std::string Quoted(std::string_view s) { return absl::StrCat("\"", std::string(s), "\""); }

absl::Status WithReason(absl::Status status, std::string_view reason) {
  status.SetPayload(kReasonPayloadUrl, absl::Cord(std::string(reason)));
  return status;
}

// `status` with `prefix: ` before its message; the code and the reason payload are kept.
absl::Status Prefixed(const absl::Status& status, std::string_view prefix) {
  absl::Status out(status.code(), absl::StrCat(std::string(prefix), ": ", status.message()));
  if (auto reason = status.GetPayload(kReasonPayloadUrl)) {
    out.SetPayload(kReasonPayloadUrl, *std::move(reason));
  }
  return out;
}

// A DNS-1123 label: [a-z0-9]([-a-z0-9]*[a-z0-9])?, at most 63 characters.
bool IsDns1123Label(std::string_view s) {
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (s.empty() || s.size() > kMaxHostnameLength || !alnum(s.front()) || !alnum(s.back())) {
    return false;
  }
  return std::all_of(s.begin(), s.end(), [&](char c) { return alnum(c) || c == '-'; });
}

// A relative path that stays below its base: not absolute, no ".." component (Kubernetes'
// validateLocalDescendingPath). Empty is allowed only when `allow_empty`.
absl::Status CheckDescendingPath(std::string_view path, std::string_view what,
                                 bool allow_empty = false) {
  if (path.empty()) {
    if (allow_empty) return absl::OkStatus();
    return absl::InvalidArgumentError(absl::StrCat(std::string(what), ": must not be empty"));
  }
  if (path.front() == '/') {
    return absl::InvalidArgumentError(
        absl::StrCat(std::string(what), ": must be a relative path, got ", Quoted(path)));
  }
  size_t start = 0;
  while (start <= path.size()) {
    const size_t slash = path.find('/', start);
    const std::string_view part = path.substr(
        start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    if (part == "..") {
      return absl::InvalidArgumentError(
          absl::StrCat(std::string(what), ": must not contain '..', got ", Quoted(path)));
    }
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return absl::OkStatus();
}

// Go's strconv.Quote for the ASCII range; other bytes are copied.
std::string GoQuote(std::string_view s) {
  std::string out = "\"";
  for (const char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\a':
        out += "\\a";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\v':
        out += "\\v";
        break;
      default:
        if ((c >= 0 && c < ' ') || c == 0x7f) {
          std::array<char, 5> hex{};
          std::snprintf(hex.data(), hex.size(), "\\x%02x", static_cast<unsigned char>(c));
          out += hex.data();
        } else {
          out += c;
        }
    }
  }
  out += "\"";
  return out;
}

// A label or annotation map as the downward API formats it: k="v" lines, sorted by key.
std::string FormatMap(const Json* map) {
  std::vector<std::string> lines;
  if (map != nullptr && map->is_object()) {
    for (const auto& [key, value] : map->items()) {  // nlohmann objects are sorted by key
      lines.push_back(
          absl::StrCat(key, "=", GoQuote(value.is_string() ? value.get<std::string>() : "")));
    }
  }
  return absl::StrJoin(lines, "\n");
}

// "metadata.labels['app']" -> ("labels", "app"); nullopt for another shape.
std::optional<std::pair<std::string, std::string>> SubscriptedField(std::string_view path) {
  for (const char* map : {"labels", "annotations"}) {
    const std::string prefix = absl::StrCat("metadata.", map, "['");
    if (path.size() > prefix.size() + 2 && path.substr(0, prefix.size()) == prefix &&
        path.substr(path.size() - 2) == "']") {
      return std::make_pair(std::string(map), std::string(path.substr(
                                                  prefix.size(), path.size() - prefix.size() - 2)));
    }
  }
  return std::nullopt;
}

absl::StatusOr<Quantity> QuantityValue(const Json* value) {
  if (value == nullptr) return Quantity{};
  if (value->is_string()) return ParseQuantity(value->get<std::string>());
  if (value->is_number_integer()) return ParseQuantity(std::to_string(value->get<int64_t>()));
  return absl::InvalidArgumentError("a resource quantity must be a string");
}

uint32_t FileMode(const Json& obj, std::string_view key, uint32_t fallback) {
  const std::optional<int64_t> mode = Int(obj, key);
  if (!mode.has_value() || *mode < 0 || *mode > 0777) return fallback;
  return static_cast<uint32_t>(*mode);
}

// Resolves a probe's port (int or IntOrString name) as the kubelet's ResolveContainerPort does.
void ResolvePort(const Json& action, const Json& container, Handler& handler) {
  const Json* port = Field(action, "port");
  int64_t number = -1;
  if (port != nullptr && port->is_number_integer()) {
    number = port->get<int64_t>();
  } else if (port != nullptr && port->is_string()) {
    const std::string name = port->get<std::string>();
    for (const Json& p : Array(container, "ports")) {
      if (Str(p, "name") == name) {
        number = Int(p, "containerPort").value_or(-1);
        break;
      }
    }
    if (number < 0 && !name.empty() &&
        std::all_of(name.begin(), name.end(), [](char c) { return c >= '0' && c <= '9'; }) &&
        name.size() < 6) {
      number = std::stoll(name);  // "Last ditch effort - maybe it was an int stored as string?"
    }
    if (number < 0) {
      handler.port_error = absl::StrCat("couldn't find port: ", name, " in container ",
                                        Quoted(Str(container, "name")));
      return;
    }
  }
  if (number <= 0 || number >= 65536) {
    handler.port_error = absl::StrCat("invalid port number: ", number);
    return;
  }
  handler.port = static_cast<int32_t>(number);
}

// A probe handler or lifecycle handler; nullopt when the JSON names no action.
// `static_env` expands $(VAR) in exec commands (probes only).
std::optional<Handler> ParseHandler(const Json& json, const Json& container, const PlanContext& ctx,
                                    const EnvList* static_env) {
  Handler h;
  if (const Json* exec = Field(json, "exec")) {
    h.kind = Handler::Kind::kExec;
    h.command = Strings(*exec, "command");
    if (static_env != nullptr) {
      for (std::string& arg : h.command) arg = ExpandReferences(arg, EnvListMapping(*static_env));
    }
    return h;
  }
  if (const Json* http = Field(json, "httpGet")) {
    h.kind = Handler::Kind::kHttpGet;
    h.scheme = Str(*http, "scheme").empty() ? "HTTP" : Str(*http, "scheme");
    h.host = Str(*http, "host").empty() ? ctx.pod_ip : Str(*http, "host");
    h.path = Str(*http, "path").empty() ? "/" : Str(*http, "path");
    for (const Json& header : Array(*http, "httpHeaders")) {
      h.headers.push_back(HttpHeader{.name = Str(header, "name"), .value = Str(header, "value")});
    }
    ResolvePort(*http, container, h);
    return h;
  }
  if (const Json* tcp = Field(json, "tcpSocket")) {
    h.kind = Handler::Kind::kTcpSocket;
    h.host = Str(*tcp, "host").empty() ? ctx.pod_ip : Str(*tcp, "host");
    ResolvePort(*tcp, container, h);
    return h;
  }
  if (const Json* grpc = Field(json, "grpc")) {
    h.kind = Handler::Kind::kGrpc;
    h.host = ctx.pod_ip;
    h.grpc_service = Str(*grpc, "service");
    ResolvePort(*grpc, container, h);
    return h;
  }
  if (const Json* sleep = Field(json, "sleep")) {
    h.kind = Handler::Kind::kSleep;
    h.sleep_seconds = Int(*sleep, "seconds").value_or(0);
    return h;
  }
  return std::nullopt;
}

std::optional<Probe> ParseProbe(const Json& container, std::string_view key, const PlanContext& ctx,
                                const EnvList& static_env) {
  const Json* json = Field(container, key);
  if (json == nullptr) return std::nullopt;
  std::optional<Handler> handler = ParseHandler(*json, container, ctx, &static_env);
  if (!handler.has_value()) return std::nullopt;
  // Zero or absent means the API's default (the API server stores the defaults anyway).
  auto positive = [&](std::string_view field, int32_t fallback) {
    const int64_t v = Int(*json, field).value_or(0);
    return v > 0 ? static_cast<int32_t>(v) : fallback;
  };
  Probe probe;
  probe.handler = *std::move(handler);
  probe.initial_delay_seconds =
      static_cast<int32_t>(std::max<int64_t>(0, Int(*json, "initialDelaySeconds").value_or(0)));
  probe.period_seconds = positive("periodSeconds", probe.period_seconds);
  probe.timeout_seconds = positive("timeoutSeconds", probe.timeout_seconds);
  probe.success_threshold = positive("successThreshold", probe.success_threshold);
  probe.failure_threshold = positive("failureThreshold", probe.failure_threshold);
  probe.termination_grace_period_seconds = Int(*json, "terminationGracePeriodSeconds");
  return probe;
}

// ---------------------------------------------------------------------------------------------
// The builder: one pod, one context; caches the objects it looked up so that every container
// sees the same version of a ConfigMap or Secret.

class Builder {
 public:
  Builder(const Json& pod, const PlanContext& ctx) : pod_(pod), ctx_(ctx) {}

  absl::StatusOr<PodPlan> Build();

 private:
  // The object, nullptr when it does not exist; other lookup errors are returned.
  absl::StatusOr<const Json*> Get(std::string_view kind, std::string_view name);

  // The value of `key` in a ConfigMap (data, then binaryData decoded) or a Secret (data decoded);
  // nullopt when absent.
  static absl::StatusOr<std::optional<std::string>> Value(std::string_view kind, const Json& object,
                                                          std::string_view key);
  // All keys and values of a ConfigMap or Secret, decoded.
  static absl::StatusOr<std::map<std::string, std::string>> AllValues(std::string_view kind,
                                                                      const Json& object);

  absl::StatusOr<VolumePlan> BuildVolume(const Json& volume);
  // Adds the files of a configMap/secret source (volume or projection) to `files`.
  absl::Status KeyFiles(std::string_view kind, const Json& source, uint32_t default_mode,
                        std::map<std::string, VolumeFile>& files);
  absl::Status DownwardFiles(const Json& source, uint32_t default_mode,
                             std::map<std::string, VolumeFile>& files);
  absl::Status ProjectedFiles(const Json& source, uint32_t default_mode,
                              std::map<std::string, VolumeFile>& files);
  std::string VolumeDir(std::string_view plugin, std::string_view name) const;

  absl::StatusOr<ContainerPlan> BuildContainer(const Json& container, bool init,
                                               const std::vector<VolumePlan>& volumes);
  // The env the kubelet computes (envFrom, env, service env), without the image's.
  absl::StatusOr<EnvList> KubeletEnv(const Json& container);
  absl::StatusOr<std::string> EnvValueFrom(const Json& container, const Json& value_from);
  absl::StatusOr<std::vector<VolumeMount>> BuildMounts(const Json& container, const EnvList& env,
                                                       const std::vector<VolumePlan>& volumes);

  const Json& pod_;
  const PlanContext& ctx_;
  std::string namespace_;
  std::string uts_hostname_;
  std::map<std::string, absl::StatusOr<Json>> cache_;
};

absl::StatusOr<const Json*> Builder::Get(std::string_view kind, std::string_view name) {
  const std::string key = absl::StrCat(std::string(kind), "/", std::string(name));
  auto it = cache_.find(key);
  if (it == cache_.end()) {
    absl::StatusOr<Json> found =
        ctx_.lookup ? ctx_.lookup(kind, namespace_, name)
                    : absl::StatusOr<Json>(absl::NotFoundError("no object lookup configured"));
    it = cache_.emplace(key, std::move(found)).first;
  }
  if (it->second.ok()) return &*it->second;
  if (absl::IsNotFound(it->second.status())) return nullptr;
  return it->second.status();
}

absl::StatusOr<std::optional<std::string>> Builder::Value(std::string_view kind, const Json& object,
                                                          std::string_view key) {
  const bool secret = kind == "Secret";
  if (const Json* data = Field(object, "data")) {
    if (const Json* v = Field(*data, key); v != nullptr && v->is_string()) {
      if (!secret) return std::optional<std::string>(v->get<std::string>());
      std::string decoded;
      if (!absl::Base64Unescape(v->get<std::string>(), &decoded)) {
        return absl::InvalidArgumentError(
            absl::StrCat("secret key ", std::string(key), " is not valid base64"));
      }
      return std::optional<std::string>(std::move(decoded));
    }
  }
  if (!secret) {
    if (const Json* binary = Field(object, "binaryData")) {
      if (const Json* v = Field(*binary, key); v != nullptr && v->is_string()) {
        std::string decoded;
        if (!absl::Base64Unescape(v->get<std::string>(), &decoded)) {
          return absl::InvalidArgumentError(
              absl::StrCat("configmap binaryData key ", std::string(key), " is not valid base64"));
        }
        return std::optional<std::string>(std::move(decoded));
      }
    }
  }
  return std::optional<std::string>();
}

absl::StatusOr<std::map<std::string, std::string>> Builder::AllValues(std::string_view kind,
                                                                      const Json& object) {
  std::map<std::string, std::string> out;
  std::set<std::string> keys;
  for (const char* field : {"data", "binaryData"}) {
    if (const Json* map = Field(object, field); map != nullptr && map->is_object()) {
      for (const auto& item : map->items()) keys.insert(item.key());
    }
  }
  for (const std::string& key : keys) {
    RMQ_ASSIGN_OR_RETURN(std::optional<std::string> value, Value(kind, object, key));
    if (value.has_value()) out.emplace(key, *std::move(value));
  }
  return out;
}

std::string Builder::VolumeDir(std::string_view plugin, std::string_view name) const {
  return absl::StrCat(ctx_.pod_dir, "/volumes/kubernetes.io~", std::string(plugin), "/",
                      std::string(name));
}

// A ConfigMap's or Secret's name in messages, as the kubelet spells it: configmap "conf".
std::string ObjectInMessage(std::string_view kind, std::string_view name) {
  return absl::StrCat(kind == "Secret" ? "secret " : "configmap ", Quoted(name));
}

absl::Status Builder::KeyFiles(std::string_view kind, const Json& source, uint32_t default_mode,
                               std::map<std::string, VolumeFile>& files) {
  const bool secret = kind == "Secret";
  const std::string name = Str(source, secret ? "secretName" : "name");
  // A projected secret names its Secret with `name`.
  const std::string object_name = name.empty() && secret ? Str(source, "name") : name;
  const bool optional = Bool(source, "optional");
  RMQ_ASSIGN_OR_RETURN(const Json* object, Get(kind, object_name));
  if (object == nullptr) {
    if (optional) return absl::OkStatus();
    return absl::NotFoundError(absl::StrCat(ObjectInMessage(kind, object_name), " not found"));
  }
  const Json& items = Array(source, "items");
  if (items.empty()) {
    RMQ_ASSIGN_OR_RETURN(auto values, AllValues(kind, *object));
    for (auto& [key, value] : values) {
      RMQ_RETURN_IF_ERROR(CheckDescendingPath(key, absl::StrCat("key ", key)));
      files[key] = VolumeFile{.path = key, .content = std::move(value), .mode = default_mode};
    }
    return absl::OkStatus();
  }
  for (const Json& item : items) {
    const std::string key = Str(item, "key");
    const std::string path = Str(item, "path");
    RMQ_RETURN_IF_ERROR(CheckDescendingPath(path, absl::StrCat("items[", key, "].path")));
    RMQ_ASSIGN_OR_RETURN(std::optional<std::string> value, Value(kind, *object, key));
    if (!value.has_value()) {
      if (optional) continue;
      return absl::NotFoundError(absl::StrCat(secret ? "secret" : "configmap",
                                              " references non-existent ",
                                              secret ? "secret" : "config", " key: ", key));
    }
    files[path] = VolumeFile{
        .path = path, .content = *std::move(value), .mode = FileMode(item, "mode", default_mode)};
  }
  return absl::OkStatus();
}

absl::Status Builder::DownwardFiles(const Json& source, uint32_t default_mode,
                                    std::map<std::string, VolumeFile>& files) {
  for (const Json& item : Array(source, "items")) {
    const std::string path = Str(item, "path");
    RMQ_RETURN_IF_ERROR(CheckDescendingPath(path, "items.path"));
    std::string content;
    if (const Json* field_ref = Field(item, "fieldRef")) {
      RMQ_ASSIGN_OR_RETURN(content, PodFieldValue(pod_, Str(*field_ref, "fieldPath"), ctx_));
    } else if (const Json* resource_ref = Field(item, "resourceFieldRef")) {
      const std::string container_name = Str(*resource_ref, "containerName");
      const Json* container = nullptr;
      for (const char* list : {"containers", "initContainers"}) {
        for (const Json& c : Array(*Field(pod_, "spec"), list)) {
          if (Str(c, "name") == container_name && container == nullptr) container = &c;
        }
      }
      if (container == nullptr) {
        return absl::InvalidArgumentError(absl::StrCat(
            "items[", path, "].resourceFieldRef: no container named ", Quoted(container_name)));
      }
      RMQ_ASSIGN_OR_RETURN(content,
                           ContainerResourceValue(*container, Str(*resource_ref, "resource"),
                                                  Str(*resource_ref, "divisor"), ctx_));
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("items[", path, "]: needs fieldRef or resourceFieldRef"));
    }
    files[path] = VolumeFile{
        .path = path, .content = std::move(content), .mode = FileMode(item, "mode", default_mode)};
  }
  return absl::OkStatus();
}

absl::Status Builder::ProjectedFiles(const Json& source, uint32_t default_mode,
                                     std::map<std::string, VolumeFile>& files) {
  for (const Json& projection : Array(source, "sources")) {
    if (const Json* cm = Field(projection, "configMap")) {
      RMQ_RETURN_IF_ERROR(KeyFiles("ConfigMap", *cm, default_mode, files));
    } else if (const Json* secret = Field(projection, "secret")) {
      RMQ_RETURN_IF_ERROR(KeyFiles("Secret", *secret, default_mode, files));
    } else if (const Json* downward = Field(projection, "downwardAPI")) {
      RMQ_RETURN_IF_ERROR(DownwardFiles(*downward, default_mode, files));
    } else if (const Json* token = Field(projection, "serviceAccountToken")) {
      const std::string path = Str(*token, "path");
      RMQ_RETURN_IF_ERROR(CheckDescendingPath(path, "serviceAccountToken.path"));
      std::string account = Str(*Field(pod_, "spec"), "serviceAccountName");
      if (account.empty()) account = "default";
      files[path] = VolumeFile{
          .path = path,
          .mode = default_mode,
          .token = TokenRequest{
              .service_account = std::move(account),
              .audience = Str(*token, "audience"),
              .expiration_seconds =
                  Int(*token, "expirationSeconds").value_or(kDefaultTokenExpirationSeconds)}};
    } else {
      return absl::UnimplementedError(
          absl::StrCat("unsupported projection (supported: configMap, secret, downwardAPI, "
                       "serviceAccountToken): ",
                       projection.dump()));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<VolumePlan> Builder::BuildVolume(const Json& volume) {
  VolumePlan plan;
  plan.name = Str(volume, "name");
  std::map<std::string, VolumeFile> files;
  if (const Json* empty_dir = Field(volume, "emptyDir")) {
    plan.kind = VolumeKind::kEmptyDir;
    plan.host_path = VolumeDir("empty-dir", plan.name);
    plan.memory_medium = Str(*empty_dir, "medium") == "Memory";
  } else if (const Json* host_path = Field(volume, "hostPath")) {
    plan.kind = VolumeKind::kHostPath;
    plan.host_path = Str(*host_path, "path");
    plan.host_path_type = Str(*host_path, "type");
    if (plan.host_path.empty() || plan.host_path.front() != '/') {
      return absl::InvalidArgumentError(
          absl::StrCat("hostPath.path must be absolute, got ", Quoted(plan.host_path)));
    }
  } else if (const Json* cm = Field(volume, "configMap")) {
    plan.kind = VolumeKind::kConfigMap;
    plan.host_path = VolumeDir("configmap", plan.name);
    plan.read_only = true;
    RMQ_RETURN_IF_ERROR(
        KeyFiles("ConfigMap", *cm, FileMode(*cm, "defaultMode", kDefaultFileMode), files));
  } else if (const Json* secret = Field(volume, "secret")) {
    plan.kind = VolumeKind::kSecret;
    plan.host_path = VolumeDir("secret", plan.name);
    plan.read_only = true;
    RMQ_RETURN_IF_ERROR(
        KeyFiles("Secret", *secret, FileMode(*secret, "defaultMode", kDefaultFileMode), files));
  } else if (const Json* downward = Field(volume, "downwardAPI")) {
    plan.kind = VolumeKind::kDownwardApi;
    plan.host_path = VolumeDir("downward-api", plan.name);
    plan.read_only = true;
    RMQ_RETURN_IF_ERROR(
        DownwardFiles(*downward, FileMode(*downward, "defaultMode", kDefaultFileMode), files));
  } else if (const Json* projected = Field(volume, "projected")) {
    plan.kind = VolumeKind::kProjected;
    plan.host_path = VolumeDir("projected", plan.name);
    plan.read_only = true;
    RMQ_RETURN_IF_ERROR(
        ProjectedFiles(*projected, FileMode(*projected, "defaultMode", kDefaultFileMode), files));
  } else if (Field(volume, "persistentVolumeClaim") != nullptr ||
             Field(volume, "ephemeral") != nullptr) {
    plan.kind = VolumeKind::kPersistentVolumeClaim;
    if (const Json* pvc = Field(volume, "persistentVolumeClaim")) {
      plan.claim_name = Str(*pvc, "claimName");
      plan.read_only = Bool(*pvc, "readOnly");
    } else {  // generic ephemeral volume: the ephemeral-volume controller's claim name
      plan.claim_name = absl::StrCat(Str(*Field(pod_, "metadata"), "name"), "-", plan.name);
    }
    if (ctx_.pv_root.empty() || ctx_.pv_root.front() != '/') {
      return absl::FailedPreconditionError("PlanContext.pv_root must be an absolute directory");
    }
    RMQ_ASSIGN_OR_RETURN(const Json* claim, Get("PersistentVolumeClaim", plan.claim_name));
    if (claim == nullptr) {
      return absl::NotFoundError(
          absl::StrCat("persistentvolumeclaim ", Quoted(plan.claim_name), " not found"));
    }
    if (Field(*claim, "metadata") != nullptr &&
        Field(*Field(*claim, "metadata"), "deletionTimestamp") != nullptr) {
      return absl::FailedPreconditionError(
          absl::StrCat("persistentvolumeclaim ", Quoted(plan.claim_name), " is being deleted"));
    }
    plan.host_path = absl::StrCat(ctx_.pv_root, "/", namespace_, "/", plan.claim_name);
  } else {
    return absl::UnimplementedError(
        "unsupported volume type (supported: emptyDir, hostPath, configMap, secret, "
        "downwardAPI, projected, persistentVolumeClaim, ephemeral)");
  }
  for (auto& [path, file] : files) plan.files.push_back(std::move(file));
  return plan;
}

absl::StatusOr<std::string> Builder::EnvValueFrom(const Json& container, const Json& value_from) {
  if (const Json* field_ref = Field(value_from, "fieldRef")) {
    return PodFieldValue(pod_, Str(*field_ref, "fieldPath"), ctx_);
  }
  if (const Json* resource_ref = Field(value_from, "resourceFieldRef")) {
    const std::string name = Str(*resource_ref, "containerName");
    const Json* target = &container;
    if (!name.empty() && name != Str(container, "name")) {
      target = nullptr;
      for (const char* list : {"containers", "initContainers"}) {
        for (const Json& c : Array(*Field(pod_, "spec"), list)) {
          if (Str(c, "name") == name && target == nullptr) target = &c;
        }
      }
      if (target == nullptr) {
        return absl::InvalidArgumentError(
            absl::StrCat("resourceFieldRef: no container named ", Quoted(name)));
      }
    }
    return ContainerResourceValue(*target, Str(*resource_ref, "resource"),
                                  Str(*resource_ref, "divisor"), ctx_);
  }
  return absl::InvalidArgumentError("valueFrom names no source");
}

absl::StatusOr<EnvList> Builder::KubeletEnv(const Json& container) {
  EnvList env;
  for (const Json& from : Array(container, "envFrom")) {
    const std::string prefix = Str(from, "prefix");
    const bool is_secret = Field(from, "secretRef") != nullptr;
    const Json* ref = is_secret ? Field(from, "secretRef") : Field(from, "configMapRef");
    if (ref == nullptr) continue;
    const std::string kind = is_secret ? "Secret" : "ConfigMap";
    const std::string name = Str(*ref, "name");
    RMQ_ASSIGN_OR_RETURN(const Json* object, Get(kind, name));
    if (object == nullptr) {
      if (Bool(*ref, "optional")) continue;
      return absl::NotFoundError(absl::StrCat(ObjectInMessage(kind, name), " not found"));
    }
    // Only `data`: the kubelet does not read a ConfigMap's binaryData into env.
    Json data_only = Json::object();
    if (const Json* data = Field(*object, "data")) data_only["data"] = *data;
    RMQ_ASSIGN_OR_RETURN(auto values, AllValues(kind, data_only));
    for (auto& [key, value] : values) {
      const std::string var = absl::StrCat(prefix, key);
      if (IsEnvVarName(var)) SetEnv(env, var, std::move(value));
    }
  }
  // $(VAR) in `value` sees what is defined so far, then the service env.
  const EnvMapping mapping = [&](std::string_view name) -> std::optional<std::string> {
    if (std::optional<std::string> v = FindEnv(env, name)) return v;
    return FindEnv(ctx_.service_env, name);
  };
  for (const Json& var : Array(container, "env")) {
    const std::string name = Str(var, "name");
    const std::string value = Str(var, "value");
    const Json* value_from = Field(var, "valueFrom");
    if (!value.empty() || value_from == nullptr) {
      SetEnv(env, name, ExpandReferences(value, mapping));
      continue;
    }
    const bool is_secret = Field(*value_from, "secretKeyRef") != nullptr;
    const Json* key_ref =
        is_secret ? Field(*value_from, "secretKeyRef") : Field(*value_from, "configMapKeyRef");
    if (key_ref == nullptr) {
      absl::StatusOr<std::string> resolved = EnvValueFrom(container, *value_from);
      if (!resolved.ok()) return Prefixed(resolved.status(), absl::StrCat("env ", name));
      SetEnv(env, name, *std::move(resolved));
      continue;
    }
    const std::string kind = is_secret ? "Secret" : "ConfigMap";
    const std::string object_name = Str(*key_ref, "name");
    const std::string key = Str(*key_ref, "key");
    const bool optional = Bool(*key_ref, "optional");
    RMQ_ASSIGN_OR_RETURN(const Json* object, Get(kind, object_name));
    if (object == nullptr) {
      if (optional) continue;
      return absl::NotFoundError(absl::StrCat(ObjectInMessage(kind, object_name), " not found"));
    }
    Json data_only = Json::object();
    if (const Json* data = Field(*object, "data")) data_only["data"] = *data;
    RMQ_ASSIGN_OR_RETURN(std::optional<std::string> found, Value(kind, data_only, key));
    if (!found.has_value()) {
      if (optional) continue;
      return absl::NotFoundError(
          absl::StrCat("couldn't find key ", key, " in ", kind, " ", namespace_, "/", object_name));
    }
    SetEnv(env, name, *std::move(found));
  }
  for (const EnvVar& var : ctx_.service_env) {
    if (!FindEnv(env, var.name).has_value()) env.push_back(var);
  }
  return env;
}

absl::StatusOr<std::vector<VolumeMount>> Builder::BuildMounts(
    const Json& container, const EnvList& env, const std::vector<VolumePlan>& volumes) {
  std::vector<VolumeMount> mounts;
  for (const Json& vm : Array(container, "volumeMounts")) {
    VolumeMount mount;
    mount.volume = Str(vm, "name");
    mount.container_path = Str(vm, "mountPath");
    const std::string where = absl::StrCat("volumeMount ", Quoted(mount.volume));
    if (mount.container_path.empty() || mount.container_path.front() != '/') {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": mountPath must be absolute, got ", Quoted(mount.container_path)));
    }
    auto volume = std::find_if(volumes.begin(), volumes.end(),
                               [&](const VolumePlan& v) { return v.name == mount.volume; });
    if (volume == volumes.end()) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": the pod has no such volume"));
    }
    mount.sub_path = Str(vm, "subPath");
    if (const std::string expr = Str(vm, "subPathExpr"); !expr.empty()) {
      // The kubelet's ExpandContainerVolumeMounts: every referenced variable must be set and
      // non-empty.
      std::set<std::string> missing;
      mount.sub_path =
          ExpandReferences(expr, [&](std::string_view name) -> std::optional<std::string> {
            std::optional<std::string> v = FindEnv(env, name);
            if (!v.has_value() || v->empty()) missing.insert(std::string(name));
            return v.value_or("");
          });
      if (!missing.empty()) {
        return absl::InvalidArgumentError(
            absl::StrCat(where, ": subPathExpr: missing value for ", absl::StrJoin(missing, ", ")));
      }
    }
    RMQ_RETURN_IF_ERROR(CheckDescendingPath(mount.sub_path, absl::StrCat(where, ": subPath"),
                                            /*allow_empty=*/true));
    mount.host_path = mount.sub_path.empty() ? volume->host_path
                                             : absl::StrCat(volume->host_path, "/", mount.sub_path);
    mount.read_only = Bool(vm, "readOnly") || volume->read_only;
    mounts.push_back(std::move(mount));
  }
  return mounts;
}

absl::StatusOr<ContainerPlan> Builder::BuildContainer(const Json& container, bool init,
                                                      const std::vector<VolumePlan>& volumes) {
  ContainerPlan plan;
  plan.name = Str(container, "name");
  plan.image = Str(container, "image");
  absl::StatusOr<ImageReference> reference = ParseImageReference(plan.image);
  if (!reference.ok()) return WithReason(reference.status(), kReasonInvalidImageName);
  const ImageEntry* image = ctx_.images->Find(plan.image);
  if (image == nullptr) {
    return WithReason(
        absl::NotFoundError(absl::StrCat("image ", Quoted(plan.image), " is not in the image map")),
        kReasonErrImagePull);
  }
  plan.image_root = image->root;

  RMQ_ASSIGN_OR_RETURN(EnvList kubelet_env, KubeletEnv(container));

  // argv, as Kubernetes combines the pod's command/args with the image's entrypoint/cmd.
  const EnvMapping mapping = EnvListMapping(kubelet_env);
  std::vector<std::string> command = Strings(container, "command");
  std::vector<std::string> args = Strings(container, "args");
  for (std::string& s : command) s = ExpandReferences(s, mapping);
  for (std::string& s : args) s = ExpandReferences(s, mapping);
  if (command.empty()) {
    plan.argv = image->entrypoint;
    const std::vector<std::string>& rest = args.empty() ? image->cmd : args;
    plan.argv.insert(plan.argv.end(), rest.begin(), rest.end());
  } else {
    plan.argv = std::move(command);
    plan.argv.insert(plan.argv.end(), args.begin(), args.end());
  }
  if (plan.argv.empty()) {
    return WithReason(absl::InvalidArgumentError("no command specified"),
                      kReasonCreateContainerError);
  }

  // The runtime's env: PATH and HOSTNAME, the image's, then the kubelet's.
  SetEnv(plan.env, "PATH", kDefaultPath);
  SetEnv(plan.env, "HOSTNAME", uts_hostname_);
  for (const EnvVar& var : image->env) SetEnv(plan.env, var.name, var.value);
  for (const EnvVar& var : kubelet_env) SetEnv(plan.env, var.name, var.value);

  plan.working_dir = Str(container, "workingDir");
  if (plan.working_dir.empty()) plan.working_dir = image->working_dir;
  if (plan.working_dir.empty()) plan.working_dir = "/";

  RMQ_ASSIGN_OR_RETURN(plan.mounts, BuildMounts(container, kubelet_env, volumes));

  for (const Json& p : Array(container, "ports")) {
    plan.ports.push_back(
        ContainerPort{.name = Str(p, "name"),
                      .container_port = static_cast<int32_t>(Int(p, "containerPort").value_or(0)),
                      .protocol = Str(p, "protocol").empty() ? "TCP" : Str(p, "protocol"),
                      .host_port = static_cast<int32_t>(Int(p, "hostPort").value_or(0))});
  }

  // Exec probes expand $(VAR) with the literal `value`s of env only (ExpandContainerCommandOnly
  // Static).
  EnvList static_env;
  for (const Json& var : Array(container, "env")) {
    if (Field(var, "valueFrom") == nullptr) SetEnv(static_env, Str(var, "name"), Str(var, "value"));
  }
  plan.startup_probe = ParseProbe(container, "startupProbe", ctx_, static_env);
  plan.readiness_probe = ParseProbe(container, "readinessProbe", ctx_, static_env);
  plan.liveness_probe = ParseProbe(container, "livenessProbe", ctx_, static_env);
  if (const Json* lifecycle = Field(container, "lifecycle")) {
    if (const Json* post_start = Field(*lifecycle, "postStart")) {
      plan.post_start = ParseHandler(*post_start, container, ctx_, nullptr);
    }
    if (const Json* pre_stop = Field(*lifecycle, "preStop")) {
      plan.pre_stop = ParseHandler(*pre_stop, container, ctx_, nullptr);
    }
  }
  if (init) plan.restart_policy = ParseRestartPolicy(Str(container, "restartPolicy"));
  if (const std::string path = Str(container, "terminationMessagePath"); !path.empty()) {
    plan.termination_message_path = path;
  }
  return plan;
}

absl::StatusOr<PodPlan> Builder::Build() {
  RMQ_CHECK(ctx_.images != nullptr);
  const Json* metadata = Field(pod_, "metadata");
  const Json* spec = Field(pod_, "spec");
  if (metadata == nullptr || spec == nullptr) {
    return absl::InvalidArgumentError("pod: metadata and spec are required");
  }
  if (ctx_.pod_dir.empty() || ctx_.pod_dir.front() != '/') {
    return absl::FailedPreconditionError("PlanContext.pod_dir must be an absolute directory");
  }
  PodPlan plan;
  plan.name = Str(*metadata, "name");
  plan.namespace_name = Str(*metadata, "namespace");
  plan.uid = Str(*metadata, "uid");
  namespace_ = plan.namespace_name;

  RMQ_ASSIGN_OR_RETURN(auto host, PodHostnameAndDomain(pod_, ctx_.cluster_domain));
  plan.hostname = host.first;
  plan.host_domain = host.second;
  plan.host_network = Bool(*spec, "hostNetwork");
  plan.uts_hostname = plan.hostname;
  if (Bool(*spec, "setHostnameAsFQDN") && !plan.host_domain.empty()) {
    plan.uts_hostname = absl::StrCat(plan.hostname, ".", plan.host_domain);
    if (plan.uts_hostname.size() > kMaxHostnameLength + 1) {
      return absl::InvalidArgumentError(absl::StrCat(
          "pod hostname as FQDN ", Quoted(plan.uts_hostname), " is longer than 64 characters"));
    }
  }
  if (plan.host_network) plan.uts_hostname = ctx_.node_name;
  uts_hostname_ = plan.uts_hostname;

  for (const Json& alias : Array(*spec, "hostAliases")) {
    plan.host_aliases.push_back(
        HostAlias{.ip = Str(alias, "ip"), .hostnames = Strings(alias, "hostnames")});
  }
  plan.restart_policy =
      ParseRestartPolicy(Str(*spec, "restartPolicy")).value_or(RestartPolicy::kAlways);
  plan.termination_grace_period_seconds = std::max<int64_t>(
      0, Int(*spec, "terminationGracePeriodSeconds").value_or(kDefaultGracePeriodSeconds));

  for (const Json& volume : Array(*spec, "volumes")) {
    absl::StatusOr<VolumePlan> built = BuildVolume(volume);
    if (!built.ok()) {
      return WithReason(
          Prefixed(built.status(), absl::StrCat("volume ", Quoted(Str(volume, "name")))),
          kReasonContainerCreating);
    }
    plan.volumes.push_back(*std::move(built));
  }
  for (const bool init : {true, false}) {
    for (const Json& container : Array(*spec, init ? "initContainers" : "containers")) {
      absl::StatusOr<ContainerPlan> built = BuildContainer(container, init, plan.volumes);
      if (!built.ok()) {
        return Prefixed(built.status(), absl::StrCat(init ? "init container " : "container ",
                                                     Quoted(Str(container, "name"))));
      }
      (init ? plan.init_containers : plan.containers).push_back(*std::move(built));
    }
  }
  return plan;
}

}  // namespace

std::optional<RestartPolicy> ParseRestartPolicy(std::string_view text) {
  if (text == "Always") return RestartPolicy::kAlways;
  if (text == "OnFailure") return RestartPolicy::kOnFailure;
  if (text == "Never") return RestartPolicy::kNever;
  return std::nullopt;
}

const char* RestartPolicyName(RestartPolicy policy) {
  switch (policy) {
    case RestartPolicy::kAlways:
      return "Always";
    case RestartPolicy::kOnFailure:
      return "OnFailure";
    case RestartPolicy::kNever:
      return "Never";
  }
  return "Always";
}

absl::StatusOr<PodPlan> BuildPodPlan(const Json& pod, const PlanContext& ctx) {
  return Builder(pod, ctx).Build();
}

std::string PlanErrorReason(const absl::Status& status) {
  if (auto reason = status.GetPayload(kReasonPayloadUrl)) {
    return std::string(*reason);
  }
  return std::string(kReasonCreateContainerConfigError);
}

absl::StatusOr<std::pair<std::string, std::string>> PodHostnameAndDomain(
    const Json& pod, std::string_view cluster_domain) {
  const Json* metadata = Field(pod, "metadata");
  const Json* spec = Field(pod, "spec");
  std::string hostname = metadata != nullptr ? Str(*metadata, "name") : "";
  const std::string spec_hostname = spec != nullptr ? Str(*spec, "hostname") : "";
  if (!spec_hostname.empty()) {
    if (!IsDns1123Label(spec_hostname)) {
      return absl::InvalidArgumentError(
          absl::StrCat("pod Hostname ", Quoted(spec_hostname), " is not a valid DNS label"));
    }
    hostname = spec_hostname;
  }
  if (hostname.size() > kMaxHostnameLength) {
    hostname.resize(kMaxHostnameLength);
    while (!hostname.empty() && (hostname.back() == '-' || hostname.back() == '.')) {
      hostname.pop_back();
    }
    if (hostname.empty()) {
      return absl::InvalidArgumentError("pod hostname is empty after truncation to 63 characters");
    }
  }
  std::string domain;
  const std::string subdomain = spec != nullptr ? Str(*spec, "subdomain") : "";
  if (!subdomain.empty()) {
    if (!IsDns1123Label(subdomain)) {
      return absl::InvalidArgumentError(
          absl::StrCat("pod Subdomain ", Quoted(subdomain), " is not a valid DNS label"));
    }
    domain = absl::StrCat(subdomain, ".", metadata != nullptr ? Str(*metadata, "namespace") : "",
                          ".svc.", std::string(cluster_domain));
  }
  return std::make_pair(std::move(hostname), std::move(domain));
}

absl::StatusOr<std::string> PodFieldValue(const Json& pod, std::string_view field_path,
                                          const PlanContext& ctx) {
  static const Json kEmpty = Json::object();  // NOLINT: a constant
  const Json* metadata_ptr = Field(pod, "metadata");
  const Json* spec_ptr = Field(pod, "spec");
  const Json& metadata = metadata_ptr != nullptr ? *metadata_ptr : kEmpty;
  const Json& spec = spec_ptr != nullptr ? *spec_ptr : kEmpty;
  std::vector<std::string> pod_ips = ctx.pod_ips;
  if (pod_ips.empty() && !ctx.pod_ip.empty()) pod_ips.push_back(ctx.pod_ip);

  if (field_path == "metadata.name") return Str(metadata, "name");
  if (field_path == "metadata.namespace") return Str(metadata, "namespace");
  if (field_path == "metadata.uid") return Str(metadata, "uid");
  if (field_path == "metadata.labels") return FormatMap(Field(metadata, "labels"));
  if (field_path == "metadata.annotations") return FormatMap(Field(metadata, "annotations"));
  if (std::optional<std::pair<std::string, std::string>> sub = SubscriptedField(field_path)) {
    const Json* map = Field(metadata, sub->first);
    return map != nullptr ? Str(*map, sub->second) : std::string();
  }
  if (field_path == "spec.nodeName") {
    const std::string node = Str(spec, "nodeName");
    return node.empty() ? ctx.node_name : node;
  }
  if (field_path == "spec.serviceAccountName") return Str(spec, "serviceAccountName");
  if (field_path == "status.hostIP" || field_path == "status.hostIPs") return ctx.node_ip;
  if (field_path == "status.podIP") return pod_ips.empty() ? std::string() : pod_ips.front();
  if (field_path == "status.podIPs") return absl::StrJoin(pod_ips, ",");
  return absl::InvalidArgumentError(
      absl::StrCat("unsupported fieldPath ", Quoted(field_path),
                   " (supported: metadata.name, metadata.namespace, metadata.uid, "
                   "metadata.labels['k'], metadata.annotations['k'], metadata.labels, "
                   "metadata.annotations, spec.nodeName, spec.serviceAccountName, status.podIP, "
                   "status.podIPs, status.hostIP, status.hostIPs)"));
}

absl::StatusOr<std::string> ContainerResourceValue(const Json& container, std::string_view resource,
                                                   std::string_view divisor,
                                                   const PlanContext& ctx) {
  const size_t dot = resource.find('.');
  const std::string_view group = resource.substr(0, dot);
  const std::string name(dot == std::string_view::npos ? "" : resource.substr(dot + 1));
  const bool known = name == "cpu" || name == "memory" || name == "ephemeral-storage" ||
                     name.rfind("hugepages-", 0) == 0;
  if ((group != "limits" && group != "requests") || !known) {
    return absl::InvalidArgumentError(
        absl::StrCat("unsupported container resource ", Quoted(resource)));
  }
  const Json* resources = Field(container, "resources");
  const Json* values = resources != nullptr ? Field(*resources, group) : nullptr;
  const Json* set = values != nullptr ? Field(*values, name) : nullptr;
  absl::StatusOr<Quantity> amount = Quantity{};
  if (set != nullptr) {
    amount = QuantityValue(set);
  } else if (group == "limits") {
    auto it = ctx.node_allocatable.find(name);
    if (it != ctx.node_allocatable.end()) amount = ParseQuantity(it->second);
  }
  if (!amount.ok()) return amount.status();
  absl::StatusOr<Quantity> per = ParseQuantity(divisor.empty() ? "1" : divisor);
  if (!per.ok()) return per.status();
  if (per->nanos == 0) per = ParseQuantity("1");  // the API's zero value means 1
  if (per->nanos < 0) {
    return absl::InvalidArgumentError(absl::StrCat("divisor ", Quoted(divisor), " must be > 0"));
  }
  return std::to_string(CeilDiv(*amount, *per));
}

}  // namespace rmq::nodeagent
