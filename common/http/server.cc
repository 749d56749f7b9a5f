#include "common/http/server.h"

#include <map>
#include <optional>
#include <utility>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/log/logger.h"
#include "common/net/asio.h"
#include "common/net/blocking.h"

// Beast after common/net/asio.h (the Boost.Asio fixes must come first).
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace rmq::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

struct Server::Shared {
  Shared(const asio::any_io_executor& executor, ServerOptions server_options)
      : acceptor(executor), options(std::move(server_options)) {}

  tcp::acceptor acceptor;
  ServerOptions options;
  std::map<std::string, Handler> routes;
  // Open connections by id, so Stop() can close them. Entries point at coroutine locals and are
  // removed by the coroutine before its frame goes away.
  std::map<uint64_t, beast::tcp_stream*> connections;
  uint64_t next_id = 0;
  bool stopped = false;
  std::shared_ptr<spdlog::logger> log = log::Get("http.server");
};

namespace {

using SharedPtr = std::shared_ptr<Server::Shared>;

Response Plain(int status, std::string body) {
  Response r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

// What to answer for a request that could not be read; nullopt: close silently.
std::optional<Response> ReadErrorResponse(const boost::system::error_code& ec) {
  if (ec == bhttp::error::header_limit) return Plain(431, "request header too large\n");
  if (ec == bhttp::error::body_limit) return Plain(413, "request body too large\n");
  if (ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message) {
    return std::nullopt;
  }
  if (ec.category() == bhttp::make_error_code(bhttp::error::bad_target).category()) {
    return Plain(400, "malformed request\n");
  }
  return std::nullopt;  // timeouts, resets: nobody to answer
}

Request ToRequest(const bhttp::request<bhttp::string_body>& in) {
  Request r;
  r.method = std::string(in.method_string());
  r.target = std::string(in.target());
  size_t q = r.target.find('?');
  r.path = r.target.substr(0, q);
  if (q != std::string::npos) r.query = r.target.substr(q + 1);
  return r;
}

asio::awaitable<Response> Dispatch(SharedPtr s, Request request) {
  auto it = s->routes.find(request.path);
  if (it == s->routes.end()) co_return Plain(404, "not found\n");
  if (request.method != "GET") co_return Plain(405, "only GET is allowed\n");
  Handler handler = it->second;  // a copy: the table may not change, but stay independent
  Response response = co_await handler(request);
  co_return response;
}

asio::awaitable<boost::system::error_code> Write(beast::tcp_stream& stream,
                                                 std::chrono::milliseconds timeout,
                                                 Response response, unsigned version,
                                                 bool keep_alive) {
  bhttp::response<bhttp::string_body> out(static_cast<bhttp::status>(response.status), version);
  out.set(bhttp::field::content_type, response.content_type);
  if (response.status == 405) out.set(bhttp::field::allow, "GET");
  for (const auto& [name, value] : response.headers) out.set(name, value);
  out.keep_alive(keep_alive);
  out.body() = std::move(response.body);
  out.prepare_payload();
  stream.expires_after(timeout);
  boost::system::error_code ec;
  co_await bhttp::async_write(stream, out, asio::redirect_error(asio::use_awaitable, ec));
  co_return ec;
}

asio::awaitable<void> Session(SharedPtr s, tcp::socket socket) {
  beast::tcp_stream stream(std::move(socket));
  const uint64_t id = s->next_id++;
  s->connections.emplace(id, &stream);
  absl::Cleanup unregister = [&s, id] { s->connections.erase(id); };
  const ServerOptions& o = s->options;
  beast::flat_buffer buffer(o.max_header_bytes + o.max_body_bytes + 4096);
  while (!s->stopped) {
    boost::system::error_code ec;
    if (buffer.size() == 0) {  // idle: wait for the first byte of the next request
      stream.expires_after(o.idle_timeout);
      size_t n = co_await stream.async_read_some(buffer.prepare(1024),
                                                 asio::redirect_error(asio::use_awaitable, ec));
      if (ec) break;
      buffer.commit(n);
    }
    bhttp::request_parser<bhttp::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(o.max_header_bytes));
    parser.body_limit(o.max_body_bytes);
    stream.expires_after(o.read_timeout);
    co_await bhttp::async_read(stream, buffer, parser,
                               asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      std::optional<Response> error = ReadErrorResponse(ec);
      s->log->debug("connection={} read failed: {}", id, ec.message());
      if (error.has_value()) {
        co_await Write(stream, o.write_timeout, *std::move(error), 11, false);
      }
      break;
    }
    const bool keep_alive = parser.get().keep_alive();
    const unsigned version = parser.get().version();
    Response response = co_await Dispatch(s, ToRequest(parser.get()));
    if (s->stopped) break;
    boost::system::error_code write_ec =
        co_await Write(stream, o.write_timeout, std::move(response), version, keep_alive);
    if (write_ec || !keep_alive) break;
  }
  boost::system::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  stream.close();
}

asio::awaitable<void> AcceptLoop(SharedPtr s) {
  while (!s->stopped) {
    boost::system::error_code ec;
    tcp::socket socket =
        co_await s->acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (s->stopped) break;
    if (ec) {
      // E.g. out of file descriptors: back off instead of spinning.
      s->log->warn("accept failed: {}", ec.message());
      asio::steady_timer pause(s->acceptor.get_executor(), std::chrono::milliseconds(100));
      co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      continue;
    }
    if (s->connections.size() >= s->options.max_connections) {
      s->log->warn("too many connections ({}), closing a new one", s->connections.size());
      socket.close(ec);
      continue;
    }
    asio::co_spawn(s->acceptor.get_executor(), Session(s, std::move(socket)), net::DieOnException);
  }
}

}  // namespace

