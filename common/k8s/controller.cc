#include "common/k8s/controller.h"

#include <exception>
#include <utility>

#include "common/log/logger.h"

namespace rmq::k8s {
namespace {

namespace asio = boost::asio;
using Clock = WorkQueue::Clock;

}  // namespace

Controller::Controller(asio::any_io_executor executor, Reconcile reconcile, Options options)
    : executor_(std::move(executor)),
      reconcile_(std::move(reconcile)),
      options_(options),
      queue_(options.queue),
      wake_(executor_) {}

void Controller::Wake() { wake_.cancel(); }

void Controller::Enqueue(const std::string& key) {
  queue_.Add(key, Clock::now());
  Wake();
}

void Controller::EnqueueAfter(const std::string& key, std::chrono::milliseconds delay) {
  Clock::time_point now = Clock::now();
  queue_.AddAfter(key, now + delay, now);
  Wake();
}

void Controller::Stop() {
  stopped_ = true;
  Wake();
}

asio::awaitable<void> Controller::Work(std::string key) {
  Result result;
  try {
    result = co_await reconcile_(key);
  } catch (const std::exception& e) {
    result.status = absl::InternalError(std::string("reconcile threw: ") + e.what());
  }
  ++reconciles_;
  Clock::time_point now = Clock::now();
  if (!result.status.ok()) {
    std::chrono::nanoseconds delay = queue_.AddRateLimited(key, now);
    log::Get("k8s.controller")
        ->warn("reconcile failed key={} retry_in_ms={} error={}", key,
               std::chrono::duration_cast<std::chrono::milliseconds>(delay).count(),
               result.status.ToString());
  } else {
    queue_.Forget(key);
    if (result.requeue_after) queue_.AddAfter(key, now + *result.requeue_after, now);
  }
  queue_.Done(key, now);
  --active_;
  Wake();
}

asio::awaitable<void> Controller::Run() {
  while (!stopped_ || active_ > 0) {
    Clock::time_point now = Clock::now();
    while (!stopped_ && active_ < options_.workers) {
      std::optional<std::string> key = queue_.Pop(now);
      if (!key) break;
      ++active_;
      asio::co_spawn(executor_, Work(*std::move(key)), asio::detached);
    }
    std::optional<Clock::time_point> next = queue_.NextReadyTime();
    if (next && !stopped_) {
      wake_.expires_at(*next);
    } else {
      wake_.expires_at(Clock::time_point::max());
    }
    boost::system::error_code ignored;
    co_await wake_.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
  }
}

asio::awaitable<void> RunInformerAndController(asio::any_io_executor executor, Informer& informer,
                                               Controller& controller) {
  bool informer_done = false;
  asio::steady_timer done(executor, asio::steady_timer::time_point::max());
  asio::co_spawn(executor, informer.Run(), [&](const std::exception_ptr&) {
    informer_done = true;
    done.cancel();
  });
  co_await controller.Run();
  while (!informer_done) {
    boost::system::error_code ec;
    co_await done.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
}

}  // namespace rmq::k8s
