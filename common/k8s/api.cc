#include "common/k8s/api.h"

#include <charconv>

#include "absl/strings/ascii.h"
#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "nlohmann/json.hpp"

namespace rmq::k8s {
namespace {

constexpr char kPayloadUrl[] = "rmq.k8s/http";

absl::StatusCode CodeFor(int http_code, const std::string& reason) {
  switch (http_code) {
    case 400:
    case 422:
      return absl::StatusCode::kInvalidArgument;
    case 401:
      return absl::StatusCode::kUnauthenticated;
    case 403:
      return absl::StatusCode::kPermissionDenied;
    case 404:
      return absl::StatusCode::kNotFound;
    case 405:
    case 501:
      return absl::StatusCode::kUnimplemented;
    case 409:
      return reason == "AlreadyExists" ? absl::StatusCode::kAlreadyExists
                                       : absl::StatusCode::kAborted;
    case 410:
      return absl::StatusCode::kOutOfRange;
    case 412:
      return absl::StatusCode::kFailedPrecondition;
    case 413:
    case 429:
      return absl::StatusCode::kResourceExhausted;
    case 500:
      return absl::StatusCode::kInternal;
    case 504:
      return absl::StatusCode::kDeadlineExceeded;
    default:
      break;
  }
  if (http_code >= 500) return absl::StatusCode::kUnavailable;
  return absl::StatusCode::kUnknown;
}

std::string Shorten(std::string_view text, size_t max) {
  if (text.size() <= max) return std::string(text);
  return absl::StrCat(std::string(text.substr(0, max)), "...");
}

}  // namespace

std::string ResourceType::ApiVersion() const {
  return group.empty() ? version : absl::StrCat(group, "/", version);
}

std::string ServerUrl::HostHeader() const {
  bool v6 = host.find(':') != std::string::npos;
  return absl::StrCat(v6 ? "[" : "", host, v6 ? "]" : "", ":", port);
}

absl::StatusOr<ServerUrl> ParseServerUrl(std::string_view url) {
  ServerUrl out;
  absl::string_view rest(url.data(), url.size());
  if (absl::ConsumePrefix(&rest, "https://")) {
    out.tls = true;
    out.port = "443";
  } else if (absl::ConsumePrefix(&rest, "http://")) {
    out.tls = false;
    out.port = "80";
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("server URL \"", std::string(url), "\" must start with https:// or http://"));
  }
  size_t slash = rest.find('/');
  absl::string_view authority = rest.substr(0, slash);
  if (slash != absl::string_view::npos) {
    absl::string_view path = rest.substr(slash);
    while (!path.empty() && path.back() == '/') path.remove_suffix(1);
    out.base_path = std::string(path);
  }
  absl::string_view port;
  if (absl::ConsumePrefix(&authority, "[")) {
    size_t close = authority.find(']');
    if (close == absl::string_view::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("server URL \"", std::string(url), "\" has an unclosed IPv6 bracket"));
    }
    out.host = std::string(authority.substr(0, close));
    absl::string_view after = authority.substr(close + 1);
    if (absl::ConsumePrefix(&after, ":")) {
      port = after;
    } else if (!after.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("server URL \"", std::string(url), "\": junk after the IPv6 address"));
    }
  } else {
    size_t colon = authority.rfind(':');
    out.host = std::string(authority.substr(0, colon));
    if (colon != absl::string_view::npos) port = authority.substr(colon + 1);
  }
  int port_number = 0;
  if (!port.empty()) {
    if (!absl::SimpleAtoi(port, &port_number) || port_number <= 0 || port_number > 65535) {
      return absl::InvalidArgumentError(
          absl::StrCat("server URL \"", std::string(url), "\" has a bad port"));
    }
    out.port = std::string(port);
  }
  if (out.host.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("server URL \"", std::string(url), "\" has no host"));
  }
  return out;
}

