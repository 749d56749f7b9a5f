// tcp_proxy.h: a TCP forwarder for tests that need to break a client's connections on purpose.
//
// TcpProxy listens on 127.0.0.1:<free port> and forwards each accepted connection, byte for byte
// in both directions, to a target host:port (TLS passes through untouched: a client that connects
// to 127.0.0.1:<port()> sees the target's certificate, which verifies if it names 127.0.0.1).
// Two ways to break the path, both undone by Restore():
// - Cut() closes every current connection and the listening socket, so new connects are refused
//   (ECONNREFUSED) until Restore() listens again on the same port.
// - Hang() keeps every connection open but forwards nothing more: bytes from either side are read
//   and dropped, and neither side sees the other's end of stream or close. New connects are
//   accepted and held open the same way, never reaching the target. A client sees requests that
//   never get an answer (a partition or a stuck server) until its own timeouts fire. Restore()
//   closes the connections it held (both sides), then forwards new connections normally.
// Otherwise a half-close (EOF one way) is passed on as a half-close.
//
// Threads: the proxy runs its own io_context on its own thread; every public method may be called
// from any other thread (not from the proxy's own), and Cut()/Hang()/Restore() return once done:
// after Hang() returns, no byte read from then on is forwarded. The destructor closes everything
// and joins the thread.
//
// Example:
//   absl::StatusOr<std::unique_ptr<TcpProxy>> proxy = TcpProxy::Start("127.0.0.1", api_port);
//   client.Connect(absl::StrCat("https://127.0.0.1:", (*proxy)->port()));
//   (*proxy)->Cut();      // the client's watch connection breaks, reconnects are refused
//   (*proxy)->Restore();  // same port, connects work again
//   (*proxy)->Hang();     // requests get no answer (connects still succeed)
//   (*proxy)->Restore();  // the hung connections are closed; new ones are forwarded
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace rmq::testing {

class TcpProxy {
 public:
  // Resolves `target_host` (an address or a name) once; connections to the target are made per
  // accepted connection, and an accepted connection whose target connect fails is closed.
  static absl::StatusOr<std::unique_ptr<TcpProxy>> Start(const std::string& target_host,
                                                         int target_port);
  ~TcpProxy();
  TcpProxy(const TcpProxy&) = delete;
  TcpProxy& operator=(const TcpProxy&) = delete;

  // The listening port on 127.0.0.1 (the same after Restore()).
  int port() const;
  // Closes all current connections (both sides) and stops listening; ends a Hang(). Idempotent.
  void Cut();
  // Stops forwarding on every current connection and holds new ones open without forwarding
  // (see the top of this file). Idempotent. When cut, it first listens again on port(), as
  // Restore() does (aborting if it cannot).
  void Hang();
  // Ends a Cut() or a Hang() (no-op when forwarding). After a Hang(), closes every connection it
  // held; after a Cut(), listens again on port(), retrying for up to 5 s if another socket took
  // the port meanwhile. TryRestore() then returns the error; Restore() aborts with it (a test
  // cannot go on without its proxy, and this should never happen).
  absl::Status TryRestore();
  void Restore();

  // Connections accepted since Start() (held ones included), and those currently open.
  int accepted_connections() const;
  int open_connections() const;

  class Impl;

 private:
  explicit TcpProxy(std::unique_ptr<Impl> impl);
  // Runs `step` on the proxy's thread until it succeeds, for up to 5 s.
  absl::Status RetryOnIo(const char* what, const std::function<absl::Status()>& step);
  std::unique_ptr<Impl> impl_;
};

}  // namespace rmq::testing
