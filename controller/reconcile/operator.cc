#include "controller/reconcile/operator.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <functional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/k8s/objects.h"
#include "common/log/logger.h"
#include "controller/api/spec.h"
#include "controller/desired/broker.h"
#include "controller/desired/names.h"
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

  for (auto& i : cache_->Of(Cache::kNameService)) {
    i->AddHandler([this](const k8s::ObjectEvent& e) {
      name_services_->Enqueue(k8s::ObjectStore::KeyOf(e.object));
      EnqueueBrokersOfNamespace(k8s::Namespace(e.object), /*only_without_name_servers=*/true);
    });
  }
  for (auto& i : cache_->Of(Cache::kBroker)) {
    i->AddHandler([this](const k8s::ObjectEvent& e) {
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
  Json patch = Json::object();
  patch["status"] = status;
  absl::StatusOr<Json> patched =
      co_await client_.MergePatch(type, ns, name, std::move(patch), "status");
  CountWrite(type.plural, "status");
  if (!patched.ok()) co_return patched.status();
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
    const Json cr = *cached;  // the cache may change while this coroutine waits
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
  const Json* cached = cache_->Get(Cache::kBroker, key);
  if (cached != nullptr && !k8s::IsBeingDeleted(*cached)) {
    const Json cr = *cached;
    BrokerStatusInputs in{.cr = &cr,
                          .spec = nullptr,
                          .observed = {},
                          .blockers = {},
                          .groups_applied = 0,
                          .name_servers = ""};
    absl::StatusOr<BrokerSpec> spec = ParseBroker(cr);
    in.groups_applied = cr.value("/status/size"_json_pointer, 0);
    if (!spec.ok()) {
      in.blockers.invalid_spec = spec.status();
    } else {
      in.spec = &*spec;
      // Groups that exist: the status says so, and so do the StatefulSets (a lost status).
      int32_t existing = in.groups_applied;
      std::vector<const Json*> sets = cache_->InNamespace(Cache::kStatefulSet, spec->ns);
      for (const Json* sts : sets) {
        if (OwnerKey(*sts, "Broker") != key) continue;
        std::optional<std::string> g = k8s::Label(*sts, kLabelBrokerGroup);
        if (g && !g->empty() && std::all_of(g->begin(), g->end(), ::isdigit) && g->size() < 5) {
          existing = std::max(existing, std::stoi(*g) + 1);
        }
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
        BrokerSpec rendered = *spec;
        rendered.size = groups.groups;
        absl::StatusOr<BrokerChildren> children = BuildBrokerChildren(
            cr, rendered, {.user_conf = user_conf, .name_servers = choice.list}, options_.agent);
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
          in.name_servers = choice.list;
        }
      }
    }
    Json status = ComputeBrokerStatus(in, std::chrono::system_clock::now());
    absl::Status written = co_await WriteStatus(Brokers(), cr, std::move(status));
    result = !in.blockers.apply_error.ok() ? in.blockers.apply_error : written;
  }
  Record("Broker", result,
         std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  co_return Controller::Result{.status = result, .requeue_after = std::nullopt};
}

}  // namespace rmq::controller
