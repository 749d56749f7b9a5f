// The prober against real servers and processes: an in-process HTTP(S) server on 127.0.0.1
// (200, 503, a redirect, a slow answer, a big body, the request echoed), TCP listening and closed
// ports, a gRPC server with the default health service (serving, not serving, unknown service),
// one without it (unimplemented) and a socket that never speaks HTTP/2 (deadline); exec inside a
// process spawned in its own mount and UTS namespaces (hostname, a bind mount only it sees,
// exactly its env, working directory, exit codes, output cap, PATH lookup, timeout that kills
// the process group, commands that leave children behind, a target process that is gone) and
// the caller's executor staying free while an exec runs.
//
// Needs root (setns into another mount namespace, bind mounts): without it the exec tests fail.
#include "nodeagent/runtime/prober.h"

#include <gmock/gmock.h>
#include <grpcpp/generic/async_generic_service.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/ssl.hpp>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <future>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/net/asio.h"
#include "common/net/blocking.h"
#include "nodeagent/sandbox/command.h"
#include "nodeagent/sandbox/process.h"

namespace rmq::nodeagent {
namespace {

namespace asio = net::asio;
using asio::ip::tcp;
using boost::system::error_code;
using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

const std::vector<std::string> kEnv = {
    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "FOO=bar baz"};

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// A port nothing listens on (bound, then closed).
int ClosedPort() {
  asio::io_context io;
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  const int port = acceptor.local_endpoint().port();
  acceptor.close();
  return port;
}

// Runs handlers on its own io_context (the caller's executor) with a two-thread blocking pool.
class ProberTest : public ::testing::Test {
 protected:
  HandlerOutcome Run(const Handler& handler, const ProbeTarget& target,
                     milliseconds timeout = milliseconds(2000)) {
    return net::BlockOn(io_, RunHandler(handler, target, timeout, pool_));
  }
  HandlerOutcome Run(const Handler& handler, milliseconds timeout = milliseconds(2000)) {
    return Run(handler, ProbeTarget{.pod_ip = "127.0.0.1"}, timeout);
  }

  asio::io_context io_;
  asio::thread_pool pool_{2};  // declared after io_: joined before io_ is destroyed
};

// ---------------------------------------------------------------------------------------------
// HTTP

// An HTTP/1.1 server on 127.0.0.1 (optionally TLS) on its own thread. Paths: /ok (200 "fine"),
// /fail (503), /redirect (302), /slow (200 after 3 s), /big (200, 100000 bytes), /echo (200, the
// request head as body). Every request head is recorded.
class TestHttpServer {
 public:
  explicit TestHttpServer(asio::ssl::context* tls = nullptr)
      : tls_(tls), acceptor_(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    port_ = acceptor_.local_endpoint().port();
    asio::co_spawn(io_, Accept(), asio::detached);
    thread_ = std::thread([this] { io_.run(); });
  }
  ~TestHttpServer() {
    io_.stop();
    thread_.join();
  }

  int port() const { return port_; }
  std::vector<std::string> requests() const {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }

