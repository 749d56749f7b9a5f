// node_runtime.h: the node agent's pod runtime: every pod bound to this node gets a PodWorker.
//
// NodeRuntime::Run():
//  1. makes sure the bridge exists (EnsureBridge) and reads the PodRecords an earlier agent
//     instance left in the state directory; their addresses are taken in the IpAllocator;
//  2. starts informers on the pods bound to this node (field selector spec.nodeName=<node>) and on
//     ConfigMaps, Secrets and PersistentVolumeClaims of all namespaces (what pod plans look up);
//  3. once the pods are listed: a pod with a record is adopted (its worker takes over the network
//     namespace and the processes), a record without a pod is cleaned up (its process groups
//     killed, its namespace deleted, its directory removed), and so is any pod network namespace
//     with the agent's prefix that no record names;
//  4. from then on, informer events drive the workers (created on the first sight of a pod,
//     updated, told when the pod vanished) and every change of a pod address rewrites the hosts
//     files of the pods that share a headless Service (spec.subdomain) in the namespace;
//  5. Stop(stop_pods): the workers stop their containers (grace periods capped by
//     RuntimeConfig::shutdown_grace_cap) and delete their networks, or leave everything running for
//     the next instance to adopt; Run() returns when they are done.
//
// Threading: confined to one executor; Stop() must be called from it.
//
// Example:
//   NodeRuntime runtime(client, io.get_executor(), pool, images, config);
//   asio::co_spawn(io, runtime.Run(), asio::detached);
//   ... runtime.Stop(/*stop_pods=*/true);
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>

#include "absl/status/status.h"
#include "boost/asio/thread_pool.hpp"
#include "common/k8s/client.h"
#include "common/k8s/informer.h"
#include "common/net/asio.h"
#include "nodeagent/plan/image_map.h"
#include "nodeagent/runtime/pod_worker.h"
#include "nodeagent/sandbox/ip_allocator.h"

namespace rmq::nodeagent {

struct NodeRuntimeStats {
  int adopted_pods = 0;
  int cleaned_records = 0;
  int cleaned_namespaces = 0;
  int64_t workers_started = 0;
};

class NodeRuntime {
 public:
  // InvalidArgument (through Run()) if the bridge's CIDR/gateway do not parse.
  NodeRuntime(k8s::Client& client, const boost::asio::any_io_executor& executor,
              boost::asio::thread_pool& blocking, const ImageMap& images, RuntimeConfig config);
  ~NodeRuntime();
  NodeRuntime(const NodeRuntime&) = delete;
  NodeRuntime& operator=(const NodeRuntime&) = delete;

  // Until Stop() and every worker finished. An error only if the node cannot run pods at all
  // (no bridge, bad configuration).
  boost::asio::awaitable<absl::Status> Run();
  void Stop(bool stop_pods);

  bool synced() const { return synced_; }
  size_t workers() const { return workers_.size(); }
  const NodeRuntimeStats& stats() const { return stats_; }

 private:
  void OnPodEvent(const k8s::ObjectEvent& event);
  void EnsureWorker(const Json& pod);
  void AdoptAndClean();
  void RefreshHosts();
  std::string RenderHosts(const Json& pod, const std::string& ip) const;
  absl::StatusOr<Json> Lookup(std::string_view kind, std::string_view ns,
                              std::string_view name) const;

  k8s::Client& client_;
  boost::asio::any_io_executor executor_;
  RuntimeConfig config_;
  std::optional<IpAllocator> ips_;
  RuntimeServices services_;
  k8s::Informer pods_;
  k8s::Informer config_maps_;
  k8s::Informer secrets_;
  k8s::Informer claims_;
  std::map<std::string, std::unique_ptr<PodWorker>> workers_;  // by uid
  std::set<std::string> finished_;                             // uids whose worker ended
  std::map<std::string, PodRecord> records_;                   // by uid, until adopted/cleaned
  bool synced_ = false;
  bool stopping_ = false;
  bool stop_pods_ = false;
  int running_ = 0;
  boost::asio::steady_timer wake_;
  NodeRuntimeStats stats_;
};

}  // namespace rmq::nodeagent
