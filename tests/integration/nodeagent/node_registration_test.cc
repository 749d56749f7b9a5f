// The node agent's NodeRegistrar and PodBinder against a real control plane with
// kube-controller-manager (scripts/local-control-plane.sh). The node lifecycle controller runs
// with --node-monitor-grace-period=20s (instead of 50s) so that its verdicts come quickly: the
// node stays Ready well past that grace while its Lease is renewed, and goes Unknown (tainted
// unreachable) once renewals stop. Unscheduled pods, bare or a StatefulSet's, get bound to the
// node; a pod with schedulingGates does not.
#include <gtest/gtest.h>

#include <cstdlib>
#include <functional>
#include <memory>

#include "absl/strings/str_cat.h"
#include "common/k8s/client.h"
#include "common/k8s/rest_config.h"
#include "common/net/blocking.h"
#include "nodeagent/node/node_agent.h"
#include "nodeagent/node/node_status.h"
#include "tests/support/local_control_plane.h"

namespace rmq::nodeagent {
namespace {

namespace asio = boost::asio;
using k8s::Json;
using std::chrono::milliseconds;
using std::chrono::seconds;
using testing::LocalControlPlane;
using testing::LocalControlPlaneOptions;

constexpr char kNode[] = "rmq-node-1";
constexpr int kGraceSeconds = 20;

// The string at JSON pointer `path`, "" when absent.
std::string At(const Json& object, const char* path) {
  if (!object.is_object()) return "";
  return object.value(Json::json_pointer(path), "");
}

bool HasTaint(const Json& node, const char* key) {
  const Json taints = node.value(Json::json_pointer("/spec/taints"), Json::array());
  for (const Json& taint : taints) {
    if (taint.value("key", "") == key) return true;
  }
  return false;
}

std::string RenewTime(const Json& lease) { return At(lease, "/spec/renewTime"); }

class NodeRegistrationTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    setenv("RMQ_KCM_ARGS",
           absl::StrCat("--node-monitor-grace-period=", kGraceSeconds, "s --node-monitor-period=2s")
               .c_str(),
           1);
    LocalControlPlaneOptions options;
    options.with_controller_manager = true;
    auto started = LocalControlPlane::Start(options);
    if (!started.ok()) {
      error_ = new std::string(started.status().ToString());
      return;
    }
    plane_ = started->release();
  }
  static void TearDownTestSuite() {
    delete plane_;
    plane_ = nullptr;
  }

  void SetUp() override {
    ASSERT_EQ(error_, nullptr) << "control plane did not start: " << *error_;
    absl::StatusOr<k8s::RestConfig> config = k8s::LoadKubeconfig(plane_->kubeconfig_path());
    ASSERT_TRUE(config.ok()) << config.status();
    k8s::TransportOptions transport_options;
    transport_options.request_timeout = seconds(20);
    auto transport = k8s::Transport::Create(io_.get_executor(), *config, transport_options);
    ASSERT_TRUE(transport.ok()) << transport.status();
    transport_ = *std::move(transport);
    client_ = std::make_unique<k8s::Client>(*transport_);
    absl::StatusOr<MachineInfo> machine = ReadMachineInfo("127.0.0.1", kNode, "/");
    ASSERT_TRUE(machine.ok()) << machine.status();
    config_.name = kNode;
    config_.machine = *machine;
  }

  void TearDown() override {
    if (registrar_) registrar_->Stop();
    if (binder_) binder_->Stop();
    io_.restart();
    io_.run_for(milliseconds(300));
    if (transport_) transport_->Shutdown();
    io_.run_for(milliseconds(50));
  }

  void StartRegistrar() {
    registrar_ = std::make_unique<NodeRegistrar>(*client_, io_.get_executor(), config_);
    asio::co_spawn(io_, registrar_->Run(), asio::detached);
  }

  template <typename T>
  T Run(asio::awaitable<T> work) {
    return net::BlockOn(io_, std::move(work));
  }

