#include "common/k8s/transport.h"

#include <algorithm>
#include <array>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cstdint>
#include <limits>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/base/status_macros.h"
#include "common/k8s/api.h"
#include "common/log/logger.h"

namespace rmq::k8s {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using boost::system::error_code;
using Clock = std::chrono::steady_clock;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

// The request as the log and error messages name it: method and path, no query.
std::string What(const HttpRequest& request) {
  return absl::StrCat(request.method, " ", request.target.substr(0, request.target.find('?')));
}

absl::Status IoError(const std::string& what, const char* step, const error_code& ec) {
  std::string message = absl::StrCat(what, ": ", step, ": ", ec.message());
  if (ec == beast::error::timeout) return absl::DeadlineExceededError(message);
  if (ec == asio::error::operation_aborted) return absl::CancelledError(message);
  return absl::UnavailableError(message);
}

// One TCP (+ TLS) connection to the server.
class Connection {
 public:
  Connection(const asio::any_io_executor& executor, asio::ssl::context* tls_context) {
    if (tls_context != nullptr) {
      tls_ = std::make_unique<TlsStream>(executor, *tls_context);
    } else {
      plain_ = std::make_unique<beast::tcp_stream>(executor);
    }
  }

  beast::tcp_stream& Lowest() { return tls_ ? beast::get_lowest_layer(*tls_) : *plain_; }
  TlsStream* tls() { return tls_.get(); }
  beast::flat_buffer& buffer() { return buffer_; }
  void Close() {
    error_code ignored;
    Lowest().socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    Lowest().close();
  }

  template <typename Op>
  asio::awaitable<error_code> With(Op op) {
    if (tls_) {
      error_code ec = co_await op(*tls_);
      co_return ec;
    }
    error_code ec = co_await op(*plain_);
    co_return ec;
  }

 private:
  std::unique_ptr<TlsStream> tls_;
  std::unique_ptr<beast::tcp_stream> plain_;
  beast::flat_buffer buffer_;
};

class StreamImpl final : public HttpStream {
 public:
  StreamImpl(std::unique_ptr<Connection> connection,
             std::unique_ptr<bhttp::response_parser<bhttp::buffer_body>> parser, std::string what)
      : connection_(std::move(connection)), parser_(std::move(parser)), what_(std::move(what)) {}
  ~StreamImpl() override { Close(); }

  asio::awaitable<absl::StatusOr<std::string>> ReadSome(
      std::chrono::milliseconds idle_timeout) override {
    while (true) {
      if (closed_) co_return absl::CancelledError(absl::StrCat(what_, ": stream closed"));
      if (parser_->is_done()) co_return std::string();
      parser_->get().body().data = chunk_.data();
      parser_->get().body().size = chunk_.size();
      connection_->Lowest().expires_after(idle_timeout);
      error_code ec =
          co_await connection_->With([this](auto& stream) -> asio::awaitable<error_code> {
            error_code e;
            co_await bhttp::async_read_some(stream, connection_->buffer(), *parser_,
                                            asio::redirect_error(asio::use_awaitable, e));
            co_return e;
          });
      if (ec == bhttp::error::need_buffer) ec = {};
      if (ec) {
        if (ec == beast::error::timeout) {
          co_return absl::DeadlineExceededError(
              absl::StrCat(what_, ": nothing received for ", idle_timeout.count(), " ms"));
        }
        co_return IoError(what_, "reading the stream", ec);
      }
      size_t n = chunk_.size() - parser_->get().body().size;
      if (n > 0) co_return std::string(chunk_.data(), n);
    }
  }

  void Close() override {
    if (closed_) return;
    closed_ = true;
    connection_->Close();
  }

 private:
  std::unique_ptr<Connection> connection_;
  std::unique_ptr<bhttp::response_parser<bhttp::buffer_body>> parser_;
  std::string what_;
  std::array<char, size_t{64} * 1024> chunk_{};
  bool closed_ = false;
};

class TransportImpl final : public Transport {
 public:
  TransportImpl(asio::any_io_executor executor, RestConfig config, TransportOptions options,
                ServerUrl url, std::unique_ptr<asio::ssl::context> tls_context)
      : executor_(std::move(executor)),
        config_(std::move(config)),
        options_(std::move(options)),
        url_(std::move(url)),
        tls_context_(std::move(tls_context)) {
    server_name_ = config_.tls_server_name.empty() ? url_.host : config_.tls_server_name;
  }
  ~TransportImpl() override { Shutdown(); }

