// UpdateNameServers against real RocketMQ 5.3.3 brokers and name servers.
//
// FastPath: a broker with the stock 120 s list refresh is moved onto a second name server; the
// call returns once the new name server routes to the broker, within seconds. Removing the name
// server again ends the agent's handover, and the name server drops the broker at once (the
// registration was tied to the agent's connection). Bad input, unreachable name servers, and a
// broker that takes its list from an address server.
//
// Takeover: a broker configured to refresh its list every 10 s (registerNameServerPeriod 10 s)
// takes over its own registration; the agent's handover ends by itself, and closing its connection
// does not unregister the broker.
//
// Readiness: the /readyz probe waits for the broker's registration on every answering name server.
#include <gtest/gtest.h>

#include <memory>
#include <thread>

#include "absl/strings/str_cat.h"
#include "agent/probe/readiness.h"
#include "common/base/status_macros.h"
#include "tests/support/agent_env.h"
#include "tests/support/wait.h"

namespace rmq::agent {
namespace {

namespace v1 = ::rocketmq::agent::v1;
using Clock = std::chrono::steady_clock;

grpc::Status Update(testing::AgentTestEnv& agent, const std::vector<std::string>& name_servers,
                    bool wait, std::chrono::seconds deadline, v1::UpdateNameServersResponse& out) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + deadline);
  v1::UpdateNameServersRequest request;
  for (const auto& ns : name_servers) request.add_name_servers(ns);
  request.set_wait_for_registration(wait);
  return agent.stub().UpdateNameServers(&context, request, &out);
}

v1::BrokerState State(testing::AgentTestEnv& agent) {
  grpc::ClientContext context;
  v1::GetBrokerStateRequest request;
  v1::BrokerState state;
  grpc::Status s = agent.stub().GetBrokerState(&context, request, &state);
  EXPECT_TRUE(s.ok()) << s.error_message();
  return state;
}

// True if name server `ns` lists the broker of `agent` (asked through the agent's admin client).
bool RegisteredOn(testing::AgentTestEnv& agent, const std::string& ns,
                  const std::string& broker_name) {
  auto& env = agent.env();
  auto info = env.Run(env.admin().GetBrokerClusterInfo(ns));
  if (!info.ok()) return false;
  auto it = info->brokers.find(broker_name);
  return it != info->brokers.end() && it->second.broker_addrs.count(0) > 0 &&
         it->second.broker_addrs.at(0) == env.broker();
}

std::string BrokerNamesrvAddr(testing::AgentTestEnv& agent) {
  auto& env = agent.env();
  auto config = env.Run(env.admin().GetBrokerConfig(env.broker()));
  return config.ok() ? config->properties["namesrvAddr"] : "<unreadable>";
}

class NameServerUpdateTest : public ::testing::Test {
 protected:
  static std::unique_ptr<testing::LocalRocketMQ> StartNameServer() {
    testing::LocalRocketMQOptions options;
    options.start_broker = false;
    auto ns = testing::LocalRocketMQ::Start(options);
    EXPECT_TRUE(ns.ok()) << ns.status();
    return ns.ok() ? *std::move(ns) : nullptr;
  }

  // A broker (`cluster`, `broker_name`) with its agent and first name server, once the broker
  // registered itself there, and a second name server that does not have it.
  struct BrokerAndSecondNameServer {
    std::unique_ptr<testing::AgentTestEnv> agent;
    std::unique_ptr<testing::LocalRocketMQ> ns2;
  };
  static absl::StatusOr<BrokerAndSecondNameServer> StartBrokerAndSecondNameServer(
      const std::string& cluster, const std::string& broker_name) {
    testing::LocalRocketMQOptions options;
    options.cluster_name = cluster;
    options.broker_name = broker_name;
    BrokerAndSecondNameServer out;
    RMQ_ASSIGN_OR_RETURN(out.agent, testing::AgentTestEnv::Start(options));
    out.ns2 = StartNameServer();
    if (out.ns2 == nullptr) return absl::InternalError("the second name server did not start");
    // A fresh 5.x broker registers ~10 s after boot (its first registration waits for the
    // name-server availability scan); wait for it so the agent has only the new name server
    // to do.
    testing::AgentTestEnv& agent = *out.agent;
    const std::string ns1 = agent.env().namesrv();
    if (!testing::WaitFor([&] { return RegisteredOn(agent, ns1, broker_name); },
                          std::chrono::seconds(30), std::chrono::milliseconds(100))) {
      return absl::DeadlineExceededError(
          absl::StrCat(broker_name, " did not register on ", ns1, " within 30 s"));
    }
    return out;
  }