 private:
  asio::awaitable<void> Accept() {
    while (true) {
      error_code ec;
      tcp::socket socket =
          co_await acceptor_.async_accept(asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return;
      asio::co_spawn(io_, Serve(std::move(socket)), asio::detached);
    }
  }

  asio::awaitable<void> Serve(tcp::socket socket) {
    if (tls_ == nullptr) {
      co_await Respond(socket);
      co_return;
    }
    asio::ssl::stream<tcp::socket> stream(std::move(socket), *tls_);
    error_code ec;
    co_await stream.async_handshake(asio::ssl::stream_base::server,
                                    asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;
    co_await Respond(stream);
  }

  template <typename Stream>
  asio::awaitable<void> Respond(Stream& stream) {
    std::string data;
    error_code ec;
    co_await asio::async_read_until(stream, asio::dynamic_buffer(data), "\r\n\r\n",
                                    asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;
    const std::string head = data.substr(0, data.find("\r\n\r\n") + 4);
    {
      std::lock_guard<std::mutex> lock(mu_);
      requests_.push_back(head);
    }
    const size_t first = head.find(' ');
    const std::string path = head.substr(first + 1, head.find(' ', first + 1) - first - 1);
    std::string status = "200 OK";
    std::string body;
    std::string extra;
    if (path == "/ok") {
      body = "fine";
    } else if (path == "/fail") {
      status = "503 Service Unavailable";
      body = "down";
    } else if (path == "/redirect") {
      status = "302 Found";
      extra = "Location: http://elsewhere.invalid/\r\n";
      body = "moved";
    } else if (path == "/slow") {
      asio::steady_timer timer(co_await asio::this_coro::executor, std::chrono::seconds(3));
      co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      body = "late";
    } else if (path == "/big") {
      body = std::string(100000, 'b');
    } else if (path == "/echo") {
      body = head;
    } else {
      status = "404 Not Found";
    }
    const std::string response = absl::StrCat(
        "HTTP/1.1 ", status, "\r\nContent-Length: ", body.size(), "\r\n", extra, "\r\n", body);
    co_await asio::async_write(stream, asio::buffer(response),
                               asio::redirect_error(asio::use_awaitable, ec));
  }

  asio::ssl::context* tls_;
  asio::io_context io_;
  tcp::acceptor acceptor_;
  int port_ = 0;
  std::thread thread_;
  mutable std::mutex mu_;
  std::vector<std::string> requests_;
};

class HttpProbeTest : public ProberTest {
 protected:
  Handler Get(std::string path, int port) {
    return {.kind = Handler::Kind::kHttpGet, .path = std::move(path), .port = port};
  }
  TestHttpServer server_;
};

TEST_F(HttpProbeTest, OkSucceedsWithTheBodyAndKubeletHeaders) {
  EXPECT_EQ(Run(Get("/ok", server_.port())),
            (HandlerOutcome{.result = ProbeResult::kSuccess, .message = "fine"}));
  ASSERT_EQ(server_.requests().size(), 1u);
  const std::string head = server_.requests()[0];
  EXPECT_THAT(head, StartsWith("GET /ok HTTP/1.1\r\n"));
  EXPECT_THAT(head, HasSubstr(absl::StrCat("Host: 127.0.0.1:", server_.port(), "\r\n")));
  EXPECT_THAT(head, HasSubstr("User-Agent: kube-probe/1.36\r\n"));
  EXPECT_THAT(head, HasSubstr("Accept: */*\r\n"));
  EXPECT_THAT(head, HasSubstr("Connection: close\r\n"));
}

TEST_F(HttpProbeTest, GivenHeadersReplaceTheDefaultsAndHostSetsTheHost) {
  Handler h = Get("echo", server_.port());  // no leading '/': added
  h.headers = {{"X-Probe", "yes"}, {"User-Agent", "custom/1"}, {"Host", "example.test"}};
  HandlerOutcome out = Run(h);
  EXPECT_EQ(out.result, ProbeResult::kSuccess);
  EXPECT_THAT(out.message, StartsWith("GET /echo HTTP/1.1\r\n"));
  EXPECT_THAT(out.message, HasSubstr("X-Probe: yes\r\n"));
  EXPECT_THAT(out.message, HasSubstr("User-Agent: custom/1\r\n"));
  EXPECT_THAT(out.message, Not(HasSubstr("kube-probe")));
  EXPECT_THAT(out.message, HasSubstr("Host: example.test\r\n"));
  EXPECT_THAT(out.message, HasSubstr("Accept: */*\r\n"));
}

TEST_F(HttpProbeTest, ErrorStatusFailsAndRedirectSucceeds) {
  EXPECT_EQ(Run(Get("/fail", server_.port())),
            (HandlerOutcome{.result = ProbeResult::kFailure,
                            .message = "HTTP probe failed with statuscode: 503"}));
  EXPECT_EQ(Run(Get("/missing", server_.port())).message, "HTTP probe failed with statuscode: 404");
  EXPECT_EQ(Run(Get("/redirect", server_.port())),
            (HandlerOutcome{.result = ProbeResult::kSuccess,
                            .message = "Probe terminated redirects, Response body: moved"}));
}

TEST_F(HttpProbeTest, SlowAnswerFailsAtTheTimeout) {
  const Clock::time_point start = Clock::now();
  HandlerOutcome out = Run(Get("/slow", server_.port()), milliseconds(300));
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(2));
  EXPECT_EQ(out.result, ProbeResult::kFailure);
  EXPECT_EQ(out.message, absl::StrCat("Get \"http://127.0.0.1:", server_.port(),
                                      "/slow\": context deadline exceeded (Client.Timeout "
                                      "exceeded while awaiting headers)"));
}

TEST_F(HttpProbeTest, BigBodyIsCutTo10KiB) {
  HandlerOutcome out = Run(Get("/big", server_.port()));
  EXPECT_EQ(out.result, ProbeResult::kSuccess);
  EXPECT_EQ(out.message, std::string(kMaxProbeOutput, 'b'));
}

TEST_F(HttpProbeTest, HandlerHostOverridesThePodIpAndNamesAreResolved) {
  Handler h = Get("/ok", server_.port());
  h.host = "127.0.0.1";
  EXPECT_EQ(Run(h, ProbeTarget{.pod_ip = "192.0.2.1"}).result, ProbeResult::kSuccess);
  h.host = "localhost";  // ::1 first on some hosts: the next address is tried
  EXPECT_EQ(Run(h, ProbeTarget{.pod_ip = "192.0.2.1"}).result, ProbeResult::kSuccess);
}

TEST_F(HttpProbeTest, ClosedPortFailsWithGosWords) {
  const int port = ClosedPort();
  EXPECT_EQ(Run(Get("/ok", port)),
            (HandlerOutcome{.result = ProbeResult::kFailure,
                            .message = absl::StrCat("Get \"http://127.0.0.1:", port,
                                                    "/ok\": dial tcp 127.0.0.1:", port,
                                                    ": connect: connection refused")}));
}

TEST_F(ProberTest, HttpsDoesNotVerifyTheCertificate) {
  const std::string dir = ::testing::TempDir() + "prober-tls-" + std::to_string(::getpid());
  std::filesystem::create_directories(dir);
  absl::StatusOr<std::string> made =
      RunChecked({"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
                  "/CN=probe-test", "-keyout", dir + "/key.pem", "-out", dir + "/cert.pem"});
  ASSERT_TRUE(made.ok()) << made.status();
  asio::ssl::context tls(asio::ssl::context::tls_server);
  tls.use_certificate_chain_file(dir + "/cert.pem");
  tls.use_private_key_file(dir + "/key.pem", asio::ssl::context::pem);
  TestHttpServer https(&tls);
  Handler h{
      .kind = Handler::Kind::kHttpGet, .scheme = "HTTPS", .path = "/ok", .port = https.port()};
  EXPECT_EQ(Run(h), (HandlerOutcome{.result = ProbeResult::kSuccess, .message = "fine"}));
  h.path = "/fail";
  EXPECT_EQ(Run(h).message, "HTTP probe failed with statuscode: 503");
  // TLS to a plain HTTP server fails in the handshake.
  TestHttpServer plain;
  h.port = plain.port();
  HandlerOutcome out = Run(h);
  EXPECT_EQ(out.result, ProbeResult::kFailure);
  EXPECT_THAT(out.message, StartsWith(absl::StrCat("Get \"https://127.0.0.1:", plain.port())));
  std::filesystem::remove_all(dir);
}

// ---------------------------------------------------------------------------------------------
// TCP

TEST_F(ProberTest, TcpSucceedsOnAListeningPortAndFailsOnAClosedOne) {
  tcp::acceptor acceptor(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  const int open_port = acceptor.local_endpoint().port();
  EXPECT_EQ(Run({.kind = Handler::Kind::kTcpSocket, .port = open_port}).result,
            ProbeResult::kSuccess);
  const int closed = ClosedPort();
  EXPECT_EQ(Run({.kind = Handler::Kind::kTcpSocket, .port = closed}),
            (HandlerOutcome{.result = ProbeResult::kFailure,
                            .message = absl::StrCat("dial tcp 127.0.0.1:", closed,
                                                    ": connect: connection refused")}));
}

// ---------------------------------------------------------------------------------------------
// gRPC

// Two servers: one with the default health service (grpc::EnableDefaultHealthCheckService, in
// Debian's grpc++ 1.51) and one without. Each registers the callback generic service, which
// answers UNIMPLEMENTED to every method nobody registered (a server needs some service).
class GrpcProbeTest : public ProberTest {
 protected:
  static void SetUpTestSuite() {
    generic_ = new grpc::CallbackGenericService();
    bare_generic_ = new grpc::CallbackGenericService();
    grpc::EnableDefaultHealthCheckService(false);
    grpc::ServerBuilder bare;
    bare.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &bare_port_);
    bare.RegisterCallbackGenericService(bare_generic_);
    bare_ = bare.BuildAndStart().release();
    grpc::EnableDefaultHealthCheckService(true);
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    builder.RegisterCallbackGenericService(generic_);
    server_ = builder.BuildAndStart().release();
    if (server_ != nullptr && server_->GetHealthCheckService() != nullptr) {
      server_->GetHealthCheckService()->SetServingStatus("rmq.Serving", true);
      server_->GetHealthCheckService()->SetServingStatus("rmq.NotServing", false);
    }
  }
  static void TearDownTestSuite() {
    for (grpc::Server* s : {server_, bare_}) {
      if (s != nullptr) s->Shutdown(std::chrono::system_clock::now());
      delete s;
    }
    server_ = nullptr;
    bare_ = nullptr;
    delete generic_;
    delete bare_generic_;
    generic_ = nullptr;
    bare_generic_ = nullptr;
  }
  void SetUp() override {
    ASSERT_NE(server_, nullptr);
    ASSERT_NE(server_->GetHealthCheckService(), nullptr) << "no default health service";
    ASSERT_NE(bare_, nullptr);
  }
  Handler Check(std::string service, int port) {
    return {.kind = Handler::Kind::kGrpc, .port = port, .grpc_service = std::move(service)};
  }

  static inline grpc::CallbackGenericService* generic_ = nullptr;  // one per server
  static inline grpc::CallbackGenericService* bare_generic_ = nullptr;
  static inline grpc::Server* server_ = nullptr;
  static inline grpc::Server* bare_ = nullptr;
  static inline int port_ = 0;
  static inline int bare_port_ = 0;
};

TEST_F(GrpcProbeTest, ServingSucceeds) {
  EXPECT_EQ(Run(Check("", port_)),
            (HandlerOutcome{.result = ProbeResult::kSuccess, .message = "service healthy"}));
  EXPECT_EQ(Run(Check("rmq.Serving", port_)).result, ProbeResult::kSuccess);
}

TEST_F(GrpcProbeTest, NotServingFails) {
  EXPECT_EQ(Run(Check("rmq.NotServing", port_)),
            (HandlerOutcome{.result = ProbeResult::kFailure,
                            .message = "service unhealthy (responded with \"NOT_SERVING\")"}));
}

TEST_F(GrpcProbeTest, UnknownServiceIsAnRpcError) {
  HandlerOutcome out = Run(Check("rmq.Unknown", port_));
  EXPECT_EQ(out.result, ProbeResult::kFailure);
  EXPECT_THAT(out.message,
              StartsWith("error: health rpc probe failed: rpc error: code = NotFound"));
}

TEST_F(GrpcProbeTest, ServerWithoutHealthServiceIsUnimplemented) {
  HandlerOutcome out = Run(Check("", bare_port_));
  EXPECT_EQ(out.result, ProbeResult::kFailure);
  EXPECT_THAT(out.message, StartsWith("error: this server does not implement the grpc health "
                                      "protocol (grpc.health.v1.Health)"));
}

TEST_F(GrpcProbeTest, ClosedPortAndSilentPeerFail) {
  HandlerOutcome closed = Run(Check("", ClosedPort()));
  EXPECT_EQ(closed.result, ProbeResult::kFailure);
  EXPECT_THAT(closed.message, HasSubstr("code = Unavailable"));
  // Accepted by the kernel, never answered: the deadline ends the call.
  tcp::acceptor silent(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  const Clock::time_point start = Clock::now();
  HandlerOutcome out = Run(Check("", silent.local_endpoint().port()), milliseconds(300));
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(3));
  EXPECT_EQ(out, (HandlerOutcome{.result = ProbeResult::kFailure,
                                 .message = "timeout: health rpc did not complete within 300ms"}));
}

// ---------------------------------------------------------------------------------------------
// exec

// A "container": `sleep` in its own UTS namespace (hostname probe-pod) and mount namespace, with
// a host directory bind-mounted at a path where the host has nothing.
class ExecProbeTest : public ProberTest {
 protected:
  static void SetUpTestSuite() {
    if (::geteuid() != 0) return;  // SetUp fails each test
    const std::string tag = std::to_string(::getpid());
    source_ = ::testing::TempDir() + "prober-exec-" + tag;
    mount_point_ = "/run/rmq-prober-test-" + tag;
    std::filesystem::create_directories(source_);
    std::ofstream(source_ + "/secret.txt") << "only in the pod";
    absl::StatusOr<pid_t> pid =
        SpawnInPod({.argv = {"sleep", "600"},
                    .env = kEnv,
                    .hostname = "probe-pod",
                    .mounts = {{.host_path = source_, .container_path = mount_point_}}});
    spawn_status_ = pid.status();
    if (pid.ok()) pid_ = *pid;
  }
  static void TearDownTestSuite() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    std::error_code ignored;
    std::filesystem::remove_all(source_, ignored);
    std::filesystem::remove(mount_point_, ignored);  // the empty mount point on the host
  }
  void SetUp() override {
    ASSERT_EQ(::geteuid(), 0u) << "the exec probe test needs root (setns, bind mounts)";
    ASSERT_TRUE(spawn_status_.ok()) << spawn_status_;
  }

  HandlerOutcome Exec(std::vector<std::string> command, milliseconds timeout = milliseconds(5000),
                      std::string working_dir = "", std::vector<std::string> env = kEnv) {
    Handler h{.kind = Handler::Kind::kExec, .command = std::move(command)};
    ProbeTarget target{.pid = pid_, .env = std::move(env), .working_dir = std::move(working_dir)};
    return Run(h, target, timeout);
  }

  static inline std::string source_;
  static inline std::string mount_point_;
  static inline pid_t pid_ = 0;
  static inline absl::Status spawn_status_;
};

TEST_F(ExecProbeTest, SeesTheContainersHostnameAndMounts) {
  EXPECT_EQ(Exec({"cat", mount_point_ + "/secret.txt"}),
            (HandlerOutcome{.result = ProbeResult::kSuccess, .message = "only in the pod"}));
  EXPECT_FALSE(std::filesystem::exists(mount_point_ + "/secret.txt"));  // not on the host
  EXPECT_EQ(Exec({"cat", "/proc/sys/kernel/hostname"}).message, "probe-pod\n");
  // The very namespaces of the target process.
  const std::string want = absl::StrCat(
      std::filesystem::read_symlink(absl::StrCat("/proc/", pid_, "/ns/mnt")).string(), "\n",
      std::filesystem::read_symlink(absl::StrCat("/proc/", pid_, "/ns/uts")).string(), "\n");
  EXPECT_EQ(Exec({"readlink", "/proc/self/ns/mnt", "/proc/self/ns/uts"}).message, want);
}

TEST_F(ExecProbeTest, RunsWithExactlyTheEnvAndInTheWorkingDirectory) {
  EXPECT_EQ(Exec({"env"}).message, absl::StrCat(kEnv[0], "\n", kEnv[1], "\n"));
  EXPECT_EQ(Exec({"pwd"}, milliseconds(5000), mount_point_).message, mount_point_ + "\n");
  EXPECT_EQ(Exec({"pwd"}).message, "/\n");
  HandlerOutcome bad_dir = Exec({"pwd"}, milliseconds(5000), "/no/such/dir");
  EXPECT_EQ(bad_dir.result, ProbeResult::kFailure);
  EXPECT_EQ(bad_dir.message, "exec probe: chdir /no/such/dir: No such file or directory");
}

TEST_F(ExecProbeTest, NonZeroExitFailsWithTheOutput) {
  EXPECT_EQ(Exec({"sh", "-c", "echo bad; echo worse >&2; exit 3"}),
            (HandlerOutcome{.result = ProbeResult::kFailure, .message = "bad\nworse\n"}));
  EXPECT_EQ(Exec({"sh", "-c", "kill -9 $$"}).result, ProbeResult::kFailure);
  EXPECT_EQ(Exec({"true"}), (HandlerOutcome{.result = ProbeResult::kSuccess, .message = ""}));
}

TEST_F(ExecProbeTest, CommandsAreLookedUpInTheContainersPath) {
  HandlerOutcome missing = Exec({"no-such-probe-command"});
  EXPECT_EQ(missing.result, ProbeResult::kFailure);
  EXPECT_THAT(missing.message, AllOf(StartsWith("exec probe: execve "),
                                     HasSubstr("(no-such-probe-command not found in PATH)"),
                                     HasSubstr("No such file or directory")));
  // A PATH without /bin: `sh` is not found even though the host has it.
  HandlerOutcome no_path = Exec({"sh", "-c", "true"}, milliseconds(5000), "", {"PATH=/nowhere"});
  EXPECT_EQ(no_path, (HandlerOutcome{.result = ProbeResult::kFailure,
                                     .message = "exec probe: execve /nowhere/sh: No such file or "
                                                "directory"}));
}

TEST_F(ExecProbeTest, OutputIsCutTo10KiB) {
  HandlerOutcome out = Exec({"sh", "-c", "head -c 50000 /dev/zero | tr '\\0' a"});
  EXPECT_EQ(out.result, ProbeResult::kSuccess);
  EXPECT_EQ(out.message, std::string(kMaxProbeOutput, 'a'));
}

TEST_F(ExecProbeTest, TimeoutKillsTheProcessGroup) {
  const std::string command = absl::StrCat("sleep 30 & echo $! > ", mount_point_, "/bg.pid; wait");
  const Clock::time_point start = Clock::now();
  HandlerOutcome out = Exec({"sh", "-c", command}, milliseconds(500));
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(4));
  EXPECT_EQ(out,
            (HandlerOutcome{.result = ProbeResult::kFailure,
                            .message = absl::StrCat("command \"sh -c ", command, "\" timed out")}));
  // The background `sleep` (a grandchild) died with the group.
  pid_t background = 0;
  ASSERT_TRUE(
      absl::SimpleAtoi(absl::StripAsciiWhitespace(ReadFile(source_ + "/bg.pid")), &background));
  const Clock::time_point until = Clock::now() + std::chrono::seconds(3);
  while (Alive(background) && Clock::now() < until) {
    std::this_thread::sleep_for(milliseconds(20));
  }
  EXPECT_FALSE(Alive(background)) << "pid " << background;
}

TEST_F(ExecProbeTest, ChildrenLeftRunningDoNotHoldTheProbe) {
  const Clock::time_point start = Clock::now();
  HandlerOutcome out = Exec({"sh", "-c", "sleep 5 & echo $!"}, milliseconds(4000));
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(2));
  EXPECT_EQ(out.result, ProbeResult::kSuccess);
  pid_t background = 0;
  ASSERT_TRUE(absl::SimpleAtoi(absl::StripAsciiWhitespace(out.message), &background));
  ::kill(background, SIGKILL);
}

TEST_F(ExecProbeTest, GoneTargetFails) {
  const pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  ASSERT_GT(child, 0);
  ASSERT_EQ(::waitpid(child, nullptr, 0), child);
  Handler h{.kind = Handler::Kind::kExec, .command = {"true"}};
  HandlerOutcome out = Run(h, ProbeTarget{.pid = child, .env = kEnv});
  EXPECT_EQ(out.result, ProbeResult::kFailure);
  EXPECT_THAT(out.message, StartsWith(absl::StrCat("exec probe: open /proc/", child, "/ns/ipc: ")));
}

TEST_F(ExecProbeTest, CallersExecutorStaysFreeWhileExecRuns) {
  // A timer on the caller's io_context fires while `sleep 1` runs on the blocking pool.
  Clock::time_point fired{};
  asio::steady_timer timer(io_, milliseconds(100));
  timer.async_wait([&fired](const error_code&) { fired = Clock::now(); });
  const Clock::time_point start = Clock::now();
  HandlerOutcome out = Exec({"sleep", "1"});
  const Clock::time_point done = Clock::now();
  EXPECT_EQ(out.result, ProbeResult::kSuccess);
  ASSERT_NE(fired, Clock::time_point{});
  EXPECT_LT(fired - start, milliseconds(600));
  EXPECT_GE(done - start, milliseconds(900));
}

TEST_F(ExecProbeTest, ManyExecsAtOnce) {
  std::vector<std::future<HandlerOutcome>> results;
  results.reserve(6);
  const Handler h{.kind = Handler::Kind::kExec, .command = {"cat", "/proc/sys/kernel/hostname"}};
  const ProbeTarget target{.pid = pid_, .env = kEnv};
  for (int i = 0; i < 6; ++i) {
    results.push_back(
        asio::co_spawn(io_, RunHandler(h, target, milliseconds(5000), pool_), asio::use_future));
  }
  io_.restart();
  io_.run();
  for (auto& r : results) {
    EXPECT_EQ(r.get(), (HandlerOutcome{.result = ProbeResult::kSuccess, .message = "probe-pod\n"}));
  }
}

}  // namespace
}  // namespace rmq::nodeagent
