#include "agent/state/observe.h"

#include <chrono>
#include <utility>
#include <vector>

#include "common/net/when_all.h"

namespace rmq::agent {

boost::asio::awaitable<BrokerObservation> ObserveBroker(rocketmq::AdminClient& admin,
                                                        std::string broker,
                                                        ObserveOptions options) {
  BrokerObservation o;
  absl::StatusOr<rocketmq::BrokerConfig> config = co_await admin.GetBrokerConfig(broker);
  o.config_status = config.status();
  if (config.ok()) {
    o.config = std::move(config->properties);
    absl::StatusOr<std::map<std::string, std::string>> runtime =
        co_await admin.GetBrokerRuntimeInfo(broker);
    o.runtime_status = runtime.status();
    if (runtime.ok()) o.runtime = *std::move(runtime);
    if (options.tables) {
      absl::StatusOr<rocketmq::TopicConfigTable> topics = co_await admin.GetAllTopicConfig(broker);
      if (topics.ok()) o.topics = *std::move(topics);
      absl::StatusOr<rocketmq::SubscriptionGroupTable> groups =
          co_await admin.GetAllSubscriptionGroups(broker);
      if (groups.ok()) o.groups = *std::move(groups);
    }
    auto role = o.config.find("brokerRole");
    if (options.replication && role != o.config.end() && role->second != "SLAVE") {
      // Older brokers lack the request; the state then simply has no slaves.
      absl::StatusOr<rocketmq::HaRuntimeInfo> ha = co_await admin.GetBrokerHaStatus(broker);
      if (ha.ok()) o.ha = *std::move(ha);
    }
    if (options.registrations) {
      co_await ObserveRegistrations(admin, o);
    }
  }
  o.observed_at_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
  co_return o;
}

boost::asio::awaitable<void> ObserveRegistrations(rocketmq::AdminClient& admin,
                                                  BrokerObservation& o) {
  auto it = o.config.find("namesrvAddr");
  const std::vector<std::string> name_servers =
      SplitNameServers(it == o.config.end() ? "" : it->second);
  std::vector<boost::asio::awaitable<absl::StatusOr<rocketmq::ClusterInfo>>> calls;
  calls.reserve(name_servers.size());
  for (const std::string& ns : name_servers) calls.push_back(admin.GetBrokerClusterInfo(ns));
  const boost::asio::any_io_executor executor = co_await boost::asio::this_coro::executor;
  std::vector<absl::StatusOr<rocketmq::ClusterInfo>> infos =
      co_await net::WhenAll(executor, std::move(calls));
  for (size_t i = 0; i < name_servers.size(); ++i) {
    o.name_servers.emplace(name_servers[i], std::move(infos[i]));
  }
}

}  // namespace rmq::agent
