#include "nodeagent/runtime/node_runtime.h"

#include <csignal>
#include <filesystem>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/k8s/api.h"
#include "common/k8s/objects.h"
#include "common/log/logger.h"
#include "nodeagent/plan/json_read.h"
#include "nodeagent/sandbox/command.h"
#include "nodeagent/sandbox/hosts_file.h"
#include "nodeagent/sandbox/network.h"
#include "nodeagent/sandbox/process.h"

namespace rmq::nodeagent {
namespace {

namespace asio = boost::asio;
using json::Str;

std::shared_ptr<spdlog::logger> Log() { return log::Get("nodeagent.runtime"); }

// Kills what a record names, if the pid still names the recorded process.
void KillRecorded(const PodRecord& record) {
  for (const ContainerRecord& c : record.containers) {
    if (c.identity.pid == 0) continue;
    absl::StatusOr<ProcessIdentity> now = ReadProcessIdentity(c.identity.pid);
    if (!now.ok() || *now != c.identity) continue;
    (void)SignalProcessGroup(c.identity.pid, SIGKILL);
    (void)SignalProcess(c.identity.pid, SIGKILL);
  }
}

// Kills every process inside the network namespace `netns` (`ip netns pids`): what an agent
// that lost its records (a crash with its state directory gone) left running.
void KillProcessesIn(const std::string& netns) {
  absl::StatusOr<std::string> pids = RunChecked({"ip", "netns", "pids", netns});
  if (!pids.ok()) return;
  for (absl::string_view line : absl::StrSplit(*pids, '\n', absl::SkipEmpty())) {
    int pid = 0;
    if (!absl::SimpleAtoi(line, &pid) || pid <= 1) continue;
    Log()->info("killing process {} left in {}", pid, netns);
    (void)SignalProcessGroup(pid, SIGKILL);
    (void)SignalProcess(pid, SIGKILL);
  }
}

}  // namespace

NodeRuntime::NodeRuntime(k8s::Client& client, const asio::any_io_executor& executor,
                         asio::thread_pool& blocking, const ImageMap& images, RuntimeConfig config)
    : client_(client),
      executor_(executor),
      config_(std::move(config)),
      pods_(client, k8s::Pods(),
            {.field_selector = absl::StrCat("spec.nodeName=", config_.node_name)}),
      config_maps_(client, k8s::ConfigMaps(), {}),
      secrets_(client, k8s::Secrets(), {}),
      claims_(client, k8s::PersistentVolumeClaims(), {}),
      wake_(executor) {
  services_.client = &client_;
  services_.executor = executor_;
  services_.blocking = &blocking;
  services_.images = &images;
  services_.config = &config_;
  services_.lookup = [this](std::string_view kind, std::string_view ns, std::string_view name) {
    return Lookup(kind, ns, name);
  };
  services_.render_hosts = [this](const Json& pod, const std::string& ip) {
    return RenderHosts(pod, ip);
  };
  services_.network_changed = [this] { RefreshHosts(); };
  pods_.AddHandler([this](const k8s::ObjectEvent& event) { OnPodEvent(event); });
}

NodeRuntime::~NodeRuntime() = default;

absl::StatusOr<Json> NodeRuntime::Lookup(std::string_view kind, std::string_view ns,
                                         std::string_view name) const {
  const k8s::Informer* informer = nullptr;
  if (kind == "ConfigMap") informer = &config_maps_;
  if (kind == "Secret") informer = &secrets_;
  if (kind == "PersistentVolumeClaim") informer = &claims_;
  if (informer == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("unknown kind ", std::string(kind)));
  }
  if (!informer->HasSynced()) {
    return absl::UnavailableError(absl::StrCat(std::string(kind), "s are not listed yet"));
  }
  const Json* object = informer->store().Get(absl::StrCat(std::string(ns), "/", std::string(name)));
  if (object == nullptr) {
    return absl::NotFoundError(absl::StrCat(std::string(kind), " \"", std::string(ns), "/",
                                            std::string(name), "\" not found"));
  }
  return *object;
}