absl::StatusOr<tcp::endpoint> ParseListenAddress(const std::string& address,
                                                 const std::string& what) {
  const size_t colon = address.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " must be ip:port (e.g. 0.0.0.0:9096), got '", address, "'"));
  }
  std::string host = address.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  uint32_t port = 0;
  if (!absl::SimpleAtoi(address.substr(colon + 1), &port) || port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " has an invalid port in '", address, "' (0-65535)"));
  }
  boost::system::error_code ec;
  asio::ip::address ip = asio::ip::make_address(host, ec);
  if (ec) {
    return absl::InvalidArgumentError(absl::StrCat(
        what, " needs an IP address to listen on (e.g. 0.0.0.0 or [::]), got '", host, "'"));
  }
  return tcp::endpoint(ip, static_cast<uint16_t>(port));
}

absl::StatusOr<std::unique_ptr<Server>> Server::Create(asio::any_io_executor executor,
                                                       ServerOptions options) {
  absl::StatusOr<tcp::endpoint> endpoint = ParseListenAddress(options.listen, "listen address");
  if (!endpoint.ok()) return endpoint.status();
  auto shared = std::make_shared<Shared>(executor, std::move(options));
  boost::system::error_code ec;
  tcp::acceptor& acceptor = shared->acceptor;
  if (!acceptor.open(endpoint->protocol(), ec) &&
      !acceptor.set_option(asio::socket_base::reuse_address(true), ec) &&
      !acceptor.bind(*endpoint, ec) &&
      !acceptor.listen(asio::socket_base::max_listen_connections, ec)) {
    const uint16_t port = acceptor.local_endpoint(ec).port();
    if (!ec) {
      return std::unique_ptr<Server>(new Server(std::move(executor), std::move(shared), port));
    }
  }
  return absl::UnavailableError(
      absl::StrCat("cannot listen on ", shared->options.listen, ": ", ec.message()));
}

Server::Server(asio::any_io_executor executor, std::shared_ptr<Shared> shared, uint16_t port)
    : executor_(std::move(executor)), shared_(std::move(shared)), port_(port) {}

Server::~Server() { Stop(); }

void Server::Route(const std::string& path, Handler handler) {
  shared_->routes[path] = std::move(handler);
}

void Server::Start() {
  shared_->log->info("listening on {} (port {})", shared_->options.listen, port_);
  asio::co_spawn(executor_, AcceptLoop(shared_), net::DieOnException);
}

void Server::Stop() {
  if (shared_->stopped) return;
  shared_->stopped = true;
  boost::system::error_code ignored;
  shared_->acceptor.close(ignored);
  for (auto& [id, stream] : shared_->connections) {
    stream->socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream->socket().close(ignored);
  }
}

size_t Server::ConnectionCount() const { return shared_->connections.size(); }

}  // namespace rmq::http
