// broker_agent_service.h: the gRPC BrokerAgent service (callback API) of rocketmq-agent.
//
// Every RPC of agent.proto. UpdateNameServers keeps long-lived "handovers" (registration/
// handover.h) running on the executor after the call returned; Shutdown() ends them.
//
// Threading: gRPC calls the reactors on its threads. Reactors never block: broker work runs as
// coroutines on `executor` (the thread or strand that owns the AdminClient), and the reactor is
// finished from there. A reactor is only finished after its coroutine completed, so it outlives
// every coroutine that refers to it.
//
// Example:
//   BrokerAgentService service(io.get_executor(), admin, {.broker_addr = "127.0.0.1:10911"});
//   builder.RegisterService(&service);
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "agent/registration/handover.h"
#include "common/net/asio.h"
#include "common/rocketmq/admin/admin_client.h"
#include "rmq/agent/v1/agent.grpc.pb.h"

namespace rmq::agent {

struct BrokerAgentConfig {
  std::string broker_addr;  // the local broker, "host:listenPort"
  // Upper bound on topics + groups accepted by one ImportMetadata call.
  size_t max_import_items = 1'000'000;
  // For the connections to name servers that UpdateNameServers registers the broker on
  // (credentials, timeouts; the version is the broker's).
  rocketmq::ClientOptions name_server_client{};
};

class BrokerAgentService final : public ::rocketmq::agent::v1::BrokerAgent::CallbackService {
 public:
  BrokerAgentService(boost::asio::any_io_executor executor, rocketmq::AdminClient& admin,
                     BrokerAgentConfig config);

  // Ends the name-server handovers (their connections close, so name servers that only know the
  // broker through the agent drop it). Call on the executor, before stopping it.
  void Shutdown();

  // rocketmq::agent::v1::BrokerAgent
  grpc::ServerWriteReactor<::rocketmq::agent::v1::MetadataChunk>* ExportMetadata(
      grpc::CallbackServerContext* context,
      const ::rocketmq::agent::v1::ExportMetadataRequest* request) override;
  grpc::ServerReadReactor<::rocketmq::agent::v1::ImportMetadataRequest>* ImportMetadata(
      grpc::CallbackServerContext* context,
      ::rocketmq::agent::v1::ImportMetadataResponse* response) override;

  grpc::ServerUnaryReactor* GetBrokerState(
      grpc::CallbackServerContext* context,
      const ::rocketmq::agent::v1::GetBrokerStateRequest* request,
      ::rocketmq::agent::v1::BrokerState* response) override;
  grpc::ServerUnaryReactor* UpdateNameServers(
      grpc::CallbackServerContext* context,
      const ::rocketmq::agent::v1::UpdateNameServersRequest* request,
      ::rocketmq::agent::v1::UpdateNameServersResponse* response) override;
  grpc::ServerUnaryReactor* SetWritePermission(
      grpc::CallbackServerContext* context,
      const ::rocketmq::agent::v1::SetWritePermissionRequest* request,
      ::rocketmq::agent::v1::SetWritePermissionResponse* response) override;
  grpc::ServerUnaryReactor* GetConsumerLag(
      grpc::CallbackServerContext* context,
      const ::rocketmq::agent::v1::GetConsumerLagRequest* request,
      ::rocketmq::agent::v1::GetConsumerLagResponse* response) override;

 private:
  // Runs `work` on executor_ and finishes the call with its status: every unary RPC's shape.
  grpc::ServerUnaryReactor* RunUnary(grpc::CallbackServerContext* context,
                                     boost::asio::awaitable<absl::Status> work);
  // Unary RPC bodies; run on executor_.
  boost::asio::awaitable<absl::Status> BrokerState(uint32_t max_age_ms, bool registrations,
                                                   ::rocketmq::agent::v1::BrokerState* response);
  boost::asio::awaitable<absl::Status> NameServers(
      ::rocketmq::agent::v1::UpdateNameServersRequest request,
      std::chrono::system_clock::time_point deadline,
      ::rocketmq::agent::v1::UpdateNameServersResponse* response);
  boost::asio::awaitable<absl::Status> WritePermission(
      bool writable, ::rocketmq::agent::v1::SetWritePermissionResponse* response);

  boost::asio::any_io_executor executor_;
  rocketmq::AdminClient& admin_;
  BrokerAgentConfig config_;
  std::unique_ptr<NameServerHandover> handover_;
  // When this agent added each name server to the broker's namesrvAddr: until Takeover() after
  // that, the broker's client may not know it yet, so a registration the agent starts there must
  // last that long. Only touched on executor_; lost on restart (then: assume just added).
  std::map<std::string, std::chrono::steady_clock::time_point> added_at_;
  // The last state read from the broker, for GetBrokerState's max_age_ms. Only touched on
  // executor_.
  std::optional<::rocketmq::agent::v1::BrokerState> cached_state_;
  bool cached_with_registrations_ = false;
};

}  // namespace rmq::agent
