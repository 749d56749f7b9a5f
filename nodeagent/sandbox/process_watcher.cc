#include "nodeagent/sandbox/process_watcher.h"

#include <poll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "common/base/status_macros.h"

namespace rmq::nodeagent {

namespace asio = net::asio;

namespace {

absl::Status ErrnoStatus(const std::string& what, int err) {
  std::string message = absl::StrCat(what, ": ", std::strerror(err));
  if (err == ESRCH || err == ENOENT) return absl::NotFoundError(message);
  if (err == EPERM || err == EACCES) return absl::PermissionDeniedError(message);
  return absl::InternalError(message);
}

absl::StatusOr<int> PidfdOpen(pid_t pid) {
  const auto fd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));  // always O_CLOEXEC
  if (fd < 0) return ErrnoStatus(absl::StrCat("pidfd_open(", pid, ")"), errno);
  return fd;
}

}  // namespace

std::optional<int> ExitStatus::ContainerExitCode() const {
  switch (kind) {
    case Kind::kExited:
      return code;
    case Kind::kSignaled:
      return 128 + code;
    case Kind::kUnknown:
      return std::nullopt;
  }
  return std::nullopt;
}

std::string ExitStatus::ToString() const {
  switch (kind) {
    case Kind::kExited:
      return absl::StrCat("exited ", code);
    case Kind::kSignaled:
      return absl::StrCat("killed by signal ", code);
    case Kind::kUnknown:
      return "exit status unknown";
  }
  return "exit status unknown";
}

ExitStatus ExitStatusFromWait(int wait_status) {
  if (WIFEXITED(wait_status)) {
    return {.kind = ExitStatus::Kind::kExited, .code = WEXITSTATUS(wait_status)};
  }
  if (WIFSIGNALED(wait_status)) {
    return {.kind = ExitStatus::Kind::kSignaled, .code = WTERMSIG(wait_status)};
  }
  return {};
}

ProcessWatcher::ProcessWatcher(const Executor& executor, ProcessIdentity identity, bool is_child)
    : pidfd_(executor), identity_(identity), is_child_(is_child) {}

absl::StatusOr<std::unique_ptr<ProcessWatcher>> ProcessWatcher::Make(const Executor& executor,
                                                                     int pidfd,
                                                                     ProcessIdentity identity,
                                                                     bool is_child) {
  std::unique_ptr<ProcessWatcher> watcher(new ProcessWatcher(executor, identity, is_child));
  boost::system::error_code ec;
  watcher->pidfd_.assign(pidfd, ec);  // registers the pidfd with the reactor (epoll)
  if (ec) {
    ::close(pidfd);
    return absl::InternalError(
        absl::StrCat("watch ", identity.ToString(), ": register pidfd: ", ec.message()));
  }
  return watcher;
}

absl::StatusOr<std::unique_ptr<ProcessWatcher>> ProcessWatcher::Watch(const Executor& executor,
                                                                      pid_t pid) {
  if (pid <= 0) return absl::InvalidArgumentError(absl::StrCat("watch: bad pid ", pid));
  RMQ_ASSIGN_OR_RETURN(const int fd, PidfdOpen(pid));
  // Read after the pidfd is open: the stat then describes the process the pidfd refers to (a
  // child cannot be reaped, so its pid not reused, before we wait for it).
  absl::StatusOr<ProcStat> stat = ReadProcStat(pid);
  if (!stat.ok()) {
    ::close(fd);
    return stat.status();
  }
  if (stat->ppid != ::getpid()) {
    ::close(fd);
    return absl::InvalidArgumentError(
        absl::StrCat("watch: process ", pid, " is not our child (parent ", stat->ppid, ")"));
  }
  return Make(executor, fd, {.pid = pid, .start_time = stat->start_time}, true);
}

