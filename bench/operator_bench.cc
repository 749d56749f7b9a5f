// operator_bench: rocketmq-operator with many RocketMQ clusters on a real local control plane.
//
// Starts kube-apiserver + etcd, installs deploy/crds/, starts the operator (this build's binary,
// leader election on), creates N clusters (default 100), each a namespace with a NameService and
// a Broker (1 group, master + slave), and measures:
//  - time until every cluster's StatefulSets exist (N x 3), seen by an informer in this process;
//  - reconcile latency, CR change -> children applied: each Broker's brokerImage patched one at
//    a time, until the informer sees the master StatefulSet's new template (p50/p99), then all N
//    patched at once (burst: p50/p99 from the burst's start, and the time until the last);
//  - the operator's RSS with N clusters cached;
//  - API requests and writes per minute at idle (the operator's own counters over 60 s).
// The Apache operator's design (not run here: it needs its Go build and a JVM) requeues every CR
// every 6 s, with GETs of the CR and its StatefulSets on each pass: with N clusters that is at
// least N x 2 x 10 = 20 x N requests per minute at idle.
//
//   build/release/bench/operator_bench [N]
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "bench/proc.h"
#include "common/k8s/client.h"
#include "common/k8s/informer.h"
#include "common/k8s/rest_config.h"
#include "common/net/blocking.h"
#include "tests/support/child_process.h"
#include "tests/support/http_client.h"
#include "tests/support/local_control_plane.h"

namespace {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;
using rmq::k8s::Json;

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return -1;
  std::sort(v.begin(), v.end());
  const auto i = static_cast<size_t>(std::lround(p * static_cast<double>(v.size() - 1)));
  return v[std::min(i, v.size() - 1)];
}

const rmq::k8s::ResourceType& Brokers() {
  static const auto* t = new rmq::k8s::ResourceType{.group = "rocketmq.apache.org",
                                                    .version = "v1alpha1",
                                                    .plural = "brokers",
                                                    .kind = "Broker",
                                                    .namespaced = true};
  return *t;
}
const rmq::k8s::ResourceType& NameServices() {
  static const auto* t = new rmq::k8s::ResourceType{.group = "rocketmq.apache.org",
                                                    .version = "v1alpha1",
                                                    .plural = "nameservices",
                                                    .kind = "NameService",
                                                    .namespaced = true};
  return *t;
}

// The sum of a metric's samples per label set, from the operator's /metrics.
std::map<std::string, double> Metric(int port, const std::string& name) {
  std::map<std::string, double> out;
  absl::StatusOr<rmq::testing::HttpResult> r =
      rmq::testing::HttpGet("127.0.0.1", port, "/metrics", std::chrono::milliseconds(5000));
  if (!r.ok()) return out;
  for (absl::string_view line : absl::StrSplit(r->body, '\n')) {
    if (!absl::StartsWith(line, name) || line.size() <= name.size()) continue;
    const char next = line[name.size()];
    if (next != '{' && next != ' ') continue;
    const size_t space = line.rfind(' ');
    out[std::string(line.substr(name.size(), space - name.size()))] +=
        std::stod(std::string(line.substr(space + 1)));
  }
  return out;
}

double Sum(const std::map<std::string, double>& m) {
  double s = 0;
  for (const auto& [k, v] : m) s += v;
  return s;
}

int FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) return 0;
  socklen_t len = sizeof(addr);
  (void)::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

}  // namespace

