#include "tests/support/local_rocketmq.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/log/logger.h"
#include "tests/support/child_process.h"

namespace rmq::testing {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// JVM options: small heaps, no pre-touch, Java 17 module openings RocketMQ needs.
const std::vector<std::string>& Java17Opens() {
  static const auto* opens =
      new std::vector<std::string>{"--add-opens=java.base/java.nio=ALL-UNNAMED",
                                   "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
                                   "--add-exports=java.base/sun.nio.ch=ALL-UNNAMED",
                                   "--add-opens=java.base/jdk.internal.ref=ALL-UNNAMED",
                                   "--add-exports=java.base/jdk.internal.ref=ALL-UNNAMED",
                                   "--add-opens=java.base/java.lang=ALL-UNNAMED"};
  return *opens;
}

bool PortBindable(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  ::close(fd);
  return ok;
}

// A port p with p-2 (fast/VIP port) and p+1 (HA port) also free, as a broker needs.
absl::StatusOr<int> FreeBrokerPort() {
  for (int attempt = 0; attempt < 100; ++attempt) {
    absl::StatusOr<int> p = FreeLoopbackPort();
    if (!p.ok()) return p.status();
    if (*p > 1026 && *p < 65534 && PortBindable(*p - 2) && PortBindable(*p + 1)) return *p;
  }
  return absl::UnavailableError("no free port triple for the broker");
}

absl::Status WriteFile(const fs::path& path, const std::string& content) {
  std::ofstream out(path, std::ios::trunc);
  out << content;
  if (!out) return absl::InternalError(absl::StrCat("cannot write ", path.string()));
  return absl::OkStatus();
}

absl::StatusOr<pid_t> Spawn(const std::vector<std::string>& argv, const fs::path& cwd,
                            const fs::path& log_file) {
  SpawnOptions options;
  options.cwd = cwd.string();
  options.truncate_log = true;
  return SpawnProcess(argv, log_file.string(), options);
}

std::string Tail(const fs::path& file, size_t bytes) {
  std::ifstream in(file, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  return s.size() > bytes ? s.substr(s.size() - bytes) : s;
}

// Waits until `needle` appears in `log`, the process exits, or the deadline passes.
absl::Status WaitForLine(pid_t pid, const fs::path& log, const std::string& needle,
                         std::chrono::seconds timeout, const std::string& what) {
  auto deadline = Clock::now() + timeout;
  std::ifstream in;
  std::string carry;
  std::streamoff offset = 0;
  while (Clock::now() < deadline) {
    in.open(log, std::ios::binary);
    if (in) {
      in.seekg(offset);
      std::string chunk((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      offset += static_cast<std::streamoff>(chunk.size());
      carry += chunk;
      if (carry.find(needle) != std::string::npos) return absl::OkStatus();
      if (carry.size() > 4096) carry.erase(0, carry.size() - 4096);
    }
    in.close();
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      return absl::InternalError(absl::StrCat(what, " exited before it was ready (status ", status,
                                              "); last output:\n", Tail(log, 3000)));
    }
    // Polling a log of an external process; there is no other readiness signal.
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return absl::DeadlineExceededError(absl::StrCat(what, " not ready within ", timeout.count(),
                                                  " s; last output:\n", Tail(log, 3000)));
}

// SIGTERM, wait up to `grace`, then SIGKILL the process group. True if it exited by itself.
bool StopProcess(pid_t pid, std::chrono::seconds grace) {
  if (pid <= 0) return true;
  ::kill(pid, SIGTERM);
  auto deadline = Clock::now() + grace;
  while (Clock::now() < deadline) {
    int status = 0;
    pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid || (r < 0 && errno == ECHILD)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ::kill(-pid, SIGKILL);
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return false;
}

std::chrono::milliseconds Since(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
}

}  // namespace

absl::StatusOr<int> FreeLoopbackPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return absl::InternalError("socket() failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ::close(fd);
    return absl::InternalError("cannot bind a loopback port");
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

absl::StatusOr<std::string> LocalRocketMQ::JarsDir(const std::string& version) {
  std::string env_name = "RMQ_JARS_DIR";
  if (!version.empty()) {
    env_name += "_" + version;
    std::replace(env_name.begin(), env_name.end(), '.', '_');
  }
  if (const char* env = std::getenv(env_name.c_str()); env != nullptr && *env != '\0') {
    std::error_code ec;
    if (!fs::is_directory(env, ec) || fs::is_empty(env, ec)) {
      return absl::FailedPreconditionError(absl::StrCat(env_name, "=", env, " has no jars"));
    }
    return std::string(env);
  }
  std::string script = std::string(RMQ_SOURCE_DIR) + "/scripts/rocketmq-jars.sh";
  std::string command = version.empty() ? script : script + " " + version;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return absl::FailedPreconditionError("cannot run " + script);
  std::array<char, 4096> buf{};
  std::string out;
  while (std::fgets(buf.data(), buf.size(), pipe) != nullptr) out += buf.data();
  int rc = ::pclose(pipe);
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  if (rc != 0 || out.empty() || !fs::is_directory(out)) {
    return absl::FailedPreconditionError(
        absl::StrCat(script, " failed (exit ", rc,
                     "): RocketMQ jars from Maven Central are needed; "
                     "run scripts/setup.sh and check that mvn can reach Maven Central"));
  }
  return out;
}

absl::StatusOr<std::string> LocalRocketMQ::JavaBinary() {
  if (const char* home = std::getenv("JAVA_HOME"); home != nullptr && *home != '\0') {
    fs::path java = fs::path(home) / "bin" / "java";
    if (fs::exists(java)) return java.string();
  }
  if (const char* path = std::getenv("PATH")) {
    std::stringstream ss(path);
    std::string dir;
    while (std::getline(ss, dir, ':')) {
      fs::path java = fs::path(dir) / "java";
      if (::access(java.c_str(), X_OK) == 0) return java.string();
    }
  }
  return absl::FailedPreconditionError(
      "java not found (JAVA_HOME or PATH): install Java 17 with scripts/setup.sh");
}

absl::StatusOr<std::unique_ptr<LocalRocketMQ>> LocalRocketMQ::Start(LocalRocketMQOptions options) {
  auto log = log::Get("test.rocketmq");
  absl::StatusOr<std::string> java = JavaBinary();
  if (!java.ok()) return java.status();
  absl::StatusOr<std::string> jars = JarsDir(options.version);
  if (!jars.ok()) return jars.status();

  std::unique_ptr<LocalRocketMQ> mq(new LocalRocketMQ());
  mq->jars_dir_ = *jars;
  std::string tmpl = (fs::temp_directory_path() / "rmq-test-XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr) return absl::InternalError("mkdtemp failed");
  mq->dir_ = tmpl;
  fs::path dir(mq->dir_);
  for (const char* sub : {"home", "ns", "broker", "broker/store"}) {
    fs::create_directories(dir / sub);
  }

  absl::StatusOr<int> ns_port = FreeLoopbackPort();
  if (!ns_port.ok()) return ns_port.status();
  absl::StatusOr<int> broker_port = FreeBrokerPort();
  if (!broker_port.ok()) return broker_port.status();
  mq->namesrv_addr_ =
      options.namesrv_addr.empty() ? absl::StrCat("127.0.0.1:", *ns_port) : options.namesrv_addr;
  mq->broker_addr_ = absl::StrCat("127.0.0.1:", *broker_port);

  absl::Status s = WriteFile(dir / "namesrv.properties",
                             absl::StrCat("listenPort=", *ns_port, "\nbindAddress=127.0.0.1\n"));
  if (!s.ok()) return s;
  std::map<std::string, std::string> conf = {
      {"brokerClusterName", options.cluster_name},
      {"brokerName", options.broker_name},
      {"brokerId", "0"},
      {"brokerRole", "ASYNC_MASTER"},
      {"flushDiskType", "ASYNC_FLUSH"},
      {"namesrvAddr", mq->namesrv_addr_},
      {"brokerIP1", "127.0.0.1"},
      {"brokerIP2", "127.0.0.1"},
      {"listenPort", absl::StrCat(*broker_port)},
      {"haListenPort", absl::StrCat(*broker_port + 1)},
      {"bindAddress", "127.0.0.1"},
      {"storePathRootDir", (dir / "broker" / "store").string()},
      {"mappedFileSizeCommitLog", "67108864"},
      {"mappedFileSizeConsumeQueue", "600000"},
      {"maxIndexNum", "1000"},
      {"maxHashSlotNum", "4000"},
      {"autoCreateTopicEnable", "false"},
      {"autoCreateSubscriptionGroup", "true"},
  };
  for (const auto& [k, v] : options.broker_config) conf[k] = v;
  std::string broker_conf;
  for (const auto& [k, v] : conf) absl::StrAppend(&broker_conf, k, "=", v, "\n");
  s = WriteFile(dir / "broker.conf", broker_conf);
  if (!s.ok()) return s;

  const std::string classpath = *jars + "/*";
  auto jvm = [&](const std::string& user_home, std::vector<std::string> heap) {
    std::vector<std::string> argv = {*java, "-server"};
    argv.insert(argv.end(), heap.begin(), heap.end());
    argv.insert(argv.end(), {"-XX:+UseSerialGC", "-XX:-OmitStackTraceInFastThrow",
                             "-XX:-UseLargePages", "-Xss512k"});
    const auto& opens = Java17Opens();
    argv.insert(argv.end(), opens.begin(), opens.end());
    argv.push_back("-Drocketmq.home.dir=" + (dir / "home").string());
    argv.push_back("-Duser.home=" + user_home);
    for (const auto& [k, v] : options.jvm_properties) argv.push_back(absl::StrCat("-D", k, "=", v));
    argv.emplace_back("-cp");
    argv.push_back(classpath);
    return argv;
  };

  auto ns_start = Clock::now();
  std::vector<std::string> ns_argv =
      jvm((dir / "ns").string(), {"-Xms128m", "-Xmx256m", "-XX:MaxMetaspaceSize=192m"});
  ns_argv.insert(ns_argv.end(), {"org.apache.rocketmq.namesrv.NamesrvStartup", "-c",
                                 (dir / "namesrv.properties").string()});
  if (options.namesrv_addr.empty()) {
    absl::StatusOr<pid_t> ns_pid = Spawn(ns_argv, dir / "ns", dir / "namesrv.out");
    if (!ns_pid.ok()) return ns_pid.status();
    mq->namesrv_pid_ = *ns_pid;
  }

  if (!options.start_broker) {
    mq->broker_addr_.clear();
    s = WaitForLine(mq->namesrv_pid_, dir / "namesrv.out", "boot success", options.boot_timeout,
                    "name server");
    if (!s.ok()) return s;
    mq->namesrv_boot_ = Since(ns_start);
    log->info("name server started dir={} namesrv={} boot_ms={}", mq->dir_, mq->namesrv_addr_,
              mq->namesrv_boot_.count());
    return mq;
  }
  auto broker_start = Clock::now();
  std::vector<std::string> br_argv =
      jvm((dir / "broker").string(),
          {"-Xms256m", "-Xmx512m", "-XX:MaxDirectMemorySize=512m", "-XX:MaxMetaspaceSize=256m"});
  br_argv.insert(br_argv.end(), {"org.apache.rocketmq.broker.BrokerStartup", "-c",
                                 (dir / "broker.conf").string()});
  absl::StatusOr<pid_t> br_pid = Spawn(br_argv, dir / "broker", dir / "broker.out");
  if (!br_pid.ok()) return br_pid.status();
  mq->broker_pid_ = *br_pid;

  if (mq->namesrv_pid_ > 0) {
    s = WaitForLine(mq->namesrv_pid_, dir / "namesrv.out", "boot success", options.boot_timeout,
                    "name server");
    if (!s.ok()) return s;
    mq->namesrv_boot_ = Since(ns_start);
  }
  s = WaitForLine(mq->broker_pid_, dir / "broker.out", "boot success", options.boot_timeout,
                  "broker");
  if (!s.ok()) return s;
  mq->broker_boot_ = Since(broker_start);
  log->info("rocketmq started dir={} namesrv={} broker={} namesrv_boot_ms={} broker_boot_ms={}",
            mq->dir_, mq->namesrv_addr_, mq->broker_addr_, mq->namesrv_boot_.count(),
            mq->broker_boot_.count());
  return mq;
}

absl::Status LocalRocketMQ::Stop() {
  if (broker_pid_ <= 0 && namesrv_pid_ <= 0) return absl::OkStatus();
  auto start = Clock::now();
  bool broker_clean = StopProcess(broker_pid_, std::chrono::seconds(30));
  auto broker_done = Clock::now();
  bool ns_clean = StopProcess(namesrv_pid_, std::chrono::seconds(10));
  log::Get("test.rocketmq")
      ->info("rocketmq stopped broker_ms={} namesrv_ms={}",
             std::chrono::duration_cast<std::chrono::milliseconds>(broker_done - start).count(),
             Since(broker_done).count());
  broker_pid_ = -1;
  namesrv_pid_ = -1;
  if (!broker_clean || !ns_clean) {
    return absl::InternalError(absl::StrCat("had to SIGKILL:", broker_clean ? "" : " broker",
                                            ns_clean ? "" : " name server"));
  }
  return absl::OkStatus();
}

LocalRocketMQ::~LocalRocketMQ() {
  absl::Status s = Stop();
  if (!s.ok()) log::Get("test.rocketmq")->warn("stop: {}", s.ToString());
  const char* keep = std::getenv("RMQ_KEEP_TEST_DIRS");
  if (!dir_.empty() && (keep == nullptr || std::string(keep) != "1")) {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
}

}  // namespace rmq::testing
