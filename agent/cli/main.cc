// rocketmq-admin: RocketMQ administration over the native remoting protocol. See admin_cli.h.
#include <iostream>
#include <string>
#include <vector>

#include "agent/cli/admin_cli.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  try {
    return rmq::agent::RunAdminCli(args, std::cout, std::cerr);
  } catch (const std::exception& e) {
    std::cerr << "rocketmq-admin: unexpected error: " << e.what() << "\n";
    return rmq::agent::kExitFailed;
  }
}
