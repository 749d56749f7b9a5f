// client.h: an asynchronous RocketMQ remoting client on Boost.Asio coroutines.
//
// One TCP connection per peer address ("host:port"), created on first use and re-created after
// the peer closes it (brokers close connections idle for 120 s). Requests and responses are
// matched by `opaque`, so many requests may be in flight on one connection and answered in any
// order. Each request has its own deadline; one-way requests complete once written. Requests the
// server sends to us are answered with REQUEST_CODE_NOT_SUPPORTED. Shutdown() closes every
// connection and completes every pending request with CANCELLED.
//
// A request that times out on a connection that received nothing at all while it waited closes
// that connection (its other requests fail UNAVAILABLE; the next request connects again): the
// peer is presumed gone without a FIN (a crashed node, a pod whose network namespace vanished),
// and without this every later request to the address would wait on the dead socket until TCP
// gives up, about 15 minutes. A connection that answers other requests meanwhile stays (one slow
// request). RocketMQ's Java client closes on any timeout (clientCloseSocketIfTimeout).
//
// Requests are never retried by the client: many admin requests are not idempotent, so the
// caller decides. A transport failure is UNAVAILABLE, a missed deadline DEADLINE_EXCEEDED; the
// broker's own answer, whatever its code, is returned as the response (see status.h to map it).
//
// Threading: the client is confined to one executor: a strand, or a single-threaded io_context.
// Call every method from coroutines running on that executor. Destroy the client only after its
// coroutines have finished (e.g. after the io_context stopped or Shutdown() and a drained run).
//
// Example:
//   RemotingClient client(io.get_executor(), ClientOptions{});
//   RemotingCommand req = RemotingCommand::Request(request_code::kGetBrokerRuntimeInfo);
//   absl::StatusOr<RemotingCommand> resp = co_await client.Invoke("127.0.0.1:10911", req);
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/net/asio.h"
#include "common/rocketmq/remoting/acl.h"
#include "common/rocketmq/remoting/command.h"

namespace rmq::rocketmq {

namespace asio = boost::asio;

struct ClientOptions {
  std::chrono::milliseconds connect_timeout{3000};
  std::chrono::milliseconds request_timeout{10000};  // used when a call passes zero
  AclCredentials credentials;                        // signs every request when set
  int32_t version = kDefaultClientVersion;
};

class RemotingClient {
 public:
  RemotingClient(asio::any_io_executor executor, ClientOptions options);
  ~RemotingClient();
  RemotingClient(const RemotingClient&) = delete;
  RemotingClient& operator=(const RemotingClient&) = delete;

  // Sends `request` to `addr` and waits for its response until `timeout` (zero: the default).
  // Sets opaque, flag and version; signs when credentials are configured.
  asio::awaitable<absl::StatusOr<RemotingCommand>> Invoke(
      std::string addr, RemotingCommand request,
      std::chrono::milliseconds timeout = std::chrono::milliseconds(0));

  // Sends a one-way request; completes when it has been written to the socket.
  asio::awaitable<absl::Status> InvokeOneway(
      std::string addr, RemotingCommand request,
      std::chrono::milliseconds timeout = std::chrono::milliseconds(0));

  // Closes all connections; pending and later requests fail with CANCELLED. Idempotent.
  void Shutdown();

  const ClientOptions& options() const { return options_; }
  // Number of live (connecting or connected) connections; for tests and metrics.
  size_t ConnectionCountForTest() const;

  class Connection;  // Implementation detail (client.cc).

 private:
  std::shared_ptr<Connection> ConnectionFor(const std::string& addr);
  int32_t NextOpaque();

  asio::any_io_executor executor_;
  ClientOptions options_;
  std::map<std::string, std::shared_ptr<Connection>> connections_;
  int32_t next_opaque_ = 1;
  bool shut_down_ = false;
};

}  // namespace rmq::rocketmq
