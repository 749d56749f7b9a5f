// broker_metrics.h: Prometheus metric families for one broker, from what the agent read from it.
//
// Pure: the I/O layer (broker_reader.h) fills a BrokerSnapshot; BuildBrokerMetrics() turns it into
// metric families. Nothing here does I/O or reads a clock. Thread-compatible.
//
// Names and labels follow the Apache rocketmq-exporter (RMQMetricsCollector) where they overlap,
// so its Grafana dashboards and alert rules keep working:
//   rocketmq_broker_tps / rocketmq_broker_qps            {cluster, brokerIP, broker}
//   rocketmq_brokeruntime_*                              {cluster, brokerIP, brokerHost, des,
//                                                         boottime, broker_version, broker}
//   rocketmq_producer_offset / _tps, rocketmq_topic_retry_offset   {cluster, broker, topic}
//   rocketmq_topic_dlq_offset                            {cluster, broker, group}
//   rocketmq_consumer_offset                             {cluster, broker, topic, group}
//   rocketmq_group_diff / rocketmq_group_retrydiff       {group, topic, cluster, broker}
// Differences, by design of a per-broker sidecar:
//  - Every agent reports its own broker, so per-topic and per-group values are this broker's
//    share (the exporter sums over brokers); `sum by (topic)` gives the cluster total.
//    rocketmq_brokeruntime_* also carry `broker` (the exporter's have no broker name).
//  - rocketmq_broker_tps/qps come from GET_BROKER_RUNTIME_INFO's putTps/getTransferredTps
//    (the 60 s window; the 10 s one until the broker has a minute of samples), not from
//    VIEW_BROKER_STATS_DATA: same counters, one request less.
//  - rocketmq_group_diff is max offset - committed offset per queue, summed (as the broker's
//    consume stats compute it), from the topic stats and the consumer offset table: two reads
//    per scrape instead of one consume-stats request per group. The exporter's
//    countOfOnlineConsumers/msgModel labels would need one connection-list request per group and
//    are left out.
//  - Slaves report broker runtime metrics only: their topic and group offsets mirror the
//    master's under the same `broker` label and would be counted twice.
//  - brokerHost is the pod name (POD_NAME) when known; the exporter leaves it empty.
// The agent's own families: rocketmq_agent_broker_up, rocketmq_agent_metrics_refreshes_total,
// rocketmq_agent_metrics_last_refresh_{timestamp,duration}_seconds,
// rocketmq_agent_metrics_last_refresh_errors.
//
// Example:
//   BrokerSnapshot snap = co_await ReadBrokerSnapshot(admin, broker, ...);
//   std::vector<prometheus::MetricFamily> families = BuildBrokerMetrics(snap, {.host = pod});
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "common/rocketmq/admin/types.h"
#include "prometheus/metric_family.h"

namespace rmq::agent {

// What one metrics refresh read from the broker.
struct BrokerSnapshot {
  // GET_BROKER_CONFIG; when it fails the broker is down and nothing else was read.
  absl::Status config_status = absl::UnavailableError("not read");
  std::map<std::string, std::string> config;
  // GET_BROKER_RUNTIME_INFO.
  absl::Status runtime_status = absl::UnavailableError("not read");
  std::map<std::string, std::string> runtime;
  // GET_TOPIC_STATS_INFO per topic (see TopicsToRead()); failed topics are missing here and
  // counted in `failed_reads`.
  std::map<std::string, rocketmq::TopicStats> topic_stats;
  // GET_ALL_CONSUMER_OFFSET; empty when it failed (counted in `failed_reads`).
  std::vector<rocketmq::ConsumerOffsets> consumer_offsets;
  // Broker requests of this refresh that failed.
  int failed_reads = 0;
  // Refresh bookkeeping, filled by the reader.
  uint64_t refresh_count = 0;   // refreshes so far, this one included
  int64_t refreshed_at_ms = 0;  // wall clock at the start of the refresh
  double refresh_seconds = 0;   // how long the refresh took
};

struct BrokerMetricsContext {
  std::string host;  // brokerHost label: the pod name, if known
};

// The families for `snapshot`, sorted by name; label values are taken from the broker's config
// and runtime info. Families without samples are left out, except the agent's own.
std::vector<prometheus::MetricFamily> BuildBrokerMetrics(const BrokerSnapshot& snapshot,
                                                         const BrokerMetricsContext& context);

// False for slaves (brokerRole=SLAVE): they report runtime metrics only.
bool ReportsTopicMetrics(const std::map<std::string, std::string>& config);

// The topics whose stats a refresh reads: this broker's topics without system topics, retry and
// dead-letter topics included. Empty for slaves.
std::vector<std::string> TopicsToRead(const rocketmq::TopicConfigTable& topics,
                                      const std::map<std::string, std::string>& config);

// "235.9 GiB" -> bytes (B, KiB..EiB, and KB..EB as powers of 1000); nullopt if unparsable.
std::optional<double> ParseByteSize(const std::string& text);

}  // namespace rmq::agent
