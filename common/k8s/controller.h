// controller.h: runs a reconcile function over a WorkQueue (the async driver of work_queue.h).
//
// Keys ("namespace/name") come from informer handlers through Enqueue(); up to `workers`
// reconciles run at once, never two for the same key. A reconcile returns its status and,
// optionally, when to look again: an error requeues the key with its per-key exponential backoff
// (and the overall rate limit); success forgets the backoff and requeues only if asked. A timer
// sleeps until the next delayed key is due; nothing polls.
//
// Threading: confined to one executor; Enqueue() and Stop() must be called from it.
//
// Example:
//   Controller controller(executor, [&](const std::string& key) -> asio::awaitable<Result> {
//     co_return Controller::Result{.status = co_await Reconcile(key)};
//   }, {});
//   informer.AddHandler([&](const ObjectEvent& e) {
//   controller.Enqueue(ObjectStore::KeyOf(e.object)); }); asio::co_spawn(executor,
//   controller.Run(), asio::detached);
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "common/k8s/informer.h"
#include "common/k8s/work_queue.h"
#include "common/net/asio.h"

namespace rmq::k8s {

class Controller {
 public:
  struct Result {
    absl::Status status = absl::OkStatus();
    std::optional<std::chrono::milliseconds> requeue_after{};
  };
  using Reconcile = std::function<boost::asio::awaitable<Result>(const std::string& key)>;

  struct Options {
    int workers = 2;
    WorkQueue::Options queue{};
  };

  Controller(boost::asio::any_io_executor executor, Reconcile reconcile, Options options);

  void Enqueue(const std::string& key);
  void EnqueueAfter(const std::string& key, std::chrono::milliseconds delay);

  // Dispatches until Stop(); returns once running reconciles finished.
  boost::asio::awaitable<void> Run();
  void Stop();

  int active() const { return active_; }
  int64_t reconciles() const { return reconciles_; }
  const WorkQueue& queue() const { return queue_; }

 private:
  boost::asio::awaitable<void> Work(std::string key);
  void Wake();

  boost::asio::any_io_executor executor_;
  Reconcile reconcile_;
  Options options_;
  WorkQueue queue_;
  boost::asio::steady_timer wake_;
  int active_ = 0;
  int64_t reconciles_ = 0;
  bool stopped_ = false;
};

// Runs `informer` beside `controller` (whose handlers the informer feeds) on `executor` until
// both have been stopped: the usual body of a single-resource controller's Run().
boost::asio::awaitable<void> RunInformerAndController(boost::asio::any_io_executor executor,
                                                      Informer& informer, Controller& controller);

}  // namespace rmq::k8s
