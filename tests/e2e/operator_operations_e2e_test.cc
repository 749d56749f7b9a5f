// End to end: the operator's operations on a running RocketMQ cluster (issue 7, scenarios 2-5),
// on the local cluster (real control plane, our node agent, real name servers and brokers with
// the agent sidecar, the rocketmq-operator process).
//
// One test, in phases, with a producer and a consumer running throughout (a message every 20 ms
// through the first name server, which stays):
//   A1  NameService 1 -> 3: every broker registered on all 3 name servers before the list is
//       published; a client given only the new name servers produces and consumes.
//   A2  3 -> 2, the operator SIGKILLed right after the change and once the change is in status.
//   A3  2 -> 3, the operator SIGKILLed after it updated a broker, once the change is in status,
//       and right after publication.
//   B1  Broker with 1,000 topics and 1,000 subscription groups, size 1 -> 2: the new group's
//       master has all of them, field for field; an existing topic now routes to both groups.
//   B2  size 2 -> 3, the operator SIGKILLed right after the change, once the new StatefulSet
//       exists, once the new master is ready, at the start of the copy and right after it.
//   End: no message lost (every seq sent OK was received), then the cluster is shut down and
//   nothing is left on the node.
// Needs root (the node agent); fails without it, never skips.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/support/admin_env.h"
#include "tests/support/local_cluster.h"
#include "tests/support/message_traffic.h"

namespace rmq::testing {
namespace {

using Json = nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::seconds;
using Clock = std::chrono::steady_clock;

constexpr char kNs[] = "ops";
constexpr char kTrafficTopic[] = "OpsTraffic";
// Topics and subscription groups before the scale-out: 1,000, or RMQ_OPS_E2E_ITEMS (e.g. 10000
// to measure a bigger copy by hand).
const int kItems = [] {
  const char* env = std::getenv("RMQ_OPS_E2E_ITEMS");
  const int n = env != nullptr ? std::atoi(env) : 0;
  return n > 0 ? n : 1000;
}();

std::string Manifest() {
  return absl::StrCat(R"(apiVersion: v1
kind: Namespace
metadata: {name: )",
                      kNs, R"(}
---
apiVersion: rocketmq.apache.org/v1alpha1
kind: NameService
metadata: {name: ns, namespace: )",
                      kNs, R"(}
spec:
  size: 1
  nameServiceImage: apache/rocketmq:5.3.3
  storageMode: EmptyDir
  env:
    - {name: HEAP_OPTS, value: "-Xms128m -Xmx256m"}
---
apiVersion: rocketmq.apache.org/v1alpha1
kind: Broker
metadata: {name: mq, namespace: )",
                      kNs, R"(}
spec:
  size: 1
  replicaPerGroup: 1
  brokerImage: apache/rocketmq:5.3.3
  storageMode: EmptyDir
  env:
    - {name: HEAP_OPTS, value: "-Xms384m -Xmx384m -Xmn192m -XX:MaxDirectMemorySize=384m"}
)");
}

class OperatorOperationsE2eTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ASSERT_EQ(::geteuid(), 0u) << "the node agent needs root (network namespaces, mounts)";
    LocalClusterOptions options;
    options.node_agent_binary = RMQ_NODE_AGENT;
    options.build_dir = RMQ_BUILD_DIR;
    options.operator_binary = RMQ_OPERATOR_BIN;
    options.network = {.node_name = "ops-node",
                       .bridge = "rmqopsbr0",
                       .pod_cidr = "10.248.0.0/16",
                       .gateway = "10.248.0.1",
                       .service_cidr = "10.99.0.0/16",
                       .netns_prefix = "rmqops-",
                       .veth_prefix = "rmqz"};
    options.dir_prefix = "/tmp/rmq-ops-e2e-";
    absl::StatusOr<std::unique_ptr<LocalCluster>> cluster = LocalCluster::Start(options);
    ASSERT_TRUE(cluster.ok()) << cluster.status();
    cluster_ = cluster->release();
  }
  static void TearDownTestSuite() {
    if (cluster_ == nullptr) return;
    // Everything deleted, nothing left on the node (scenario 6 for these resources).
    absl::Status down = cluster_->Shutdown();
    EXPECT_TRUE(down.ok()) << down;
    delete cluster_;
    cluster_ = nullptr;
  }
  void SetUp() override { ASSERT_NE(cluster_, nullptr); }

