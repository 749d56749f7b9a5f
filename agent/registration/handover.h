// handover.h: keeps the local broker registered on newly listed name servers until the broker's
// own registration takes over (the I/O half of registration.h).
//
// Per name server, a handover goes through two phases:
//   REGISTERING  the agent sends the broker's REGISTER_BROKER now and then every
//                `reregister_every`, each time with the broker's current topic table, until
//                `register_until` (the moment the broker has surely picked up its new list and
//                registered there itself: HandoverTimings::Takeover() after the config change);
//   HOLDING      the agent stops registering but keeps its connection open for
//                HandoverTimings::Hold(), so the broker's next periodic registration replaces the
//                agent's entry; only then is the connection closed. Closing earlier would make the
//                name server unregister the broker (the entry is tied to the connection).
// Each name server gets its own RemotingClient (one connection), so nothing else the agent does
// can close the registering connection by accident.
//
// Limits (documented in agent/README.md):
//  - If the broker becomes unreachable, the handover stops at once and closes its connection: the
//    name server then drops the broker, as it would for a dead broker.
//  - If the agent restarts during a handover, its connection closes and the name server drops the
//    broker until the broker's own registration (or the operator's next UpdateNameServers call,
//    which starts a new handover) puts it back.
//  - A handover is only started on a name server that does not list the broker yet: on one where
//    the broker registered itself, the agent's entry would replace the broker's and its close
//    would unregister the broker.
//
// Threading: confined to `executor` (the admin client's). Call every method from there. Destroy
// only after Stop() and after the executor ran the coroutines to completion (or stopped).
//
// Example:
//   NameServerHandover handover(executor, admin, "127.0.0.1:10911", client_options);
//   absl::Status s = co_await handover.Start("10.0.0.7:9876", now + timings.Takeover(), timings);
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "agent/registration/registration.h"
#include "common/net/asio.h"
#include "common/rocketmq/admin/admin_client.h"
#include "common/rocketmq/remoting/client.h"

namespace rmq::agent {

struct HandoverInfo {
  enum class Phase { kRegistering, kHolding };
  std::string name_server;
  Phase phase = Phase::kRegistering;
  int64_t registrations = 0;  // REGISTER_BROKER requests answered with SUCCESS
  std::chrono::steady_clock::time_point register_until;
  std::chrono::steady_clock::time_point close_at;  // set when HOLDING
  std::string last_error;                          // the last failed registration, if any
};

class NameServerHandover {
 public:
  using Clock = std::chrono::steady_clock;

  NameServerHandover(boost::asio::any_io_executor executor, rocketmq::AdminClient& admin,
                     std::string broker_addr, rocketmq::ClientOptions client_options);
  ~NameServerHandover();
  NameServerHandover(const NameServerHandover&) = delete;
  NameServerHandover& operator=(const NameServerHandover&) = delete;

  // Registers the broker on `name_server` now and keeps it registered until `register_until`
  // (then holds and closes, see above). If a handover for it runs already, extends it to
  // `register_until` and registers again. Returns the first registration's outcome; on failure
  // nothing keeps running for that name server.
  boost::asio::awaitable<absl::Status> Start(std::string name_server,
                                             Clock::time_point register_until,
                                             HandoverTimings timings);

  // Ends the handovers of name servers not in `keep` and closes their connections at once (they
  // were removed from the broker's list).
  void StopExcept(const std::set<std::string>& keep);

  // Ends every handover (agent shutdown). Idempotent.
  void Stop();

  bool Running(const std::string& name_server) const { return entries_.count(name_server) > 0; }
  std::vector<HandoverInfo> Snapshot() const;

 private:
  struct Entry;
  // One REGISTER_BROKER with the broker's current state. `broker_down` is set when the broker
  // itself could not be read.
  boost::asio::awaitable<absl::Status> RegisterOnce(Entry& entry, bool& broker_down);
  boost::asio::awaitable<void> Run(std::shared_ptr<Entry> entry);
  void Close(const std::shared_ptr<Entry>& entry, const std::string& why);

  boost::asio::any_io_executor executor_;
  rocketmq::AdminClient& admin_;
  std::string broker_addr_;
  rocketmq::ClientOptions client_options_;
  std::map<std::string, std::shared_ptr<Entry>> entries_;
};

}  // namespace rmq::agent
