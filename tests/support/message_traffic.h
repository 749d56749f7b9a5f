// message_traffic.h: RocketMQ message traffic for end-to-end tests: a producer that sends
// numbered messages and a consumer that counts the distinct numbers it receives, both running in
// the background (Java processes) while the test does other things, with exact counts at the end.
//
// The traffic tool is our own Java source, tests/support/traffic/RmqTraffic.java, compiled by
// `javac` at test time (about 1 s) against the RocketMQ client jars of a local image's lib/
// (scripts/local-images.sh; the same jars as scripts/rocketmq-jars.sh). Every message of a run
// has key and body "<run>-<seq>", seq = 0, 1, 2, ...; the producer records which seqs were sent
// with SEND_OK, the consumer which seqs it received (a redelivery counts once), so a test can
// assert "no message lost": Lost(producer, consumer) is empty.
//
// Counts are read from status files the Java processes rewrite every 200 ms (Counts() while
// running); Finish()/Stop() end a process and return its final counts and seq list.
//
// Not thread-safe; each object belongs to one test thread. A process still running when its
// object is destroyed is killed (SIGKILL; and PR_SET_PDEATHSIG if the test dies).
//
// Example:
//   auto tool = TrafficTool::Prepare(rocketmq_home, dir);
//   auto consumer = (*tool)->StartConsumer({.namesrv = ns, .topic = "T", .run = "r1"});
//   auto producer = (*tool)->StartProducer({.namesrv = ns, .topic = "T", .run = "r1",
//                                           .count = 10000});
//   TrafficResult sent = *(*producer)->Finish(std::chrono::minutes(2));
//   (*consumer)->WaitDistinct(sent.sent_ok, std::chrono::minutes(1));
//   TrafficResult got = *(*consumer)->Stop();
//   EXPECT_TRUE(Lost(sent, got).empty());
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "tests/support/child_process.h"

namespace rmq::testing {

// A status file's content (producer or consumer; fields of the other role stay 0).
struct TrafficCounts {
  int64_t attempted = 0;  // producer: sends tried
  int64_t sent_ok = 0;    // producer: SEND_OK
  int64_t failed = 0;     // producer: any other outcome
  std::string last_error{};
  int64_t received = 0;  // consumer: deliveries, redeliveries included
  int64_t distinct = 0;  // consumer: distinct seqs of the run
  bool done = false;     // the process wrote its final counts
};

// Final counts and seqs: sent with SEND_OK (producer) or received (consumer).
struct TrafficResult {
  TrafficCounts counts;
  std::set<int64_t> seqs{};
};

// Seqs the producer sent OK that the consumer never received.
std::set<int64_t> Lost(const TrafficResult& producer, const TrafficResult& consumer);

struct ProducerOptions {
  std::string namesrv{};  // "ip:9876[;ip:9876]"
  std::string topic{};
  std::string run{};   // key prefix; the consumer of the same run counts these messages
  int64_t count = -1;  // -1: until Stop()
  std::chrono::milliseconds interval{0};            // between sends; 0: back to back
  std::chrono::milliseconds route_timeout{60'000};  // waiting for the topic's route first
};

struct ConsumerOptions {
  std::string namesrv{};
  std::string topic{};
  std::string run{};
  std::string group{};  // empty: "rmq-traffic-<run>" (a new group reads from the first offset)
};

// One running producer or consumer.
class TrafficProcess {
 public:
  ~TrafficProcess();
  TrafficProcess(const TrafficProcess&) = delete;
  TrafficProcess& operator=(const TrafficProcess&) = delete;

  // The latest counts (zero before the first status write).
  TrafficCounts Counts() const;
  // A producer with a count: waits until it has sent them all and exited. Then the final result.
  absl::StatusOr<TrafficResult> Finish(std::chrono::milliseconds timeout);
  // Asks the process to stop (a stop file: the producer ends after its current send), waits for
  // its final counts. Idempotent once finished.
  absl::StatusOr<TrafficResult> Stop(std::chrono::milliseconds timeout = std::chrono::seconds(60));
  // Consumer: waits until `distinct` seqs were received; false (with the counts in the log) after
  // `timeout`.
  bool WaitDistinct(int64_t distinct, std::chrono::milliseconds timeout) const;
  bool Running();
  // The process's stdout and stderr.
  std::string Log() const;

 private:
  friend class TrafficTool;
  TrafficProcess(std::unique_ptr<ChildProcess> process, std::string status_file,
                 std::string stop_file);
  absl::StatusOr<TrafficResult> ReadFinal();

  std::unique_ptr<ChildProcess> process_;
  std::string status_file_;
  std::string stop_file_;
  std::optional<TrafficResult> final_;
};

class TrafficTool {
 public:
  // Compiles RmqTraffic.java into `work_dir`/traffic-classes against `rocketmq_home`/lib/*
  // (a RocketMQ home on the host, e.g. LocalCluster::RocketMqHome()). java and javac from
  // JAVA_HOME, else PATH. Status files and logs go to `work_dir` too.
  static absl::StatusOr<std::unique_ptr<TrafficTool>> Prepare(const std::string& rocketmq_home,
                                                              const std::string& work_dir);

  absl::StatusOr<std::unique_ptr<TrafficProcess>> StartProducer(const ProducerOptions& options);
  absl::StatusOr<std::unique_ptr<TrafficProcess>> StartConsumer(const ConsumerOptions& options);

 private:
  TrafficTool(std::string rocketmq_home, std::string work_dir, std::string java)
      : rocketmq_home_(std::move(rocketmq_home)),
        work_dir_(std::move(work_dir)),
        java_(std::move(java)) {}
  absl::StatusOr<std::unique_ptr<TrafficProcess>> Launch(const std::string& name,
                                                         std::vector<std::string> args);

  std::string rocketmq_home_;
  std::string work_dir_;
  std::string java_;
  int launched_ = 0;
};

}  // namespace rmq::testing
