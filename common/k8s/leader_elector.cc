#include "common/k8s/leader_elector.h"

#include <algorithm>
#include <exception>
#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/base/check.h"
#include "common/k8s/api.h"
#include "common/log/logger.h"
#include "common/net/blocking.h"

namespace rmq::k8s {
namespace {

namespace asio = boost::asio;

std::shared_ptr<spdlog::logger> Log() { return log::Get("k8s.leader"); }

// A request raced with a deadline: whichever ends first wakes the waiter. Shared with the request
// coroutine, which may outlive the wait (an abandoned request).
struct Race {
  explicit Race(const asio::any_io_executor& executor) : timer(executor) {}
  asio::steady_timer timer;
  std::optional<absl::StatusOr<Json>> result{};
};

}  // namespace

absl::Status LeaderElector::Validate(const LeaderElectionConfig& config) {
  if (config.identity.empty()) {
    return absl::InvalidArgumentError("leader election: the identity must not be empty");
  }
  if (config.retry_period.count() <= 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "leader election: retry period (", config.retry_period.count(), " s) must be positive"));
  }
  // renew_deadline > 1.2 * retry_period, in whole numbers.
  if (config.renew_deadline * 5 <= config.retry_period * 6) {
    return absl::InvalidArgumentError(absl::StrCat(
        "leader election: renew deadline (", config.renew_deadline.count(),
        " s) must be greater than 1.2 * retry period (", config.retry_period.count(), " s)"));
  }
  if (config.lease_duration <= config.renew_deadline) {
    return absl::InvalidArgumentError(absl::StrCat(
        "leader election: lease duration (", config.lease_duration.count(),
        " s) must be greater than the renew deadline (", config.renew_deadline.count(), " s)"));
  }
  return absl::OkStatus();
}

LeaderElector::LeaderElector(Client& client, std::string ns, std::string lease_name,
                             LeaderElectionConfig config, Callbacks callbacks)
    : client_(client),
      ns_(std::move(ns)),
      name_(std::move(lease_name)),
      config_(std::move(config)),
      callbacks_(std::move(callbacks)),
      election_(config_) {
  RMQ_CHECK(Validate(config_).ok());
  RMQ_CHECK(!ns_.empty() && !name_.empty());
}

asio::awaitable<void> LeaderElector::Run() {
  RMQ_CHECK(!running_);
  running_ = true;
  const asio::any_io_executor executor = co_await asio::this_coro::executor;
  asio::steady_timer timer(executor);
  sleep_timer_ = &timer;
  Log()->info(
      "campaigning lease={} identity={} lease_duration_s={} renew_deadline_s={} "
      "retry_period_s={}",
      LeaseId(), config_.identity, config_.lease_duration.count(), config_.renew_deadline.count(),
      config_.retry_period.count());
  while (!stop_requested_) {
    // Steps start every retry period: one that ran into its deadline is followed by the next at
    // once, so a leader gets as many attempts to renew as its deadline allows.
    const Clock::time_point next_step = Clock::now() + config_.retry_period;
    // A step still in flight when our leadership runs out ends there, so that stopped_leading
    // comes on time even while requests hang; so does the sleep.
    const Clock::time_point deadline = std::min(next_step, LeadingUntil());
    co_await Step(deadline);
    Report();
    if (stop_requested_) break;
    timer.expires_at(std::min(next_step, LeadingUntil()));
    boost::system::error_code ignored;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
    Report();
  }
  sleep_timer_ = nullptr;
  running_ = false;
  if (leading_) {
    leading_ = false;
    Log()->info("stopped leading lease={} identity={} reason=elector stopped", LeaseId(),
                config_.identity);
    if (callbacks_.stopped_leading) callbacks_.stopped_leading();
  }
}

void LeaderElector::Stop() {
  stop_requested_ = true;
  if (sleep_timer_ != nullptr) sleep_timer_->cancel();
}

bool LeaderElector::Leading() const { return leading_ && election_.Leading(Clock::now()); }

LeaderElector::Clock::time_point LeaderElector::LeadingUntil() const {
  if (!leading_ || !renewed_at_.has_value()) return Clock::time_point::max();
  return *renewed_at_ + config_.renew_deadline;
}

asio::awaitable<void> LeaderElector::Step(Clock::time_point deadline) {
  absl::StatusOr<Json> read =
      co_await WithDeadline(client_.Get(Leases(), ns_, name_), deadline, "reading the lease");
  std::optional<LeaseRecord> current;
  if (read.ok()) {
    current = LeaseRecordFromJson(*read);
  } else if (!IsApiNotFound(read.status())) {
    LogFailure("reading the lease", read.status());
    co_return;
  }
  if (current.has_value() && current->holder != observed_holder_) {
    observed_holder_ = current->holder;
    if (observed_holder_ != config_.identity) {
      Log()->info("lease holder is now holder={} lease={} transitions={}",
                  observed_holder_.empty() ? "(released)" : observed_holder_, LeaseId(),
                  current->transitions);
    }
  }

  const Clock::time_point now = Clock::now();
  const LeaderElection::Step step =
      election_.Decide(current, now, std::chrono::system_clock::now());
  if (step.write == LeaderElection::Write::kNone) {
    consecutive_failures_ = 0;
    co_return;  // another holder's lease is still fresh
  }
  absl::StatusOr<Json> written;
  std::string what;
  if (step.write == LeaderElection::Write::kCreate) {
    what = "creating the lease";
    Json lease = {{"apiVersion", Leases().ApiVersion()},
                  {"kind", Leases().kind},
                  {"metadata", {{"name", name_}, {"namespace", ns_}}},
                  {"spec", LeaseSpecToJson(step.record)}};
    written = co_await WithDeadline(client_.Create(Leases(), std::move(lease)), deadline, what);
  } else {
    what = "updating the lease";
    // The object as read, so its resourceVersion makes the write fail if anyone wrote meanwhile;
    // labels and annotations others set are kept.
    Json lease = *std::move(read);
    lease["spec"] = LeaseSpecToJson(step.record);
    written = co_await WithDeadline(client_.Replace(Leases(), std::move(lease)), deadline, what);
  }
  if (!written.ok()) {
    LogFailure(what, written.status());
    co_return;
  }
  // The time the write was sent, not answered: our leadership ends no later than anyone else's
  // view of the lease.
  election_.Written(step.record, now);
  renewed_at_ = now;
  if (consecutive_failures_ > 0) {
    Log()->info("lease written again after failed_steps={} lease={}", consecutive_failures_,
                LeaseId());
  }
  consecutive_failures_ = 0;
}

