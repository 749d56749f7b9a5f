// rocketmq-agent: the sidecar beside a RocketMQ broker. See agent.h and `rocketmq-agent --help`.
#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include "agent/main/agent.h"
#include "agent/main/options.h"
#include "common/log/logger.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  absl::StatusOr<rmq::agent::AgentOptions> options =
      rmq::agent::ParseAgentOptions(args, rmq::agent::ProcessEnv());
  if (!options.ok()) {
    std::cerr << "rocketmq-agent: " << options.status().message()
              << "\n(rocketmq-agent --help lists the flags)\n";
    return rmq::agent::kAgentExitUsage;
  }
  if (options->help) {
    std::cout << rmq::agent::AgentUsage();
    return rmq::agent::kAgentExitOk;
  }
  if (absl::Status files = rmq::agent::LoadOptionFiles(*options); !files.ok()) {
    std::cerr << "rocketmq-agent: " << files.message() << "\n";
    return rmq::agent::kAgentExitUsage;
  }
  if (!rmq::log::Configure(options->log_level, options->log_format)) {
    std::cerr << "rocketmq-agent: --log-level: unknown level '" << options->log_level << "'\n";
    return rmq::agent::kAgentExitUsage;
  }
  try {
    return rmq::agent::RunAgent(*options);
  } catch (const std::exception& e) {
    rmq::log::Get("agent")->critical("unexpected error: {}", e.what());
    return rmq::agent::kAgentExitFailed;
  }
}
