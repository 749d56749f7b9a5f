#include "nodeagent/sandbox/command.h"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <csignal>
#include <cstring>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"

extern char** environ;  // NOLINT(readability-redundant-declaration): POSIX, not in <unistd.h>

namespace rmq::nodeagent {

namespace {

absl::Status ErrnoStatus(const std::string& what, int err) {
  std::string message = absl::StrCat(what, ": ", std::strerror(err));
  if (err == ENOENT) return absl::NotFoundError(message);
  if (err == EPERM || err == EACCES) return absl::PermissionDeniedError(message);
  return absl::InternalError(message);
}

int DecodeWaitStatus(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

}  // namespace

std::string CommandLine(const std::vector<std::string>& argv) { return absl::StrJoin(argv, " "); }

absl::StatusOr<CommandResult> RunCommand(const std::vector<std::string>& argv,
                                         std::chrono::milliseconds timeout) {
  if (argv.empty()) return absl::InvalidArgumentError("RunCommand: empty argv");
  const std::string line = CommandLine(argv);
  std::array<int, 2> out_pipe{-1, -1};
  std::array<int, 2> err_pipe{-1, -1};
  absl::Cleanup close_pipes = [&] {
    for (int fd : {out_pipe[0], out_pipe[1], err_pipe[0], err_pipe[1]}) {
      if (fd >= 0) ::close(fd);
    }
  };
  if (::pipe2(out_pipe.data(), O_CLOEXEC) != 0 || ::pipe2(err_pipe.data(), O_CLOEXEC) != 0) {
    return ErrnoStatus(absl::StrCat(line, ": pipe2"), errno);
  }

  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  ::posix_spawn_file_actions_init(&actions);
  ::posix_spawnattr_init(&attr);
  absl::Cleanup destroy_spawn_state = [&] {
    ::posix_spawn_file_actions_destroy(&actions);
    ::posix_spawnattr_destroy(&attr);
  };
  ::posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  ::posix_spawn_file_actions_adddup2(&actions, out_pipe[1], STDOUT_FILENO);
  ::posix_spawn_file_actions_adddup2(&actions, err_pipe[1], STDERR_FILENO);
  // Default dispositions and an empty mask: the agent may ignore SIGPIPE or block signals.
  sigset_t all;
  sigset_t none;
  sigfillset(&all);
  sigemptyset(&none);
  ::posix_spawnattr_setsigdefault(&attr, &all);
  ::posix_spawnattr_setsigmask(&attr, &none);
  ::posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);

  std::vector<std::string> args = argv;
  std::vector<char*> cargv;
  cargv.reserve(args.size() + 1);
  for (std::string& a : args) cargv.push_back(a.data());
  cargv.push_back(nullptr);
  pid_t pid = -1;
  const int spawn_error = ::posix_spawnp(&pid, cargv[0], &actions, &attr, cargv.data(), environ);
  if (spawn_error != 0) return ErrnoStatus(absl::StrCat(line, ": posix_spawnp"), spawn_error);
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  out_pipe[1] = err_pipe[1] = -1;

  using Clock = std::chrono::steady_clock;
  const Clock::time_point deadline = Clock::now() + timeout;
  CommandResult result;
  std::array<pollfd, 2> fds{pollfd{out_pipe[0], POLLIN, 0}, pollfd{err_pipe[0], POLLIN, 0}};
  std::array<std::string*, 2> sinks{&result.out, &result.err};
  bool timed_out = false;
  absl::Status io_error;
  while ((fds[0].fd >= 0 || fds[1].fd >= 0) && io_error.ok()) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    const int n =
        ::poll(fds.data(), fds.size(), static_cast<int>(std::min<int64_t>(left.count(), 1000)));
    if (n < 0) {
      if (errno != EINTR) io_error = ErrnoStatus(absl::StrCat(line, ": poll"), errno);
      continue;
    }
    for (size_t i = 0; i < fds.size(); ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      std::array<char, 4096> buf{};
      const ssize_t got = ::read(fds[i].fd, buf.data(), buf.size());
      if (got > 0) {
        sinks[i]->append(buf.data(), static_cast<size_t>(got));
      } else if (got == 0 || errno != EINTR) {
        fds[i].fd = -1;  // end of stream (or a read error: stop reading it)
      }
    }
  }
  if (timed_out || !io_error.ok()) ::kill(pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return ErrnoStatus(absl::StrCat(line, ": waitpid"), errno);
  }
  if (timed_out) {
    return absl::DeadlineExceededError(
        absl::StrCat(line, ": no exit within ", timeout.count(), " ms (killed)"));
  }
  if (!io_error.ok()) return io_error;
  result.exit_code = DecodeWaitStatus(status);
  return result;
}

absl::Status CommandFailure(const std::vector<std::string>& argv, const CommandResult& result) {
  const absl::string_view err = absl::StripAsciiWhitespace(result.err);
  std::string message = absl::StrCat(CommandLine(argv), ": exit ", result.exit_code, ": ",
                                     err.empty() ? absl::string_view("(no stderr)") : err);
  if (absl::StrContains(err, "Operation not permitted") ||
      absl::StrContains(err, "Permission denied")) {
    return absl::PermissionDeniedError(message);
  }
  return absl::InternalError(message);
}

absl::StatusOr<std::string> RunChecked(const std::vector<std::string>& argv,
                                       std::chrono::milliseconds timeout) {
  absl::StatusOr<CommandResult> result = RunCommand(argv, timeout);
  if (!result.ok()) return result.status();
  if (result->exit_code == 0) return std::move(result->out);
  return CommandFailure(argv, *result);
}

}  // namespace rmq::nodeagent
