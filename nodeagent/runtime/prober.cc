#include "nodeagent/runtime/prober.h"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <functional>
#include <limits>
#include <memory>
#include <utility>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/support/byte_buffer.h"
#include "grpcpp/support/channel_arguments.h"
#include "nodeagent/sandbox/process.h"

namespace rmq::nodeagent {

namespace asio = net::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using boost::system::error_code;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

namespace {
// absl::string_view is not std::string_view in Debian's absl (built for C++14/17).
absl::string_view A(std::string_view s) { return {s.data(), s.size()}; }
}  // namespace

namespace prober_internal {

std::string JoinHostPort(std::string_view host, int32_t port) {
  if (host.find(':') != std::string_view::npos) return absl::StrCat("[", A(host), "]:", port);
  return absl::StrCat(A(host), ":", port);
}

std::string HttpRequestTarget(std::string_view path) {
  if (path.empty()) return "/";
  if (path.front() != '/') return absl::StrCat("/", A(path));
  return std::string(path);
}

HandlerOutcome ClassifyHttpStatus(unsigned status, std::string_view body) {
  if (status >= 200 && status < 400) {
    if (status >= 300) {
      return {.result = ProbeResult::kSuccess,
              .message = absl::StrCat("Probe terminated redirects, Response body: ", A(body))};
    }
    return {.result = ProbeResult::kSuccess, .message = std::string(body)};
  }
  return {.result = ProbeResult::kFailure,
          .message = absl::StrCat("HTTP probe failed with statuscode: ", status)};
}

void AppendCapped(std::string& out, std::string_view data, size_t cap) {
  if (out.size() >= cap) return;
  out.append(data.substr(0, cap - out.size()));
}

std::vector<std::string> ExecCandidates(std::string_view argv0,
                                        const std::vector<std::string>& env) {
  if (argv0.find('/') != std::string_view::npos) return {std::string(argv0)};
  std::string_view path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  for (const std::string& entry : env) {
    if (absl::StartsWith(entry, "PATH=")) path = std::string_view(entry).substr(5);
  }
  std::vector<std::string> candidates;
  for (absl::string_view dir : absl::StrSplit(absl::string_view(path.data(), path.size()), ':')) {
    if (dir.empty()) dir = ".";
    candidates.push_back(absl::StrCat(dir, "/", A(argv0)));
  }
  return candidates;
}

namespace {

void AppendVarint(std::string& out, uint64_t value) {
  while (value >= 0x80) {
    out.push_back(static_cast<char>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<char>(value));
}

// Reads a varint at `pos`, advancing it; false when truncated or longer than 10 bytes.
bool ReadVarint(std::string_view bytes, size_t& pos, uint64_t& value) {
  value = 0;
  for (int shift = 0; shift < 70; shift += 7) {
    if (pos >= bytes.size()) return false;
    const auto byte = static_cast<uint8_t>(bytes[pos++]);
    value |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) return true;
  }
  return false;
}

}  // namespace

std::string EncodeHealthCheckRequest(std::string_view service) {
  std::string out;
  if (service.empty()) return out;                 // proto3: a default value is not written
  out.push_back(static_cast<char>((1 << 3) | 2));  // field 1, length-delimited
  AppendVarint(out, service.size());
  out.append(service);
  return out;
}

absl::StatusOr<int32_t> DecodeHealthCheckResponse(std::string_view bytes) {
  int32_t status = 0;
  size_t pos = 0;
  auto bad = [](std::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat("malformed HealthCheckResponse: ", A(why)));
  };
  while (pos < bytes.size()) {
    uint64_t key = 0;
    if (!ReadVarint(bytes, pos, key)) return bad("truncated tag");
    const uint64_t field = key >> 3;
    const auto wire_type = static_cast<int>(key & 7);
    if (field == 0) return bad("field number 0");
    uint64_t value = 0;
    switch (wire_type) {
      case 0:  // varint
        if (!ReadVarint(bytes, pos, value)) return bad("truncated varint");
        if (field == 1) status = static_cast<int32_t>(value);  // enums are int32 on the wire
        break;
      case 1:  // 64-bit
        if (bytes.size() - pos < 8) return bad("truncated fixed64");
        pos += 8;
        break;
      case 2:  // length-delimited
        if (!ReadVarint(bytes, pos, value)) return bad("truncated length");
        if (value > bytes.size() - pos) return bad("length beyond the message");
        pos += static_cast<size_t>(value);
        break;
      case 5:  // 32-bit
        if (bytes.size() - pos < 4) return bad("truncated fixed32");
        pos += 4;
        break;
      default:
        return bad(absl::StrCat("wire type ", wire_type));
    }
  }
  return status;
}

std::string HealthStatusName(int32_t status) {
  switch (status) {
    case 0:
      return "UNKNOWN";
    case 1:
      return "SERVING";
    case 2:
      return "NOT_SERVING";
    case 3:
      return "SERVICE_UNKNOWN";
    default:
      return absl::StrCat(status);
  }
}

std::string GrpcCodeName(int code) {
  static constexpr std::array<const char*, 17> kNames = {
      "OK",       "Canceled",       "Unknown",          "InvalidArgument",   "DeadlineExceeded",
      "NotFound", "AlreadyExists",  "PermissionDenied", "ResourceExhausted", "FailedPrecondition",
      "Aborted",  "OutOfRange",     "Unimplemented",    "Internal",          "Unavailable",
      "DataLoss", "Unauthenticated"};
  if (code >= 0 && static_cast<size_t>(code) < kNames.size()) return kNames[code];
  return absl::StrCat("Code(", code, ")");
}

}  // namespace prober_internal

