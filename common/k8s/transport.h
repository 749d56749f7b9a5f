// transport.h: HTTP/1.1 to the Kubernetes API server over TLS (Boost.Beast + OpenSSL).
//
// - TLS from a RestConfig: the cluster CA (or the system store), the server name checked against
//   the certificate (host, or tls-server-name), a client certificate and key for mTLS, or
//   insecure-skip-tls-verify. Plain http:// servers work too (tests, local proxies).
// - Bearer tokens: a static token, or a token file re-read every `token_refresh` and at once after
//   a 401 (projected service-account tokens rotate; the request is then retried once).
// - Connection reuse: finished keep-alive connections go back to an idle pool (at most
//   `max_idle_connections`); a request that fails on a reused connection before any answer
//   arrived is retried once on a new one (the server may have closed it while idle).
// - Timeouts: connect, and each request as a whole; streams have a per-read idle timeout.
// - 429 (and 5xx with Retry-After) are retried after the Retry-After delay (1 s if absent,
//   capped by `max_retry_after`), at most `max_retries` times; the last answer is returned.
// - Answers outside 2xx become absl::Status errors (StatusFromResponse in api.h).
//
// Threading: confined to the executor given to Create() (one thread); requests may run
// concurrently as coroutines on it, each on its own connection.
//
// Example:
//   auto t = Transport::Create(io.get_executor(), *config, {});
//   absl::StatusOr<HttpResponse> r = co_await (*t)->Send({.method = "GET", .target = "/version"});
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "common/k8s/rest_config.h"
#include "common/net/asio.h"

namespace rmq::k8s {

struct HttpRequest {
  std::string method = "GET";
  std::string target{};  // path and query: "/api/v1/namespaces?limit=10"
  std::string content_type{};
  std::string body{};
  // Whole request, per attempt; zero: the transport's default.
  std::chrono::milliseconds timeout{0};
};

struct HttpResponse {
  int status = 0;
  std::string content_type{};
  std::string body{};
};

struct TransportOptions {
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds request_timeout{60'000};
  size_t max_idle_connections = 16;
  size_t max_response_bytes = size_t{512} * 1024 * 1024;
  int max_retries = 10;
  std::chrono::seconds max_retry_after{30};
  std::chrono::seconds token_refresh{60};
  std::string user_agent = "rocketmq-operator";
};

// A streamed response body (watch). Owns its connection; close by destroying it.
class HttpStream {
 public:
  virtual ~HttpStream() = default;
  // The next bytes of the body; "" once the body ended (the server closed the watch).
  // DeadlineExceeded when nothing arrived within `idle_timeout`.
  virtual boost::asio::awaitable<absl::StatusOr<std::string>> ReadSome(
      std::chrono::milliseconds idle_timeout) = 0;
  // Closes the connection; a pending ReadSome() fails. Idempotent.
  virtual void Close() = 0;
};

class Transport {
 public:
  static absl::StatusOr<std::unique_ptr<Transport>> Create(boost::asio::any_io_executor executor,
                                                           RestConfig config,
                                                           TransportOptions options);
  virtual ~Transport() = default;

  // A 2xx answer, or the error (StatusFromResponse for HTTP errors; Unavailable or
  // DeadlineExceeded for connection failures and timeouts).
  virtual boost::asio::awaitable<absl::StatusOr<HttpResponse>> Send(HttpRequest request) = 0;

  // Sends a request whose answer is read piece by piece. Returns once the headers arrived: the
  // stream for a 200, the error for anything else (its body read in full).
  virtual boost::asio::awaitable<absl::StatusOr<std::unique_ptr<HttpStream>>> OpenStream(
      HttpRequest request) = 0;

  // Closes idle connections; further requests fail with Cancelled. Open streams stay usable
  // until closed.
  virtual void Shutdown() = 0;

  // For tests and metrics: connections opened so far, and idle ones now.
  virtual size_t ConnectionsOpened() const = 0;
  virtual size_t IdleConnections() const = 0;
};

}  // namespace rmq::k8s
