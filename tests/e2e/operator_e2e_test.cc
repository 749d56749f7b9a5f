// End to end for the operator: rocketmq-operator (a child process) on the local cluster (etcd,
// kube-apiserver, kube-controller-manager, rmq-node-agent running the pods as processes, images
// from Maven Central jars). The example custom resources of deploy/examples/ (a NameService with
// one name server, a Broker with one group of master + slave) become Ready and carry 10,000
// messages from a producer on the host to a consumer on the host; an operator killed with SIGKILL
// and started again leaves the running cluster alone; deleting the resources removes every pod
// and leaves nothing running on the node. Needs root (it fails without it, never skips).
//
// Adding a scenario (issue 7: name-server scale 1 -> 3 -> 2, broker scale-out with topics,
// operator SIGKILL at chosen points, traffic throughout): a further TEST_F on OperatorE2eTest.
// EnsureExampleReady() gives the running example cluster (applied once, shared by the cases);
// cluster_ has kubectl, conditions, pod IPs, KillOperator()/StartOperator() and the logs;
// traffic_ starts background producers and consumers (StartTraffic() for a continuous pair).
// Keep DeletingTheResourcesRemovesEveryPod last (gtest runs a suite's cases in order), and keep
// each case to a minute or two: the whole CI suite must stay well under 45 minutes.
//
// The node agent gets its own node name, bridge, pod range, name prefixes and state directory,
// different from the node agent's e2e test and from the demo (scripts/demo.sh), so they cannot
// collide; ctest still runs the e2e tests one at a time (RESOURCE_LOCK local_cluster).
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/support/local_cluster.h"
#include "tests/support/message_traffic.h"

namespace rmq::testing {
namespace {

using Json = nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::seconds;
using Clock = std::chrono::steady_clock;

// deploy/examples/rocketmq-cluster.yaml
constexpr char kNs[] = "rocketmq";
constexpr char kNameService[] = "name-service";
constexpr char kBroker[] = "broker";  // also the broker cluster's name (brokerClusterName)
const std::vector<std::string> kExamplePods = {"name-service-0", "broker-0-master-0",
                                               "broker-0-replica-1-0"};

class OperatorE2eTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ASSERT_EQ(::geteuid(), 0u) << "the node agent needs root (network namespaces, mounts)";
    const Clock::time_point t0 = Clock::now();
    absl::StatusOr<std::unique_ptr<LocalCluster>> cluster = LocalCluster::Start({
        .node_agent_binary = RMQ_NODE_AGENT,
        .build_dir = RMQ_BUILD_DIR,
        .operator_binary = RMQ_OPERATOR_BIN,
        .agent_image = "rocketmq-agent:dev",
        .operator_args = {"--log-level=debug"},
        .network = {.node_name = "operator-e2e-node",
                    .bridge = "rmqop0",
                    .pod_cidr = "10.247.0.0/16",
                    .gateway = "10.247.0.1",
                    .service_cidr = "10.98.0.0/16",
                    .netns_prefix = "rmqop-",
                    .veth_prefix = "rmqy"},
        .node_agent_log_level = "info",
        .dir_prefix = "/tmp/rmq-operator-e2e-",
    });
    ASSERT_TRUE(cluster.ok()) << cluster.status();
    cluster_ = cluster->release();
    absl::StatusOr<std::unique_ptr<TrafficTool>> tool =
        TrafficTool::Prepare(cluster_->RocketMqHome(), cluster_->dir());
    ASSERT_TRUE(tool.ok()) << tool.status();
    traffic_ = tool->release();
    std::printf("[e2e] local cluster with the operator up in %.1f s (dir %s)\n", SecondsSince(t0),
                cluster_->dir().c_str());
  }

  static void TearDownTestSuite() {
    delete traffic_;
    traffic_ = nullptr;
    if (cluster_ != nullptr) {
      const Clock::time_point t0 = Clock::now();
      absl::Status stopped = cluster_->Shutdown();
      EXPECT_TRUE(stopped.ok()) << stopped;
      std::printf("[e2e] shutdown (delete everything, stop operator and node agent) %.1f s\n",
                  SecondsSince(t0));
      delete cluster_;
      cluster_ = nullptr;
    }
  }

  void SetUp() override {
    ASSERT_NE(cluster_, nullptr) << "the local cluster did not start (see above)";
    ASSERT_NE(traffic_, nullptr) << "the traffic tool did not compile (see above)";
  }

