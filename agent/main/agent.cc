#include "agent/main/agent.h"

#include <atomic>
#include <csignal>
#include <future>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "agent/metrics/broker_metrics.h"
#include "agent/metrics/broker_reader.h"
#include "agent/metrics/grpc_metrics.h"
#include "agent/probe/readiness.h"
#include "agent/service/broker_agent_service.h"
#include "common/http/server.h"
#include "common/log/logger.h"
#include "common/net/asio.h"
#include "common/net/blocking.h"
#include "common/net/single_flight_cache.h"
#include "common/rocketmq/admin/admin_client.h"
#include "common/rocketmq/remoting/client.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/security/tls_certificate_provider.h"
#include "grpcpp/security/tls_credentials_options.h"
#include "prometheus/gauge.h"
#include "prometheus/registry.h"
#include "prometheus/text_serializer.h"

namespace rmq::agent {
namespace {

namespace asio = boost::asio;

constexpr const char* kMetricsContentType = "text/plain; version=0.0.4; charset=utf-8";

std::shared_ptr<grpc::ServerCredentials> ServerCredentials(const AgentOptions& o) {
  if (o.grpc_insecure) return grpc::InsecureServerCredentials();
  // The provider re-reads the files every refresh interval, so rotated certificates (a renewed
  // Kubernetes Secret) are picked up without a restart.
  auto provider = std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
      o.tls_key, o.tls_cert, o.tls_client_ca,
      static_cast<unsigned int>(o.tls_refresh_interval.count()));
  grpc::experimental::TlsServerCredentialsOptions tls(provider);
  tls.watch_identity_key_cert_pairs();
  if (o.mtls()) {
    tls.watch_root_certs();
    tls.set_cert_request_type(GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  } else {
    tls.set_cert_request_type(GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
  }
  return grpc::experimental::TlsServerCredentials(tls);
}

rocketmq::ClientOptions RemotingOptions(const AgentOptions& o) {
  rocketmq::ClientOptions c;
  c.request_timeout = o.request_timeout;
  c.connect_timeout = std::min(o.request_timeout, std::chrono::milliseconds(3000));
  c.credentials.access_key = o.acl_access_key;
  c.credentials.secret_key = o.acl_secret_key;
  return c;
}

// Everything that lives on the io thread, in construction order (destroyed in reverse, after
// the io_context drained).
class AgentRuntime {
 public:
  AgentRuntime(asio::io_context& io, const AgentOptions& options)
      : options_(options),
        log_(log::Get("agent")),
        client_(io.get_executor(), RemotingOptions(options)),
        admin_(client_),
        name_server_admin_(client_, kNameServerProbeTimeout),
        readiness_probe_(admin_, name_server_admin_, options.broker_addr),
        grpc_metrics_(registry_),
        metrics_cache_(
            io.get_executor(), options.metrics_cache_ttl,
            [this] { return ReadBrokerSnapshot(admin_, options_.broker_addr, ++refreshes_); }),
        readiness_cache_(io.get_executor(), kReadinessMaxAge, [this] { return ProbeReadiness(); }),
        service_(io.get_executor(), admin_,
                 BrokerAgentConfig{.broker_addr = options.broker_addr,
                                   .name_server_client = RemotingOptions(options)}),
        watchdog_(io) {
    prometheus::BuildGauge()
        .Name("rocketmq_agent_info")
        .Help("The agent's identity (value 1)")
        .Register(registry_)
        .Add({{"broker_addr", options.broker_addr},
              {"pod", options.pod_name},
              {"namespace", options.pod_namespace},
              {"pod_ip", options.pod_ip}})
        .Set(1);
  }

  absl::Status StartHttp(asio::io_context& io) {
    http::ServerOptions http_options;
    http_options.listen = options_.http_listen;
    absl::StatusOr<std::unique_ptr<http::Server>> server =
        http::Server::Create(io.get_executor(), http_options);
    if (!server.ok()) return server.status();
    http_ = *std::move(server);
    http_->Route("/healthz", [](const http::Request&) -> asio::awaitable<http::Response> {
      http::Response r;
      r.body = "ok\n";
      co_return r;
    });
    http_->Route("/readyz", [this](const http::Request&) { return Readyz(); });
    http_->Route("/metrics", [this](const http::Request&) { return Metrics(); });
    http_->Start();
    return absl::OkStatus();
  }

  absl::Status StartGrpc() {
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort(options_.grpc_listen, ServerCredentials(options_), &port);
    builder.RegisterService(&service_);
    std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> creators;
    creators.push_back(grpc_metrics_.InterceptorFactory());
    builder.experimental().SetInterceptorCreators(std::move(creators));
    grpc_ = builder.BuildAndStart();
    if (grpc_ == nullptr || port == 0) {
      return absl::UnavailableError(
          absl::StrCat("cannot serve gRPC on ", options_.grpc_listen, " (port in use?)"));
    }
    log_->info("gRPC listening on {} port={} security={}", options_.grpc_listen, port,
               options_.grpc_insecure ? "plaintext" : (options_.mtls() ? "mtls" : "tls"));
    if (!options_.grpc_insecure && !options_.mtls()) {
      log_->warn("gRPC clients are not authenticated (TLS without --tls-client-ca)");
    }
    return absl::OkStatus();
  }

  // Called on the main thread: blocks until running calls finished or were cancelled.
  void ShutdownGrpc(asio::io_context& io) {
    if (grpc_ == nullptr) return;
    // Broker requests still pending at the deadline are cancelled so their calls can finish.
    asio::post(io, [this] {
      watchdog_.expires_after(options_.shutdown_timeout);
      watchdog_.async_wait([this](const boost::system::error_code& ec) {
        if (ec) return;
        log_->warn("gRPC calls still running at the shutdown timeout: cancelling broker requests");
        client_.Shutdown();
      });
    });
    grpc_->Shutdown(std::chrono::system_clock::now() + options_.shutdown_timeout);
    asio::post(io, [this] { watchdog_.cancel(); });
  }

  // On the io thread.
  void StopIo() {
    if (http_ != nullptr) http_->Stop();
    service_.Shutdown();  // ends name-server handovers (see registration/handover.h)
    client_.Shutdown();
  }

  void SetShuttingDown() { shutting_down_.store(true); }

 private:
  asio::awaitable<Readiness> ProbeReadiness() {
    Readiness readiness = co_await readiness_probe_.Probe();
    if (readiness.ready != last_ready_) {
      log_->info("readiness ready={} reason={}", readiness.ready, readiness.reason);
      last_ready_ = readiness.ready;
    }
    co_return readiness;
  }

  asio::awaitable<http::Response> Readyz() {
    http::Response response;
    if (shutting_down_.load()) {
      response.status = 503;
      response.body = "shutting down\n";
      co_return response;
    }
    std::shared_ptr<const Readiness> readiness = co_await readiness_cache_.Get();
    response.status = readiness->ready ? 200 : 503;
    response.body = readiness->reason + "\n";
    co_return response;
  }

  asio::awaitable<http::Response> Metrics() {
    std::shared_ptr<const BrokerSnapshot> snapshot = co_await metrics_cache_.Get();
    http::Response response;
    response.content_type = kMetricsContentType;
    response.body = Render(*snapshot);
    co_return response;
  }

  std::string Render(const BrokerSnapshot& snapshot) {
    std::vector<prometheus::MetricFamily> families =
        BuildBrokerMetrics(snapshot, BrokerMetricsContext{.host = options_.pod_name});
    std::vector<prometheus::MetricFamily> own = registry_.Collect();
    families.insert(families.end(), std::make_move_iterator(own.begin()),
                    std::make_move_iterator(own.end()));
    std::ostringstream out;
    prometheus::TextSerializer().Serialize(out, families);
    return out.str();
  }

  const AgentOptions& options_;
  std::shared_ptr<spdlog::logger> log_;
  rocketmq::RemotingClient client_;
  rocketmq::AdminClient admin_;
  rocketmq::AdminClient name_server_admin_;  // the readiness probe's, with a short timeout
  ReadinessProbe readiness_probe_;
  prometheus::Registry registry_;
  GrpcServerMetrics grpc_metrics_;
  uint64_t refreshes_ = 0;  // io thread only
  net::SingleFlightCache<BrokerSnapshot> metrics_cache_;
  net::SingleFlightCache<Readiness> readiness_cache_;
  bool last_ready_ = false;  // io thread only
  std::atomic<bool> shutting_down_{false};
  BrokerAgentService service_;
  asio::steady_timer watchdog_;  // shutdown deadline for running gRPC calls
  std::unique_ptr<http::Server> http_;
  std::unique_ptr<grpc::Server> grpc_;  // declared last: destroyed before the service
};

}  // namespace

int RunAgent(const AgentOptions& options) {
  auto log = log::Get("agent");
  log->info("starting rocketmq-agent {}", DescribeOptions(options));

  asio::io_context io(1);
  auto work = asio::make_work_guard(io);
  // Signals are delivered through the io_context; the main thread waits for the first one.
  asio::signal_set signals(io, SIGTERM, SIGINT);
  std::promise<int> signalled;
  signals.async_wait([&signalled](const boost::system::error_code& ec, int signal) {
    signalled.set_value(ec ? 0 : signal);
  });

  auto runtime = std::make_unique<AgentRuntime>(io, options);
  // The HTTP server is created on this thread before the io thread runs: nothing else touches
  // it yet.
  absl::Status started = runtime->StartHttp(io);
  if (started.ok()) started = runtime->StartGrpc();

  std::thread io_thread([&io] { io.run(); });
  int exit_code = kAgentExitOk;
  if (started.ok()) {
    log->info("rocketmq-agent ready to serve pod={} namespace={} pod_ip={}", options.pod_name,
              options.pod_namespace, options.pod_ip);
    const int signal = signalled.get_future().get();
    log->info("received {}, shutting down", signal == SIGTERM ? "SIGTERM" : "SIGINT");
  } else {
    log->error("cannot start: {}", started.ToString());
    exit_code = kAgentExitFailed;
  }
  runtime->SetShuttingDown();
  runtime->ShutdownGrpc(io);
  log->info("gRPC server stopped");
  asio::post(io, [&runtime, &signals] {
    boost::system::error_code ignored;
    signals.cancel(ignored);
    runtime->StopIo();
  });
  work.reset();
  io_thread.join();  // drained: no coroutine refers to the runtime anymore
  runtime.reset();
  log->info("rocketmq-agent stopped");
  return exit_code;
}

}  // namespace rmq::agent