// The types are never destroyed (no exit-time destructors racing other threads).
const ResourceType& ConfigMaps() {
  static const auto* const t = new ResourceType{"", "v1", "configmaps", "ConfigMap", true};
  return *t;
}
const ResourceType& Secrets() {
  static const auto* const t = new ResourceType{"", "v1", "secrets", "Secret", true};
  return *t;
}
const ResourceType& Namespaces() {
  static const auto* const t = new ResourceType{"", "v1", "namespaces", "Namespace", false};
  return *t;
}
const ResourceType& Pods() {
  static const auto* const t = new ResourceType{"", "v1", "pods", "Pod", true};
  return *t;
}
const ResourceType& Services() {
  static const auto* const t = new ResourceType{"", "v1", "services", "Service", true};
  return *t;
}
const ResourceType& Nodes() {
  static const auto* const t = new ResourceType{"", "v1", "nodes", "Node", false};
  return *t;
}
const ResourceType& StatefulSets() {
  static const auto* const t = new ResourceType{"apps", "v1", "statefulsets", "StatefulSet", true};
  return *t;
}
const ResourceType& PersistentVolumeClaims() {
  static const auto* const t =
      new ResourceType{"", "v1", "persistentvolumeclaims", "PersistentVolumeClaim", true};
  return *t;
}
const ResourceType& PersistentVolumes() {
  static const auto* const t =
      new ResourceType{"", "v1", "persistentvolumes", "PersistentVolume", false};
  return *t;
}
const ResourceType& ServiceAccounts() {
  static const auto* const t =
      new ResourceType{"", "v1", "serviceaccounts", "ServiceAccount", true};
  return *t;
}
const ResourceType& Leases() {
  static const auto* const t =
      new ResourceType{"coordination.k8s.io", "v1", "leases", "Lease", true};
  return *t;
}
const ResourceType& Events() {
  static const auto* const t = new ResourceType{"events.k8s.io", "v1", "events", "Event", true};
  return *t;
}
const ResourceType& CustomResourceDefinitions() {
  static const auto* const t = new ResourceType{
      "apiextensions.k8s.io", "v1", "customresourcedefinitions", "CustomResourceDefinition", false};
  return *t;
}

std::string ResourcePath(const ResourceType& type, std::string_view ns, std::string_view name,
                         std::string_view subresource) {
  std::string path = type.group.empty() ? absl::StrCat("/api/", type.version)
                                        : absl::StrCat("/apis/", type.group, "/", type.version);
  if (type.namespaced && !ns.empty()) absl::StrAppend(&path, "/namespaces/", QueryEscape(ns));
  absl::StrAppend(&path, "/", type.plural);
  if (!name.empty()) {
    absl::StrAppend(&path, "/", QueryEscape(name));
    if (!subresource.empty()) absl::StrAppend(&path, "/", std::string(subresource));
  }
  return path;
}

std::string QueryEscape(std::string_view value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    auto u = static_cast<unsigned char>(c);
    if (absl::ascii_isalnum(u) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 0xF]);
    }
  }
  return out;
}

Query& Query::Add(std::string_view key, std::string_view value) {
  params_.emplace_back(std::string(key), std::string(value));
  return *this;
}

Query& Query::Add(std::string_view key, int64_t value) {
  return Add(key, std::string_view(absl::StrCat(value)));
}

Query& Query::AddIfSet(std::string_view key, std::string_view value) {
  if (!value.empty()) Add(key, value);
  return *this;
}

std::string Query::Encode() const {
  std::string out;
  for (const auto& [key, value] : params_) {
    absl::StrAppend(&out, out.empty() ? "?" : "&", QueryEscape(key), "=", QueryEscape(value));
  }
  return out;
}

absl::Status StatusFromResponse(std::string_view what, int http_code, std::string_view body) {
  std::string reason;
  std::string message;
  nlohmann::json parsed = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_object() && parsed.value("kind", "") == "Status") {
    reason = parsed.value("reason", "");
    message = parsed.value("message", "");
  } else {
    message = Shorten(body, 512);
  }
  absl::Status status(
      CodeFor(http_code, reason),
      absl::StrCat(std::string(what), ": HTTP ", http_code, reason.empty() ? "" : " ", reason,
                   message.empty() ? "" : ": ", message));
  status.SetPayload(kPayloadUrl, absl::Cord(absl::StrCat(http_code, " ", reason)));
  return status;
}

int HttpCodeOf(const absl::Status& status) {
  absl::optional<absl::Cord> payload = status.GetPayload(kPayloadUrl);
  if (!payload) return 0;
  std::string text(*payload);
  int code = 0;
  if (!absl::SimpleAtoi(text.substr(0, text.find(' ')), &code)) return 0;
  return code;
}

std::string ReasonOf(const absl::Status& status) {
  absl::optional<absl::Cord> payload = status.GetPayload(kPayloadUrl);
  if (!payload) return "";
  std::string text(*payload);
  size_t space = text.find(' ');
  return space == std::string::npos ? "" : text.substr(space + 1);
}

std::optional<std::chrono::seconds> ParseRetryAfter(std::string_view value) {
  absl::string_view v = absl::StripAsciiWhitespace(absl::string_view(value.data(), value.size()));
  int64_t seconds = 0;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), seconds);
  if (v.empty() || ec != std::errc() || end != v.data() + v.size() || seconds < 0) {
    return std::nullopt;
  }
  return std::chrono::seconds(seconds);
}

bool IsRetryableResponse(int http_code, bool has_retry_after) {
  if (http_code == 429) return true;
  return http_code >= 500 && http_code <= 599 && has_retry_after;
}

}  // namespace rmq::k8s
