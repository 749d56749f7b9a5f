// The broker metrics model: exporter-compatible names, labels and values from hand-built
// snapshots (runtime info as a 5.3.3 broker writes it), slaves, a broker that is down, and the
// text exposition format.
#include "agent/metrics/broker_metrics.h"

#include <gtest/gtest.h>

#include <sstream>

#include "prometheus/text_serializer.h"

namespace rmq::agent {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;
using Labels = std::map<std::string, std::string>;

rocketmq::TopicStats Stats(const std::string& topic, std::vector<int64_t> max_offsets,
                           double tps = 0) {
  rocketmq::TopicStats s;
  s.topic_put_tps = tps;
  for (size_t i = 0; i < max_offsets.size(); ++i) {
    rocketmq::TopicQueueOffset q;
    q.queue = {topic, "broker-a", static_cast<int32_t>(i)};
    q.max_offset = max_offsets[i];
    s.offsets.push_back(q);
  }
  return s;
}

BrokerSnapshot Master() {
  BrokerSnapshot s;
  s.config_status = absl::OkStatus();
  s.config = {{"brokerClusterName", "prod"},  {"brokerName", "broker-a"}, {"brokerId", "0"},
              {"brokerRole", "ASYNC_MASTER"}, {"brokerIP1", "10.0.0.5"},  {"listenPort", "10911"}};
  s.runtime_status = absl::OkStatus();
  s.runtime = {
      {"brokerVersionDesc", "V5_3_3"},
      {"brokerVersion", "479"},
      {"bootTimestamp", "1700000000000"},
      {"msgPutTotalTodayNow", "1234"},
      {"msgGetTotalTodayNow", "567"},
      {"commitLogDiskRatio", "0.18"},
      {"commitLogMaxOffset", "4096"},
      {"putTps", "12.5 3.0 1.0"},
      {"getTransferredTps", "7.0  "},  // right after boot: only the 10 s window
      {"getTotalTps", "43.19 0.0 0.0"},
      {"remainHowManyDataToFlush", "1.5 KiB"},
      {"commitLogDirCapacity", "Total : 252.0 GiB, Free : 235.9 GiB."},
      {"putMessageDistributeTime",
       "[<=0ms]:5 [0~10ms]:3 [10~50ms]:0 [50~100ms]:0 [100~200ms]:0 [200~500ms]:0 "
       "[500ms~1s]:0 [1~2s]:0 [2~3s]:0 [3~4s]:0 [4~5s]:0 [5~10s]:0 [10s~]:1 "},
      {"runtime", "[ 0 days, 0 hours, 0 minutes, 24 seconds ]"},
  };
  s.topic_stats["Orders"] = Stats("Orders", {10, 20, 30, 40}, 2.5);
  s.topic_stats["%RETRY%GID_pay"] = Stats("%RETRY%GID_pay", {3});
  s.topic_stats["%DLQ%GID_pay"] = Stats("%DLQ%GID_pay", {2});
  s.consumer_offsets = {
      {"Orders", "GID_pay", {{0, 10}, {1, 15}, {2, 30}}},  // queue 3 never committed
      {"%RETRY%GID_pay", "GID_pay", {{0, 1}}},
      {"Orders", "TOOLS_CONSUMER", {{0, 1}}},  // a system group: skipped
      {"Gone", "GID_old", {{0, 7}}},           // topic without stats: offset only
  };
  s.failed_reads = 1;
  s.refresh_count = 7;
  s.refreshed_at_ms = 1'700'000'123'456;
  s.refresh_seconds = 0.25;
  return s;
}

const MetricFamily* Find(const std::vector<MetricFamily>& families, const std::string& name) {
  for (const MetricFamily& f : families) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

Labels LabelsOf(const ClientMetric& m) {
  Labels out;
  for (const auto& l : m.label) out[l.name] = l.value;
  return out;
}

// The value of the one sample of `name` whose labels include `match`; fails if not exactly one.
double Value(const std::vector<MetricFamily>& families, const std::string& name,
             const Labels& match = {}) {
  const MetricFamily* f = Find(families, name);
  if (f == nullptr) {
    ADD_FAILURE() << "no family " << name;
    return -1;
  }
  const ClientMetric* found = nullptr;
  int n = 0;
  for (const ClientMetric& m : f->metric) {
    Labels labels = LabelsOf(m);
    bool ok = true;
    for (const auto& [k, v] : match) ok = ok && labels.count(k) > 0 && labels[k] == v;
    if (ok) {
      found = &m;
      ++n;
    }
  }
  if (n != 1) {
    ADD_FAILURE() << name << ": " << n << " samples match";
    return -1;
  }
  return f->type == MetricType::Counter ? found->counter.value : found->gauge.value;
}

TEST(BrokerMetricsTest, BrokerThroughputUsesTheExporterNamesAndLabels) {
  std::vector<MetricFamily> f = BuildBrokerMetrics(Master(), {.host = "broker-a-0"});
  const MetricFamily* tps = Find(f, "rocketmq_broker_tps");
  ASSERT_NE(tps, nullptr);
  ASSERT_EQ(tps->metric.size(), 1u);
  EXPECT_EQ(tps->type, MetricType::Gauge);
  EXPECT_EQ(LabelsOf(tps->metric[0]),
            (Labels{{"cluster", "prod"}, {"brokerIP", "10.0.0.5:10911"}, {"broker", "broker-a"}}));
  EXPECT_DOUBLE_EQ(tps->metric[0].gauge.value, 3.0);       // the 60 s window
  EXPECT_DOUBLE_EQ(Value(f, "rocketmq_broker_qps"), 7.0);  // no 60 s window yet: the 10 s one
}

TEST(BrokerMetricsTest, RuntimeGaugesCarryTheExporterLabelsPlusTheBrokerName) {
  std::vector<MetricFamily> f = BuildBrokerMetrics(Master(), {.host = "broker-a-0"});
  const MetricFamily* put = Find(f, "rocketmq_brokeruntime_msg_put_total_today_now");
  ASSERT_NE(put, nullptr);
  ASSERT_EQ(put->metric.size(), 1u);
  EXPECT_EQ(LabelsOf(put->metric[0]), (Labels{{"cluster", "prod"},
                                              {"brokerIP", "10.0.0.5:10911"},
                                              {"brokerHost", "broker-a-0"},
                                              {"des", "V5_3_3"},
                                              {"boottime", "1700000000000"},
                                              {"broker_version", "479"},
                                              {"broker", "broker-a"}}));
  EXPECT_DOUBLE_EQ(put->metric[0].gauge.value, 1234);
  EXPECT_DOUBLE_EQ(Value(f, "rocketmq_brokeruntime_msg_gettotal_today_now"), 567);
  EXPECT_DOUBLE_EQ(Value(f, "rocketmq_brokeruntime_commitlog_disk_ratio"), 0.18);
  EXPECT_DOUBLE_EQ(Value(f, "rocketmq_brokeruntime_commitlog_maxoffset"), 4096);
  EXPECT_DOUBLE_EQ(Value(f, "rocketmq_brokeruntime_put_tps10"), 12.5);
  EXPECT_DOUBLE_EQ(Value(f, "rocketmq_brokeruntime_put_tps60"), 3.0);
  EXPECT_DOUBLE_EQ(Value(f, "rocketmq_brokeruntime_put_tps600"), 1.0);
  EXPECT_DOUBLE_EQ(Value(f, "rocketmq_brokeruntime_gettotal_tps10"), 43.19);
  EXPECT_DOUBLE_EQ(Value(f, "rocketmq_brokeruntime_gettransfered_tps10"), 7.0);
  // Windows the broker has no samples for yet are left out, not reported as 0.
  EXPECT_EQ(Find(f, "rocketmq_brokeruntime_gettransfered_tps60"), nullptr);
  EXPECT_EQ(Find(f, "rocketmq_brokeruntime_gettransfered_tps600"), nullptr);
  // Keys the broker did not send are left out.
  EXPECT_EQ(Find(f, "rocketmq_brokeruntime_dispatch_behind_bytes"), nullptr);
  EXPECT_DOUBLE_EQ(Value(f, "rocketmq_brokeruntime_remain_howmanydata_toflush"), 1536);
  EXPECT_DOUBLE_EQ(Value(f, "rocketmq_brokeruntime_commitlogdir_capacity_total"),
                   252.0 * 1024 * 1024 * 1024);
  EXPECT_DOUBLE_EQ(Value(f, "rocketmq_brokeruntime_commitlogdir_capacity_free"),
                   235.9 * 1024 * 1024 * 1024);
  EXPECT_DOUBLE_EQ(Value(f, "rocketmq_brokeruntime_pmdt_0ms"), 5);
  EXPECT_DOUBLE_EQ(Value(f, "rocketmq_brokeruntime_pmdt_0to10ms"), 3);
  EXPECT_DOUBLE_EQ(Value(f, "rocketmq_brokeruntime_pmdt_500to1s"), 0);
  EXPECT_DOUBLE_EQ(Value(f, "rocketmq_brokeruntime_pmdt_10stomore"), 1);
}

TEST(BrokerMetricsTest, TopicOffsetsAreSplitIntoNormalRetryAndDeadLetter) {
  std::vector<MetricFamily> f = BuildBrokerMetrics(Master(), {});
  const Labels orders = {{"cluster", "prod"}, {"broker", "broker-a"}, {"topic", "Orders"}};
  EXPECT_DOUBLE_EQ(Value(f, "rocketmq_producer_offset", orders), 100);
  EXPECT_EQ(LabelsOf(Find(f, "rocketmq_producer_offset")->metric[0]), orders);
  EXPECT_EQ(Find(f, "rocketmq_producer_offset")->metric.size(), 1u);  // no retry/DLQ topics
  EXPECT_DOUBLE_EQ(Value(f, "rocketmq_producer_tps", orders), 2.5);
  EXPECT_DOUBLE_EQ(Value(f, "rocketmq_topic_retry_offset", {{"topic", "%RETRY%GID_pay"}}), 3);
  const MetricFamily* dlq = Find(f, "rocketmq_topic_dlq_offset");
  ASSERT_NE(dlq, nullptr);
  EXPECT_EQ(LabelsOf(dlq->metric.at(0)),
            (Labels{{"cluster", "prod"}, {"broker", "broker-a"}, {"group", "GID_pay"}}));
  EXPECT_DOUBLE_EQ(dlq->metric.at(0).gauge.value, 2);
}

TEST(BrokerMetricsTest, ConsumerOffsetsAndLagPerGroupAndTopic) {
  std::vector<MetricFamily> f = BuildBrokerMetrics(Master(), {});
  const Labels pay = {
      {"cluster", "prod"}, {"broker", "broker-a"}, {"topic", "Orders"}, {"group", "GID_pay"}};
  EXPECT_DOUBLE_EQ(Value(f, "rocketmq_consumer_offset", pay), 55);
  EXPECT_EQ(LabelsOf(*std::find_if(
                Find(f, "rocketmq_consumer_offset")->metric.begin(),
                Find(f, "rocketmq_consumer_offset")->metric.end(),
                [](const ClientMetric& m) { return LabelsOf(m).at("group") == "GID_pay"; })),
            pay);
  // Lag: (10-10) + (20-15) + (30-30) + (40-0: never committed) = 45.
  EXPECT_DOUBLE_EQ(Value(f, "rocketmq_group_diff", {{"group", "GID_pay"}, {"topic", "Orders"}}),
                   45);
  EXPECT_EQ(
      LabelsOf(Find(f, "rocketmq_group_diff")->metric.at(0)),
      (Labels{
          {"group", "GID_pay"}, {"topic", "Orders"}, {"cluster", "prod"}, {"broker", "broker-a"}}));
  EXPECT_DOUBLE_EQ(
      Value(f, "rocketmq_group_retrydiff", {{"group", "GID_pay"}, {"topic", "%RETRY%GID_pay"}}), 2);
  // A topic without stats (deleted since) has an offset but no lag; system groups are skipped.
  EXPECT_DOUBLE_EQ(Value(f, "rocketmq_consumer_offset", {{"group", "GID_old"}}), 7);
  EXPECT_EQ(Find(f, "rocketmq_group_diff")->metric.size(), 1u);
  for (const ClientMetric& m : Find(f, "rocketmq_consumer_offset")->metric) {
    EXPECT_NE(LabelsOf(m).at("group"), "TOOLS_CONSUMER");
  }
}

TEST(BrokerMetricsTest, AgentFamiliesDescribeTheRefresh) {
  std::vector<MetricFamily> f = BuildBrokerMetrics(Master(), {});
  EXPECT_DOUBLE_EQ(Value(f, "rocketmq_agent_broker_up"), 1);
  EXPECT_EQ(Find(f, "rocketmq_agent_metrics_refreshes_total")->type, MetricType::Counter);
  EXPECT_DOUBLE_EQ(Value(f, "rocketmq_agent_metrics_refreshes_total"), 7);
  EXPECT_DOUBLE_EQ(Value(f, "rocketmq_agent_metrics_last_refresh_timestamp_seconds"),
                   1'700'000'123.456);
  EXPECT_DOUBLE_EQ(Value(f, "rocketmq_agent_metrics_last_refresh_duration_seconds"), 0.25);
  EXPECT_DOUBLE_EQ(Value(f, "rocketmq_agent_metrics_last_refresh_errors"), 1);
  // Sorted by name, each name once.
  for (size_t i = 1; i < f.size(); ++i) EXPECT_LT(f[i - 1].name, f[i].name);
}

TEST(BrokerMetricsTest, SlavesReportRuntimeMetricsOnly) {
  BrokerSnapshot s = Master();
  s.config["brokerRole"] = "SLAVE";
  s.config["brokerId"] = "1";
  std::vector<MetricFamily> f = BuildBrokerMetrics(s, {});
  EXPECT_NE(Find(f, "rocketmq_brokeruntime_msg_put_total_today_now"), nullptr);
  EXPECT_NE(Find(f, "rocketmq_broker_tps"), nullptr);
  for (const char* name : {"rocketmq_producer_offset", "rocketmq_consumer_offset",
                           "rocketmq_group_diff", "rocketmq_topic_retry_offset"}) {
    EXPECT_EQ(Find(f, name), nullptr) << name;
  }
  EXPECT_FALSE(ReportsTopicMetrics(s.config));
  rocketmq::TopicConfigTable topics;
  topics.topics["Orders"].topic_name = "Orders";
  EXPECT_TRUE(TopicsToRead(topics, s.config).empty());
}

TEST(BrokerMetricsTest, ABrokerThatIsDownOnlyHasAgentFamilies) {
  BrokerSnapshot s;
  s.config_status = absl::UnavailableError("connection refused");
  s.failed_reads = 1;
  s.refresh_count = 3;
  std::vector<MetricFamily> f = BuildBrokerMetrics(s, {});
  EXPECT_DOUBLE_EQ(Value(f, "rocketmq_agent_broker_up"), 0);
  for (const MetricFamily& family : f) {
    EXPECT_EQ(family.name.rfind("rocketmq_agent_", 0), 0u) << family.name;
  }
  // Runtime info missing (e.g. 5.1.x right after boot): no runtime families, topics still there.
  BrokerSnapshot booting = Master();
  booting.runtime_status = absl::InternalError("NoSuchElementException");
  f = BuildBrokerMetrics(booting, {});
  EXPECT_EQ(Find(f, "rocketmq_broker_tps"), nullptr);
  EXPECT_EQ(Find(f, "rocketmq_brokeruntime_put_tps10"), nullptr);
  EXPECT_NE(Find(f, "rocketmq_producer_offset"), nullptr);
}

TEST(BrokerMetricsTest, TopicsToReadSkipsSystemTopicsButKeepsRetryAndDeadLetter) {
  rocketmq::TopicConfigTable topics;
  for (const char* t : {"Orders", "%RETRY%GID_pay", "%DLQ%GID_pay", "TBW102", "SCHEDULE_TOPIC_XXXX",
                        "rmq_sys_wheel_timer", "prod", "broker-a", "RMQ_SYS_TRANS_HALF_TOPIC"}) {
    topics.topics[t].topic_name = t;
  }
  std::vector<std::string> read = TopicsToRead(topics, Master().config);
  EXPECT_EQ(read, (std::vector<std::string>{"%DLQ%GID_pay", "%RETRY%GID_pay", "Orders"}));
}

TEST(BrokerMetricsTest, ParseByteSize) {
  EXPECT_EQ(ParseByteSize("0 B"), 0);
  EXPECT_EQ(ParseByteSize("512"), 512);
  EXPECT_EQ(ParseByteSize("1.5 KiB"), 1536);
  EXPECT_EQ(ParseByteSize("2 MiB"), 2 * 1024 * 1024);
  EXPECT_EQ(ParseByteSize("3 GB"), 3e9);
  EXPECT_FALSE(ParseByteSize("").has_value());
  EXPECT_FALSE(ParseByteSize("lots").has_value());
  EXPECT_FALSE(ParseByteSize("1 parsec").has_value());
}

TEST(BrokerMetricsTest, RendersAsPrometheusText) {
  std::vector<MetricFamily> f = BuildBrokerMetrics(Master(), {});
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, f);
  const std::string text = out.str();
  const std::string group_diff =
      R"(rocketmq_group_diff{group="GID_pay",topic="Orders",cluster="prod",broker="broker-a"} 45)";
  const std::vector<std::string> lines = {
      "# TYPE rocketmq_producer_offset gauge\n",
      "rocketmq_producer_offset{cluster=\"prod\",broker=\"broker-a\",topic=\"Orders\"} 100\n",
      group_diff + "\n",
      "# TYPE rocketmq_agent_metrics_refreshes_total counter\n",
      "rocketmq_agent_metrics_refreshes_total 7\n",
  };
  for (const std::string& line : lines) {
    EXPECT_NE(text.find(line), std::string::npos) << line << "\n--- in ---\n" << text;
  }
}

}  // namespace
}  // namespace rmq::agent
