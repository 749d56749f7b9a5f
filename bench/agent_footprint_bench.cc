// agent_footprint_bench: what the rocketmq-agent sidecar costs beside a broker with N topics,
// against one `mqadmin` JVM (the Apache operator's tool, one JVM per command).
//   agent: resident memory idle, during and after the first /metrics scrape (which reads the stats
//          of every topic), CPU time per cold and per cached scrape, CPU% while idle;
//   mqadmin: peak resident memory and CPU time of `mqadmin topicList` (one JVM) on the same broker.
// Usage: agent_footprint_bench AGENT_BINARY [N=10000]   (use the release build of the agent)
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "bench/proc.h"
#include "common/net/blocking.h"
#include "tests/support/admin_env.h"
#include "tests/support/child_process.h"
#include "tests/support/http_client.h"

namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

// utime + stime of a process, in seconds.
double CpuSeconds(pid_t pid) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/stat"));
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::istringstream fields(stat.substr(stat.rfind(')') + 2));
  std::string skip;
  for (int i = 3; i < 14; ++i) fields >> skip;  // fields 3..13
  double utime = 0;
  double stime = 0;
  fields >> utime >> stime;
  return (utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// Runs one mqadmin JVM and reads its peak RSS and CPU time from wait4().
rmq::bench::ChildRun RunMqadmin(const rmq::testing::LocalRocketMQ& mq,
                                const std::vector<std::string>& args) {
  auto java = rmq::testing::LocalRocketMQ::JavaBinary();
  std::vector<std::string> argv = {*java,
                                   "-Xms256m",
                                   "-Xmx256m",
                                   "-Drocketmq.home.dir=" + mq.dir() + "/home",
                                   "-Duser.home=" + mq.dir(),
                                   "-cp",
                                   mq.jars_dir() + "/*",
                                   "org.apache.rocketmq.tools.command.MQAdminStartup"};
  argv.insert(argv.end(), args.begin(), args.end());
  return rmq::bench::RunMeasured(std::move(argv));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: agent_footprint_bench AGENT_BINARY [N]\n");
    return 2;
  }
  const std::string agent_bin = argv[1];
  const int n = argc > 2 ? std::atoi(argv[2]) : 10000;
  auto env = rmq::testing::AdminTestEnv::Start({});
  if (!env.ok()) {
    std::fprintf(stderr, "cannot start RocketMQ: %s\n", env.status().ToString().c_str());
    return 1;
  }
  auto& e = **env;
  std::vector<rmq::rocketmq::TopicConfig> topics(n);
  for (int i = 0; i < n; ++i) topics[i].topic_name = absl::StrCat("Footprint_", i);
  auto created = e.Run(e.admin().CreateTopics(e.broker(), topics));
  if (!created.ok() || !created->ok()) return 1;

  auto http_port = rmq::testing::FreeLoopbackPort();
  auto grpc_port = rmq::testing::FreeLoopbackPort();
  auto agent = rmq::testing::ChildProcess::Start(
      {agent_bin, "--broker-addr", e.broker(), "--grpc-insecure", "--grpc-listen",
       absl::StrCat("127.0.0.1:", *grpc_port), "--http-listen",
       absl::StrCat("127.0.0.1:", *http_port), "--metrics-cache-ttl", "60s", "--log-level", "warn"},
      {}, e.mq().dir() + "/agent.log");
  if (!agent.ok()) return 1;
  const pid_t pid = (*agent)->pid();
  for (int i = 0; i < 300; ++i) {
    auto ready = rmq::testing::HttpGet("127.0.0.1", *http_port, "/readyz");
    if (ready.ok() && ready->status == 200) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }

  std::this_thread::sleep_for(std::chrono::seconds(2));
  double cpu0 = CpuSeconds(pid);
  std::this_thread::sleep_for(std::chrono::seconds(10));
  const double idle_cpu_pct = (CpuSeconds(pid) - cpu0) / 10 * 100;
  const double idle_rss = rmq::bench::ProcStatusMiB(pid, "VmRSS");

  cpu0 = CpuSeconds(pid);
  auto t0 = Clock::now();
  auto cold = rmq::testing::HttpGet("127.0.0.1", *http_port, "/metrics",
                                    std::chrono::milliseconds(120'000));
  const double cold_wall = Seconds(Clock::now() - t0);
  const double cold_cpu = CpuSeconds(pid) - cpu0;
  if (!cold.ok() || cold->status != 200) return 1;
  const int kCached = 20;
  cpu0 = CpuSeconds(pid);
  t0 = Clock::now();
  for (int i = 0; i < kCached; ++i) {
    (void)rmq::testing::HttpGet("127.0.0.1", *http_port, "/metrics");
  }
  const double cached_wall = Seconds(Clock::now() - t0) / kCached;
  const double cached_cpu = (CpuSeconds(pid) - cpu0) / kCached;
  const double scrape_rss = rmq::bench::ProcStatusMiB(pid, "VmRSS");
  const double peak_rss = rmq::bench::ProcStatusMiB(pid, "VmHWM");

  std::printf("agent (%d topics): idle RSS %.1f MiB, idle CPU %.2f%%\n", n, idle_rss, idle_cpu_pct);
  std::printf("agent: cold /metrics scrape %.2f s wall, %.2f s CPU, %zu bytes\n", cold_wall,
              cold_cpu, cold->body.size());
  std::printf("agent: cached scrape %.1f ms wall, %.1f ms CPU (mean of %d)\n", cached_wall * 1000,
              cached_cpu * 1000, kCached);
  std::printf("agent: RSS after scrapes %.1f MiB, peak %.1f MiB\n", scrape_rss, peak_rss);

  const rmq::bench::ChildRun jvm = RunMqadmin(e.mq(), {"topicList", "-n", e.namesrv()});
  std::printf(
      "mqadmin topicList (one JVM, -Xmx256m): %.2f s wall, %.2f s CPU, peak RSS %.1f MiB "
      "(exit %d)\n",
      jvm.wall_s, jvm.cpu_s, jvm.max_rss_mib, jvm.status);
  std::printf(
      "ratio peak RSS mqadmin/agent: %.1fx; CPU of one mqadmin call / one cold scrape: "
      "%.1fx\n",
      jvm.max_rss_mib / peak_rss, jvm.cpu_s / cold_cpu);
  (*agent)->Signal(SIGTERM);
  (*agent)->WaitExit(std::chrono::seconds(15));
  return 0;
}
