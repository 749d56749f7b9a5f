#include "nodeagent/runtime/pod_worker.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <csignal>
#include <filesystem>
#include <system_error>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "common/base/status_macros.h"
#include "common/k8s/api.h"
#include "common/k8s/objects.h"
#include "common/log/logger.h"
#include "nodeagent/plan/json_read.h"
#include "nodeagent/runtime/prober.h"
#include "nodeagent/sandbox/hosts_file.h"
#include "nodeagent/sandbox/process.h"
#include "nodeagent/sandbox/process_watcher.h"
#include "nodeagent/status/pod_status.h"
#include "nodeagent/status/probe_tracker.h"
#include "nodeagent/status/restart.h"

namespace rmq::nodeagent {
namespace {

namespace asio = boost::asio;
namespace fs = std::filesystem;
using json::Field;
using json::Int;
using json::Str;
using std::chrono::steady_clock;
using std::chrono::system_clock;

std::shared_ptr<spdlog::logger> Log() { return log::Get("nodeagent.pod"); }

constexpr std::chrono::seconds kPrepareBackoffMax{30};
constexpr std::chrono::seconds kStartFailureBackoff{10};

steady_clock::time_point ToSteady(system_clock::time_point t) {
  const auto delta = t - system_clock::now();
  return steady_clock::now() + std::chrono::duration_cast<steady_clock::duration>(delta);
}

std::optional<system_clock::time_point> ParseTime(const Json& obj, std::string_view key) {
  std::string text = Str(obj, key);
  absl::Time t;
  std::string err;
  if (text.empty() || !absl::ParseTime(absl::RFC3339_full, text, &t, &err)) return std::nullopt;
  return absl::ToChronoTime(t);
}

// A terminated state as the API wrote it (for containers the agent adopts).
std::optional<ContainerState> TerminatedFromJson(const Json& state) {
  const Json* t = Field(state, "terminated");
  if (t == nullptr) return std::nullopt;
  ContainerState s = ContainerState::Terminated(
      0, static_cast<int32_t>(Int(*t, "exitCode").value_or(0)),
      ParseTime(*t, "startedAt").value_or(system_clock::time_point{}),
      ParseTime(*t, "finishedAt").value_or(system_clock::time_point{}), Str(*t, "reason"));
  s.message = Str(*t, "message");
  s.signal = static_cast<int32_t>(Int(*t, "signal").value_or(0));
  const std::string id = Str(*t, "containerID");
  if (id.rfind("proc://", 0) == 0) s.pid = std::atoll(id.c_str() + 7);
  return s;
}

// The container's status as last written, or null.
const Json* PreviousContainerStatus(const Json& status, bool init, const std::string& name) {
  for (const Json& c : json::Array(status, init ? "initContainerStatuses" : "containerStatuses")) {
    if (Str(c, "name") == name) return &c;
  }
  return nullptr;
}

bool GroupAlive(pid_t pgid) { return ::kill(-pgid, 0) == 0 || errno == EPERM; }

std::vector<std::string> EnvStrings(const EnvList& env) {
  std::vector<std::string> out;
  out.reserve(env.size());
  for (const EnvVar& v : env) out.push_back(absl::StrCat(v.name, "=", v.value));
  return out;
}

absl::Status WriteFileAtomically(const std::string& path, const std::string& content,
                                 uint32_t mode) {
  std::error_code ec;
  fs::create_directories(fs::path(path).parent_path(), ec);
  if (ec) return absl::InternalError(absl::StrCat("mkdir for ", path, ": ", ec.message()));
  const std::string tmp = path + ".rmq-tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode & 07777);
  if (fd < 0) return absl::InternalError(absl::StrCat("open ", tmp, ": ", std::strerror(errno)));
  size_t done = 0;
  while (done < content.size()) {
    ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      ::close(fd);
      return absl::InternalError(absl::StrCat("write ", tmp, ": ", std::strerror(err)));
    }
    done += static_cast<size_t>(n);
  }
  ::fchmod(fd, mode & 07777);
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    return absl::InternalError(absl::StrCat("rename ", tmp, ": ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

// Replaces the content of a projected volume directory with exactly `files`.
absl::Status WriteVolumeFiles(const std::string& dir, const std::vector<VolumeFile>& files) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return absl::InternalError(absl::StrCat("mkdir ", dir, ": ", ec.message()));
  std::set<std::string> wanted;
  for (const VolumeFile& f : files) {
    wanted.insert(f.path);
    RMQ_RETURN_IF_ERROR(WriteFileAtomically(dir + "/" + f.path, f.content, f.mode));
  }
  // Files that are no longer part of the volume (top level only: nested paths are rare).
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (entry.is_regular_file(ec) && !wanted.contains(name)) {
      bool nested_prefix = false;
      for (const std::string& w : wanted) nested_prefix |= w.rfind(name + "/", 0) == 0;
      if (!nested_prefix) fs::remove(entry.path(), ec);
    }
  }
  return absl::OkStatus();
}

absl::Status PrepareHostPath(const VolumePlan& v) {
  std::error_code ec;
  const fs::path p(v.host_path);
  const std::string& type = v.host_path_type;
  if (type == "DirectoryOrCreate") {
    fs::create_directories(p, ec);
    if (ec) return absl::InternalError(absl::StrCat("hostPath ", v.host_path, ": ", ec.message()));
  } else if (type == "FileOrCreate") {
    if (!fs::exists(p, ec)) {
      fs::create_directories(p.parent_path(), ec);
      int fd = ::open(v.host_path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
      if (fd < 0) {
        return absl::InternalError(
            absl::StrCat("hostPath ", v.host_path, ": ", std::strerror(errno)));
      }
      ::close(fd);
    }
  } else {
    // The kinds that must already exist, checked as the kubelet checks them.
    struct Check {
      const char* type;
      bool (*is)(const fs::path&, std::error_code&) noexcept;
      const char* what;
    };
    static constexpr std::array<Check, 5> kChecks = {{
        {"Directory", fs::is_directory, "a directory"},
        {"File", fs::is_regular_file, "a file"},
        {"Socket", fs::is_socket, "a socket"},
        {"CharDevice", fs::is_character_file, "a character device"},
        {"BlockDevice", fs::is_block_file, "a block device"},
    }};
    for (const Check& check : kChecks) {
      if (type == check.type && !check.is(p, ec)) {
        return absl::NotFoundError(
            absl::StrCat("hostPath type check failed: ", v.host_path, " is not ", check.what));
      }
    }
  }
  return absl::OkStatus();
}

// How a container's image is run: overlaid (the image's top-level directories over the host's),
// or, for an image whose top-level entries do not exist on the host (the build directory standing
// for the agent and operator images), as a binary at its host path with no overlay.
struct ImageLaunch {
  std::string image_root{};  // for SpawnSpec::image_root; "" = none
  std::vector<std::string> argv{};
  std::string working_dir{};
};

absl::StatusOr<ImageLaunch> ResolveImage(const ContainerPlan& plan) {
  ImageLaunch out{.image_root = "", .argv = plan.argv, .working_dir = plan.working_dir};
  if (plan.image_root.empty()) return out;
  std::error_code ec;
  const fs::path root = fs::canonical(plan.image_root, ec);
  if (ec) {
    return absl::NotFoundError(
        absl::StrCat("image ", plan.image, ": root ", plan.image_root, ": ", ec.message()));
  }
  if (root == "/") return out;  // the host's own file system
  bool overlay = true;
  for (const auto& entry : fs::directory_iterator(root, ec)) {
    if (!entry.is_directory(ec)) continue;
    if (!fs::is_directory(fs::path("/") / entry.path().filename(), ec)) overlay = false;
  }
  if (overlay) {
    out.image_root = root.string();
    return out;
  }
  if (!out.argv.empty() && out.argv[0].starts_with("/")) {
    const fs::path binary = root / out.argv[0].substr(1);
    if (fs::exists(binary, ec)) out.argv[0] = binary.string();
  }
  if (!fs::is_directory(out.working_dir, ec)) out.working_dir = "/";
  return out;
}

}  // namespace

// ---------------------------------------------------------------------------------------------

struct PodWorker::Container {
  Container(const asio::any_io_executor& executor, ContainerPlan p, bool is_init)
      : plan(std::move(p)),
        init(is_init),
        sidecar(is_init && plan.restart_policy == RestartPolicy::kAlways),
        probes(plan.startup_probe, plan.readiness_probe, plan.liveness_probe),
        wake(executor) {
    status.name = plan.name;
    status.state = ContainerState::Waiting(std::string(kReasonContainerCreating));
  }

