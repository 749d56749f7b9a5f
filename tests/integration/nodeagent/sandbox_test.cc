// The node agent's sandbox against the real kernel: a bridge, pod network namespaces with veth
// pairs, processes in pod namespaces (hostname, network, bind mounts, /etc/hosts), exec failures,
// pidfd watchers and adoption of a process whose "agent" is gone, and deletion that leaves no
// namespace, interface or mount behind.
//
// Needs root (CAP_NET_ADMIN, CAP_SYS_ADMIN). Without it the fixture tests skip, or fail when
// CI=true. Every run uses its own names (bridge, netns and veth prefixes from the pid) and a
// 10.245.x.0/24 pod range with 10.246.x.0/24 as the blackholed service range, so it cannot collide
// with a real node agent's rmqbr0 / 10.244.0.0/16; TearDown removes everything, also after a
// failure.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/net/asio.h"
#include "nodeagent/sandbox/command.h"
#include "nodeagent/sandbox/hosts_file.h"
#include "nodeagent/sandbox/ip_allocator.h"
#include "nodeagent/sandbox/names.h"
#include "nodeagent/sandbox/network.h"
#include "nodeagent/sandbox/process.h"
#include "nodeagent/sandbox/process_watcher.h"

namespace rmq::nodeagent {
namespace {

namespace asio = net::asio;
using std::chrono::milliseconds;
using std::chrono::seconds;
using Clock = std::chrono::steady_clock;

constexpr int kPort = 8080;
const std::vector<std::string> kPodEnv = {
    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C"};

// Answers every connection with its hostname (what gethostname() says in the pod), then closes.
constexpr const char* kHostnameServer = R"(
import socket
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 8080))
s.listen(16)
while True:
    c, _ = s.accept()
    c.sendall(socket.gethostname().encode() + b"\n")
    c.close()
)";

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void WriteFile(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::trunc);
  out << content;
}

// Every file and directory under `dir` with the files' contents: equal snapshots = nothing written.
std::string TreeSnapshot(const std::string& dir) {
  std::set<std::string> lines;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    const std::string rel = e.path().string().substr(dir.size());
    lines.insert(e.is_regular_file() ? absl::StrCat(rel, "=", ReadFile(e.path().string()))
                                     : absl::StrCat(rel, "/"));
  }
  std::string all;
  for (const std::string& line : lines) absl::StrAppend(&all, line, "\n");
  return all;
}

// `ls dir | tr '\n' ' '` under LC_ALL=C, plus `extra`.
std::string LsLine(const std::string& dir, const std::vector<std::string>& extra = {}) {
  std::set<std::string> names(extra.begin(), extra.end());
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    names.insert(e.path().filename().string());
  }
  std::string line;
  for (const std::string& n : names) absl::StrAppend(&line, n, " ");
  return line;
}

// The first line a TCP server at ip:port sends, retrying refused connections until `limit` (the
// server may still be starting).
absl::StatusOr<std::string> ReadLineFrom(const std::string& ip, int port, milliseconds limit) {
  const Clock::time_point deadline = Clock::now() + limit;
  std::string last_error = "no attempt";
  while (Clock::now() < deadline) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return absl::InternalError(absl::StrCat("socket: ", std::strerror(errno)));
    timeval tv{.tv_sec = 2, .tv_usec = 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    ::inet_pton(AF_INET, ip.c_str(), &addr.sin_addr);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
      last_error = absl::StrCat("connect ", ip, ":", port, ": ", std::strerror(errno));
      ::close(fd);
      std::this_thread::sleep_for(milliseconds(50));  // readiness poll, bounded by `limit`
      continue;
    }
    std::string line;
    std::array<char, 256> buf{};
    ssize_t n = 0;
    while ((n = ::read(fd, buf.data(), buf.size())) > 0) line.append(buf.data(), n);
    ::close(fd);
    if (!line.empty() && line.back() == '\n') line.pop_back();
    return line;
  }
  return absl::DeadlineExceededError(last_error);
}

// The error of connecting to ip:port (empty if it connected).
std::string ConnectError(const std::string& ip, int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  ::inet_pton(AF_INET, ip.c_str(), &addr.sin_addr);
  std::string error;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    error = std::strerror(errno);
  }
  ::close(fd);
  return error;
}

// Runs the io_context until the watcher reports the exit (at most `limit`).
absl::StatusOr<ExitStatus> WaitExit(ProcessWatcher& watcher, asio::io_context& io,
                                    milliseconds limit) {
  std::optional<absl::StatusOr<ExitStatus>> result;
  watcher.AsyncWait([&result](absl::StatusOr<ExitStatus> s) { result = std::move(s); });
  const Clock::time_point deadline = Clock::now() + limit;
  io.restart();
  while (!result && Clock::now() < deadline) io.run_for(milliseconds(50));
  if (!result) {
    watcher.Cancel();
    io.restart();
    while (!result) io.run_one();
    return absl::DeadlineExceededError(
        absl::StrCat("process ", watcher.pid(), " still runs after ", limit.count(), " ms"));
  }
  return *std::move(result);
}

std::string Sh(const std::vector<std::string>& argv) {
  absl::StatusOr<CommandResult> r = RunCommand(argv);
  return r.ok() ? absl::StrCat(r->out, r->err) : std::string(r.status().message());
}

// Names of the host's network interfaces starting with `prefix`.
std::vector<std::string> HostLinksStartingWith(const std::string& prefix) {
  std::vector<std::string> found;
  std::stringstream lines(Sh({"ip", "-o", "link", "show"}));  // "7: name@peer: <...> ..."
  for (std::string line; std::getline(lines, line);) {
    const size_t start = line.find(": ");
    if (start == std::string::npos) continue;
    std::string name = line.substr(start + 2, line.find_first_of(":@", start + 2) - start - 2);
    if (absl::StartsWith(name, prefix)) found.push_back(name);
  }
  return found;
}

struct Pod {
  std::string name{};
  std::string uid{};
  PodNetworkNames names{};
  PodNetwork net{};
  std::string dir{};  // host dir: hosts file, logs
};

class SandboxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const unsigned suffix = static_cast<unsigned>(::getpid()) & 0xffffU;
    sfx_ = absl::StrFormat("%04x", suffix);
    // A /24 no other run (another worktree's test at the same time) has routed yet.
    const std::string routes = Sh({"ip", "-4", "route", "show"});
    int octet = static_cast<int>(::getpid() % 250) + 1;
    for (int tries = 0;
         tries < 250 && absl::StrContains(routes, absl::StrCat("10.245.", octet, ".")); ++tries) {
      octet = octet % 250 + 1;
    }
    bridge_ = {.name = absl::StrCat("rmqt", sfx_, "br"),
               .cidr = absl::StrCat("10.245.", octet, ".0/24"),
               .gateway = absl::StrCat("10.245.", octet, ".1"),
               .service_cidr = absl::StrCat("10.246.", octet, ".0/24")};
    prefixes_ = {.netns = absl::StrCat("rmqt-", sfx_, "-"), .veth = absl::StrCat("t", sfx_)};
    service_ip_ = absl::StrCat("10.246.", octet, ".10");

    // The project's machines and CI run tests as root; without it this test fails, never skips.
    if (::geteuid() != 0) {
      GTEST_FAIL() << "the sandbox integration test needs root (CAP_NET_ADMIN, CAP_SYS_ADMIN)";
    }
    std::string dir = ::testing::TempDir() + "rmqsbx_XXXXXX";
    ASSERT_NE(::mkdtemp(dir.data()), nullptr) << std::strerror(errno);
    tmp_ = dir;
    ctr_root_ = absl::StrCat("/tmp/rmqsbx-ctr-", sfx_);  // container paths: must not exist yet
    std::filesystem::remove_all(ctr_root_);
    ip_forward_before_ = ReadFile("/proc/sys/net/ipv4/ip_forward");

    absl::Status bridge = EnsureBridge(bridge_);
    made_bridge_ = !absl::IsPermissionDenied(bridge);  // else there is nothing to remove
    if (absl::IsPermissionDenied(bridge)) GTEST_FAIL() << "no permission for a bridge: " << bridge;
    ASSERT_TRUE(bridge.ok()) << bridge;
    absl::StatusOr<IpAllocator> alloc = IpAllocator::Create(bridge_.cidr, bridge_.gateway);
    ASSERT_TRUE(alloc.ok()) << alloc.status();
    alloc_ = std::make_unique<IpAllocator>(*std::move(alloc));
  }

  void TearDown() override {
    // Processes first (they keep namespaces alive), then namespaces, bridge, files.
    for (pid_t pgid : process_groups_) ::kill(-pgid, SIGKILL);
    for (pid_t pid : process_groups_) {
      ::waitpid(pid, nullptr, 0);  // ours are reaped; for an orphan this fails at once (ECHILD)
    }
    if (made_bridge_) {
      absl::StatusOr<std::vector<std::string>> left = ListPodNetworks(prefixes_.netns);
      if (left.ok()) {
        for (const std::string& netns : *left) {
          absl::Status deleted = DeletePodNetwork(netns);
          EXPECT_TRUE(deleted.ok()) << deleted;
        }
      }
      absl::Status deleted = DeleteBridge(bridge_);
      EXPECT_TRUE(deleted.ok()) << deleted;
      EXPECT_EQ(HostLinksStartingWith(prefixes_.veth), std::vector<std::string>{});
      EXPECT_FALSE(absl::StrContains(Sh({"ip", "link", "show"}), bridge_.name));
      EXPECT_FALSE(absl::StrContains(Sh({"ip", "route", "show", "type", "blackhole"}),
                                     bridge_.service_cidr));
      EXPECT_EQ(ReadFile("/proc/sys/net/ipv4/ip_forward"), ip_forward_before_)
          << "the sandbox must never touch ip_forward";
    }
    std::error_code ec;
    if (!ctr_root_.empty()) std::filesystem::remove_all(ctr_root_, ec);
    if (!tmp_.empty()) std::filesystem::remove_all(tmp_, ec);
  }

  // A pod network for `name` with a fresh address.
  Pod MakePod(const std::string& name, const std::string& uid) {
    Pod pod{.name = name, .uid = uid};
    absl::StatusOr<PodNetworkNames> names = PodNetworkNamesFor(uid, prefixes_);
    EXPECT_TRUE(names.ok()) << names.status();
    pod.names = *names;
    absl::StatusOr<std::string> ip = alloc_->Allocate();
    EXPECT_TRUE(ip.ok()) << ip.status();
    absl::StatusOr<PodNetwork> net = CreatePodNetwork({.netns = pod.names.netns,
                                                       .host_veth = pod.names.host_veth,
                                                       .bridge = bridge_.name,
                                                       .ip = *ip,
                                                       .prefix_len = alloc_->prefix_len()});
    EXPECT_TRUE(net.ok()) << net.status();
    if (net.ok()) pod.net = *net;
    pod.dir = absl::StrCat(tmp_, "/", name);
    std::filesystem::create_directories(pod.dir);
    return pod;
  }

  // Spawns in the pod's namespaces with hostname = pod name; remembered for TearDown.
  absl::StatusOr<pid_t> Spawn(const Pod& pod, std::vector<std::string> argv,
                              std::vector<Mount> mounts = {}, std::string hosts_file = "",
                              const std::string& log_name = "out.log") {
    absl::StatusOr<pid_t> pid = SpawnInPod({.argv = std::move(argv),
                                            .env = kPodEnv,
                                            .netns_path = pod.net.netns_path,
                                            .hostname = pod.name,
                                            .mounts = std::move(mounts),
                                            .hosts_file = std::move(hosts_file),
                                            .log_path = absl::StrCat(pod.dir, "/", log_name)});
    if (pid.ok()) process_groups_.push_back(*pid);
    return pid;
  }

  std::string sfx_;
  BridgeConfig bridge_;
  PodNetworkNamePrefixes prefixes_;
  std::string service_ip_;
  std::string tmp_;
  std::string ctr_root_;
  std::string ip_forward_before_;
  bool made_bridge_ = false;
  std::unique_ptr<IpAllocator> alloc_;
  std::vector<pid_t> process_groups_;
  asio::io_context io_;
};

TEST_F(SandboxTest, BridgeIsIdempotentAndTheServiceRangeIsBlackholed) {
  ASSERT_TRUE(EnsureBridge(bridge_).ok());
  ASSERT_TRUE(EnsureBridge(bridge_).ok());
  const std::string addrs = Sh({"ip", "-4", "addr", "show", "dev", bridge_.name});
  EXPECT_TRUE(absl::StrContains(addrs, absl::StrCat("inet ", bridge_.gateway, "/24"))) << addrs;
  EXPECT_TRUE(absl::StrContains(Sh({"ip", "link", "show", "dev", bridge_.name}), "UP"));
  EXPECT_TRUE(
      absl::StrContains(Sh({"ip", "route", "show", "type", "blackhole"}), bridge_.service_cidr));
  // A ClusterIP fails at once (no kube-proxy), instead of leaving through the default route.
  const std::string error = ConnectError(service_ip_, 80);
  EXPECT_FALSE(error.empty());
  EXPECT_EQ(ReadFile("/proc/sys/net/ipv4/ip_forward"), ip_forward_before_);

  // A link of that name that is not a bridge is refused, not reused.
  BridgeConfig clash = bridge_;
  clash.name = absl::StrCat("rmqt", sfx_, "xx");
  ASSERT_EQ(Sh({"ip", "link", "add", clash.name, "type", "veth", "peer", "name", clash.name + "p"}),
            "");
  absl::Status refused = EnsureBridge(clash);
  EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition) << refused;
  EXPECT_TRUE(absl::StrContains(refused.message(), "kind \"veth\"")) << refused;
  Sh({"ip", "link", "del", clash.name});
}