  // Applies deploy/examples/ unless it is applied and Ready already, and waits until the
  // NameService and the Broker are Ready=True.
  static void EnsureExampleReady() {
    if (example_ready_ &&
        cluster_->WaitCondition(kNs, "broker/broker", "Ready", "True", seconds(1)).ok()) {
      return;
    }
    const Clock::time_point t0 = Clock::now();
    ASSERT_TRUE(cluster_->ApplyPath(std::string(RMQ_SOURCE_DIR) + "/deploy/examples/").ok());
    absl::Status ns = cluster_->WaitCondition(kNs, std::string("nameservice/") + kNameService,
                                              "Ready", "True", seconds(240));
    ASSERT_TRUE(ns.ok()) << ns << "\n" << Diagnostics();
    const double ns_ready = SecondsSince(t0);
    absl::Status broker = cluster_->WaitCondition(kNs, std::string("broker/") + kBroker, "Ready",
                                                  "True", seconds(300));
    ASSERT_TRUE(broker.ok()) << broker << "\n" << Diagnostics();
    std::printf(
        "[e2e] kubectl apply deploy/examples/ -> NameService Ready %.1f s, Broker Ready "
        "%.1f s\n",
        ns_ready, SecondsSince(t0));
    example_ready_ = true;
  }

  // The name servers' "ip:9876;..." as the NameService's status lists them (Ready pods).
  static std::string NameServerList() {
    std::optional<Json> ns = cluster_->Get(kNs, std::string("nameservice/") + kNameService);
    if (!ns) return "";
    const Json list = LocalCluster::At(*ns, "/status/nameServerList");
    return list.is_string() ? list.get<std::string>() : "";
  }

  // Creates `topic` on every master of the example's broker cluster (mqadmin updateTopic from the
  // host: the broker config leaves autoCreateTopicEnable at RocketMQ's default, but a topic made
  // on a first send gets the defaults on one broker only).
  static void CreateTopic(const std::string& topic, int queues) {
    std::string last;
    for (int attempt = 0; attempt < 5; ++attempt) {
      absl::StatusOr<CapturedRun> run =
          cluster_->Mqadmin({"updateTopic", "-n", NameServerList(), "-c", kBroker, "-t", topic,
                             "-r", absl::StrCat(queues), "-w", absl::StrCat(queues)});
      ASSERT_TRUE(run.ok()) << run.status();
      last = run->out + run->err;
      if (run->exit_status == 0 && run->out.find("success") != std::string::npos) return;
      std::this_thread::sleep_for(seconds(2));
    }
    FAIL() << "mqadmin updateTopic " << topic << ": " << last;
  }

  // A consumer, then a producer sending one message of run `run` every `interval` until
  // StopTrafficExpectNoLoss().
  struct Traffic {
    std::unique_ptr<TrafficProcess> consumer;
    std::unique_ptr<TrafficProcess> producer;
  };
  static Traffic StartTraffic(const std::string& topic, const std::string& run,
                              milliseconds interval) {
    Traffic t;
    absl::StatusOr<std::unique_ptr<TrafficProcess>> consumer =
        traffic_->StartConsumer({.namesrv = NameServerList(), .topic = topic, .run = run});
    EXPECT_TRUE(consumer.ok()) << consumer.status();
    if (consumer.ok()) t.consumer = *std::move(consumer);
    absl::StatusOr<std::unique_ptr<TrafficProcess>> producer = traffic_->StartProducer(
        {.namesrv = NameServerList(), .topic = topic, .run = run, .interval = interval});
    EXPECT_TRUE(producer.ok()) << producer.status();
    if (producer.ok()) t.producer = *std::move(producer);
    return t;
  }
  // Stops the producer, waits until the consumer has every message sent OK, stops it, and
  // expects none lost. The final producer counts.
  static TrafficCounts StopTrafficExpectNoLoss(Traffic& t) {
    if (t.producer == nullptr || t.consumer == nullptr) {
      ADD_FAILURE() << "no traffic";
      return {};
    }
    absl::StatusOr<TrafficResult> sent = t.producer->Stop();
    EXPECT_TRUE(sent.ok()) << sent.status();
    if (!sent.ok()) return {};
    EXPECT_TRUE(t.consumer->WaitDistinct(sent->counts.sent_ok, std::chrono::minutes(1)))
        << t.consumer->Counts().distinct << " of " << sent->counts.sent_ok;
    absl::StatusOr<TrafficResult> got = t.consumer->Stop();
    EXPECT_TRUE(got.ok()) << got.status();
    if (!got.ok()) return sent->counts;
    const std::set<int64_t> lost = Lost(*sent, *got);
    EXPECT_TRUE(lost.empty()) << lost.size() << " of " << sent->counts.sent_ok
                              << " messages sent OK never arrived, the first " << *lost.begin();
    return sent->counts;
  }