  // Runs the io_context (the agent) and checks `done` every 250 ms until it holds or `timeout`.
  bool Eventually(const std::function<bool()>& done, milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (done()) return true;
      io_.restart();
      io_.run_for(milliseconds(250));
    }
    return done();
  }
  // Runs the agent for `duration`.
  void RunFor(milliseconds duration) {
    io_.restart();
    io_.run_for(duration);
  }

  Json GetNode() {
    absl::StatusOr<Json> node = Run(client_->Get(k8s::Nodes(), "", kNode));
    return node.ok() ? *node : Json::object();
  }
  Json GetLease() {
    absl::StatusOr<Json> lease = Run(client_->Get(k8s::Leases(), kNodeLeaseNamespace, kNode));
    return lease.ok() ? *lease : Json::object();
  }
  Json GetPod(const std::string& ns, const std::string& name) {
    absl::StatusOr<Json> pod = Run(client_->Get(k8s::Pods(), ns, name));
    return pod.ok() ? *pod : Json::object();
  }
  std::string MakeNamespace() {
    std::string ns =
        absl::StrCat("nr-", std::chrono::steady_clock::now().time_since_epoch().count() % 1000000);
    Json object = {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", ns}}}};
    absl::StatusOr<Json> created = Run(client_->Create(k8s::Namespaces(), object));
    EXPECT_TRUE(created.ok()) << created.status();
    return ns;
  }

  static inline LocalControlPlane* plane_ = nullptr;
  static inline std::string* error_ = nullptr;

  asio::io_context io_;
  std::unique_ptr<k8s::Transport> transport_;
  std::unique_ptr<k8s::Client> client_;
  NodeConfig config_;
  std::unique_ptr<NodeRegistrar> registrar_;
  std::unique_ptr<PodBinder> binder_;
};

Json PodSpec() {
  return Json::parse(R"({"containers":[{"name":"c","image":"rmq.local/none:1",
                         "command":["sleep","3600"]}]})");
}

TEST_F(NodeRegistrationTest, BindsUnscheduledPods) {
  StartRegistrar();
  ASSERT_TRUE(Eventually([&] { return registrar_->registered(); }, seconds(30)));
  binder_ = std::make_unique<PodBinder>(*client_, io_.get_executor(), kNode);
  asio::co_spawn(io_, binder_->Run(), asio::detached);
  const std::string ns = MakeNamespace();

  // A bare pod and a gated one.
  Json bare = {{"apiVersion", "v1"},
               {"kind", "Pod"},
               {"metadata", {{"name", "bare"}, {"namespace", ns}}},
               {"spec", PodSpec()}};
  Json gated = bare;
  gated["metadata"]["name"] = "gated";
  gated["spec"]["schedulingGates"] = Json::parse(R"([{"name":"rmq.test/wait"}])");
  const auto created_at = std::chrono::steady_clock::now();
  ASSERT_TRUE(Run(client_->Create(k8s::Pods(), gated)).ok());
  ASSERT_TRUE(Run(client_->Create(k8s::Pods(), bare)).ok());
  Json pod;
  ASSERT_TRUE(Eventually(
      [&] {
        pod = GetPod(ns, "bare");
        return At(pod, "/spec/nodeName") == kNode;
      },
      seconds(5)))
      << pod.dump();
  std::cout << "bare pod bound after "
            << std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() -
                                                        created_at)
                   .count()
            << " ms\n";
  bool scheduled = false;
  for (const Json& condition : pod.value(Json::json_pointer("/status/conditions"), Json::array())) {
    if (condition.value("type", "") == "PodScheduled") {
      scheduled = condition.value("status", "") == "True";
    }
  }
  EXPECT_TRUE(scheduled) << pod.dump();

  // A StatefulSet of 2: the first pod is bound; the second waits for the first to be Ready
  // (OrderedReady), which only the pod runtime will make it.
  Json sts = {
      {"apiVersion", "apps/v1"},
      {"kind", "StatefulSet"},
      {"metadata", {{"name", "web"}, {"namespace", ns}}},
      {"spec",
       {{"replicas", 2},
        {"serviceName", "web"},
        {"selector", {{"matchLabels", {{"app", "web"}}}}},
        {"template", {{"metadata", {{"labels", {{"app", "web"}}}}}, {"spec", PodSpec()}}}}}};
  ASSERT_TRUE(Run(client_->Create(k8s::StatefulSets(), sts)).ok());
  ASSERT_TRUE(Eventually(
      [&] {
        pod = GetPod(ns, "web-0");
        return At(pod, "/spec/nodeName") == kNode;
      },
      seconds(20)))
      << pod.dump();
  RunFor(seconds(2));
  EXPECT_TRUE(GetPod(ns, "web-1").empty()) << "web-1 exists before web-0 is Ready";

  // The gated pod stayed unbound all along.
  Json still_gated = GetPod(ns, "gated");
  EXPECT_EQ(At(still_gated, "/spec/nodeName"), "") << still_gated.dump();
  EXPECT_EQ(binder_->stats().errors, 0);
  EXPECT_GE(binder_->stats().bound, 2);
}

