#include "common/rocketmq/remoting/client.h"

#include <deque>
#include <optional>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/log/logger.h"
#include "common/net/blocking.h"
#include "common/rocketmq/remoting/codes.h"
#include "common/rocketmq/remoting/frame.h"

namespace rmq::rocketmq {
namespace {

using asio::ip::tcp;
using boost::system::error_code;

// One request waiting for its response (or, one-way, for its write). The timer doubles as the
// wake-up signal: it expires at the deadline, and is cancelled when the result arrives.
struct Pending {
  explicit Pending(const asio::any_io_executor& ex) : timer(ex) {}
  asio::steady_timer timer;
  std::optional<absl::StatusOr<RemotingCommand>> result;

  void Complete(absl::StatusOr<RemotingCommand> r) {
    if (result.has_value()) return;
    result = std::move(r);
    timer.cancel();
  }
};

struct QueuedFrame {
  std::string bytes;
  std::shared_ptr<Pending> oneway;  // completed when written; null for two-way requests
};

absl::Status SplitAddr(const std::string& addr, std::string& host, std::string& port) {
  size_t colon = addr.rfind(':');
  int port_number = 0;
  if (colon == std::string::npos || colon == 0 ||
      !absl::SimpleAtoi(addr.substr(colon + 1), &port_number) || port_number <= 0 ||
      port_number > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("address '", addr, "' is not of the form host:port"));
  }
  host = addr.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  port = addr.substr(colon + 1);
  return absl::OkStatus();
}

}  // namespace