TEST_F(SandboxTest, PodsGetHostnameNetworkMountsAndHostsFile) {
  const std::string uid_a = absl::StrCat("aaaaaaaa-0000-4000-8000-00000000", sfx_);
  const std::string uid_b = absl::StrCat("bbbbbbbb-0000-4000-8000-00000000", sfx_);
  Pod a = MakePod("sbx-a", uid_a);
  Pod b = MakePod("sbx-b", uid_b);
  ASSERT_FALSE(a.net.netns_path.empty());
  ASSERT_FALSE(b.net.netns_path.empty());
  EXPECT_FALSE(a.net.adopted);

  // Each pod's /etc/hosts names both under the headless Service "sbx" in namespace "test".
  const std::vector<HostsPeer> peers = {{.hostname = "sbx-a", .ip = a.net.ip},
                                        {.hostname = "sbx-b", .ip = b.net.ip}};
  for (Pod* pod : {&a, &b}) {
    const std::string hosts = RenderHostsFile({.pod_name = pod->name,
                                               .pod_ip = pod->net.ip,
                                               .subdomain = "sbx",
                                               .pod_namespace = "test",
                                               .peers = peers});
    ASSERT_TRUE(WriteFileInPlace(pod->dir + "/hosts", hosts).ok());
  }

  // Servers answering with their hostname, in both pods.
  ASSERT_TRUE(
      Spawn(a, {"python3", "-c", kHostnameServer}, {}, a.dir + "/hosts", "server.log").ok());
  ASSERT_TRUE(
      Spawn(b, {"python3", "-c", kHostnameServer}, {}, b.dir + "/hosts", "server.log").ok());
  // The host reaches both; hostname == pod name.
  absl::StatusOr<std::string> from_a = ReadLineFrom(a.net.ip, kPort, seconds(20));
  ASSERT_TRUE(from_a.ok()) << from_a.status() << "\n" << ReadFile(a.dir + "/server.log");
  EXPECT_EQ(*from_a, "sbx-a");
  absl::StatusOr<std::string> from_b = ReadLineFrom(b.net.ip, kPort, seconds(20));
  ASSERT_TRUE(from_b.ok()) << from_b.status() << "\n" << ReadFile(b.dir + "/server.log");
  EXPECT_EQ(*from_b, "sbx-b");

  // Volumes: a read-only config dir at a nested path that does not exist yet, a writable data
  // dir, a single file.
  std::filesystem::create_directories(tmp_ + "/config");
  std::filesystem::create_directories(tmp_ + "/data");
  WriteFile(tmp_ + "/config/key", "value-" + sfx_);
  WriteFile(tmp_ + "/single.txt", "single-" + sfx_);
  const std::string config_at = ctr_root_ + "/etc/config";
  const std::string data_at = ctr_root_ + "/home/rocketmq/store";
  const std::string file_at = ctr_root_ + "/opt/file.txt";
  ASSERT_FALSE(std::filesystem::exists(ctr_root_));
  const std::vector<Mount> mounts = {
      {.host_path = tmp_ + "/config", .container_path = config_at, .read_only = true},
      {.host_path = tmp_ + "/data", .container_path = data_at},
      {.host_path = tmp_ + "/single.txt", .container_path = file_at, .read_only = true},
  };
  // Pod A checks everything from the inside, reaching B by its stable DNS name (/etc/hosts).
  const std::string script = absl::StrCat(
      "echo \"hostname=$(cat /proc/sys/kernel/hostname)\"\n", "echo \"config=$(cat ", config_at,
      "/key)\"\n", "if (echo x > ", config_at,
      "/new) 2>/dev/null; then echo config_ro=no; else echo "
      "config_ro=yes; fi\n",
      "echo written > ", data_at, "/out.txt && echo data_rw=yes\n", "echo \"file=$(cat ", file_at,
      ")\"\n", "exec 3<>/dev/tcp/sbx-b.sbx.test.svc.cluster.local/", kPort,
      " && read -r peer <&3 && "
      "echo \"peer=$peer\"\n",
      "exec 3<&-\n", "echo \"sys_net=$(ls /sys/class/net | tr '\\n' ' ')\"\n",
      "echo \"default_route=$(ip -4 route show default)\"\n",
      "echo \"routes=$(ip -4 route show | wc -l)\"\n", "echo \"cwd=$(pwd)\"\n",
      "echo ---hosts---; cat /etc/hosts\n");
  absl::StatusOr<pid_t> checker = SpawnInPod({.argv = {"bash", "-c", script},
                                              .env = kPodEnv,
                                              .working_dir = data_at,
                                              .netns_path = a.net.netns_path,
                                              .hostname = a.name,
                                              .mounts = mounts,
                                              .hosts_file = a.dir + "/hosts",
                                              .log_path = a.dir + "/checker.log"});
  ASSERT_TRUE(checker.ok()) << checker.status();
  process_groups_.push_back(*checker);
  absl::StatusOr<std::unique_ptr<ProcessWatcher>> watcher =
      ProcessWatcher::Watch(io_.get_executor(), *checker);
  ASSERT_TRUE(watcher.ok()) << watcher.status();
  absl::StatusOr<ExitStatus> exit = WaitExit(**watcher, io_, seconds(20));
  const std::string log = ReadFile(a.dir + "/checker.log");
  ASSERT_TRUE(exit.ok()) << exit.status() << "\n" << log;
  EXPECT_EQ(*exit, (ExitStatus{.kind = ExitStatus::Kind::kExited, .code = 0})) << log;

  EXPECT_TRUE(absl::StrContains(log, "hostname=sbx-a\n")) << log;
  EXPECT_TRUE(absl::StrContains(log, absl::StrCat("config=value-", sfx_, "\n"))) << log;
  EXPECT_TRUE(absl::StrContains(log, "config_ro=yes\n")) << log;
  EXPECT_TRUE(absl::StrContains(log, "data_rw=yes\n")) << log;
  EXPECT_EQ(ReadFile(tmp_ + "/data/out.txt"), "written\n");
  EXPECT_TRUE(absl::StrContains(log, absl::StrCat("file=single-", sfx_, "\n"))) << log;
  EXPECT_TRUE(absl::StrContains(log, "peer=sbx-b\n")) << log;        // A reaches B by DNS name
  EXPECT_TRUE(absl::StrContains(log, "sys_net=eth0 lo \n")) << log;  // /sys of the pod's netns
  EXPECT_TRUE(absl::StrContains(log, "default_route=\n")) << log;    // no way out
  EXPECT_TRUE(absl::StrContains(log, "routes=1\n")) << log;          // only the on-link prefix
  EXPECT_TRUE(absl::StrContains(log, absl::StrCat("cwd=", data_at, "\n"))) << log;
  EXPECT_TRUE(absl::StrContains(log, "---hosts---\n" + ReadFile(a.dir + "/hosts"))) << log;
  // Mounts stay in the pod's mount namespace; the mount points themselves were created.
  EXPECT_FALSE(absl::StrContains(ReadFile("/proc/self/mounts"), ctr_root_));
  EXPECT_TRUE(std::filesystem::is_directory(config_at));
  EXPECT_TRUE(std::filesystem::is_regular_file(file_at));
  EXPECT_FALSE(std::filesystem::exists(tmp_ + "/config/new"));

  // An update of the hosts file in place reaches the running pod (same inode under the mount).
  const std::string updated = RenderHostsFile(
      {.pod_name = "sbx-b",
       .pod_ip = b.net.ip,
       .subdomain = "sbx",
       .pod_namespace = "test",
       .peers = {{.hostname = "sbx-a", .ip = a.net.ip}, {.hostname = "sbx-c", .ip = "10.9.9.9"}}});
  ASSERT_TRUE(WriteFileInPlace(b.dir + "/hosts", updated).ok());
  absl::StatusOr<pid_t> reader = Spawn(b, {"cat", "/etc/hosts"}, {}, b.dir + "/hosts", "cat.log");
  ASSERT_TRUE(reader.ok()) << reader.status();
  absl::StatusOr<std::unique_ptr<ProcessWatcher>> reader_watch =
      ProcessWatcher::Watch(io_.get_executor(), *reader);
  ASSERT_TRUE(reader_watch.ok());
  ASSERT_TRUE(WaitExit(**reader_watch, io_, seconds(10)).ok());
  EXPECT_EQ(ReadFile(b.dir + "/cat.log"), updated);
}

