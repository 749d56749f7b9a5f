#include "nodeagent/node/node_agent.h"

#include <sys/statvfs.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/k8s/api.h"
#include "common/log/logger.h"

namespace rmq::nodeagent {
namespace {

namespace asio = boost::asio;
using std::chrono::milliseconds;

std::shared_ptr<spdlog::logger> Log() { return log::Get("nodeagent.node"); }

std::string FirstLine(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return std::string(absl::StripAsciiWhitespace(line));
}

std::string OsImage() {
  std::ifstream in("/etc/os-release");
  std::string line;
  while (std::getline(in, line)) {
    absl::string_view rest(line);
    if (absl::ConsumePrefix(&rest, "PRETTY_NAME=")) {
      std::string value(absl::StripAsciiWhitespace(rest));
      if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
        value = value.substr(1, value.size() - 2);
      }
      return value;
    }
  }
  return "Linux";
}

milliseconds Doubled(milliseconds backoff, milliseconds initial, milliseconds max) {
  return backoff.count() == 0 ? initial : std::min(backoff * 2, max);
}

}  // namespace

absl::StatusOr<MachineInfo> ReadMachineInfo(std::string internal_ip, std::string hostname,
                                            const std::string& state_dir) {
  MachineInfo machine;
  machine.internal_ip = std::move(internal_ip);
  machine.hostname = std::move(hostname);
  struct utsname uts {};
  if (uname(&uts) != 0) return absl::InternalError("uname failed");
  machine.kernel_version = uts.release;
  machine.architecture = GoArch(uts.machine);
  machine.os_image = OsImage();
  machine.machine_id = FirstLine("/etc/machine-id");
  machine.boot_id = FirstLine("/proc/sys/kernel/random/boot_id");
  machine.system_uuid = machine.machine_id;
  const long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  const long pages = sysconf(_SC_PHYS_PAGES);
  const long page_size = sysconf(_SC_PAGESIZE);
  if (cpus <= 0 || pages <= 0 || page_size <= 0) {
    return absl::InternalError("sysconf: no CPU count or memory size");
  }
  machine.cpu_millis = static_cast<int64_t>(cpus) * 1000;
  machine.memory_bytes = static_cast<int64_t>(pages) * page_size;
  struct statvfs fs {};
  if (statvfs(state_dir.c_str(), &fs) != 0) {
    return absl::NotFoundError(absl::StrCat("statvfs ", state_dir, " failed"));
  }
  machine.ephemeral_storage_bytes = static_cast<int64_t>(fs.f_blocks * fs.f_frsize);
  return machine;
}

// --- NodeRegistrar -------------------------------------------------------------------------

NodeRegistrar::NodeRegistrar(k8s::Client& client, const asio::any_io_executor& executor,
                             NodeConfig config, NodeRegistrarOptions options)
    : client_(client),
      config_(std::move(config)),
      options_(options),
      since_(std::chrono::system_clock::now()),
      timer_(executor) {}

void NodeRegistrar::Stop() {
  stopped_ = true;
  timer_.cancel();
}

asio::awaitable<void> NodeRegistrar::Sleep(milliseconds delay) {
  timer_.expires_after(delay);
  boost::system::error_code ec;
  co_await timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
}

asio::awaitable<absl::Status> NodeRegistrar::Register() {
  const k8s::ApplyOptions apply{.field_manager = kFieldManager};
  absl::StatusOr<Json> node = co_await client_.Apply(k8s::Nodes(), NodeObject(config_), apply);
  if (!node.ok()) co_return node.status();
  node_uid_ = (*node)["metadata"].value("uid", "");
  absl::Status posted = co_await PostStatus();
  if (!posted.ok()) co_return posted;
  absl::Status untainted = co_await RemoveNotReadyTaint(*std::move(node));
  if (!untainted.ok()) co_return untainted;
  lease_ = Json();
  absl::Status renewed = co_await RenewLease();
  if (!renewed.ok()) co_return renewed;
  registered_ = true;
  ++stats_.registrations;
  Log()->info("node {} registered uid={}", config_.name, node_uid_);
  co_return absl::OkStatus();
}

