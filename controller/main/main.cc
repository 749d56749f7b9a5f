// rocketmq-operator: see options.h (`--help`) and controller/README.md.
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "boost/asio/signal_set.hpp"
#include "common/http/server.h"
#include "common/k8s/client.h"
#include "common/k8s/counting_transport.h"
#include "common/k8s/leader_elector.h"
#include "common/k8s/rest_config.h"
#include "common/k8s/transport.h"
#include "common/log/logger.h"
#include "common/net/asio.h"
#include "controller/main/options.h"
#include "controller/reconcile/operator.h"
#include "prometheus/counter.h"
#include "prometheus/gauge.h"
#include "prometheus/registry.h"
#include "prometheus/text_serializer.h"

namespace rmq::controller {
namespace {

namespace asio = boost::asio;

constexpr int kExitOk = 0;
constexpr int kExitFailed = 1;
constexpr int kExitUsage = 2;

std::optional<std::string> GetEnv(const std::string& name) {
  const char* v = std::getenv(name.c_str());
  if (v == nullptr) return std::nullopt;
  return std::string(v);
}

absl::StatusOr<k8s::RestConfig> LoadConfig(const OperatorProcessOptions& options) {
  if (!options.kubeconfig.empty()) return k8s::LoadKubeconfig(options.kubeconfig);
  if (GetEnv("KUBERNETES_SERVICE_HOST")) return k8s::LoadInClusterConfig();
  if (std::optional<std::string> path = GetEnv("KUBECONFIG")) return k8s::LoadKubeconfig(*path);
  return absl::FailedPreconditionError(
      "no cluster configuration: not in a pod (no KUBERNETES_SERVICE_HOST), no --kubeconfig, no "
      "$KUBECONFIG");
}

int Run(const OperatorProcessOptions& options) {
  auto log = log::Get("operator");
  absl::StatusOr<k8s::RestConfig> rest = LoadConfig(options);
  if (!rest.ok()) {
    log->critical("cluster configuration: {}", rest.status().ToString());
    return kExitUsage;
  }
  asio::io_context io(1);
  absl::StatusOr<std::unique_ptr<k8s::Transport>> transport =
      k8s::Transport::Create(io.get_executor(), *rest, {});
  if (!transport.ok()) {
    log->critical("API client: {}", transport.status().ToString());
    return kExitFailed;
  }
  k8s::CountingTransport counting(**transport);
  k8s::Client client(counting);
  prometheus::Registry registry;
  auto& requests = prometheus::BuildCounter()
                       .Name("rocketmq_operator_api_requests_total")
                       .Help("Requests sent to the Kubernetes API by method (watch: streams)")
                       .Register(registry);
  std::map<std::string, int64_t> requests_reported;
  prometheus::Gauge& leader = prometheus::BuildGauge()
                                  .Name("rocketmq_operator_leader")
                                  .Help("1 while this process leads (reconciles), else 0")
                                  .Register(registry)
                                  .Add({});

  OperatorOptions operator_options;
  operator_options.namespaces = options.namespaces;
  operator_options.cluster.cluster_domain = options.cluster_domain;
  operator_options.agent.image = options.agent_image;
  operator_options.agent.tls_secret = options.agent_tls_secret;
  if (!options.agent_client_tls_dir.empty()) {
    absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> credentials =
        LoadAgentClientCredentials(options.agent_client_tls_dir);
    if (!credentials.ok()) {
      log->critical("--agent-client-tls-dir: {}", credentials.status().ToString());
      return kExitUsage;
    }
    operator_options.agent_credentials = *std::move(credentials);
    operator_options.agent_tls_server_name = options.agent_tls_server_name;
  }
  operator_options.workers = options.workers;
  operator_options.instance = options.identity.substr(0, 128);
  Operator op(io.get_executor(), client, operator_options, registry);

  http::ServerOptions http_options;
  http_options.listen = options.http_listen;
  absl::StatusOr<std::unique_ptr<http::Server>> server =
      http::Server::Create(io.get_executor(), http_options);
  if (!server.ok()) {
    log->critical("--http-listen {}: {}", options.http_listen, server.status().ToString());
    return kExitUsage;
  }
  bool leading = false;
  (*server)->Route("/healthz", [](const http::Request&) -> asio::awaitable<http::Response> {
    co_return http::Response{.status = 200, .body = "ok\n"};
  });
  (*server)->Route("/readyz", [&](const http::Request&) -> asio::awaitable<http::Response> {
    const bool ready = leading && op.synced();
    http::Response r;
    r.status = ready ? 200 : 503;
    r.body = ready ? "ok\n" : (leading ? "caches not synced\n" : "not leading\n");
    co_return r;
  });
  (*server)->Route("/metrics", [&](const http::Request&) -> asio::awaitable<http::Response> {
    for (const auto& [method, count] : counting.counts()) {
      int64_t& reported = requests_reported[method];
      requests.Add({{"method", method}}).Increment(static_cast<double>(count - reported));
      reported = count;
    }
    std::ostringstream out;
    prometheus::TextSerializer().Serialize(out, registry.Collect());
    http::Response r;
    r.content_type = "text/plain; version=0.0.4";
    r.body = out.str();
    co_return r;
  });
  (*server)->Start();

  asio::signal_set signals(io, SIGTERM, SIGINT);
  int exit_code = kExitOk;
  bool stopping = false;
  auto start_operator = [&] {
    leading = true;
    leader.Set(1);
    log->info("leading: reconciling {}", options.namespaces.empty()
                                             ? std::string("all namespaces")
                                             : absl::StrJoin(options.namespaces, ","));
    asio::co_spawn(io, op.Run(), [&](const std::exception_ptr&) {
      if (options.leader_elect) return;  // the elector's coroutine ends the process
      (*server)->Stop();
      signals.cancel();
    });
  };

  std::unique_ptr<k8s::LeaderElector> elector;
  if (options.leader_elect) {
    k8s::LeaderElectionConfig config{.identity = options.identity,
                                     .lease_duration = options.lease_duration,
                                     .renew_deadline = options.renew_deadline,
                                     .retry_period = options.retry_period};
    elector = std::make_unique<k8s::LeaderElector>(
        client, options.leader_election_namespace, options.leader_election_id, config,
        k8s::LeaderElector::Callbacks{.started_leading = start_operator, .stopped_leading = [&] {
                                        leading = false;
                                        leader.Set(0);
                                        op.Stop();
                                        if (!stopping) {
                                          // Another process may lead now: never reconcile beside
                                          // it. A fresh start (the pod's restart) campaigns again
                                          // with empty caches.
                                          log->error("lost the Lease {}/{}: exiting",
                                                     options.leader_election_namespace,
                                                     options.leader_election_id);
                                          exit_code = kExitFailed;
                                          asio::post(io, [&] { elector->Stop(); });
                                        }
                                      }});
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
          co_await elector->Run();
          co_await elector->Release();
          op.Stop();
          (*server)->Stop();
          signals.cancel();
        },
        [&](const std::exception_ptr&) {});
  } else {
    start_operator();
  }