TEST_F(SandboxTest, CreatePodNetworkAdoptsCompleteAndRepairsHalfMadeNamespaces) {
  Pod pod = MakePod("sbx-r", absl::StrCat("cccccccc-0000-4000-8000-00000000", sfx_));
  ASSERT_FALSE(pod.net.netns_path.empty());
  const PodNetworkSpec spec{.netns = pod.names.netns,
                            .host_veth = pod.names.host_veth,
                            .bridge = bridge_.name,
                            .ip = pod.net.ip,
                            .prefix_len = alloc_->prefix_len()};
  // Complete: adopted as is.
  absl::StatusOr<PodNetwork> again = CreatePodNetwork(spec);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_TRUE(again->adopted);
  absl::StatusOr<PodNetworkState> state = InspectPodNetwork(pod.names.netns);
  ASSERT_TRUE(state.ok()) << state.status();
  EXPECT_EQ(state->ip, pod.net.ip);
  EXPECT_EQ(state->prefix_len, 24);
  EXPECT_EQ(state->host_veth, pod.names.host_veth);
  EXPECT_EQ(state->bridge, bridge_.name);
  EXPECT_TRUE(state->eth0_up && state->lo_up && state->host_veth_up);

  // After a restart: the surviving address goes back into a fresh allocator.
  absl::StatusOr<IpAllocator> fresh = IpAllocator::Create(bridge_.cidr, bridge_.gateway);
  ASSERT_TRUE(fresh.ok());
  absl::StatusOr<std::vector<std::string>> listed = ListPodNetworks(prefixes_.netns);
  ASSERT_TRUE(listed.ok()) << listed.status();
  ASSERT_EQ(*listed, std::vector<std::string>{pod.names.netns});
  for (const std::string& netns : *listed) {
    absl::StatusOr<PodNetworkState> s = InspectPodNetwork(netns);
    ASSERT_TRUE(s.ok());
    EXPECT_TRUE(fresh->Adopt(s->ip).ok());
  }
  EXPECT_TRUE(fresh->InUse(pod.net.ip));

  // Half-made: eth0 gone (a crash between two steps). Recreated.
  ASSERT_EQ(Sh({"ip", "-n", pod.names.netns, "link", "del", "eth0"}), "");
  absl::StatusOr<PodNetwork> repaired = CreatePodNetwork(spec);
  ASSERT_TRUE(repaired.ok()) << repaired.status();
  EXPECT_FALSE(repaired->adopted);
  // Half-made: only the namespace exists.
  ASSERT_TRUE(DeletePodNetwork(pod.names.netns).ok());
  ASSERT_EQ(Sh({"ip", "netns", "add", pod.names.netns}), "");
  repaired = CreatePodNetwork(spec);
  ASSERT_TRUE(repaired.ok()) << repaired.status();
  EXPECT_FALSE(repaired->adopted);
  // Another address than asked for: recreated with the new one.
  PodNetworkSpec moved = spec;
  moved.ip = *alloc_->Allocate();
  repaired = CreatePodNetwork(moved);
  ASSERT_TRUE(repaired.ok()) << repaired.status();
  EXPECT_FALSE(repaired->adopted);
  state = InspectPodNetwork(pod.names.netns);
  ASSERT_TRUE(state.ok());
  EXPECT_EQ(state->ip, moved.ip);
  // The host reaches the new address (nothing listens: the pod's kernel refuses).
  EXPECT_EQ(ConnectError(moved.ip, kPort), "Connection refused");

  // A leftover host veth of that name without the namespace is removed before creating.
  ASSERT_TRUE(DeletePodNetwork(pod.names.netns).ok());
  ASSERT_EQ(Sh({"ip", "link", "add", pod.names.host_veth, "type", "veth", "peer", "name",
                prefixes_.veth + "peer"}),
            "");
  repaired = CreatePodNetwork(spec);
  ASSERT_TRUE(repaired.ok()) << repaired.status();
  state = InspectPodNetwork(pod.names.netns);
  ASSERT_TRUE(state.ok());
  EXPECT_EQ(state->host_veth, pod.names.host_veth);
  EXPECT_EQ(state->bridge, bridge_.name);

  // Failures name the command and quote ip's stderr; nothing is left behind.
  PodNetworkSpec bad = spec;
  bad.netns = prefixes_.netns + "nobridge";
  bad.host_veth = prefixes_.veth + "nobr";
  bad.bridge = "rmqnosuchbr0";
  absl::StatusOr<PodNetwork> failed = CreatePodNetwork(bad);
  ASSERT_FALSE(failed.ok());
  EXPECT_TRUE(absl::StrContains(failed.status().message(), "ip link set dev")) << failed.status();
  EXPECT_TRUE(absl::StrContains(failed.status().message(), "rmqnosuchbr0")) << failed.status();
  EXPECT_FALSE(std::filesystem::exists(NetnsPath(bad.netns)));
  EXPECT_FALSE(absl::StrContains(Sh({"ip", "link", "show"}), bad.host_veth));
  EXPECT_EQ(CreatePodNetwork({.netns = "x", .host_veth = "this-is-too-long", .ip = "10.0.0.2"})
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(InspectPodNetwork(prefixes_.netns + "missing").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_TRUE(DeletePodNetwork(prefixes_.netns + "missing").ok());
}

TEST_F(SandboxTest, FailuresInThePodSetupAreReported) {
  Pod pod = MakePod("sbx-f", absl::StrCat("dddddddd-0000-4000-8000-00000000", sfx_));
  ASSERT_FALSE(pod.net.netns_path.empty());
  absl::StatusOr<pid_t> no_netns =
      SpawnInPod({.argv = {"true"}, .netns_path = NetnsPath(prefixes_.netns + "gone")});
  EXPECT_EQ(no_netns.status().code(), absl::StatusCode::kNotFound) << no_netns.status();
  // A file that is not a namespace: setns fails in the child.
  absl::StatusOr<pid_t> not_netns = SpawnInPod({.argv = {"true"}, .netns_path = "/etc/hostname"});
  ASSERT_FALSE(not_netns.ok());
  EXPECT_TRUE(absl::StrContains(not_netns.status().message(), "setns(/etc/hostname"))
      << not_netns.status();
  absl::StatusOr<pid_t> no_source =
      Spawn(pod, {"true"}, {{.host_path = tmp_ + "/missing", .container_path = ctr_root_ + "/x"}});
  EXPECT_EQ(no_source.status().code(), absl::StatusCode::kNotFound) << no_source.status();
  // A mount point below a file cannot be created: the failing mkdir is named.
  WriteFile(tmp_ + "/plain", "x");
  absl::StatusOr<pid_t> bad_target =
      Spawn(pod, {"true"}, {{.host_path = tmp_, .container_path = tmp_ + "/plain/below"}});
  ASSERT_FALSE(bad_target.ok());
  EXPECT_TRUE(absl::StrContains(bad_target.status().message(),
                                absl::StrCat("mkdir ", tmp_, "/plain/below")))
      << bad_target.status();
  absl::StatusOr<pid_t> relative =
      Spawn(pod, {"true"}, {{.host_path = tmp_, .container_path = "etc/config"}});
  EXPECT_EQ(relative.status().code(), absl::StatusCode::kInvalidArgument);
  absl::StatusOr<pid_t> no_program = Spawn(pod, {"/nonexistent/rmq-program"});
  EXPECT_EQ(no_program.status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(absl::StrContains(no_program.status().message(), "execve /nonexistent/rmq-program"))
      << no_program.status();
}

TEST_F(SandboxTest, ImageRootIsOverlaidWithWritesInTheScratchDirAndAPrivateDevShm) {
  Pod pod = MakePod("sbx-i", absl::StrCat("a1a1a1a1-0000-4000-8000-00000000", sfx_));
  ASSERT_FALSE(pod.net.netns_path.empty());
  const std::string image = tmp_ + "/image";
  const std::string scratch = tmp_ + "/scratch";
  std::filesystem::create_directories(image + "/home/app/bin");
  std::filesystem::create_directories(image + "/home/app/conf");
  std::filesystem::create_directories(tmp_ + "/vol");
  WriteFile(image + "/home/app/bin/run.sh", "#!/bin/sh\necho \"run $(cat ../conf/x.conf)\"\n");
  ::chmod((image + "/home/app/bin/run.sh").c_str(), 0755);
  WriteFile(image + "/home/app/conf/x.conf", "x-" + sfx_);
  const std::string image_before = TreeSnapshot(image);
  const std::string host_home_before = LsLine("/home");
  const std::string host_shm_file = absl::StrCat("/dev/shm/rmqsbx-host-", sfx_);
  const std::string pod_shm_name = absl::StrCat("rmqsbx-pod-", sfx_);
  WriteFile(host_shm_file, "host");
  absl::Cleanup remove_shm_files = [&] {
    std::filesystem::remove(host_shm_file);
    std::filesystem::remove("/dev/shm/" + pod_shm_name);
  };

  const std::string script = absl::StrCat(
      "./run.sh\n", "echo \"home=$(ls /home | tr '\\n' ' ')\"\n",
      "echo changed > /home/app/conf/x.conf && echo \"conf=$(cat /home/app/conf/x.conf)\"\n",
      "mkdir /home/app/new && echo new > /home/app/new/f && echo new_rw=yes\n",
      "echo vol > /home/app/data/v && echo vol_rw=yes\n", "echo shm > /dev/shm/", pod_shm_name,
      " && echo \"shm=$(ls /dev/shm | tr '\\n' ' ')\"\n",
      "echo \"shm_fs=$(stat -f -c %T /dev/shm)\"\n");
  absl::StatusOr<pid_t> pid =
      SpawnInPod({.argv = {"sh", "-c", script},
                  .env = kPodEnv,
                  .working_dir = "/home/app/bin",
                  .netns_path = pod.net.netns_path,
                  .hostname = pod.name,
                  .image_root = image,
                  .scratch_dir = scratch,
                  .mounts = {{.host_path = tmp_ + "/vol", .container_path = "/home/app/data"}},
                  .log_path = pod.dir + "/image.log"});
  ASSERT_TRUE(pid.ok()) << pid.status();
  process_groups_.push_back(*pid);
  absl::StatusOr<std::unique_ptr<ProcessWatcher>> watcher =
      ProcessWatcher::Watch(io_.get_executor(), *pid);
  ASSERT_TRUE(watcher.ok()) << watcher.status();
  absl::StatusOr<ExitStatus> exit = WaitExit(**watcher, io_, seconds(20));
  const std::string log = ReadFile(pod.dir + "/image.log");
  ASSERT_TRUE(exit.ok()) << exit.status() << "\n" << log;
  EXPECT_EQ(*exit, (ExitStatus{.kind = ExitStatus::Kind::kExited, .code = 0})) << log;

  EXPECT_TRUE(absl::StrContains(log, absl::StrCat("run x-", sfx_, "\n"))) << log;
  // The image's /home over the host's: both the image's app and the host's entries.
  EXPECT_TRUE(absl::StrContains(log, absl::StrCat("home=", LsLine("/home", {"app"}), "\n"))) << log;
  EXPECT_TRUE(absl::StrContains(log, "conf=changed\n")) << log;
  EXPECT_TRUE(absl::StrContains(log, "new_rw=yes\n")) << log;
  EXPECT_TRUE(absl::StrContains(log, "vol_rw=yes\n")) << log;
  // /dev/shm: a tmpfs of its own, the host's files not in it, the pod's not on the host.
  EXPECT_TRUE(absl::StrContains(log, absl::StrCat("shm=", pod_shm_name, " \n"))) << log;
  EXPECT_TRUE(absl::StrContains(log, "shm_fs=tmpfs\n")) << log;
  EXPECT_FALSE(std::filesystem::exists("/dev/shm/" + pod_shm_name));

  // Writes went to the scratch dir; the image root and the host's /home are untouched.
  EXPECT_EQ(TreeSnapshot(image), image_before);
  EXPECT_EQ(LsLine("/home"), host_home_before);
  EXPECT_EQ(ReadFile(scratch + "/home/upper/app/conf/x.conf"), "changed\n");
  EXPECT_EQ(ReadFile(scratch + "/home/upper/app/new/f"), "new\n");
  EXPECT_TRUE(std::filesystem::is_directory(scratch + "/home/upper/app/data"));  // mount point
  EXPECT_EQ(ReadFile(tmp_ + "/vol/v"), "vol\n");

  // Nothing stays mounted: the host never saw the mounts, and the scratch dir can go.
  const std::string host_mounts = ReadFile("/proc/self/mounts");
  EXPECT_FALSE(absl::StrContains(host_mounts, scratch)) << host_mounts;
  EXPECT_FALSE(absl::StrContains(host_mounts, image)) << host_mounts;
  std::error_code ec;
  std::filesystem::remove_all(scratch, ec);
  EXPECT_FALSE(ec) << ec.message();
}

TEST_F(SandboxTest, ImageRootUnderItsOwnEntryGetsTheImageDirectoryAlone) {
  // The image root lies under the host directory its entry overlays (e.g. /tmp/x/root/tmp over
  // /tmp): the kernel refuses lowerdir=ROOT/tmp:/tmp (ELOOP), so the image's /tmp is used alone.
  const std::string top = tmp_.substr(1, tmp_.find('/', 1) - 1);  // "tmp"
  ASSERT_FALSE(top.empty());
  const std::string image = tmp_ + "/eloop-image";
  const std::string scratch = tmp_ + "/eloop-scratch";
  std::filesystem::create_directories(absl::StrCat(image, "/", top));
  WriteFile(absl::StrCat(image, "/", top, "/marker"), "marker-" + sfx_);
  const std::string image_before = TreeSnapshot(image);
  const std::string script =
      absl::StrCat("echo \"marker=$(cat /", top, "/marker)\"\n", "if [ -e ", tmp_,
                   " ]; then echo host_visible=yes; else echo host_visible=no; fi\n", "echo w > /",
                   top, "/written && echo written=yes\n");
  const std::string log_path = tmp_ + "/eloop.log";
  absl::StatusOr<pid_t> pid = SpawnInPod({.argv = {"sh", "-c", script},
                                          .env = kPodEnv,
                                          .image_root = image,
                                          .scratch_dir = scratch,
                                          .log_path = log_path});
  ASSERT_TRUE(pid.ok()) << pid.status();
  process_groups_.push_back(*pid);
  absl::StatusOr<std::unique_ptr<ProcessWatcher>> watcher =
      ProcessWatcher::Watch(io_.get_executor(), *pid);
  ASSERT_TRUE(watcher.ok()) << watcher.status();
  absl::StatusOr<ExitStatus> exit = WaitExit(**watcher, io_, seconds(20));
  const std::string log = ReadFile(log_path);
  ASSERT_TRUE(exit.ok()) << exit.status() << "\n" << log;
  EXPECT_EQ(*exit, (ExitStatus{.kind = ExitStatus::Kind::kExited, .code = 0})) << log;
  EXPECT_TRUE(absl::StrContains(log, absl::StrCat("marker=marker-", sfx_, "\n"))) << log;
  EXPECT_TRUE(absl::StrContains(log, "host_visible=no\n")) << log;  // the image's alone
  EXPECT_TRUE(absl::StrContains(log, "written=yes\n")) << log;
  EXPECT_EQ(ReadFile(absl::StrCat(scratch, "/", top, "/upper/written")), "w\n");
  EXPECT_EQ(TreeSnapshot(image), image_before);
  EXPECT_FALSE(std::filesystem::exists(absl::StrCat("/", top, "/written")));
  EXPECT_FALSE(absl::StrContains(ReadFile("/proc/self/mounts"), scratch));
}

TEST_F(SandboxTest, ImageEntriesMissingOnTheHostAndBadImageSpecsAreErrors) {
  const std::string image = tmp_ + "/missing-image";
  const std::string missing = absl::StrCat("rmqsbx-missing-", sfx_);
  std::filesystem::create_directories(absl::StrCat(image, "/home"));
  std::filesystem::create_directories(absl::StrCat(image, "/", missing));
  ASSERT_FALSE(std::filesystem::exists("/" + missing));
  absl::StatusOr<pid_t> pid = SpawnInPod(
      {.argv = {"true"}, .env = kPodEnv, .image_root = image, .scratch_dir = tmp_ + "/s1"});
  EXPECT_EQ(pid.status().code(), absl::StatusCode::kFailedPrecondition) << pid.status();
  EXPECT_TRUE(absl::StrContains(pid.status().message(), absl::StrCat("image entry /", missing)))
      << pid.status();
  EXPECT_FALSE(std::filesystem::exists("/" + missing));  // not created on the host

  const std::string ok_image = tmp_ + "/ok-image";
  std::filesystem::create_directories(ok_image + "/home");
  WriteFile(ok_image + "/file", "a top-level file");
  EXPECT_EQ(SpawnInPod({.argv = {"true"}, .image_root = ok_image, .scratch_dir = tmp_ + "/s2"})
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);  // top-level entries must be directories
  std::filesystem::remove(ok_image + "/file");
  EXPECT_EQ(SpawnInPod({.argv = {"true"}, .image_root = ok_image}).status().code(),
            absl::StatusCode::kInvalidArgument);  // no scratch dir
  EXPECT_EQ(SpawnInPod({.argv = {"true"}, .scratch_dir = tmp_ + "/s3"}).status().code(),
            absl::StatusCode::kInvalidArgument);  // a scratch dir without an image
  EXPECT_EQ(
      SpawnInPod({.argv = {"true"}, .image_root = ok_image, .scratch_dir = ok_image + "/scratch"})
          .status()
          .code(),
      absl::StatusCode::kInvalidArgument);  // the image root is never written
  EXPECT_FALSE(std::filesystem::exists(ok_image + "/scratch"));
  EXPECT_EQ(
      SpawnInPod(
          {.argv = {"true"}, .image_root = tmp_ + "/no-such-image", .scratch_dir = tmp_ + "/s4"})
          .status()
          .code(),
      absl::StatusCode::kNotFound);
}

TEST_F(SandboxTest, RunsAsTheGivenUserAndGroup) {
  Pod pod = MakePod("sbx-u", absl::StrCat("abababab-0000-4000-8000-00000000", sfx_));
  ASSERT_FALSE(pod.net.netns_path.empty());
  absl::StatusOr<pid_t> pid = SpawnInPod({.argv = {"sh", "-c", "echo $(id -u) $(id -g) $(id -G)"},
                                          .env = kPodEnv,
                                          .netns_path = pod.net.netns_path,
                                          .hostname = pod.name,
                                          .log_path = pod.dir + "/id.log",
                                          .uid = 65534,
                                          .gid = 65533});
  ASSERT_TRUE(pid.ok()) << pid.status();
  process_groups_.push_back(*pid);
  absl::StatusOr<std::unique_ptr<ProcessWatcher>> watcher =
      ProcessWatcher::Watch(io_.get_executor(), *pid);
  ASSERT_TRUE(watcher.ok());
  absl::StatusOr<ExitStatus> exit = WaitExit(**watcher, io_, seconds(10));
  ASSERT_TRUE(exit.ok()) << exit.status();
  EXPECT_EQ(exit->ContainerExitCode(), 0);
  EXPECT_EQ(ReadFile(pod.dir + "/id.log"), "65534 65533 65533\n");
}

TEST_F(SandboxTest, ProcessOutlivesItsAgentAndIsAdoptedThroughItsPidfd) {
  Pod pod = MakePod("sbx-p", absl::StrCat("eeeeeeee-0000-4000-8000-00000000", sfx_));
  ASSERT_FALSE(pod.net.netns_path.empty());

  // 1. Within this process: the watcher (the agent's object) goes away, the process stays; a new
  //    watcher adopts it, and as it is still our child its exit status is known.
  absl::StatusOr<pid_t> pid = Spawn(pod, {"sleep", "600"});
  ASSERT_TRUE(pid.ok()) << pid.status();
  ProcessIdentity id;
  {
    asio::io_context agent_io;
    absl::StatusOr<std::unique_ptr<ProcessWatcher>> watcher =
        ProcessWatcher::Watch(agent_io.get_executor(), *pid);
    ASSERT_TRUE(watcher.ok()) << watcher.status();
    id = (*watcher)->identity();
    std::optional<absl::StatusOr<ExitStatus>> pending;
    (*watcher)->AsyncWait([&pending](absl::StatusOr<ExitStatus> s) { pending = std::move(s); });
    agent_io.poll();
    EXPECT_FALSE(pending.has_value());
    watcher->reset();  // the "agent" drops its watcher...
    agent_io.run();    // ...its pending wait ends as cancelled...
    ASSERT_TRUE(pending.has_value());
    EXPECT_EQ(pending->status().code(), absl::StatusCode::kCancelled);
  }                          // ...and its io_context is gone too.
  EXPECT_TRUE(Alive(*pid));  // the process runs on
  absl::StatusOr<ProcessIdentity> parsed = ParseProcessIdentity(id.ToString());  // state file
  ASSERT_TRUE(parsed.ok());
  absl::StatusOr<std::unique_ptr<ProcessWatcher>> adopted =
      ProcessWatcher::Adopt(io_.get_executor(), *parsed);
  ASSERT_TRUE(adopted.ok()) << adopted.status();
  EXPECT_TRUE((*adopted)->is_child());
  EXPECT_FALSE((*adopted)->Poll().has_value());
  ASSERT_TRUE((*adopted)->Signal(SIGTERM).ok());
  std::future<absl::StatusOr<ExitStatus>> waited =
      asio::co_spawn(io_, (*adopted)->Wait(), asio::use_future);
  io_.restart();
  io_.run_for(seconds(10));
  ASSERT_EQ(waited.wait_for(seconds(0)), std::future_status::ready);
  absl::StatusOr<ExitStatus> exit = waited.get();
  ASSERT_TRUE(exit.ok()) << exit.status();
  EXPECT_EQ(*exit, (ExitStatus{.kind = ExitStatus::Kind::kSignaled, .code = SIGTERM}));
  EXPECT_EQ(exit->ContainerExitCode(), 128 + SIGTERM);
  EXPECT_FALSE(Alive(*pid));
  EXPECT_EQ((*adopted)->Signal(SIGTERM).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ProcessWatcher::Adopt(io_.get_executor(), id).status().code(),
            absl::StatusCode::kNotFound);  // gone (reaped)

  // 2. A real previous agent: a forked process spawns the pod process, records its identity and
  //    exits. The pod process is no longer anybody's child here; it is adopted by identity and
  //    its exit is seen through the pidfd, with the exit status unknown.
  ASSERT_EQ(ReadFile("/proc/self/status").find("\nThreads:\t1\n") != std::string::npos, true)
      << "the test forks an 'agent' and must be single-threaded for that";
  std::array<int, 2> pipe_fds{-1, -1};
  ASSERT_EQ(::pipe2(pipe_fds.data(), O_CLOEXEC), 0);
  const pid_t agent = ::fork();
  ASSERT_GE(agent, 0);
  if (agent == 0) {
    ::close(pipe_fds[0]);
    absl::StatusOr<pid_t> orphan = SpawnInPod({.argv = {"sleep", "600"},
                                               .env = kPodEnv,
                                               .netns_path = pod.net.netns_path,
                                               .hostname = pod.name,
                                               .log_path = pod.dir + "/orphan.log"});
    std::string record = "error";
    if (orphan.ok()) {
      absl::StatusOr<ProcessIdentity> orphan_id = ReadProcessIdentity(*orphan);
      if (orphan_id.ok()) record = orphan_id->ToString();
    }
    ssize_t ignored = ::write(pipe_fds[1], record.data(), record.size());
    (void)ignored;
    ::_exit(0);  // the agent dies; no parent-death signal may take the pod with it
  }
  ::close(pipe_fds[1]);
  std::string record;
  std::array<char, 64> buf{};
  ssize_t n = 0;
  while ((n = ::read(pipe_fds[0], buf.data(), buf.size())) > 0) record.append(buf.data(), n);
  ::close(pipe_fds[0]);
  ASSERT_EQ(::waitpid(agent, nullptr, 0), agent);
  absl::StatusOr<ProcessIdentity> orphan = ParseProcessIdentity(record);
  ASSERT_TRUE(orphan.ok()) << "agent reported: " << record;
  process_groups_.push_back(orphan->pid);
  ASSERT_TRUE(Alive(orphan->pid));
  absl::StatusOr<ProcStat> orphan_stat = ReadProcStat(orphan->pid);
  ASSERT_TRUE(orphan_stat.ok());
  EXPECT_NE(orphan_stat->ppid, ::getpid());
  EXPECT_NE(orphan_stat->ppid, agent);
  EXPECT_EQ(orphan_stat->pgrp, orphan->pid);  // own process group and session
  EXPECT_EQ(orphan_stat->session, orphan->pid);

  ProcessIdentity wrong = *orphan;
  wrong.start_time += 1;  // the pid now names "another" process: refused
  EXPECT_EQ(ProcessWatcher::Adopt(io_.get_executor(), wrong).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(ProcessWatcher::Watch(io_.get_executor(), orphan->pid).status().code(),
            absl::StatusCode::kInvalidArgument);  // not our child
  absl::StatusOr<std::unique_ptr<ProcessWatcher>> orphan_watch =
      ProcessWatcher::Adopt(io_.get_executor(), *orphan);
  ASSERT_TRUE(orphan_watch.ok()) << orphan_watch.status();
  EXPECT_FALSE((*orphan_watch)->is_child());
  ASSERT_TRUE((*orphan_watch)->Signal(SIGKILL).ok());
  absl::StatusOr<ExitStatus> orphan_exit = WaitExit(**orphan_watch, io_, seconds(10));
  ASSERT_TRUE(orphan_exit.ok()) << orphan_exit.status();
  EXPECT_EQ(orphan_exit->kind, ExitStatus::Kind::kUnknown);
  EXPECT_FALSE(Alive(orphan->pid));
}

TEST_F(SandboxTest, DeleteLeavesNoNamespaceInterfaceOrMountBehind) {
  Pod a = MakePod("sbx-d1", absl::StrCat("ffffffff-0000-4000-8000-00000000", sfx_));
  Pod b = MakePod("sbx-d2", absl::StrCat("ffffffff-1111-4000-8000-00000000", sfx_));
  ASSERT_FALSE(a.net.netns_path.empty());
  ASSERT_FALSE(b.net.netns_path.empty());
  std::filesystem::create_directories(tmp_ + "/vol");
  const std::vector<Mount> mounts = {
      {.host_path = tmp_ + "/vol", .container_path = ctr_root_ + "/vol"}};
  absl::StatusOr<pid_t> in_a = Spawn(a, {"sleep", "600"}, mounts, "", "a.log");
  absl::StatusOr<pid_t> in_b = Spawn(b, {"sleep", "600"}, mounts, "", "b.log");
  ASSERT_TRUE(in_a.ok() && in_b.ok());
  absl::StatusOr<std::vector<std::string>> listed = ListPodNetworks(prefixes_.netns);
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed->size(), 2U);
  EXPECT_TRUE(absl::StrContains(Sh({"ip", "netns", "list"}), a.names.netns));
  EXPECT_TRUE(absl::StrContains(Sh({"ip", "link", "show"}), a.names.host_veth));
  EXPECT_TRUE(absl::StrContains(ReadFile("/proc/self/mounts"), a.names.netns));  // /run/netns/…

  // The kubelet order: stop the processes, then delete the network.
  absl::StatusOr<std::unique_ptr<ProcessWatcher>> watch_a =
      ProcessWatcher::Watch(io_.get_executor(), *in_a);
  ASSERT_TRUE(watch_a.ok());
  ASSERT_TRUE(SignalProcessGroup(*in_a, SIGTERM).ok());
  absl::StatusOr<ExitStatus> exit_a = WaitExit(**watch_a, io_, seconds(10));
  ASSERT_TRUE(exit_a.ok()) << exit_a.status();
  EXPECT_EQ(exit_a->ContainerExitCode(), 128 + SIGTERM);
  ASSERT_TRUE(DeletePodNetwork(a.names.netns).ok());
  // Out of order: B's process still runs inside when its network is deleted. The host veth goes
  // anyway (deleted explicitly, although the process keeps the namespace itself alive).
  ASSERT_TRUE(DeletePodNetwork(b.names.netns).ok());
  EXPECT_TRUE(Alive(*in_b));
  ASSERT_TRUE(SignalProcess(*in_b, SIGKILL).ok());
  ASSERT_EQ(::waitpid(*in_b, nullptr, 0), *in_b);
  EXPECT_EQ(SignalProcess(*in_b, 0).code(), absl::StatusCode::kNotFound);

  const std::string netns_list = Sh({"ip", "netns", "list"});
  const std::string links = Sh({"ip", "link", "show"});
  const std::string host_mounts = ReadFile("/proc/self/mounts");
  for (const Pod* pod : {&a, &b}) {
    EXPECT_FALSE(absl::StrContains(netns_list, pod->names.netns)) << netns_list;
    EXPECT_FALSE(absl::StrContains(links, pod->names.host_veth)) << links;
    EXPECT_FALSE(absl::StrContains(host_mounts, pod->names.netns)) << host_mounts;
  }
  EXPECT_FALSE(absl::StrContains(host_mounts, ctr_root_)) << host_mounts;
  EXPECT_EQ(HostLinksStartingWith(prefixes_.veth), std::vector<std::string>{});
  listed = ListPodNetworks(prefixes_.netns);
  ASSERT_TRUE(listed.ok());
  EXPECT_TRUE(listed->empty());
  EXPECT_TRUE(DeletePodNetwork(a.names.netns).ok());  // idempotent
}

// No privileges needed: spawning on the host (no namespaces) and its failures.
TEST(SpawnTest, ExecFailuresAreErrorsNotExit127) {
  absl::StatusOr<pid_t> missing = SpawnInPod({.argv = {"/nonexistent/rmq-program", "x"}});
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound) << missing.status();
  EXPECT_TRUE(absl::StrContains(missing.status().message(), "execve /nonexistent/rmq-program"))
      << missing.status();
  absl::StatusOr<pid_t> not_in_path = SpawnInPod({.argv = {"rmq-no-such-command"}, .env = kPodEnv});
  EXPECT_EQ(not_in_path.status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(absl::StrContains(not_in_path.status().message(), "not found in PATH"))
      << not_in_path.status();
  std::string dir = ::testing::TempDir() + "rmqspawn_XXXXXX";
  ASSERT_NE(::mkdtemp(dir.data()), nullptr);
  WriteFile(dir + "/data", "not a program\n");
  ::chmod((dir + "/data").c_str(), 0644);
  absl::StatusOr<pid_t> not_executable = SpawnInPod({.argv = {dir + "/data"}});
  EXPECT_EQ(not_executable.status().code(), absl::StatusCode::kPermissionDenied)
      << not_executable.status();
  std::filesystem::remove_all(dir);
  absl::StatusOr<pid_t> bad_cwd =
      SpawnInPod({.argv = {"true"}, .env = kPodEnv, .working_dir = "/nonexistent/dir"});
  EXPECT_EQ(bad_cwd.status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(absl::StrContains(bad_cwd.status().message(), "chdir /nonexistent/dir"))
      << bad_cwd.status();
  absl::StatusOr<pid_t> bad_log =
      SpawnInPod({.argv = {"true"}, .env = kPodEnv, .log_path = "/nonexistent/dir/log"});
  EXPECT_EQ(bad_log.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(SpawnInPod({.argv = {}}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(SpawnInPod({.argv = {"true"}, .env = {"NOEQUALS"}}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(SpawnTest, HostProcessGetsEnvLogSessionAndExitCode) {
  std::string dir = ::testing::TempDir() + "rmqspawn_XXXXXX";
  ASSERT_NE(::mkdtemp(dir.data()), nullptr);
  const std::string log = dir + "/log";
  WriteFile(log, "before\n");
  // The agent ignores SIGPIPE and blocks SIGTERM here; the pod must get defaults.
  std::signal(SIGPIPE, SIG_IGN);
  sigset_t term;
  sigemptyset(&term);
  sigaddset(&term, SIGTERM);
  ::sigprocmask(SIG_BLOCK, &term, nullptr);
  absl::StatusOr<pid_t> pid = SpawnInPod({.argv = {"sh", "-c",
                                                   "echo \"out $GREETING $(pwd)\"; echo err >&2; "
                                                   "grep -E '^(SigIgn|SigBlk)' /proc/self/status; "
                                                   "ls /proc/self/fd | wc -l; exit 7"},
                                          .env = {"PATH=/usr/bin:/bin", "GREETING=hello"},
                                          .working_dir = dir,
                                          .log_path = log});
  ::sigprocmask(SIG_UNBLOCK, &term, nullptr);
  std::signal(SIGPIPE, SIG_DFL);
  ASSERT_TRUE(pid.ok()) << pid.status();
  asio::io_context io;
  absl::StatusOr<std::unique_ptr<ProcessWatcher>> watcher =
      ProcessWatcher::Watch(io.get_executor(), *pid);
  ASSERT_TRUE(watcher.ok()) << watcher.status();
  EXPECT_EQ((*watcher)->identity().pid, *pid);
  absl::StatusOr<ExitStatus> exit = WaitExit(**watcher, io, seconds(10));
  ASSERT_TRUE(exit.ok()) << exit.status();
  EXPECT_EQ(*exit, (ExitStatus{.kind = ExitStatus::Kind::kExited, .code = 7}));
  EXPECT_EQ((*watcher)->Poll(), *exit);  // remembered
  const std::string content = ReadFile(log);
  EXPECT_TRUE(absl::StartsWith(content, "before\nout hello " + dir + "\nerr\n")) << content;
  EXPECT_TRUE(absl::StrContains(content, "SigIgn:\t0000000000000000\n")) << content;
  EXPECT_TRUE(absl::StrContains(content, "SigBlk:\t0000000000000000\n")) << content;
  // 0, 1, 2 and the directory fd ls opens: nothing of the test process leaked in.
  EXPECT_TRUE(absl::EndsWith(content, "\n4\n")) << content;
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace rmq::nodeagent
