// The transport against a local plain-HTTP server (the project's Beast server): connection
// reuse, a connection the server closed while idle, Retry-After on 429, timeouts, errors as
// statuses, streamed bodies. TLS and the real API server are covered by the integration test.
#include "common/k8s/transport.h"

#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "common/http/server.h"
#include "common/k8s/api.h"
#include "common/net/blocking.h"

namespace rmq::k8s {
namespace {

namespace asio = boost::asio;
using std::chrono::milliseconds;

class TransportTest : public ::testing::Test {
 protected:
  void StartServer(http::ServerOptions options = {}) {
    auto server = http::Server::Create(io_.get_executor(), std::move(options));
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    server_->Route("/ok", [this](const http::Request&) -> asio::awaitable<http::Response> {
      ++hits_;
      http::Response r;
      r.content_type = "application/json";
      r.body = R"({"ok":true})";
      co_return r;
    });
    server_->Route("/busy", [this](const http::Request&) -> asio::awaitable<http::Response> {
      http::Response r;
      r.content_type = "application/json";
      if (++hits_ <= busy_answers_) {
        r.status = 429;
        r.headers.emplace_back("Retry-After", "1");
        r.body = R"({"kind":"Status","reason":"TooManyRequests","code":429,"message":"slow down"})";
      } else {
        r.body = R"({"ok":true})";
      }
      co_return r;
    });
    server_->Route("/missing", [](const http::Request&) -> asio::awaitable<http::Response> {
      http::Response r;
      r.status = 404;
      r.content_type = "application/json";
      r.body =
          R"({"kind":"Status","apiVersion":"v1","status":"Failure","message":"configmaps \"x\" not found","reason":"NotFound","code":404})";
      co_return r;
    });
    server_->Route("/slow", [this](const http::Request&) -> asio::awaitable<http::Response> {
      asio::steady_timer timer(io_, milliseconds(1500));
      co_await timer.async_wait(asio::use_awaitable);
      co_return http::Response{};
    });
    server_->Route("/big", [](const http::Request&) -> asio::awaitable<http::Response> {
      http::Response r;
      r.body = std::string(200'000, 'x');
      co_return r;
    });
    server_->Start();
    RestConfig config;
    config.server = absl::StrCat("http://127.0.0.1:", server_->port());
    config.source = "test";
    TransportOptions transport_options;
    transport_options.request_timeout = milliseconds(500);
    auto transport = Transport::Create(io_.get_executor(), config, transport_options);
    ASSERT_TRUE(transport.ok()) << transport.status();
    transport_ = *std::move(transport);
  }
  void TearDown() override {
    if (transport_) transport_->Shutdown();
    if (server_) server_->Stop();
    io_.run_for(milliseconds(100));
  }

  absl::StatusOr<HttpResponse> Get(const std::string& target) {
    HttpRequest request;
    request.target = target;
    return net::BlockOn(io_, transport_->Send(request));
  }

  asio::io_context io_;
  std::unique_ptr<http::Server> server_;
  std::unique_ptr<Transport> transport_;
  int hits_ = 0;
  int busy_answers_ = 0;
};

TEST_F(TransportTest, ReusesOneConnectionForSequentialRequests) {
  StartServer();
  for (int i = 0; i < 5; ++i) {
    absl::StatusOr<HttpResponse> r = Get("/ok");
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, R"({"ok":true})");
    EXPECT_EQ(r->content_type, "application/json");
  }
  EXPECT_EQ(transport_->ConnectionsOpened(), 1u);
  EXPECT_EQ(transport_->IdleConnections(), 1u);
}

TEST_F(TransportTest, RetriesOnANewConnectionWhenTheServerClosedTheIdleOne) {
  http::ServerOptions options;
  options.idle_timeout = milliseconds(100);
  StartServer(options);
  ASSERT_TRUE(Get("/ok").ok());
  io_.run_for(milliseconds(400));  // the server closes the idle connection
  absl::StatusOr<HttpResponse> r = Get("/ok");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(hits_, 2);
  EXPECT_EQ(transport_->ConnectionsOpened(), 2u);
}

