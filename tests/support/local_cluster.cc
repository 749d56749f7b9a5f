#include "tests/support/local_cluster.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <set>
#include <sstream>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "tests/support/http_client.h"

namespace rmq::testing {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using std::chrono::seconds;
using Json = nlohmann::json;

// Namespaces Shutdown() leaves alone.
const std::set<std::string>& SystemNamespaces() {
  static const auto* names =
      new std::set<std::string>{"default", "kube-system", "kube-public", "kube-node-lease"};
  return *names;
}

bool KeepTestDirs() {
  const char* keep = std::getenv("RMQ_KEEP_TEST_DIRS");
  return keep != nullptr && std::string(keep) == "1";
}

std::string Trim(const std::string& s) { return std::string(absl::StripAsciiWhitespace(s)); }

// A TCP port on 127.0.0.1 that was free a moment ago.
int FreePort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int port = 0;
  socklen_t len = sizeof(addr);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  ::close(fd);
  return port;
}

// /proc/<pid>/stat: the start time (field 22) and state (field 3) of a live process.
struct ProcStat {
  uint64_t start_time = 0;
  char state = '?';
};
std::optional<ProcStat> ReadProcStat(pid_t pid) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/stat"));
  std::string line;
  if (!std::getline(in, line)) return std::nullopt;
  // The command name (field 2) is in parentheses and may hold spaces: fields restart after ')'.
  const size_t close = line.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::vector<std::string> fields =
      absl::StrSplit(line.substr(close + 2), ' ', absl::SkipWhitespace());
  // fields[0] is field 3 (state), so field 22 is fields[19].
  ProcStat st;
  if (fields.size() < 20 || !absl::SimpleAtoi(fields[19], &st.start_time)) return std::nullopt;
  st.state = fields[0].empty() ? '?' : fields[0][0];
  return st;
}

// The inode of a network namespace: of /run/netns/<name> (nsfs), or of /proc/<pid>/ns/net.
std::optional<ino_t> NetnsInode(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  return st.st_ino;
}

}  // namespace

double SecondsSince(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

absl::StatusOr<std::unique_ptr<LocalCluster>> LocalCluster::Start(LocalClusterOptions options) {
  if (::geteuid() != 0) {
    return absl::FailedPreconditionError(
        "the local cluster needs root: the node agent makes network namespaces and mounts");
  }
  if (options.node_agent_binary.empty() || options.build_dir.empty()) {
    return absl::InvalidArgumentError("node_agent_binary and build_dir are required");
  }
  std::unique_ptr<LocalCluster> cluster(new LocalCluster(std::move(options)));
  absl::Status started = cluster->StartAll();
  if (!started.ok()) {
    absl::Status stopped = cluster->Shutdown();
    if (!stopped.ok()) {
      return absl::Status(
          started.code(),
          absl::StrCat(started.message(), "\n(and then, stopping: ", stopped.message(), ")"));
    }
    return started;
  }
  return cluster;
}

absl::Status LocalCluster::StartAll() {
  std::string tmpl = options_.dir_prefix + "XXXXXX";
  if (::mkdtemp(tmpl.data()) == nullptr) {
    return absl::InternalError(absl::StrCat("mkdtemp ", tmpl, " failed"));
  }
  dir_ = tmpl;
  // Another instance with the same prefixes (a crashed earlier run, a concurrent suite) would
  // share the bridge and the names: refuse rather than disturb it.
  if (std::vector<std::string> taken = PodNetworks();
      !taken.empty() || LinkExists(options_.network.bridge)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "bridge ", options_.network.bridge, " or network namespaces ",
        options_.network.netns_prefix, "* exist already (", absl::StrJoin(taken, " "),
        "): another local cluster with the same NodeNetwork runs, or one was killed (stop it, or "
        "remove them with `ip netns del` and `ip link del`)"));
  }

  absl::StatusOr<CapturedRun> images = RunCapturing(
      {std::string(RMQ_SOURCE_DIR) + "/scripts/local-images.sh"}, {}, std::chrono::minutes(5));
  if (!images.ok()) return images.status();
  if (images->exit_status != 0) {
    return absl::InternalError(absl::StrCat("scripts/local-images.sh: ", images->err));
  }
  images_dir_ = Trim(images->out);

  absl::StatusOr<std::unique_ptr<LocalControlPlane>> plane =
      LocalControlPlane::Start({.with_controller_manager = true});
  if (!plane.ok()) return plane.status();
  plane_ = *std::move(plane);
  if (!options_.operator_binary.empty()) {
    if (absl::Status s = InstallCrds(); !s.ok()) return s;
  }
  if (absl::Status s = StartNodeAgent(); !s.ok()) return s;
  const std::string& node = options_.network.node_name;
  const bool ready = WaitFor(
      [&] {
        absl::StatusOr<std::string> status =
            Kubectl({"get", "node", node, "-o",
                     "jsonpath={.status.conditions[?(@.type==\"Ready\")].status}"});
        return status.ok() && *status == "True";
      },
      seconds(60));
  if (!ready) {
    return absl::DeadlineExceededError(
        absl::StrCat("node ", node, " not Ready after 60 s; node agent log:\n", NodeAgentLog()));
  }
  if (!options_.operator_binary.empty()) return StartOperator();
  return absl::OkStatus();
}

