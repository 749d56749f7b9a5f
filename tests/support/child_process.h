// child_process.h: a program run by a test (the agent binary, Prometheus), killed with the test.
//
// Start() forks and execs `argv` with the test's environment plus `env`, stdout and stderr
// appended to `log_file`, in its own process group. The child gets PR_SET_PDEATHSIG(SIGKILL), so
// it never outlives a crashed test. The destructor kills (SIGKILL) a child that is still running
// and reaps it. Not thread-safe.
//
// Example:
//   auto agent = ChildProcess::Start({bin, "--help"}, {}, dir + "/agent.log");
//   std::optional<int> code = (*agent)->WaitExit(std::chrono::seconds(5));  // exit status
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace rmq::testing {

struct SpawnOptions {
  std::map<std::string, std::string> env{};  // added to (or replacing in) the test's environment
  std::string cwd{};                         // empty: the test's working directory
  bool truncate_log = false;                 // else append
};

// The spawn under ChildProcess and LocalRocketMQ: forks and execs `argv` (argv[0] is a path) in
// its own process group with PR_SET_PDEATHSIG(SIGKILL), stdin from /dev/null, stdout and stderr
// to `log_file`. Returns the pid; the caller reaps it.
absl::StatusOr<pid_t> SpawnProcess(const std::vector<std::string>& argv,
                                   const std::string& log_file, const SpawnOptions& options);

class ChildProcess {
 public:
  static absl::StatusOr<std::unique_ptr<ChildProcess>> Start(
      const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
      const std::string& log_file);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  void Signal(int signal);
  // The exit status (0-255; 128+N when killed by signal N) once the child exited within
  // `timeout`, else nullopt.
  std::optional<int> WaitExit(std::chrono::milliseconds timeout);
  bool Running();
  // The log file's content.
  std::string Log() const;

 private:
  ChildProcess(pid_t pid, std::string log_file) : pid_(pid), log_file_(std::move(log_file)) {}

  pid_t pid_;
  std::string log_file_;
  std::optional<int> exit_status_;
};

// Runs `argv` to completion (at most `timeout`, then killed): its exit status and output.
struct RunResult {
  int exit_status = -1;  // -1: timed out
  std::string output;    // stdout and stderr, interleaved
};
absl::StatusOr<RunResult> RunToCompletion(const std::vector<std::string>& argv,
                                          const std::string& log_file,
                                          std::chrono::milliseconds timeout);

// Runs `argv` to completion with stdout and stderr captured apart (pipes), e.g. a CLI whose
// stdout is parsed and whose stderr explains a failure. After `timeout` the child's process
// group gets SIGTERM, then SIGKILL 10 s later. Output is read until every process holding the
// pipes (the child and anything it started without redirecting them) has closed them.
struct CapturedRun {
  int exit_status = -1;  // 0-255, 128+N when killed by signal N; -1: timed out
  std::string out{};     // stdout
  std::string err{};     // stderr
};
absl::StatusOr<CapturedRun> RunCapturing(const std::vector<std::string>& argv,
                                         const SpawnOptions& options,
                                         std::chrono::milliseconds timeout);

}  // namespace rmq::testing