  LocalCluster& cluster() { return *cluster_; }

  Json Status(const std::string& what) {
    std::optional<Json> o = cluster().Get(kNs, what);
    if (!o) return Json::object();
    return LocalCluster::At(*o, "/status").is_object() ? LocalCluster::At(*o, "/status")
                                                       : Json::object();
  }
  static std::string Condition(const Json& status, const std::string& type) {
    const Json conditions = status.value("conditions", Json::array());
    for (const Json& c : conditions) {
      if (c.value("type", "") == type) return c.value("status", "");
    }
    return "";
  }
  void Patch(const std::string& what, const std::string& merge_patch) {
    absl::StatusOr<std::string> out =
        cluster().Kubectl({"-n", kNs, "patch", what, "--type", "merge", "-p", merge_patch});
    ASSERT_TRUE(out.ok()) << out.status();
  }

  // The operator dies (SIGKILL) and a new one starts: a crash at this point.
  void CrashOperator(const std::string& point) {
    std::printf("[ops-e2e] SIGKILL the operator: %s\n", point.c_str());
    cluster().KillOperator();
    absl::Status started = cluster().StartOperator();
    ASSERT_TRUE(started.ok()) << started;
    ++kills_;
  }

  // Waits until the operator's log has more than `before` lines containing `text`, or `done`.
  void WaitLogOr(const std::string& text, size_t before, const std::function<bool()>& done,
                 seconds timeout) {
    WaitFor([&] { return LogCount(text) > before || done(); }, timeout);
  }
  bool Propagated(size_t count) {
    const Json status = Status("broker/mq");
    return Condition(status, "NameServersPropagated") == "True" &&
           !status.contains("nameServerChange") &&
           std::vector<std::string>(
               absl::StrSplit(status.value("nameServers", ""), ';', absl::SkipEmpty()))
                   .size() == count;
  }
  size_t LogCount(const std::string& text) {
    const std::string log = cluster().OperatorLog();
    size_t n = 0;
    for (size_t at = log.find(text); at != std::string::npos; at = log.find(text, at + 1)) ++n;
    return n;
  }

  // name-server pod name -> "ip:9876"
  std::map<std::string, std::string> NameServers() {
    absl::StatusOr<std::map<std::string, std::string>> ips =
        cluster().PodIps(kNs, "name_service_cr=ns");
    std::map<std::string, std::string> out;
    if (!ips.ok()) return out;
    for (const auto& [pod, ip] : *ips) out[pod] = ip + ":9876";
    return out;
  }
  // broker pod name -> "ip:10911"
  std::map<std::string, std::string> Brokers() {
    absl::StatusOr<std::map<std::string, std::string>> ips = cluster().PodIps(kNs, "broker_cr=mq");
    std::map<std::string, std::string> out;
    if (!ips.ok()) return out;
    for (const auto& [pod, ip] : *ips) out[pod] = ip + ":10911";
    return out;
  }

  // Whether `namesrv` lists every one of `brokers` (by address).
  // The broker pods ("pod (ip:port)") that name server `namesrv` does not list.
  std::vector<std::string> Unlisted(const std::string& namesrv,
                                    const std::map<std::string, std::string>& brokers) {
    absl::StatusOr<rocketmq::ClusterInfo> info =
        admin_->Run(admin_->admin().GetBrokerClusterInfo(namesrv));
    if (!info.ok()) return {absl::StrCat("all (", info.status().ToString(), ")")};
    std::set<std::string> listed;
    for (const auto& [name, data] : info->brokers) {
      for (const auto& [id, addr] : data.broker_addrs) listed.insert(addr);
    }
    std::vector<std::string> out;
    for (const auto& [pod, addr] : brokers) {
      if (listed.count(addr) == 0) out.push_back(absl::StrCat(pod, " (", addr, ")"));
    }
    return out;
  }

