// local_rocketmq.h: a real Apache RocketMQ 5.3.x name server and broker for tests and benchmarks.
//
// Start() runs both as Java processes (jars from Maven Central, see scripts/rocketmq-jars.sh) on
// 127.0.0.1 with free ports and a fresh temporary directory (store, logs, config), waits for the
// "boot success" lines and returns. Small heaps, no pre-touch. The destructor stops both (SIGTERM,
// then SIGKILL after a grace period) and removes the directory; the JVMs also die with the test
// process (PR_SET_PDEATHSIG), so a crashed test leaves nothing running.
//
// A missing Java or jar download is an error (FailedPrecondition with what to do), never a skip.
// Environment: RMQ_JARS_DIR (jar directory of the default version; default: run
// scripts/rocketmq-jars.sh), RMQ_JARS_DIR_<version with '_' for '.'> for other versions,
// JAVA_HOME (default: `java` on PATH), RMQ_KEEP_TEST_DIRS=1 keeps the directory for debugging.
//
// Not thread-safe; one instance per test suite.
//
// Example:
//   absl::StatusOr<std::unique_ptr<LocalRocketMQ>> mq = LocalRocketMQ::Start({});
//   admin.GetBrokerRuntimeInfo((*mq)->broker_addr());
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace rmq::testing {

struct LocalRocketMQOptions {
  // RocketMQ version; empty means the pom's default (5.3.3). Any 5.x served by Maven Central works
  // (4.9.x name servers are not served there).
  std::string version{};
  std::string cluster_name = "TestCluster";
  std::string broker_name = "broker-a";
  // Extra broker.conf lines (override the defaults).
  std::map<std::string, std::string> broker_config{};
  // Java system properties (-Dkey=value) for both processes, e.g. rocketmq.serialize.type.
  std::map<std::string, std::string> jvm_properties{};
  std::chrono::seconds boot_timeout{120};
  // False: only a name server (broker_addr() is empty), e.g. a second one to move a broker to.
  bool start_broker = true;
  // Non-empty: no name server is started; the broker registers on this one (e.g. a slave joining
  // another instance's master: set brokerId/brokerRole/brokerName in broker_config).
  std::string namesrv_addr{};
};

class LocalRocketMQ {
 public:
  static absl::StatusOr<std::unique_ptr<LocalRocketMQ>> Start(LocalRocketMQOptions options);
  ~LocalRocketMQ();
  LocalRocketMQ(const LocalRocketMQ&) = delete;
  LocalRocketMQ& operator=(const LocalRocketMQ&) = delete;

  const std::string& namesrv_addr() const { return namesrv_addr_; }
  const std::string& broker_addr() const { return broker_addr_; }
  const std::string& dir() const { return dir_; }
  const std::string& jars_dir() const { return jars_dir_; }
  // Wall time from spawning each JVM to its "boot success" line.
  std::chrono::milliseconds namesrv_boot_time() const { return namesrv_boot_; }
  std::chrono::milliseconds broker_boot_time() const { return broker_boot_; }

  // Stops both processes (idempotent). Returns an error if one did not exit cleanly.
  absl::Status Stop();

  // The jar directory (RMQ_JARS_DIR or the cache script's answer) and the java binary.
  static absl::StatusOr<std::string> JarsDir(const std::string& version = "");
  static absl::StatusOr<std::string> JavaBinary();

 private:
  LocalRocketMQ() = default;

  std::string dir_;
  std::string jars_dir_;
  std::string namesrv_addr_;
  std::string broker_addr_;
  pid_t namesrv_pid_ = -1;
  pid_t broker_pid_ = -1;
  std::chrono::milliseconds namesrv_boot_{0};
  std::chrono::milliseconds broker_boot_{0};
};

// A TCP port on 127.0.0.1 that was free a moment ago (bind to port 0, read, close).
absl::StatusOr<int> FreeLoopbackPort();

}  // namespace rmq::testing
