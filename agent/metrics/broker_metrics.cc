#include "agent/metrics/broker_metrics.h"

#include <algorithm>
#include <iterator>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "agent/metadata/metadata.h"

namespace rmq::agent {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;
using Labels = std::vector<std::pair<std::string, std::string>>;

constexpr const char* kRetryPrefix = "%RETRY%";
constexpr const char* kDlqPrefix = "%DLQ%";

bool StartsWith(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }

std::string Get(const std::map<std::string, std::string>& m, const std::string& key) {
  auto it = m.find(key);
  return it == m.end() ? "" : it->second;
}

std::optional<double> Number(const std::string& text) {
  double v = 0;
  if (!absl::SimpleAtod(text, &v)) return std::nullopt;
  return v;
}

// Runtime info rates are "10s 60s 600s" windows separated by spaces; windows without samples yet
// are empty ("0.0  " right after boot).
std::optional<double> Window(const std::string& text, size_t index) {
  std::vector<std::string> parts = absl::StrSplit(text, ' ', absl::SkipEmpty());
  if (index >= parts.size()) return std::nullopt;
  return Number(parts[index]);
}

// Collects samples by family name; families come out sorted by name.
class Families {
 public:
  void Add(const std::string& name, MetricType type, const std::string& help, const Labels& labels,
           double value) {
    MetricFamily& f = families_[name];
    if (f.name.empty()) {
      f.name = name;
      f.help = help;
      f.type = type;
    }
    ClientMetric m;
    for (const auto& [k, v] : labels) m.label.push_back({k, v});
    if (type == MetricType::Counter) {
      m.counter.value = value;
    } else {
      m.gauge.value = value;
    }
    f.metric.push_back(std::move(m));
  }
  void Gauge(const std::string& name, const std::string& help, const Labels& labels, double value) {
    Add(name, MetricType::Gauge, help, labels, value);
  }

  std::vector<MetricFamily> Take() {
    std::vector<MetricFamily> out;
    out.reserve(families_.size());
    for (auto& [name, f] : families_) out.push_back(std::move(f));
    return out;
  }

