#include "tests/support/message_traffic.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "nlohmann/json.hpp"

namespace rmq::testing {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// java or javac: $JAVA_HOME/bin/<name>, else the first <name> on PATH.
absl::StatusOr<std::string> FindJdkTool(const std::string& name) {
  if (const char* home = std::getenv("JAVA_HOME"); home != nullptr && *home != '\0') {
    const std::string path = absl::StrCat(home, "/bin/", name);
    if (::access(path.c_str(), X_OK) == 0) return path;
  }
  if (const char* path_env = std::getenv("PATH"); path_env != nullptr) {
    std::stringstream dirs(path_env);
    std::string dir;
    while (std::getline(dirs, dir, ':')) {
      const std::string path = absl::StrCat(dir, "/", name);
      if (!dir.empty() && ::access(path.c_str(), X_OK) == 0) return path;
    }
  }
  return absl::FailedPreconditionError(
      absl::StrCat("no ", name, " (JAVA_HOME or PATH): install a JDK (openjdk-17-jdk-headless)"));
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TrafficCounts ParseCounts(const std::string& text) {
  TrafficCounts c;
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_object()) return c;
  c.attempted = j.value("attempted", int64_t{0});
  c.sent_ok = j.value("sent_ok", int64_t{0});
  c.failed = j.value("failed", int64_t{0});
  c.last_error = j.value("last_error", "");
  c.received = j.value("received", int64_t{0});
  c.distinct = j.value("distinct", int64_t{0});
  c.done = j.value("done", false);
  return c;
}

std::string Describe(const TrafficCounts& c) {
  return absl::StrCat("attempted=", c.attempted, " sent_ok=", c.sent_ok, " failed=", c.failed,
                      " received=", c.received, " distinct=", c.distinct,
                      c.last_error.empty() ? "" : " last_error=", c.last_error);
}

}  // namespace

std::set<int64_t> Lost(const TrafficResult& producer, const TrafficResult& consumer) {
  std::set<int64_t> lost;
  for (int64_t seq : producer.seqs) {
    if (!consumer.seqs.contains(seq)) lost.insert(seq);
  }
  return lost;
}

TrafficProcess::TrafficProcess(std::unique_ptr<ChildProcess> process, std::string status_file,
                               std::string stop_file)
    : process_(std::move(process)),
      status_file_(std::move(status_file)),
      stop_file_(std::move(stop_file)) {}

TrafficProcess::~TrafficProcess() = default;  // ChildProcess kills a child still running

TrafficCounts TrafficProcess::Counts() const { return ParseCounts(ReadFile(status_file_)); }

bool TrafficProcess::Running() { return process_->Running(); }

std::string TrafficProcess::Log() const { return process_->Log(); }

bool TrafficProcess::WaitDistinct(int64_t distinct, milliseconds timeout) const {
  const Clock::time_point deadline = Clock::now() + timeout;
  while (Counts().distinct < distinct) {
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(milliseconds(200));
  }
  return true;
}

absl::StatusOr<TrafficResult> TrafficProcess::ReadFinal() {
  if (final_) return *final_;
  const TrafficCounts counts = Counts();
  if (!counts.done) {
    return absl::InternalError(absl::StrCat("the traffic process ended without its final counts (",
                                            Describe(counts), "); its log:\n", Log()));
  }
  TrafficResult result;
  result.counts = counts;
  std::ifstream seqs(status_file_ + ".seqs");
  std::string line;
  while (std::getline(seqs, line)) {
    int64_t seq = 0;
    if (absl::SimpleAtoi(line, &seq)) result.seqs.insert(seq);
  }
  final_ = result;
  return result;
}

absl::StatusOr<TrafficResult> TrafficProcess::Finish(milliseconds timeout) {
  if (final_) return *final_;
  std::optional<int> code = process_->WaitExit(timeout);
  if (!code) {
    return absl::DeadlineExceededError(absl::StrCat("the traffic process did not finish within ",
                                                    timeout.count(), " ms (", Describe(Counts()),
                                                    ")"));
  }
  if (*code != 0) {
    return absl::InternalError(
        absl::StrCat("the traffic process exited with ", *code, "; its log:\n", Log()));
  }
  return ReadFinal();
}