  asio::awaitable<absl::StatusOr<HttpResponse>> Send(HttpRequest request) override {
    std::string what = What(request);
    bool reloaded_token = false;
    for (int attempt = 0;; ++attempt) {
      absl::StatusOr<Raw> raw = co_await SendOnce(request, what);
      if (!raw.ok()) co_return raw.status();
      std::optional<std::chrono::milliseconds> wait = RetryDelay(*raw, attempt, reloaded_token);
      if (wait) {
        if (raw->status == 401) reloaded_token = true;
        co_await Sleep(*wait);
        continue;
      }
      if (raw->status < 200 || raw->status > 299) {
        co_return StatusFromResponse(what, raw->status, raw->response.body);
      }
      raw->response.status = raw->status;
      co_return std::move(raw->response);
    }
  }

  asio::awaitable<absl::StatusOr<std::unique_ptr<HttpStream>>> OpenStream(
      HttpRequest request) override {
    std::string what = What(request);
    bool reloaded_token = false;
    for (int attempt = 0;; ++attempt) {
      absl::StatusOr<std::unique_ptr<Connection>> connection = co_await Connect(what);
      if (!connection.ok()) co_return connection.status();
      std::unique_ptr<Connection> conn = *std::move(connection);
      Clock::time_point deadline = Clock::now() + Timeout(request);
      error_code ec = co_await Write(*conn, request, deadline);
      if (ec) co_return IoError(what, "sending the request", ec);
      auto parser = std::make_unique<bhttp::response_parser<bhttp::buffer_body>>();
      parser->body_limit(std::numeric_limits<std::uint64_t>::max());  // a watch is endless
      conn->Lowest().expires_at(deadline);
      ec = co_await conn->With([&](auto& stream) -> asio::awaitable<error_code> {
        error_code e;
        co_await bhttp::async_read_header(stream, conn->buffer(), *parser,
                                          asio::redirect_error(asio::use_awaitable, e));
        co_return e;
      });
      if (ec) co_return IoError(what, "reading the answer's headers", ec);
      int status = static_cast<int>(parser->get().result_int());
      if (status == 200) {
        co_return std::unique_ptr<HttpStream>(
            std::make_unique<StreamImpl>(std::move(conn), std::move(parser), what));
      }
      // An error answer: read its (small) body for the message.
      Raw raw;
      raw.status = status;
      raw.retry_after = std::string(parser->get()[bhttp::field::retry_after]);
      StreamImpl stream(std::move(conn), std::move(parser), what);
      while (raw.response.body.size() < size_t{64} * 1024) {
        absl::StatusOr<std::string> piece = co_await stream.ReadSome(Timeout(request));
        if (!piece.ok() || piece->empty()) break;
        raw.response.body += *piece;
      }
      std::optional<std::chrono::milliseconds> wait = RetryDelay(raw, attempt, reloaded_token);
      if (wait) {
        if (raw.status == 401) reloaded_token = true;
        co_await Sleep(*wait);
        continue;
      }
      co_return StatusFromResponse(what, status, raw.response.body);
    }
  }

  void Shutdown() override {
    shut_down_ = true;
    for (auto& conn : idle_) conn->Close();
    idle_.clear();
  }

  size_t ConnectionsOpened() const override { return opened_; }
  size_t IdleConnections() const override { return idle_.size(); }

 private:
  struct Raw {
    int status = 0;
    std::string retry_after;
    HttpResponse response;
  };

  std::chrono::milliseconds Timeout(const HttpRequest& request) const {
    return request.timeout.count() > 0 ? request.timeout : options_.request_timeout;
  }

  // How long to wait before retrying this answer; nullopt: do not retry.
  std::optional<std::chrono::milliseconds> RetryDelay(const Raw& raw, int attempt,
                                                      bool reloaded_token) {
    if (raw.status == 401 && !config_.token_file.empty() && !reloaded_token) {
      token_read_at_.reset();  // re-read the rotated token now
      return std::chrono::milliseconds(0);
    }
    std::optional<std::chrono::seconds> retry_after = ParseRetryAfter(raw.retry_after);
    if (!IsRetryableResponse(raw.status, retry_after.has_value()) ||
        attempt >= options_.max_retries) {
      return std::nullopt;
    }
    std::chrono::seconds delay = retry_after.value_or(std::chrono::seconds(1));
    delay = std::clamp(delay, std::chrono::seconds(0), options_.max_retry_after);
    log::Get("k8s.transport")
        ->info("server asked to retry status={} retry_after_s={} attempt={}", raw.status,
               delay.count(), attempt + 1);
    return std::chrono::duration_cast<std::chrono::milliseconds>(delay);
  }

