// informer.h: list + watch of one resource type into an ObjectStore, with event handlers.
//
// Run() lists (paged), hands the differences to the handlers (ObjectStore::Replace), then
// watches from the list's resourceVersion with bookmarks, applying each event. It never gives up
// until Stop():
//  - the server ends a watch (its timeout, ~5 min here with jitter): watch again from the last
//    resourceVersion seen (an event's or a bookmark's) at once;
//  - 410 Gone (at watch start, or as an ERROR event: the version fell out of etcd's history):
//    relist; the store's diff reports the objects that vanished meanwhile as deletes;
//  - the connection fails or stays silent longer than `idle_timeout`: reconnect after an
//    exponential backoff with jitter (reset after a watch delivered something).
// Handlers run on the informer's executor, in order, and must not block.
//
// Threading: confined to one executor; Stop() must be called from it.
//
// Example:
//   Informer informer(client, ConfigMaps(), {.ns = "ops"});
//   informer.AddHandler([&](const ObjectEvent& e) { queue.Add(ObjectStore::KeyOf(e.object)); });
//   asio::co_spawn(executor, informer.Run(), asio::detached);
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "common/k8s/client.h"
#include "common/k8s/object_store.h"

namespace rmq::k8s {

struct InformerOptions {
  std::string ns{};  // "" = all namespaces
  std::string label_selector{};
  std::string field_selector{};
  int64_t page_size = 500;
  std::chrono::seconds watch_timeout{300};  // +-10% jitter per watch
  // No byte for this long (not even a bookmark) = a dead connection.
  std::chrono::milliseconds idle_timeout{360'000};
  std::chrono::milliseconds initial_backoff{800};
  std::chrono::milliseconds max_backoff{30'000};
  // Drop metadata.managedFields from cached objects (server-side apply bookkeeping, often the
  // largest part of an object; controllers never read it).
  bool strip_managed_fields = true;
};

struct InformerStats {
  int lists = 0;
  int watches = 0;
  int relists_after_gone = 0;
  int reconnects_after_error = 0;
  int64_t events = 0;  // watch events applied (bookmarks excluded)
};

class Informer {
 public:
  using Handler = std::function<void(const ObjectEvent&)>;

  Informer(Client& client, const ResourceType& type, InformerOptions options);

  // Call before Run().
  void AddHandler(Handler handler) { handlers_.push_back(std::move(handler)); }
  // Called once, after the first list has been handed to the handlers.
  void OnSynced(std::function<void()> callback) { on_synced_ = std::move(callback); }

  boost::asio::awaitable<void> Run();
  void Stop();

  bool HasSynced() const { return synced_; }
  const ObjectStore& store() const { return store_; }
  const std::string& resource_version() const { return resource_version_; }
  const InformerStats& stats() const { return stats_; }

 private:
  boost::asio::awaitable<absl::Status> ListAndReplace();
  // Watches until the stream ends or fails; sets need_list_ on 410.
  boost::asio::awaitable<absl::Status> WatchOnce(bool& delivered);
  boost::asio::awaitable<void> Backoff();
  void Dispatch(const ObjectEvent& event);

  Client& client_;
  const ResourceType& type_;
  InformerOptions options_;
  std::vector<Handler> handlers_;
  std::function<void()> on_synced_;
  ObjectStore store_;
  std::string resource_version_;
  bool need_list_ = true;
  bool synced_ = false;
  bool stopped_ = false;
  std::chrono::milliseconds backoff_{0};
  std::unique_ptr<boost::asio::steady_timer> timer_;
  WatchStream* watch_ = nullptr;  // the open watch, for Stop()
  std::minstd_rand random_;
  InformerStats stats_;
};

}  // namespace rmq::k8s
