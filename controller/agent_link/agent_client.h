// agent_client.h: the operator's calls to the broker agents (gRPC BrokerAgent), as awaitables on
// the operator's executor.
//
// Each call has a deadline (Options::deadline unless the call takes its own); gRPC statuses map
// to absl::Status with the same code and the agent's message, prefixed with the address. One
// channel per agent address, created on first use and kept (gRPC reconnects it by itself).
// Unary calls run on gRPC's callback threads, a metadata copy on a thread of its own (blocking
// streams); all complete on `executor`: that executor must keep running
// until every call finished (each is bounded by its deadline).
//
// Threading: call from the executor only.
//
// Example:
//   AgentClient agents(io.get_executor(), {});
//   absl::StatusOr<BrokerState> state = co_await agents.GetBrokerState("10.0.0.7:9095", {});
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "common/net/asio.h"
#include "grpcpp/grpcpp.h"
#include "rmq/agent/v1/agent.grpc.pb.h"

namespace rmq::controller {

namespace agentpb = ::rocketmq::agent::v1;

// mTLS credentials from `dir`: tls.crt + tls.key (the operator's client certificate and key) and
// ca.crt (the CA that signed the agents' certificates), as a kubernetes.io/tls Secret with ca.crt
// is mounted. Errors name the file.
absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> LoadAgentClientCredentials(
    const std::string& dir);

class AgentClient {
 public:
  struct Options {
    std::chrono::milliseconds deadline{10'000};
    // Default: plaintext (the agents' --grpc-insecure). LoadAgentClientCredentials() for mTLS.
    std::shared_ptr<grpc::ChannelCredentials> credentials;
    // With TLS: the name the agents' certificates are checked against instead of the address
    // dialled (a pod IP). Empty: the address.
    std::string tls_server_name;
  };

  AgentClient(boost::asio::any_io_executor executor, Options options);

  boost::asio::awaitable<absl::StatusOr<agentpb::BrokerState>> GetBrokerState(
      const std::string& address, agentpb::GetBrokerStateRequest request);
  // `deadline`: the call's own, e.g. longer than the wait for registrations it asks for.
  boost::asio::awaitable<absl::StatusOr<agentpb::UpdateNameServersResponse>> UpdateNameServers(
      const std::string& address, agentpb::UpdateNameServersRequest request,
      std::chrono::milliseconds deadline);

  // Streams ExportMetadata(export_request) from the agent at `source` into
  // ImportMetadata(options) of the agent at `target`, chunk by chunk (never the whole set in
  // memory). Both streams share `deadline`. A failed export cancels the import (the target keeps
  // what was upserted so far: the import is idempotent, so the next copy completes it).
  struct CopyResult {
    agentpb::ExportSummary exported;  // the source's summary (last chunk)
    agentpb::ImportMetadataResponse imported;
    int chunks = 0;
  };
  boost::asio::awaitable<absl::StatusOr<CopyResult>> CopyMetadata(
      const std::string& source, const std::string& target,
      agentpb::ExportMetadataRequest export_request, agentpb::ImportOptions options,
      std::chrono::milliseconds deadline);

  // grpc::Status -> absl::Status (same code), the message prefixed with `address`.
  static absl::Status FromGrpc(const grpc::Status& status, const std::string& address);

 private:
  std::shared_ptr<agentpb::BrokerAgent::Stub> StubFor(const std::string& address);

  boost::asio::any_io_executor executor_;
  Options options_;
  // Stubs are thread-safe: CopyMetadata uses them from its own thread too.
  std::map<std::string, std::shared_ptr<agentpb::BrokerAgent::Stub>> stubs_;
};

}  // namespace rmq::controller
