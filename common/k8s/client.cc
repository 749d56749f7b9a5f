#include "common/k8s/client.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace rmq::k8s {
namespace {

namespace asio = boost::asio;

constexpr char kJson[] = "application/json";

std::string ObjectString(const Json& object, const char* field) {
  const Json* metadata =
      object.is_object() && object.contains("metadata") ? &object.at("metadata") : nullptr;
  if (metadata == nullptr || !metadata->is_object()) return "";
  auto it = metadata->find(field);
  return it != metadata->end() && it->is_string() ? it->get<std::string>() : "";
}

absl::StatusOr<Json> ParseBody(const std::string& what, const std::string& body) {
  Json parsed = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) {
    return absl::InternalError(absl::StrCat(what, ": the answer is not JSON"));
  }
  return parsed;
}

// Serializes a body; invalid UTF-8 in a string (e.g. a broker's error text) becomes U+FFFD
// instead of an exception.
std::string Serialize(const Json& body) {
  return body.dump(-1, ' ', false, Json::error_handler_t::replace);
}

absl::Status NeedName(const std::string& what, const std::string& name) {
  if (name.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": the object has no metadata.name"));
  }
  return absl::OkStatus();
}

}  // namespace

std::string NameOf(const Json& object) { return ObjectString(object, "name"); }
std::string NamespaceOf(const Json& object) { return ObjectString(object, "namespace"); }

asio::awaitable<absl::StatusOr<std::optional<WatchEvent>>> WatchStream::Next(
    std::chrono::milliseconds idle_timeout) {
  while (lines_.empty()) {
    if (ended_) co_return std::optional<WatchEvent>();
    absl::StatusOr<std::string> piece = co_await stream_->ReadSome(idle_timeout);
    if (!piece.ok()) co_return piece.status();
    if (piece->empty()) {
      ended_ = true;
      continue;
    }
    std::vector<std::string> lines;
    absl::Status fed = splitter_.Feed(*piece, lines);
    if (!fed.ok()) co_return fed;
    for (std::string& line : lines) lines_.push_back(std::move(line));
  }
  std::string line = std::move(lines_.front());
  lines_.pop_front();
  absl::StatusOr<WatchEvent> event = ParseWatchEvent(line);
  if (!event.ok()) co_return event.status();
  co_return std::optional<WatchEvent>(*std::move(event));
}

asio::awaitable<absl::StatusOr<Json>> Client::Call(std::string method, std::string target,
                                                   std::string content_type, std::string body) {
  HttpRequest request;
  request.method = std::move(method);
  request.target = std::move(target);
  request.content_type = std::move(content_type);
  request.body = std::move(body);
  std::string what = absl::StrCat(request.method, " ", request.target);
  absl::StatusOr<HttpResponse> response = co_await transport_.Send(std::move(request));
  if (!response.ok()) co_return response.status();
  co_return ParseBody(what, response->body);
}

asio::awaitable<absl::StatusOr<Json>> Client::Get(const ResourceType& type, std::string ns,
                                                  std::string name, std::string subresource) {
  absl::Status named = NeedName("GET " + type.plural, name);
  if (!named.ok()) co_return named;
  absl::StatusOr<Json> got =
      co_await Call("GET", ResourcePath(type, ns, name, subresource), "", "");
  co_return got;
}

asio::awaitable<absl::StatusOr<ListResult>> Client::List(const ResourceType& type, std::string ns,
                                                         ListOptions options) {
  Query query;
  query.AddIfSet("labelSelector", options.label_selector)
      .AddIfSet("fieldSelector", options.field_selector)
      .AddIfSet("continue", options.continue_token)
      .AddIfSet("resourceVersion", options.resource_version);
  if (options.limit > 0) query.Add("limit", options.limit);
  absl::StatusOr<Json> list =
      co_await Call("GET", ResourcePath(type, ns, "") + query.Encode(), "", "");
  if (!list.ok()) co_return list.status();
  ListResult result;
  auto items = list->find("items");
  if (items != list->end() && items->is_array()) {
    result.items.reserve(items->size());
    for (Json& item : *items) {
      // Items of a list carry no apiVersion/kind; give them their type's, as client-go does.
      if (item.is_object()) {
        item["apiVersion"] = type.ApiVersion();
        item["kind"] = type.kind;
      }
      result.items.push_back(std::move(item));
    }
  }
  const Json& metadata = (*list)["metadata"];
  if (metadata.is_object()) {
    result.resource_version = metadata.value("resourceVersion", "");
    result.continue_token = metadata.value("continue", "");
  }
  co_return result;
}

asio::awaitable<absl::StatusOr<ListResult>> Client::ListAll(const ResourceType& type,
                                                            std::string ns, ListOptions options) {
  ListResult all;
  bool restarted = false;
  ListOptions page = options;
  while (true) {
    absl::StatusOr<ListResult> result = co_await List(type, ns, page);
    if (!result.ok()) {
      // A continue token older than the server's history: start over, once.
      if (IsApiGone(result.status()) && !page.continue_token.empty() && !restarted) {
        restarted = true;
        all = ListResult();
        page = options;
        continue;
      }
      co_return result.status();
    }
    for (Json& item : result->items) all.items.push_back(std::move(item));
    // Every page carries the version of the list's snapshot; the first page's is the one.
    if (all.resource_version.empty()) all.resource_version = result->resource_version;
    if (result->continue_token.empty()) break;
    page.continue_token = result->continue_token;
    page.resource_version.clear();  // not allowed together with continue
  }
  co_return all;
}