absl::StatusOr<std::unique_ptr<ProcessWatcher>> ProcessWatcher::Adopt(const Executor& executor,
                                                                      const ProcessIdentity& id) {
  if (id.pid <= 0) return absl::InvalidArgumentError(absl::StrCat("adopt: bad pid ", id.pid));
  absl::StatusOr<int> fd = PidfdOpen(id.pid);
  if (!fd.ok()) {
    return absl::NotFoundError(absl::StrCat("adopt ", id.ToString(), ": ", fd.status().message()));
  }
  // Open first, then compare the start time: if it matches now, the pidfd (which pins the process
  // it was opened for) refers to the recorded process, not to a later one with the same pid.
  absl::StatusOr<ProcStat> stat = ReadProcStat(id.pid);
  if (!stat.ok() || stat->start_time != id.start_time) {
    ::close(*fd);
    return absl::NotFoundError(absl::StrCat(
        "adopt ", id.ToString(), ": ",
        stat.ok() ? absl::StrCat("pid ", id.pid, " now names another process (start time ",
                                 stat->start_time, ")")
                  : std::string(stat.status().message())));
  }
  return Make(executor, *fd, id, stat->ppid == ::getpid());
}

absl::Status ProcessWatcher::Signal(int sig) {
  if (exit_) return absl::NotFoundError(absl::StrCat("signal ", pid(), ": process has exited"));
  if (::syscall(SYS_pidfd_send_signal, pidfd_.native_handle(), sig, nullptr, 0) != 0) {
    return ErrnoStatus(absl::StrCat("pidfd_send_signal(", pid(), ", ", sig, ")"), errno);
  }
  return absl::OkStatus();
}

ExitStatus ProcessWatcher::Collect() {
  if (exit_) return *exit_;
  ExitStatus status;  // kUnknown unless we can reap it
  if (is_child_) {
    int wait_status = 0;
    pid_t got = -1;
    do {
      // Only called once the pidfd is readable: the child has exited, this does not block.
      got = ::waitpid(identity_.pid, &wait_status, 0);
    } while (got < 0 && errno == EINTR);
    // ECHILD: someone else reaped it (or SIGCHLD is ignored): unknown.
    if (got == identity_.pid) status = ExitStatusFromWait(wait_status);
  }
  exit_ = status;
  return status;
}

std::optional<ExitStatus> ProcessWatcher::Poll() {
  if (exit_) return exit_;
  if (!PidfdReadable()) return std::nullopt;
  return Collect();
}

void ProcessWatcher::AsyncWait(absl::AnyInvocable<void(absl::StatusOr<ExitStatus>)> handler) {
  if (exit_) {
    asio::post(pidfd_.get_executor(),
               [handler = std::move(handler), status = *exit_]() mutable { handler(status); });
    return;
  }
  pidfd_.async_wait(
      asio::posix::descriptor_base::wait_read,
      [this, handler = std::move(handler)](boost::system::error_code ec) mutable {
        // Cancelled (maybe destroyed): `this` must not be used.
        if (ec) {
          handler(absl::CancelledError(absl::StrCat("wait for process exit: ", ec.message())));
          return;
        }
        if (!PidfdReadable()) {  // a spurious wake-up: wait again rather than block in waitpid
          AsyncWait(std::move(handler));
          return;
        }
        handler(Collect());
      });
}

asio::awaitable<absl::StatusOr<ExitStatus>> ProcessWatcher::Wait() {
  if (exit_) co_return *exit_;
  do {
    boost::system::error_code ec;
    co_await pidfd_.async_wait(asio::posix::descriptor_base::wait_read,
                               asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      co_return absl::CancelledError(absl::StrCat("wait for process exit: ", ec.message()));
    }
  } while (!PidfdReadable());
  co_return Collect();
}

bool ProcessWatcher::PidfdReadable() {
  pollfd fd{pidfd_.native_handle(), POLLIN, 0};
  int n = 0;
  do {
    n = ::poll(&fd, 1, 0);
  } while (n < 0 && errno == EINTR);
  return n > 0 && (fd.revents & POLLIN) != 0;
}

ProcessWatcher::~ProcessWatcher() {
  // release() takes the descriptor out of the reactor's epoll set explicitly; a plain close()
  // would not while a child forked meanwhile (before its exec) still holds the file, and the
  // stale registration would then wake the next watcher that reuses the fd number.
  if (pidfd_.is_open()) ::close(pidfd_.release());
}

void ProcessWatcher::Cancel() {
  boost::system::error_code ignored;  // fails only for a closed descriptor: nothing to cancel
  pidfd_.cancel(ignored);
}

}  // namespace rmq::nodeagent