// A connection to one peer. Shared because its read and write coroutines outlive any single
// request and must keep it alive until they finish; all access happens on the client's executor.
class RemotingClient::Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(asio::any_io_executor ex, std::string addr, std::chrono::milliseconds connect_timeout)
      : executor_(std::move(ex)),
        addr_(std::move(addr)),
        connect_timeout_(connect_timeout),
        socket_(executor_),
        write_signal_(executor_),
        log_(log::Get("remoting.client")) {
    write_signal_.expires_at(asio::steady_timer::time_point::max());
  }

  void Start() { asio::co_spawn(executor_, Run(shared_from_this()), net::DieOnException); }

  bool closed() const { return closed_; }
  const std::string& addr() const { return addr_; }
  // Frames read from the peer so far (responses and server requests).
  uint64_t frames_received() const { return frames_received_; }

  std::shared_ptr<Pending> Send(std::string frame, int32_t opaque, bool oneway) {
    auto pending = std::make_shared<Pending>(executor_);
    if (closed_) {
      pending->result = close_reason_;
      return pending;
    }
    pending_[opaque] = pending;
    write_queue_.push_back(QueuedFrame{std::move(frame), oneway ? pending : nullptr});
    write_signal_.cancel();
    return pending;
  }

  void Forget(int32_t opaque) { pending_.erase(opaque); }

  void Close(const absl::Status& why) {
    if (closed_) return;
    closed_ = true;
    close_reason_ = why;
    error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
    write_signal_.cancel();
    auto pending = std::move(pending_);
    pending_.clear();
    write_queue_.clear();
    for (auto& [opaque, p] : pending) p->Complete(why);
  }

 private:
  static asio::awaitable<void> Run(std::shared_ptr<Connection> self) {
    co_await self->ConnectAndRead();
  }

  asio::awaitable<void> ConnectAndRead() {
    std::string host;
    std::string port;
    if (absl::Status s = SplitAddr(addr_, host, port); !s.ok()) {
      Close(s);
      co_return;
    }
    error_code ec;
    tcp::resolver resolver(executor_);
    auto endpoints =
        co_await resolver.async_resolve(host, port, asio::redirect_error(asio::use_awaitable, ec));
    if (closed_) co_return;
    if (ec) {
      Close(absl::UnavailableError(absl::StrCat("cannot resolve ", addr_, ": ", ec.message())));
      co_return;
    }
    bool timed_out = false;
    asio::steady_timer deadline(executor_);
    deadline.expires_after(connect_timeout_);
    deadline.async_wait([self = shared_from_this(), &timed_out](error_code e) {
      if (!e && !self->connected_ && !self->closed_) {
        timed_out = true;
        error_code ignored;
        self->socket_.close(ignored);
      }
    });
    co_await asio::async_connect(socket_, endpoints, asio::redirect_error(asio::use_awaitable, ec));
    deadline.cancel();
    if (closed_) co_return;
    if (ec || timed_out) {
      Close(absl::UnavailableError(
          absl::StrCat("cannot connect to ", addr_, ": ",
                       timed_out ? absl::StrCat("timed out after ", connect_timeout_.count(), " ms")
                                 : ec.message())));
      co_return;
    }
    connected_ = true;
    socket_.set_option(tcp::no_delay(true), ec);
    log_->debug("connected addr={}", addr_);
    asio::co_spawn(executor_, WriteLoop(shared_from_this()), net::DieOnException);
    co_await ReadLoop();
  }

  static asio::awaitable<void> WriteLoop(std::shared_ptr<Connection> self) {
    while (!self->closed_) {
      if (self->write_queue_.empty()) {
        error_code ec;
        co_await self->write_signal_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        continue;
      }
      QueuedFrame frame = std::move(self->write_queue_.front());
      self->write_queue_.pop_front();
      error_code ec;
      co_await asio::async_write(self->socket_, asio::buffer(frame.bytes),
                                 asio::redirect_error(asio::use_awaitable, ec));
      if (self->closed_) co_return;
      if (ec) {
        self->Close(absl::UnavailableError(
            absl::StrCat("write to ", self->addr_, " failed: ", ec.message())));
        co_return;
      }
      if (frame.oneway) frame.oneway->Complete(RemotingCommand{});
    }
  }

  asio::awaitable<void> ReadLoop() {
    std::string prefix(4, '\0');
    std::string payload;
    while (!closed_) {
      error_code ec;
      co_await asio::async_read(socket_, asio::buffer(prefix),
                                asio::redirect_error(asio::use_awaitable, ec));
      if (closed_) co_return;
      if (ec) {
        Close(absl::UnavailableError(absl::StrCat(
            "connection to ", addr_,
            " closed: ", ec == asio::error::eof ? std::string("by peer") : ec.message())));
        co_return;
      }
      absl::StatusOr<uint32_t> length = DecodeFrameLength(prefix);
      if (!length.ok()) {
        Close(absl::UnavailableError(
            absl::StrCat("protocol error from ", addr_, ": ", length.status().message())));
        co_return;
      }
      payload.resize(*length);
      co_await asio::async_read(socket_, asio::buffer(payload),
                                asio::redirect_error(asio::use_awaitable, ec));
      if (closed_) co_return;
      if (ec) {
        Close(absl::UnavailableError(
            absl::StrCat("connection to ", addr_, " lost mid-frame: ", ec.message())));
        co_return;
      }
      absl::StatusOr<RemotingCommand> cmd = DecodeFramePayload(payload);
      if (!cmd.ok()) {
        Close(absl::UnavailableError(
            absl::StrCat("protocol error from ", addr_, ": ", cmd.status().message())));
        co_return;
      }
      ++frames_received_;
      Dispatch(*std::move(cmd));
    }
  }

  void Dispatch(RemotingCommand cmd) {
    if (!cmd.IsResponse()) {
      // A request from the server (only sent to registered clients; we never register).
      log_->debug("server request ignored addr={} code={}", addr_, cmd.code);
      if (cmd.IsOneway()) return;
      RemotingCommand reply;
      reply.code = response_code::kRequestCodeNotSupported;
      reply.opaque = cmd.opaque;
      reply.flag = kFlagResponse;
      reply.remark = "request code not supported by this admin client";
      if (auto frame = EncodeFrame(reply); frame.ok()) {
        write_queue_.push_back(QueuedFrame{*std::move(frame), nullptr});
        write_signal_.cancel();
      }
      return;
    }
    auto it = pending_.find(cmd.opaque);
    if (it == pending_.end()) {
      log_->debug("late or unknown response dropped addr={} opaque={}", addr_, cmd.opaque);
      return;
    }
    std::shared_ptr<Pending> pending = std::move(it->second);
    pending_.erase(it);
    pending->Complete(std::move(cmd));
  }

  asio::any_io_executor executor_;
  std::string addr_;
  std::chrono::milliseconds connect_timeout_;
  tcp::socket socket_;
  asio::steady_timer write_signal_;
  std::deque<QueuedFrame> write_queue_;
  std::map<int32_t, std::shared_ptr<Pending>> pending_;
  bool connected_ = false;
  bool closed_ = false;
  uint64_t frames_received_ = 0;
  absl::Status close_reason_;
  std::shared_ptr<spdlog::logger> log_;
};

