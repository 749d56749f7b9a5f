#include "agent/metrics/broker_reader.h"

#include <chrono>
#include <utility>
#include <vector>

#include "common/log/logger.h"

namespace rmq::agent {

namespace asio = boost::asio;

asio::awaitable<BrokerSnapshot> ReadBrokerSnapshot(rocketmq::AdminClient& admin, std::string broker,
                                                   uint64_t refresh_count) {
  const auto started = std::chrono::steady_clock::now();
  BrokerSnapshot s;
  s.refresh_count = refresh_count;
  s.refreshed_at_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  auto log = log::Get("agent.metrics");

  absl::StatusOr<rocketmq::BrokerConfig> config = co_await admin.GetBrokerConfig(broker);
  s.config_status = config.status();
  if (config.ok()) {
    s.config = std::move(config->properties);
    absl::StatusOr<std::map<std::string, std::string>> runtime =
        co_await admin.GetBrokerRuntimeInfo(broker);
    s.runtime_status = runtime.status();
    if (runtime.ok()) {
      s.runtime = *std::move(runtime);
    } else {
      ++s.failed_reads;
      log->debug("metrics: runtime info failed: {}", s.runtime_status.ToString());
    }

    std::vector<std::string> topics;
    absl::StatusOr<rocketmq::TopicConfigTable> table = co_await admin.GetAllTopicConfig(broker);
    if (table.ok()) {
      topics = TopicsToRead(*table, s.config);
    } else {
      ++s.failed_reads;
      log->warn("metrics: reading the topic table failed: {}", table.status().ToString());
    }
    for (const std::string& topic : topics) {
      absl::StatusOr<rocketmq::TopicStats> stats = co_await admin.GetTopicStats(broker, topic);
      if (stats.ok()) {
        s.topic_stats.emplace(topic, *std::move(stats));
      } else {
        ++s.failed_reads;  // e.g. deleted since the table was read
        log->debug("metrics: topic stats of {} failed: {}", topic, stats.status().ToString());
      }
    }
    if (ReportsTopicMetrics(s.config)) {
      absl::StatusOr<std::vector<rocketmq::ConsumerOffsets>> offsets =
          co_await admin.GetAllConsumerOffsets(broker);
      if (offsets.ok()) {
        s.consumer_offsets = *std::move(offsets);
      } else {
        ++s.failed_reads;
        log->warn("metrics: reading consumer offsets failed: {}", offsets.status().ToString());
      }
    }
  } else {
    ++s.failed_reads;
  }
  s.refresh_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  log->debug("metrics refresh={} topics={} offsets={} failed_reads={} seconds={:.3f}",
             refresh_count, s.topic_stats.size(), s.consumer_offsets.size(), s.failed_reads,
             s.refresh_seconds);
  co_return s;
}

}  // namespace rmq::agent
