// operator.h: the reconcile loop of NameService and Broker resources (the I/O around the pure
// parts in api/, desired/, status/ and decisions.h).
//
// Informers (one per type and watched namespace, or one per type for all namespaces) keep caches
// of NameServices, Brokers, and the operator's StatefulSets, Pods, Services,
// PodDisruptionBudgets (label app.kubernetes.io/managed-by=rocketmq-operator) and ConfigMaps (all:
// a Broker's broker-common.conf lives in a ConfigMap of the user's). Their events enqueue the
// resource concerned (a child by its controller reference or pod labels; a user ConfigMap for
// every Broker whose volumes carry it; a NameService for the Brokers that take their name
// servers from it). Reconciles start once every cache is listed. Per key, one reconcile at a time:
//   1. read the CR from the cache, parse the spec (invalid: status only);
//   2. build the children; apply (server-side, field manager rocketmq-operator, force) each one
//      whose applied-hash annotation differs from the cached copy's: at steady state nothing;
//   3. Brokers: the operations on a running cluster, through the agents (controller/operations):
//      a name-server change is given to every broker and published only once each is registered
//      on the new list; the groups a scale-out added get the cluster's topics and subscription
//      groups. Their progress is kept in the status, so another operator process resumes it;
//   4. compute the status from the cached children and write it (merge patch on /status) only
//      when it changed; Events for each applied child and each condition that turns bad/good.
// No periodic requeue: a reconcile runs only because something changed, except while an
// operation waits for a broker's registration (every operation_poll). Errors requeue the key with
// the work queue's per-key backoff.
//
// Threading: confined to one executor (Run(), Stop() and the handlers run on it).
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/k8s/client.h"
#include "common/k8s/controller.h"
#include "common/k8s/informer.h"
#include "common/net/asio.h"
#include "controller/agent_link/agent_client.h"
#include "controller/desired/name_service.h"
#include "controller/desired/sidecar.h"
#include "controller/operations/metadata_sync.h"
#include "controller/status/status.h"
#include "prometheus/registry.h"

namespace rmq::controller {

struct OperatorOptions {
  std::vector<std::string> namespaces;  // empty: every namespace
  ClusterSettings cluster;
  AgentSidecarOptions agent;
  int workers = 4;                             // per kind
  std::string instance = "rocketmq-operator";  // Events' reportingInstance (the pod name)
  // Deadline of one agent call (GetBrokerState), of an UpdateNameServers that waits for the
  // registrations, and of one group's metadata copy.
  // Calls to the agents: plaintext unless credentials are set (LoadAgentClientCredentials), then
  // their certificates are checked against agent_tls_server_name.
  std::shared_ptr<grpc::ChannelCredentials> agent_credentials;
  std::string agent_tls_server_name;
  std::chrono::milliseconds agent_deadline{10'000};
  // (An update waits for registrations up to its deadline, then answers all_registered=false;
  // the operator then looks again every operation_poll.)
  std::chrono::milliseconds name_server_update_deadline{10'000};
  std::chrono::milliseconds metadata_copy_deadline{600'000};
  // How soon to look again while an operation waits for something no watch reports (a broker's
  // registration on a name server).
  std::chrono::milliseconds operation_poll{2'000};
};

// The custom resource types and the PodDisruptionBudget type (not in common/k8s).
const k8s::ResourceType& NameServices();
const k8s::ResourceType& Brokers();
const k8s::ResourceType& PodDisruptionBudgets();

class Operator {
 public:
  Operator(boost::asio::any_io_executor executor, k8s::Client& client, OperatorOptions options,
           prometheus::Registry& registry);
  ~Operator();
  Operator(const Operator&) = delete;
  Operator& operator=(const Operator&) = delete;

  // Runs the informers and, once all have listed, the reconcilers, until Stop().
  boost::asio::awaitable<void> Run();
  void Stop();

  bool synced() const { return synced_; }
  // Writes sent to the API (applies, status patches, Events) since the start.
  int64_t writes() const { return writes_; }

 private:
  class Cache;
  struct Metrics;

  boost::asio::awaitable<k8s::Controller::Result> ReconcileNameService(const std::string& key);
  boost::asio::awaitable<k8s::Controller::Result> ReconcileBroker(const std::string& key);

  // Applies each child that needs it; the first error is returned (the rest are not tried).
  boost::asio::awaitable<absl::Status> ApplyChildren(const Json& cr, std::vector<Json> children);
  // Writes `status` if it differs from the CR's; Events for conditions that changed.
  boost::asio::awaitable<absl::Status> WriteStatus(const k8s::ResourceType& type, const Json& cr,
                                                   Json status);
  // Records an Event (sent in the background).
  void Emit(const Json& regarding, bool warning, std::string reason, std::string action,
            std::string note);
  boost::asio::awaitable<void> SendEvent(Json regarding, bool warning, std::string reason,
                                         std::string action, std::string note);

  // Name-server change (name_server_change.h): sets `ops`' name-server fields; `waiting` when it
  // should look again soon. An error: an agent refused or failed.
  // `progress`: what the status records (ReadBrokerProgress), read once per reconcile.
  boost::asio::awaitable<absl::Status> PropagateNameServers(const Json& cr,
                                                            const BrokerProgress& progress,
                                                            std::string desired,
                                                            std::vector<std::string> not_serving,
                                                            std::vector<BrokerPodView> pods,
                                                            BrokerOperations& ops, bool& waiting);
  // Metadata sync of the groups a scale-out added (metadata_sync.h): sets `ops`' sync fields.
  // It only ever waits for pods to turn ready, which their events report: no poll.
  boost::asio::awaitable<absl::Status> SyncMetadata(const Json& cr, const BrokerProgress& progress,
                                                    const BrokerSpec& spec, int32_t groups,
                                                    std::vector<BrokerPodView> pods,
                                                    BrokerOperations& ops);
  // One group's copy, with the target's identity checked first.
  boost::asio::awaitable<absl::Status> CopyGroupMetadata(const Json& cr, const BrokerSpec& spec,
                                                         MetadataSyncPlan plan,
                                                         BrokerOperations& ops);

  // `cached` with the status this process wrote last, if any (see written_status_).
  Json WithLatestStatus(const k8s::ResourceType& type, const Json& cached) const;

  void EnqueueBrokersOfNamespace(const std::string& ns, bool only_without_name_servers);
  void OnConfigMap(const Json& cm);
  void CountWrite(const std::string& resource, const char* verb);
  void Record(const char* kind, const absl::Status& status, double seconds);

  boost::asio::any_io_executor executor_;
  k8s::Client& client_;
  OperatorOptions options_;
  std::unique_ptr<Metrics> metrics_;
  std::unique_ptr<Cache> cache_;
  std::unique_ptr<k8s::Controller> name_services_;
  std::unique_ptr<k8s::Controller> brokers_;
  std::unique_ptr<AgentClient> agents_;
  // "Kind/namespace/name" -> the applied-hash of what this process applied last, until the
  // informer shows an event for that object (its cache lags an apply by one watch event; without
  // this, a reconcile in between would send the same apply again).
  std::map<std::string, std::string> pending_applies_;
  // "Kind/namespace/name" -> the status this process wrote last (the API's answer to the patch).
  // This process is the only status writer while it leads, so that is the latest status even
  // when the informer has not shown it yet; operations read their progress from it (a reconcile
  // on a lagging cache would otherwise repeat a step already done and recorded, e.g. a copy).
  std::map<std::string, Json> written_status_;
  bool synced_ = false;
  bool stopped_ = false;
  int64_t writes_ = 0;
};

}  // namespace rmq::controller