  // Whether name server `ns` drops the broker within 5 s.
  static bool Dropped(testing::AgentTestEnv& agent, const std::string& ns,
                      const std::string& broker_name) {
    return testing::WaitFor([&] { return !RegisteredOn(agent, ns, broker_name); },
                            std::chrono::seconds(5), std::chrono::milliseconds(100));
  }
};

TEST_F(NameServerUpdateTest, FastPathRegistersOnANewNameServerWithinSeconds) {
  auto setup = StartBrokerAndSecondNameServer("MoveCluster", "move-0");
  ASSERT_TRUE(setup.ok()) << setup.status();
  testing::AgentTestEnv& agent = *setup->agent;
  auto& env = agent.env();
  const std::unique_ptr<testing::LocalRocketMQ>& ns2 = setup->ns2;
  const std::string ns1 = env.namesrv();

  rocketmq::TopicConfig topic;
  topic.topic_name = "MovedTopic";
  ASSERT_TRUE(env.Run(env.admin().CreateTopic(env.broker(), topic)).ok());
  EXPECT_FALSE(env.Run(env.admin().GetRouteInfoByTopic(ns2->namesrv_addr(), "MovedTopic")).ok());
  EXPECT_FALSE(RegisteredOn(agent, ns2->namesrv_addr(), "move-0"));

  // Bad input is refused and changes nothing.
  for (const std::vector<std::string>& bad : std::vector<std::vector<std::string>>{
           {}, {"no-port"}, {ns1, ns1}, {ns1 + ";" + ns2->namesrv_addr()}}) {
    v1::UpdateNameServersResponse response;
    grpc::Status s = Update(agent, bad, true, std::chrono::seconds(10), response);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  }
  EXPECT_EQ(BrokerNamesrvAddr(agent), ns1);

  // Add the second name server: registered there within seconds (the broker itself would need
  // up to ~155 s).
  auto started = Clock::now();
  v1::UpdateNameServersResponse response;
  grpc::Status s =
      Update(agent, {ns1, ns2->namesrv_addr()}, true, std::chrono::seconds(30), response);
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started);
  ASSERT_TRUE(s.ok()) << s.error_message();
  std::printf("UpdateNameServers -> registered on the new name server: %lld ms (server: %u ms)\n",
              static_cast<long long>(took.count()), response.registered_after_ms());
  EXPECT_TRUE(response.all_registered()) << response.DebugString();
  EXPECT_TRUE(response.config_changed());
  ASSERT_EQ(response.previous_name_servers_size(), 1);
  EXPECT_EQ(response.previous_name_servers(0), ns1);
  ASSERT_EQ(response.registrations_size(), 2);
  EXPECT_TRUE(response.registrations(0).registered());
  EXPECT_TRUE(response.registrations(1).registered());
  EXPECT_LT(took, std::chrono::seconds(10));
  EXPECT_EQ(BrokerNamesrvAddr(agent), ns1 + ";" + ns2->namesrv_addr());

  // The new name server routes clients to the broker.
  auto route = env.Run(env.admin().GetRouteInfoByTopic(ns2->namesrv_addr(), "MovedTopic"));
  ASSERT_TRUE(route.ok()) << route.status();
  ASSERT_EQ(route->broker_datas.size(), 1u);
  EXPECT_EQ(route->broker_datas[0].broker_name, "move-0");
  EXPECT_EQ(route->broker_datas[0].broker_addrs.at(0), env.broker());
  ASSERT_EQ(route->queue_datas.size(), 1u);
  EXPECT_EQ(route->queue_datas[0].write_queue_nums, topic.write_queue_nums);

  // The agent runs a handover on the new name server only.
  v1::BrokerState state = State(agent);
  ASSERT_EQ(state.handovers_size(), 1) << state.DebugString();
  EXPECT_EQ(state.handovers(0).address(), ns2->namesrv_addr());
  EXPECT_EQ(state.handovers(0).phase(), v1::HANDOVER_PHASE_REGISTERING);
  EXPECT_GE(state.handovers(0).registrations(), 1);
  EXPECT_GT(state.handovers(0).register_until_ms(), state.observed_at_ms() + 100'000);

  // Topics created meanwhile reach the new name server with the next re-registration at the
  // latest; a repeated call is a no-op.
  v1::UpdateNameServersResponse again;
  s = Update(agent, {ns1, ns2->namesrv_addr()}, true, std::chrono::seconds(30), again);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_FALSE(again.config_changed());
  EXPECT_TRUE(again.all_registered());
  EXPECT_EQ(State(agent).handovers_size(), 1);

  // An unreachable name server: the call reports it before its deadline instead of failing late.
  auto dead_port = testing::FreeLoopbackPort();
  ASSERT_TRUE(dead_port.ok());
  const std::string dead = absl::StrCat("127.0.0.1:", *dead_port);
  started = Clock::now();
  v1::UpdateNameServersResponse partial;
  s = Update(agent, {ns1, ns2->namesrv_addr(), dead}, true, std::chrono::seconds(4), partial);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_LT(Clock::now() - started, std::chrono::seconds(4));
  EXPECT_FALSE(partial.all_registered());
  ASSERT_EQ(partial.registrations_size(), 3);
  EXPECT_TRUE(partial.registrations(1).registered());
  EXPECT_FALSE(partial.registrations(2).registered());
  EXPECT_FALSE(partial.registrations(2).error().empty());

  // Remove the second name server: the handover ends and, since the broker never registered
  // there itself, the name server drops it as the agent's connection closes.
  v1::UpdateNameServersResponse back;
  s = Update(agent, {ns1}, true, std::chrono::seconds(30), back);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_TRUE(back.all_registered());
  EXPECT_EQ(BrokerNamesrvAddr(agent), ns1);
  EXPECT_EQ(State(agent).handovers_size(), 0);
  EXPECT_TRUE(Dropped(agent, ns2->namesrv_addr(), "move-0"));

  // A broker that takes its list from an address server never uses namesrvAddr: refused.
  std::map<std::string, std::string> flag = {{"fetchNamesrvAddrByAddressServer", "true"}};
  ASSERT_TRUE(env.Run(env.admin().UpdateBrokerConfig(env.broker(), flag)).ok());
  v1::UpdateNameServersResponse refused;
  s = Update(agent, {ns1, ns2->namesrv_addr()}, false, std::chrono::seconds(10), refused);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << s.error_message();
  EXPECT_EQ(BrokerNamesrvAddr(agent), ns1);
  flag["fetchNamesrvAddrByAddressServer"] = "false";
  ASSERT_TRUE(env.Run(env.admin().UpdateBrokerConfig(env.broker(), flag)).ok());
}

