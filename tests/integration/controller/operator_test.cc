// rocketmq-operator against a real kube-apiserver + kube-controller-manager (garbage collection,
// StatefulSet controller): the children of the Apache operator's example, updates reaching the
// pod template, a refused scale-in, two namespaces, garbage collection, quiet steady state, and
// leader election between two operator processes. No pods run (no node agent here): readiness is
// the e2e tests' business.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <fstream>
#include <functional>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/integration/controller/crd_plane.h"
#include "tests/support/child_process.h"
#include "tests/support/http_client.h"
#include "tests/support/local_control_plane.h"

namespace rmq::controller {
namespace {

using Json = nlohmann::json;
using rmq::testing::ChildProcess;
using rmq::testing::LocalControlPlane;
using std::chrono::milliseconds;
using std::chrono::seconds;
using Clock = std::chrono::steady_clock;

const std::string kSource = RMQ_SOURCE_DIR;
const std::string kOperator = RMQ_OPERATOR_BIN;

int FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return 0;
  }
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

bool WaitFor(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(milliseconds(200));
  }
  return condition();
}

// One rocketmq-operator process with its HTTP port.
struct OperatorProcess {
  std::unique_ptr<ChildProcess> process;
  int port = 0;

  int HttpStatus(const std::string& path) const {
    absl::StatusOr<rmq::testing::HttpResult> r =
        rmq::testing::HttpGet("127.0.0.1", port, path, milliseconds(2000));
    return r.ok() ? r->status : -1;
  }
  // The sum of a metric's samples (all label sets); -1 when unreadable.
  double Metric(const std::string& name) const {
    absl::StatusOr<rmq::testing::HttpResult> r =
        rmq::testing::HttpGet("127.0.0.1", port, "/metrics", milliseconds(2000));
    if (!r.ok() || r->status != 200) return -1;
    double sum = 0;
    for (absl::string_view line : absl::StrSplit(r->body, '\n')) {
      if (line.substr(0, name.size()) != name) continue;
      if (line.size() > name.size() && line[name.size()] != '{' && line[name.size()] != ' ') {
        continue;
      }
      sum += std::stod(std::string(line.substr(line.rfind(' ') + 1)));
    }
    return sum;
  }
};

class OperatorTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    absl::StatusOr<std::unique_ptr<LocalControlPlane>> plane =
        StartPlaneWithCrds({.with_controller_manager = true});
    if (!plane.ok()) {
      error_ = new std::string(plane.status().ToString());
      return;
    }
    plane_ = plane->release();
  }
  static void TearDownTestSuite() {
    delete plane_;
    plane_ = nullptr;
  }
  void SetUp() override { ASSERT_EQ(error_, nullptr) << *error_; }

  static OperatorProcess StartOperator(const std::string& name, std::vector<std::string> extra) {
    OperatorProcess op;
    op.port = FreePort();
    std::vector<std::string> argv = {kOperator, "--kubeconfig=" + plane_->kubeconfig_path(),
                                     absl::StrCat("--http-listen=127.0.0.1:", op.port),
                                     "--identity=" + name, "--agent-image=rocketmq-agent:test"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    absl::StatusOr<std::unique_ptr<ChildProcess>> p =
        ChildProcess::Start(argv, {}, plane_->dir() + "/" + name + ".log");
    EXPECT_TRUE(p.ok()) << p.status();
    if (p.ok()) op.process = *std::move(p);
    return op;
  }

  static absl::Status Apply(const std::string& yaml) {
    const std::string path = plane_->dir() + "/manifest.yaml";
    std::ofstream(path) << yaml;
    return plane_->Kubectl({"apply", "-f", path}).status();
  }

  static std::optional<Json> Get(const std::string& ns, const std::string& what) {
    absl::StatusOr<std::string> out = plane_->Kubectl({"-n", ns, "get", what, "-o", "json"});
    if (!out.ok()) return std::nullopt;
    Json j = Json::parse(*out, nullptr, false);
    if (!j.is_object()) return std::nullopt;
    return j;
  }

  // "Kind/name" of every object of these kinds in `ns` controlled by the operator's CRs.
  static std::set<std::string> Children(const std::string& ns) {
    std::set<std::string> out;
    std::optional<Json> list = Get(ns, "statefulsets,services,configmaps,poddisruptionbudgets");
    if (!list) return out;
    for (const Json& item : (*list)["items"]) {
      for (const Json& ref : item["metadata"].value("ownerReferences", Json::array())) {
        if (ref.value("apiVersion", "") == "rocketmq.apache.org/v1alpha1" &&
            ref.value("controller", false)) {
          out.insert(absl::StrCat(item.value("kind", ""), "/", item["metadata"].value("name", "")));
        }
      }
    }
    return out;
  }

  static std::string Condition(const Json& cr, const std::string& type, const char* field) {
    for (const Json& c : cr.value("/status/conditions"_json_pointer, Json::array())) {
      if (c.value("type", "") == type) return c.value(field, "");
    }
    return "";
  }

  static LocalControlPlane* plane_;
  static std::string* error_;
};

