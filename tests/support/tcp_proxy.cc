#include "tests/support/tcp_proxy.h"

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <future>
#include <map>
#include <thread>

#include "absl/strings/str_cat.h"
#include "common/base/check.h"
#include "common/log/logger.h"
#include "common/net/asio.h"
#include "common/net/blocking.h"

namespace rmq::testing {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

constexpr char kLogger[] = "test.proxy";

// One proxied connection. Shared by its two pump coroutines and the proxy's table, since the
// coroutines may still be unwinding (aborted reads) after the proxy dropped it.
struct Connection {
  Connection(tcp::socket accepted, const asio::any_io_executor& executor)
      : client(std::move(accepted)), upstream(executor) {}

  void Close() {
    boost::system::error_code ignored;
    client.shutdown(tcp::socket::shutdown_both, ignored);
    client.close(ignored);
    upstream.shutdown(tcp::socket::shutdown_both, ignored);
    upstream.close(ignored);
  }

  tcp::socket client;
  tcp::socket upstream;
  int open_directions = 2;
};

}  // namespace

// Everything but the counters is confined to the io thread (thread_), reached from other threads
// through RunOnIo(). The proxy is in one of three states: forwarding (listening, !hung_), hung
// (listening, hung_) or cut (not listening, !hung_).
class TcpProxy::Impl {
 public:
  explicit Impl(tcp::endpoint target) : target_(std::move(target)) {}

  ~Impl() {
    if (thread_.joinable()) {
      RunOnIo([this] {
        CutOnIo();
        return absl::OkStatus();
      }).IgnoreError();
      // Every socket is closed, so every coroutine ends and run() returns.
      work_.reset();
      thread_.join();
    }
  }

  absl::Status Listen() {
    boost::system::error_code ec;
    const tcp::endpoint local(asio::ip::address_v4::loopback(), static_cast<uint16_t>(port_));
    if (!acceptor_.open(local.protocol(), ec) &&
        !acceptor_.set_option(asio::socket_base::reuse_address(true), ec) &&
        !acceptor_.bind(local, ec) &&
        !acceptor_.listen(asio::socket_base::max_listen_connections, ec)) {
      const tcp::endpoint bound = acceptor_.local_endpoint(ec);
      if (!ec) {
        if (port_ == 0) port_ = bound.port();  // Restore() binds the same port again
        asio::co_spawn(io_, AcceptLoop(++generation_), net::DieOnException);
        return absl::OkStatus();
      }
    }
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    return absl::UnavailableError(
        absl::StrCat("proxy cannot listen on 127.0.0.1:", port_, ": ", ec.message()));
  }

  void StartThread() {
    thread_ = std::thread([this] { io_.run(); });
  }

  // Runs `fn` on the io thread and waits for its result.
  absl::Status RunOnIo(std::function<absl::Status()> fn) {
    RMQ_CHECK(std::this_thread::get_id() != thread_.get_id());
    std::packaged_task<absl::Status()> task(std::move(fn));
    std::future<absl::Status> result = task.get_future();
    asio::post(io_, [&task] { task(); });
    return result.get();
  }

  void CutOnIo() {
    ++generation_;  // the accept loop waiting on the closed acceptor ends
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    CloseAll();
    hung_ = false;
  }

  // From now on every pump drops what it reads, and new connections are held.
  void HangOnIo() { hung_ = true; }

  // Ends a hang: closes the held connections (their pumps end on the aborted reads, and
  // connections accepted from now on are forwarded).
  void EndHangOnIo() {
    if (!hung_) return;
    CloseAll();
    hung_ = false;
  }

  bool listening() const { return acceptor_.is_open(); }

  int port_ = 0;  // written before the thread starts, then constant
  std::atomic<int> accepted_{0};
  std::atomic<int> open_{0};

 private:
  asio::awaitable<void> AcceptLoop(uint64_t generation) {
    for (;;) {
      boost::system::error_code ec;
      tcp::socket socket =
          co_await acceptor_.async_accept(asio::redirect_error(asio::use_awaitable, ec));
      if (generation != generation_) co_return;  // cut (maybe restored since: a newer loop runs)
      if (ec) {
        log::Get(kLogger)->warn("accept failed: {}", ec.message());
        asio::steady_timer pause(io_, std::chrono::milliseconds(100));
        co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        continue;
      }
      auto connection = std::make_shared<Connection>(std::move(socket), io_.get_executor());
      const uint64_t id = next_id_++;
      connections_[id] = connection;
      ++accepted_;
      open_ = static_cast<int>(connections_.size());
      if (hung_) {
        // Held: never connected upstream; the client's bytes are read and dropped until
        // EndHangOnIo() or CutOnIo() closes it.
        asio::co_spawn(io_, Pump(id, connection, /*to_upstream=*/true), net::DieOnException);
        continue;
      }
      asio::co_spawn(io_, Serve(id, connection), net::DieOnException);
    }
  }

  asio::awaitable<void> Serve(uint64_t id, std::shared_ptr<Connection> connection) {
    boost::system::error_code ec;
    co_await connection->upstream.async_connect(target_,
                                                asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      if (hung_) co_return;  // held (the client sees nothing) until the hang ends or a cut
      log::Get(kLogger)->warn("connect to {}:{} failed: {}", target_.address().to_string(),
                              target_.port(), ec.message());
      Drop(id);
      co_return;
    }
    asio::co_spawn(io_, Pump(id, connection, /*to_upstream=*/true), net::DieOnException);
    asio::co_spawn(io_, Pump(id, connection, /*to_upstream=*/false), net::DieOnException);
  }

