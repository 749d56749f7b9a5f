#include "tests/support/http_client.h"

#include <cstdint>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/net/asio.h"

// Beast after common/net/asio.h.
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace rmq::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

struct HttpConnection::Impl {
  asio::io_context io;
  beast::tcp_stream stream{io};
  beast::flat_buffer buffer;
  std::chrono::milliseconds timeout;
  std::string host;

  // Runs the io_context until `done` is set; the stream's own timer bounds every operation.
  void RunUntil(const bool& done) {
    io.restart();
    while (!done && io.run_one() > 0) {
    }
  }
};

HttpConnection::HttpConnection(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpConnection::~HttpConnection() = default;

absl::StatusOr<std::unique_ptr<HttpConnection>> HttpConnection::Connect(
    const std::string& host, int port, std::chrono::milliseconds timeout) {
  auto impl = std::make_unique<Impl>();
  impl->timeout = timeout;
  impl->host = absl::StrCat(host, ":", port);
  boost::system::error_code ec;
  tcp::endpoint endpoint(asio::ip::make_address(host, ec), static_cast<uint16_t>(port));
  if (ec) return absl::InvalidArgumentError(absl::StrCat("bad host ", host));
  bool done = false;
  impl->stream.expires_after(timeout);
  impl->stream.async_connect(endpoint, [&](const boost::system::error_code& e) {
    ec = e;
    done = true;
  });
  impl->RunUntil(done);
  if (ec) return absl::UnavailableError(absl::StrCat("connect ", impl->host, ": ", ec.message()));
  return std::unique_ptr<HttpConnection>(new HttpConnection(std::move(impl)));
}

absl::Status HttpConnection::SendRaw(const std::string& bytes) {
  boost::system::error_code ec;
  bool done = false;
  impl_->stream.expires_after(impl_->timeout);
  asio::async_write(impl_->stream, asio::buffer(bytes),
                    [&](const boost::system::error_code& e, size_t) {
                      ec = e;
                      done = true;
                    });
  impl_->RunUntil(done);
  if (ec) return absl::UnavailableError(absl::StrCat("write: ", ec.message()));
  return absl::OkStatus();
}

absl::StatusOr<HttpResult> HttpConnection::ReadResponse() {
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(std::uint64_t{64} * 1024 * 1024);
  boost::system::error_code ec;
  bool done = false;
  impl_->stream.expires_after(impl_->timeout);
  bhttp::async_read(impl_->stream, impl_->buffer, parser,
                    [&](const boost::system::error_code& e, size_t) {
                      ec = e;
                      done = true;
                    });
  impl_->RunUntil(done);
  if (ec) return absl::UnavailableError(absl::StrCat("read response: ", ec.message()));
  const auto& res = parser.get();
  HttpResult out;
  out.status = static_cast<int>(res.result_int());
  for (const auto& field : res) {
    out.headers[absl::AsciiStrToLower(std::string(field.name_string()))] =
        std::string(field.value());
  }
  out.body = res.body();
  out.keep_alive = res.keep_alive();
  return out;
}

absl::StatusOr<HttpResult> HttpConnection::Request(const std::string& method,
                                                   const std::string& target, bool close) {
  std::string request =
      absl::StrCat(method, " ", target, " HTTP/1.1\r\nHost: ", impl_->host,
                   "\r\nUser-Agent: rmq-test\r\n", close ? "Connection: close\r\n" : "", "\r\n");
  absl::Status s = SendRaw(request);
  if (!s.ok()) return s;
  return ReadResponse();
}

absl::StatusOr<HttpResult> HttpConnection::RequestWithBody(const std::string& method,
                                                           const std::string& target,
                                                           const std::string& body,
                                                           const std::string& content_type,
                                                           bool close) {
  std::string request = absl::StrCat(method, " ", target, " HTTP/1.1\r\nHost: ", impl_->host,
                                     "\r\nUser-Agent: rmq-test\r\nContent-Type: ", content_type,
                                     "\r\nContent-Length: ", body.size(), "\r\n",
                                     close ? "Connection: close\r\n" : "", "\r\n", body);
  absl::Status s = SendRaw(request);
  if (!s.ok()) return s;
  return ReadResponse();
}

bool HttpConnection::ClosedByPeer() {
  boost::system::error_code ec;
  bool done = false;
  char byte = 0;
  impl_->stream.expires_after(impl_->timeout);
  impl_->stream.async_read_some(asio::buffer(&byte, 1),
                                [&](const boost::system::error_code& e, size_t) {
                                  ec = e;
                                  done = true;
                                });
  impl_->RunUntil(done);
  return ec == asio::error::eof || ec == asio::error::connection_reset;
}

absl::StatusOr<HttpResult> HttpGet(const std::string& host, int port, const std::string& target,
                                   std::chrono::milliseconds timeout) {
  absl::StatusOr<std::unique_ptr<HttpConnection>> c = HttpConnection::Connect(host, port, timeout);
  if (!c.ok()) return c.status();
  return (*c)->Request("GET", target, true);
}

absl::StatusOr<HttpResult> HttpPost(const std::string& host, int port, const std::string& target,
                                    const std::string& body, const std::string& content_type,
                                    std::chrono::milliseconds timeout) {
  absl::StatusOr<std::unique_ptr<HttpConnection>> c = HttpConnection::Connect(host, port, timeout);
  if (!c.ok()) return c.status();
  return (*c)->RequestWithBody("POST", target, body, content_type, true);
}

}  // namespace rmq::testing