LocalControlPlane* OperatorTest::plane_ = nullptr;
std::string* OperatorTest::error_ = nullptr;

// The Apache operator's example (tests/testdata/controller/apache_rocketmq_cluster.yaml) in
// namespace `ns`, with the Namespace.
std::string ApacheExample(const std::string& ns) {
  std::ifstream in(kSource + "/tests/testdata/controller/apache_rocketmq_cluster.yaml");
  std::stringstream text;
  text << in.rdbuf();
  std::string yaml = absl::StrCat("apiVersion: v1\nkind: Namespace\nmetadata: {name: ", ns,
                                  "}\n---\n", text.str());
  const std::string from = "namespace: default";
  const std::string to = "namespace: " + ns;
  for (size_t at = 0; (at = yaml.find(from, at)) != std::string::npos; at += to.size()) {
    yaml.replace(at, from.size(), to);
  }
  return yaml;
}

const std::set<std::string> kApacheChildren = {"ConfigMap/broker-broker-config",
                                               "ConfigMap/broker-nameservers",
                                               "PodDisruptionBudget/broker-brokers",
                                               "Service/broker-brokers",
                                               "Service/name-service",
                                               "StatefulSet/broker-0-master",
                                               "StatefulSet/broker-0-replica-1",
                                               "StatefulSet/name-service"};

std::string TemplateOf(const std::optional<Json>& sts, const char* pointer) {
  if (!sts) return "";
  const Json j = (*sts)["spec"]["template"];
  const Json::json_pointer p(pointer);
  return j.contains(p) && j.at(p).is_string() ? j.at(p).get<std::string>() : "";
}

