#include "agent/registration/handover.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/base/status_macros.h"
#include "common/log/logger.h"
#include "common/net/blocking.h"
#include "common/rocketmq/remoting/codes.h"
#include "common/rocketmq/remoting/status.h"

namespace rmq::agent {

namespace asio = boost::asio;

struct NameServerHandover::Entry {
  explicit Entry(const asio::any_io_executor& executor) : timer(executor) {}

  HandoverInfo info;
  HandoverTimings timings;
  std::unique_ptr<rocketmq::RemotingClient> client;
  std::vector<std::unique_ptr<rocketmq::RemotingClient>> retired;
  Clock::time_point last_registered;
  asio::steady_timer timer;
  bool stopped = false;
};

NameServerHandover::NameServerHandover(asio::any_io_executor executor, rocketmq::AdminClient& admin,
                                       std::string broker_addr,
                                       rocketmq::ClientOptions client_options)
    : executor_(std::move(executor)),
      admin_(admin),
      broker_addr_(std::move(broker_addr)),
      client_options_(std::move(client_options)) {}

NameServerHandover::~NameServerHandover() { Stop(); }

asio::awaitable<absl::Status> NameServerHandover::RegisterOnce(Entry& entry, bool& broker_down) {
  broker_down = true;
  RMQ_CO_ASSIGN_OR_RETURN(rocketmq::BrokerConfig config,
                          co_await admin_.GetBrokerConfig(broker_addr_));
  RMQ_CO_ASSIGN_OR_RETURN(auto runtime, co_await admin_.GetBrokerRuntimeInfo(broker_addr_));
  RMQ_CO_ASSIGN_OR_RETURN(rocketmq::TopicConfigTable topics,
                          co_await admin_.GetAllTopicConfig(broker_addr_));
  broker_down = false;
  RMQ_CO_ASSIGN_OR_RETURN(BrokerRegistration reg,
                          RegistrationFromBroker(config.properties, runtime, std::move(topics)));
  // The client stamps its own version on requests: give this name server's client the broker's.
  if (entry.client == nullptr || entry.client->options().version != reg.version) {
    // A request of another coroutine may still wait on the old client: retire it, don't free it.
    if (entry.client != nullptr) entry.retired.push_back(std::move(entry.client));
    rocketmq::ClientOptions options = client_options_;
    options.version = reg.version;
    entry.client = std::make_unique<rocketmq::RemotingClient>(executor_, options);
  }
  absl::StatusOr<rocketmq::RemotingCommand> response =
      co_await entry.client->Invoke(entry.info.name_server, BuildRegisterBroker(reg));
  if (!response.ok()) co_return response.status();
  RMQ_CO_RETURN_IF_ERROR(rocketmq::ResponseStatus(
      *response, rocketmq::request_code::kRegisterBroker, entry.info.name_server));
  entry.info.registrations++;
  entry.last_registered = Clock::now();
  co_return absl::OkStatus();
}

asio::awaitable<absl::Status> NameServerHandover::Start(std::string name_server,
                                                        Clock::time_point register_until,
                                                        HandoverTimings timings) {
  auto log = log::Get("agent.handover");
  std::shared_ptr<Entry> entry;
  bool fresh = false;
  if (auto it = entries_.find(name_server); it != entries_.end()) {
    entry = it->second;
    entry->info.register_until = std::max(entry->info.register_until, register_until);
    entry->timings = timings;
  } else {
    entry = std::make_shared<Entry>(executor_);
    entry->info.name_server = name_server;
    entry->info.register_until = register_until;
    entry->timings = timings;
    entries_[name_server] = entry;
    fresh = true;
  }
  bool broker_down = false;
  absl::Status s = co_await RegisterOnce(*entry, broker_down);
  if (entry->stopped) co_return absl::AbortedError("handover stopped while registering");
  if (!s.ok()) {
    entry->info.last_error = std::string(s.message());
    if (fresh) Close(entry, absl::StrCat("first registration failed: ", s.ToString()));
    co_return s;
  }
  entry->info.phase = HandoverInfo::Phase::kRegistering;
  log->info(
      "registered broker {} on name server {} on its behalf; registering until the broker "
      "takes over in {} s, then holding the connection for {} s",
      broker_addr_, name_server,
      std::chrono::duration_cast<std::chrono::seconds>(
          std::max(Clock::duration::zero(), entry->info.register_until - Clock::now()))
          .count(),
      std::chrono::duration_cast<std::chrono::seconds>(timings.Hold()).count());
  if (fresh) {
    asio::co_spawn(executor_, Run(entry), net::DieOnException);
  } else {
    entry->timer.cancel();  // wake the loop: it may have been holding
  }
  co_return absl::OkStatus();
}

asio::awaitable<void> NameServerHandover::Run(std::shared_ptr<Entry> entry) {
  auto log = log::Get("agent.handover");
  boost::system::error_code ec;
  while (!entry->stopped) {
    const Clock::time_point now = Clock::now();
    if (now < entry->info.register_until) {
      entry->info.phase = HandoverInfo::Phase::kRegistering;
      entry->timer.expires_at(std::min(entry->last_registered + entry->timings.reregister_every,
                                       entry->info.register_until));
      co_await entry->timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      if (entry->stopped) break;
      if (Clock::now() < entry->info.register_until &&
          Clock::now() >= entry->last_registered + entry->timings.reregister_every) {
        bool broker_down = false;
        absl::Status s = co_await RegisterOnce(*entry, broker_down);
        if (entry->stopped) break;
        if (!s.ok()) {
          entry->info.last_error = std::string(s.message());
          if (broker_down) {
            Close(entry, absl::StrCat("the broker is unreachable: ", s.ToString()));
            break;
          }
          log->warn("re-registration on {} failed (retrying): {}", entry->info.name_server,
                    s.ToString());
          entry->last_registered = Clock::now();  // retry after reregister_every
        }
      }
      continue;
    }
    // Register phase over: hold the connection until the broker's own registration replaced ours.
    entry->info.phase = HandoverInfo::Phase::kHolding;
    entry->info.close_at = entry->last_registered + entry->timings.Hold();
    entry->timer.expires_at(entry->info.close_at);
    co_await entry->timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (entry->stopped) break;
    if (Clock::now() < entry->info.register_until) continue;  // extended meanwhile
    if (Clock::now() >= entry->info.close_at) {
      Close(entry, "the broker's own registration has taken over");
      break;
    }
  }
}

void NameServerHandover::Close(const std::shared_ptr<Entry>& entry, const std::string& why) {
  if (entry->stopped) return;
  entry->stopped = true;
  entry->timer.cancel();
  if (entry->client != nullptr) entry->client->Shutdown();
  for (auto& client : entry->retired) client->Shutdown();
  auto it = entries_.find(entry->info.name_server);
  if (it != entries_.end() && it->second == entry) entries_.erase(it);
  log::Get("agent.handover")
      ->info("handover on name server {} ended after {} registrations: {}", entry->info.name_server,
             entry->info.registrations, why);
}

void NameServerHandover::StopExcept(const std::set<std::string>& keep) {
  std::vector<std::shared_ptr<Entry>> gone;
  for (const auto& [ns, entry] : entries_) {
    if (keep.count(ns) == 0) gone.push_back(entry);
  }
  for (const auto& entry : gone) Close(entry, "removed from the broker's name-server list");
}

void NameServerHandover::Stop() {
  std::vector<std::shared_ptr<Entry>> all;
  for (const auto& [ns, entry] : entries_) all.push_back(entry);
  for (const auto& entry : all) Close(entry, "agent shutting down");
}

std::vector<HandoverInfo> NameServerHandover::Snapshot() const {
  std::vector<HandoverInfo> out;
  for (const auto& [ns, entry] : entries_) out.push_back(entry->info);
  return out;
}

}  // namespace rmq::agent