// The /readyz probe (agent/probe/readiness.h) on a real broker: not ready while a listed name
// server that answers lacks the broker, whatever an unanswering one says; ready once registered;
// confirmed once per broker start (a name server that forgets the broker later does not matter).
TEST_F(NameServerUpdateTest, ReadinessWaitsUntilEveryAnsweringNameServerListsTheBroker) {
  auto setup = StartBrokerAndSecondNameServer("ReadyCluster", "ready-0");
  ASSERT_TRUE(setup.ok()) << setup.status();
  testing::AgentTestEnv& agent = *setup->agent;
  auto& env = agent.env();
  const std::unique_ptr<testing::LocalRocketMQ>& ns2 = setup->ns2;
  const std::string ns1 = env.namesrv();
  auto dead_port = testing::FreeLoopbackPort();
  ASSERT_TRUE(dead_port.ok());
  const std::string dead = absl::StrCat("127.0.0.1:", *dead_port);
  rocketmq::AdminClient name_server_admin(env.client(), std::chrono::milliseconds(2000));

  // The broker's list names ns2 (up, without the broker: a stock broker re-reads its list only
  // every 120 s) and a closed port.
  auto set_list = [&](const std::string& list) {
    std::map<std::string, std::string> config = {{"namesrvAddr", list}};
    ASSERT_TRUE(env.Run(env.admin().UpdateBrokerConfig(env.broker(), config)).ok());
  };
  set_list(absl::StrCat(ns1, ";", ns2->namesrv_addr(), ";", dead));
  ReadinessProbe probe(env.admin(), name_server_admin, env.broker());
  const auto started = Clock::now();
  Readiness r = env.Run(probe.Probe());
  EXPECT_LT(Clock::now() - started, std::chrono::seconds(3));
  EXPECT_FALSE(r.ready);
  EXPECT_EQ(r.reason, absl::StrCat("broker not registered yet on ", ns2->namesrv_addr(),
                                   " (2 of 3 listed name servers answered)"));

  // Registered on ns2 through the agent: ready; the closed port does not hold it back.
  v1::UpdateNameServersResponse response;
  grpc::Status s =
      Update(agent, {ns1, ns2->namesrv_addr()}, true, std::chrono::seconds(30), response);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_TRUE(response.all_registered()) << response.DebugString();
  set_list(absl::StrCat(ns1, ";", ns2->namesrv_addr(), ";", dead));
  r = env.Run(probe.Probe());
  EXPECT_TRUE(r.ready) << r.reason;
  EXPECT_EQ(r.reason, "serving");

  // ns2 forgets the broker (the agent's handover ends and its connection closes) while the broker
  // still lists it: the confirmed probe stays ready; a probe that has confirmed nothing is not.
  s = Update(agent, {ns1}, true, std::chrono::seconds(30), response);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_TRUE(Dropped(agent, ns2->namesrv_addr(), "ready-0"));
  set_list(absl::StrCat(ns1, ";", ns2->namesrv_addr()));
  r = env.Run(probe.Probe());
  EXPECT_TRUE(r.ready) << r.reason;
  ReadinessProbe fresh(env.admin(), name_server_admin, env.broker());
  r = env.Run(fresh.Probe());
  EXPECT_FALSE(r.ready);
  EXPECT_EQ(r.reason, absl::StrCat("broker not registered yet on ", ns2->namesrv_addr(),
                                   " (2 of 2 listed name servers answered)"));
  set_list(ns1);
}