std::string NodeRuntime::RenderHosts(const Json& pod, const std::string& ip) const {
  const Json& spec = pod["spec"];
  PodHostsSpec hosts{.pod_name = k8s::Name(pod),
                     .pod_ip = ip,
                     .hostname = Str(spec, "hostname"),
                     .subdomain = Str(spec, "subdomain"),
                     .pod_namespace = k8s::Namespace(pod),
                     .cluster_domain = config_.cluster_domain,
                     .peers = {}};
  // Every pod with DNS names (a subdomain), in any namespace: cluster DNS resolves them all.
  for (const auto& [uid, worker] : workers_) {
    const Json& other = worker->pod();
    if (uid == k8s::Uid(pod) || worker->ip().empty()) continue;
    const std::string subdomain = Str(other["spec"], "subdomain");
    if (subdomain.empty()) continue;
    std::string host = Str(other["spec"], "hostname");
    if (host.empty()) host = k8s::Name(other);
    hosts.peers.push_back({.hostname = host,
                           .ip = worker->ip(),
                           .subdomain = subdomain,
                           .pod_namespace = k8s::Namespace(other)});
  }
  return RenderHostsFile(hosts);
}

void NodeRuntime::RefreshHosts() {
  for (auto& [uid, worker] : workers_) {
    if (worker->ip().empty()) continue;
    worker->WriteHosts(RenderHosts(worker->pod(), worker->ip()));
  }
}

void NodeRuntime::EnsureWorker(const Json& pod) {
  const std::string uid = k8s::Uid(pod);
  if (uid.empty() || stopping_) return;
  auto it = workers_.find(uid);
  if (it != workers_.end()) {
    it->second->Update(pod);
    return;
  }
  if (finished_.contains(uid)) return;
  std::optional<PodRecord> record;
  if (auto r = records_.find(uid); r != records_.end()) {
    record = std::move(r->second);
    records_.erase(r);
    ++stats_.adopted_pods;
    Log()->info("adopting pod {}/{} ({})", k8s::Namespace(pod), k8s::Name(pod), uid);
  }
  auto worker = std::make_unique<PodWorker>(services_, pod, std::move(record));
  PodWorker* raw = worker.get();
  workers_.emplace(uid, std::move(worker));
  ++stats_.workers_started;
  ++running_;
  asio::co_spawn(executor_, raw->Run(), [this, uid](const std::exception_ptr& error) {
    if (error) {
      try {
        std::rethrow_exception(error);
      } catch (const std::exception& e) {
        Log()->error("pod worker {} failed: {}", uid, e.what());
      }
    }
    workers_.erase(uid);
    finished_.insert(uid);
    --running_;
    RefreshHosts();
    wake_.cancel();
  });
}

void NodeRuntime::OnPodEvent(const k8s::ObjectEvent& event) {
  if (!synced_) return;  // the first list is handled by AdoptAndClean()
  const std::string uid = k8s::Uid(event.object);
  if (event.type == k8s::ObjectEvent::Type::kDeleted) {
    if (auto it = workers_.find(uid); it != workers_.end()) it->second->Vanished();
    return;
  }
  EnsureWorker(event.object);
}

void NodeRuntime::AdoptAndClean() {
  std::set<std::string> live_uids;
  for (const std::string& key : pods_.store().Keys()) {
    const Json* pod = pods_.store().Get(key);
    if (pod != nullptr) live_uids.insert(k8s::Uid(*pod));
  }
  // Records of pods that are gone: kill, delete, forget.
  std::set<std::string> kept_netns;
  for (auto it = records_.begin(); it != records_.end();) {
    if (live_uids.contains(it->first)) {
      if (!it->second.netns.empty()) kept_netns.insert(it->second.netns);
      ++it;
      continue;
    }
    const PodRecord& r = it->second;
    Log()->info("cleaning up pod {}/{} ({}): no longer bound to this node", r.namespace_name,
                r.name, r.uid);
    KillRecorded(r);
    if (!r.netns.empty()) (void)DeletePodNetwork(r.netns);
    if (!r.ip.empty()) ips_->Release(r.ip);
    std::error_code ec;
    std::filesystem::remove_all(PodDirectory(config_.state_dir, r.uid), ec);
    ++stats_.cleaned_records;
    it = records_.erase(it);
  }
  absl::StatusOr<std::vector<std::string>> namespaces = ListPodNetworks(config_.prefixes.netns);
  if (namespaces.ok()) {
    for (const std::string& ns : *namespaces) {
      if (kept_netns.contains(ns)) continue;
      Log()->info("deleting pod network {}: no pod of this node uses it", ns);
      KillProcessesIn(ns);
      if (absl::Status s = DeletePodNetwork(ns); !s.ok()) {
        Log()->warn("deleting {}: {}", ns, s.ToString());
      }
      ++stats_.cleaned_namespaces;
    }
  } else {
    Log()->warn("listing pod networks: {}", namespaces.status().ToString());
  }
  synced_ = true;
  for (const std::string& key : pods_.store().Keys()) {
    const Json* pod = pods_.store().Get(key);
    if (pod != nullptr) EnsureWorker(*pod);
  }
  // Records whose pod is live but never got a worker (stopping) stay on disk for the next start.
}

