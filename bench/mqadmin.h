// mqadmin.h: runs Apache RocketMQ's `mqadmin` (org.apache.rocketmq.tools.command.MQAdminStartup
// from the rocketmq-tools jar) the way the Apache operator does: one JVM per command. For the
// benchmarks' "alternative" columns.
//
// Example:
//   MqadminResult r = RunMqadmin(mq, "updateTopic -b 127.0.0.1:10911 -t T");
#pragma once

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/strings/str_cat.h"
#include "tests/support/local_rocketmq.h"

namespace rmq::bench {

struct MqadminResult {
  int exit_code = -1;
  double seconds = 0;
};

// `args`: the mqadmin sub-command and its options, shell-quoted as needed. Output is discarded.
inline MqadminResult RunMqadmin(const testing::LocalRocketMQ& mq, const std::string& args) {
  auto java = testing::LocalRocketMQ::JavaBinary();
  if (!java.ok()) return {};
  const std::string cmd = absl::StrCat(*java, " -Xms256m -Xmx256m -Drocketmq.home.dir=", mq.dir(),
                                       "/home -Duser.home=", mq.dir(), " -cp '", mq.jars_dir(),
                                       "/*' org.apache.rocketmq.tools.command.MQAdminStartup ",
                                       args, " >/dev/null 2>&1");
  const auto start = std::chrono::steady_clock::now();
  const int rc = std::system(cmd.c_str());
  MqadminResult r;
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  r.exit_code = rc;
  if (rc != 0) std::fprintf(stderr, "mqadmin %s failed (rc %d)\n", args.c_str(), rc);
  return r;
}

}  // namespace rmq::bench