absl::Status LocalCluster::InstallCrds() {
  absl::StatusOr<std::string> out =
      Kubectl({"apply", "--server-side", "-f", std::string(RMQ_SOURCE_DIR) + "/deploy/crds/"});
  if (out.ok()) {
    out = Kubectl({"wait", "--for=condition=Established", "--timeout=60s",
                   "crd/brokers.rocketmq.apache.org", "crd/nameservices.rocketmq.apache.org"});
  }
  return out.status();
}

LocalCluster::~LocalCluster() {
  absl::Status s = Shutdown();
  (void)s;  // a test that cares calls Shutdown() itself and checks it
}

std::string LocalCluster::RocketMqHome(const std::string& version) const {
  return absl::StrCat(images_dir_, "/rocketmq-", version, "/home/rocketmq/rocketmq-", version);
}

// ---- kubectl

absl::StatusOr<std::string> LocalCluster::Kubectl(const std::vector<std::string>& args,
                                                  seconds timeout) {
  if (plane_ == nullptr) return absl::FailedPreconditionError("no control plane");
  return plane_->Kubectl(args, timeout);
}

absl::Status LocalCluster::Apply(const std::string& name, const std::string& yaml) {
  const std::string path = absl::StrCat(dir_, "/", name, ".yaml");
  std::ofstream(path) << yaml;
  return ApplyPath(path);
}

absl::Status LocalCluster::ApplyPath(const std::string& path) {
  return Kubectl({"apply", "-f", path}).status();
}

std::optional<Json> LocalCluster::Get(const std::string& ns, const std::string& what) {
  absl::StatusOr<std::string> out = Kubectl({"-n", ns, "get", what, "-o", "json"});
  if (!out.ok()) return std::nullopt;
  Json j = Json::parse(*out, nullptr, false);
  if (!j.is_object()) return std::nullopt;
  return j;
}

std::optional<Json> LocalCluster::GetPod(const std::string& ns, const std::string& name) {
  return Get(ns, "pod/" + name);
}

absl::Status LocalCluster::WaitCondition(const std::string& ns, const std::string& what,
                                         const std::string& type, const std::string& status,
                                         seconds timeout) {
  Json last;
  const bool reached = WaitFor(
      [&] {
        std::optional<Json> obj = Get(ns, what);
        if (!obj) return false;
        last = At(*obj, "/status");
        const Json conditions = At(*obj, "/status/conditions");
        if (!conditions.is_array()) return false;
        for (const Json& c : conditions) {
          if (c.is_object() && c.value("type", "") == type) return c.value("status", "") == status;
        }
        return false;
      },
      timeout, milliseconds(500));
  if (reached) return absl::OkStatus();
  return absl::DeadlineExceededError(absl::StrCat(ns, "/", what, ": no condition ", type, "=",
                                                  status, " after ", timeout.count(),
                                                  " s; status: ", last.dump()));
}

