#include "controller/reconcile/operator.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <functional>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "common/k8s/objects.h"
#include "common/log/logger.h"
#include "common/net/when_all.h"
#include "controller/api/spec.h"
#include "controller/desired/broker.h"
#include "controller/desired/names.h"
#include "controller/operations/name_server_change.h"
#include "controller/reconcile/decisions.h"
#include "controller/status/status.h"
#include "prometheus/counter.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"

namespace rmq::controller {

namespace asio = boost::asio;
using k8s::Controller;

const k8s::ResourceType& NameServices() {
  static const auto* t = new k8s::ResourceType{.group = kApiGroup,
                                               .version = "v1alpha1",
                                               .plural = "nameservices",
                                               .kind = "NameService",
                                               .namespaced = true};
  return *t;
}

const k8s::ResourceType& Brokers() {
  static const auto* t = new k8s::ResourceType{.group = kApiGroup,
                                               .version = "v1alpha1",
                                               .plural = "brokers",
                                               .kind = "Broker",
                                               .namespaced = true};
  return *t;
}

const k8s::ResourceType& PodDisruptionBudgets() {
  static const auto* t = new k8s::ResourceType{.group = "policy",
                                               .version = "v1",
                                               .plural = "poddisruptionbudgets",
                                               .kind = "PodDisruptionBudget",
                                               .namespaced = true};
  return *t;
}

namespace {

const k8s::ResourceType* TypeOfKind(const std::string& kind) {
  for (const k8s::ResourceType* t :
       {&k8s::ConfigMaps(), &k8s::Services(), &k8s::StatefulSets(), &PodDisruptionBudgets()}) {
    if (t->kind == kind) return t;
  }
  return nullptr;
}

// (Not a coroutine: GCC 12 mis-compiles braced temporaries inside coroutines.)
absl::StatusOr<Json> MakeOperatorEvent(const Json& regarding, bool warning, std::string reason,
                                       std::string action, std::string note,
                                       const std::string& instance) {
  return k8s::MakeEvent({.regarding = regarding,
                         .related = std::nullopt,
                         .type = warning ? k8s::EventType::kWarning : k8s::EventType::kNormal,
                         .reason = std::move(reason),
                         .action = std::move(action),
                         .note = std::move(note),
                         .reporting_controller = "rocketmq.apache.org/operator",
                         .reporting_instance = instance,
                         .event_time = std::chrono::system_clock::now()});
}

// A small non-negative number in `label` (a broker group or id, as BrokerInstanceLabels sets
// them), else -1.
int32_t LabelNumber(const Json& object, const char* label) {
  std::optional<std::string> value = k8s::Label(object, label);
  if (!value || value->empty() || value->size() >= 5 ||
      !std::all_of(value->begin(), value->end(), ::isdigit)) {
    return -1;
  }
  return std::stoi(*value);
}

// The cluster's broker pods as the operations see them (labels set by BrokerInstanceLabels).
std::vector<BrokerPodView> BrokerPodViews(const std::vector<Json>& pods) {
  std::vector<BrokerPodView> out;
  for (const Json& pod : pods) {
    if (k8s::IsBeingDeleted(pod)) continue;
    BrokerPodView v;
    v.name = k8s::Name(pod);
    v.group = LabelNumber(pod, kLabelBrokerGroup);
    v.broker_id = LabelNumber(pod, kLabelBrokerId);
    v.ready = PodIsReady(pod);
    v.ip = pod.value("/status/podIP"_json_pointer, "");
    out.push_back(std::move(v));
  }
  std::sort(out.begin(), out.end(),
            [](const BrokerPodView& a, const BrokerPodView& b) { return a.name < b.name; });
  return out;
}

std::string AgentAddress(const std::string& ip) { return absl::StrCat(ip, ":", kAgentGrpcPort); }

// What one broker's agent says about its name servers (a failed call: unreachable).
BrokerNameServerView NameServerView(const std::string& pod,
                                    const absl::StatusOr<agentpb::BrokerState>& state) {
  BrokerNameServerView v;
  v.pod = pod;
  if (!state.ok() || state->state() == agentpb::LIFECYCLE_STATE_UNREACHABLE) return v;
  v.reachable = true;
  v.configured = absl::StrJoin(state->name_servers(), ";");
  for (const agentpb::NameServerRegistration& r : state->registrations()) {
    v.registered[r.address()] = r.registered();
  }
  return v;
}

agentpb::GetBrokerStateRequest RegistrationsRequest() {
  agentpb::GetBrokerStateRequest request;
  request.set_check_registrations(true);
  return request;
}

agentpb::UpdateNameServersRequest UpdateRequest(const std::string& list, bool wait) {
  agentpb::UpdateNameServersRequest request;
  for (const std::string& ns : NameServerSet(list)) request.add_name_servers(ns);
  request.set_wait_for_registration(wait);
  return request;
}

Json LastSync(const MetadataSyncPlan& plan, const AgentClient::CopyResult& copy, double seconds) {
  const agentpb::ImportMetadataResponse& in = copy.imported;
  return {{"group", plan.group},
          {"source", plan.source_pod},
          {"target", plan.target_pod},
          {"topics", copy.exported.topics()},
          {"groups", copy.exported.groups()},
          {"created", in.topics().created() + in.groups().created()},
          {"unchanged", in.topics().unchanged() + in.groups().unchanged() +
                            in.topics().skipped_existing() + in.groups().skipped_existing()},
          {"seconds", seconds},
          {"completedAt", k8s::Rfc3339Time(std::chrono::system_clock::now())}};
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Cache: the informers of every type, per watched namespace.

class Operator::Cache {
 public:
  Cache(k8s::Client& client, const std::vector<std::string>& namespaces) {
    const std::vector<std::string> scopes =
        namespaces.empty() ? std::vector<std::string>{""} : namespaces;
    const std::string managed = absl::StrCat(kLabelK8sManagedBy, "=", kManagedBy);
    auto add = [&](Kind kind, const k8s::ResourceType& type, const std::string& selector) {
      for (const std::string& ns : scopes) {
        informers_[kind].push_back(std::make_unique<k8s::Informer>(
            client, type, k8s::InformerOptions{.ns = ns, .label_selector = selector}));
      }
    };
    add(kNameService, NameServices(), "");
    add(kBroker, Brokers(), "");
    add(kStatefulSet, k8s::StatefulSets(), managed);
    add(kPod, k8s::Pods(), managed);
    add(kService, k8s::Services(), managed);
    add(kPdb, PodDisruptionBudgets(), managed);
    add(kConfigMap, k8s::ConfigMaps(), "");
  }

  enum Kind { kNameService, kBroker, kStatefulSet, kPod, kService, kPdb, kConfigMap, kKinds };

  std::vector<std::unique_ptr<k8s::Informer>>& Of(Kind kind) { return informers_[kind]; }

  const Json* Get(Kind kind, const std::string& key) const {
    for (const auto& informer : informers_.at(kind)) {
      if (const Json* o = informer->store().Get(key)) return o;
    }
    return nullptr;
  }

  // Every cached object of `kind` in namespace `ns`.
  std::vector<const Json*> InNamespace(Kind kind, const std::string& ns) const {
    std::vector<const Json*> out;
    const std::string prefix = ns + "/";
    for (const auto& informer : informers_.at(kind)) {
      for (const std::string& key : informer->store().Keys()) {
        if (key.rfind(prefix, 0) != 0) continue;
        if (const Json* o = informer->store().Get(key)) out.push_back(o);
      }
    }
    return out;
  }

  std::vector<k8s::Informer*> All() {
    std::vector<k8s::Informer*> out;
    for (auto& [kind, list] : informers_) {
      for (auto& i : list) out.push_back(i.get());
    }
    return out;
  }

 private:
  std::map<Kind, std::vector<std::unique_ptr<k8s::Informer>>> informers_;
};

// ---------------------------------------------------------------------------------------------
// Metrics.

struct Operator::Metrics {
  explicit Metrics(prometheus::Registry& registry)
      : reconciles(prometheus::BuildCounter()
                       .Name("rocketmq_operator_reconcile_total")
                       .Help("Reconciles by resource kind and result")
                       .Register(registry)),
        duration(prometheus::BuildHistogram()
                     .Name("rocketmq_operator_reconcile_duration_seconds")
                     .Help("Time of one reconcile, by resource kind")
                     .Register(registry)),
        depth(prometheus::BuildGauge()
                  .Name("rocketmq_operator_workqueue_depth")
                  .Help("Keys waiting for a reconcile, by resource kind")
                  .Register(registry)),
        writes(prometheus::BuildCounter()
                   .Name("rocketmq_operator_api_writes_total")
                   .Help("Writes sent to the Kubernetes API, by resource and verb")
                   .Register(registry)) {}

  prometheus::Family<prometheus::Counter>& reconciles;
  prometheus::Family<prometheus::Histogram>& duration;
  prometheus::Family<prometheus::Gauge>& depth;
  prometheus::Family<prometheus::Counter>& writes;
};

// ---------------------------------------------------------------------------------------------

Operator::Operator(asio::any_io_executor executor, k8s::Client& client, OperatorOptions options,
                   prometheus::Registry& registry)
    : executor_(std::move(executor)),
      client_(client),
      options_(std::move(options)),
      metrics_(std::make_unique<Metrics>(registry)),
      cache_(std::make_unique<Cache>(client, options_.namespaces)) {
  const Controller::Options controller_options{.workers = options_.workers, .queue = {}};
  name_services_ = std::make_unique<Controller>(
      executor_, [this](const std::string& key) { return ReconcileNameService(key); },
      controller_options);
  brokers_ = std::make_unique<Controller>(
      executor_, [this](const std::string& key) { return ReconcileBroker(key); },
      controller_options);
  AgentClient::Options agent_options;
  agent_options.deadline = options_.agent_deadline;
  agent_options.credentials = options_.agent_credentials;
  agent_options.tls_server_name = options_.agent_tls_server_name;
  agents_ = std::make_unique<AgentClient>(executor_, agent_options);

  for (auto& i : cache_->Of(Cache::kNameService)) {
    i->AddHandler([this](const k8s::ObjectEvent& e) {
      if (e.type == k8s::ObjectEvent::Type::kDeleted) {
        written_status_.erase(absl::StrCat("NameService/", k8s::ObjectStore::KeyOf(e.object)));
      }
      name_services_->Enqueue(k8s::ObjectStore::KeyOf(e.object));
      EnqueueBrokersOfNamespace(k8s::Namespace(e.object), /*only_without_name_servers=*/true);
    });
  }
  for (auto& i : cache_->Of(Cache::kBroker)) {
    i->AddHandler([this](const k8s::ObjectEvent& e) {
      if (e.type == k8s::ObjectEvent::Type::kDeleted) {
        written_status_.erase(absl::StrCat("Broker/", k8s::ObjectStore::KeyOf(e.object)));
      }
      brokers_->Enqueue(k8s::ObjectStore::KeyOf(e.object));
    });
  }
  // Children: the resource they belong to; an event also settles a pending apply (below).
  const std::array<std::pair<Cache::Kind, const char*>, 4> children = {
      {{Cache::kStatefulSet, "StatefulSet"},
       {Cache::kPod, "Pod"},
       {Cache::kService, "Service"},
       {Cache::kPdb, "PodDisruptionBudget"}}};
  for (const auto& [cache_kind, kind_name] : children) {
    for (auto& i : cache_->Of(cache_kind)) {
      i->AddHandler([this, kind = std::string(kind_name)](const k8s::ObjectEvent& e) {
        pending_applies_.erase(absl::StrCat(kind, "/", k8s::ObjectStore::KeyOf(e.object)));
        if (std::optional<std::string> key = OwnerKey(e.object, "NameService")) {
          name_services_->Enqueue(*key);
        }
        if (std::optional<std::string> key = OwnerKey(e.object, "Broker")) {
          brokers_->Enqueue(*key);
        }
      });
    }
  }
  for (auto& i : cache_->Of(Cache::kConfigMap)) {
    i->AddHandler([this](const k8s::ObjectEvent& e) {
      pending_applies_.erase(absl::StrCat("ConfigMap/", k8s::ObjectStore::KeyOf(e.object)));
      OnConfigMap(e.object);
    });
  }
}

Operator::~Operator() = default;

Json Operator::WithLatestStatus(const k8s::ResourceType& type, const Json& cached) const {
  Json cr = cached;
  auto it = written_status_.find(absl::StrCat(type.kind, "/", k8s::ObjectStore::KeyOf(cached)));
  if (it != written_status_.end()) cr["status"] = it->second;
  return cr;
}

void Operator::EnqueueBrokersOfNamespace(const std::string& ns, bool only_without_name_servers) {
  for (const Json* b : cache_->InNamespace(Cache::kBroker, ns)) {
    if (only_without_name_servers &&
        !b->value("/spec/nameServers"_json_pointer, std::string()).empty()) {
      continue;
    }
    brokers_->Enqueue(k8s::ObjectStore::KeyOf(*b));
  }
}

void Operator::OnConfigMap(const Json& cm) {
  if (std::optional<std::string> key = OwnerKey(cm, "Broker")) {
    brokers_->Enqueue(*key);
    return;
  }
  // A user's ConfigMap: every Broker whose volumes carry broker-common.conf from it.
  const std::string name = k8s::Name(cm);
  for (const Json* b : cache_->InNamespace(Cache::kBroker, k8s::Namespace(cm))) {
    absl::StatusOr<BrokerSpec> spec = ParseBroker(*b);
    if (spec.ok() && UserConfigMapName(*spec) == name) {
      brokers_->Enqueue(k8s::ObjectStore::KeyOf(*b));
    }
  }
}

asio::awaitable<void> Operator::Run() {
  auto log = log::Get("operator");
  std::vector<k8s::Informer*> informers = cache_->All();
  int unsynced = static_cast<int>(informers.size());
  int running = 0;
  asio::steady_timer all_done(executor_, asio::steady_timer::time_point::max());
  auto finished = [&](const std::exception_ptr&) {
    if (--running == 0) all_done.cancel();
  };
  auto start_controllers = [&] {
    synced_ = true;
    log->info("caches synced ({} informers): reconciling", informers.size());
    running += 2;
    asio::co_spawn(executor_, name_services_->Run(), finished);
    asio::co_spawn(executor_, brokers_->Run(), finished);
  };
  for (k8s::Informer* informer : informers) {
    informer->OnSynced([&] {
      if (--unsynced == 0 && !stopped_) start_controllers();
    });
    ++running;
    asio::co_spawn(executor_, informer->Run(), finished);
  }
  boost::system::error_code ec;
  co_await all_done.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  log->info("reconcilers and informers stopped");
}

void Operator::Stop() {
  if (stopped_) return;
  stopped_ = true;
  name_services_->Stop();
  brokers_->Stop();
  for (k8s::Informer* informer : cache_->All()) informer->Stop();
}

void Operator::CountWrite(const std::string& resource, const char* verb) {
  ++writes_;
  metrics_->writes.Add({{"resource", resource}, {"verb", verb}}).Increment();
}

void Operator::Record(const char* kind, const absl::Status& status, double seconds) {
  metrics_->reconciles.Add({{"kind", kind}, {"result", status.ok() ? "success" : "error"}})
      .Increment();
  metrics_->duration
      .Add({{"kind", kind}},
           prometheus::Histogram::BucketBoundaries{0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
                                                   1, 2.5, 5, 10})
      .Observe(seconds);
  metrics_->depth.Add({{"kind", "NameService"}})
      .Set(static_cast<double>(name_services_->queue().Ready()));
  metrics_->depth.Add({{"kind", "Broker"}}).Set(static_cast<double>(brokers_->queue().Ready()));
}

asio::awaitable<absl::Status> Operator::ApplyChildren(const Json& cr, std::vector<Json> children) {
  auto log = log::Get("operator");
  for (Json& child : children) {
    const std::string kind = child.value("kind", "");
    const k8s::ResourceType* type = TypeOfKind(kind);
    if (type == nullptr) co_return absl::InternalError("no resource type for kind " + kind);
    Json desired = WithAppliedHash(std::move(child));
    const Cache::Kind cache_kind = kind == "ConfigMap"     ? Cache::kConfigMap
                                   : kind == "Service"     ? Cache::kService
                                   : kind == "StatefulSet" ? Cache::kStatefulSet
                                                           : Cache::kPdb;
    const std::string key = k8s::ObjectStore::KeyOf(desired);
    const Json* observed = cache_->Get(cache_kind, key);
    const std::string id = absl::StrCat(kind, "/", key);
    const std::string hash = k8s::Annotation(desired, kAnnotationAppliedHash).value_or("");
    // Applied already, and the informer has not shown it yet: do not send it again.
    if (auto pending = pending_applies_.find(id);
        pending != pending_applies_.end() && pending->second == hash) {
      continue;
    }
    if (!NeedsApply(observed, desired)) continue;
    const bool created = observed == nullptr;
    k8s::ApplyOptions apply_options;
    apply_options.field_manager = kFieldManager;
    apply_options.force = true;
    absl::StatusOr<Json> applied = co_await client_.Apply(*type, desired, apply_options);
    CountWrite(type->plural, "apply");
    if (!applied.ok()) {
      co_return absl::Status(
          applied.status().code(),
          absl::StrCat("applying ", kind, " ", key, ": ", applied.status().message()));
    }
    pending_applies_[id] = hash;
    log->info("{} {} {}", created ? "created" : "updated", kind, key);
    Emit(cr, false, created ? "Created" : "Updated", "Apply",
         absl::StrCat(created ? "created " : "updated ", kind, " ", k8s::Name(desired)));
  }
  co_return absl::OkStatus();
}

void Operator::Emit(const Json& regarding, bool warning, std::string reason, std::string action,
                    std::string note) {
  // Off the reconcile's path: an Event is a record, not a step (its failure is only logged).
  asio::co_spawn(
      executor_,
      SendEvent(regarding, warning, std::move(reason), std::move(action), std::move(note)),
      asio::detached);
}

asio::awaitable<void> Operator::SendEvent(Json regarding, bool warning, std::string reason,
                                          std::string action, std::string note) {
  absl::StatusOr<Json> event = MakeOperatorEvent(
      regarding, warning, std::move(reason), std::move(action), std::move(note), options_.instance);
  if (!event.ok()) {
    log::Get("operator")->warn("event not made: {}", event.status().ToString());
    co_return;
  }
  absl::StatusOr<Json> created = co_await client_.Create(k8s::Events(), *std::move(event));
  CountWrite("events", "create");
  if (!created.ok()) {
    log::Get("operator")->warn("event not recorded: {}", created.status().ToString());
  }
}

asio::awaitable<absl::Status> Operator::WriteStatus(const k8s::ResourceType& type, const Json& cr,
                                                    Json status) {
  const Json old = cr.value("status", Json::object());
  if (status == old) co_return absl::OkStatus();
  const std::string ns = k8s::Namespace(cr);
  const std::string name = k8s::Name(cr);
  // Fields the new status no longer has (an operation that ended) must be removed: a plain
  // {"status": status} merge patch would keep them.
  Json patch = Json::object();
  patch["status"] = k8s::CreateMergePatch(old, status);
  absl::StatusOr<Json> patched =
      co_await client_.MergePatch(type, ns, name, std::move(patch), "status");
  CountWrite(type.plural, "status");
  if (!patched.ok()) co_return patched.status();
  written_status_[absl::StrCat(type.kind, "/", k8s::ObjectStore::KeyOf(cr))] =
      patched->value("status", Json::object());
  // Events for the transitions people act on (not for every intermediate reason): Ready turning
  // True (Normal) or turning False after it was True (Warning); Degraded turning True or changing
  // its reason (Warning) and turning False again (Normal).
  const Json old_conditions = old.value("conditions", Json::array());
  std::optional<k8s::Condition> ready = k8s::FindCondition(status["conditions"], "Ready");
  std::optional<k8s::Condition> was_ready = k8s::FindCondition(old_conditions, "Ready");
  const bool is_ready = ready && ready->status == k8s::kConditionTrue;
  const bool was = was_ready && was_ready->status == k8s::kConditionTrue;
  if (is_ready != was && (is_ready || was)) {
    Emit(cr, !is_ready, is_ready ? "Ready" : "NotReady", "Reconcile", ready->message);
  }
  std::optional<k8s::Condition> degraded = k8s::FindCondition(status["conditions"], "Degraded");
  std::optional<k8s::Condition> was_degraded = k8s::FindCondition(old_conditions, "Degraded");
  const bool is_bad = degraded && degraded->status == k8s::kConditionTrue;
  const bool was_bad = was_degraded && was_degraded->status == k8s::kConditionTrue;
  if (is_bad && (!was_bad || was_degraded->reason != degraded->reason)) {
    Emit(cr, true, degraded->reason, "Reconcile", degraded->message);
  } else if (!is_bad && was_bad) {
    Emit(cr, false, "Recovered", "Reconcile", absl::StrCat("no longer ", was_degraded->reason));
  }
  co_return absl::OkStatus();
}

asio::awaitable<Controller::Result> Operator::ReconcileNameService(const std::string& key) {
  const auto t0 = std::chrono::steady_clock::now();
  absl::Status result = absl::OkStatus();
  const Json* cached = cache_->Get(Cache::kNameService, key);
  if (cached != nullptr && !k8s::IsBeingDeleted(*cached)) {
    const Json cr =
        WithLatestStatus(NameServices(), *cached);  // a copy: the cache may change meanwhile
    NameServiceStatusInputs in{.cr = &cr, .spec = nullptr, .observed = {}, .blockers = {}};
    absl::StatusOr<NameServiceSpec> spec = ParseNameService(cr);
    if (!spec.ok()) {
      in.blockers.invalid_spec = spec.status();
    } else {
      in.spec = &*spec;
      absl::StatusOr<std::vector<Json>> children =
          BuildNameServiceChildren(cr, *spec, options_.cluster);
      if (!children.ok()) {
        in.blockers.apply_error = children.status();
      } else {
        in.blockers.apply_error = co_await ApplyChildren(cr, *std::move(children));
      }
      const std::string sts_key =
          absl::StrCat(spec->ns, "/", NameServiceStatefulSetName(spec->name));
      if (const Json* sts = cache_->Get(Cache::kStatefulSet, sts_key)) {
        in.observed.stateful_sets[NameServiceStatefulSetName(spec->name)] = *sts;
      }
      for (const Json* pod : cache_->InNamespace(Cache::kPod, spec->ns)) {
        if (k8s::Label(*pod, kLabelNameServiceCr) == spec->name) in.observed.pods.push_back(*pod);
      }
    }
    Json status = ComputeNameServiceStatus(in, std::chrono::system_clock::now());
    absl::Status written = co_await WriteStatus(NameServices(), cr, std::move(status));
    result = !in.blockers.apply_error.ok() ? in.blockers.apply_error : written;
  }
  Record("NameService", result,
         std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  co_return Controller::Result{.status = result, .requeue_after = std::nullopt};
}

asio::awaitable<Controller::Result> Operator::ReconcileBroker(const std::string& key) {
  const auto t0 = std::chrono::steady_clock::now();
  absl::Status result = absl::OkStatus();
  bool waiting = false;
  const Json* cached = cache_->Get(Cache::kBroker, key);
  if (cached != nullptr && !k8s::IsBeingDeleted(*cached)) {
    const Json cr = WithLatestStatus(Brokers(), *cached);
    BrokerStatusInputs in{.cr = &cr,
                          .spec = nullptr,
                          .observed = {},
                          .blockers = {},
                          .groups_applied = 0,
                          .name_servers = "",
                          .operations = {}};
    absl::StatusOr<BrokerSpec> spec = ParseBroker(cr);
    const BrokerProgress progress = ReadBrokerProgress(cr);
    in.groups_applied = progress.size;
    absl::Status operation_error = absl::OkStatus();
    if (!spec.ok()) {
      in.blockers.invalid_spec = spec.status();
    } else {
      in.spec = &*spec;
      // Groups that exist: the status says so, and so do the StatefulSets (a lost status).
      int32_t existing = in.groups_applied;
      std::vector<const Json*> sets = cache_->InNamespace(Cache::kStatefulSet, spec->ns);
      for (const Json* sts : sets) {
        if (OwnerKey(*sts, "Broker") != key) continue;
        existing = std::max(existing, LabelNumber(*sts, kLabelBrokerGroup) + 1);
        in.observed.stateful_sets[k8s::Name(*sts)] = *sts;
      }
      for (const Json* pod : cache_->InNamespace(Cache::kPod, spec->ns)) {
        if (k8s::Label(*pod, kLabelBrokerCr) == spec->name) in.observed.pods.push_back(*pod);
      }
      const GroupDecision groups = DecideBrokerGroups(spec->size, existing);
      in.blockers.scale_in = groups.refused;

      std::vector<NameServiceSpec> name_services;
      for (const Json* ns : cache_->InNamespace(Cache::kNameService, spec->ns)) {
        absl::StatusOr<NameServiceSpec> n = ParseNameService(*ns);
        if (n.ok()) name_services.push_back(*std::move(n));
      }
      const NameServerChoice choice = ChooseNameServers(*spec, name_services, options_.cluster);
      std::vector<std::string> name_servers_not_serving;
      if (spec->name_servers.empty() && name_services.size() == 1) {
        std::vector<Json> name_server_pods;
        for (const Json* pod : cache_->InNamespace(Cache::kPod, spec->ns)) {
          if (k8s::Label(*pod, kLabelNameServiceCr) == name_services[0].name) {
            name_server_pods.push_back(*pod);
          }
        }
        name_servers_not_serving = NameServerPodsNotServing(name_services[0], name_server_pods);
      }

      std::string user_conf;
      if (std::optional<std::string> cm_name = UserConfigMapName(*spec)) {
        const Json* cm = cache_->Get(Cache::kConfigMap, absl::StrCat(spec->ns, "/", *cm_name));
        if (cm == nullptr) {
          in.blockers.missing_config = absl::StrCat("ConfigMap ", *cm_name, " (", kUserConfKey,
                                                    ", from spec.volumes) not found");
        } else {
          user_conf = cm->value(Json::json_pointer(std::string("/data/") + kUserConfKey), "");
        }
      }

      if (spec->cluster_mode == ClusterMode::kController) {
        in.blockers.unsupported =
            "clusterMode CONTROLLER (RocketMQ 5 controller mode) is not supported by this "
            "operator yet; use STATIC";
      } else if (!choice.waiting.empty()) {
        in.blockers.waiting_for = choice.waiting;
      } else if (in.blockers.missing_config.empty()) {
        const std::vector<BrokerPodView> pods = BrokerPodViews(in.observed.pods);
        in.operations.reported = true;
        operation_error = co_await PropagateNameServers(
            cr, progress, choice.list, name_servers_not_serving, pods, in.operations, waiting);
        BrokerSpec rendered = *spec;
        rendered.size = groups.groups;
        // The pods' ConfigMap carries the published list only (a pod that starts meanwhile gets
        // the old list and then the new one from the change under way).
        absl::StatusOr<BrokerChildren> children = BuildBrokerChildren(
            cr, rendered, {.user_conf = user_conf, .name_servers = in.operations.published},
            options_.agent);
        if (!children.ok()) {
          in.blockers.apply_error = children.status();
        } else {
          const bool conf_changed = NeedsApply(
              cache_->Get(Cache::kConfigMap, k8s::ObjectStore::KeyOf(children->config_map)),
              WithAppliedHash(children->config_map));
          in.blockers.apply_error = co_await ApplyChildren(cr, children->All());
          if (conf_changed && !children->conf.ignored_keys.empty()) {
            std::string keys;
            for (const std::string& k : children->conf.ignored_keys) {
              absl::StrAppend(&keys, keys.empty() ? "" : ", ", k);
            }
            Emit(cr, true, "IgnoredConfigKeys", "RenderConfig",
                 absl::StrCat(kUserConfKey, " sets keys the operator owns, ignored: ", keys));
          }
          in.groups_applied = groups.groups;
          in.name_servers = in.operations.published;
          if (in.blockers.apply_error.ok()) {
            absl::Status synced =
                co_await SyncMetadata(cr, progress, *spec, groups.groups, pods, in.operations);
            if (operation_error.ok()) operation_error = synced;
          } else {
            in.operations.reported = false;
          }
        }
      }
    }
    Json status = ComputeBrokerStatus(in, std::chrono::system_clock::now());
    absl::Status written = co_await WriteStatus(Brokers(), cr, std::move(status));
    result = !in.blockers.apply_error.ok() ? in.blockers.apply_error
             : !operation_error.ok()       ? operation_error
                                           : written;
  }
  Record("Broker", result,
         std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  Controller::Result out;
  out.status = result;
  if (waiting && result.ok()) out.requeue_after = options_.operation_poll;
  co_return out;
}

asio::awaitable<absl::Status> Operator::PropagateNameServers(const Json& cr,
                                                             const BrokerProgress& progress,
                                                             std::string desired,
                                                             std::vector<std::string> not_serving,
                                                             std::vector<BrokerPodView> pods,
                                                             BrokerOperations& ops, bool& waiting) {
  NameServerChangeState state;
  state.published = progress.published;
  state.target = progress.target;
  std::vector<BrokerNameServerView> views;
  NameServerDecision decision;
  absl::Status error = absl::OkStatus();
  const bool quiet = state.published.empty() ||
                     (SameNameServers(desired, state.published) && state.target.empty());
  for (int round = 0; round < 2; ++round) {
    views.clear();
    if (!quiet) {
      // Only while a change is under way: a broker that restarts at steady state reads the
      // published list from its ConfigMap. Every agent at once.
      std::vector<asio::awaitable<absl::StatusOr<agentpb::BrokerState>>> calls;
      std::vector<std::string> asked;
      for (const BrokerPodView& pod : pods) {
        if (pod.ip.empty()) {
          views.push_back(NameServerView(pod.name, absl::UnavailableError("no pod IP yet")));
          continue;
        }
        asked.push_back(pod.name);
        calls.push_back(agents_->GetBrokerState(AgentAddress(pod.ip), RegistrationsRequest()));
      }
      std::vector<absl::StatusOr<agentpb::BrokerState>> states =
          co_await net::WhenAll(executor_, std::move(calls));
      for (size_t i = 0; i < asked.size(); ++i) {
        views.push_back(NameServerView(asked[i], states[i]));
      }
    }
    decision = DecideNameServerChange(desired, state, views, not_serving);
    if (round == 1) break;
    // Give the new list to the brokers that lack it, waiting for their registrations; and ask
    // again for brokers that have the list but are not registered everywhere yet (a name server
    // that came up after the last call: the agent registers the broker there now instead of
    // leaving it to the broker's own list refresh, up to 120 s later).
    std::vector<std::string> to_update;
    for (const BrokerNameServerView& v : views) {
      const bool listed = std::find(decision.brokers.begin(), decision.brokers.end(), v.pod) !=
                          decision.brokers.end();
      if (listed && v.reachable &&
          (decision.action == NameServerAction::kUpdateBrokers ||
           decision.action == NameServerAction::kWait)) {
        to_update.push_back(v.pod);
      }
    }
    if (to_update.empty()) break;
    const bool giving = decision.action == NameServerAction::kUpdateBrokers;
    std::vector<std::string> failed;
    std::vector<std::string> names;
    std::vector<asio::awaitable<absl::StatusOr<agentpb::UpdateNameServersResponse>>> updates;
    for (const BrokerPodView& pod : pods) {
      if (std::find(to_update.begin(), to_update.end(), pod.name) == to_update.end()) continue;
      names.push_back(pod.name);
      updates.push_back(agents_->UpdateNameServers(AgentAddress(pod.ip),
                                                   UpdateRequest(decision.list, true),
                                                   options_.name_server_update_deadline));
    }
    std::vector<absl::StatusOr<agentpb::UpdateNameServersResponse>> updated =
        co_await net::WhenAll(executor_, std::move(updates));
    for (size_t i = 0; i < names.size(); ++i) {
      if (!updated[i].ok()) {
        failed.push_back(absl::StrCat(names[i], ": ", updated[i].status().message()));
      } else if (updated[i]->config_changed()) {
        log::Get("operator")
            ->info("{}: broker {} now has name servers {} (all registered: {}, after {} ms)",
                   k8s::ObjectStore::KeyOf(cr), names[i], decision.list,
                   updated[i]->all_registered(), updated[i]->registered_after_ms());
      }
    }
    if (!failed.empty()) {
      error = absl::UnavailableError(
          absl::StrCat("UpdateNameServers failed: ", absl::StrJoin(failed, "; ")));
      Emit(cr, true, "NameServerUpdateFailed", "UpdateNameServers", std::string(error.message()));
      break;
    }
    if (giving) {
      Emit(cr, false, "NameServersUpdated", "UpdateNameServers",
           absl::StrCat("gave ", names.size(), " broker(s) the name servers ", decision.list));
    }
  }

  ops.published = decision.next.published;
  ops.name_server_target = decision.next.target;
  ops.name_server_message = decision.message;
  if (!error.ok()) {
    ops.name_server_reason = "UpdateFailed";
    ops.name_server_message = std::string(error.message());
    co_return error;
  }
  switch (decision.action) {
    case NameServerAction::kNothing:
      ops.name_server_reason = kPropagated;
      break;
    case NameServerAction::kPublish:
      ops.name_server_reason = kPropagated;
      if (!state.published.empty()) {
        log::Get("operator")
            ->info("{}: name-server list published: {}", k8s::ObjectStore::KeyOf(cr),
                   decision.list);
        Emit(cr, false, "NameServersPublished", "PublishNameServers", decision.message);
      }
      break;
    case NameServerAction::kWait:
      ops.name_server_reason = "Propagating";
      for (const BrokerNameServerView& v : views) {
        if (!v.reachable) ops.name_server_reason = "WaitingForAgents";
      }
      if (decision.waiting_for_name_servers) ops.name_server_reason = "WaitingForNameServers";
      waiting = true;
      break;
    case NameServerAction::kUpdateBrokers:
      ops.name_server_reason = "Propagating";
      waiting = true;
      break;
  }
  co_return absl::OkStatus();
}

asio::awaitable<absl::Status> Operator::SyncMetadata(const Json& cr, const BrokerProgress& progress,
                                                     const BrokerSpec& spec, int32_t groups,
                                                     std::vector<BrokerPodView> pods,
                                                     BrokerOperations& ops) {
  std::set<int32_t> pending = GroupsNeedingSync(progress.size, groups);
  for (int32_t g : progress.pending_groups) {
    if (g < groups) pending.insert(g);
  }
  absl::Status error = absl::OkStatus();
  ops.sync_reason = kSynced;
  ops.sync_message = "every group added by a scale-out has the cluster's metadata";
  const std::set<int32_t> todo = pending;
  for (int32_t group : todo) {
    MetadataSyncPlan plan = PlanMetadataSync(group, pending, spec.scale_pod_name, pods);
    if (!plan.waiting.empty()) {
      ops.sync_reason = "WaitingForBrokers";
      ops.sync_message = absl::StrCat("group ", group, ": ", plan.waiting);
      // Pods turning ready enqueue the Broker: no need to look again before.
      break;
    }
    error = co_await CopyGroupMetadata(cr, spec, std::move(plan), ops);
    if (!error.ok()) break;
    pending.erase(group);
  }
  ops.pending_groups.assign(pending.begin(), pending.end());
  co_return error;
}

asio::awaitable<absl::Status> Operator::CopyGroupMetadata(const Json& cr, const BrokerSpec& spec,
                                                          MetadataSyncPlan plan,
                                                          BrokerOperations& ops) {
  auto log = log::Get("operator");
  const std::string key = k8s::ObjectStore::KeyOf(cr);
  const std::string broker_name = absl::StrCat(spec.name, "-", plan.group);
  auto fail = [&](absl::Status status) {
    ops.sync_reason = "SyncFailed";
    ops.sync_message = absl::StrCat("group ", plan.group, ": ", status.message());
    log->warn("{}: metadata sync of group {} failed: {}", key, plan.group, status.ToString());
    Emit(cr, true, "MetadataSyncFailed", "SyncMetadata", ops.sync_message);
    return status;
  };
  // The target must be this cluster's broker of that group, and its master: an address that now
  // belongs to another pod must never receive the copy (the agent checks the cluster too).
  absl::StatusOr<agentpb::BrokerState> target =
      co_await agents_->GetBrokerState(AgentAddress(plan.target_ip), {});
  if (!target.ok()) co_return fail(target.status());
  if (target->identity().cluster() != spec.name ||
      target->identity().broker_name() != broker_name || target->identity().broker_id() != 0) {
    co_return fail(absl::FailedPreconditionError(absl::StrCat(
        "refusing to import: ", plan.target_pod, " (", plan.target_ip, ") reports cluster '",
        target->identity().cluster(), "' broker '", target->identity().broker_name(), "' id ",
        target->identity().broker_id(), ", expected '", spec.name, "' '", broker_name, "' id 0")));
  }
  log->info("{}: copying topics and subscription groups from {} into {} (group {})", key,
            plan.source_pod, plan.target_pod, plan.group);
  agentpb::ExportMetadataRequest export_request;
  export_request.set_include_system(false);
  export_request.set_include_consumer_offsets(false);
  agentpb::ImportOptions options;
  options.set_existing(agentpb::EXISTING_POLICY_KEEP);
  options.set_expected_cluster(spec.name);
  const auto t0 = std::chrono::steady_clock::now();
  absl::StatusOr<AgentClient::CopyResult> copy = co_await agents_->CopyMetadata(
      AgentAddress(plan.source_ip), AgentAddress(plan.target_ip), std::move(export_request),
      std::move(options), options_.metadata_copy_deadline);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (!copy.ok()) co_return fail(copy.status());
  const agentpb::ImportMetadataResponse& imported = copy->imported;
  const uint32_t failed = imported.topics().failed() + imported.groups().failed();
  if (failed > 0) {
    const agentpb::ItemFailure& first = imported.failures(0);
    co_return fail(absl::AbortedError(absl::StrCat(failed, " item(s) not imported into ",
                                                   plan.target_pod, ", e.g. ", first.kind(), " ",
                                                   first.name(), ": ", first.reason())));
  }
  ops.last_sync = LastSync(plan, *copy, seconds);
  const std::string note = absl::StrCat(
      "group ", plan.group, ": ", copy->exported.topics(), " topics and ", copy->exported.groups(),
      " subscription groups from ", plan.source_pod, " in ", absl::StrFormat("%.1f", seconds),
      " s (created ", imported.topics().created() + imported.groups().created(), ")");
  log->info("{}: metadata synced, {}", key, note);
  Emit(cr, false, "MetadataSynced", "SyncMetadata", note);
  co_return absl::OkStatus();
}

}  // namespace rmq::controller
