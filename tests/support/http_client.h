// http_client.h: a blocking HTTP/1.1 client for tests (Beast on its own io_context).
//
// HttpConnection keeps one TCP connection, so tests can send several requests on it (keep-alive),
// send raw bytes (malformed or oversized requests), and see when the server closes it. Every read
// has a deadline, so a server that never answers fails the test instead of hanging it.
// HttpGet() and HttpPost() are the one-shot forms. Not thread-safe; one connection per test thread.
//
// Example:
//   absl::StatusOr<HttpResult> r = HttpGet("127.0.0.1", port, "/metrics");
//   EXPECT_EQ(r->status, 200);
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace rmq::testing {

struct HttpResult {
  int status = 0;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  bool keep_alive = false;
};

class HttpConnection {
 public:
  static absl::StatusOr<std::unique_ptr<HttpConnection>> Connect(
      const std::string& host, int port,
      std::chrono::milliseconds timeout = std::chrono::milliseconds(10'000));
  ~HttpConnection();
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  // Sends a request (HTTP/1.1, keep-alive unless `close`) and reads the response.
  absl::StatusOr<HttpResult> Request(const std::string& method, const std::string& target,
                                     bool close = false);
  // Same with a body (Content-Type and Content-Length set), e.g. a JSON POST.
  absl::StatusOr<HttpResult> RequestWithBody(const std::string& method, const std::string& target,
                                             const std::string& body,
                                             const std::string& content_type, bool close = false);
  // Writes bytes as they are.
  absl::Status SendRaw(const std::string& bytes);
  // Reads one response.
  absl::StatusOr<HttpResult> ReadResponse();
  // True if the peer closed the connection (a read returns end of stream) within the timeout.
  bool ClosedByPeer();

  struct Impl;

 private:
  explicit HttpConnection(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

absl::StatusOr<HttpResult> HttpGet(
    const std::string& host, int port, const std::string& target,
    std::chrono::milliseconds timeout = std::chrono::milliseconds(10'000));

// One-shot POST of `body` (a JSON gateway such as etcd's /v3/kv/range).
absl::StatusOr<HttpResult> HttpPost(
    const std::string& host, int port, const std::string& target, const std::string& body,
    const std::string& content_type = "application/json",
    std::chrono::milliseconds timeout = std::chrono::milliseconds(10'000));

}  // namespace rmq::testing
