// rmq-node-agent: the local cluster's node agent. See options.h (`--help`) and nodeagent/README.md.
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "boost/asio/signal_set.hpp"
#include "boost/asio/thread_pool.hpp"
#include "common/k8s/client.h"
#include "common/k8s/rest_config.h"
#include "common/k8s/transport.h"
#include "common/log/logger.h"
#include "common/net/asio.h"
#include "nodeagent/main/options.h"
#include "nodeagent/node/node_agent.h"
#include "nodeagent/node/volume_provisioner.h"
#include "nodeagent/plan/image_map.h"
#include "nodeagent/runtime/node_runtime.h"

namespace rmq::nodeagent {
namespace {

namespace asio = boost::asio;

constexpr int kExitOk = 0;
constexpr int kExitFailed = 1;
constexpr int kExitUsage = 2;

std::optional<std::string> GetEnv(std::string_view name) {
  const char* v = std::getenv(std::string(name).c_str());
  if (v == nullptr) return std::nullopt;
  return std::string(v);
}

int Run(const NodeAgentOptions& options) {
  auto log = log::Get("nodeagent");
  std::ifstream in(options.images);
  if (!in) {
    log->critical("--images: cannot read {}", options.images);
    return kExitUsage;
  }
  std::stringstream text;
  text << in.rdbuf();
  absl::StatusOr<ImageMap> images = ParseImageMap(text.str(), GetEnv);
  if (!images.ok()) {
    log->critical("--images {}: {}", options.images, images.status().ToString());
    return kExitUsage;
  }
  absl::StatusOr<k8s::RestConfig> rest = k8s::LoadKubeconfig(options.kubeconfig);
  if (!rest.ok()) {
    log->critical("--kubeconfig {}: {}", options.kubeconfig, rest.status().ToString());
    return kExitUsage;
  }
  std::error_code ec;
  std::filesystem::create_directories(options.state_dir, ec);
  if (ec) {
    log->critical("--state-dir {}: {}", options.state_dir, ec.message());
    return kExitFailed;
  }
  char host[256] = {};
  ::gethostname(host, sizeof(host) - 1);
  absl::StatusOr<MachineInfo> machine = ReadMachineInfo(options.gateway, host, options.state_dir);
  if (!machine.ok()) {
    log->critical("reading this machine's description: {}", machine.status().ToString());
    return kExitFailed;
  }

  asio::io_context io(1);
  asio::thread_pool blocking(2);
  absl::StatusOr<std::unique_ptr<k8s::Transport>> transport =
      k8s::Transport::Create(io.get_executor(), *rest, {});
  if (!transport.ok()) {
    log->critical("API client: {}", transport.status().ToString());
    return kExitFailed;
  }
  k8s::Client client(**transport);
  NodeRegistrar registrar(client, io.get_executor(),
                          {.name = options.node_name, .machine = *machine},
                          {.lease_renew_interval = options.lease_renew_interval,
                           .status_interval = options.status_interval});
  PodBinder binder(client, io.get_executor(), options.node_name);
  VolumeProvisioner provisioner(client, io.get_executor(), options.pv_root);
  RuntimeConfig config{.node_name = options.node_name,
                       .node_ip = options.gateway,
                       .state_dir = options.state_dir,
                       .pv_root = options.pv_root,
                       .cluster_domain = options.cluster_domain,
                       .bridge = {.name = options.bridge,
                                  .cidr = options.pod_cidr,
                                  .gateway = options.gateway,
                                  .service_cidr = options.service_cidr},
                       .prefixes = {.netns = options.netns_prefix, .veth = options.veth_prefix},
                       .shutdown_grace_cap = options.shutdown_grace};
  NodeRuntime runtime(client, io.get_executor(), blocking, *images, config);

  bool stopping = false;
  auto stop = [&] {
    if (stopping) return;
    stopping = true;
    runtime.Stop(!options.keep_pods_on_exit);
    binder.Stop();
    provisioner.Stop();
  };
  asio::signal_set signals(io, SIGTERM, SIGINT);
  std::function<void(const boost::system::error_code&, int)> on_signal =
      [&](const boost::system::error_code& ec, int signal) {
        if (ec) return;
        log->info("received {}: {}", signal == SIGTERM ? "SIGTERM" : "SIGINT",
                  options.keep_pods_on_exit ? "leaving pods running"
                                            : "stopping pods (again to exit now)");
        if (stopping) std::_Exit(kExitFailed);
        stop();
        signals.async_wait(on_signal);
      };
  signals.async_wait(on_signal);

  int exit_code = kExitOk;
  int pending = 3;
  auto finished = [&] {
    if (--pending == 0) {
      registrar.Stop();
      signals.cancel();
    }
  };
  asio::co_spawn(io, registrar.Run(), asio::detached);
  asio::co_spawn(io, binder.Run(), [&](const std::exception_ptr&) { finished(); });
  asio::co_spawn(io, provisioner.Run(), [&](const std::exception_ptr&) { finished(); });
  asio::co_spawn(
      io, runtime.Run(), [&](const std::exception_ptr& error, const absl::Status& status) {
        if (error || !status.ok()) {
          log->critical("the pod runtime cannot run: {}", error ? "exception" : status.ToString());
          exit_code = kExitFailed;
          stop();
        }
        finished();
      });
  log->info("rmq-node-agent {} started: state {}, pods on {} ({}), images {}", options.node_name,
            options.state_dir, options.bridge, options.pod_cidr, options.images);
  io.run();
  blocking.join();
  log->info("rmq-node-agent stopped");
  return exit_code;
}

}  // namespace
}  // namespace rmq::nodeagent

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);
  std::vector<std::string> args(argv + 1, argv + argc);
  char host[256] = {};
  ::gethostname(host, sizeof(host) - 1);
  absl::StatusOr<rmq::nodeagent::NodeAgentOptions> options = rmq::nodeagent::ParseNodeAgentOptions(
      args, [](const std::string& n) { return rmq::nodeagent::GetEnv(n); }, host);
  if (!options.ok()) {
    std::cerr << "rmq-node-agent: " << options.status().message()
              << "\n(rmq-node-agent --help lists the flags)\n";
    return rmq::nodeagent::kExitUsage;
  }
  if (options->help) {
    std::cout << rmq::nodeagent::NodeAgentUsage();
    return 0;
  }
  if (!rmq::log::Configure(options->log_level, options->log_format)) {
    std::cerr << "rmq-node-agent: --log-level: unknown level '" << options->log_level << "'\n";
    return rmq::nodeagent::kExitUsage;
  }
  try {
    return rmq::nodeagent::Run(*options);
  } catch (const std::exception& e) {
    rmq::log::Get("nodeagent")->critical("unexpected error: {}", e.what());
    return rmq::nodeagent::kExitFailed;
  }
}
