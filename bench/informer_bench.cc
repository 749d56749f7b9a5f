// informer_bench: the Kubernetes client's informer against a real local control plane.
//
// Creates N ConfigMaps (default 10,000), then measures: the informer's list + watch until its
// cache holds all N; N updates made through the client until the informer has seen every one;
// this process's RSS (client + cache of N objects). The alternative, measured in the same run:
// `kubectl get configmaps -o json` (client-go) listing the same N objects, its wall time and peak
// RSS.
//
//   build/release/bench/informer_bench [N] [IN_FLIGHT]
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "bench/proc.h"
#include "common/k8s/client.h"
#include "common/k8s/informer.h"
#include "common/k8s/rest_config.h"
#include "common/net/blocking.h"
#include "tests/support/local_control_plane.h"

namespace {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;
using rmq::k8s::Json;

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

// Runs `count` calls of `call(i)` with `in_flight` at a time on `io`; returns failures.
int RunConcurrently(asio::io_context& io, int count, int in_flight,
                    const std::function<asio::awaitable<absl::Status>(int)>& call) {
  int next = 0;
  int done = 0;
  int failed = 0;
  for (int w = 0; w < in_flight; ++w) {
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
          while (next < count) {
            int i = next++;
            absl::Status s = co_await call(i);
            if (!s.ok() && failed++ < 3) {
              std::fprintf(stderr, "call %d failed: %s\n", i, s.ToString().c_str());
            }
            ++done;
          }
        },
        asio::detached);
  }
  io.restart();
  while (done < count) io.run_one();
  return failed;
}

}  // namespace

int main(int argc, char** argv) {
  const int n = argc > 1 ? std::atoi(argv[1]) : 10'000;
  const int in_flight = argc > 2 ? std::atoi(argv[2]) : 32;
  auto plane = rmq::testing::LocalControlPlane::Start({});
  if (!plane.ok()) {
    std::fprintf(stderr, "control plane: %s\n", plane.status().ToString().c_str());
    return 1;
  }
  auto config = rmq::k8s::LoadKubeconfig((*plane)->kubeconfig_path());
  if (!config.ok()) {
    std::fprintf(stderr, "kubeconfig: %s\n", config.status().ToString().c_str());
    return 1;
  }
  asio::io_context io;
  rmq::k8s::TransportOptions options;
  options.max_idle_connections = static_cast<size_t>(in_flight);
  auto transport = rmq::k8s::Transport::Create(io.get_executor(), *config, options);
  if (!transport.ok()) return 1;
  rmq::k8s::Client client(**transport);
  const std::string ns = "bench";
  Json ns_object = {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", ns}}}};
  if (!rmq::net::BlockOn(io, client.Create(rmq::k8s::Namespaces(), ns_object)).ok()) return 1;

  const std::string payload(200, 'x');  // a small ConfigMap, like a rendered broker config
  auto start = Clock::now();
  int failed = RunConcurrently(io, n, in_flight, [&](int i) -> asio::awaitable<absl::Status> {
    Json cm = {{"apiVersion", "v1"},
               {"kind", "ConfigMap"},
               {"metadata", {{"name", absl::StrCat("cm-", i)}, {"namespace", ns}}},
               {"data", {{"v", "1"}, {"payload", payload}}}};
    absl::StatusOr<Json> r = co_await client.Create(rmq::k8s::ConfigMaps(), std::move(cm));
    co_return r.status();
  });
  double create_s = Seconds(Clock::now() - start);
  std::printf(
      "created %d ConfigMaps in %.2f s (%.0f/s, %d in flight, %d failed, %zu connections)\n", n,
      create_s, n / create_s, in_flight, failed, (*transport)->ConnectionsOpened());
  double rss_before = rmq::bench::ProcStatusMiB(getpid(), "VmRSS");

  rmq::k8s::InformerOptions informer_options;
  informer_options.ns = ns;
  rmq::k8s::Informer informer(client, rmq::k8s::ConfigMaps(), informer_options);
  int updates_seen = 0;
  informer.AddHandler([&](const rmq::k8s::ObjectEvent& e) {
    if (e.type == rmq::k8s::ObjectEvent::Type::kUpdated && e.object["data"].value("v", "") == "2") {
      ++updates_seen;
    }
  });
  start = Clock::now();
  asio::co_spawn(io, informer.Run(), asio::detached);
  io.restart();
  while (!informer.HasSynced()) io.run_one();
  double sync_s = Seconds(Clock::now() - start);
  std::printf("informer list+watch: %zu objects cached in %.2f s (pages of %lld)\n",
              informer.store().size(), sync_s, static_cast<long long>(informer_options.page_size));
  double rss_synced = rmq::bench::ProcStatusMiB(getpid(), "VmRSS");

  start = Clock::now();
  double writes_s = 0;
  int update_failed =
      RunConcurrently(io, n, in_flight, [&](int i) -> asio::awaitable<absl::Status> {
        Json patch;
        patch["data"]["v"] = "2";
        absl::StatusOr<Json> r = co_await client.MergePatch(
            rmq::k8s::ConfigMaps(), ns, absl::StrCat("cm-", i), std::move(patch));
        co_return r.status();
      });
  writes_s = Seconds(Clock::now() - start);
  while (updates_seen < n - update_failed) io.run_one();
  double updates_s = Seconds(Clock::now() - start);
  std::printf(
      "%d updates: written in %.2f s, all seen by the informer after %.2f s (%.0f events/s), "
      "%d failed\n",
      n, writes_s, updates_s, n / updates_s, update_failed);
  std::printf(
      "client RSS: %.1f MiB before the informer, %.1f MiB synced, %.1f MiB after "
      "updates, peak %.1f MiB\n",
      rss_before, rss_synced, rmq::bench::ProcStatusMiB(getpid(), "VmRSS"),
      rmq::bench::ProcStatusMiB(getpid(), "VmHWM"));
  informer.Stop();
  (*transport)->Shutdown();
  io.restart();
  io.run_for(std::chrono::milliseconds(100));

  // The alternative: client-go's kubectl listing the same objects.
  std::string kubectl = (*plane)->bin_dir() + "/kubectl";
  rmq::bench::ChildRun list =
      rmq::bench::RunMeasured({kubectl, "--kubeconfig", (*plane)->kubeconfig_path(), "get",
                               "configmaps", "-n", ns, "-o", "json"});
  rmq::bench::ChildRun list_chunked =
      rmq::bench::RunMeasured({kubectl, "--kubeconfig", (*plane)->kubeconfig_path(), "get",
                               "configmaps", "-n", ns, "-o", "name"});
  std::printf("kubectl get configmaps -o json: %.2f s, peak RSS %.1f MiB (exit %d)\n", list.wall_s,
              list.max_rss_mib, list.status);
  std::printf("kubectl get configmaps -o name: %.2f s, peak RSS %.1f MiB (exit %d)\n",
              list_chunked.wall_s, list_chunked.max_rss_mib, list_chunked.status);
  std::printf("ratio: informer sync %.2fx faster than kubectl -o json; peak RSS %.2fx lower\n",
              list.wall_s / sync_s,
              list.max_rss_mib / rmq::bench::ProcStatusMiB(getpid(), "VmHWM"));
  return failed == 0 && update_failed == 0 ? 0 : 1;
}