TEST_F(OperatorTest, ReconcilesTheApacheExampleUpdatesRefusesScaleInAndStaysQuiet) {
  OperatorProcess op = StartOperator("op-main", {"--leader-elect=false"});
  ASSERT_TRUE(WaitFor([&] { return op.HttpStatus("/readyz") == 200; }, seconds(30)))
      << op.process->Log();

  const auto t0 = Clock::now();
  ASSERT_TRUE(Apply(ApacheExample("apache")).ok());
  ASSERT_TRUE(WaitFor([&] { return Children("apache") == kApacheChildren; }, seconds(30)))
      << op.process->Log();
  std::printf("[operator] Apache example: all 8 children applied %.2f s after kubectl apply\n",
              std::chrono::duration<double>(Clock::now() - t0).count());

  // The children as the builders make them: the broker's name servers from the NameService, the
  // user's broker-common.conf merged, identity env, the agent sidecar.
  std::optional<Json> ns_cm = Get("apache", "configmap/broker-nameservers");
  ASSERT_TRUE(ns_cm);
  EXPECT_EQ((*ns_cm)["data"]["NAMESRV_ADDR"],
            "name-service-0.name-service.apache.svc.cluster.local:9876");
  std::optional<Json> conf = Get("apache", "configmap/broker-broker-config");
  ASSERT_TRUE(conf);
  const std::string text = (*conf)["data"]["broker.conf"];
  EXPECT_NE(text.find("brokerClusterName=broker\n"), std::string::npos) << text;
  EXPECT_NE(text.find("fileReservedTime=48\n"), std::string::npos) << text;
  std::optional<Json> master = Get("apache", "statefulset/broker-0-master");
  ASSERT_TRUE(master);
  const Json containers = (*master)["spec"]["template"]["spec"]["containers"];
  ASSERT_EQ(containers.size(), 2u);
  EXPECT_EQ(containers[0]["image"], "apacherocketmq/rocketmq-broker:4.5.0-alpine-operator-0.3.0");
  EXPECT_EQ(containers[1]["name"], "rocketmq-agent");
  EXPECT_EQ(containers[1]["image"], "rocketmq-agent:test");
  std::optional<Json> ns_sts = Get("apache", "statefulset/name-service");
  ASSERT_TRUE(ns_sts);
  EXPECT_EQ((*ns_sts)["spec"]["template"]["spec"]["hostNetwork"], true);

  // Status, conditions, Events.
  ASSERT_TRUE(WaitFor(
      [&] {
        std::optional<Json> b = Get("apache", "broker/broker");
        return b && Condition(*b, "Progressing", "status") == "True" &&
               (*b)["status"].value("size", 0) == 1 &&
               (*b)["status"].value("observedGeneration", 0) == 1;
      },
      seconds(20)));
  absl::StatusOr<std::string> events = plane_->Kubectl(
      {"-n", "apache", "get", "events.events.k8s.io", "-o",
       R"(jsonpath={range .items[*]}{.reason}/{.regarding.kind}/{.note}{"\n"}{end})"});
  ASSERT_TRUE(events.ok());
  EXPECT_NE(events->find("Created/Broker/created StatefulSet broker-0-master"), std::string::npos)
      << *events;
  EXPECT_NE(events->find("IgnoredConfigKeys/Broker/"), std::string::npos) << *events;

  // Image change -> the pod template changes (the StatefulSet rolls); the config hash does not.
  const std::string hash_before =
      TemplateOf(master, "/metadata/annotations/rocketmq.apache.org~1config-hash");
  ASSERT_FALSE(hash_before.empty());
  ASSERT_TRUE(plane_
                  ->Kubectl({"-n", "apache", "patch", "broker", "broker", "--type=merge", "-p",
                             R"({"spec":{"brokerImage":"apache/rocketmq:5.3.3"}})"})
                  .ok());
  ASSERT_TRUE(WaitFor(
      [&] {
        return TemplateOf(Get("apache", "statefulset/broker-0-master"),
                          "/spec/containers/0/image") == "apache/rocketmq:5.3.3";
      },
      seconds(20)));
  EXPECT_EQ(TemplateOf(Get("apache", "statefulset/broker-0-master"),
                       "/metadata/annotations/rocketmq.apache.org~1config-hash"),
            hash_before);

  // The user's broker-common.conf changes -> broker.conf and the config hash change.
  ASSERT_TRUE(plane_
                  ->Kubectl({"-n", "apache", "patch", "configmap", "broker-config", "--type=merge",
                             "-p", R"({"data":{"broker-common.conf":"fileReservedTime=72\n"}})"})
                  .ok());
  ASSERT_TRUE(WaitFor(
      [&] {
        std::string h = TemplateOf(Get("apache", "statefulset/broker-0-replica-1"),
                                   "/metadata/annotations/rocketmq.apache.org~1config-hash");
        return !h.empty() && h != hash_before;
      },
      seconds(20)))
      << op.process->Log();

  // Scale out 1 -> 2 groups, then in 2 -> 1: refused, condition + Event, nothing deleted.
  ASSERT_TRUE(plane_->Kubectl({"-n", "apache", "scale", "broker", "broker", "--replicas=2"}).ok());
  ASSERT_TRUE(WaitFor([&] { return Children("apache").contains("StatefulSet/broker-1-replica-1"); },
                      seconds(20)));
  ASSERT_TRUE(plane_->Kubectl({"-n", "apache", "scale", "broker", "broker", "--replicas=1"}).ok());
  ASSERT_TRUE(WaitFor(
      [&] {
        std::optional<Json> b = Get("apache", "broker/broker");
        return b && Condition(*b, "Degraded", "reason") == "ScaleInRefused";
      },
      seconds(20)));
  std::optional<Json> refused = Get("apache", "broker/broker");
  EXPECT_EQ((*refused)["status"]["size"], 2);
  EXPECT_NE(Condition(*refused, "Degraded", "message").find("size 2 -> 1 refused"),
            std::string::npos);
  EXPECT_TRUE(Children("apache").contains("StatefulSet/broker-1-master"));
  events = plane_->Kubectl({"-n", "apache", "get", "events.events.k8s.io", "-o",
                            R"(jsonpath={range .items[*]}{.type}/{.reason}{"\n"}{end})"});
  ASSERT_TRUE(events.ok());
  EXPECT_NE(events->find("Warning/ScaleInRefused"), std::string::npos) << *events;

  // Converged: no API writes and no change to any object for 30 s.
  ASSERT_TRUE(plane_->Kubectl({"-n", "apache", "scale", "broker", "broker", "--replicas=2"}).ok());
  ASSERT_TRUE(WaitFor(
      [&] {
        std::optional<Json> b = Get("apache", "broker/broker");
        return b && Condition(*b, "Degraded", "status") == "False";
      },
      seconds(20)));
  std::this_thread::sleep_for(seconds(3));
  const double writes_before = op.Metric("rocketmq_operator_api_writes_total");
  const double reconciles_before = op.Metric("rocketmq_operator_reconcile_total");
  absl::StatusOr<std::string> versions_before = plane_->Kubectl(
      {"-n", "apache", "get", "brokers,nameservices,statefulsets,services,configmaps,pdb", "-o",
       "jsonpath={range .items[*]}{.kind}/{.metadata.name}={.metadata.resourceVersion} {end}"});
  ASSERT_TRUE(versions_before.ok());
  std::this_thread::sleep_for(seconds(30));
  const double writes_after = op.Metric("rocketmq_operator_api_writes_total");
  absl::StatusOr<std::string> versions_after = plane_->Kubectl(
      {"-n", "apache", "get", "brokers,nameservices,statefulsets,services,configmaps,pdb", "-o",
       "jsonpath={range .items[*]}{.kind}/{.metadata.name}={.metadata.resourceVersion} {end}"});
  ASSERT_TRUE(versions_after.ok());
  std::printf("[operator] steady state: %.0f API writes and %.0f reconciles in 30 s\n",
              writes_after - writes_before,
              op.Metric("rocketmq_operator_reconcile_total") - reconciles_before);
  EXPECT_GT(writes_before, 0);
  EXPECT_EQ(writes_after, writes_before);
  EXPECT_EQ(*versions_after, *versions_before);

  // Delete the CRs: kube-controller-manager's garbage collector removes every child.
  ASSERT_TRUE(plane_->Kubectl({"-n", "apache", "delete", "broker,nameservice", "--all"}).ok());
  ASSERT_TRUE(WaitFor([&] { return Children("apache").empty(); }, seconds(60)))
      << "left: " << Children("apache").size();
  op.process->Signal(SIGTERM);
  EXPECT_EQ(op.process->WaitExit(seconds(15)), 0) << op.process->Log();
}