asio::awaitable<absl::Status> NodeRegistrar::RemoveNotReadyTaint(Json node) {
  // The node lifecycle controller removes the taint too; a conflict means someone wrote the
  // Node meanwhile: read it again.
  for (int attempt = 0; attempt < 5; ++attempt) {
    std::optional<Json> taints = TaintsWithout(node, kNotReadyTaint);
    if (!taints) co_return absl::OkStatus();
    Json patch = {
        {"metadata", {{"resourceVersion", node["metadata"].value("resourceVersion", "")}}},
        {"spec", {{"taints", *std::move(taints)}}}};
    absl::StatusOr<Json> patched =
        co_await client_.MergePatch(k8s::Nodes(), "", config_.name, std::move(patch));
    if (patched.ok()) {
      Log()->info("node {}: removed taint {}", config_.name, kNotReadyTaint);
      co_return absl::OkStatus();
    }
    if (!k8s::IsApiConflict(patched.status())) co_return patched.status();
    absl::StatusOr<Json> again = co_await client_.Get(k8s::Nodes(), "", config_.name);
    if (!again.ok()) co_return again.status();
    node = *std::move(again);
  }
  co_return absl::AbortedError(absl::StrCat("node ", config_.name, ": removing taint ",
                                            kNotReadyTaint, " kept conflicting"));
}

asio::awaitable<absl::Status> NodeRegistrar::PostStatus() {
  const k8s::ApplyOptions apply{.field_manager = kFieldManager};
  Json status = NodeStatus(config_, std::chrono::system_clock::now(), since_);
  absl::StatusOr<Json> applied =
      co_await client_.Apply(k8s::Nodes(), std::move(status), apply, "status");
  if (!applied.ok()) co_return applied.status();
  ++stats_.status_posts;
  co_return absl::OkStatus();
}

asio::awaitable<absl::Status> NodeRegistrar::RenewLease() {
  const auto now = std::chrono::system_clock::now();
  // The Lease as last written: replace it directly (one request per renewal, as the kubelet).
  if (!lease_.is_null()) {
    absl::StatusOr<Json> replaced =
        co_await client_.Replace(k8s::Leases(), RenewedLease(lease_, config_, now));
    if (replaced.ok()) {
      lease_ = *std::move(replaced);
      ++stats_.lease_renewals;
      co_return absl::OkStatus();
    }
    lease_ = Json();
    if (!k8s::IsApiConflict(replaced.status()) && !k8s::IsApiNotFound(replaced.status())) {
      co_return replaced.status();
    }
  }
  absl::StatusOr<Json> got = co_await client_.Get(k8s::Leases(), kNodeLeaseNamespace, config_.name);
  absl::StatusOr<Json> written;
  if (got.ok()) {
    written = co_await client_.Replace(k8s::Leases(), RenewedLease(*std::move(got), config_, now));
  } else if (k8s::IsApiNotFound(got.status())) {
    written = co_await client_.Create(k8s::Leases(), NodeLease(config_, node_uid_, now));
  } else {
    co_return got.status();
  }
  if (!written.ok()) co_return written.status();
  lease_ = *std::move(written);
  ++stats_.lease_renewals;
  co_return absl::OkStatus();
}