  // Waits for NameServersPropagated=True with `count` published name servers; then checks that
  // each published name server lists every broker pod.
  void ExpectPropagated(size_t count, seconds timeout, const std::string& phase) {
    const bool done = WaitFor([&] { return Propagated(count); }, timeout);
    const Json status = Status("broker/mq");
    ASSERT_TRUE(done) << phase << ": " << status.dump();
    // The ConfigMap clients mount has the same list.
    absl::StatusOr<std::string> cm = cluster().Kubectl(
        {"-n", kNs, "get", "configmap", "mq-nameservers", "-o", "jsonpath={.data.NAMESRV_ADDR}"});
    ASSERT_TRUE(cm.ok()) << cm.status();
    EXPECT_EQ(*cm, status.value("nameServers", "")) << phase;
    // Published only once registered: every name server of the list has every broker now.
    const std::map<std::string, std::string> brokers = Brokers();
    EXPECT_EQ(brokers.size(), static_cast<size_t>(2 * groups_)) << phase;
    // Entries are the pods' stable DNS names, <pod>.<service>.<namespace>.svc...:9876.
    const std::map<std::string, std::string> name_servers = NameServers();
    for (absl::string_view entry :
         absl::StrSplit(status.value("nameServers", ""), ';', absl::SkipEmpty())) {
      const std::string pod(entry.substr(0, entry.find('.')));
      auto it = name_servers.find(pod);
      ASSERT_NE(it, name_servers.end()) << phase << ": no pod for published " << entry;
      // Also for a new cluster's first list (published at once): a broker pod is Ready only
      // once registered (the agent's /readyz), and the Broker was Ready before this is called.
      const std::vector<std::string> unlisted = Unlisted(it->second, brokers);
      EXPECT_TRUE(unlisted.empty()) << phase << ": name server " << pod << " (" << it->second
                                    << ") misses " << absl::StrJoin(unlisted, ", ");
    }
  }

  // Waits for MetadataSynced=True with no pending group and `groups` groups; returns lastSync.
  Json ExpectSynced(int groups, seconds timeout, const std::string& phase) {
    Json status;
    const bool done = WaitFor(
        [&] {
          status = Status("broker/mq");
          const Json pending = LocalCluster::At(status, "/metadataSync/pendingGroups").is_array()
                                   ? LocalCluster::At(status, "/metadataSync/pendingGroups")
                                   : Json(nullptr);
          return status.value("size", 0) == groups && pending.is_array() && pending.empty() &&
                 Condition(status, "MetadataSynced") == "True" &&
                 LocalCluster::At(status, "/metadataSync/lastSync/group") == groups - 1;
        },
        timeout);
    EXPECT_TRUE(done) << phase << ": " << status.dump();
    return LocalCluster::At(status, "/metadataSync/lastSync");
  }

  // The user topics and groups of `broker` (names with our prefixes).
  void ReadMetadata(const std::string& broker, std::map<std::string, rocketmq::TopicConfig>& topics,
                    std::map<std::string, Json>& groups) {
    absl::StatusOr<rocketmq::TopicConfigTable> t =
        admin_->Run(admin_->admin().GetAllTopicConfig(broker));
    ASSERT_TRUE(t.ok()) << t.status();
    for (const auto& [name, config] : t->topics) {
      if (absl::StartsWith(name, "E2E_T_") || name == kTrafficTopic) topics[name] = config;
    }
    absl::StatusOr<rocketmq::SubscriptionGroupTable> g =
        admin_->Run(admin_->admin().GetAllSubscriptionGroups(broker));
    ASSERT_TRUE(g.ok()) << g.status();
    for (const auto& [name, config] : g->groups) {
      if (absl::StartsWith(name, "GID_e2e_")) groups[name] = config.json;
    }
  }

  void ExpectSameMetadata(const std::string& source, const std::string& target,
                          const std::string& phase) {
    std::map<std::string, rocketmq::TopicConfig> source_topics;
    std::map<std::string, rocketmq::TopicConfig> target_topics;
    std::map<std::string, Json> source_groups;
    std::map<std::string, Json> target_groups;
    ReadMetadata(source, source_topics, source_groups);
    ReadMetadata(target, target_topics, target_groups);
    EXPECT_EQ(source_topics.size(), static_cast<size_t>(kItems + 1)) << phase;
    EXPECT_EQ(source_groups.size(), static_cast<size_t>(kItems)) << phase;
    EXPECT_EQ(target_topics.size(), source_topics.size()) << phase;
    EXPECT_EQ(target_groups.size(), source_groups.size()) << phase;
    int differing = 0;
    for (const auto& [name, config] : source_topics) {
      auto it = target_topics.find(name);
      if (it == target_topics.end() || !(it->second == config)) ++differing;
    }
    for (const auto& [name, config] : source_groups) {
      auto it = target_groups.find(name);
      if (it == target_groups.end() || it->second != config) ++differing;
    }
    EXPECT_EQ(differing, 0) << phase << ": items missing or different on " << target;
  }