TEST_F(OperatorTest, TwoNamespacesDoNotInterfereAndAWatchListIsHonoured) {
  OperatorProcess op =
      StartOperator("op-ns", {"--leader-elect=false", "--namespaces=team-a,team-b"});
  ASSERT_TRUE(WaitFor([&] { return op.HttpStatus("/readyz") == 200; }, seconds(30)))
      << op.process->Log();
  for (const char* ns : {"team-a", "team-b", "team-c"}) {
    ASSERT_TRUE(Apply(ApacheExample(ns)).ok());
  }
  ASSERT_TRUE(WaitFor(
      [&] {
        return Children("team-a") == kApacheChildren && Children("team-b") == kApacheChildren;
      },
      seconds(30)))
      << op.process->Log();
  for (const char* ns : {"team-a", "team-b"}) {
    std::optional<Json> cm = Get(ns, "configmap/broker-nameservers");
    ASSERT_TRUE(cm);
    EXPECT_EQ((*cm)["data"]["NAMESRV_ADDR"],
              absl::StrCat("name-service-0.name-service.", ns, ".svc.cluster.local:9876"));
  }
  // Not watched: left alone.
  std::this_thread::sleep_for(seconds(2));
  EXPECT_TRUE(Children("team-c").empty());
  op.process->Signal(SIGTERM);
  EXPECT_EQ(op.process->WaitExit(seconds(15)), 0) << op.process->Log();
}