void LeaderElector::Report() {
  const bool leading = election_.Leading(Clock::now());
  if (leading == leading_) return;
  leading_ = leading;
  if (leading) {
    Log()->info("started leading lease={} identity={}", LeaseId(), config_.identity);
    if (callbacks_.started_leading) callbacks_.started_leading();
  } else {
    Log()->warn("stopped leading lease={} identity={} reason=no renewal within {} s", LeaseId(),
                config_.identity, config_.renew_deadline.count());
    if (callbacks_.stopped_leading) callbacks_.stopped_leading();
  }
}

asio::awaitable<absl::StatusOr<Json>> LeaderElector::WithDeadline(
    asio::awaitable<absl::StatusOr<Json>> op, Clock::time_point deadline, const std::string& what) {
  const asio::any_io_executor executor = co_await asio::this_coro::executor;
  auto race = std::make_shared<Race>(executor);
  race->timer.expires_at(deadline);
  asio::co_spawn(executor, std::move(op),
                 [race](const std::exception_ptr& error, absl::StatusOr<Json> result) {
                   if (error) net::DieOnException(error);
                   race->result = std::move(result);
                   race->timer.cancel();
                 });
  if (!race->result.has_value()) {
    boost::system::error_code ignored;
    co_await race->timer.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
  }
  if (race->result.has_value()) co_return *std::move(race->result);
  co_return absl::DeadlineExceededError(
      absl::StrCat(what, ": no answer before the step's deadline (the retry period of ",
                   config_.retry_period.count(), " s, or the end of our leadership); abandoned"));
}

asio::awaitable<void> LeaderElector::Release() {
  RMQ_CHECK(!running_);
  // A few rounds: a write of ours still in flight from Run() may land between read and write.
  for (int attempt = 0; attempt < 3; ++attempt) {
    absl::StatusOr<Json> read =
        co_await WithDeadline(client_.Get(Leases(), ns_, name_),
                              Clock::now() + config_.retry_period, "reading the lease");
    if (!read.ok()) {
      if (!IsApiNotFound(read.status())) {
        Log()->warn("cannot release lease={} (it will expire) error={}", LeaseId(),
                    read.status().ToString());
      }
      co_return;
    }
    const LeaseRecord current = LeaseRecordFromJson(*read);
    if (current.holder != config_.identity) {
      Log()->debug("not releasing lease={}: held by holder={}", LeaseId(), current.holder);
      co_return;
    }
    // As client-go's ReleaseOnCancel: no holder, and a 1 s duration for anyone who still waits.
    const std::string now = MicroTime(std::chrono::system_clock::now());
    LeaseRecord released;
    released.duration_s = 1;
    released.acquire_time = now;
    released.renew_time = now;
    released.transitions = current.transitions;
    Json lease = *std::move(read);
    lease["spec"] = LeaseSpecToJson(released);
    absl::StatusOr<Json> written =
        co_await WithDeadline(client_.Replace(Leases(), std::move(lease)),
                              Clock::now() + config_.retry_period, "releasing the lease");
    if (written.ok()) {
      election_ = LeaderElection(config_);
      renewed_at_.reset();
      Log()->info("released lease={} identity={}", LeaseId(), config_.identity);
      co_return;
    }
    if (!IsApiConflict(written.status())) {
      Log()->warn("cannot release lease={} (it will expire) error={}", LeaseId(),
                  written.status().ToString());
      co_return;
    }
    Log()->debug("lease={} changed while releasing it, reading it again", LeaseId());
  }
  Log()->warn("cannot release lease={} (it will expire): it kept changing", LeaseId());
}

void LeaderElector::LogFailure(const std::string& what, const absl::Status& status) {
  if (IsApiConflict(status) || IsApiAlreadyExists(status)) {
    Log()->debug("lost the race {} lease={}: another candidate wrote it first", what, LeaseId());
    return;
  }
  ++consecutive_failures_;
  if (leading_ || consecutive_failures_ == 1) {
    Log()->warn("failed {} lease={} leading={} failed_steps={} error={}", what, LeaseId(), leading_,
                consecutive_failures_, status.ToString());
  } else {
    Log()->debug("failed {} lease={} failed_steps={} error={}", what, LeaseId(),
                 consecutive_failures_, status.ToString());
  }
}

std::string LeaderElector::LeaseId() const { return absl::StrCat(ns_, "/", name_); }

}  // namespace rmq::k8s