bool LocalCluster::WaitPodReady(const std::string& ns, const std::string& name, seconds timeout) {
  return WaitFor(
      [&] {
        std::optional<Json> pod = GetPod(ns, name);
        return pod && PodReady(*pod);
      },
      timeout);
}

bool LocalCluster::WaitNoPods(const std::string& ns, const std::string& selector, seconds timeout) {
  std::vector<std::string> args = {"get", "pods", "-o", "name"};
  if (ns.empty()) {
    args.emplace_back("-A");
  } else {
    args.insert(args.end(), {"-n", ns});
  }
  if (!selector.empty()) args.insert(args.end(), {"-l", selector});
  return WaitFor(
      [&] {
        absl::StatusOr<std::string> out = Kubectl(args);
        return out.ok() && Trim(*out).empty();
      },
      timeout, milliseconds(500));
}

absl::StatusOr<std::string> LocalCluster::PodIp(const std::string& ns, const std::string& name) {
  std::optional<Json> pod = GetPod(ns, name);
  if (!pod) return absl::NotFoundError(absl::StrCat("no pod ", ns, "/", name));
  const std::string ip = PodStatus(*pod).value("podIP", "");
  if (ip.empty()) return absl::NotFoundError(absl::StrCat("pod ", ns, "/", name, " has no IP"));
  return ip;
}

absl::StatusOr<std::map<std::string, std::string>> LocalCluster::PodIps(
    const std::string& ns, const std::string& selector) {
  std::vector<std::string> args = {"-n", ns, "get", "pods", "-o", "json"};
  if (!selector.empty()) args.insert(args.end(), {"-l", selector});
  absl::StatusOr<std::string> out = Kubectl(args);
  if (!out.ok()) return out.status();
  const Json list = Json::parse(*out, nullptr, false);
  std::map<std::string, std::string> ips;
  for (const Json& pod : list.value("items", Json::array())) {
    const std::string ip = PodStatus(pod).value("podIP", "");
    if (!ip.empty()) ips[At(pod, "/metadata/name").get<std::string>()] = ip;
  }
  return ips;
}

// ---- pods

Json LocalCluster::PodStatus(const Json& pod) {
  Json status = pod.is_object() ? pod.value("status", Json::object()) : Json::object();
  return status.is_object() ? status : Json::object();
}

bool LocalCluster::PodReady(const Json& pod) {
  for (const Json& c : PodStatus(pod).value("conditions", Json::array())) {
    if (c.value("type", "") == "Ready") return c.value("status", "") == "True";
  }
  return false;
}

Json LocalCluster::ContainerStatus(const Json& pod, const std::string& container) {
  for (const Json& c : PodStatus(pod).value("containerStatuses", Json::array())) {
    if (c.is_object() && c.value("name", "") == container) return c;
  }
  return Json::object();
}

std::string LocalCluster::ContainerPid(const Json& pod, const std::string& container) {
  const std::string id = ContainerStatus(pod, container).value("containerID", "");
  return id.rfind("proc://", 0) == 0 ? id.substr(7) : "";
}

Json LocalCluster::At(const Json& j, const std::string& pointer) {
  const Json::json_pointer ptr(pointer);
  return j.contains(ptr) ? j.at(ptr) : Json();
}

CapturedRun LocalCluster::Exec(const std::string& ns, const std::string& pod_name,
                               const std::string& container, const std::vector<std::string>& argv,
                               seconds timeout) {
  std::optional<Json> pod = GetPod(ns, pod_name);
  if (!pod) return {.exit_status = -2, .out = "", .err = "no pod " + pod_name};
  const std::string pid = ContainerPid(*pod, container);
  if (pid.empty()) return {.exit_status = -2, .out = "", .err = "no running container"};
  std::vector<std::string> full = {"/usr/bin/nsenter", "-t", pid, "-m", "-u", "-n", "--"};
  full.insert(full.end(), argv.begin(), argv.end());
  absl::StatusOr<CapturedRun> run = RunCapturing(full, {}, timeout);
  if (!run.ok()) return {.exit_status = -2, .out = "", .err = run.status().ToString()};
  return *run;
}