asio::awaitable<void> NodeRegistrar::Run() {
  milliseconds backoff{0};
  while (!stopped_ && !registered_) {
    absl::Status registered = co_await Register();
    if (registered.ok()) break;
    ++stats_.errors;
    backoff = Doubled(backoff, options_.initial_backoff, options_.max_backoff);
    Log()->warn("node {}: registration failed, retrying in {} ms: {}", config_.name,
                backoff.count(), registered.ToString());
    co_await Sleep(backoff);
  }
  using Clock = std::chrono::steady_clock;
  Clock::time_point next_lease = Clock::now() + options_.lease_renew_interval;
  Clock::time_point next_status = Clock::now() + options_.status_interval;
  milliseconds lease_backoff{0};
  milliseconds status_backoff{0};
  while (!stopped_) {
    const Clock::time_point next = std::min(next_lease, next_status);
    co_await Sleep(std::chrono::duration_cast<milliseconds>(next - Clock::now()));
    if (stopped_) break;
    if (Clock::now() >= next_lease) {
      absl::Status renewed = co_await RenewLease();
      if (renewed.ok()) {
        lease_backoff = milliseconds(0);
        next_lease = Clock::now() + options_.lease_renew_interval;
      } else {
        ++stats_.errors;
        lease_backoff =
            Doubled(lease_backoff, options_.initial_backoff, options_.lease_renew_interval);
        next_lease = Clock::now() + lease_backoff;
        Log()->warn("node {}: lease renewal failed: {}", config_.name, renewed.ToString());
      }
    }
    if (Clock::now() >= next_status) {
      absl::Status posted = co_await PostStatus();
      if (posted.ok()) {
        status_backoff = milliseconds(0);
        next_status = Clock::now() + options_.status_interval;
      } else {
        ++stats_.errors;
        status_backoff = Doubled(status_backoff, options_.initial_backoff, options_.max_backoff);
        next_status = Clock::now() + status_backoff;
        Log()->warn("node {}: status update failed: {}", config_.name, posted.ToString());
      }
    }
  }
}

// --- PodBinder -----------------------------------------------------------------------------

PodBinder::PodBinder(k8s::Client& client, const asio::any_io_executor& executor,
                     std::string node_name)
    : client_(client),
      executor_(executor),
      node_name_(std::move(node_name)),
      informer_(client, k8s::Pods(), {.field_selector = "spec.nodeName="}),
      controller_(executor,
                  [this](const std::string& key) -> asio::awaitable<k8s::Controller::Result> {
                    k8s::Controller::Result result = co_await Bind(key);
                    co_return result;
                  },
                  {.workers = 4}) {
  informer_.AddHandler([this](const k8s::ObjectEvent& event) {
    if (event.type != k8s::ObjectEvent::Type::kDeleted && NeedsBinding(event.object)) {
      controller_.Enqueue(k8s::ObjectStore::KeyOf(event.object));
    }
  });
}

void PodBinder::Stop() {
  informer_.Stop();
  controller_.Stop();
}

asio::awaitable<k8s::Controller::Result> PodBinder::Bind(const std::string& key) {
  // The store has the pod while it is unscheduled: once bound, it leaves the field selector.
  const Json* pod = informer_.store().Get(key);
  if (pod == nullptr || !NeedsBinding(*pod)) co_return k8s::Controller::Result{};
  Json binding = PodBinding(*pod, node_name_);
  absl::StatusOr<Json> bound = co_await client_.Create(k8s::Pods(), std::move(binding), "binding");
  if (bound.ok()) {
    ++stats_.bound;
    Log()->info("bound pod {} to node {}", key, node_name_);
    co_return k8s::Controller::Result{};
  }
  if (k8s::HttpCodeOf(bound.status()) == 409) {
    ++stats_.already_bound;
    co_return k8s::Controller::Result{};
  }
  if (k8s::IsApiNotFound(bound.status())) co_return k8s::Controller::Result{};
  ++stats_.errors;
  Log()->warn("binding pod {} to node {} failed: {}", key, node_name_, bound.status().ToString());
  co_return k8s::Controller::Result{.status = bound.status()};
}

asio::awaitable<void> PodBinder::Run() {
  co_await k8s::RunInformerAndController(executor_, informer_, controller_);
}

}  // namespace rmq::nodeagent
