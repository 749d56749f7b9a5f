// tcp_proxy.h: a TCP forwarder for tests that need to break a client's connections on purpose.
//
// TcpProxy listens on 127.0.0.1:<free port> and forwards each accepted connection, byte for byte
// in both directions, to a target host:port (TLS passes through untouched: a client that connects
// to 127.0.0.1:<port()> sees the target's certificate, which verifies if it names 127.0.0.1).
// Cut() closes every current connection and the listening socket, so new connects are refused
// (ECONNREFUSED) until Restore() listens again on the same port. A half-close (EOF one way) is
// passed on as a half-close.
//
// Threads: the proxy runs its own io_context on its own thread; every public method may be called
// from any other thread (not from the proxy's own), and Cut()/Restore() return once done. The
// destructor closes everything and joins the thread.
//
// Example:
//   absl::StatusOr<std::unique_ptr<TcpProxy>> proxy = TcpProxy::Start("127.0.0.1", api_port);
//   client.Connect(absl::StrCat("https://127.0.0.1:", (*proxy)->port()));
//   (*proxy)->Cut();      // the client's watch connection breaks, reconnects are refused
//   (*proxy)->Restore();  // same port, connects work again
#pragma once

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
  // Closes all current connections (both sides) and stops listening. Idempotent.
  void Cut();
  // Listens again on port() (no-op when not cut), retrying for up to 5 s if another socket took
  // the port meanwhile. TryRestore() then returns the error; Restore() aborts with it (a test
  // cannot go on without its proxy, and this should never happen).
  absl::Status TryRestore();
  void Restore();

  // Connections accepted since Start(), and those currently open.
  int accepted_connections() const;
  int open_connections() const;

  class Impl;

 private:
  explicit TcpProxy(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace rmq::testing
