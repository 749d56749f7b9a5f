// scripted_peer.h: a fake RocketMQ peer on a loopback socket (port 0) for unit tests of the
// remoting client and of logic above it (e.g. fallbacks for brokers without batch requests).
// Each accepted connection runs a test-provided coroutine. Runs on the test's io_context; not
// thread-safe.
#pragma once

#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "common/net/asio.h"
#include "common/rocketmq/remoting/command.h"
#include "common/rocketmq/remoting/frame.h"

namespace rmq::rocketmq::testing {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;

inline asio::awaitable<absl::StatusOr<RemotingCommand>> ReadFrame(tcp::socket& s) {
  std::string prefix(4, '\0');
  error_code ec;
  co_await asio::async_read(s, asio::buffer(prefix), asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return absl::UnavailableError(ec.message());
  absl::StatusOr<uint32_t> n = DecodeFrameLength(prefix);
  if (!n.ok()) co_return n.status();
  std::string payload(*n, '\0');
  co_await asio::async_read(s, asio::buffer(payload),
                            asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return absl::UnavailableError(ec.message());
  co_return DecodeFramePayload(payload);
}

inline asio::awaitable<void> WriteRaw(tcp::socket& s, std::string bytes) {
  error_code ec;
  co_await asio::async_write(s, asio::buffer(bytes), asio::redirect_error(asio::use_awaitable, ec));
}

inline asio::awaitable<void> Reply(tcp::socket& s, const RemotingCommand& req, std::string body,
                                   int32_t code = 0) {
  RemotingCommand resp;
  resp.code = code;
  resp.opaque = req.opaque;
  resp.flag = kFlagResponse;
  resp.language = "JAVA";
  resp.body = std::move(body);
  co_await WriteRaw(s, *EncodeFrame(resp));
}

// A peer that accepts connections and hands each socket to `script`.
class ScriptedPeer {
 public:
  using Script = std::function<asio::awaitable<void>(tcp::socket, int connection_index)>;

  ScriptedPeer(asio::io_context& io, Script script)
      : acceptor_(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)),
        script_(std::move(script)) {
    asio::co_spawn(io, Accept(), asio::detached);
  }
  std::string addr() const {
    return "127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port());
  }
  int connections() const { return connections_; }
  void Close() {
    error_code ec;
    acceptor_.close(ec);
  }

 private:
  asio::awaitable<void> Accept() {
    while (true) {
      error_code ec;
      tcp::socket s =
          co_await acceptor_.async_accept(asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return;
      int index = connections_++;
      asio::co_spawn(acceptor_.get_executor(), script_(std::move(s), index), asio::detached);
    }
  }

  tcp::acceptor acceptor_;
  Script script_;
  int connections_ = 0;
};

}  // namespace rmq::rocketmq::testing