  signals.async_wait([&](const boost::system::error_code& ec, int signal) {
    if (ec) return;
    log->info("received {}: stopping", signal == SIGTERM ? "SIGTERM" : "SIGINT");
    stopping = true;
    op.Stop();
    if (elector) elector->Stop();
  });
  log->info("rocketmq-operator {} started: /metrics on {}, leader election {}", options.identity,
            options.http_listen,
            options.leader_elect ? absl::StrCat("on (Lease ", options.leader_election_namespace,
                                                "/", options.leader_election_id, ")")
                                 : std::string("off"));
  io.run();
  log->info("rocketmq-operator stopped");
  return exit_code;
}

}  // namespace
}  // namespace rmq::controller

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  char host[256] = {};
  ::gethostname(host, sizeof(host) - 1);
  absl::StatusOr<rmq::controller::OperatorProcessOptions> options =
      rmq::controller::ParseOperatorOptions(args, rmq::controller::GetEnv,
                                            absl::StrCat(host, "-", ::getpid()));
  if (!options.ok()) {
    std::cerr << "rocketmq-operator: " << options.status().message() << "\n";
    return rmq::controller::kExitUsage;
  }
  if (options->help) {
    std::cout << rmq::controller::OperatorUsage();
    return rmq::controller::kExitOk;
  }
  if (!rmq::log::Configure(options->log_level, options->log_format)) {
    std::cerr << "rocketmq-operator: --log-level: unknown level " << options->log_level << "\n";
    return rmq::controller::kExitUsage;
  }
  return rmq::controller::Run(*options);
}
