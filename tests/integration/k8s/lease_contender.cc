// lease_contender: one candidate of Lease-based leader election, for the leader election
// integration test (not installed).
//
//   lease_contender --kubeconfig FILE --namespace NS --lease NAME --identity ID
//                   [--lease-duration S] [--renew-deadline S] [--retry-period S]
//                   [--log-level LEVEL]
//
// Campaigns with LeaderElector and prints, flushed, one line per transition on stdout:
//   LEADING <identity> <unix ms>
//   STOPPED <identity> <unix ms>
// Logs go to stderr. On SIGTERM or SIGINT it stops campaigning, releases the Lease if it holds
// it, and exits 0. Exit status 2: bad flags; 1: the kubeconfig is unusable.
#include <chrono>
#include <csignal>
#include <cstdio>
#include <exception>
#include <map>
#include <memory>
#include <string>

#include "absl/strings/numbers.h"
#include "common/k8s/client.h"
#include "common/k8s/leader_elector.h"
#include "common/k8s/rest_config.h"
#include "common/k8s/transport.h"
#include "common/log/logger.h"
#include "common/net/asio.h"
#include "common/net/blocking.h"

namespace {

namespace asio = boost::asio;
using rmq::k8s::LeaderElectionConfig;
using rmq::k8s::LeaderElector;

constexpr int kExitUsage = 2;
constexpr int kExitFailed = 1;

constexpr const char* kUsage =
    "usage: lease_contender --kubeconfig FILE --namespace NS --lease NAME --identity ID\n"
    "                       [--lease-duration S] [--renew-deadline S] [--retry-period S]\n"
    "                       [--log-level LEVEL]\n";

void PrintEvent(const char* event, const std::string& identity) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
  std::printf("%s %s %lld\n", event, identity.c_str(), static_cast<long long>(ms));
  std::fflush(stdout);
}

// "--name value" and "--name=value" into a map; false on anything else.
bool ParseFlags(int argc, char** argv, std::map<std::string, std::string>& flags) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--", 0) != 0) return false;
    const size_t eq = arg.find('=');
    if (eq != std::string::npos) {
      flags[arg.substr(2, eq - 2)] = arg.substr(eq + 1);
    } else if (i + 1 < argc) {
      flags[arg.substr(2)] = argv[++i];
    } else {
      return false;
    }
  }
  return true;
}

bool Seconds(const std::map<std::string, std::string>& flags, const std::string& name,
             std::chrono::seconds& out) {
  auto it = flags.find(name);
  if (it == flags.end()) return true;
  int value = 0;
  if (!absl::SimpleAtoi(it->second, &value)) return false;
  out = std::chrono::seconds(value);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  std::map<std::string, std::string> flags;
  if (!ParseFlags(argc, argv, flags)) {
    std::fputs(kUsage, stderr);
    return kExitUsage;
  }
  const std::string kubeconfig = flags["kubeconfig"];
  const std::string ns = flags["namespace"];
  const std::string lease = flags["lease"];
  LeaderElectionConfig config;
  config.identity = flags["identity"];
  if (kubeconfig.empty() || ns.empty() || lease.empty() ||
      !Seconds(flags, "lease-duration", config.lease_duration) ||
      !Seconds(flags, "renew-deadline", config.renew_deadline) ||
      !Seconds(flags, "retry-period", config.retry_period)) {
    std::fputs(kUsage, stderr);
    return kExitUsage;
  }
  if (absl::Status valid = LeaderElector::Validate(config); !valid.ok()) {
    std::fprintf(stderr, "lease_contender: %s\n", valid.ToString().c_str());
    return kExitUsage;
  }
  const std::string level = flags.count("log-level") != 0 ? flags["log-level"] : "info";
  if (!rmq::log::Configure(level, rmq::log::Format::kText)) {
    std::fputs(kUsage, stderr);
    return kExitUsage;
  }
  auto log = rmq::log::Get("lease_contender");

  absl::StatusOr<rmq::k8s::RestConfig> rest = rmq::k8s::LoadKubeconfig(kubeconfig);
  if (!rest.ok()) {
    log->error("cannot load the kubeconfig: {}", rest.status().ToString());
    return kExitFailed;
  }
  asio::io_context io(1);
  // Requests that hang end within a retry period, so the elector's abandoned ones do not pile up.
  const auto step_timeout =
      std::chrono::duration_cast<std::chrono::milliseconds>(config.retry_period);
  rmq::k8s::TransportOptions options;
  options.connect_timeout = step_timeout;
  options.request_timeout = step_timeout;
  absl::StatusOr<std::unique_ptr<rmq::k8s::Transport>> transport =
      rmq::k8s::Transport::Create(io.get_executor(), *std::move(rest), options);
  if (!transport.ok()) {
    log->error("cannot use the kubeconfig: {}", transport.status().ToString());
    return kExitFailed;
  }
  rmq::k8s::Client client(**transport);
  const std::string identity = config.identity;
  LeaderElector elector(client, ns, lease, config,
                        {.started_leading = [&identity] { PrintEvent("LEADING", identity); },
                         .stopped_leading = [&identity] { PrintEvent("STOPPED", identity); }});

  asio::signal_set signals(io, SIGTERM, SIGINT);
  signals.async_wait([&elector, &log](const boost::system::error_code& ec, int signal) {
    if (ec) return;
    log->info("received {}, stopping and releasing the lease",
              signal == SIGTERM ? "SIGTERM" : "SIGINT");
    elector.Stop();
  });
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        co_await elector.Run();
        co_await elector.Release();
        boost::system::error_code ignored;
        signals.cancel(ignored);
        (*transport)->Shutdown();
      },
      rmq::net::DieOnException);
  // Returns once Run() and Release() are done and requests still in flight have ended.
  io.run();
  log->info("exiting");
  return 0;
}