void NodeRuntime::Stop(bool stop_pods) {
  if (stopping_) return;
  stopping_ = true;
  stop_pods_ = stop_pods;
  pods_.Stop();
  config_maps_.Stop();
  secrets_.Stop();
  claims_.Stop();
  for (auto& [uid, worker] : workers_) worker->Shutdown(stop_pods);
  wake_.cancel();
}

asio::awaitable<absl::Status> NodeRuntime::Run() {
  absl::StatusOr<IpAllocator> ips =
      IpAllocator::Create(config_.bridge.cidr, config_.bridge.gateway);
  if (!ips.ok()) co_return ips.status();
  ips_.emplace(std::move(*ips));
  services_.ips = &*ips_;
  if (absl::Status bridge = EnsureBridge(config_.bridge); !bridge.ok()) co_return bridge;

  absl::StatusOr<PodRecords> records = ReadPodRecords(config_.state_dir);
  if (!records.ok()) co_return records.status();
  for (const std::string& uid : records->broken) {
    Log()->warn("removing pod directory {} without a readable state", uid);
    std::error_code ec;
    std::filesystem::remove_all(PodDirectory(config_.state_dir, uid), ec);
  }
  for (PodRecord& r : records->records) {
    if (!r.ip.empty()) {
      if (absl::Status s = ips_->Adopt(r.ip); !s.ok()) {
        Log()->warn("pod {}: recorded address {}: {}", r.uid, r.ip, s.ToString());
      }
    }
    records_.emplace(r.uid, std::move(r));
  }

  int informers = 0;
  auto start = [&](k8s::Informer& informer) {
    ++informers;
    asio::co_spawn(executor_, informer.Run(), [this, &informers](const std::exception_ptr&) {
      --informers;
      wake_.cancel();
    });
  };
  // Workers start once every cache is filled: a pod adopted before its ConfigMaps are listed
  // would report a missing ConfigMap for a moment.
  int unsynced = 4;
  auto synced = [this, &unsynced] {
    if (--unsynced > 0) return;
    AdoptAndClean();
    wake_.cancel();
  };
  pods_.OnSynced(synced);
  config_maps_.OnSynced(synced);
  secrets_.OnSynced(synced);
  claims_.OnSynced(synced);
  start(config_maps_);
  start(secrets_);
  start(claims_);
  start(pods_);
  Log()->info("pod runtime of node {} started ({} pod records)", config_.node_name,
              records_.size());

  // Woken by Stop(), and by every worker and informer that ends.
  while (!stopping_ || running_ > 0 || informers > 0) {
    boost::system::error_code ec;
    wake_.expires_at(asio::steady_timer::time_point::max());
    co_await wake_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
  if (stop_pods_) {
    // Nothing of ours is left: the bridge goes too.
    if (absl::Status s = DeleteBridge(config_.bridge); !s.ok()) {
      Log()->warn("deleting bridge {}: {}", config_.bridge.name, s.ToString());
    }
  }
  Log()->info("pod runtime stopped");
  co_return absl::OkStatus();
}

}  // namespace rmq::nodeagent