TEST_F(TransportTest, Honours429RetryAfter) {
  StartServer();
  busy_answers_ = 2;
  auto start = std::chrono::steady_clock::now();
  absl::StatusOr<HttpResponse> r = Get("/busy");
  auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(hits_, 3);
  EXPECT_GE(elapsed, milliseconds(2000));  // Retry-After: 1, twice
  EXPECT_LT(elapsed, milliseconds(4000));
}

TEST_F(TransportTest, GivesUpAfterMaxRetriesWithTheLastAnswer) {
  http::ServerOptions options;
  StartServer(options);
  RestConfig config;
  config.server = absl::StrCat("http://127.0.0.1:", server_->port());
  TransportOptions few;
  few.max_retries = 1;
  few.max_retry_after = std::chrono::seconds(0);
  auto transport = Transport::Create(io_.get_executor(), config, few);
  ASSERT_TRUE(transport.ok());
  busy_answers_ = 100;
  HttpRequest request;
  request.target = "/busy";
  absl::StatusOr<HttpResponse> r = net::BlockOn(io_, (*transport)->Send(request));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kResourceExhausted) << r.status();
  EXPECT_EQ(HttpCodeOf(r.status()), 429);
  EXPECT_EQ(hits_, 2);
}

TEST_F(TransportTest, ErrorAnswersBecomeStatuses) {
  StartServer();
  absl::StatusOr<HttpResponse> r = Get("/missing?x=1");
  EXPECT_TRUE(IsApiNotFound(r.status())) << r.status();
  EXPECT_EQ(r.status().message(), "GET /missing: HTTP 404 NotFound: configmaps \"x\" not found");
  // The connection stays usable after an error answer.
  EXPECT_TRUE(Get("/ok").ok());
  EXPECT_EQ(transport_->ConnectionsOpened(), 1u);
}

TEST_F(TransportTest, RequestTimeoutGivesDeadlineExceeded) {
  StartServer();
  absl::StatusOr<HttpResponse> r = Get("/slow");
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDeadlineExceeded) << r.status();
}

TEST_F(TransportTest, RefusedConnectionIsUnavailable) {
  StartServer();
  RestConfig config;
  config.server = "http://127.0.0.1:1";
  auto transport = Transport::Create(io_.get_executor(), config, {});
  ASSERT_TRUE(transport.ok());
  HttpRequest request;
  request.target = "/ok";
  absl::StatusOr<HttpResponse> r = net::BlockOn(io_, (*transport)->Send(request));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable) << r.status();
}

TEST_F(TransportTest, StreamsABodyPieceByPiece) {
  StartServer();
  HttpRequest request;
  request.target = "/big";
  absl::StatusOr<std::unique_ptr<HttpStream>> stream =
      net::BlockOn(io_, transport_->OpenStream(request));
  ASSERT_TRUE(stream.ok()) << stream.status();
  std::string body;
  int pieces = 0;
  while (true) {
    absl::StatusOr<std::string> piece = net::BlockOn(io_, (*stream)->ReadSome(milliseconds(1000)));
    ASSERT_TRUE(piece.ok()) << piece.status();
    if (piece->empty()) break;
    body += *piece;
    ++pieces;
  }
  EXPECT_EQ(body, std::string(200'000, 'x'));
  EXPECT_GE(pieces, 2);
  // A stream that does not start with 200 is an error, with the server's message.
  request.target = "/missing";
  stream = net::BlockOn(io_, transport_->OpenStream(request));
  EXPECT_TRUE(IsApiNotFound(stream.status())) << stream.status();
}

TEST(TransportCreateTest, BadConfigsAreRefusedNamingTheSource) {
  asio::io_context io;
  RestConfig config;
  config.source = "kubeconfig /x (context c)";
  config.server = "ftp://h";
  auto t = Transport::Create(io.get_executor(), config, {});
  EXPECT_EQ(t.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(t.status().message().find("kubeconfig /x"), std::string::npos) << t.status();
  config.server = "https://h";
  config.ca_pem = "not a certificate";
  t = Transport::Create(io.get_executor(), config, {});
  EXPECT_EQ(t.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(t.status().message().find("certificate authority"), std::string::npos) << t.status();
  config.ca_pem.clear();
  config.client_cert_pem = "x";
  t = Transport::Create(io.get_executor(), config, {});
  EXPECT_NE(t.status().message().find("both certificate and key"), std::string::npos) << t.status();
}

}  // namespace
}  // namespace rmq::k8s
