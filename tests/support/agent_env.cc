#include "tests/support/agent_env.h"

#include <future>

#include "absl/strings/str_cat.h"

namespace rmq::testing {

absl::StatusOr<std::unique_ptr<AgentTestEnv>> AgentTestEnv::Start(LocalRocketMQOptions options) {
  absl::StatusOr<std::unique_ptr<AdminTestEnv>> env = AdminTestEnv::Start(std::move(options));
  if (!env.ok()) return env.status();
  std::unique_ptr<AgentTestEnv> agent(new AgentTestEnv());
  agent->env_ = *std::move(env);
  agent->service_ = std::make_unique<agent::BrokerAgentService>(
      agent->env_->executor(), agent->env_->admin(),
      agent::BrokerAgentConfig{.broker_addr = agent->env_->broker()});
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(agent->service_.get());
  agent->server_ = builder.BuildAndStart();
  agent->address_ = absl::StrCat("127.0.0.1:", port);
  if (agent->server_ == nullptr || port == 0) {
    return absl::InternalError("the agent's gRPC server did not start");
  }
  agent->stub_ = ::rocketmq::agent::v1::BrokerAgent::NewStub(
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials()));
  return agent;
}

AgentTestEnv::~AgentTestEnv() {
  if (service_ != nullptr) {
    std::promise<void> done;
    boost::asio::post(env_->executor(), [&] {
      service_->Shutdown();
      done.set_value();
    });
    done.get_future().wait();
  }
  if (server_ != nullptr) server_->Shutdown();
  server_.reset();
  env_.reset();  // stops the io thread: no coroutine of the service runs after this
  service_.reset();
}

}  // namespace rmq::testing