  ContainerPlan plan;
  bool init = false;
  bool sidecar = false;
  ContainerRuntimeStatus status{};
  ProbeTracker probes;
  std::unique_ptr<ProcessWatcher> watcher{};
  std::optional<ExitStatus> exited{};
  std::optional<ContainerState> last_terminated{};
  std::chrono::seconds backoff{0};
  std::optional<system_clock::time_point> restart_at{};
  system_clock::time_point started_at{};
  bool ever_started = false;
  bool done = false;       // stopped for good
  bool completed = false;  // an init container that exited 0
  bool adopted_unprobed = false;
  std::shared_ptr<bool> alive = std::make_shared<bool>(true);
  asio::steady_timer wake;

  ~Container() { *alive = false; }
};

PodWorker::PodWorker(RuntimeServices& services, Json pod, std::optional<PodRecord> record)
    : services_(services),
      pod_(std::move(pod)),
      uid_(k8s::Uid(pod_)),
      key_(absl::StrCat(k8s::Namespace(pod_), "/", k8s::Name(pod_))),
      adopted_(std::move(record)),
      wake_(services.executor),
      status_wake_(services.executor) {
  pod_dir_ = PodDirectory(services_.config->state_dir, uid_);
  log_dir_ = absl::StrCat(services_.config->state_dir, "/logs/", k8s::Namespace(pod_), "_",
                          k8s::Name(pod_), "_", uid_);
  record_.uid = uid_;
  record_.namespace_name = k8s::Namespace(pod_);
  record_.name = k8s::Name(pod_);
  record_.accepted_at_ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(system_clock::now().time_since_epoch())
          .count();
  if (adopted_) {
    record_.accepted_at_ns = adopted_->accepted_at_ns;
    record_.containers = adopted_->containers;
  }
  const Json* status = Field(pod_, "status");
  last_written_ = status != nullptr ? *status : Json::object();
  // An adopted pod's status stays as the earlier agent wrote it until its containers are adopted
  // and probed again.
  holding_status_ = adopted_.has_value();
}

PodWorker::~PodWorker() = default;

void PodWorker::Update(Json pod) {
  if (k8s::Uid(pod) != uid_) return;
  pod_ = std::move(pod);
  if (Field(pod_["metadata"], "deletionTimestamp") != nullptr && stop_ == Stop::kNone) {
    stop_ = Stop::kDelete;
    Log()->info("pod {} is being deleted (grace {}s)", key_, GracePeriod().count());
  }
  wake_.cancel();
  for (auto& c : init_containers_) c->wake.cancel();
  for (auto& c : containers_) c->wake.cancel();
}

void PodWorker::Vanished() {
  if (stop_ == Stop::kNone || stop_ == Stop::kDelete) stop_ = Stop::kVanished;
  wake_.cancel();
  for (auto& c : init_containers_) c->wake.cancel();
  for (auto& c : containers_) c->wake.cancel();
}

void PodWorker::Shutdown(bool stop_containers) {
  if (stop_ == Stop::kNone) stop_ = stop_containers ? Stop::kShutdownStop : Stop::kShutdownKeep;
  wake_.cancel();
  status_wake_.cancel();
  for (auto& c : init_containers_) c->wake.cancel();
  for (auto& c : containers_) c->wake.cancel();
}

std::chrono::seconds PodWorker::GracePeriod() const {
  std::optional<int64_t> grace = Int(pod_["metadata"], "deletionGracePeriodSeconds");
  if (!grace) grace = Int(pod_["spec"], "terminationGracePeriodSeconds");
  return std::chrono::seconds(std::max<int64_t>(0, grace.value_or(30)));
}

void PodWorker::MarkDirty() {
  dirty_ = true;
  status_wake_.cancel();
  wake_.cancel();
}

void PodWorker::SaveRecord() {
  record_.ip = ip_;
  record_.netns = network_ ? network_->netns : "";
  std::vector<ContainerRecord> containers;
  auto add = [&](const Container& c) {
    ContainerRecord r{.name = c.plan.name,
                      .init = c.init,
                      .identity = c.watcher ? c.watcher->identity() : ProcessIdentity{},
                      .started_at_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                                           c.started_at.time_since_epoch())
                                           .count(),
                      .completed = c.completed};
    containers.push_back(r);
  };
  for (const auto& c : init_containers_) add(*c);
  for (const auto& c : containers_) add(*c);
  if (!init_containers_.empty() || !containers_.empty()) record_.containers = containers;
  if (absl::Status s = WritePodRecord(services_.config->state_dir, record_); !s.ok()) {
    Log()->error("pod {}: cannot save its state: {}", key_, s.ToString());
  }
}

void PodWorker::WriteHosts(const std::string& content) {
  if (!network_ || content == hosts_content_) return;
  if (absl::Status s = WriteFileInPlace(pod_dir_ + "/hosts", content); !s.ok()) {
    Log()->warn("pod {}: hosts file: {}", key_, s.ToString());
    return;
  }
  hosts_content_ = content;
}

void PodWorker::ReportWaiting(const std::string& reason, const std::string& message) {
  if (waiting_reason_ != reason || waiting_message_ != message) {
    Log()->warn("pod {}: {}: {}", key_, reason, message);
    waiting_reason_ = reason;
    waiting_message_ = message;
    MarkDirty();
  }
}

asio::awaitable<void> PodWorker::SleepUntil(asio::steady_timer& timer,
                                            steady_clock::time_point deadline) {
  timer.expires_at(deadline);
  boost::system::error_code ec;
  co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
}

// --- sandbox, plan, volumes -------------------------------------------------------------------

asio::awaitable<absl::Status> PodWorker::PrepareSandbox() {
  std::error_code ec;
  fs::create_directories(pod_dir_, ec);
  if (ec) co_return absl::InternalError(absl::StrCat("mkdir ", pod_dir_, ": ", ec.message()));
  if (json::Bool(pod_["spec"], "hostNetwork")) {
    ip_ = services_.config->node_ip;
    sandbox_ready_ = true;
    co_return absl::OkStatus();
  }
  if (network_) co_return absl::OkStatus();
  RMQ_CO_ASSIGN_OR_RETURN(PodNetworkNames names,
                          PodNetworkNamesFor(uid_, services_.config->prefixes));
  std::string ip;
  if (adopted_ && !adopted_->ip.empty() && services_.ips->InUse(adopted_->ip)) {
    ip = adopted_->ip;  // the runtime adopted it into the allocator
  } else {
    absl::StatusOr<std::string> allocated = services_.ips->Allocate();
    if (!allocated.ok()) co_return allocated.status();
    ip = *allocated;
  }
  absl::StatusOr<PodNetwork> net = CreatePodNetwork({.netns = names.netns,
                                                     .host_veth = names.host_veth,
                                                     .bridge = services_.config->bridge.name,
                                                     .ip = ip,
                                                     .prefix_len = services_.ips->prefix_len()});
  if (!net.ok()) {
    services_.ips->Release(ip);
    co_return net.status();
  }
  network_ = *net;
  ip_ = ip;
  hosts_content_.clear();
  WriteHosts(services_.render_hosts(pod_, ip_));
  if (hosts_content_.empty()) {
    co_return absl::InternalError(absl::StrCat("cannot write ", pod_dir_, "/hosts"));
  }
  sandbox_ready_ = true;
  SaveRecord();
  Log()->info("pod {}: network {} address {}{}", key_, names.netns, ip_,
              net->adopted ? " (adopted)" : "");
  services_.network_changed();
  MarkDirty();
  co_return absl::OkStatus();
}

absl::Status PodWorker::BuildPlan() {
  PlanContext ctx{.node_name = services_.config->node_name,
                  .node_ip = services_.config->node_ip,
                  .pod_ip = ip_,
                  .pod_ips = {},
                  .pod_dir = pod_dir_,
                  .pv_root = services_.config->pv_root,
                  .cluster_domain = services_.config->cluster_domain,
                  .lookup = services_.lookup,
                  .images = services_.images,
                  .service_env = {}};
  RMQ_ASSIGN_OR_RETURN(PodPlan plan, BuildPodPlan(pod_, ctx));
  plan_ = std::move(plan);
  return absl::OkStatus();
}

asio::awaitable<absl::Status> PodWorker::PrepareVolumes() {
  for (VolumePlan& v : plan_->volumes) {
    std::error_code ec;
    switch (v.kind) {
      case VolumeKind::kEmptyDir:
      case VolumeKind::kPersistentVolumeClaim:
        fs::create_directories(v.host_path, ec);
        if (ec) {
          co_return absl::InternalError(absl::StrCat("mkdir ", v.host_path, ": ", ec.message()));
        }
        break;
      case VolumeKind::kHostPath: {
        absl::Status s = PrepareHostPath(v);
        if (!s.ok()) co_return s;
        break;
      }
      default:
        break;
    }
    bool has_files = v.kind == VolumeKind::kConfigMap || v.kind == VolumeKind::kSecret ||
                     v.kind == VolumeKind::kDownwardApi || v.kind == VolumeKind::kProjected;
    if (!has_files) continue;
    for (VolumeFile& f : v.files) {
      if (!f.token) continue;
      Json request = {
          {"apiVersion", "authentication.k8s.io/v1"},
          {"kind", "TokenRequest"},
          {"metadata", {{"name", f.token->service_account}, {"namespace", k8s::Namespace(pod_)}}},
          {"spec",
           {{"expirationSeconds", f.token->expiration_seconds},
            {"boundObjectRef",
             {{"apiVersion", "v1"}, {"kind", "Pod"}, {"name", k8s::Name(pod_)}, {"uid", uid_}}}}}};
      if (!f.token->audience.empty()) {
        request["spec"]["audiences"] = Json::array({f.token->audience});
      }
      absl::StatusOr<Json> answer =
          co_await services_.client->Create(k8s::ServiceAccounts(), std::move(request), "token");
      if (!answer.ok()) {
        co_return absl::UnavailableError(absl::StrCat("service account token for volume ", v.name,
                                                      ": ", answer.status().message()));
      }
      f.content = Str((*answer)["status"], "token");
    }
    absl::Status written = WriteVolumeFiles(v.host_path, v.files);
    if (!written.ok()) co_return written;
  }
  co_return absl::OkStatus();
}

// --- containers -------------------------------------------------------------------------------

void PodWorker::AdoptContainers() {
  auto find = [&](const std::string& name, bool init) -> Container* {
    for (auto& c : init ? init_containers_ : containers_) {
      if (c->plan.name == name) return c.get();
    }
    return nullptr;
  };
  // Restart counts and previous states come from the status in the API.
  for (auto* list : {&init_containers_, &containers_}) {
    for (auto& c : *list) {
      const Json* prev = PreviousContainerStatus(last_written_, c->init, c->plan.name);
      if (prev == nullptr) continue;
      c->status.restart_count = static_cast<int32_t>(Int(*prev, "restartCount").value_or(0));
      c->last_terminated = TerminatedFromJson((*prev)["lastState"]);
      c->status.last_state = c->last_terminated;
      const Json& state = (*prev)["state"];
      c->ever_started = Field(state, "running") != nullptr ||
                        Field(state, "terminated") != nullptr || c->last_terminated.has_value();
    }
  }
  if (!adopted_) return;
  holding_status_ = false;  // set again below for each running container to be probed
  for (const ContainerRecord& r : adopted_->containers) {
    Container* c = find(r.name, r.init);
    if (c == nullptr) continue;
    c->started_at = system_clock::time_point(std::chrono::duration_cast<system_clock::duration>(
        std::chrono::nanoseconds(r.started_at_ns)));
    if (r.completed) {
      c->completed = true;
      c->done = true;
      c->ever_started = true;
      const Json* prev = PreviousContainerStatus(last_written_, true, r.name);
      std::optional<ContainerState> t =
          prev != nullptr ? TerminatedFromJson((*prev)["state"]) : std::nullopt;
      c->status.state = t.value_or(ContainerState::Terminated(0, 0, c->started_at, c->started_at));
      continue;
    }
    if (r.identity.pid == 0) {
      // Not running when the earlier agent stopped: it exited. Restart it if its policy says so,
      // with the exit it had; else it stays as it ended.
      const Json* prev = PreviousContainerStatus(last_written_, r.init, r.name);
      std::optional<ContainerState> t =
          prev != nullptr ? TerminatedFromJson((*prev)["state"]) : std::nullopt;
      if (!t) continue;  // never started: start it
      c->status.state = *t;
      c->last_terminated = t;
      c->ever_started = true;
      const RestartPolicy policy =
          ContainerRestartPolicy(plan_->restart_policy, c->init, c->plan.restart_policy);
      if (!ShouldRestart(policy, t->exit_code)) c->done = true;
      continue;
    }
    c->ever_started = true;
    absl::StatusOr<std::unique_ptr<ProcessWatcher>> watcher =
        ProcessWatcher::Adopt(services_.executor, r.identity);
    if (!watcher.ok()) {
      Log()->info("pod {}: container {} ({}) ended while the agent was away", key_, r.name,
                  r.identity.ToString());
      c->status.state = ContainerState::Running(r.identity.pid, c->started_at);
      c->exited = ExitStatus{};  // unknown
      continue;
    }
    c->watcher = std::move(*watcher);
    c->status.state = ContainerState::Running(r.identity.pid, c->started_at);
    c->probes.Start(c->started_at);
    c->adopted_unprobed = true;
    holding_status_ = true;
    std::weak_ptr<bool> alive = c->alive;
    c->watcher->AsyncWait([this, c, alive](absl::StatusOr<ExitStatus> exit) {
      std::shared_ptr<bool> live = alive.lock();
      if (!live || !*live) return;
      if (!exit.ok() && absl::IsCancelled(exit.status())) return;
      c->exited = exit.ok() ? *exit : ExitStatus{};
      c->wake.cancel();
      wake_.cancel();
    });
    Log()->info("pod {}: adopted container {} (pid {})", key_, r.name, r.identity.pid);
  }
}

absl::Status PodWorker::StartContainer(Container& c) {
  RMQ_ASSIGN_OR_RETURN(ImageLaunch launch, ResolveImage(c.plan));
  const int32_t restart = c.ever_started ? c.status.restart_count + 1 : c.status.restart_count;
  const std::string ctr_dir = absl::StrCat(pod_dir_, "/containers/", c.plan.name);
  std::error_code ec;
  fs::remove_all(ctr_dir, ec);  // the previous run's writable layer: a restart starts clean
  const std::string scratch = absl::StrCat(ctr_dir, "/", restart);
  const std::string log_path = absl::StrCat(log_dir_, "/", c.plan.name, "/", restart, ".log");
  fs::create_directories(scratch, ec);
  if (ec) return absl::InternalError(absl::StrCat("mkdir ", scratch, ": ", ec.message()));
  fs::create_directories(fs::path(log_path).parent_path(), ec);
  if (ec) return absl::InternalError(absl::StrCat("mkdir for ", log_path, ": ", ec.message()));

  SpawnSpec spec;
  spec.argv = launch.argv;
  spec.env = EnvStrings(c.plan.env);
  spec.working_dir = launch.working_dir;
  if (!plan_->host_network) {
    spec.netns_path = network_ ? network_->netns_path : "";
    spec.hostname = plan_->uts_hostname;
    spec.hosts_file = pod_dir_ + "/hosts";
  }
  spec.image_root = launch.image_root;
  if (!launch.image_root.empty()) spec.scratch_dir = scratch;
  for (const VolumeMount& m : c.plan.mounts) {
    if (!m.sub_path.empty()) {
      // The host path is the volume's directory + "/" + sub_path (pod_plan.h).
      const std::string volume_dir =
          m.host_path.substr(0, m.host_path.size() - m.sub_path.size() - 1);
      RMQ_RETURN_IF_ERROR(MakeSubPath(volume_dir, m.sub_path));
    }
    spec.mounts.push_back(
        {.host_path = m.host_path, .container_path = m.container_path, .read_only = m.read_only});
  }
  spec.log_path = log_path;
  RMQ_ASSIGN_OR_RETURN(pid_t pid, SpawnInPod(spec));
  absl::StatusOr<std::unique_ptr<ProcessWatcher>> watcher =
      ProcessWatcher::Watch(services_.executor, pid);
  if (!watcher.ok()) {
    (void)SignalProcessGroup(pid, SIGKILL);
    return watcher.status();
  }
  const system_clock::time_point now = system_clock::now();
  if (c.ever_started) {
    c.status.restart_count = restart;
    c.status.last_state = c.last_terminated;
  }
  c.ever_started = true;
  c.watcher = std::move(*watcher);
  c.exited.reset();
  c.started_at = now;
  c.restart_at.reset();
  c.status.state = ContainerState::Running(pid, now);
  c.probes.Start(now);
  std::weak_ptr<bool> alive = c.alive;
  Container* cp = &c;
  c.watcher->AsyncWait([this, cp, alive](absl::StatusOr<ExitStatus> exit) {
    std::shared_ptr<bool> live = alive.lock();
    if (!live || !*live) return;
    if (!exit.ok() && absl::IsCancelled(exit.status())) return;
    cp->exited = exit.ok() ? *exit : ExitStatus{};
    cp->wake.cancel();
    wake_.cancel();
  });
  SaveRecord();
  Log()->info("pod {}: started container {} (pid {}, restart {}): {}", key_, c.plan.name, pid,
              c.status.restart_count, absl::StrJoin(launch.argv, " "));
  MarkDirty();
  return absl::OkStatus();
}

void PodWorker::HandleExit(Container& c, system_clock::time_point now) {
  const ExitStatus exit = c.exited.value_or(ExitStatus{});
  c.exited.reset();
  const pid_t pid = c.watcher ? c.watcher->pid() : static_cast<pid_t>(c.status.state.pid);
  // The rest of the container's processes (only for a process we watched: an unwatched pid may
  // have been reused).
  if (c.watcher) (void)SignalProcessGroup(pid, SIGKILL);
  c.watcher.reset();
  c.probes.Stop();
  std::optional<int> code = exit.ContainerExitCode();
  ContainerState terminated =
      ContainerState::Terminated(pid, code.value_or(255), c.started_at, now, code ? "" : "Unknown");
  if (!code) terminated.message = "the process ended while the node agent was not running";
  if (exit.kind == ExitStatus::Kind::kSignaled) terminated.signal = exit.code;
  c.last_terminated = terminated;
  Log()->info("pod {}: container {} {}", key_, c.plan.name, exit.ToString());
  c.status.state = terminated;
  if (c.init && !c.sidecar && code == 0) {
    c.completed = true;
    c.done = true;
    SaveRecord();
    return;
  }
  if (stopping()) {
    c.done = true;
    return;
  }
  RestartDecision d =
      NextRestart(ContainerRestartPolicy(plan_->restart_policy, c.init, c.plan.restart_policy),
                  code.value_or(255), c.backoff, now - c.started_at, now);
  if (!d.restart) {
    c.done = true;
    SaveRecord();
    return;
  }
  c.backoff = d.next_backoff;
  c.restart_at = d.restart_at;
  SaveRecord();  // no process now: a new agent must not try to adopt the old one
  if (d.backoff.count() > 0) {
    c.status.last_state = terminated;
    c.status.state = ContainerState::Waiting(
        std::string(kReasonCrashLoopBackOff),
        BackoffMessage(d.backoff, c.plan.name, k8s::Name(pod_), k8s::Namespace(pod_), uid_));
  }
}

asio::awaitable<void> PodWorker::RunProbes(Container& c) {
  const system_clock::time_point now = system_clock::now();
  for (ProbeKind kind : c.probes.Due(now)) {
    const std::optional<Probe>& probe = kind == ProbeKind::kStartup     ? c.plan.startup_probe
                                        : kind == ProbeKind::kReadiness ? c.plan.readiness_probe
                                                                        : c.plan.liveness_probe;
    if (!probe || !c.watcher) continue;
    ProbeTarget target{.pod_ip = ip_,
                       .pid = c.watcher->pid(),
                       .env = EnvStrings(c.plan.env),
                       .working_dir = c.plan.working_dir};
    HandlerOutcome outcome = co_await RunHandler(
        probe->handler, target, std::chrono::seconds(probe->timeout_seconds), *services_.blocking);
    if (stopping() || c.exited) co_return;
    ProbeUpdate update = c.probes.Record(kind, outcome.result, system_clock::now());
    if (outcome.result == ProbeResult::kFailure) {
      Log()->debug("pod {}: {} probe of {} failed: {}", key_, ProbeKindName(kind), c.plan.name,
                   outcome.message);
    }
    if (update.changed) MarkDirty();
    if (update.restart) {
      Log()->info("pod {}: container {}: {}; restarting it ({})", key_, c.plan.name, update.message,
                  outcome.message);
      std::chrono::seconds grace =
          std::chrono::seconds(c.probes.KillGracePeriod(kind).value_or(GracePeriod().count()));
      co_await KillContainer(c, grace);
      co_return;
    }
  }
  if (c.adopted_unprobed) {
    c.adopted_unprobed = false;
    bool any = false;
    for (auto* list : {&init_containers_, &containers_}) {
      for (auto& o : *list) any |= o->adopted_unprobed;
    }
    if (!any && holding_status_) {
      holding_status_ = false;
      MarkDirty();
    }
  }
}

asio::awaitable<void> PodWorker::KillContainer(Container& c, std::chrono::seconds grace) {
  if (!c.watcher) co_return;
  const pid_t pid = c.watcher->pid();
  const steady_clock::time_point deadline = steady_clock::now() + grace;
  if (c.plan.pre_stop && grace.count() > 0) {
    ProbeTarget target{.pod_ip = ip_,
                       .pid = pid,
                       .env = EnvStrings(c.plan.env),
                       .working_dir = c.plan.working_dir};
    HandlerOutcome outcome =
        co_await RunHandler(*c.plan.pre_stop, target, grace, *services_.blocking);
    if (outcome.result != ProbeResult::kSuccess) {
      Log()->warn("pod {}: preStop hook of {} failed: {}", key_, c.plan.name, outcome.message);
    }
  }
  if (!c.exited) {
    if (!SignalProcessGroup(pid, SIGTERM).ok() && c.watcher) (void)c.watcher->Signal(SIGTERM);
  }
  while (!c.exited && steady_clock::now() < deadline) {
    co_await SleepUntil(c.wake, deadline);
  }
  if (!c.exited) {
    Log()->info("pod {}: container {} still running after {}s: SIGKILL", key_, c.plan.name,
                grace.count());
    (void)SignalProcessGroup(pid, SIGKILL);
    if (c.watcher) (void)c.watcher->Signal(SIGKILL);
    for (int i = 0; i < 100 && !c.exited; ++i) {
      co_await SleepUntil(c.wake, steady_clock::now() + std::chrono::milliseconds(100));
    }
  }
  // The container's other processes (a launcher script's JVM) get the rest of the grace period.
  while (GroupAlive(pid) && steady_clock::now() < deadline) {
    asio::steady_timer t(services_.executor);
    co_await SleepUntil(t, steady_clock::now() + std::chrono::milliseconds(100));
  }
  HandleExit(c, system_clock::now());
  MarkDirty();
}

asio::awaitable<void> PodWorker::KillAll(std::chrono::seconds grace) {
  int pending = 0;
  asio::steady_timer done(services_.executor);
  for (auto* list : {&containers_, &init_containers_}) {
    for (auto& c : *list) {
      if (!c->watcher) continue;
      ++pending;
      asio::co_spawn(services_.executor, KillContainer(*c, grace),
                     [&pending, &done](const std::exception_ptr&) {
                       --pending;
                       done.cancel();
                     });
    }
  }
  while (pending > 0) {
    co_await SleepUntil(done, steady_clock::time_point::max());
  }
}

void PodWorker::SpawnSupervisor(Container& c) {
  ++supervisors_;
  asio::co_spawn(services_.executor, Supervise(c), [this](const std::exception_ptr& error) {
    if (error) Log()->error("pod {}: a container supervisor failed", key_);
    --supervisors_;
    wake_.cancel();
  });
}

asio::awaitable<void> PodWorker::KillUnadopted(std::chrono::seconds grace) {
  if (!adopted_) co_return;
  std::vector<ProcessIdentity> left;
  for (const ContainerRecord& r : adopted_->containers) {
    if (r.identity.pid == 0) continue;
    bool attached = false;
    for (auto* list : {&init_containers_, &containers_}) {
      for (auto& c : *list) attached |= c->watcher && c->watcher->identity() == r.identity;
    }
    absl::StatusOr<ProcessIdentity> now = ReadProcessIdentity(r.identity.pid);
    if (!attached && now.ok() && *now == r.identity) left.push_back(r.identity);
  }
  if (left.empty()) co_return;
  for (const ProcessIdentity& id : left) (void)SignalProcessGroup(id.pid, SIGTERM);
  const steady_clock::time_point deadline = steady_clock::now() + grace;
  asio::steady_timer t(services_.executor);
  auto any_alive = [&] {
    bool alive = false;
    for (const ProcessIdentity& id : left) alive |= GroupAlive(id.pid);
    return alive;
  };
  while (any_alive() && steady_clock::now() < deadline) {
    co_await SleepUntil(t, steady_clock::now() + std::chrono::milliseconds(100));
  }
  for (const ProcessIdentity& id : left) (void)SignalProcessGroup(id.pid, SIGKILL);
  Log()->info("pod {}: stopped {} process(es) an earlier agent started", key_, left.size());
}

asio::awaitable<void> PodWorker::Supervise(Container& c) {
  while (!stopping()) {
    const system_clock::time_point now = system_clock::now();
    if (c.exited) {
      HandleExit(c, now);
      MarkDirty();
      continue;
    }
    if (c.done) break;
    if (!c.watcher) {
      if (c.restart_at && now < *c.restart_at) {
        co_await SleepUntil(c.wake, ToSteady(*c.restart_at));
        continue;
      }
      absl::Status started = StartContainer(c);
      if (!started.ok()) {
        const bool config = absl::IsInvalidArgument(started) || absl::IsNotFound(started);
        c.status.state = ContainerState::Waiting(
            config ? "CreateContainerError" : "RunContainerError", std::string(started.message()));
        c.restart_at = now + std::max(c.backoff, std::chrono::seconds(kStartFailureBackoff));
        Log()->warn("pod {}: container {} cannot start: {}", key_, c.plan.name, started.ToString());
        MarkDirty();
        continue;
      }
      if (c.plan.post_start) {
        ProbeTarget target{.pod_ip = ip_,
                           .pid = c.watcher->pid(),
                           .env = EnvStrings(c.plan.env),
                           .working_dir = c.plan.working_dir};
        HandlerOutcome outcome =
            co_await RunHandler(*c.plan.post_start, target,
                                GracePeriod() + std::chrono::seconds(30), *services_.blocking);
        if (outcome.result != ProbeResult::kSuccess && !c.exited && !stopping()) {
          Log()->warn("pod {}: postStart hook of {} failed: {}", key_, c.plan.name,
                      outcome.message);
          co_await KillContainer(c, GracePeriod());
        }
      }
      continue;
    }
    if (!c.probes.Due(now).empty()) {
      co_await RunProbes(c);
      continue;
    }
    std::optional<system_clock::time_point> next = c.probes.NextDue();
    co_await SleepUntil(c.wake, next ? ToSteady(*next) : steady_clock::time_point::max());
  }
}

asio::awaitable<void> PodWorker::RunInitContainers() {
  for (auto& c : init_containers_) {
    if (stopping()) co_return;
    if (c->completed) continue;
    if (c->sidecar) {
      SpawnSupervisor(*c);
      while (!stopping() && !(c->watcher && c->probes.started())) {
        co_await SleepUntil(wake_, steady_clock::time_point::max());
      }
      continue;
    }
    co_await Supervise(*c);
    if (!c->completed) co_return;  // failed for good (restartPolicy Never), or stopping
  }
}

// --- status -----------------------------------------------------------------------------------

asio::awaitable<void> PodWorker::StatusWriter() {
  int final_failures = 0;
  while (true) {
    const bool quiet = stop_ == Stop::kVanished || stop_ == Stop::kShutdownKeep;
    if (dirty_ && !holding_status_ && !quiet) {
      dirty_ = false;
      PodRuntimeView view;
      view.sandbox_ready = sandbox_ready_;
      view.pod_ip = ip_;
      view.host_ip = services_.config->node_ip;
      view.start_time = system_clock::time_point(std::chrono::duration_cast<system_clock::duration>(
          std::chrono::nanoseconds(record_.accepted_at_ns)));
      view.terminal = terminal_;
      auto add = [&](std::vector<ContainerRuntimeStatus>& out, const Container& c) {
        ContainerRuntimeStatus s = c.status;
        s.ready = c.probes.ready();
        s.started = c.probes.started();
        if (!c.ever_started && !waiting_reason_.empty() && s.state.waiting()) {
          s.state = ContainerState::Waiting(waiting_reason_, waiting_message_);
        }
        out.push_back(std::move(s));
      };
      if (plan_) {
        for (const auto& c : init_containers_) add(view.init_containers, *c);
        for (const auto& c : containers_) add(view.containers, *c);
      } else if (!waiting_reason_.empty()) {
        for (const Json& c : json::Array(pod_["spec"], "containers")) {
          view.containers.push_back(
              {.name = Str(c, "name"),
               .state = ContainerState::Waiting(waiting_reason_, waiting_message_)});
        }
      }
      Json status = ComputePodStatus(pod_, last_written_, view, system_clock::now());
      if (status != last_written_) {
        Json patch = Json::object();
        patch["status"] = status;
        absl::StatusOr<Json> patched = co_await services_.client->MergePatch(
            k8s::Pods(), k8s::Namespace(pod_), k8s::Name(pod_), std::move(patch), "status");
        if (patched.ok()) {
          last_written_ = std::move(status);
        } else if (k8s::IsApiNotFound(patched.status())) {
          Log()->info("pod {}: gone while writing its status", key_);
        } else {
          Log()->warn("pod {}: status update failed: {}", key_, patched.status().ToString());
          if (finishing_ && ++final_failures > 5) break;
          dirty_ = true;
          asio::steady_timer retry(services_.executor);
          co_await SleepUntil(retry, steady_clock::now() + std::chrono::seconds(1));
          continue;
        }
      }
    }
    if (finishing_ && (!dirty_ || quiet)) break;
    if (!dirty_ || holding_status_) {
      co_await SleepUntil(status_wake_, steady_clock::time_point::max());
    }
  }
  writer_done_ = true;
  wake_.cancel();
}

// --- the pod's life -----------------------------------------------------------------------------

asio::awaitable<void> PodWorker::Teardown() {
  for (auto* list : {&init_containers_, &containers_}) {
    for (auto& c : *list) c->wake.cancel();
  }
  while (supervisors_ > 0) {
    co_await SleepUntil(wake_, steady_clock::time_point::max());
  }
  const Stop kind = stop_;
  if (kind != Stop::kShutdownKeep) {
    std::chrono::seconds grace = GracePeriod();
    if (kind == Stop::kVanished) grace = std::min(grace, services_.config->vanished_grace);
    if (kind == Stop::kShutdownStop) grace = std::min(grace, services_.config->shutdown_grace_cap);
    co_await KillAll(grace);
    co_await KillUnadopted(grace);
    if (plan_ && !terminal_) {  // else there is nothing new to report
      terminal_ = kind == Stop::kDelete || kind == Stop::kVanished;
      MarkDirty();
    }
  }
  holding_status_ = false;
  finishing_ = true;
  status_wake_.cancel();
  while (!writer_done_) {
    co_await SleepUntil(wake_, steady_clock::time_point::max());
  }
  if (kind == Stop::kShutdownKeep) co_return;

  std::string netns = network_ ? network_->netns : "";
  if (netns.empty() && adopted_) netns = adopted_->netns;  // never set up again (deleted meanwhile)
  if (!netns.empty()) {
    if (absl::Status s = DeletePodNetwork(netns); !s.ok()) {
      Log()->error("pod {}: deleting its network: {}", key_, s.ToString());
    }
    network_.reset();
  }
  if (ip_.empty() && adopted_) ip_ = adopted_->ip;
  if (!ip_.empty() && !json::Bool(pod_["spec"], "hostNetwork")) services_.ips->Release(ip_);
  ip_.clear();
  services_.network_changed();
  std::error_code ec;
  if (kind == Stop::kShutdownStop) {
    fs::remove(pod_dir_ + "/state.json", ec);  // emptyDir data stays for the next agent
    Log()->info("pod {}: stopped for the agent's shutdown", key_);
    co_return;
  }
  fs::remove_all(pod_dir_, ec);
  fs::remove_all(log_dir_, ec);
  if (kind == Stop::kDelete) {
    // Options and awaitable in statements of their own: GCC 12 mishandles a braced temporary
    // inside a co_await expression (freed twice under ASan).
    k8s::DeleteOptions final_delete;
    final_delete.precondition_uid = uid_;
    final_delete.grace_period_seconds = 0;
    auto delete_op = services_.client->Delete(k8s::Pods(), k8s::Namespace(pod_), k8s::Name(pod_),
                                              std::move(final_delete));
    absl::Status deleted = co_await std::move(delete_op);
    if (!deleted.ok() && !k8s::IsApiNotFound(deleted) && !k8s::IsApiConflict(deleted)) {
      Log()->warn("pod {}: final delete failed: {}", key_, deleted.ToString());
    }
  }
  Log()->info("pod {}: torn down", key_);
}

asio::awaitable<void> PodWorker::Run() {
  asio::co_spawn(services_.executor, StatusWriter(), asio::detached);
  const std::string phase = Str(Field(pod_, "status") ? pod_["status"] : Json::object(), "phase");
  const bool finished = phase == kPhaseSucceeded || phase == kPhaseFailed;
  if (Field(pod_["metadata"], "deletionTimestamp") != nullptr) stop_ = Stop::kDelete;
  if (finished) {
    terminal_ = true;  // it ran to its end before: it never runs again, its status stays
    dirty_ = false;
  }

  std::chrono::seconds backoff{1};
  while (!stopping() && !terminal_) {
    absl::Status ready = co_await PrepareSandbox();
    if (ready.ok()) ready = BuildPlan();
    if (ready.ok()) {
      ready = co_await PrepareVolumes();
    }
    if (ready.ok()) break;
    ReportWaiting(PlanErrorReason(ready), std::string(ready.message()));
    co_await SleepUntil(wake_, steady_clock::now() + backoff);
    backoff = std::min(backoff * 2, kPrepareBackoffMax);
  }
  if (!stopping() && plan_) {
    waiting_reason_.clear();
    waiting_message_.clear();
    for (ContainerPlan& p : plan_->init_containers) {
      init_containers_.push_back(std::make_unique<Container>(services_.executor, p, true));
    }
    for (ContainerPlan& p : plan_->containers) {
      containers_.push_back(std::make_unique<Container>(services_.executor, p, false));
    }
    AdoptContainers();
    MarkDirty();
    co_await RunInitContainers();
    bool initialized = true;
    for (auto& c : init_containers_) initialized &= c->completed || c->sidecar;
    if (initialized && !stopping()) {
      for (auto& c : containers_) SpawnSupervisor(*c);
    }
  }
  while (!stopping()) {
    co_await SleepUntil(wake_, steady_clock::time_point::max());
  }
  co_await Teardown();
}

}  // namespace rmq::nodeagent
