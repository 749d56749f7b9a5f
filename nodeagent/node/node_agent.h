// node_agent.h: the node agent's Node in the cluster, over the Kubernetes client: NodeRegistrar
// registers the Node and keeps it alive (Lease + status heartbeat); PodBinder binds unscheduled
// pods to it (the agent is its own scheduler).
//
// NodeRegistrar::Run() registers until it succeeds (server-side apply of the Node, then of its
// status on the `status` subresource, field manager "rmq-node-agent"; removal of the
// node.kubernetes.io/not-ready taint the TaintNodesByCondition admission plugin puts on a new
// Node; the Lease), then renews the Lease in kube-node-lease every `lease_renew_interval` and
// re-posts the status (the Ready heartbeat) every `status_interval`, until Stop(). Failures are
// logged and retried with backoff; they never end Run().
//
// PodBinder::Run() watches pods with `spec.nodeName=` in every namespace and POSTs a Binding for
// each one without deletionTimestamp and schedulingGates (a 409, already bound, counts as done);
// other failures are retried with the controller's per-key backoff. Pods that come with a
// nodeName are never seen.
//
// Threading: each object is confined to one executor (the client's); Stop() must be called from
// it. The Client must outlive them.
//
// Example:
//   NodeRegistrar registrar(client, executor, {.name = "node-1", .machine = *machine});
//   PodBinder binder(client, executor, "node-1");
//   asio::co_spawn(executor, registrar.Run(), asio::detached);
//   asio::co_spawn(executor, binder.Run(), asio::detached);
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/k8s/client.h"
#include "common/k8s/controller.h"
#include "common/k8s/informer.h"
#include "common/net/asio.h"
#include "nodeagent/node/node_status.h"

namespace rmq::nodeagent {

inline constexpr char kFieldManager[] = "rmq-node-agent";

// This machine as a Node reports it: uname (kernel, architecture), /etc/os-release,
// /etc/machine-id, the boot id, CPUs, memory and the size of the filesystem of `state_dir`.
// `internal_ip` and `hostname` are taken as given. Missing optional files leave fields empty.
absl::StatusOr<MachineInfo> ReadMachineInfo(std::string internal_ip, std::string hostname,
                                            const std::string& state_dir);

struct NodeRegistrarOptions {
  std::chrono::milliseconds lease_renew_interval{10'000};
  std::chrono::milliseconds status_interval{60'000};
  // After a failure: the first retry, doubled up to the maximum.
  std::chrono::milliseconds initial_backoff{500};
  std::chrono::milliseconds max_backoff{10'000};
};

struct NodeRegistrarStats {
  int registrations = 0;
  int64_t lease_renewals = 0;
  int64_t status_posts = 0;
  int64_t errors = 0;
};

class NodeRegistrar {
 public:
  NodeRegistrar(k8s::Client& client, const boost::asio::any_io_executor& executor,
                NodeConfig config, NodeRegistrarOptions options = {});

  boost::asio::awaitable<void> Run();
  void Stop();

  // One registration: the Node, its status, the not-ready taint, the Lease. Run() calls it.
  boost::asio::awaitable<absl::Status> Register();
  // Renews the Lease (creates it when missing).
  boost::asio::awaitable<absl::Status> RenewLease();
  // Applies the status (heartbeat = now).
  boost::asio::awaitable<absl::Status> PostStatus();

  bool registered() const { return registered_; }
  const std::string& node_uid() const { return node_uid_; }
  const NodeConfig& config() const { return config_; }
  const NodeRegistrarStats& stats() const { return stats_; }

 private:
  boost::asio::awaitable<absl::Status> RemoveNotReadyTaint(Json node);
  boost::asio::awaitable<void> Sleep(std::chrono::milliseconds delay);

  k8s::Client& client_;
  NodeConfig config_;
  NodeRegistrarOptions options_;
  std::chrono::system_clock::time_point since_;
  boost::asio::steady_timer timer_;
  Json lease_;  // the Lease as last written (its resourceVersion for the next Replace)
  std::string node_uid_;
  bool registered_ = false;
  bool stopped_ = false;
  NodeRegistrarStats stats_;
};

struct PodBinderStats {
  int64_t bound = 0;          // Bindings the server accepted
  int64_t already_bound = 0;  // 409s
  int64_t errors = 0;
};

class PodBinder {
 public:
  PodBinder(k8s::Client& client, const boost::asio::any_io_executor& executor,
            std::string node_name);

  // Until Stop(); returns once the informer and the running binds have finished.
  boost::asio::awaitable<void> Run();
  void Stop();

  const PodBinderStats& stats() const { return stats_; }

 private:
  boost::asio::awaitable<k8s::Controller::Result> Bind(const std::string& key);

  k8s::Client& client_;
  boost::asio::any_io_executor executor_;
  std::string node_name_;
  k8s::Informer informer_;
  k8s::Controller controller_;
  PodBinderStats stats_;
};

}  // namespace rmq::nodeagent