  static LocalCluster* cluster_;
  std::unique_ptr<AdminSession> admin_ = std::make_unique<AdminSession>();
  int groups_ = 1;
  int kills_ = 0;
};

LocalCluster* OperatorOperationsE2eTest::cluster_ = nullptr;

TEST_F(OperatorOperationsE2eTest, NameServerChangesAndScaleOutUnderTrafficAndOperatorCrashes) {
  // ---- the cluster: 1 name server, 1 group of master + slave.
  const Clock::time_point t_apply = Clock::now();
  ASSERT_TRUE(cluster().Apply("ops-cluster", Manifest()).ok());
  absl::Status ready =
      cluster().WaitCondition(kNs, "nameservice/ns", "Ready", "True", seconds(300));
  ASSERT_TRUE(ready.ok()) << ready;
  ready = cluster().WaitCondition(kNs, "broker/mq", "Ready", "True", seconds(300));
  ASSERT_TRUE(ready.ok()) << ready;
  std::printf("[ops-e2e] NameService + Broker Ready %.1f s after apply\n", SecondsSince(t_apply));
  ExpectPropagated(1, seconds(60), "initial");
  const std::string first_ns = NameServers().at("ns-0");
  const std::string master0 = Brokers().at("mq-0-master-0");

  // ---- traffic throughout: the topic on group 0 (and so, after each scale-out, on every group).
  rocketmq::TopicConfig traffic_topic;
  traffic_topic.topic_name = kTrafficTopic;
  traffic_topic.read_queue_nums = 4;
  traffic_topic.write_queue_nums = 4;
  absl::Status created = admin_->Run(admin_->admin().CreateTopic(master0, traffic_topic));
  ASSERT_TRUE(created.ok()) << created;
  absl::StatusOr<std::unique_ptr<TrafficTool>> tool =
      TrafficTool::Prepare(cluster().RocketMqHome(), cluster().dir());
  ASSERT_TRUE(tool.ok()) << tool.status();
  absl::StatusOr<std::unique_ptr<TrafficProcess>> consumer = (*tool)->StartConsumer(
      {.namesrv = first_ns, .topic = kTrafficTopic, .run = "ops", .group = "GID_ops_traffic"});
  ASSERT_TRUE(consumer.ok()) << consumer.status();
  absl::StatusOr<std::unique_ptr<TrafficProcess>> producer =
      (*tool)->StartProducer({.namesrv = first_ns,
                              .topic = kTrafficTopic,
                              .run = "ops",
                              .count = -1,
                              .interval = milliseconds(20),
                              .route_timeout = milliseconds(60'000)});
  ASSERT_TRUE(producer.ok()) << producer.status();
  ASSERT_TRUE(WaitFor([&] { return (*consumer)->Counts().distinct > 0; }, seconds(120)))
      << (*producer)->Log() << (*consumer)->Log();

  // ---- A1: 1 -> 3 name servers, timed, no crash.
  Clock::time_point t0 = Clock::now();
  Patch("nameservice/ns", R"({"spec":{"size":3}})");
  ExpectPropagated(3, seconds(240), "A1 1->3");
  std::printf(
      "[ops-e2e] A1: NameService 1 -> 3: every broker registered on all 3 and the list "
      "published %.1f s after the patch\n",
      SecondsSince(t0));
  {
    // A client given only the new name servers produces and consumes.
    std::map<std::string, std::string> ns = NameServers();
    const std::string only_new = ns.at("ns-1") + ";" + ns.at("ns-2");
    auto c = (*tool)->StartConsumer(
        {.namesrv = only_new, .topic = kTrafficTopic, .run = "new-ns", .group = "GID_ops_new_ns"});
    ASSERT_TRUE(c.ok()) << c.status();
    auto p = (*tool)->StartProducer({.namesrv = only_new,
                                     .topic = kTrafficTopic,
                                     .run = "new-ns",
                                     .count = 200,
                                     .interval = milliseconds(0),
                                     .route_timeout = milliseconds(60'000)});
    ASSERT_TRUE(p.ok()) << p.status();
    absl::StatusOr<TrafficResult> sent = (*p)->Finish(std::chrono::minutes(2));
    ASSERT_TRUE(sent.ok()) << sent.status() << (*p)->Log();
    EXPECT_EQ(sent->counts.sent_ok, 200) << (*p)->Log();
    EXPECT_TRUE((*c)->WaitDistinct(200, std::chrono::minutes(2))) << (*c)->Log();
    absl::StatusOr<TrafficResult> got = (*c)->Stop();
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_TRUE(Lost(*sent, *got).empty());
  }

  // ---- A2: 3 -> 2, crashes right after the change and once brokers got the new list.
  size_t updates = LogCount("now has name servers");
  size_t published = LogCount("name-server list published");
  Patch("nameservice/ns", R"({"spec":{"size":2}})");
  CrashOperator("A2: right after NameService 3 -> 2");
  WaitLogOr(
      "now has name servers", updates, [&] { return Propagated(2); }, seconds(120));
  CrashOperator("A2: the brokers got the new list (publication next)");
  ExpectPropagated(2, seconds(240), "A2 3->2");

  // ---- A3: 2 -> 3, crashes right after the change, after a broker got the list, and right
  // after publication.
  updates = LogCount("now has name servers");
  published = LogCount("name-server list published");
  Patch("nameservice/ns", R"({"spec":{"size":3}})");
  CrashOperator("A3: right after NameService 2 -> 3");
  WaitLogOr(
      "now has name servers", updates, [&] { return Propagated(3); }, seconds(120));
  CrashOperator("A3: after the brokers got the new list");
  WaitLogOr(
      "name-server list published", published, [&] { return Propagated(3); }, seconds(240));
  CrashOperator("A3: right after publication");
  ExpectPropagated(3, seconds(240), "A3 2->3");
  const int name_server_crashes = kills_;

  // ---- B1: 1,000 topics and 1,000 groups, Broker 1 -> 2, timed, no crash.
  {
    std::vector<rocketmq::TopicConfig> topics(kItems);
    std::vector<rocketmq::SubscriptionGroupConfig> groups(kItems);
    for (int i = 0; i < kItems; ++i) {
      topics[i].topic_name = absl::StrCat("E2E_T_", i);
      topics[i].read_queue_nums = 1 + i % 8;
      topics[i].write_queue_nums = 1 + i % 8;
      groups[i].group_name = absl::StrCat("GID_e2e_", i);
      groups[i].json = {{"groupName", groups[i].group_name},
                        {"consumeBroadcastEnable", i % 2 == 0},
                        {"retryMaxTimes", 1 + i % 16}};
    }
    auto t = admin_->Run(admin_->admin().CreateTopics(master0, topics));
    ASSERT_TRUE(t.ok() && t->ok())
        << (t.ok() ? rocketmq::ToJson(*t).dump() : t.status().ToString());
    auto g = admin_->Run(admin_->admin().CreateSubscriptionGroups(master0, groups));
    ASSERT_TRUE(g.ok() && g->ok())
        << (g.ok() ? rocketmq::ToJson(*g).dump() : g.status().ToString());
  }
  t0 = Clock::now();
  Patch("broker/mq", R"({"spec":{"size":2}})");
  groups_ = 2;
  Json last = ExpectSynced(2, seconds(300), "B1 1->2");
  std::printf(
      "[ops-e2e] B1: Broker 1 -> 2 with %d topics + %d groups: MetadataSynced %.1f s after the "
      "patch (the copy itself %.2f s: %s)\n",
      kItems, kItems, SecondsSince(t0), last.value("seconds", 0.0), last.dump().c_str());
  ASSERT_TRUE(cluster().WaitCondition(kNs, "broker/mq", "Ready", "True", seconds(300)).ok());
  ExpectSameMetadata(master0, Brokers().at("mq-1-master-0"), "B1");
  {
    // An existing topic now routes to both groups, and messages reach both.
    absl::StatusOr<rocketmq::TopicRouteData> route = absl::UnknownError("not asked");
    ASSERT_TRUE(WaitFor(
        [&] {
          route = admin_->Run(admin_->admin().GetRouteInfoByTopic(first_ns, "E2E_T_7"));
          return route.ok() && route->broker_datas.size() == 2;
        },
        seconds(60)))
        << (route.ok() ? "brokers in the route: " + std::to_string(route->broker_datas.size())
                       : route.status().ToString());
    auto p = (*tool)->StartProducer({.namesrv = first_ns,
                                     .topic = "E2E_T_7",
                                     .run = "existing",
                                     .count = 200,
                                     .interval = milliseconds(0),
                                     .route_timeout = milliseconds(60'000)});
    ASSERT_TRUE(p.ok()) << p.status();
    absl::StatusOr<TrafficResult> sent = (*p)->Finish(std::chrono::minutes(2));
    ASSERT_TRUE(sent.ok()) << sent.status();
    EXPECT_EQ(sent->counts.sent_ok, 200) << (*p)->Log();
    for (const std::string pod : {"mq-0-master-0", "mq-1-master-0"}) {
      absl::StatusOr<rocketmq::TopicStats> stats =
          admin_->Run(admin_->admin().GetTopicStats(Brokers().at(pod), "E2E_T_7"));
      ASSERT_TRUE(stats.ok()) << stats.status();
      int64_t messages = 0;
      for (const auto& q : stats->offsets) messages += q.max_offset - q.min_offset;
      EXPECT_GT(messages, 0) << pod << " got none of the messages to an existing topic";
    }
  }

  // ---- B2: 2 -> 3, five crashes.
  auto synced_3 = [&] {
    const Json status = Status("broker/mq");
    return Condition(status, "MetadataSynced") == "True" &&
           LocalCluster::At(status, "/metadataSync/lastSync/group") == 2;
  };
  const size_t copies = LogCount("copying topics");
  const size_t synced = LogCount("metadata synced");
  Patch("broker/mq", R"({"spec":{"size":3}})");
  groups_ = 3;
  CrashOperator("B2: right after Broker 2 -> 3");
  ASSERT_TRUE(WaitFor([&] { return cluster().Get(kNs, "statefulset/mq-2-master").has_value(); },
                      seconds(120)));
  CrashOperator("B2: the new group's StatefulSets exist");
  ASSERT_TRUE(cluster().WaitPodReady(kNs, "mq-2-master-0", seconds(300)));
  CrashOperator("B2: the new master is ready");
  // The copy (about a second for 1,000 + 1,000) may be over before the next crash: then that
  // point is "after the copy" again.
  WaitLogOr("copying topics", copies, synced_3, seconds(120));
  CrashOperator("B2: copy under way");
  WaitLogOr("metadata synced", synced, synced_3, seconds(180));
  CrashOperator("B2: right after the copy");
  std::printf("[ops-e2e] B2: %zu copies started, %zu completed, across the crashes\n",
              LogCount("copying topics") - copies, LogCount("metadata synced") - synced);
  last = ExpectSynced(3, seconds(300), "B2 2->3");
  ASSERT_TRUE(cluster().WaitCondition(kNs, "broker/mq", "Ready", "True", seconds(300)).ok());
  ExpectSameMetadata(master0, Brokers().at("mq-2-master-0"), "B2");
  ExpectPropagated(3, seconds(60), "after B2");
  std::printf("[ops-e2e] operator crashed %d times (%d during name-server changes)\n", kills_,
              name_server_crashes);
  EXPECT_EQ(name_server_crashes, 5);
  EXPECT_EQ(kills_, 10);

  // ---- End: no message lost.
  absl::StatusOr<TrafficResult> sent = (*producer)->Stop();
  ASSERT_TRUE(sent.ok()) << sent.status();
  EXPECT_TRUE((*consumer)->WaitDistinct(sent->counts.sent_ok, std::chrono::minutes(2)))
      << (*consumer)->Log();
  absl::StatusOr<TrafficResult> got = (*consumer)->Stop();
  ASSERT_TRUE(got.ok()) << got.status();
  const std::set<int64_t> lost = Lost(*sent, *got);
  std::printf(
      "[ops-e2e] traffic throughout: %lld sent OK, %lld send failures (%s), %lld received "
      "(%lld distinct), %zu lost\n",
      static_cast<long long>(sent->counts.sent_ok), static_cast<long long>(sent->counts.failed),
      sent->counts.last_error.c_str(), static_cast<long long>(got->counts.received),
      static_cast<long long>(got->counts.distinct), lost.size());
  EXPECT_TRUE(lost.empty()) << lost.size() << " messages sent OK were never received";
  EXPECT_GT(sent->counts.sent_ok, 1000);
}

}  // namespace
}  // namespace rmq::testing
