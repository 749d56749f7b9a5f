// The HTTP server on loopback: routes, 404/405, keep-alive, limits, timeouts, concurrency, stop.
#include "common/http/server.h"

#include <gtest/gtest.h>

#include <future>
#include <thread>

#include "absl/strings/str_cat.h"
#include "tests/support/http_client.h"

namespace rmq::http {
namespace {

namespace asio = boost::asio;
using testing::HttpConnection;
using testing::HttpGet;
using testing::HttpResult;

// A server on its own io thread; the test thread is the client.
class ServerFixture {
 public:
  explicit ServerFixture(ServerOptions options = {}) : guard_(asio::make_work_guard(io_)) {
    auto server = Server::Create(io_.get_executor(), std::move(options));
    EXPECT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    server_->Route("/hello", [](const Request& r) -> asio::awaitable<Response> {
      Response out;
      out.body = absl::StrCat("hello path=", r.path, " query=", r.query);
      co_return out;
    });
    server_->Route("/slow", [this](const Request&) -> asio::awaitable<Response> {
      asio::steady_timer timer(io_, std::chrono::milliseconds(300));
      co_await timer.async_wait(asio::use_awaitable);
      Response out;
      out.body = "slow";
      co_return out;
    });
    server_->Route("/status", [](const Request&) -> asio::awaitable<Response> {
      Response out;
      out.status = 503;
      out.content_type = "text/x-test";
      out.body = "down\n";
      co_return out;
    });
    server_->Start();
    thread_ = std::thread([this] { io_.run(); });
  }

  ~ServerFixture() {
    OnIo([this] { server_->Stop(); });
    guard_.reset();
    thread_.join();
    server_.reset();
  }

  template <typename F>
  decltype(std::declval<F>()()) OnIo(F f) {
    std::packaged_task<decltype(f())()> task(std::move(f));
    auto result = task.get_future();
    asio::post(io_, [&task] { task(); });
    return result.get();
  }

  int port() const { return server_->port(); }
  Server& server() { return *server_; }

 private:
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> guard_;
  std::unique_ptr<Server> server_;
  std::thread thread_;
};

TEST(HttpServerTest, RoutesGetRequestsAndAnswers404And405) {
  ServerFixture f;
  absl::StatusOr<HttpResult> r = HttpGet("127.0.0.1", f.port(), "/hello?x=1&y=2");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "hello path=/hello query=x=1&y=2");
  EXPECT_EQ(r->headers["content-type"], "text/plain; charset=utf-8");
  EXPECT_EQ(r->headers["content-length"], absl::StrCat(r->body.size()));

  r = HttpGet("127.0.0.1", f.port(), "/status");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 503);
  EXPECT_EQ(r->body, "down\n");
  EXPECT_EQ(r->headers["content-type"], "text/x-test");

  r = HttpGet("127.0.0.1", f.port(), "/nope");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 404);

  auto c = HttpConnection::Connect("127.0.0.1", f.port());
  ASSERT_TRUE(c.ok()) << c.status();
  for (const char* method : {"POST", "PUT", "DELETE"}) {
    r = (*c)->Request(method, "/hello");
    ASSERT_TRUE(r.ok()) << method << " " << r.status();
    EXPECT_EQ(r->status, 405) << method;
    EXPECT_EQ(r->headers["allow"], "GET") << method;
  }
}

TEST(HttpServerTest, KeepAliveServesManyRequestsOnOneConnectionUntilClose) {
  ServerFixture f;
  auto c = HttpConnection::Connect("127.0.0.1", f.port());
  ASSERT_TRUE(c.ok()) << c.status();
  for (int i = 0; i < 5; ++i) {
    absl::StatusOr<HttpResult> r = (*c)->Request("GET", absl::StrCat("/hello?i=", i));
    ASSERT_TRUE(r.ok()) << i << " " << r.status();
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, absl::StrCat("hello path=/hello query=i=", i));
    EXPECT_TRUE(r->keep_alive);
  }
  EXPECT_EQ(f.OnIo([&f] { return f.server().ConnectionCount(); }), 1u);
  // Two requests in one write (pipelined) get two responses in order.
  ASSERT_TRUE((*c)->SendRaw("GET /hello?a HTTP/1.1\r\nHost: x\r\n\r\n"
                            "GET /hello?b HTTP/1.1\r\nHost: x\r\n\r\n")
                  .ok());
  absl::StatusOr<HttpResult> a = (*c)->ReadResponse();
  absl::StatusOr<HttpResult> b = (*c)->ReadResponse();
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->body, "hello path=/hello query=a");
  EXPECT_EQ(b->body, "hello path=/hello query=b");
  // "Connection: close" is honoured: the answer says so and the server closes.
  absl::StatusOr<HttpResult> last = (*c)->Request("GET", "/hello", /*close=*/true);
  ASSERT_TRUE(last.ok()) << last.status();
  EXPECT_FALSE(last->keep_alive);
  EXPECT_TRUE((*c)->ClosedByPeer());
}

TEST(HttpServerTest, Http10WithoutKeepAliveIsClosedAfterTheResponse) {
  ServerFixture f;
  auto c = HttpConnection::Connect("127.0.0.1", f.port());
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_TRUE((*c)->SendRaw("GET /hello HTTP/1.0\r\n\r\n").ok());
  absl::StatusOr<HttpResult> r = (*c)->ReadResponse();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 200);
  EXPECT_TRUE((*c)->ClosedByPeer());
}