  // Copies one direction until end of stream (passed on as a half-close) or an error (both
  // directions closed). While hung, drops what it reads, and ends on end of stream or an error
  // without passing anything on: the connection stays until the hang ends or a cut.
  asio::awaitable<void> Pump(uint64_t id, std::shared_ptr<Connection> connection,
                             bool to_upstream) {
    tcp::socket& from = to_upstream ? connection->client : connection->upstream;
    tcp::socket& to = to_upstream ? connection->upstream : connection->client;
    std::array<char, 16384> buffer{};
    for (;;) {
      boost::system::error_code ec;
      const size_t n = co_await from.async_read_some(asio::buffer(buffer),
                                                     asio::redirect_error(asio::use_awaitable, ec));
      if (hung_) {
        if (ec) co_return;
        continue;
      }
      if (ec == asio::error::eof) {
        boost::system::error_code ignored;
        to.shutdown(tcp::socket::shutdown_send, ignored);
        if (--connection->open_directions == 0) Drop(id);
        co_return;
      }
      if (ec) break;
      co_await asio::async_write(to, asio::buffer(buffer.data(), n),
                                 asio::redirect_error(asio::use_awaitable, ec));
      if (ec) break;
    }
    Drop(id);
  }

  // Closes and forgets every connection.
  void CloseAll() {
    for (auto& [id, connection] : connections_) connection->Close();
    connections_.clear();
    open_ = 0;
  }

  // Closes and forgets connection `id` (no-op if it is gone already, e.g. after a cut).
  void Drop(uint64_t id) {
    auto it = connections_.find(id);
    if (it == connections_.end()) return;
    it->second->Close();
    connections_.erase(it);
    open_ = static_cast<int>(connections_.size());
  }

  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_{io_.get_executor()};
  tcp::acceptor acceptor_{io_};
  const tcp::endpoint target_;
  uint64_t generation_ = 0;
  uint64_t next_id_ = 0;
  bool hung_ = false;
  std::map<uint64_t, std::shared_ptr<Connection>> connections_;
  std::thread thread_;
};

absl::StatusOr<std::unique_ptr<TcpProxy>> TcpProxy::Start(const std::string& target_host,
                                                          int target_port) {
  asio::io_context resolver_io;
  tcp::resolver resolver(resolver_io);
  boost::system::error_code ec;
  tcp::resolver::results_type results =
      resolver.resolve(target_host, absl::StrCat(target_port), ec);
  if (ec || results.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("proxy target ", target_host, ":", target_port,
                                                   ": ", ec ? ec.message() : "no address"));
  }
  auto impl = std::make_unique<Impl>(results.begin()->endpoint());
  // Before the io thread runs, the io_context may be used from here.
  absl::Status listening = impl->Listen();
  if (!listening.ok()) return listening;
  impl->StartThread();
  log::Get(kLogger)->info("proxy 127.0.0.1:{} -> {}:{}", impl->port_, target_host, target_port);
  return std::unique_ptr<TcpProxy>(new TcpProxy(std::move(impl)));
}

TcpProxy::TcpProxy(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
TcpProxy::~TcpProxy() = default;

int TcpProxy::port() const { return impl_->port_; }

void TcpProxy::Cut() {
  impl_
      ->RunOnIo([this] {
        impl_->CutOnIo();
        return absl::OkStatus();
      })
      .IgnoreError();
  log::Get(kLogger)->info("proxy 127.0.0.1:{} cut", impl_->port_);
}

void TcpProxy::Hang() {
  absl::Status s = RetryOnIo("hang", [this] {
    absl::Status listening = impl_->listening() ? absl::OkStatus() : impl_->Listen();
    if (listening.ok()) impl_->HangOnIo();
    return listening;
  });
  if (!s.ok()) {
    log::Get(kLogger)->critical("cannot listen to hang the proxy: {}", s.ToString());
    RMQ_CHECK(s.ok());
  }
  log::Get(kLogger)->info("proxy 127.0.0.1:{} hung", impl_->port_);
}

absl::Status TcpProxy::TryRestore() {
  absl::Status s = RetryOnIo("restore", [this] {
    impl_->EndHangOnIo();
    return impl_->listening() ? absl::OkStatus() : impl_->Listen();
  });
  if (s.ok()) log::Get(kLogger)->info("proxy 127.0.0.1:{} restored", impl_->port_);
  return s;
}

absl::Status TcpProxy::RetryOnIo(const char* what, const std::function<absl::Status()>& step) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  for (;;) {
    absl::Status s = impl_->RunOnIo(step);
    if (s.ok() || std::chrono::steady_clock::now() >= deadline) return s;
    log::Get(kLogger)->warn("{}: {}; retrying", what, s.ToString());
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

void TcpProxy::Restore() {
  absl::Status s = TryRestore();
  if (!s.ok()) {
    log::Get(kLogger)->critical("cannot restore the proxy: {}", s.ToString());
    RMQ_CHECK(s.ok());
  }
}

int TcpProxy::accepted_connections() const { return impl_->accepted_; }
int TcpProxy::open_connections() const { return impl_->open_; }

}  // namespace rmq::testing
