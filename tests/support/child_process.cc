#include "tests/support/child_process.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"

extern char** environ;  // NOLINT(readability-redundant-declaration): POSIX, not in <unistd.h>

namespace rmq::testing {

namespace {

// Forks and execs `argv` with stdout on `out_fd` and stderr on `err_fd` (both O_CLOEXEC; the
// caller closes them). See SpawnProcess.
absl::StatusOr<pid_t> SpawnWithFds(const std::vector<std::string>& argv, int out_fd, int err_fd,
                                   const SpawnOptions& options) {
  if (argv.empty()) return absl::InvalidArgumentError("empty argv");
  // Everything exec needs is built before fork: the child of a threaded process may only call
  // async-signal-safe functions.
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string entry(*e);
    std::string name = entry.substr(0, entry.find('='));
    if (options.env.count(name) == 0) env_strings.push_back(std::move(entry));
  }
  for (const auto& [k, v] : options.env) env_strings.push_back(absl::StrCat(k, "=", v));
  std::vector<char*> cenv;
  cenv.reserve(env_strings.size() + 1);
  for (auto& e : env_strings) cenv.push_back(e.data());
  cenv.push_back(nullptr);
  std::vector<std::string> args = argv;
  std::vector<char*> cargv;
  cargv.reserve(args.size() + 1);
  for (auto& a : args) cargv.push_back(a.data());
  cargv.push_back(nullptr);
  const char* cwd = options.cwd.empty() ? nullptr : options.cwd.c_str();

  const pid_t parent = ::getpid();
  std::fflush(nullptr);  // nothing buffered before the fork is written twice
  const pid_t pid = ::fork();
  if (pid < 0) return absl::InternalError(absl::StrCat("fork failed: ", std::strerror(errno)));
  if (pid == 0) {
    // Child: die with the test process; stdout/stderr redirected; own process group.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    ::setpgid(0, 0);
    ::dup2(out_fd, STDOUT_FILENO);
    ::dup2(err_fd, STDERR_FILENO);
    int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) ::dup2(devnull, STDIN_FILENO);
    if (cwd != nullptr && ::chdir(cwd) != 0) ::_exit(126);
    ::execve(cargv[0], cargv.data(), cenv.data());
    ::_exit(127);
  }
  return pid;
}

// Reads what is available on `fd` into `out`; false at end of stream or on error.
bool ReadSome(int fd, std::string& out) {
  std::array<char, 8192> buf{};
  ssize_t n = ::read(fd, buf.data(), buf.size());
  if (n > 0) {
    out.append(buf.data(), static_cast<size_t>(n));
    return true;
  }
  return n < 0 && (errno == EINTR || errno == EAGAIN);
}

}  // namespace

absl::StatusOr<pid_t> SpawnProcess(const std::vector<std::string>& argv,
                                   const std::string& log_file, const SpawnOptions& options) {
  const int mode = options.truncate_log ? O_TRUNC : O_APPEND;
  int log_fd = ::open(log_file.c_str(), O_WRONLY | O_CREAT | mode | O_CLOEXEC, 0644);
  if (log_fd < 0) return absl::InternalError(absl::StrCat("cannot open ", log_file));
  absl::StatusOr<pid_t> pid = SpawnWithFds(argv, log_fd, log_fd, options);
  ::close(log_fd);
  return pid;
}