TEST(HttpServerTest, OversizedHeadersGet431AndTheConnectionIsClosed) {
  ServerOptions options;
  options.max_header_bytes = 1024;
  ServerFixture f(options);
  auto c = HttpConnection::Connect("127.0.0.1", f.port());
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_TRUE((*c)->SendRaw(absl::StrCat("GET /hello HTTP/1.1\r\nHost: x\r\nX-Big: ",
                                         std::string(4000, 'a'), "\r\n\r\n"))
                  .ok());
  absl::StatusOr<HttpResult> r = (*c)->ReadResponse();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 431);
  EXPECT_FALSE(r->keep_alive);
  EXPECT_TRUE((*c)->ClosedByPeer());
  // The server still serves others.
  absl::StatusOr<HttpResult> ok = HttpGet("127.0.0.1", f.port(), "/hello");
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(ok->status, 200);
}

TEST(HttpServerTest, OversizedBodiesGet413) {
  ServerOptions options;
  options.max_body_bytes = 16;
  ServerFixture f(options);
  auto c = HttpConnection::Connect("127.0.0.1", f.port());
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_TRUE((*c)->SendRaw(absl::StrCat("GET /hello HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n"
                                         "\r\n",
                                         std::string(100, 'b')))
                  .ok());
  absl::StatusOr<HttpResult> r = (*c)->ReadResponse();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 413);
  EXPECT_TRUE((*c)->ClosedByPeer());
}

TEST(HttpServerTest, MalformedRequestsGet400) {
  ServerFixture f;
  auto c = HttpConnection::Connect("127.0.0.1", f.port());
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_TRUE((*c)->SendRaw("GET /hello HTTP/9\r\n\r\n").ok());
  absl::StatusOr<HttpResult> r = (*c)->ReadResponse();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 400);
  EXPECT_TRUE((*c)->ClosedByPeer());
}

TEST(HttpServerTest, SlowRequestsAndIdleConnectionsAreClosed) {
  ServerOptions options;
  options.read_timeout = std::chrono::milliseconds(200);
  options.idle_timeout = std::chrono::milliseconds(300);
  ServerFixture f(options);

  // A request that never completes: closed after the read timeout, without an answer.
  auto slow = HttpConnection::Connect("127.0.0.1", f.port());
  ASSERT_TRUE(slow.ok()) << slow.status();
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE((*slow)->SendRaw("GET /hello HTTP/1.1\r\nHost: x\r\n").ok());
  EXPECT_TRUE((*slow)->ClosedByPeer());
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));

  // An idle keep-alive connection: closed after the idle timeout.
  auto idle = HttpConnection::Connect("127.0.0.1", f.port());
  ASSERT_TRUE(idle.ok()) << idle.status();
  ASSERT_TRUE((*idle)->Request("GET", "/hello").ok());
  EXPECT_TRUE((*idle)->ClosedByPeer());
  EXPECT_EQ(f.OnIo([&f] { return f.server().ConnectionCount(); }), 0u);
}

TEST(HttpServerTest, AHandlerThatWaitsDoesNotBlockOtherConnections) {
  ServerFixture f;
  std::future<absl::StatusOr<HttpResult>> slow =
      std::async(std::launch::async, [&f] { return HttpGet("127.0.0.1", f.port(), "/slow"); });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // let /slow start waiting
  const auto start = std::chrono::steady_clock::now();
  absl::StatusOr<HttpResult> fast = HttpGet("127.0.0.1", f.port(), "/hello");
  const auto fast_took = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(fast.ok()) << fast.status();
  EXPECT_EQ(fast->status, 200);
  EXPECT_LT(fast_took, std::chrono::milliseconds(200));  // /slow takes 300 ms
  absl::StatusOr<HttpResult> s = slow.get();
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->body, "slow");
}

TEST(HttpServerTest, ConnectionsBeyondTheLimitAreClosed) {
  ServerOptions options;
  options.max_connections = 1;
  ServerFixture f(options);
  auto first = HttpConnection::Connect("127.0.0.1", f.port());
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE((*first)->Request("GET", "/hello").ok());
  auto second = HttpConnection::Connect("127.0.0.1", f.port());
  ASSERT_TRUE(second.ok());
  EXPECT_TRUE((*second)->ClosedByPeer());
  absl::StatusOr<HttpResult> again = (*first)->Request("GET", "/hello");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->status, 200);
}

TEST(HttpServerTest, StopClosesTheListenerAndOpenConnections) {
  ServerFixture f;
  auto c = HttpConnection::Connect("127.0.0.1", f.port());
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE((*c)->Request("GET", "/hello").ok());
  f.OnIo([&f] { f.server().Stop(); });
  EXPECT_TRUE((*c)->ClosedByPeer());
  EXPECT_FALSE(HttpConnection::Connect("127.0.0.1", f.port()).ok());
}

TEST(HttpServerTest, CreateReportsBindErrorsAndBadAddresses) {
  asio::io_context io;
  auto first = Server::Create(io.get_executor(), {});
  ASSERT_TRUE(first.ok()) << first.status();
  ServerOptions taken;
  taken.listen = absl::StrCat("127.0.0.1:", (*first)->port());
  auto second = Server::Create(io.get_executor(), taken);
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable) << second.status();

  EXPECT_TRUE(ParseListenAddress("[::1]:80", "x").ok());
  EXPECT_EQ(ParseListenAddress("0.0.0.0:9096", "x")->port(), 9096);
  for (const char* bad : {"localhost:80", "127.0.0.1", ":80", "127.0.0.1:70000", "1.2.3.4:x"}) {
    absl::StatusOr<asio::ip::tcp::endpoint> e = ParseListenAddress(bad, "--http-listen");
    EXPECT_EQ(e.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(e.status().message().find("--http-listen"), std::string::npos) << bad;
  }
}

}  // namespace
}  // namespace rmq::http