TEST_F(OperatorTest, TwoOperatorsOneLeadsAndTheOtherTakesOver) {
  const std::vector<std::string> election = {"--leader-election-namespace=default",
                                             "--leader-election-id=rocketmq-operator-test",
                                             "--lease-duration=4s",
                                             "--renew-deadline=3s",
                                             "--retry-period=1s",
                                             "--namespaces=election"};
  OperatorProcess a = StartOperator("op-a", election);
  ASSERT_TRUE(WaitFor([&] { return a.HttpStatus("/readyz") == 200; }, seconds(30)))
      << a.process->Log();
  OperatorProcess b = StartOperator("op-b", election);
  ASSERT_TRUE(WaitFor([&] { return b.HttpStatus("/healthz") == 200; }, seconds(30)));
  std::this_thread::sleep_for(seconds(3));
  EXPECT_EQ(b.HttpStatus("/readyz"), 503) << "two leaders";
  EXPECT_EQ(b.Metric("rocketmq_operator_leader"), 0);
  EXPECT_EQ(a.Metric("rocketmq_operator_leader"), 1);

  // The leader stops (SIGTERM releases the Lease): the other leads at once and reconciles.
  const auto t0 = Clock::now();
  a.process->Signal(SIGTERM);
  EXPECT_EQ(a.process->WaitExit(seconds(15)), 0) << a.process->Log();
  ASSERT_TRUE(WaitFor([&] { return b.HttpStatus("/readyz") == 200; }, seconds(20)))
      << b.process->Log();
  std::printf("[operator] failover after SIGTERM of the leader: %.2f s\n",
              std::chrono::duration<double>(Clock::now() - t0).count());
  ASSERT_TRUE(Apply(ApacheExample("election")).ok());
  ASSERT_TRUE(WaitFor([&] { return Children("election") == kApacheChildren; }, seconds(30)))
      << b.process->Log();

  // A leader killed outright: the next one waits for the Lease to expire, then leads.
  OperatorProcess c = StartOperator("op-c", election);
  ASSERT_TRUE(WaitFor([&] { return c.HttpStatus("/healthz") == 200; }, seconds(30)));
  const auto t1 = Clock::now();
  b.process->Signal(SIGKILL);
  ASSERT_TRUE(WaitFor([&] { return c.HttpStatus("/readyz") == 200; }, seconds(30)))
      << c.process->Log();
  std::printf("[operator] failover after SIGKILL of the leader (lease 4 s): %.2f s\n",
              std::chrono::duration<double>(Clock::now() - t1).count());
  c.process->Signal(SIGTERM);
  EXPECT_EQ(c.process->WaitExit(seconds(15)), 0) << c.process->Log();
}

// deploy/operator/rbac.yaml is enough: the operator runs with its ServiceAccount's token only.
TEST_F(OperatorTest, RunsWithTheShippedRbacOnly) {
  ASSERT_TRUE(plane_->Kubectl({"create", "namespace", "rocketmq-system"}).ok());
  ASSERT_TRUE(plane_->Kubectl({"apply", "-f", kSource + "/deploy/operator/rbac.yaml"}).ok());
  absl::StatusOr<std::string> token = plane_->Kubectl(
      {"-n", "rocketmq-system", "create", "token", "rocketmq-operator", "--duration=1h"});
  ASSERT_TRUE(token.ok()) << token.status();
  const std::string kubeconfig = plane_->dir() + "/operator-sa.kubeconfig";
  std::ofstream(kubeconfig)
      << "apiVersion: v1\nkind: Config\nclusters:\n- name: local\n  cluster:\n"
      << "    server: " << plane_->server() << "\n"
      << "    certificate-authority: " << plane_->pki_dir() << "/ca.crt\n"
      << "users:\n- name: operator\n  user:\n    token: " << absl::StripAsciiWhitespace(*token)
      << "\n"
      << "contexts:\n- name: operator\n  context: {cluster: local, user: "
         "operator}\ncurrent-context: operator\n";
  OperatorProcess op = StartOperator(
      "op-rbac", {"--kubeconfig=" + kubeconfig, "--leader-election-namespace=rocketmq-system",
                  "--namespaces=rbac-test"});
  ASSERT_TRUE(WaitFor([&] { return op.HttpStatus("/readyz") == 200; }, seconds(30)))
      << op.process->Log();
  ASSERT_TRUE(Apply(ApacheExample("rbac-test")).ok());
  ASSERT_TRUE(WaitFor([&] { return Children("rbac-test") == kApacheChildren; }, seconds(30)))
      << op.process->Log();
  ASSERT_TRUE(WaitFor(
      [&] {
        std::optional<Json> b = Get("rbac-test", "broker/broker");
        return b && (*b)["status"].value("observedGeneration", 0) == 1;
      },
      seconds(20)))
      << op.process->Log();
  absl::StatusOr<std::string> events = plane_->Kubectl(
      {"-n", "rbac-test", "get", "events.events.k8s.io", "-o", "jsonpath={.items[*].reason}"});
  ASSERT_TRUE(events.ok());
  EXPECT_NE(events->find("Created"), std::string::npos) << *events;
  EXPECT_EQ(op.process->Log().find("Forbidden"), std::string::npos) << op.process->Log();
  op.process->Signal(SIGTERM);
  EXPECT_EQ(op.process->WaitExit(seconds(15)), 0) << op.process->Log();
}

}  // namespace
}  // namespace rmq::controller