absl::StatusOr<CapturedRun> LocalCluster::Mqadmin(const std::vector<std::string>& args,
                                                  seconds timeout) {
  const std::string home = RocketMqHome();
  std::vector<std::string> argv = {home + "/bin/mqadmin"};
  argv.insert(argv.end(), args.begin(), args.end());
  SpawnOptions spawn;
  spawn.env = {{"ROCKETMQ_HOME", home}, {"HOME", dir_}};
  return RunCapturing(argv, spawn, timeout);
}

// ---- node agent

absl::Status LocalCluster::StartNodeAgent() {
  if (node_agent_ != nullptr && node_agent_->Running()) {
    return absl::FailedPreconditionError("the node agent runs already");
  }
  const NodeNetwork& n = options_.network;
  absl::StatusOr<std::unique_ptr<ChildProcess>> agent =
      ChildProcess::Start({options_.node_agent_binary,
                           "--kubeconfig",
                           plane_->kubeconfig_path(),
                           "--images",
                           std::string(RMQ_SOURCE_DIR) + "/deploy/local/images/images.yaml",
                           "--node-name",
                           n.node_name,
                           "--state-dir",
                           dir_ + "/node",
                           "--bridge",
                           n.bridge,
                           "--pod-cidr",
                           n.pod_cidr,
                           "--gateway",
                           n.gateway,
                           "--service-cidr",
                           n.service_cidr,
                           "--netns-prefix",
                           n.netns_prefix,
                           "--veth-prefix",
                           n.veth_prefix,
                           "--log-level",
                           options_.node_agent_log_level},
                          {{"RMQ_IMAGES", images_dir_}, {"RMQ_BUILD_DIR", options_.build_dir}},
                          dir_ + "/node-agent.log");
  if (!agent.ok()) return agent.status();
  node_agent_ = *std::move(agent);
  return absl::OkStatus();
}

void LocalCluster::KillNodeAgent() {
  if (node_agent_ == nullptr) return;
  node_agent_->Signal(SIGKILL);
  node_agent_->WaitExit(seconds(10));
}

absl::StatusOr<int> LocalCluster::StopNodeAgent(seconds timeout) {
  if (node_agent_ == nullptr) return absl::FailedPreconditionError("no node agent started");
  node_agent_->Signal(SIGTERM);
  std::optional<int> code = node_agent_->WaitExit(timeout);
  if (!code) {
    return absl::DeadlineExceededError(
        absl::StrCat("the node agent did not exit ", timeout.count(), " s after SIGTERM"));
  }
  return *code;
}

bool LocalCluster::NodeAgentRunning() { return node_agent_ != nullptr && node_agent_->Running(); }

std::string LocalCluster::NodeAgentLog() const {
  return node_agent_ == nullptr ? "" : node_agent_->Log();
}

// ---- operator

absl::Status LocalCluster::StartOperator() {
  if (options_.operator_binary.empty()) {
    return absl::FailedPreconditionError("no operator_binary in the options");
  }
  if (operator_ != nullptr && operator_->Running()) {
    return absl::FailedPreconditionError("the operator runs already");
  }
  operator_port_ = FreePort();
  std::vector<std::string> argv = {
      options_.operator_binary, "--kubeconfig=" + plane_->kubeconfig_path(), "--leader-elect=false",
      absl::StrCat("--http-listen=127.0.0.1:", operator_port_),
      "--agent-image=" + options_.agent_image};
  argv.insert(argv.end(), options_.operator_args.begin(), options_.operator_args.end());
  absl::StatusOr<std::unique_ptr<ChildProcess>> op =
      ChildProcess::Start(argv, {}, dir_ + "/operator.log");
  if (!op.ok()) return op.status();
  operator_ = *std::move(op);
  const bool ready = WaitFor(
      [&] {
        if (!operator_->Running()) return true;
        absl::StatusOr<HttpResult> r =
            HttpGet("127.0.0.1", operator_port_, "/readyz", milliseconds(2000));
        return r.ok() && r->status == 200;
      },
      seconds(60));
  if (!operator_->Running()) {
    return absl::InternalError(
        absl::StrCat("the operator exited at start; its log:\n", OperatorLog()));
  }
  if (!ready) {
    return absl::DeadlineExceededError(
        absl::StrCat("the operator's /readyz is not 200 after 60 s; its log:\n", OperatorLog()));
  }
  return absl::OkStatus();
}