 private:
  std::map<std::string, MetricFamily> families_;
};

enum class Parse { kNumber, kWindow10s, kWindow60s, kWindow600s, kBytes };

struct RuntimeGauge {
  const char* name;
  const char* key;
  Parse parse;
};

// rocketmq-exporter's rocketmq_brokeruntime_* names (spelling included) and their runtime keys.
constexpr RuntimeGauge kRuntimeGauges[] = {
    {"rocketmq_brokeruntime_msg_put_total_today_now", "msgPutTotalTodayNow", Parse::kNumber},
    {"rocketmq_brokeruntime_msg_gettotal_today_now", "msgGetTotalTodayNow", Parse::kNumber},
    {"rocketmq_brokeruntime_msg_puttotal_todaymorning", "msgPutTotalTodayMorning", Parse::kNumber},
    {"rocketmq_brokeruntime_msg_gettotal_todaymorning", "msgGetTotalTodayMorning", Parse::kNumber},
    {"rocketmq_brokeruntime_msg_puttotal_yesterdaymorning", "msgPutTotalYesterdayMorning",
     Parse::kNumber},
    {"rocketmq_brokeruntime_msg_gettotal_yesterdaymorning", "msgGetTotalYesterdayMorning",
     Parse::kNumber},
    {"rocketmq_brokeruntime_dispatch_behind_bytes", "dispatchBehindBytes", Parse::kNumber},
    {"rocketmq_brokeruntime_put_message_size_total", "putMessageSizeTotal", Parse::kNumber},
    {"rocketmq_brokeruntime_put_message_average_size", "putMessageAverageSize", Parse::kNumber},
    {"rocketmq_brokeruntime_query_threadpool_queue_capacity", "queryThreadPoolQueueCapacity",
     Parse::kNumber},
    {"rocketmq_brokeruntime_remain_transientstore_buffer_numbs", "remainTransientStoreBufferNumbs",
     Parse::kNumber},
    {"rocketmq_brokeruntime_earliest_message_timestamp", "earliestMessageTimeStamp",
     Parse::kNumber},
    {"rocketmq_brokeruntime_putmessage_entire_time_max", "putMessageEntireTimeMax", Parse::kNumber},
    {"rocketmq_brokeruntime_start_accept_sendrequest_time", "startAcceptSendRequestTimeStamp",
     Parse::kNumber},
    {"rocketmq_brokeruntime_send_threadpool_queue_size", "sendThreadPoolQueueSize", Parse::kNumber},
    {"rocketmq_brokeruntime_putmessage_times_total", "putMessageTimesTotal", Parse::kNumber},
    {"rocketmq_brokeruntime_getmessage_entire_time_max", "getMessageEntireTimeMax", Parse::kNumber},
    {"rocketmq_brokeruntime_pagecache_lock_time_mills", "pageCacheLockTimeMills", Parse::kNumber},
    {"rocketmq_brokeruntime_commitlog_disk_ratio", "commitLogDiskRatio", Parse::kNumber},
    {"rocketmq_brokeruntime_consumequeue_disk_ratio", "consumeQueueDiskRatio", Parse::kNumber},
    {"rocketmq_brokeruntime_getfound_tps600", "getFoundTps", Parse::kWindow600s},
    {"rocketmq_brokeruntime_getfound_tps60", "getFoundTps", Parse::kWindow60s},
    {"rocketmq_brokeruntime_getfound_tps10", "getFoundTps", Parse::kWindow10s},
    {"rocketmq_brokeruntime_gettotal_tps600", "getTotalTps", Parse::kWindow600s},
    {"rocketmq_brokeruntime_gettotal_tps60", "getTotalTps", Parse::kWindow60s},
    {"rocketmq_brokeruntime_gettotal_tps10", "getTotalTps", Parse::kWindow10s},
    {"rocketmq_brokeruntime_gettransfered_tps600", "getTransferredTps", Parse::kWindow600s},
    {"rocketmq_brokeruntime_gettransfered_tps60", "getTransferredTps", Parse::kWindow60s},
    {"rocketmq_brokeruntime_gettransfered_tps10", "getTransferredTps", Parse::kWindow10s},
    {"rocketmq_brokeruntime_getmiss_tps600", "getMissTps", Parse::kWindow600s},
    {"rocketmq_brokeruntime_getmiss_tps60", "getMissTps", Parse::kWindow60s},
    {"rocketmq_brokeruntime_getmiss_tps10", "getMissTps", Parse::kWindow10s},
    {"rocketmq_brokeruntime_put_tps600", "putTps", Parse::kWindow600s},
    {"rocketmq_brokeruntime_put_tps60", "putTps", Parse::kWindow60s},
    {"rocketmq_brokeruntime_put_tps10", "putTps", Parse::kWindow10s},
    {"rocketmq_brokeruntime_dispatch_maxbuffer", "dispatchMaxBuffer", Parse::kNumber},
    {"rocketmq_brokeruntime_pull_threadpoolqueue_capacity", "pullThreadPoolQueueCapacity",
     Parse::kNumber},
    {"rocketmq_brokeruntime_send_threadpoolqueue_capacity", "sendThreadPoolQueueCapacity",
     Parse::kNumber},
    {"rocketmq_brokeruntime_pull_threadpoolqueue_size", "pullThreadPoolQueueSize", Parse::kNumber},
    {"rocketmq_brokeruntime_query_threadpoolqueue_size", "queryThreadPoolQueueSize",
     Parse::kNumber},
    {"rocketmq_brokeruntime_pull_threadpoolqueue_headwait_timemills",
     "pullThreadPoolQueueHeadWaitTimeMills", Parse::kNumber},
    {"rocketmq_brokeruntime_query_threadpoolqueue_headwait_timemills",
     "queryThreadPoolQueueHeadWaitTimeMills", Parse::kNumber},
    {"rocketmq_brokeruntime_send_threadpoolqueue_headwait_timemills",
     "sendThreadPoolQueueHeadWaitTimeMills", Parse::kNumber},
    {"rocketmq_brokeruntime_commitlog_maxoffset", "commitLogMaxOffset", Parse::kNumber},
    {"rocketmq_brokeruntime_commitlog_minoffset", "commitLogMinOffset", Parse::kNumber},
    {"rocketmq_brokeruntime_remain_howmanydata_toflush", "remainHowManyDataToFlush", Parse::kBytes},
    {"rocketmq_brokeruntime_put_latency_99", "putLatency99", Parse::kNumber},
    {"rocketmq_brokeruntime_put_latency_999", "putLatency999", Parse::kNumber},
};

// putMessageDistributeTime buckets ("[<=0ms]:0 [0~10ms]:3 ... [10s~]:0") -> exporter names.
constexpr std::pair<const char*, const char*> kPutDistribution[] = {
    {"<=0ms", "rocketmq_brokeruntime_pmdt_0ms"},
    {"0~10ms", "rocketmq_brokeruntime_pmdt_0to10ms"},
    {"10~50ms", "rocketmq_brokeruntime_pmdt_10to50ms"},
    {"50~100ms", "rocketmq_brokeruntime_pmdt_50to100ms"},
    {"100~200ms", "rocketmq_brokeruntime_pmdt_100to200ms"},
    {"200~500ms", "rocketmq_brokeruntime_pmdt_200to500ms"},
    {"500ms~1s", "rocketmq_brokeruntime_pmdt_500to1s"},
    {"1~2s", "rocketmq_brokeruntime_pmdt_1to2s"},
    {"2~3s", "rocketmq_brokeruntime_pmdt_2to3s"},
    {"3~4s", "rocketmq_brokeruntime_pmdt_3to4s"},
    {"4~5s", "rocketmq_brokeruntime_pmdt_4to5s"},
    {"5~10s", "rocketmq_brokeruntime_pmdt_5to10s"},
    {"10s~", "rocketmq_brokeruntime_pmdt_10stomore"},
};

std::optional<double> ParseRuntime(const std::map<std::string, std::string>& runtime,
                                   const char* key, Parse parse) {
  std::string text = Get(runtime, key);
  if (text.empty() && std::string(key) == "getTransferredTps") {
    text = Get(runtime, "getTransferedTps");  // the spelling before 4.9.x
  }
  switch (parse) {
    case Parse::kNumber:
      return Number(text);
    case Parse::kWindow10s:
      return Window(text, 0);
    case Parse::kWindow60s:
      return Window(text, 1);
    case Parse::kWindow600s:
      return Window(text, 2);
    case Parse::kBytes:
      return ParseByteSize(text);
  }
  return std::nullopt;
}

// "[<=0ms]:0 [0~10ms]:3 ..." -> {"<=0ms": 0, "0~10ms": 3, ...}
std::map<std::string, double> ParseDistribution(const std::string& text) {
  std::map<std::string, double> out;
  for (absl::string_view item : absl::StrSplit(text, ' ', absl::SkipEmpty())) {
    size_t close = item.find("]:");
    if (item.empty() || item.front() != '[' || close == absl::string_view::npos) continue;
    if (std::optional<double> v = Number(std::string(item.substr(close + 2)))) {
      out[std::string(item.substr(1, close - 1))] = *v;
    }
  }
  return out;
}

// "Total : 252.0 GiB, Free : 235.9 GiB." -> {total, free} in bytes.
std::optional<std::pair<double, double>> ParseCapacity(const std::string& text) {
  const std::string total_tag = "Total : ";
  const std::string free_tag = "Free : ";
  size_t t = text.find(total_tag);
  size_t comma = text.find(',', t == std::string::npos ? 0 : t);
  size_t f = text.find(free_tag);
  if (t == std::string::npos || comma == std::string::npos || f == std::string::npos) {
    return std::nullopt;
  }
  std::string total = text.substr(t + total_tag.size(), comma - t - total_tag.size());
  std::string free = text.substr(f + free_tag.size());
  while (!free.empty() && (free.back() == '.' || free.back() == ' ')) free.pop_back();
  std::optional<double> total_bytes = ParseByteSize(total);
  std::optional<double> free_bytes = ParseByteSize(free);
  if (!total_bytes.has_value() || !free_bytes.has_value()) return std::nullopt;
  return std::make_pair(*total_bytes, *free_bytes);
}

struct Identity {
  std::string cluster;
  std::string broker;
  std::string broker_ip;  // brokerIP1:listenPort, the address the name servers publish
};

Identity IdentityOf(const BrokerSnapshot& s) {
  return {Get(s.config, "brokerClusterName"), Get(s.config, "brokerName"),
          absl::StrCat(Get(s.config, "brokerIP1"), ":", Get(s.config, "listenPort"))};
}

void AddRuntime(const BrokerSnapshot& s, const Identity& id, const BrokerMetricsContext& context,
                Families& out) {
  const auto& r = s.runtime;
  const Labels broker_labels = {
      {"cluster", id.cluster}, {"brokerIP", id.broker_ip}, {"broker", id.broker}};
  // Broker put/get throughput: the 60 s window, the 10 s one until a minute has passed.
  auto rate = [&](const char* key) {
    std::optional<double> v = ParseRuntime(r, key, Parse::kWindow60s);
    return v.has_value() ? v : ParseRuntime(r, key, Parse::kWindow10s);
  };
  if (std::optional<double> tps = rate("putTps")) {
    out.Gauge("rocketmq_broker_tps", "Messages put per second (putTps, 60 s window)", broker_labels,
              *tps);
  }
  if (std::optional<double> qps = rate("getTransferredTps")) {
    out.Gauge("rocketmq_broker_qps",
              "Messages delivered to consumers per second (getTransferredTps, 60 s window)",
              broker_labels, *qps);
  }

  const Labels labels = {{"cluster", id.cluster},
                         {"brokerIP", id.broker_ip},
                         {"brokerHost", context.host},
                         {"des", Get(r, "brokerVersionDesc")},
                         {"boottime", Get(r, "bootTimestamp")},
                         {"broker_version", Get(r, "brokerVersion")},
                         {"broker", id.broker}};
  for (const RuntimeGauge& g : kRuntimeGauges) {
    if (std::optional<double> v = ParseRuntime(r, g.key, g.parse)) {
      out.Gauge(g.name, absl::StrCat("GET_BROKER_RUNTIME_INFO ", g.key), labels, *v);
    }
  }
  std::map<std::string, double> distribution =
      ParseDistribution(Get(r, "putMessageDistributeTime"));
  for (const auto& [bucket, name] : kPutDistribution) {
    auto it = distribution.find(bucket);
    if (it != distribution.end()) {
      out.Gauge(name, absl::StrCat("Puts that took ", bucket, " (putMessageDistributeTime)"),
                labels, it->second);
    }
  }
  if (auto capacity = ParseCapacity(Get(r, "commitLogDirCapacity"))) {
    out.Gauge("rocketmq_brokeruntime_commitlogdir_capacity_total",
              "Commit log disk size in bytes (commitLogDirCapacity)", labels, capacity->first);
    out.Gauge("rocketmq_brokeruntime_commitlogdir_capacity_free",
              "Commit log disk free bytes (commitLogDirCapacity)", labels, capacity->second);
  }
}

void AddTopics(const BrokerSnapshot& s, const Identity& id, Families& out) {
  for (const auto& [topic, stats] : s.topic_stats) {
    double offset = 0;
    for (const rocketmq::TopicQueueOffset& q : stats.offsets) {
      offset += static_cast<double>(q.max_offset);
    }
    if (StartsWith(topic, kRetryPrefix)) {
      out.Gauge("rocketmq_topic_retry_offset", "Sum of the retry topic's max queue offsets",
                {{"cluster", id.cluster}, {"broker", id.broker}, {"topic", topic}}, offset);
    } else if (StartsWith(topic, kDlqPrefix)) {
      out.Gauge("rocketmq_topic_dlq_offset", "Sum of the dead-letter topic's max queue offsets",
                {{"cluster", id.cluster},
                 {"broker", id.broker},
                 {"group", topic.substr(std::string(kDlqPrefix).size())}},
                offset);
    } else {
      const Labels labels = {{"cluster", id.cluster}, {"broker", id.broker}, {"topic", topic}};
      out.Gauge("rocketmq_producer_offset", "Sum of the topic's max queue offsets on this broker",
                labels, offset);
      out.Gauge("rocketmq_producer_tps", "Messages put to the topic per second (last minute)",
                labels, stats.topic_put_tps);
    }
  }
}

void AddConsumers(const BrokerSnapshot& s, const Identity& id, Families& out) {
  const BrokerNames self{id.cluster, id.broker};
  for (const rocketmq::ConsumerOffsets& c : s.consumer_offsets) {
    if (IsSystemGroup(c.group) || IsSystemTopic(c.topic, self) || StartsWith(c.topic, kDlqPrefix)) {
      continue;
    }
    double committed = 0;
    for (const auto& [queue, offset] : c.queue_offsets) {
      committed += static_cast<double>(std::max<int64_t>(0, offset));
    }
    out.Gauge(
        "rocketmq_consumer_offset", "Sum of the group's committed offsets of the topic",
        {{"cluster", id.cluster}, {"broker", id.broker}, {"topic", c.topic}, {"group", c.group}},
        committed);
    auto stats = s.topic_stats.find(c.topic);
    if (stats == s.topic_stats.end()) continue;
    // As the broker's consume stats: every queue of the topic, uncommitted queues from 0.
    double diff = 0;
    for (const rocketmq::TopicQueueOffset& q : stats->second.offsets) {
      auto it = c.queue_offsets.find(q.queue.queue_id);
      const int64_t done = it == c.queue_offsets.end() ? 0 : std::max<int64_t>(0, it->second);
      diff += static_cast<double>(std::max<int64_t>(0, q.max_offset - done));
    }
    const bool retry = StartsWith(c.topic, kRetryPrefix);
    out.Gauge(
        retry ? "rocketmq_group_retrydiff" : "rocketmq_group_diff",
        retry ? "Messages of the group's retry topic not consumed yet on this broker"
              : "Messages of the topic the group has not consumed yet on this broker",
        {{"group", c.group}, {"topic", c.topic}, {"cluster", id.cluster}, {"broker", id.broker}},
        diff);
  }
}

void AddAgent(const BrokerSnapshot& s, Families& out) {
  out.Gauge("rocketmq_agent_broker_up", "1 if the broker answered the last metrics refresh", {},
            s.config_status.ok() ? 1 : 0);
  out.Add("rocketmq_agent_metrics_refreshes_total", MetricType::Counter,
          "Broker metrics refreshes (each reads the broker once)", {},
          static_cast<double>(s.refresh_count));
  out.Gauge("rocketmq_agent_metrics_last_refresh_timestamp_seconds",
            "Unix time of the last broker metrics refresh", {},
            static_cast<double>(s.refreshed_at_ms) / 1000.0);
  out.Gauge("rocketmq_agent_metrics_last_refresh_duration_seconds",
            "Duration of the last broker metrics refresh", {}, s.refresh_seconds);
  out.Gauge("rocketmq_agent_metrics_last_refresh_errors",
            "Broker requests that failed in the last metrics refresh", {},
            static_cast<double>(s.failed_reads));
}

}  // namespace