TEST_F(NodeRegistrationTest, StaysReadyWhileTheLeaseIsRenewed) {
  StartRegistrar();
  ASSERT_TRUE(Eventually([&] { return registrar_->registered(); }, seconds(30)));
  Json node = GetNode();
  EXPECT_EQ(NodeConditionStatus(node, "Ready"), "True") << node.dump();
  EXPECT_FALSE(HasTaint(node, kNotReadyTaint)) << node.dump();
  EXPECT_EQ(At(node, "/metadata/labels/kubernetes.io~1os"), "linux");
  EXPECT_NE(At(node, "/status/allocatable/pods"), "");

  Json lease = GetLease();
  EXPECT_EQ(At(lease, "/spec/holderIdentity"), kNode) << lease.dump();
  EXPECT_EQ(At(lease, "/metadata/ownerReferences/0/uid"), registrar_->node_uid());
  const std::string first_renew = RenewTime(lease);
  ASSERT_TRUE(Eventually([&] { return RenewTime(GetLease()) != first_renew; }, seconds(15)));

  // Well past the node lifecycle controller's grace period: still Ready, no taints from it.
  RunFor(seconds(kGraceSeconds + 10));
  node = GetNode();
  EXPECT_EQ(NodeConditionStatus(node, "Ready"), "True") << node.dump();
  EXPECT_FALSE(HasTaint(node, kNotReadyTaint)) << node.dump();
  EXPECT_FALSE(HasTaint(node, kUnreachableTaint)) << node.dump();
  EXPECT_EQ(registrar_->stats().errors, 0);

  // The control: without renewals the controller gives up on the node within its grace.
  registrar_->Stop();
  const auto stopped_at = std::chrono::steady_clock::now();
  ASSERT_TRUE(Eventually(
      [&] {
        node = GetNode();
        return NodeConditionStatus(node, "Ready") == "Unknown" && HasTaint(node, kUnreachableTaint);
      },
      seconds(kGraceSeconds + 20)))
      << node.dump();
  std::cout << "node Unknown + unreachable taint "
            << std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() -
                                                        stopped_at)
                   .count()
            << " ms after the last renewal stopped; taints: "
            << node.value(Json::json_pointer("/spec/taints"), Json::array()).dump() << "\n";

  // A new agent brings it back: Ready, and the controller lifts the unreachable taints.
  RunFor(milliseconds(200));
  StartRegistrar();
  ASSERT_TRUE(Eventually(
      [&] {
        node = GetNode();
        return registrar_->registered() && NodeConditionStatus(node, "Ready") == "True" &&
               !HasTaint(node, kUnreachableTaint) && !HasTaint(node, kNotReadyTaint);
      },
      seconds(30)))
      << node.dump();
}

}  // namespace
}  // namespace rmq::nodeagent