  asio::awaitable<void> Sleep(std::chrono::milliseconds delay) {
    if (delay.count() <= 0) co_return;
    asio::steady_timer timer(executor_, delay);
    error_code ignored;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
  }

  // The bearer token to send ("" for none); re-reads a token file when due.
  std::string Token() {
    if (!config_.bearer_token.empty() && config_.token_file.empty()) return config_.bearer_token;
    if (config_.token_file.empty()) return "";
    Clock::time_point now = Clock::now();
    if (!token_read_at_ || now - *token_read_at_ >= options_.token_refresh) {
      absl::StatusOr<std::string> token = ReadFileToString(config_.token_file);
      if (token.ok()) {
        token_ = std::string(absl::StripAsciiWhitespace(*token));
      } else {
        log::Get("k8s.transport")
            ->warn("token file unreadable, keeping the previous token file={} error={}",
                   config_.token_file, token.status().ToString());
      }
      token_read_at_ = now;
    }
    return token_.empty() ? config_.bearer_token : token_;
  }

  asio::awaitable<absl::StatusOr<std::unique_ptr<Connection>>> Connect(const std::string& what) {
    if (shut_down_) co_return absl::CancelledError(absl::StrCat(what, ": client shut down"));
    auto conn = std::make_unique<Connection>(executor_, tls_context_.get());
    // Name lookup has no timeout of its own: a timer cancels it (shared: the timer's handler may
    // run after this frame is gone).
    auto resolver = std::make_shared<asio::ip::tcp::resolver>(executor_);
    asio::steady_timer guard(executor_, options_.connect_timeout);
    guard.async_wait([resolver](const error_code& expired) {
      if (!expired) resolver->cancel();
    });
    error_code ec;
    asio::ip::tcp::resolver::results_type endpoints = co_await resolver->async_resolve(
        url_.host, url_.port, asio::redirect_error(asio::use_awaitable, ec));
    guard.cancel();
    if (ec == asio::error::operation_aborted) ec = beast::error::timeout;
    if (ec) co_return IoError(what, "resolving the server", ec);
    conn->Lowest().expires_after(options_.connect_timeout);
    co_await conn->Lowest().async_connect(endpoints, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      co_return IoError(what, absl::StrCat("connecting to ", url_.HostHeader()).c_str(), ec);
    }
    if (TlsStream* tls = conn->tls()) {
      error_code not_ip;
      asio::ip::make_address(server_name_, not_ip);
      // SNI only for names (RFC 6066 forbids addresses); the certificate is checked either way.
      if (not_ip && SSL_set_tlsext_host_name(tls->native_handle(), server_name_.c_str()) != 1) {
        co_return absl::InternalError(absl::StrCat(what, ": cannot set the TLS server name"));
      }
      if (!config_.insecure_skip_tls_verify) {
        tls->set_verify_callback(asio::ssl::host_name_verification(server_name_));
      }
      co_await tls->async_handshake(asio::ssl::stream_base::client,
                                    asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return IoError(what, "TLS handshake", ec);
    }
    ++opened_;
    co_return conn;
  }

  asio::awaitable<error_code> Write(Connection& conn, const HttpRequest& request,
                                    Clock::time_point deadline) {
    bhttp::request<bhttp::string_body> out;
    out.method_string(request.method);
    out.target(url_.base_path + request.target);
    out.version(11);
    out.set(bhttp::field::host, url_.HostHeader());
    out.set(bhttp::field::user_agent, options_.user_agent);
    out.set(bhttp::field::accept, "application/json");
    std::string token = Token();
    if (!token.empty()) out.set(bhttp::field::authorization, absl::StrCat("Bearer ", token));
    if (!request.content_type.empty()) out.set(bhttp::field::content_type, request.content_type);
    out.body() = request.body;
    out.keep_alive(true);
    out.prepare_payload();
    conn.Lowest().expires_at(deadline);
    error_code ec = co_await conn.With([&out](auto& stream) -> asio::awaitable<error_code> {
      error_code e;
      co_await bhttp::async_write(stream, out, asio::redirect_error(asio::use_awaitable, e));
      co_return e;
    });
    co_return ec;
  }

  // One exchange; retries once on a fresh connection when a reused one fails before answering.
  asio::awaitable<absl::StatusOr<Raw>> SendOnce(const HttpRequest& request,
                                                const std::string& what) {
    while (true) {
      if (shut_down_) co_return absl::CancelledError(absl::StrCat(what, ": client shut down"));
      std::unique_ptr<Connection> conn;
      bool reused = !idle_.empty();
      if (reused) {
        conn = std::move(idle_.back());
        idle_.pop_back();
      } else {
        absl::StatusOr<std::unique_ptr<Connection>> fresh = co_await Connect(what);
        if (!fresh.ok()) co_return fresh.status();
        conn = *std::move(fresh);
      }
      Clock::time_point deadline = Clock::now() + Timeout(request);
      error_code ec = co_await Write(*conn, request, deadline);
      if (ec) {
        if (reused && ec != beast::error::timeout) continue;  // stale keep-alive connection
        co_return IoError(what, "sending the request", ec);
      }
      bhttp::response_parser<bhttp::string_body> parser;
      parser.body_limit(options_.max_response_bytes);
      conn->Lowest().expires_at(deadline);
      ec = co_await conn->With([&](auto& stream) -> asio::awaitable<error_code> {
        error_code e;
        co_await bhttp::async_read(stream, conn->buffer(), parser,
                                   asio::redirect_error(asio::use_awaitable, e));
        co_return e;
      });
      if (ec) {
        if (reused && !parser.got_some() && ec != beast::error::timeout) continue;
        if (ec == bhttp::error::body_limit) {
          co_return absl::ResourceExhaustedError(
              absl::StrCat(what, ": answer larger than ", options_.max_response_bytes, " bytes"));
        }
        co_return IoError(what, "reading the answer", ec);
      }
      bhttp::response<bhttp::string_body> message = parser.release();
      Raw raw;
      raw.status = static_cast<int>(message.result_int());
      raw.retry_after = std::string(message[bhttp::field::retry_after]);
      raw.response.content_type = std::string(message[bhttp::field::content_type]);
      raw.response.body = std::move(message.body());
      if (message.keep_alive() && !shut_down_ && idle_.size() < options_.max_idle_connections) {
        idle_.push_back(std::move(conn));
      } else {
        conn->Close();
      }
      co_return raw;
    }
  }

  asio::any_io_executor executor_;
  RestConfig config_;
  TransportOptions options_;
  ServerUrl url_;
  std::string server_name_;
  std::unique_ptr<asio::ssl::context> tls_context_;
  std::vector<std::unique_ptr<Connection>> idle_;
  std::string token_;
  std::optional<Clock::time_point> token_read_at_;
  size_t opened_ = 0;
  bool shut_down_ = false;
};

absl::StatusOr<std::unique_ptr<asio::ssl::context>> MakeTlsContext(const RestConfig& config) {
  auto context = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_client);
  error_code ec;
  context->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                           asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                           asio::ssl::context::no_tlsv1_1,
                       ec);
  auto failed = [&](const char* what) {
    return absl::InvalidArgumentError(absl::StrCat(config.source, ": ", what, ": ", ec.message()));
  };
  if (config.insecure_skip_tls_verify) {
    context->set_verify_mode(asio::ssl::verify_none, ec);
  } else {
    context->set_verify_mode(asio::ssl::verify_peer, ec);
    if (!config.ca_pem.empty()) {
      context->add_certificate_authority(asio::buffer(config.ca_pem), ec);
      if (ec) return failed("certificate authority is not a usable PEM certificate");
    } else {
      context->set_default_verify_paths(ec);
      if (ec) return failed("cannot load the system's trusted certificates");
    }
  }
  if (!config.client_cert_pem.empty() || !config.client_key_pem.empty()) {
    if (config.client_cert_pem.empty() || config.client_key_pem.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(config.source, ": a client certificate needs both certificate and key"));
    }
    context->use_certificate_chain(asio::buffer(config.client_cert_pem), ec);
    if (ec) return failed("client certificate is not a usable PEM certificate");
    context->use_private_key(asio::buffer(config.client_key_pem), asio::ssl::context::pem, ec);
    if (ec) return failed("client key is not a usable PEM key (or does not match)");
  }
  return context;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Transport>> Transport::Create(asio::any_io_executor executor,
                                                             RestConfig config,
                                                             TransportOptions options) {
  absl::StatusOr<ServerUrl> url = ParseServerUrl(config.server);
  if (!url.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(config.source, ": ", url.status().message()));
  }
  std::unique_ptr<asio::ssl::context> tls_context;
  if (url->tls) {
    RMQ_ASSIGN_OR_RETURN(tls_context, MakeTlsContext(config));
  }
  return std::unique_ptr<Transport>(
      std::make_unique<TransportImpl>(std::move(executor), std::move(config), std::move(options),
                                      *std::move(url), std::move(tls_context)));
}

}  // namespace rmq::k8s
