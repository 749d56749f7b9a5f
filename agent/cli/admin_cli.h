// admin_cli.h: the `rocketmq-admin` command line: RocketMQ administration without a JVM.
//
// Every command prints one JSON document on stdout; errors print {"error":{...}} on stderr.
// Exit status: 0 success, 1 the operation failed, 2 usage error. RunAdminCli() is the whole
// program minus process setup, so tests can drive it. Not thread-safe (owns its io_context).
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace rmq::agent {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;
inline constexpr int kExitUsage = 2;

int RunAdminCli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

// The --help text.
std::string AdminCliUsage();

}  // namespace rmq::agent
