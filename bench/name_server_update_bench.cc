// name_server_update_bench: moving a real RocketMQ 5.3.3 broker onto an additional, new name
// server (a NameService scale-out)
//   (a) with the agent's UpdateNameServers (sets namesrvAddr and registers the broker on the new
//       name server on its behalf),
//   (b) with `mqadmin updateBrokerConfig -k namesrvAddr` (one JVM, the Apache operator's way),
//       after which the broker picks the list up on its own refresh (updateNameServerAddrPeriod,
//       120 s by default) and registers on its next periodic registration.
// Two brokers (one per way), each with its own new name server. Prints the call times, the times
// until the new name server lists the broker, and the ratios.
// Usage: name_server_update_bench [max_wait_s=240]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "bench/mqadmin.h"
#include "tests/support/agent_env.h"

namespace {

namespace v1 = ::rocketmq::agent::v1;
using Clock = std::chrono::steady_clock;

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

bool Registered(rmq::testing::AdminTestEnv& env, const std::string& ns,
                const std::string& broker_name) {
  auto info = env.Run(env.admin().GetBrokerClusterInfo(ns));
  if (!info.ok()) return false;
  auto it = info->brokers.find(broker_name);
  return it != info->brokers.end() && it->second.broker_addrs.count(0) > 0 &&
         it->second.broker_addrs.at(0) == env.broker();
}

// Waits until the broker of `env` is registered on its own first name server (~10 s after boot).
void WaitRegistered(rmq::testing::AdminTestEnv& env, const std::string& broker_name) {
  for (int i = 0; i < 600 && !Registered(env, env.namesrv(), broker_name); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

std::unique_ptr<rmq::testing::LocalRocketMQ> NameServer() {
  rmq::testing::LocalRocketMQOptions options;
  options.start_broker = false;
  auto ns = rmq::testing::LocalRocketMQ::Start(options);
  return ns.ok() ? *std::move(ns) : nullptr;
}

}  // namespace

int main(int argc, char** argv) {
  const int max_wait_s = argc > 1 ? std::atoi(argv[1]) : 240;
  auto a = rmq::testing::AgentTestEnv::Start({.broker_name = "agent-0"});
  auto b = rmq::testing::AgentTestEnv::Start({.broker_name = "mqadmin-0"});
  auto ns_a = NameServer();
  auto ns_b = NameServer();
  if (!a.ok() || !b.ok() || ns_a == nullptr || ns_b == nullptr) {
    std::fprintf(stderr, "cannot start RocketMQ\n");
    return 1;
  }
  auto& env_a = (*a)->env();
  auto& env_b = (*b)->env();
  WaitRegistered(env_a, "agent-0");
  WaitRegistered(env_b, "mqadmin-0");

  // (a) the agent.
  auto t0 = Clock::now();
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  v1::UpdateNameServersRequest request;
  request.add_name_servers(env_a.namesrv());
  request.add_name_servers(ns_a->namesrv_addr());
  request.set_wait_for_registration(true);
  v1::UpdateNameServersResponse response;
  grpc::Status s = (*a)->stub().UpdateNameServers(&context, request, &response);
  const double agent_call_s = Seconds(Clock::now() - t0);
  if (!s.ok() || !response.all_registered()) {
    std::fprintf(stderr, "UpdateNameServers failed: %s\n", s.error_message().c_str());
    return 1;
  }
  while (!Registered(env_a, ns_a->namesrv_addr(), "agent-0")) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  const double agent_registered_s = Seconds(Clock::now() - t0);
  std::printf(
      "(a) UpdateNameServers: call %.3f s, registered on the new name server after %.3f s\n",
      agent_call_s, agent_registered_s);

  // (b) mqadmin updateBrokerConfig, then the broker's own refresh.
  t0 = Clock::now();
  const rmq::bench::MqadminResult r = rmq::bench::RunMqadmin(
      env_b.mq(), absl::StrCat("updateBrokerConfig -b ", env_b.broker(), " -k namesrvAddr -v '",
                               env_b.namesrv(), ";", ns_b->namesrv_addr(), "'"));
  if (r.exit_code != 0) return 1;
  bool registered = false;
  while (!registered && Clock::now() - t0 < std::chrono::seconds(max_wait_s)) {
    registered = Registered(env_b, ns_b->namesrv_addr(), "mqadmin-0");
    if (!registered) std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  const double mqadmin_registered_s = Seconds(Clock::now() - t0);
  std::printf(
      "(b) mqadmin updateBrokerConfig: call %.2f s, registered on the new name server %s "
      "%.1f s\n",
      r.seconds, registered ? "after" : "NOT within", mqadmin_registered_s);
  std::printf("ratio call (b)/(a): %.0fx; ratio until registered (b)/(a): %.0fx%s\n",
              r.seconds / agent_call_s, mqadmin_registered_s / agent_registered_s,
              registered ? "" : " (lower bound)");
  return 0;
}