void LocalCluster::KillOperator() {
  if (operator_ == nullptr) return;
  operator_->Signal(SIGKILL);
  operator_->WaitExit(seconds(10));
}

absl::Status LocalCluster::RestartOperator() {
  KillOperator();
  return StartOperator();
}

absl::StatusOr<int> LocalCluster::StopOperator(seconds timeout) {
  if (operator_ == nullptr) return absl::FailedPreconditionError("no operator started");
  operator_->Signal(SIGTERM);
  std::optional<int> code = operator_->WaitExit(timeout);
  if (!code) {
    KillOperator();
    return absl::DeadlineExceededError(
        absl::StrCat("the operator did not exit ", timeout.count(), " s after SIGTERM"));
  }
  return *code;
}

bool LocalCluster::OperatorRunning() { return operator_ != nullptr && operator_->Running(); }

std::string LocalCluster::OperatorLog() const {
  return operator_ == nullptr ? "" : operator_->Log();
}

// ---- what runs on the node

std::vector<std::string> LocalCluster::PodNetworks() const {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/run/netns", ec)) {
    const std::string name = e.path().filename().string();
    if (name.rfind(options_.network.netns_prefix, 0) == 0) out.push_back(name);
  }
  return out;
}

ProcessSet LocalCluster::PodProcesses() const {
  std::set<ino_t> namespaces;
  for (const std::string& name : PodNetworks()) {
    if (std::optional<ino_t> ino = NetnsInode("/run/netns/" + name)) namespaces.insert(*ino);
  }
  ProcessSet out;
  if (namespaces.empty()) return out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/proc", ec)) {
    pid_t pid = 0;
    if (!absl::SimpleAtoi(e.path().filename().string(), &pid)) continue;
    std::optional<ino_t> ino = NetnsInode(absl::StrCat("/proc/", pid, "/ns/net"));
    if (!ino || !namespaces.contains(*ino)) continue;
    if (std::optional<ProcStat> st = ReadProcStat(pid)) out[pid] = st->start_time;
  }
  return out;
}

ProcessSet LocalCluster::Survivors(const ProcessSet& before) {
  ProcessSet out;
  for (const auto& [pid, start] : before) {
    std::optional<ProcStat> st = ReadProcStat(pid);
    if (st && st->start_time == start && st->state != 'Z') out[pid] = start;
  }
  return out;
}

bool LocalCluster::LinkExists(const std::string& name) {
  return fs::exists("/sys/class/net/" + name);
}

std::vector<std::string> LocalCluster::PodLinks() const {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/sys/class/net", ec)) {
    const std::string name = e.path().filename().string();
    if (name.rfind(options_.network.veth_prefix, 0) == 0) out.push_back(name);
  }
  return out;
}

