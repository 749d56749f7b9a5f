// client.h: typed calls to the Kubernetes API over a Transport; objects are JSON.
//
// One method per verb: Get, List (one page, with limit/continue and selectors), ListAll (every
// page; a continue token that expired restarts the list), Create, Replace (PUT, optimistic
// concurrency through metadata.resourceVersion), Apply (server-side apply:
// application/apply-patch+yaml with a field manager and force), MergePatch
// (application/merge-patch+json), JsonPatch (application/json-patch+json), Delete (propagation
// policy, uid/resourceVersion preconditions) and Watch. Writes take an optional subresource
// ("status", "scale"). Errors are absl::Status from api.h: test them with IsApiNotFound(),
// IsApiConflict(), IsApiAlreadyExists(), IsApiGone().
//
// Threading: as the Transport (one executor); calls may overlap as coroutines.
//
// Example:
//   Client client(*transport);
//   Json cm = {{"apiVersion", "v1"}, {"kind", "ConfigMap"},
//              {"metadata", {{"name", "x"}, {"namespace", "ns"}}}, {"data", {{"k", "v"}}}};
//   absl::StatusOr<Json> applied = co_await client.Apply(ConfigMaps(), cm, {.field_manager =
//   "me"}); absl::StatusOr<ListResult> all = co_await client.ListAll(ConfigMaps(), "ns", {});
#pragma once

#include <chrono>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/k8s/api.h"
#include "common/k8s/transport.h"
#include "common/k8s/watch_stream.h"
#include "common/net/asio.h"

namespace rmq::k8s {

struct ListOptions {
  std::string label_selector{};
  std::string field_selector{};
  int64_t limit = 500;  // per page; 0: no paging
  std::string continue_token{};
  // "" = most recent (quorum read); "0" = any (watch cache).
  std::string resource_version{};
};

struct ListResult {
  std::vector<Json> items{};
  std::string resource_version{};  // the collection's: watch from here
  std::string continue_token{};    // "" on the last page
};

struct ApplyOptions {
  std::string field_manager{};  // required
  bool force = true;            // take over fields other managers own (controllers do)
  bool dry_run = false;
};

struct DeleteOptions {
  std::string propagation_policy{};  // "", "Background", "Foreground", "Orphan"
  std::string precondition_uid{};
  std::string precondition_resource_version{};
  std::optional<int64_t> grace_period_seconds{};
};

struct WatchOptions {
  std::string label_selector{};
  std::string field_selector{};
  std::string resource_version{};  // watch changes after this version
  bool allow_bookmarks = true;
  // The server ends the watch after this long (it would anyway, after ~30-60 min).
  std::chrono::seconds timeout{290};
};

// The events of one watch request. Not copyable; destroy (or Close()) to end the watch.
class WatchStream {
 public:
  explicit WatchStream(std::unique_ptr<HttpStream> stream) : stream_(std::move(stream)) {}

  // The next event; nullopt once the server ended the watch (reconnect from the last
  // resourceVersion). DeadlineExceeded when nothing (not even a bookmark) came within
  // `idle_timeout`; InvalidArgument for a malformed event.
  boost::asio::awaitable<absl::StatusOr<std::optional<WatchEvent>>> Next(
      std::chrono::milliseconds idle_timeout);
  void Close() { stream_->Close(); }

 private:
  std::unique_ptr<HttpStream> stream_;
  LineSplitter splitter_;
  std::deque<std::string> lines_;
  bool ended_ = false;
};

class Client {
 public:
  explicit Client(Transport& transport) : transport_(transport) {}

  boost::asio::awaitable<absl::StatusOr<Json>> Get(const ResourceType& type, std::string ns,
                                                   std::string name, std::string subresource = "");
  boost::asio::awaitable<absl::StatusOr<ListResult>> List(const ResourceType& type, std::string ns,
                                                          ListOptions options);
  // Every page; restarts once from the beginning if a continue token expires (410).
  boost::asio::awaitable<absl::StatusOr<ListResult>> ListAll(const ResourceType& type,
                                                             std::string ns, ListOptions options);
  // `object` carries metadata.name (or generateName); the namespace is taken from it. With a
  // `subresource`, POSTs `object` to that subresource of the object it names (e.g. a Binding to
  // pods/{name}/binding, an Eviction to pods/{name}/eviction).
  boost::asio::awaitable<absl::StatusOr<Json>> Create(const ResourceType& type, Json object,
                                                      std::string subresource = "");
  // PUT of the whole object; metadata.resourceVersion (when set) must still be current.
  boost::asio::awaitable<absl::StatusOr<Json>> Replace(const ResourceType& type, Json object,
                                                       std::string subresource = "");
  // Server-side apply of `object` (apiVersion, kind, metadata.name[/namespace] and the fields
  // this manager owns). Creates the object when it does not exist.
  boost::asio::awaitable<absl::StatusOr<Json>> Apply(const ResourceType& type, Json object,
                                                     ApplyOptions options,
                                                     std::string subresource = "");
  boost::asio::awaitable<absl::StatusOr<Json>> MergePatch(const ResourceType& type, std::string ns,
                                                          std::string name, Json patch,
                                                          std::string subresource = "");
  boost::asio::awaitable<absl::StatusOr<Json>> JsonPatch(const ResourceType& type, std::string ns,
                                                         std::string name, Json operations,
                                                         std::string subresource = "");
  // OK when the object is gone or going (the server accepted the delete); NotFound when it was
  // not there.
  boost::asio::awaitable<absl::Status> Delete(const ResourceType& type, std::string ns,
                                              std::string name, DeleteOptions options = {});
  boost::asio::awaitable<absl::StatusOr<std::unique_ptr<WatchStream>>> Watch(
      const ResourceType& type, std::string ns, WatchOptions options);

  Transport& transport() { return transport_; }

 private:
  boost::asio::awaitable<absl::StatusOr<Json>> Patch(const ResourceType& type, std::string ns,
                                                     std::string name, std::string content_type,
                                                     Json body, std::string subresource);
  boost::asio::awaitable<absl::StatusOr<Json>> Call(std::string method, std::string target,
                                                    std::string content_type, std::string body);

  Transport& transport_;
};

// metadata.name / metadata.namespace of an object ("" when absent).
std::string NameOf(const Json& object);
std::string NamespaceOf(const Json& object);

}  // namespace rmq::k8s