RemotingClient::RemotingClient(asio::any_io_executor executor, ClientOptions options)
    : executor_(std::move(executor)), options_(std::move(options)) {}

RemotingClient::~RemotingClient() { Shutdown(); }

void RemotingClient::Shutdown() {
  shut_down_ = true;
  auto connections = std::move(connections_);
  connections_.clear();
  for (auto& [addr, conn] : connections) {
    conn->Close(absl::CancelledError("remoting client shut down"));
  }
}

size_t RemotingClient::ConnectionCountForTest() const {
  size_t n = 0;
  for (const auto& [addr, conn] : connections_) n += conn->closed() ? 0 : 1;
  return n;
}

int32_t RemotingClient::NextOpaque() {
  int32_t opaque = next_opaque_;
  next_opaque_ = next_opaque_ == std::numeric_limits<int32_t>::max() ? 1 : next_opaque_ + 1;
  return opaque;
}

std::shared_ptr<RemotingClient::Connection> RemotingClient::ConnectionFor(const std::string& addr) {
  auto it = connections_.find(addr);
  if (it != connections_.end() && !it->second->closed()) return it->second;
  auto conn = std::make_shared<Connection>(executor_, addr, options_.connect_timeout);
  connections_[addr] = conn;
  conn->Start();
  return conn;
}

asio::awaitable<absl::StatusOr<RemotingCommand>> RemotingClient::Invoke(
    std::string addr, RemotingCommand request, std::chrono::milliseconds timeout) {
  if (shut_down_) co_return absl::CancelledError("remoting client shut down");
  if (timeout.count() <= 0) timeout = options_.request_timeout;
  request.opaque = NextOpaque();
  request.flag = 0;
  request.version = options_.version;
  request.remark.reset();
  SignRequest(request, options_.credentials);
  absl::StatusOr<std::string> frame = EncodeFrame(request);
  if (!frame.ok()) co_return frame.status();
  std::shared_ptr<Connection> conn = ConnectionFor(addr);
  const uint64_t received_before = conn->frames_received();
  std::shared_ptr<Pending> pending = conn->Send(*std::move(frame), request.opaque, false);
  if (!pending->result.has_value()) {
    pending->timer.expires_after(timeout);
    error_code ec;
    co_await pending->timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
  if (!pending->result.has_value()) {
    conn->Forget(request.opaque);
    std::string message = absl::StrCat(RequestCodeName(request.code), " (", request.code, ") to ",
                                       addr, " got no response within ", timeout.count(), " ms");
    if (conn->frames_received() == received_before && !conn->closed()) {
      absl::StrAppend(&message, "; nothing else arrived either: connection closed");
      conn->Close(absl::UnavailableError(
          absl::StrCat("connection to ", addr, " closed: silent for ", timeout.count(), " ms")));
    }
    co_return absl::DeadlineExceededError(message);
  }
  co_return std::move(*pending->result);
}

asio::awaitable<absl::Status> RemotingClient::InvokeOneway(std::string addr,
                                                           RemotingCommand request,
                                                           std::chrono::milliseconds timeout) {
  if (shut_down_) co_return absl::CancelledError("remoting client shut down");
  if (timeout.count() <= 0) timeout = options_.request_timeout;
  request.opaque = NextOpaque();
  request.flag = kFlagOneway;
  request.version = options_.version;
  SignRequest(request, options_.credentials);
  absl::StatusOr<std::string> frame = EncodeFrame(request);
  if (!frame.ok()) co_return frame.status();
  std::shared_ptr<Connection> conn = ConnectionFor(addr);
  std::shared_ptr<Pending> pending = conn->Send(*std::move(frame), request.opaque, true);
  if (!pending->result.has_value()) {
    pending->timer.expires_after(timeout);
    error_code ec;
    co_await pending->timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
  conn->Forget(request.opaque);
  if (!pending->result.has_value()) {
    co_return absl::DeadlineExceededError(absl::StrCat("one-way ", RequestCodeName(request.code),
                                                       " to ", addr, " not written within ",
                                                       timeout.count(), " ms"));
  }
  co_return pending->result->status();
}

}  // namespace rmq::rocketmq
