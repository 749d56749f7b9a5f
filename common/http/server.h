// server.h: a small HTTP/1.1 server on Boost.Beast for probes and metrics (GET-only routes).
//
// Each route maps an exact path to a coroutine handler. Requests for an unknown path get 404,
// other methods than GET on a known path 405 (with `Allow: GET`). Connections are kept alive
// as the client asks (HTTP/1.1 default). Limits protect the process from slow or hostile
// clients: a connection waiting for its next request is closed after `idle_timeout`; a request
// must be complete within `read_timeout` of its first byte; headers over `max_header_bytes` get
// 431 and bodies over `max_body_bytes` 413, both followed by a close; connections beyond
// `max_connections` are closed right after accept.
//
// Threading: the server and its handlers run on the executor given to Create() (one thread, or
// a strand). Handlers may co_await; other connections proceed meanwhile. Call Start() and
// Stop() from that executor. Lifecycle: Create() binds and listens (bind errors surface there),
// Start() accepts, Stop() closes the listener and every open connection; the coroutines then
// finish on their own. Destroy the server after Stop() once the executor has drained (e.g.
// after io_context::run() returned); connection coroutines share the route table with the
// server, so a late one never touches a destroyed server.
//
// Example:
//   http::ServerOptions options{.listen = "0.0.0.0:9096"};
//   auto server = http::Server::Create(io.get_executor(), options);
//   (*server)->Route("/healthz", [](const http::Request&) -> asio::awaitable<http::Response> {
//     co_return http::Response{.status = 200, .body = "ok\n"};
//   });
//   (*server)->Start();
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "common/net/asio.h"

namespace rmq::http {

struct Request {
  std::string method;  // "GET"
  std::string target;  // as sent: "/metrics?x=1"
  std::string path;    // "/metrics"
  std::string query;   // "x=1" (without '?'), may be empty
};

struct Response {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers{};  // extra headers (name, value)
};

using Handler = std::function<boost::asio::awaitable<Response>(const Request&)>;

struct ServerOptions {
  // "ip:port" (IPv4 or bracketed IPv6 literal); port 0 picks a free port (see port()).
  std::string listen = "127.0.0.1:0";
  size_t max_header_bytes = size_t{8} * 1024;
  size_t max_body_bytes = 1024;
  std::chrono::milliseconds read_timeout{10'000};
  std::chrono::milliseconds idle_timeout{120'000};
  std::chrono::milliseconds write_timeout{10'000};
  size_t max_connections = 128;
};

// Splits "ip:port" / "[v6]:port" into an endpoint; InvalidArgument naming `what` on error.
absl::StatusOr<boost::asio::ip::tcp::endpoint> ParseListenAddress(const std::string& address,
                                                                  const std::string& what);

class Server {
 public:
  static absl::StatusOr<std::unique_ptr<Server>> Create(boost::asio::any_io_executor executor,
                                                        ServerOptions options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Registers a GET route for an exact path. Call before Start().
  void Route(const std::string& path, Handler handler);
  void Start();
  // Closes the listener and all connections. Idempotent.
  void Stop();

  // The bound port (useful with port 0).
  uint16_t port() const { return port_; }
  // Connections currently open; for tests and metrics.
  size_t ConnectionCount() const;

  struct Shared;  // Implementation detail (server.cc): state shared with connection coroutines.

 private:
  Server(boost::asio::any_io_executor executor, std::shared_ptr<Shared> shared, uint16_t port);

  boost::asio::any_io_executor executor_;
  std::shared_ptr<Shared> shared_;
  uint16_t port_ = 0;
};

}  // namespace rmq::http