namespace {

using prober_internal::AppendCapped;
using prober_internal::JoinHostPort;

HandlerOutcome Failure(std::string message) {
  return {.result = ProbeResult::kFailure, .message = std::move(message)};
}

HandlerOutcome Success(std::string message) {
  return {.result = ProbeResult::kSuccess, .message = std::move(message)};
}

// A duration as Go prints it, for the few the messages need: "1s", "1.5s", "250ms".
std::string GoDuration(milliseconds d) {
  const int64_t ms = d.count();
  if (ms < 1000) return absl::StrCat(ms, "ms");
  if (ms % 1000 == 0) return absl::StrCat(ms / 1000, "s");
  std::string fraction = absl::StrCat(1000 + ms % 1000).substr(1);  // "050" for 50 ms
  while (!fraction.empty() && fraction.back() == '0') fraction.pop_back();
  return absl::StrCat(ms / 1000, ".", fraction, "s");
}

// ---------------------------------------------------------------------------------------------
// exec

constexpr std::array<const char*, 4> kNamespaceNames = {"ipc", "uts", "net", "mnt"};
// Joined in this order (as nsenter does): the mount namespace last.
constexpr std::array<int, 4> kNamespaceFlags = {CLONE_NEWIPC, CLONE_NEWUTS, CLONE_NEWNET,
                                                CLONE_NEWNS};

enum class ExecStep : int32_t { kSetpgid, kSetns, kChdir, kDup, kExec };

// What the child writes to the error pipe before _exit(127).
struct ExecFailure {
  ExecStep step = ExecStep::kExec;
  int32_t index = 0;  // the namespace (kSetns) or exec candidate (kExec)
  int32_t err = 0;    // errno
};

// Everything the child needs, prepared before the fork (the child of a threaded process may only
// make async-signal-safe calls).
struct ExecPlan {
  std::vector<std::string> argv_storage{};
  std::vector<char*> argv{};
  std::vector<std::string> env_storage{};
  std::vector<char*> env{};
  std::vector<std::string> candidates{};
  std::string working_dir{};
  std::array<int, 4> ns_fds{-1, -1, -1, -1};
  int stdin_fd = -1;
  int out_fd = -1;  // the output pipe's write end: the child's stdout and stderr
};

int AboveStdio(int fd) {
  if (fd < 0 || fd > STDERR_FILENO) return fd;
  const int moved = ::fcntl(fd, F_DUPFD_CLOEXEC, STDERR_FILENO + 1);
  ::close(fd);
  return moved;
}

void CloseFd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

[[noreturn]] void ExecFail(int err_fd, ExecStep step, int32_t index, int err) {
  ExecFailure failure{.step = step, .index = index, .err = err};
  ssize_t ignored = ::write(err_fd, &failure, sizeof(failure));
  (void)ignored;
  ::_exit(127);
}

// The child, between fork and exec: async-signal-safe calls only.
[[noreturn]] void RunExecChild(const ExecPlan& plan, int err_fd) {
  ResetSignalDispositionsInChild();
  // Its own process group, so that a timeout kills what it started too.
  if (::setpgid(0, 0) != 0) ExecFail(err_fd, ExecStep::kSetpgid, 0, errno);
  for (size_t i = 0; i < plan.ns_fds.size(); ++i) {
    if (::setns(plan.ns_fds[i], kNamespaceFlags[i]) != 0) {
      ExecFail(err_fd, ExecStep::kSetns, static_cast<int32_t>(i), errno);
    }
  }
  if (::chdir(plan.working_dir.c_str()) != 0) ExecFail(err_fd, ExecStep::kChdir, 0, errno);
  if (!DupToInChild(plan.stdin_fd, STDIN_FILENO) || !DupToInChild(plan.out_fd, STDOUT_FILENO) ||
      !DupToInChild(plan.out_fd, STDERR_FILENO)) {
    ExecFail(err_fd, ExecStep::kDup, 0, errno);
  }
  const ChildExecError failure =
      ExecCandidatesInChild(plan.candidates, plan.argv.data(), plan.env.data());
  ExecFail(err_fd, ExecStep::kExec, failure.candidate, failure.err);
}

std::string DescribeExecFailure(const ExecFailure& f, const ExecPlan& plan, pid_t target) {
  const bool index_ok = f.index >= 0;
  std::string what;
  switch (f.step) {
    case ExecStep::kSetpgid:
      what = "setpgid";
      break;
    case ExecStep::kSetns:
      what = absl::StrCat("setns /proc/", target, "/ns/",
                          index_ok && static_cast<size_t>(f.index) < kNamespaceNames.size()
                              ? kNamespaceNames[f.index]
                              : "?");
      break;
    case ExecStep::kChdir:
      what = absl::StrCat("chdir ", plan.working_dir);
      break;
    case ExecStep::kDup:
      what = "dup2 (stdio)";
      break;
    case ExecStep::kExec: {
      const bool ok = index_ok && static_cast<size_t>(f.index) < plan.candidates.size();
      what = absl::StrCat("execve ", ok ? plan.candidates[f.index] : plan.argv_storage[0]);
      if (plan.candidates.size() > 1) {
        absl::StrAppend(&what, " (", plan.argv_storage[0], " not found in PATH)");
      }
      break;
    }
  }
  return absl::StrCat("exec probe: ", what, ": ", std::strerror(f.err));
}

HandlerOutcome ErrnoFailure(std::string_view what, int err) {
  return Failure(absl::StrCat("exec probe: ", A(what), ": ", std::strerror(err)));
}

// Reads what is in `fd` (non-blocking) into `out`, capped. False at EOF or on an error.
bool ReadAvailable(int fd, std::string& out) {
  std::array<char, 4096> chunk{};
  while (true) {
    const ssize_t n = ::read(fd, chunk.data(), chunk.size());
    if (n > 0) {
      AppendCapped(out, std::string_view(chunk.data(), static_cast<size_t>(n)));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
  }
}

void KillAndReap(pid_t pid) {
  ::kill(-pid, SIGKILL);
  ::kill(pid, SIGKILL);
  while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
  }
}

// The exec handler, start to end; blocks for up to `timeout` (runs on the blocking pool).
HandlerOutcome RunExecBlocking(const Handler& handler, const ProbeTarget& target,
                               milliseconds timeout) {
  const Clock::time_point deadline = Clock::now() + timeout;
  if (handler.command.empty() || handler.command[0].empty()) {
    return Failure("exec probe: no command");
  }
  if (target.pid <= 0) return Failure("exec probe: no container process");
  ExecPlan plan;
  plan.argv_storage = handler.command;
  plan.env_storage = target.env;
  plan.candidates = prober_internal::ExecCandidates(handler.command[0], target.env);
  plan.working_dir = target.working_dir.empty() ? "/" : target.working_dir;
  for (std::string& a : plan.argv_storage) plan.argv.push_back(a.data());
  plan.argv.push_back(nullptr);
  for (std::string& e : plan.env_storage) plan.env.push_back(e.data());
  plan.env.push_back(nullptr);

  std::array<int, 2> out_pipe{-1, -1};
  std::array<int, 2> err_pipe{-1, -1};
  absl::Cleanup close_fds = [&] {
    for (int& fd : plan.ns_fds) CloseFd(fd);
    CloseFd(plan.stdin_fd);
    for (int& fd : out_pipe) CloseFd(fd);
    for (int& fd : err_pipe) CloseFd(fd);
  };
  // The namespaces are opened before the fork: the child only joins them.
  for (size_t i = 0; i < kNamespaceNames.size(); ++i) {
    const std::string path = absl::StrCat("/proc/", target.pid, "/ns/", kNamespaceNames[i]);
    plan.ns_fds[i] = AboveStdio(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (plan.ns_fds[i] < 0) return ErrnoFailure(absl::StrCat("open ", path), errno);
  }
  plan.stdin_fd = AboveStdio(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  if (plan.stdin_fd < 0) return ErrnoFailure("open /dev/null", errno);
  if (::pipe2(out_pipe.data(), O_CLOEXEC) != 0) return ErrnoFailure("pipe2", errno);
  if (::pipe2(err_pipe.data(), O_CLOEXEC) != 0) return ErrnoFailure("pipe2", errno);
  for (int& fd : out_pipe) fd = AboveStdio(fd);
  for (int& fd : err_pipe) fd = AboveStdio(fd);
  if (out_pipe[0] < 0 || out_pipe[1] < 0 || err_pipe[0] < 0 || err_pipe[1] < 0) {
    return ErrnoFailure("pipe2 (move above stdio)", errno);
  }
  plan.out_fd = out_pipe[1];

  // Every signal blocked across the fork: the child must not run the agent's handlers before it
  // reset them (RunExecChild unblocks right before exec).
  sigset_t all;
  sigset_t saved;
  sigfillset(&all);
  ::pthread_sigmask(SIG_SETMASK, &all, &saved);
  std::fflush(nullptr);
  const pid_t pid = ::fork();
  if (pid == 0) RunExecChild(plan, err_pipe[1]);
  const int fork_errno = errno;
  ::pthread_sigmask(SIG_SETMASK, &saved, nullptr);
  if (pid < 0) return ErrnoFailure("fork", fork_errno);
  CloseFd(out_pipe[1]);
  CloseFd(err_pipe[1]);

  // EOF: exec succeeded (the pipe closed on exec). An ExecFailure: the child exits 127.
  ExecFailure failure;
  size_t got = 0;
  while (got < sizeof(failure)) {
    const ssize_t n =
        ::read(err_pipe[0], reinterpret_cast<char*>(&failure) + got, sizeof(failure) - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  if (got != 0) {
    while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
    }
    if (got != sizeof(failure)) return Failure("exec probe: truncated error report");
    return Failure(DescribeExecFailure(failure, plan, target.pid));
  }

  const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (pidfd < 0) {
    const int err = errno;
    KillAndReap(pid);
    return ErrnoFailure("pidfd_open", err);
  }
  absl::Cleanup close_pidfd = [pidfd] { ::close(pidfd); };
  ::fcntl(out_pipe[0], F_SETFL, ::fcntl(out_pipe[0], F_GETFL) | O_NONBLOCK);

  std::string output;
  bool output_open = true;
  bool exited = false;
  while (!exited) {
    const auto left = std::chrono::ceil<milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) {
      KillAndReap(pid);
      return Failure(
          absl::StrCat("command \"", absl::StrJoin(handler.command, " "), "\" timed out"));
    }
    std::array<pollfd, 2> fds{
        pollfd{.fd = pidfd, .events = POLLIN, .revents = 0},
        pollfd{.fd = output_open ? out_pipe[0] : -1, .events = POLLIN, .revents = 0}};
    const int ready =
        ::poll(fds.data(), fds.size(), static_cast<int>(std::min<int64_t>(left.count(), 60'000)));
    if (ready < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      KillAndReap(pid);
      return ErrnoFailure("poll", err);
    }
    if (fds[1].revents != 0) output_open = ReadAvailable(out_pipe[0], output);
    if (fds[0].revents != 0) exited = true;
  }
  int wait_status = 0;
  while (::waitpid(pid, &wait_status, 0) < 0 && errno == EINTR) {
  }
  // What the command wrote before it exited is in the pipe; processes it left running (still
  // holding the pipe) are not waited for.
  if (output_open) ReadAvailable(out_pipe[0], output);
  if (WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == 0) return Success(std::move(output));
  return Failure(std::move(output));
}

asio::awaitable<HandlerOutcome> RunExecOnPool(Handler handler, ProbeTarget target,
                                              milliseconds timeout) {
  co_return RunExecBlocking(handler, target, timeout);
}

// ---------------------------------------------------------------------------------------------
// Network: dialing, as Go's net.Dial words its errors.

std::string DialError(const error_code& ec) {
  if (ec == beast::error::timeout) return "i/o timeout";
  return absl::StrCat("connect: ", absl::AsciiStrToLower(ec.message()));
}

// Connects `stream` to host:port before `deadline`. The error as Go words it, or "" on success.
asio::awaitable<std::string> Dial(beast::tcp_stream& stream, const std::string& host, int32_t port,
                                  Clock::time_point deadline) {
  std::vector<asio::ip::tcp::endpoint> endpoints;
  error_code ec;
  const asio::ip::address address = asio::ip::make_address(host, ec);
  if (!ec) {
    endpoints.emplace_back(address, static_cast<uint16_t>(port));
  } else {
    // A name: resolved on Asio's resolver thread, cancelled at the deadline.
    auto resolver = std::make_shared<asio::ip::tcp::resolver>(stream.get_executor());
    asio::steady_timer guard(stream.get_executor(), deadline);
    guard.async_wait([resolver](const error_code& expired) {
      if (!expired) resolver->cancel();
    });
    ec = {};
    asio::ip::tcp::resolver::results_type results = co_await resolver->async_resolve(
        host, std::to_string(port), asio::redirect_error(asio::use_awaitable, ec));
    guard.cancel();
    if (ec == asio::error::operation_aborted) {
      co_return absl::StrCat("dial tcp: lookup ", host, ": i/o timeout");
    }
    if (ec) co_return absl::StrCat("dial tcp: lookup ", host, ": ", ec.message());
    for (const auto& entry : results) endpoints.push_back(entry.endpoint());
    if (endpoints.empty()) co_return absl::StrCat("dial tcp: lookup ", host, ": no such host");
  }
  const std::string shown =
      JoinHostPort(endpoints.front().address().to_string(), endpoints.front().port());
  stream.expires_at(deadline);
  ec = {};
  co_await stream.async_connect(endpoints, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return absl::StrCat("dial tcp ", shown, ": ", DialError(ec));
  co_return std::string();
}

asio::awaitable<HandlerOutcome> RunTcp(const std::string& host, int32_t port,
                                       milliseconds timeout) {
  const asio::any_io_executor executor = co_await asio::this_coro::executor;
  beast::tcp_stream stream(executor);
  const std::string error = co_await Dial(stream, host, port, Clock::now() + timeout);
  if (!error.empty()) co_return Failure(error);
  error_code ignored;
  stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  stream.close();
  co_return Success("");
}

// ---------------------------------------------------------------------------------------------
// httpGet

std::string HttpIoError(const error_code& ec) {
  if (ec == beast::error::timeout) {
    return "context deadline exceeded (Client.Timeout exceeded while awaiting headers)";
  }
  return ec.message();
}

// Sends the request on a connected (and for HTTPS, handshaken) stream and reads the answer.
template <typename Stream>
asio::awaitable<HandlerOutcome> ExchangeHttp(Stream& stream, beast::tcp_stream& lowest,
                                             const bhttp::request<bhttp::empty_body>& request,
                                             const std::string& url, Clock::time_point deadline) {
  auto failed = [&url](const std::string& error) {
    return Failure(absl::StrCat("Get \"", url, "\": ", error));
  };
  error_code ec;
  lowest.expires_at(deadline);
  co_await bhttp::async_write(stream, request, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return failed(HttpIoError(ec));
  beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::string_body> parser;
  // We stop reading at kMaxProbeOutput ourselves. (Not boost::none: Boost 1.74 compares the
  // content length against the optional, and any value is greater than none.)
  parser.body_limit(std::numeric_limits<std::uint64_t>::max());
  lowest.expires_at(deadline);
  co_await bhttp::async_read_header(stream, buffer, parser,
                                    asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return failed(HttpIoError(ec));
  const unsigned status = parser.get().result_int();
  while (!parser.is_done() && parser.get().body().size() < kMaxProbeOutput) {
    co_await bhttp::async_read_some(stream, buffer, parser,
                                    asio::redirect_error(asio::use_awaitable, ec));
    if (ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message) break;
    if (ec) {
      // The kubelet throws away a probe whose body cannot be read.
      co_return HandlerOutcome{
          .result = ProbeResult::kUnknown,
          .message = absl::StrCat("Get \"", url, "\": reading the body: ", ec.message())};
    }
  }
  std::string body = std::move(parser.get().body());
  if (body.size() > kMaxProbeOutput) body.resize(kMaxProbeOutput);
  co_return prober_internal::ClassifyHttpStatus(status, body);
}

asio::awaitable<HandlerOutcome> RunHttp(const Handler& handler, const std::string& host,
                                        milliseconds timeout) {
  const Clock::time_point deadline = Clock::now() + timeout;
  const std::string scheme =
      absl::AsciiStrToLower(handler.scheme.empty() ? "http" : handler.scheme);
  if (scheme != "http" && scheme != "https") {
    co_return Failure(absl::StrCat("unsupported scheme \"", handler.scheme, "\""));
  }
  const std::string host_port = JoinHostPort(host, handler.port);
  const std::string target = prober_internal::HttpRequestTarget(handler.path);
  const std::string url = absl::StrCat(scheme, "://", host_port, target);

  bhttp::request<bhttp::empty_body> request{bhttp::verb::get, target, 11};
  request.set(bhttp::field::host, host_port);
  bool user_agent = false;
  bool accept = false;
  for (const HttpHeader& header : handler.headers) {
    if (absl::EqualsIgnoreCase(header.name, "Host")) {
      request.set(bhttp::field::host, header.value);
      continue;
    }
    user_agent = user_agent || absl::EqualsIgnoreCase(header.name, "User-Agent");
    accept = accept || absl::EqualsIgnoreCase(header.name, "Accept");
    request.insert(header.name, header.value);
  }
  if (!user_agent) {
    request.set(bhttp::field::user_agent,
                beast::string_view(kProbeUserAgent.data(), kProbeUserAgent.size()));
  }
  if (!accept) request.set(bhttp::field::accept, "*/*");
  request.set(bhttp::field::connection, "close");

  const asio::any_io_executor executor = co_await asio::this_coro::executor;
  if (scheme == "http") {
    beast::tcp_stream stream(executor);
    const std::string error = co_await Dial(stream, host, handler.port, deadline);
    if (!error.empty()) co_return Failure(absl::StrCat("Get \"", url, "\": ", error));
    HandlerOutcome outcome = co_await ExchangeHttp(stream, stream, request, url, deadline);
    co_return outcome;
  }
  asio::ssl::context tls_context(asio::ssl::context::tls_client);
  tls_context.set_verify_mode(asio::ssl::verify_none);  // as the kubelet: InsecureSkipVerify
  beast::ssl_stream<beast::tcp_stream> stream(executor, tls_context);
  beast::tcp_stream& lowest = beast::get_lowest_layer(stream);
  const std::string error = co_await Dial(lowest, host, handler.port, deadline);
  if (!error.empty()) co_return Failure(absl::StrCat("Get \"", url, "\": ", error));
  error_code ec;
  asio::ip::make_address(host, ec);
  if (ec) SSL_set_tlsext_host_name(stream.native_handle(), host.c_str());  // SNI for names only
  ec = {};
  lowest.expires_at(deadline);
  co_await stream.async_handshake(asio::ssl::stream_base::client,
                                  asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return Failure(absl::StrCat("Get \"", url, "\": ", HttpIoError(ec)));
  HandlerOutcome outcome = co_await ExchangeHttp(stream, lowest, request, url, deadline);
  co_return outcome;
}

// ---------------------------------------------------------------------------------------------
// grpc

constexpr const char* kHealthCheckMethod = "/grpc.health.v1.Health/Check";

// One Health/Check call: what must outlive it until its completion.
struct GrpcCall {
  std::shared_ptr<grpc::Channel> channel{};
  std::unique_ptr<grpc::GenericStub> stub{};
  grpc::ClientContext context{};
  grpc::ByteBuffer request{};
  grpc::ByteBuffer response{};
};

// Starts `call` and completes with its status on the caller's executor (the gRPC callback runs
// on a gRPC thread and only posts).
template <typename Token>
auto AsyncUnaryCall(GrpcCall& call, Token&& token) {
  return asio::async_initiate<Token, void(grpc::Status)>(
      [&call](auto handler) {
        using HandlerType = decltype(handler);
        auto work = asio::prefer(asio::get_associated_executor(handler),
                                 asio::execution::outstanding_work.tracked);
        using WorkType = decltype(work);
        // std::function must be copyable; the handler is not: both live here until the
        // callback moves them out.
        struct Pending {
          std::optional<HandlerType> handler;
          std::optional<WorkType> work;
        };
        auto pending = std::make_shared<Pending>(Pending{std::move(handler), std::move(work)});
        call.stub->UnaryCall(&call.context, kHealthCheckMethod, grpc::StubOptions(), &call.request,
                             &call.response, [pending](grpc::Status status) {
                               // Whatever touches the caller's io_context (the handler, the tracked
                               // executor) moves into the posted function and dies on the caller's
                               // thread: gRPC destroys this std::function later, on its own thread,
                               // possibly after the coroutine finished and its io_context is gone.
                               // An untracked executor does the post.
                               auto untracked = asio::prefer(
                                   *pending->work, asio::execution::outstanding_work.untracked);
                               asio::post(untracked, [h = std::move(*pending->handler),
                                                      w = std::move(*pending->work),
                                                      status]() mutable { h(std::move(status)); });
                               pending->handler.reset();
                               pending->work.reset();
                             });
      },
      token);
}

std::string GrpcErrorText(const grpc::Status& status) {
  return absl::StrCat("rpc error: code = ", prober_internal::GrpcCodeName(status.error_code()),
                      " desc = ", status.error_message());
}

asio::awaitable<HandlerOutcome> RunGrpc(const Handler& handler, const std::string& host,
                                        milliseconds timeout) {
  auto call = std::make_unique<GrpcCall>();
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);  // a fresh connection, as the kubelet dials
  args.SetUserAgentPrefix(std::string(kProbeUserAgent));
  call->channel = grpc::CreateCustomChannel(JoinHostPort(host, handler.port),
                                            grpc::InsecureChannelCredentials(), args);
  call->stub = std::make_unique<grpc::GenericStub>(call->channel);
  call->context.set_deadline(std::chrono::system_clock::now() + timeout);
  grpc::Slice slice(prober_internal::EncodeHealthCheckRequest(handler.grpc_service));
  call->request = grpc::ByteBuffer(&slice, 1);

  grpc::Status status = co_await AsyncUnaryCall(*call, asio::use_awaitable);
  if (status.error_code() == grpc::StatusCode::UNIMPLEMENTED) {
    co_return Failure(absl::StrCat(
        "error: this server does not implement the grpc health protocol (grpc.health.v1.Health): ",
        status.error_message()));
  }
  if (status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
    co_return Failure(
        absl::StrCat("timeout: health rpc did not complete within ", GoDuration(timeout)));
  }
  if (!status.ok()) {
    co_return Failure(absl::StrCat("error: health rpc probe failed: ", GrpcErrorText(status)));
  }
  std::vector<grpc::Slice> slices;
  std::string bytes;
  if (!call->response.Dump(&slices).ok()) {
    co_return Failure("error: health rpc probe failed: unreadable response");
  }
  for (const grpc::Slice& s : slices) {
    bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  }
  absl::StatusOr<int32_t> serving = prober_internal::DecodeHealthCheckResponse(bytes);
  if (!serving.ok()) {
    co_return Failure(absl::StrCat("error: health rpc probe failed: ", serving.status().message()));
  }
  if (*serving != 1) {
    co_return Failure(absl::StrCat("service unhealthy (responded with \"",
                                   prober_internal::HealthStatusName(*serving), "\")"));
  }
  co_return Success("service healthy");
}

// ---------------------------------------------------------------------------------------------
// sleep

asio::awaitable<HandlerOutcome> RunSleep(int64_t seconds, milliseconds timeout) {
  const asio::any_io_executor executor = co_await asio::this_coro::executor;
  const auto wanted = std::chrono::seconds(std::max<int64_t>(seconds, 0));
  const bool cut = timeout < wanted;
  asio::steady_timer timer(executor, cut ? milliseconds(timeout) : milliseconds(wanted));
  error_code ec;
  co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  if (cut) co_return Failure("container terminated before sleep hook finished");
  co_return Success("");
}

}  // namespace

asio::awaitable<HandlerOutcome> RunHandler(const Handler& handler, const ProbeTarget& target,
                                           milliseconds timeout, asio::thread_pool& blocking) {
  if (!handler.port_error.empty()) co_return Failure(handler.port_error);
  if (handler.kind == Handler::Kind::kExec) {
    HandlerOutcome outcome = co_await asio::co_spawn(
        blocking, RunExecOnPool(handler, target, timeout), asio::use_awaitable);
    co_return outcome;
  }
  if (handler.kind == Handler::Kind::kSleep) {
    HandlerOutcome outcome = co_await RunSleep(handler.sleep_seconds, timeout);
    co_return outcome;
  }
  const bool network = handler.kind == Handler::Kind::kHttpGet ||
                       handler.kind == Handler::Kind::kTcpSocket ||
                       handler.kind == Handler::Kind::kGrpc;
  if (!network) {
    co_return HandlerOutcome{.result = ProbeResult::kUnknown, .message = "unknown handler"};
  }
  if (handler.port <= 0 || handler.port > 65535) {
    co_return Failure(absl::StrCat("invalid port number: ", handler.port));
  }
  const std::string host = handler.host.empty() ? target.pod_ip : handler.host;
  if (host.empty()) co_return Failure("no host: the pod has no IP yet");
  if (handler.kind == Handler::Kind::kHttpGet) {
    HandlerOutcome outcome = co_await RunHttp(handler, host, timeout);
    co_return outcome;
  }
  if (handler.kind == Handler::Kind::kTcpSocket) {
    HandlerOutcome outcome = co_await RunTcp(host, handler.port, timeout);
    co_return outcome;
  }
  HandlerOutcome outcome = co_await RunGrpc(handler, host, timeout);
  co_return outcome;
}

}  // namespace rmq::nodeagent
