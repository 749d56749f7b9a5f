#include "common/k8s/informer.h"

#include <algorithm>
#include <utility>

#include "common/log/logger.h"

namespace rmq::k8s {
namespace {

namespace asio = boost::asio;
using std::chrono::milliseconds;

void StripManagedFields(Json& object) {
  auto metadata = object.find("metadata");
  if (metadata != object.end() && metadata->is_object()) metadata->erase("managedFields");
}

}  // namespace

Informer::Informer(Client& client, const ResourceType& type, InformerOptions options)
    : client_(client), type_(type), options_(std::move(options)), random_(std::random_device{}()) {}

void Informer::Stop() {
  stopped_ = true;
  if (timer_) timer_->cancel();
  if (watch_ != nullptr) watch_->Close();
}

void Informer::Dispatch(const ObjectEvent& event) {
  for (const Handler& handler : handlers_) handler(event);
}

asio::awaitable<absl::Status> Informer::ListAndReplace() {
  ListOptions list;
  list.label_selector = options_.label_selector;
  list.field_selector = options_.field_selector;
  list.limit = options_.page_size;
  absl::StatusOr<ListResult> result = co_await client_.ListAll(type_, options_.ns, list);
  if (!result.ok()) co_return result.status();
  ++stats_.lists;
  size_t count = result->items.size();
  if (options_.strip_managed_fields) {
    for (Json& item : result->items) StripManagedFields(item);
  }
  std::vector<ObjectEvent> events = store_.Replace(std::move(result->items));
  resource_version_ = result->resource_version;
  need_list_ = false;
  log::Get("k8s.informer")
      ->debug("listed type={} objects={} changes={} resourceVersion={}", type_.plural, count,
              events.size(), resource_version_);
  for (const ObjectEvent& event : events) Dispatch(event);
  if (!synced_) {
    synced_ = true;
    if (on_synced_) on_synced_();
  }
  co_return absl::OkStatus();
}

asio::awaitable<absl::Status> Informer::WatchOnce(bool& delivered) {
  WatchOptions watch;
  watch.label_selector = options_.label_selector;
  watch.field_selector = options_.field_selector;
  watch.resource_version = resource_version_;
  // Jitter spreads the reconnects of many informers.
  std::uniform_real_distribution<double> jitter(0.9, 1.1);
  watch.timeout = std::chrono::seconds(std::max<int64_t>(
      1,
      static_cast<int64_t>(static_cast<double>(options_.watch_timeout.count()) * jitter(random_))));
  absl::StatusOr<std::unique_ptr<WatchStream>> stream =
      co_await client_.Watch(type_, options_.ns, watch);
  if (!stream.ok()) {
    if (IsApiGone(stream.status())) {
      need_list_ = true;
      ++stats_.relists_after_gone;
      log::Get("k8s.informer")
          ->info("watch refused (410), relisting type={} resourceVersion={}", type_.plural,
                 resource_version_);
      co_return absl::OkStatus();
    }
    co_return stream.status();
  }
  ++stats_.watches;
  std::unique_ptr<WatchStream> open = *std::move(stream);
  watch_ = open.get();
  absl::Status ended = absl::OkStatus();
  while (!stopped_) {
    absl::StatusOr<std::optional<WatchEvent>> next = co_await open->Next(options_.idle_timeout);
    if (!next.ok()) {
      ended = next.status();
      break;
    }
    if (!next->has_value()) break;  // the server ended the watch
    WatchEvent& event = **next;
    delivered = true;
    if (options_.strip_managed_fields) StripManagedFields(event.object);
    if (event.type == WatchEvent::Type::kError) {
      if (event.ErrorCode() == 410) {
        need_list_ = true;
        ++stats_.relists_after_gone;
        log::Get("k8s.informer")
            ->info("watch expired (410), relisting type={} resourceVersion={}", type_.plural,
                   resource_version_);
      } else {
        ended = absl::UnknownError("watch ERROR event: " + event.object.dump());
      }
      break;
    }
    std::string version = event.ResourceVersion();
    if (!version.empty()) resource_version_ = version;
    if (event.type == WatchEvent::Type::kBookmark) continue;
    ++stats_.events;
    std::optional<ObjectEvent> change = store_.Apply(event);
    if (change) Dispatch(*change);
  }
  watch_ = nullptr;
  co_return ended;
}

asio::awaitable<void> Informer::Backoff() {
  backoff_ = backoff_.count() == 0 ? options_.initial_backoff
                                   : std::min(backoff_ * 2, options_.max_backoff);
  std::uniform_real_distribution<double> jitter(0.5, 1.0);
  auto delay =
      milliseconds(static_cast<int64_t>(static_cast<double>(backoff_.count()) * jitter(random_)));
  timer_ = std::make_unique<asio::steady_timer>(co_await asio::this_coro::executor, delay);
  boost::system::error_code ignored;
  co_await timer_->async_wait(asio::redirect_error(asio::use_awaitable, ignored));
}

asio::awaitable<void> Informer::Run() {
  auto log = log::Get("k8s.informer");
  while (!stopped_) {
    if (need_list_) {
      absl::Status listed = co_await ListAndReplace();
      if (!listed.ok()) {
        if (stopped_) break;
        log->warn("list failed type={} error={}", type_.plural, listed.ToString());
        ++stats_.reconnects_after_error;
        co_await Backoff();
        continue;
      }
      backoff_ = milliseconds(0);
    }
    bool delivered = false;
    auto started = std::chrono::steady_clock::now();
    absl::Status watched = co_await WatchOnce(delivered);
    if (stopped_) break;
    if (delivered) backoff_ = milliseconds(0);
    if (need_list_) continue;  // 410: relist at once
    if (watched.ok() && !delivered &&
        std::chrono::steady_clock::now() - started < std::chrono::seconds(1)) {
      // A server that ends watches at once: do not spin.
      co_await Backoff();
    } else if (!watched.ok()) {
      log->warn("watch failed type={} resourceVersion={} error={}", type_.plural, resource_version_,
                watched.ToString());
      ++stats_.reconnects_after_error;
      co_await Backoff();
    }
  }
}

}  // namespace rmq::k8s
