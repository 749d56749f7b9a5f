// api.h: the pure parts of talking to the Kubernetes API: resource URLs, query strings, and the
// mapping of error responses (metav1.Status) to absl::Status.
//
// Errors: a non-2xx answer becomes an absl::Status whose code follows the HTTP status (404 ->
// NotFound, 409 AlreadyExists -> AlreadyExists, 409 Conflict -> Aborted, 410 -> OutOfRange, 422
// -> InvalidArgument, 429 -> ResourceExhausted, ...) and whose message carries the request, the
// HTTP code, the reason and the server's message. The HTTP code and reason ride along as a
// payload, so callers test them with IsApiNotFound()/IsApiConflict()/IsApiGone()/HttpCodeOf()
// instead of parsing messages.
//
// Example:
//   ResourcePath(kConfigMaps, "ns", "cm", "")     -> "/api/v1/namespaces/ns/configmaps/cm"
//   ResourcePath(kLeases, "ns", "", "")           ->
//   "/apis/coordination.k8s.io/v1/namespaces/ns/leases" Query().Add("labelSelector",
//   "app=x,tier!=db").Add("limit", 500).Encode()
//       -> "?labelSelector=app%3Dx%2Ctier%21%3Ddb&limit=500"
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace rmq::k8s {

// A resource type: where its objects live in the API.
struct ResourceType {
  std::string group;    // "" for the core group
  std::string version;  // "v1"
  std::string plural;   // "configmaps"
  std::string kind;     // "ConfigMap"
  bool namespaced = true;

  // "v1" or "group/version".
  std::string ApiVersion() const;
};

// A server URL from a RestConfig: "https://host[:port][/prefix]" (IPv6 hosts bracketed).
struct ServerUrl {
  bool tls = true;
  std::string host;                // without brackets
  std::string port;                // "443" / "80" when not given
  std::string base_path;           // "" or "/prefix" (no trailing slash)
  std::string HostHeader() const;  // "host:port", "[v6]:port"
};
absl::StatusOr<ServerUrl> ParseServerUrl(std::string_view url);

// Types the operator and its tests use.
const ResourceType& ConfigMaps();
const ResourceType& Secrets();
const ResourceType& Namespaces();
const ResourceType& Pods();
const ResourceType& Services();
const ResourceType& Nodes();
const ResourceType& StatefulSets();
const ResourceType& PersistentVolumeClaims();
const ResourceType& PersistentVolumes();  // cluster-scoped
const ResourceType& ServiceAccounts();
const ResourceType& Leases();
const ResourceType& Events();  // events.k8s.io/v1
const ResourceType& CustomResourceDefinitions();

// "/api/v1[/namespaces/NS]/PLURAL[/NAME[/SUBRESOURCE]]" or "/apis/G/V/...". An empty `ns` on a
// namespaced type addresses all namespaces (lists and watches).
std::string ResourcePath(const ResourceType& type, std::string_view ns, std::string_view name,
                         std::string_view subresource = "");

// Percent-encodes a query component (RFC 3986 unreserved characters stay).
std::string QueryEscape(std::string_view value);

// Builds "?k=v&k2=v2" (empty when nothing was added).
class Query {
 public:
  Query& Add(std::string_view key, std::string_view value);
  Query& Add(std::string_view key, int64_t value);
  // Adds only non-empty values.
  Query& AddIfSet(std::string_view key, std::string_view value);
  std::string Encode() const;

 private:
  std::vector<std::pair<std::string, std::string>> params_;
};

// The absl::Status for a non-2xx answer. `what` names the request ("GET /api/v1/..."); `body`
// is normally a metav1.Status (anything else is quoted, shortened).
absl::Status StatusFromResponse(std::string_view what, int http_code, std::string_view body);

// The HTTP code and metav1.Status reason of a status made by StatusFromResponse (0 / "" for
// any other status).
int HttpCodeOf(const absl::Status& status);
std::string ReasonOf(const absl::Status& status);

inline bool IsApiNotFound(const absl::Status& s) { return HttpCodeOf(s) == 404; }
inline bool IsApiAlreadyExists(const absl::Status& s) {
  return HttpCodeOf(s) == 409 && ReasonOf(s) == "AlreadyExists";
}
// A write lost an optimistic-concurrency race, or server-side apply met another field manager.
inline bool IsApiConflict(const absl::Status& s) {
  return HttpCodeOf(s) == 409 && ReasonOf(s) != "AlreadyExists";
}
// 410: the resourceVersion (or continue token) is older than the server's history: relist.
inline bool IsApiGone(const absl::Status& s) { return HttpCodeOf(s) == 410; }

// The delay a Retry-After header asks for: delta-seconds only (an HTTP date, a negative or a
// garbled value gives nullopt).
std::optional<std::chrono::seconds> ParseRetryAfter(std::string_view value);

// Whether a response with this code is retried after its Retry-After delay (as client-go does:
// 429, and 5xx answers that carry Retry-After).
bool IsRetryableResponse(int http_code, bool has_retry_after);

}  // namespace rmq::k8s