absl::StatusOr<CapturedRun> RunCapturing(const std::vector<std::string>& argv,
                                         const SpawnOptions& options,
                                         std::chrono::milliseconds timeout) {
  std::array<int, 2> out_pipe{-1, -1};
  std::array<int, 2> err_pipe{-1, -1};
  if (::pipe2(out_pipe.data(), O_CLOEXEC) != 0) {
    return absl::InternalError(absl::StrCat("pipe2: ", std::strerror(errno)));
  }
  if (::pipe2(err_pipe.data(), O_CLOEXEC) != 0) {
    ::close(out_pipe[0]);
    ::close(out_pipe[1]);
    return absl::InternalError(absl::StrCat("pipe2: ", std::strerror(errno)));
  }
  absl::StatusOr<pid_t> pid = SpawnWithFds(argv, out_pipe[1], err_pipe[1], options);
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  absl::Cleanup close_pipes = [&] {
    ::close(out_pipe[0]);
    ::close(err_pipe[0]);
  };
  if (!pid.ok()) return pid.status();

  using Clock = std::chrono::steady_clock;
  CapturedRun result;
  auto deadline = Clock::now() + timeout;
  bool timed_out = false;
  // Read both pipes until both end (the program and whatever inherited them exited), then reap.
  std::array<pollfd, 2> fds{pollfd{out_pipe[0], POLLIN, 0}, pollfd{err_pipe[0], POLLIN, 0}};
  std::array<std::string*, 2> sinks{&result.out, &result.err};
  while (fds[0].fd >= 0 || fds[1].fd >= 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) {
      if (timed_out) break;  // killed, but something still holds a pipe open
      // SIGTERM first, so that a script can clean up after itself (traps), then SIGKILL.
      timed_out = true;
      ::kill(-*pid, SIGTERM);
      deadline = Clock::now() + std::chrono::seconds(10);
      continue;
    }
    int n = ::poll(fds.data(), fds.size(), static_cast<int>(std::min<int64_t>(left.count(), 1000)));
    if (n < 0 && errno != EINTR) {
      const std::string error = std::strerror(errno);
      ::kill(-*pid, SIGKILL);
      ::waitpid(*pid, nullptr, 0);
      return absl::InternalError(absl::StrCat("poll: ", error));
    }
    for (size_t i = 0; i < fds.size(); ++i) {
      if (fds[i].fd >= 0 && (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) != 0 &&
          !ReadSome(fds[i].fd, *sinks[i])) {
        fds[i].fd = -1;  // poll ignores negative fds; close_pipes closes the originals
      }
    }
  }
  if (timed_out) ::kill(-*pid, SIGKILL);
  int status = 0;
  while (::waitpid(*pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (timed_out) return result;  // exit_status -1
  result.exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

absl::StatusOr<std::unique_ptr<ChildProcess>> ChildProcess::Start(
    const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
    const std::string& log_file) {
  SpawnOptions options;
  options.env = env;
  absl::StatusOr<pid_t> pid = SpawnProcess(argv, log_file, options);
  if (!pid.ok()) return pid.status();
  return std::unique_ptr<ChildProcess>(new ChildProcess(*pid, log_file));
}

ChildProcess::~ChildProcess() {
  if (Running()) {
    ::kill(pid_, SIGKILL);
    WaitExit(std::chrono::seconds(10));
  }
}

void ChildProcess::Signal(int signal) {
  if (!exit_status_.has_value()) ::kill(pid_, signal);
}

bool ChildProcess::Running() { return !WaitExit(std::chrono::milliseconds(0)).has_value(); }

std::optional<int> ChildProcess::WaitExit(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!exit_status_.has_value()) {
    int status = 0;
    pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      exit_status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      break;
    }
    if (r < 0 && errno != EINTR) {
      exit_status_ = -1;
      break;
    }
    if (std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return exit_status_;
}

std::string ChildProcess::Log() const {
  std::ifstream in(log_file_, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

absl::StatusOr<RunResult> RunToCompletion(const std::vector<std::string>& argv,
                                          const std::string& log_file,
                                          std::chrono::milliseconds timeout) {
  std::ofstream(log_file, std::ios::trunc).close();
  absl::StatusOr<std::unique_ptr<ChildProcess>> child = ChildProcess::Start(argv, {}, log_file);
  if (!child.ok()) return child.status();
  RunResult result;
  std::optional<int> status = (*child)->WaitExit(timeout);
  result.exit_status = status.value_or(-1);
  result.output = (*child)->Log();
  return result;
}

}  // namespace rmq::testing
