// agent_env.h: a real RocketMQ broker with the agent's gRPC service in front of it, in-process.
//
// Start() starts the broker (AdminTestEnv), a BrokerAgentService on the admin client's io thread
// and a plaintext gRPC server on a free loopback port, and gives a stub to it. The destructor shuts
// the service down on its executor first (it may run name-server handovers), then the server, the
// io thread and the broker.
//
// Example:
//   auto agent = testing::AgentTestEnv::Start({.cluster_name = "C"});
//   (*agent)->stub().GetBrokerState(&context, request, &state);
#pragma once

#include <memory>

#include "absl/status/statusor.h"
#include "agent/service/broker_agent_service.h"
#include "grpcpp/grpcpp.h"
#include "tests/support/admin_env.h"

namespace rmq::testing {

class AgentTestEnv {
 public:
  static absl::StatusOr<std::unique_ptr<AgentTestEnv>> Start(LocalRocketMQOptions options);
  ~AgentTestEnv();
  AgentTestEnv(const AgentTestEnv&) = delete;
  AgentTestEnv& operator=(const AgentTestEnv&) = delete;

  AdminTestEnv& env() { return *env_; }
  agent::BrokerAgentService& service() { return *service_; }
  ::rocketmq::agent::v1::BrokerAgent::Stub& stub() { return *stub_; }
  // "127.0.0.1:<port>" of the plaintext gRPC server.
  const std::string& address() const { return address_; }

 private:
  AgentTestEnv() = default;

  std::unique_ptr<AdminTestEnv> env_;
  std::unique_ptr<agent::BrokerAgentService> service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<::rocketmq::agent::v1::BrokerAgent::Stub> stub_;
  std::string address_;
};

}  // namespace rmq::testing