int main(int argc, char** argv) {
  const int n = argc > 1 ? std::atoi(argv[1]) : 100;
  auto plane = rmq::testing::LocalControlPlane::Start({});
  if (!plane.ok()) {
    std::fprintf(stderr, "control plane: %s\n", plane.status().ToString().c_str());
    return 1;
  }
  const std::string crds = std::string(RMQ_SOURCE_DIR) + "/deploy/crds/";
  if (!(*plane)->Kubectl({"apply", "--server-side", "-f", crds}).ok() ||
      !(*plane)
           ->Kubectl({"wait", "--for=condition=Established", "--timeout=60s", "crd",
                      "brokers.rocketmq.apache.org", "nameservices.rocketmq.apache.org"})
           .ok()) {
    std::fprintf(stderr, "CRDs not installed\n");
    return 1;
  }
  const int port = FreePort();
  auto op = rmq::testing::ChildProcess::Start(
      {RMQ_OPERATOR_BIN, "--kubeconfig=" + (*plane)->kubeconfig_path(),
       absl::StrCat("--http-listen=127.0.0.1:", port), "--identity=bench", "--log-level=warn"},
      {}, (*plane)->dir() + "/operator.log");
  if (!op.ok()) {
    std::fprintf(stderr, "operator: %s\n", op.status().ToString().c_str());
    return 1;
  }
  const pid_t op_pid = (*op)->pid();

  auto config = rmq::k8s::LoadKubeconfig((*plane)->kubeconfig_path());
  asio::io_context io;
  auto transport = rmq::k8s::Transport::Create(io.get_executor(), *config, {});
  if (!config.ok() || !transport.ok()) return 1;
  rmq::k8s::Client client(**transport);

  // Master StatefulSet of each cluster: the image of its template, and when it was seen.
  struct Seen {
    std::string image;
    Clock::time_point at;
  };
  std::map<std::string, Seen> seen;
  size_t stateful_sets = 0;
  rmq::k8s::Informer informer(client, rmq::k8s::StatefulSets(),
                              {.label_selector = "app.kubernetes.io/managed-by=rocketmq-operator"});
  informer.AddHandler([&](const rmq::k8s::ObjectEvent& e) {
    stateful_sets = informer.store().size();
    const std::string image =
        e.object.value("/spec/template/spec/containers/0/image"_json_pointer, "");
    seen[rmq::k8s::ObjectStore::KeyOf(e.object)] = {image, Clock::now()};
  });
  asio::co_spawn(io, informer.Run(), asio::detached);
  while (!informer.HasSynced()) io.run_one();

  const double rss_empty = rmq::bench::ProcStatusMiB(op_pid, "VmRSS");
  // N clusters.
  const auto t_create = Clock::now();
  for (int i = 0; i < n; ++i) {
    const std::string ns = absl::StrCat("c", i);
    Json namespace_object = {
        {"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", ns}}}};
    Json name_service = {{"apiVersion", "rocketmq.apache.org/v1alpha1"},
                         {"kind", "NameService"},
                         {"metadata", {{"name", "names"}, {"namespace", ns}}},
                         {"spec", {{"size", 1}}}};
    Json broker = {{"apiVersion", "rocketmq.apache.org/v1alpha1"},
                   {"kind", "Broker"},
                   {"metadata", {{"name", "broker"}, {"namespace", ns}}},
                   {"spec", {{"size", 1}, {"replicaPerGroup", 1}}}};
    for (auto [type, object] :
         {std::pair{&rmq::k8s::Namespaces(), namespace_object},
          std::pair{&NameServices(), name_service}, std::pair{&Brokers(), broker}}) {
      absl::StatusOr<Json> r = rmq::net::BlockOn(io, client.Create(*type, object));
      if (!r.ok()) {
        std::fprintf(stderr, "create: %s\n", r.status().ToString().c_str());
        return 1;
      }
    }
  }
  const double created_s = Seconds(Clock::now() - t_create);
  const size_t all_sets = 3 * static_cast<size_t>(n);
  while (stateful_sets < all_sets) io.run_one();
  const double converged_s = Seconds(Clock::now() - t_create);
  io.run_for(std::chrono::seconds(5));  // statuses settle

  // Sequential latency.
  std::vector<double> sequential;
  for (int i = 0; i < n; ++i) {
    const std::string ns = absl::StrCat("c", i);
    const std::string image = absl::StrCat("apache/rocketmq:5.3.3-s", i);
    const auto t0 = Clock::now();
    Json patch = {{"spec", {{"brokerImage", image}}}};
    if (!rmq::net::BlockOn(io, client.MergePatch(Brokers(), ns, "broker", patch)).ok()) return 1;
    const std::string key = ns + "/broker-0-master";
    while (seen[key].image != image) io.run_one();
    sequential.push_back(Seconds(seen[key].at - t0));
  }
  // Burst: every Broker at once.
  int patched = 0;
  Clock::time_point patches_done;
  const double burst_writes_0 = Sum(Metric(port, "rocketmq_operator_api_writes_total"));
  const double burst_reconciles_0 = Sum(Metric(port, "rocketmq_operator_reconcile_total"));
  const auto t_burst = Clock::now();
  for (int i = 0; i < n; ++i) {
    asio::co_spawn(
        io,
        [&, i]() -> asio::awaitable<void> {
          Json patch = Json::object();
          patch["spec"]["brokerImage"] = absl::StrCat("apache/rocketmq:5.3.3-b", i);
          (void)co_await client.MergePatch(Brokers(), absl::StrCat("c", i), "broker",
                                           std::move(patch));
          if (++patched == n) patches_done = Clock::now();
        },
        asio::detached);
  }
  std::vector<double> burst;
  for (int i = 0; i < n; ++i) {
    const std::string key = absl::StrCat("c", i, "/broker-0-master");
    const std::string image = absl::StrCat("apache/rocketmq:5.3.3-b", i);
    while (seen[key].image != image) io.run_one();
    burst.push_back(Seconds(seen[key].at - t_burst));
  }
  while (patched < n) io.run_one();
  const double burst_last_s = Percentile(burst, 1.0);
  io.run_for(std::chrono::seconds(10));  // statuses settle
  const double burst_writes =
      Sum(Metric(port, "rocketmq_operator_api_writes_total")) - burst_writes_0;
  const double burst_reconciles =
      Sum(Metric(port, "rocketmq_operator_reconcile_total")) - burst_reconciles_0;

  const double rss = rmq::bench::ProcStatusMiB(op_pid, "VmRSS");
  const double hwm = rmq::bench::ProcStatusMiB(op_pid, "VmHWM");
  const auto requests_0 = Metric(port, "rocketmq_operator_api_requests_total");
  const double writes_0 = Sum(Metric(port, "rocketmq_operator_api_writes_total"));
  const double reconciles_0 = Sum(Metric(port, "rocketmq_operator_reconcile_total"));
  io.run_for(std::chrono::seconds(60));
  const auto requests_1 = Metric(port, "rocketmq_operator_api_requests_total");
  const double writes_1 = Sum(Metric(port, "rocketmq_operator_api_writes_total"));
  const double reconciles_1 = Sum(Metric(port, "rocketmq_operator_reconcile_total"));

  std::printf("operator_bench: %d clusters (NameService + Broker of 1 master + 1 slave each)\n", n);
  std::printf(
      "  create %d x 3 objects: %.2f s; every StatefulSet (%d) applied %.2f s after the "
      "first create\n",
      n, created_s, 3 * n, converged_s);
  std::printf(
      "  reconcile latency, Broker patched -> StatefulSet updated, one at a time: p50 "
      "%.1f ms, p99 %.1f ms, max %.1f ms\n",
      1000 * Percentile(sequential, 0.5), 1000 * Percentile(sequential, 0.99),
      1000 * Percentile(sequential, 1.0));
  std::printf("  burst of %d patches at once: p50 %.1f ms, p99 %.1f ms, last %.1f ms\n", n,
              1000 * Percentile(burst, 0.5), 1000 * Percentile(burst, 0.99), 1000 * burst_last_s);
  std::printf(
      "    (the %d patches themselves took %.0f ms; the burst cost %.0f reconciles and %.0f "
      "operator writes)\n",
      n, 1000 * Seconds(patches_done - t_burst), burst_reconciles, burst_writes);
  std::printf("  operator RSS: %.1f MiB before the clusters, %.1f MiB with %d (peak %.1f MiB)\n",
              rss_empty, rss, n, hwm);
  std::printf("  idle 60 s: %.0f API requests (", Sum(requests_1) - Sum(requests_0));
  for (const auto& [labels, v] : requests_1) {
    auto it = requests_0.find(labels);
    std::printf("%s %.0f ", labels.c_str(), v - (it == requests_0.end() ? 0 : it->second));
  }
  std::printf("), %.0f writes, %.0f reconciles\n", writes_1 - writes_0,
              reconciles_1 - reconciles_0);
  std::printf(
      "  the Apache operator's design at idle: >= %d requests/min (6 s requeue of each of "
      "%d CRs, >= 2 GETs per pass)\n",
      2 * 10 * 2 * n, 2 * n);
  (*op)->Signal(SIGTERM);
  (void)(*op)->WaitExit(std::chrono::seconds(15));
  return 0;
}
