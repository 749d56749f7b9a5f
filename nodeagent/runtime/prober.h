// PLACEHOLDER until the prober branch lands (same API).
#pragma once
#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

#include "boost/asio/thread_pool.hpp"
#include "common/net/asio.h"
#include "nodeagent/plan/pod_plan.h"
#include "nodeagent/status/probe_tracker.h"

namespace rmq::nodeagent {
struct ProbeTarget {
  std::string pod_ip;
  pid_t pid = 0;
  std::vector<std::string> env;
  std::string working_dir;
};
struct HandlerOutcome {
  ProbeResult result = ProbeResult::kUnknown;
  std::string message;
};
boost::asio::awaitable<HandlerOutcome> RunHandler(const Handler& handler, const ProbeTarget& target,
                                                  std::chrono::milliseconds timeout,
                                                  boost::asio::thread_pool& blocking);
}  // namespace rmq::nodeagent