absl::StatusOr<TrafficResult> TrafficProcess::Stop(milliseconds timeout) {
  if (final_) return *final_;
  std::ofstream(stop_file_) << "stop\n";
  return Finish(timeout);
}

absl::StatusOr<std::unique_ptr<TrafficTool>> TrafficTool::Prepare(const std::string& rocketmq_home,
                                                                  const std::string& work_dir) {
  absl::StatusOr<std::string> java = FindJdkTool("java");
  if (!java.ok()) return java.status();
  absl::StatusOr<std::string> javac = FindJdkTool("javac");
  if (!javac.ok()) return javac.status();
  const std::string classes = work_dir + "/traffic-classes";
  std::error_code ec;
  fs::create_directories(classes, ec);
  if (ec) return absl::InternalError(absl::StrCat("mkdir ", classes, ": ", ec.message()));
  absl::StatusOr<CapturedRun> run =
      RunCapturing({*javac, "-nowarn", "-d", classes, "-cp", rocketmq_home + "/lib/*",
                    std::string(RMQ_SOURCE_DIR) + "/tests/support/traffic/RmqTraffic.java"},
                   {}, std::chrono::minutes(2));
  if (!run.ok()) return run.status();
  if (run->exit_status != 0) {
    return absl::InternalError(absl::StrCat("javac RmqTraffic.java (against ", rocketmq_home,
                                            "/lib) exited ", run->exit_status, ": ", run->err,
                                            run->out));
  }
  return std::unique_ptr<TrafficTool>(new TrafficTool(rocketmq_home, work_dir, *java));
}

absl::StatusOr<std::unique_ptr<TrafficProcess>> TrafficTool::Launch(const std::string& name,
                                                                    std::vector<std::string> args) {
  const std::string base = absl::StrCat(work_dir_, "/traffic-", ++launched_, "-", name);
  const std::string status = base + ".json";
  const std::string stop = base + ".stop";
  std::vector<std::string> argv = {
      java_,
      "-Xms64m",
      "-Xmx256m",
      "-XX:+UseSerialGC",
      "-Duser.home=" + work_dir_,  // the client's logs: work_dir/logs/rocketmqlogs
      "-Drmq.logback.configurationFile=" + rocketmq_home_ + "/conf/rmq.client.logback.xml",
      "-cp",
      absl::StrCat(work_dir_, "/traffic-classes:", rocketmq_home_, "/lib/*"),
      "RmqTraffic"};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.insert(argv.end(), {"--status", status, "--stop-file", stop});
  absl::StatusOr<std::unique_ptr<ChildProcess>> process =
      ChildProcess::Start(argv, {}, base + ".log");
  if (!process.ok()) return process.status();
  return std::unique_ptr<TrafficProcess>(new TrafficProcess(*std::move(process), status, stop));
}

absl::StatusOr<std::unique_ptr<TrafficProcess>> TrafficTool::StartProducer(
    const ProducerOptions& o) {
  return Launch(absl::StrCat("producer-", o.run),
                {"produce", "--namesrv", o.namesrv, "--topic", o.topic, "--run", o.run, "--count",
                 absl::StrCat(o.count), "--interval-ms", absl::StrCat(o.interval.count()),
                 "--route-timeout-ms", absl::StrCat(o.route_timeout.count())});
}

absl::StatusOr<std::unique_ptr<TrafficProcess>> TrafficTool::StartConsumer(
    const ConsumerOptions& o) {
  return Launch(absl::StrCat("consumer-", o.run),
                {"consume", "--namesrv", o.namesrv, "--topic", o.topic, "--run", o.run, "--group",
                 o.group.empty() ? absl::StrCat("rmq-traffic-", o.run) : o.group});
}

}  // namespace rmq::testing