TEST_F(NameServerUpdateTest, BrokerTakesOverAndTheHandoverEndsWithoutUnregistering) {
  testing::LocalRocketMQOptions options;
  options.cluster_name = "TakeoverCluster";
  options.broker_name = "takeover-0";
  options.broker_config["updateNameServerAddrPeriod"] = "10000";
  options.broker_config["registerNameServerPeriod"] = "10000";
  auto agent_or = testing::AgentTestEnv::Start(options);
  ASSERT_TRUE(agent_or.ok()) << agent_or.status();
  testing::AgentTestEnv& agent = **agent_or;
  std::unique_ptr<testing::LocalRocketMQ> ns2 = StartNameServer();
  ASSERT_NE(ns2, nullptr);

  v1::UpdateNameServersResponse response;
  grpc::Status s = Update(agent, {agent.env().namesrv(), ns2->namesrv_addr()}, true,
                          std::chrono::seconds(30), response);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_TRUE(response.all_registered()) << response.DebugString();

  // Takeover() = 10 + 3 + 10 + 10 s, then Hold() = 10 + 10 s after the last registration.
  auto started = Clock::now();
  int handovers = 1;
  bool always_registered = true;
  while (handovers > 0 && Clock::now() - started < std::chrono::seconds(90)) {
    always_registered = always_registered && RegisteredOn(agent, ns2->namesrv_addr(), "takeover-0");
    handovers = State(agent).handovers_size();
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  EXPECT_EQ(handovers, 0) << "the handover did not end";
  EXPECT_TRUE(always_registered);
  std::printf(
      "handover ended after %lld s\n",
      static_cast<long long>(
          std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - started).count()));
  // The agent's connection is closed now; the broker's own registration keeps it listed.
  std::this_thread::sleep_for(std::chrono::seconds(2));
  EXPECT_TRUE(RegisteredOn(agent, ns2->namesrv_addr(), "takeover-0"));
}

}  // namespace
}  // namespace rmq::agent