std::optional<double> ParseByteSize(const std::string& text) {
  std::vector<std::string> parts = absl::StrSplit(text, ' ', absl::SkipEmpty());
  if (parts.empty() || parts.size() > 2) return std::nullopt;
  std::optional<double> value = Number(parts[0]);
  if (!value.has_value()) return std::nullopt;
  const std::string unit = parts.size() == 2 ? parts[1] : "B";
  static constexpr const char* kBinary[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  static constexpr const char* kDecimal[] = {"B", "KB", "MB", "GB", "TB", "PB", "EB"};
  double binary = 1;
  double decimal = 1;
  for (size_t i = 0; i < std::size(kBinary); ++i) {
    if (unit == kBinary[i]) return *value * binary;
    if (unit == kDecimal[i]) return *value * decimal;
    binary *= 1024;
    decimal *= 1000;
  }
  return std::nullopt;
}

bool ReportsTopicMetrics(const std::map<std::string, std::string>& config) {
  return Get(config, "brokerRole") != "SLAVE";
}

std::vector<std::string> TopicsToRead(const rocketmq::TopicConfigTable& topics,
                                      const std::map<std::string, std::string>& config) {
  std::vector<std::string> out;
  if (!ReportsTopicMetrics(config)) return out;
  const BrokerNames self{Get(config, "brokerClusterName"), Get(config, "brokerName")};
  for (const auto& [name, topic] : topics.topics) {
    if (!IsSystemTopic(name, self)) out.push_back(name);
  }
  return out;
}

std::vector<MetricFamily> BuildBrokerMetrics(const BrokerSnapshot& snapshot,
                                             const BrokerMetricsContext& context) {
  Families out;
  AddAgent(snapshot, out);
  if (snapshot.config_status.ok()) {
    const Identity id = IdentityOf(snapshot);
    if (snapshot.runtime_status.ok()) AddRuntime(snapshot, id, context, out);
    if (ReportsTopicMetrics(snapshot.config)) {
      AddTopics(snapshot, id, out);
      AddConsumers(snapshot, id, out);
    }
  }
  return out.Take();
}

}  // namespace rmq::agent
