// process_watcher.h: learn that a pod process exited, without blocking an Asio loop.
//
// A ProcessWatcher holds a pidfd (pidfd_open, Linux >= 5.3) as an Asio stream_descriptor: the
// pidfd turns readable when the process exits, so waiting costs no thread and no SIGCHLD
// handler. For our own child, the exit status is then collected with waitpid (which also reaps
// it). A process started by a previous agent instance is not our child (it was reparented to
// init or a subreaper): Adopt() checks that the pid still names the recorded process (its start
// time) and watches it the same way, but its exit status cannot be known (kUnknown).
//
// Signal() goes through the pidfd (pidfd_send_signal), so it can never hit a process that reused
// the pid. Destroying a watcher closes the pidfd only: the process keeps running (a new watcher
// can adopt it), and a pending wait completes with Cancelled.
//
// Not thread-safe: use a watcher from its executor's thread (one strand of the node agent).
//
// Example:
//   RMQ_ASSIGN_OR_RETURN(pid_t pid, SpawnInPod(spec));
//   RMQ_ASSIGN_OR_RETURN(auto watcher, ProcessWatcher::Watch(executor, pid));
//   state.Record(watcher->identity());                       // for the next agent instance
//   absl::StatusOr<ExitStatus> exit = co_await watcher->Wait();
//   // after a restart: ProcessWatcher::Adopt(executor, state.identity())
#pragma once

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/net/asio.h"
#include "nodeagent/sandbox/process.h"

namespace rmq::nodeagent {

struct ExitStatus {
  enum class Kind { kExited, kSignaled, kUnknown };
  Kind kind = Kind::kUnknown;
  int code = 0;  // the exit code (kExited) or the signal number (kSignaled)

  // As a container status reports it: the exit code, 128 + the signal, or nullopt if unknown.
  std::optional<int> ContainerExitCode() const;
  std::string ToString() const;  // "exited 0", "killed by signal 9", "exit status unknown"
  bool operator==(const ExitStatus&) const = default;
};

// Decodes a waitpid status.
ExitStatus ExitStatusFromWait(int wait_status);

class ProcessWatcher {
 public:
  using Executor = net::asio::any_io_executor;

  // Watches `pid`, a child of this process (SpawnInPod's result). InvalidArgument if it is not
  // our child; NotFound if it does not exist.
  static absl::StatusOr<std::unique_ptr<ProcessWatcher>> Watch(const Executor& executor, pid_t pid);
  // Watches the process `id` names, started by an earlier agent instance. NotFound if it is gone
  // or the pid now names another process (another start time). If it happens to be our child
  // (adopted within one agent instance), its exit status is collected as with Watch().
  static absl::StatusOr<std::unique_ptr<ProcessWatcher>> Adopt(const Executor& executor,
                                                               const ProcessIdentity& id);

  ~ProcessWatcher();
  ProcessWatcher(const ProcessWatcher&) = delete;
  ProcessWatcher& operator=(const ProcessWatcher&) = delete;

  pid_t pid() const { return identity_.pid; }
  const ProcessIdentity& identity() const { return identity_; }
  bool is_child() const { return is_child_; }

  // Sends `sig` through the pidfd. NotFound once the process has exited.
  absl::Status Signal(int sig);

  // Completes with the exit status once the process exited (at once if it has), or Cancelled
  // after Cancel() or the watcher's destruction (then the handler must not use the watcher).
  // One wait at a time. The handler runs on the executor.
  void AsyncWait(absl::AnyInvocable<void(absl::StatusOr<ExitStatus>)> handler);
  net::asio::awaitable<absl::StatusOr<ExitStatus>> Wait();
  // Cancels a pending wait.
  void Cancel();

  // The exit status if the process has exited (collecting it for a child), else nullopt.
  // Does not block.
  std::optional<ExitStatus> Poll();

 private:
  ProcessWatcher(const Executor& executor, ProcessIdentity identity, bool is_child);
  // Takes ownership of `pidfd` (closed on failure too).
  static absl::StatusOr<std::unique_ptr<ProcessWatcher>> Make(const Executor& executor, int pidfd,
                                                              ProcessIdentity identity,
                                                              bool is_child);
  ExitStatus Collect();
  bool PidfdReadable();

  net::asio::posix::stream_descriptor pidfd_;
  ProcessIdentity identity_{};
  bool is_child_ = false;
  std::optional<ExitStatus> exit_{};
};

}  // namespace rmq::nodeagent