std::string LocalCluster::Leftovers(const ProcessSet& processes) const {
  std::vector<std::string> left;
  if (std::vector<std::string> n = PodNetworks(); !n.empty()) {
    left.push_back(absl::StrCat("network namespaces: ", absl::StrJoin(n, " ")));
  }
  if (std::vector<std::string> l = PodLinks(); !l.empty()) {
    left.push_back(absl::StrCat("links: ", absl::StrJoin(l, " ")));
  }
  if (LinkExists(options_.network.bridge)) {
    left.push_back(absl::StrCat("bridge ", options_.network.bridge));
  }
  if (ProcessSet alive = Survivors(processes); !alive.empty()) {
    std::vector<std::string> lines;
    for (const auto& [pid, start] : alive) {
      std::ifstream cmdline(absl::StrCat("/proc/", pid, "/cmdline"));
      std::string cmd((std::istreambuf_iterator<char>(cmdline)), std::istreambuf_iterator<char>());
      std::replace(cmd.begin(), cmd.end(), '\0', ' ');
      lines.push_back(absl::StrCat(pid, " ", cmd.substr(0, 160)));
    }
    left.push_back(absl::StrCat("processes:\n  ", absl::StrJoin(lines, "\n  ")));
  }
  return absl::StrJoin(left, "; ");
}

absl::Status LocalCluster::Shutdown() {
  if (shut_down_) return absl::OkStatus();
  shut_down_ = true;
  absl::Status result = absl::OkStatus();
  auto fail = [&](const std::string& what) {
    if (result.ok()) result = absl::InternalError(what);
  };
  ProcessSet processes = PodProcesses();

  // Pods left by a killed node agent: a new one adopts them, so that its stop stops them.
  if (plane_ != nullptr && !NodeAgentRunning() && !PodNetworks().empty()) {
    if (absl::Status s = StartNodeAgent(); !s.ok()) fail(s.ToString());
  }
  // Delete what the tests made, through the API, while the operator and the node agent run.
  if (plane_ != nullptr && NodeAgentRunning()) {
    if (!options_.operator_binary.empty()) {
      absl::StatusOr<std::string> out =
          Kubectl({"delete", "brokers,nameservices", "--all", "-A", "--wait=false"});
      if (!out.ok()) fail(out.status().ToString());
    }
    absl::StatusOr<std::string> namespaces = Kubectl({"get", "namespaces", "-o", "name"});
    std::vector<std::string> to_delete;
    if (namespaces.ok()) {
      for (absl::string_view line : absl::StrSplit(*namespaces, '\n', absl::SkipWhitespace())) {
        const std::string name(absl::StripPrefix(line, "namespace/"));
        if (!SystemNamespaces().contains(name)) to_delete.push_back(name);
      }
    }
    if (!to_delete.empty()) {
      std::vector<std::string> args = {"delete", "namespace", "--wait=false"};
      args.insert(args.end(), to_delete.begin(), to_delete.end());
      if (absl::StatusOr<std::string> out = Kubectl(args); !out.ok()) {
        fail(out.status().ToString());
      }
    }
    for (const char* what : {"statefulsets,deployments,jobs", "pods"}) {
      absl::StatusOr<std::string> out =
          Kubectl({"-n", "default", "delete", what, "--all", "--wait=false"});
      if (!out.ok()) fail(out.status().ToString());
    }
    if (!WaitNoPods("", "", seconds(120))) {
      fail(absl::StrCat("pods still there 120 s after deleting everything: ",
                        Kubectl({"get", "pods", "-A", "-o", "wide"}).value_or("?")));
    }
  }
  for (const auto& [pid, start] : PodProcesses()) processes[pid] = start;

  if (operator_ != nullptr && operator_->Running()) {
    absl::StatusOr<int> code = StopOperator();
    if (!code.ok()) fail(code.status().ToString());
  }
  if (NodeAgentRunning()) {
    absl::StatusOr<int> code = StopNodeAgent();
    if (!code.ok()) {
      fail(code.status().ToString());
      KillNodeAgent();
    } else if (*code != 0) {
      fail(absl::StrCat("the node agent exited with ", *code, " on SIGTERM"));
    }
  }
  std::string left;
  WaitFor(
      [&] {
        left = Leftovers(processes);
        return left.empty();
      },
      seconds(10));
  if (!left.empty()) fail("the node agent left: " + left);
  if (plane_ != nullptr) {
    if (absl::Status s = plane_->Stop(); !s.ok()) fail(s.ToString());
    plane_.reset();
  }
  if (!dir_.empty() && !KeepTestDirs()) {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  return result;
}

}  // namespace rmq::testing
