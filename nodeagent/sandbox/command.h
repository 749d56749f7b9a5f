// command.h: run a short host command (`ip ...`) without a shell and capture its output.
//
// RunCommand() spawns argv (argv[0] looked up in PATH) with posix_spawnp, stdin from /dev/null,
// stdout and stderr captured apart, and blocks until it exits or `timeout` passes (then it is
// killed). RunChecked() turns a non-zero exit into an error that names the command line and its
// stderr, the way every network call of the sandbox reports failures.
//
// Thread-safe (posix_spawn is safe in a threaded process). Blocking: meant for commands that take
// milliseconds; the node agent calls it off its event loop or accepts the short block.
//
// Example:
//   absl::StatusOr<std::string> out = RunChecked({"ip", "-j", "link", "show", "dev", "rmqbr0"});
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace rmq::nodeagent {

struct CommandResult {
  int exit_code = -1;  // 0-255; 128+N when killed by signal N
  std::string out{};   // stdout
  std::string err{};   // stderr
};

inline constexpr std::chrono::milliseconds kDefaultCommandTimeout{30'000};

// Runs argv to completion. Errors: the spawn failed (NotFound for an unknown program), I/O on
// the pipes failed, or DeadlineExceeded after `timeout` (the command was killed).
absl::StatusOr<CommandResult> RunCommand(
    const std::vector<std::string>& argv,
    std::chrono::milliseconds timeout = kDefaultCommandTimeout);

// Runs argv and returns its stdout; a non-zero exit is an error naming the command and quoting
// its stderr, e.g. `ip link add x type bridge: exit 2: RTNETLINK answers: Operation not
// permitted` (PermissionDenied for EPERM-like messages, else Internal).
absl::StatusOr<std::string> RunChecked(const std::vector<std::string>& argv,
                                       std::chrono::milliseconds timeout = kDefaultCommandTimeout);

// The error for a command that exited non-zero: its command line, exit code and stderr; EPERM
// and EACCES messages make PermissionDenied, anything else Internal.
absl::Status CommandFailure(const std::vector<std::string>& argv, const CommandResult& result);

// "ip link add x type bridge": argv joined by spaces (for messages).
std::string CommandLine(const std::vector<std::string>& argv);

}  // namespace rmq::nodeagent