asio::awaitable<absl::StatusOr<Json>> Client::Create(const ResourceType& type, Json object,
                                                     std::string subresource) {
  std::string ns = NamespaceOf(object);
  std::string target;
  if (subresource.empty()) {
    target = ResourcePath(type, ns, "");
  } else {
    std::string name = NameOf(object);
    absl::Status named = NeedName(absl::StrCat("POST ", type.plural, "/", subresource), name);
    if (!named.ok()) co_return named;
    target = ResourcePath(type, ns, name, subresource);
  }
  absl::StatusOr<Json> created = co_await Call("POST", target, kJson, Serialize(object));
  co_return created;
}

asio::awaitable<absl::StatusOr<Json>> Client::Replace(const ResourceType& type, Json object,
                                                      std::string subresource) {
  std::string name = NameOf(object);
  absl::Status named = NeedName("PUT " + type.plural, name);
  if (!named.ok()) co_return named;
  std::string target = ResourcePath(type, NamespaceOf(object), name, subresource);
  absl::StatusOr<Json> replaced = co_await Call("PUT", target, kJson, Serialize(object));
  co_return replaced;
}

asio::awaitable<absl::StatusOr<Json>> Client::Apply(const ResourceType& type, Json object,
                                                    ApplyOptions options, std::string subresource) {
  std::string name = NameOf(object);
  absl::Status named = NeedName("apply " + type.plural, name);
  if (!named.ok()) co_return named;
  if (options.field_manager.empty()) {
    co_return absl::InvalidArgumentError(
        absl::StrCat("apply ", type.plural, "/", name, ": a field manager is required"));
  }
  if (!object.contains("apiVersion")) object["apiVersion"] = type.ApiVersion();
  if (!object.contains("kind")) object["kind"] = type.kind;
  if (object["metadata"].is_object()) object["metadata"].erase("managedFields");
  Query query;
  query.Add("fieldManager", options.field_manager);
  if (options.force) query.Add("force", "true");
  if (options.dry_run) query.Add("dryRun", "All");
  std::string target = ResourcePath(type, NamespaceOf(object), name, subresource) + query.Encode();
  // JSON is YAML: the apply content type takes it as it is.
  absl::StatusOr<Json> applied =
      co_await Call("PATCH", target, "application/apply-patch+yaml", Serialize(object));
  co_return applied;
}

asio::awaitable<absl::StatusOr<Json>> Client::MergePatch(const ResourceType& type, std::string ns,
                                                         std::string name, Json patch,
                                                         std::string subresource) {
  absl::StatusOr<Json> patched =
      co_await Patch(type, std::move(ns), std::move(name), "application/merge-patch+json",
                     std::move(patch), std::move(subresource));
  co_return patched;
}

asio::awaitable<absl::StatusOr<Json>> Client::JsonPatch(const ResourceType& type, std::string ns,
                                                        std::string name, Json operations,
                                                        std::string subresource) {
  absl::StatusOr<Json> patched =
      co_await Patch(type, std::move(ns), std::move(name), "application/json-patch+json",
                     std::move(operations), std::move(subresource));
  co_return patched;
}

asio::awaitable<absl::StatusOr<Json>> Client::Patch(const ResourceType& type, std::string ns,
                                                    std::string name, std::string content_type,
                                                    Json body, std::string subresource) {
  absl::Status named = NeedName("PATCH " + type.plural, name);
  if (!named.ok()) co_return named;
  absl::StatusOr<Json> patched = co_await Call("PATCH", ResourcePath(type, ns, name, subresource),
                                               std::move(content_type), Serialize(body));
  co_return patched;
}

asio::awaitable<absl::Status> Client::Delete(const ResourceType& type, std::string ns,
                                             std::string name, DeleteOptions options) {
  absl::Status named = NeedName("DELETE " + type.plural, name);
  if (!named.ok()) co_return named;
  Json body = {{"apiVersion", "v1"}, {"kind", "DeleteOptions"}};
  if (!options.propagation_policy.empty()) body["propagationPolicy"] = options.propagation_policy;
  if (options.grace_period_seconds) body["gracePeriodSeconds"] = *options.grace_period_seconds;
  if (!options.precondition_uid.empty()) body["preconditions"]["uid"] = options.precondition_uid;
  if (!options.precondition_resource_version.empty()) {
    body["preconditions"]["resourceVersion"] = options.precondition_resource_version;
  }
  absl::StatusOr<Json> deleted =
      co_await Call("DELETE", ResourcePath(type, ns, name), kJson, Serialize(body));
  co_return deleted.status();
}

asio::awaitable<absl::StatusOr<std::unique_ptr<WatchStream>>> Client::Watch(
    const ResourceType& type, std::string ns, WatchOptions options) {
  Query query;
  query.Add("watch", "1")
      .AddIfSet("labelSelector", options.label_selector)
      .AddIfSet("fieldSelector", options.field_selector)
      .AddIfSet("resourceVersion", options.resource_version)
      .Add("timeoutSeconds", static_cast<int64_t>(options.timeout.count()));
  if (options.allow_bookmarks) query.Add("allowWatchBookmarks", "true");
  HttpRequest request;
  request.target = ResourcePath(type, ns, "") + query.Encode();
  absl::StatusOr<std::unique_ptr<HttpStream>> stream =
      co_await transport_.OpenStream(std::move(request));
  if (!stream.ok()) co_return stream.status();
  co_return std::make_unique<WatchStream>(*std::move(stream));
}

}  // namespace rmq::k8s