  // Pods, CRs, the operator's and node agent's log tails: for a failed wait.
  static std::string Diagnostics() {
    auto tail = [](const std::string& log) {
      return log.size() > 6000 ? log.substr(log.size() - 6000) : log;
    };
    return absl::StrCat(
        "--- kubectl get pods,sts,nameservices,brokers -n ", kNs, ":\n",
        cluster_->Kubectl({"-n", kNs, "get", "pods,sts,nameservices,brokers", "-o", "wide"})
            .value_or("?"),
        "\n--- operator log (tail):\n", tail(cluster_->OperatorLog()),
        "\n--- node agent log (tail):\n", tail(cluster_->NodeAgentLog()));
  }

  static inline LocalCluster* cluster_ = nullptr;
  static inline TrafficTool* traffic_ = nullptr;
  static inline bool example_ready_ = false;
};

TEST_F(OperatorE2eTest, ExampleResourcesBecomeReadyAndCarryTenThousandMessages) {
  EnsureExampleReady();
  for (const std::string& pod : kExamplePods) {
    EXPECT_TRUE(cluster_->WaitPodReady(kNs, pod, seconds(5))) << pod;
  }
  const std::string topic = absl::StrCat("E2eTopic", ::getpid());
  CreateTopic(topic, 4);
  // The route lists group broker-0 with both the master and the slave at their pod addresses.
  absl::StatusOr<std::string> master_ip = cluster_->PodIp(kNs, "broker-0-master-0");
  absl::StatusOr<std::string> slave_ip = cluster_->PodIp(kNs, "broker-0-replica-1-0");
  ASSERT_TRUE(master_ip.ok() && slave_ip.ok());
  absl::StatusOr<CapturedRun> route =
      cluster_->Mqadmin({"topicRoute", "-n", NameServerList(), "-t", topic});
  ASSERT_TRUE(route.ok()) << route.status();
  EXPECT_NE(route->out.find("broker-0"), std::string::npos) << route->out << route->err;
  EXPECT_NE(route->out.find(*master_ip + ":10911"), std::string::npos) << route->out << route->err;
  EXPECT_NE(route->out.find(*slave_ip + ":10911"), std::string::npos) << route->out << route->err;

  const std::string run = absl::StrCat("ten-thousand-", ::getpid());
  absl::StatusOr<std::unique_ptr<TrafficProcess>> consumer =
      traffic_->StartConsumer({.namesrv = NameServerList(), .topic = topic, .run = run});
  ASSERT_TRUE(consumer.ok()) << consumer.status();
  const Clock::time_point t0 = Clock::now();
  absl::StatusOr<std::unique_ptr<TrafficProcess>> producer =
      traffic_->StartProducer({.namesrv = NameServerList(),
                               .topic = topic,
                               .run = run,
                               .count = 10'000,
                               .interval = milliseconds(0)});
  ASSERT_TRUE(producer.ok()) << producer.status();
  absl::StatusOr<TrafficResult> sent = (*producer)->Finish(std::chrono::minutes(3));
  ASSERT_TRUE(sent.ok()) << sent.status() << "\n" << (*producer)->Log();
  const double send_seconds = SecondsSince(t0);
  EXPECT_EQ(sent->counts.sent_ok, 10'000) << sent->counts.last_error;
  EXPECT_EQ(sent->counts.failed, 0) << sent->counts.last_error;
  EXPECT_TRUE((*consumer)->WaitDistinct(sent->counts.sent_ok, std::chrono::minutes(2)))
      << (*consumer)->Counts().distinct << " of " << sent->counts.sent_ok;
  const double receive_seconds = SecondsSince(t0);
  absl::StatusOr<TrafficResult> got = (*consumer)->Stop();
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->counts.distinct, 10'000);
  EXPECT_TRUE(Lost(*sent, *got).empty()) << Lost(*sent, *got).size() << " messages lost";
  std::printf(
      "[e2e] %lld messages sent OK (%lld failed) in %.1f s (JVM start included), %lld "
      "distinct received (%lld deliveries) %.1f s after the producer started\n",
      static_cast<long long>(sent->counts.sent_ok), static_cast<long long>(sent->counts.failed),
      send_seconds, static_cast<long long>(got->counts.distinct),
      static_cast<long long>(got->counts.received), receive_seconds);

  // Continuous traffic (what the other scenarios run while they change the cluster): one message
  // every 5 ms for 4 s, then stop: every message sent OK arrives.
  Traffic traffic = StartTraffic(topic, run + "-continuous", milliseconds(5));
  ASSERT_TRUE(traffic.producer != nullptr && traffic.consumer != nullptr);
  std::this_thread::sleep_for(seconds(4));
  const TrafficCounts continuous = StopTrafficExpectNoLoss(traffic);
  EXPECT_GT(continuous.sent_ok, 0);
  EXPECT_EQ(continuous.failed, 0) << continuous.last_error;
  std::printf("[e2e] continuous traffic: %lld sent OK, %lld failed, none lost\n",
              static_cast<long long>(continuous.sent_ok),
              static_cast<long long>(continuous.failed));
}

// The operator killed (SIGKILL) and started again takes over the running cluster without
// touching it: same pods, StatefulSets at the same generation, still Ready.
TEST_F(OperatorE2eTest, RestartedOperatorLeavesTheRunningClusterAlone) {
  EnsureExampleReady();
  auto snapshot = [] {
    std::map<std::string, std::string> out;  // "kind/name" -> uid or generation
    for (const std::string& pod : kExamplePods) {
      out["pod/" + pod] =
          LocalCluster::At(cluster_->GetPod(kNs, pod).value_or(Json::object()), "/metadata/uid")
              .dump();
    }
    for (const char* sts : {"name-service", "broker-0-master", "broker-0-replica-1"}) {
      out[std::string("statefulset/") + sts] =
          LocalCluster::At(
              cluster_->Get(kNs, std::string("statefulset/") + sts).value_or(Json::object()),
              "/metadata/generation")
              .dump();
    }
    return out;
  };
  const std::map<std::string, std::string> before = snapshot();
  cluster_->KillOperator();
  ASSERT_FALSE(cluster_->OperatorRunning());
  const Clock::time_point t0 = Clock::now();
  absl::Status started = cluster_->StartOperator();
  ASSERT_TRUE(started.ok()) << started;
  std::printf("[e2e] operator SIGKILLed and started again: ready in %.1f s\n", SecondsSince(t0));
  // Give it time to reconcile both resources, then nothing may have changed.
  std::this_thread::sleep_for(seconds(3));
  EXPECT_TRUE(cluster_->WaitCondition(kNs, "broker/broker", "Ready", "True", seconds(5)).ok());
  EXPECT_TRUE(
      cluster_->WaitCondition(kNs, "nameservice/name-service", "Ready", "True", seconds(5)).ok());
  EXPECT_EQ(snapshot(), before);
}

// Last: the example's pods go with its resources (the StatefulSets are garbage-collected through
// their owner references by kube-controller-manager), and nothing of theirs keeps running.
TEST_F(OperatorE2eTest, DeletingTheResourcesRemovesEveryPod) {
  EnsureExampleReady();
  const ProcessSet before = cluster_->PodProcesses();
  EXPECT_FALSE(before.empty());
  EXPECT_EQ(cluster_->PodNetworks().size(), kExamplePods.size());

  const Clock::time_point t0 = Clock::now();
  ASSERT_TRUE(cluster_
                  ->Kubectl({"-n", kNs, "delete", std::string("broker/") + kBroker,
                             std::string("nameservice/") + kNameService})
                  .ok());
  example_ready_ = false;
  std::string left = "?";
  const bool gone = [&] {
    const Clock::time_point deadline = Clock::now() + seconds(120);
    while (Clock::now() < deadline) {
      absl::StatusOr<std::string> out =
          cluster_->Kubectl({"-n", kNs, "get", "statefulsets,pods,configmaps,services,pdb", "-o",
                             "name", "--ignore-not-found"});
      // Only the namespace's own ConfigMap (kube-root-ca.crt) stays.
      left = out.ok() ? *out : out.status().ToString();
      if (out.ok() && (left.empty() || left == "configmap/kube-root-ca.crt\n")) return true;
      std::this_thread::sleep_for(milliseconds(500));
    }
    return false;
  }();
  ASSERT_TRUE(gone) << "left after 120 s:\n" << left << Diagnostics();
  const double pods_gone = SecondsSince(t0);
  std::string leftovers = "?";
  const Clock::time_point deadline = Clock::now() + seconds(30);
  while (Clock::now() < deadline) {
    leftovers = cluster_->Leftovers(before);
    // The bridge stays while the node agent runs.
    if (leftovers == "bridge rmqop0") break;
    std::this_thread::sleep_for(milliseconds(250));
  }
  EXPECT_EQ(leftovers, "bridge rmqop0");
  EXPECT_TRUE(LocalCluster::Survivors(before).empty());
  EXPECT_TRUE(cluster_->PodNetworks().empty());
  std::printf(
      "[e2e] delete Broker + NameService -> children and pods gone %.1f s, node clean "
      "%.1f s\n",
      pods_gone, SecondsSince(t0));
}

}  // namespace
}  // namespace rmq::testing
