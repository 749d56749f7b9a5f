#include "common/k8s/crd.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/k8s/yaml_json.h"
#include "common/log/logger.h"

namespace rmq::k8s {
namespace {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

const Json* FindCondition(const Json& crd, const std::string& type) {
  if (!crd.is_object()) return nullptr;
  auto status = crd.find("status");
  if (status == crd.end() || !status->is_object()) return nullptr;
  auto conditions = status->find("conditions");
  if (conditions == status->end() || !conditions->is_array()) return nullptr;
  for (const Json& c : *conditions) {
    if (c.is_object() && c.value("type", "") == type) return &c;
  }
  return nullptr;
}

// Waits until one CRD is established (or refused), watching it from `crd`'s version.
asio::awaitable<absl::Status> WaitEstablished(Client& client, Json crd,
                                              Clock::time_point deadline) {
  std::string name = NameOf(crd);
  while (true) {
    absl::Status ready = CrdReadiness(crd);
    if (!absl::IsUnavailable(ready)) co_return ready;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) {
      co_return absl::DeadlineExceededError(
          absl::StrCat("CRD ", name, " not established in time: ", ready.message()));
    }
    WatchOptions options;
    options.field_selector = "metadata.name=" + name;
    options.resource_version = crd["metadata"].value("resourceVersion", "");
    options.timeout =
        std::chrono::duration_cast<std::chrono::seconds>(left) + std::chrono::seconds(1);
    absl::StatusOr<std::unique_ptr<WatchStream>> watch =
        co_await client.Watch(CustomResourceDefinitions(), "", options);
    if (!watch.ok()) {
      if (!IsApiGone(watch.status())) co_return watch.status();
    } else {
      absl::StatusOr<std::optional<WatchEvent>> event = co_await (*watch)->Next(left);
      if (!event.ok()) {
        if (absl::IsDeadlineExceeded(event.status())) continue;  // deadline check above
        co_return event.status();
      }
      if (event->has_value() && (*event)->type != WatchEvent::Type::kBookmark &&
          (*event)->type != WatchEvent::Type::kError) {
        crd = std::move((*event)->object);
        continue;
      }
    }
    // 410, an ERROR event or the end of the watch: read the CRD again.
    absl::StatusOr<Json> fresh = co_await client.Get(CustomResourceDefinitions(), "", name);
    if (!fresh.ok()) co_return fresh.status();
    crd = *std::move(fresh);
  }
}

}  // namespace

absl::Status CrdReadiness(const Json& crd) {
  const Json* names = FindCondition(crd, "NamesAccepted");
  if (names != nullptr && names->value("status", "") == "False") {
    return absl::FailedPreconditionError(absl::StrCat("CRD ", NameOf(crd), " names not accepted (",
                                                      names->value("reason", ""),
                                                      "): ", names->value("message", "")));
  }
  const Json* established = FindCondition(crd, "Established");
  if (established != nullptr && established->value("status", "") == "True") {
    return absl::OkStatus();
  }
  return absl::UnavailableError(
      absl::StrCat("CRD ", NameOf(crd), " is not established yet",
                   established == nullptr ? "" : ": " + established->value("message", "")));
}

asio::awaitable<absl::Status> InstallCrds(Client& client, std::vector<Json> crds,
                                          std::string field_manager,
                                          std::chrono::milliseconds timeout) {
  Clock::time_point deadline = Clock::now() + timeout;
  std::vector<Json> applied;
  for (Json& crd : crds) {
    if (!crd.is_object() || crd.value("kind", "") != "CustomResourceDefinition") {
      co_return absl::InvalidArgumentError(
          absl::StrCat("not a CustomResourceDefinition: ",
                       crd.dump(-1, ' ', false, Json::error_handler_t::replace).substr(0, 200)));
    }
    ApplyOptions options;
    options.field_manager = field_manager;
    absl::StatusOr<Json> result =
        co_await client.Apply(CustomResourceDefinitions(), std::move(crd), options);
    if (!result.ok()) co_return result.status();
    applied.push_back(*std::move(result));
  }
  for (Json& crd : applied) {
    std::string name = NameOf(crd);
    absl::Status ready = co_await WaitEstablished(client, std::move(crd), deadline);
    if (!ready.ok()) co_return ready;
    log::Get("k8s.crd")->info("CRD established name={}", name);
  }
  co_return absl::OkStatus();
}

asio::awaitable<absl::Status> InstallCrdsFromYaml(Client& client, std::string yaml,
                                                  std::string field_manager,
                                                  std::chrono::milliseconds timeout) {
  absl::StatusOr<std::vector<Json>> documents = YamlDocumentsToJson(yaml);
  if (!documents.ok()) co_return documents.status();
  absl::Status installed =
      co_await InstallCrds(client, *std::move(documents), std::move(field_manager), timeout);
  co_return installed;
}

}  // namespace rmq::k8s
