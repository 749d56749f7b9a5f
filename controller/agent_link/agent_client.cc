#include "controller/agent_link/agent_client.h"

#include <functional>
#include <utility>

#include "absl/strings/str_cat.h"

namespace rmq::controller {
namespace {

namespace asio = boost::asio;

// One unary call's context and response, alive until gRPC's callback ran.
template <typename Response>
struct Call {
  grpc::ClientContext context;
  Response response;
};

// Starts `start(context, response, done)` (a stub's async() method bound to its request) and
// completes on `executor` with the response or the error. Not a coroutine: async_initiate makes
// the awaitable (GCC 12 mis-compiles lambdas with init-captures inside coroutine frames).
template <typename Response, typename Start>
asio::awaitable<absl::StatusOr<Response>> Unary(asio::any_io_executor executor, std::string address,
                                                std::chrono::milliseconds deadline, Start start) {
  auto call = std::make_shared<Call<Response>>();
  call->context.set_deadline(std::chrono::system_clock::now() + deadline);
  return asio::async_initiate<decltype(asio::use_awaitable), void(absl::StatusOr<Response>)>(
      [call, executor, address = std::move(address),
       start = std::move(start)](auto handler) mutable {
        auto shared = std::make_shared<decltype(handler)>(std::move(handler));
        start(&call->context, &call->response,
              [call, executor, shared, address](const grpc::Status& status) {
                absl::StatusOr<Response> result =
                    status.ok() ? absl::StatusOr<Response>(std::move(call->response))
                                : absl::StatusOr<Response>(AgentClient::FromGrpc(status, address));
                asio::post(executor, [shared, result = std::move(result)]() mutable {
                  (*shared)(std::move(result));
                });
              });
      },
      asio::use_awaitable);
}

}  // namespace

AgentClient::AgentClient(asio::any_io_executor executor, Options options)
    : executor_(std::move(executor)), options_(std::move(options)) {
  if (!options_.credentials) options_.credentials = grpc::InsecureChannelCredentials();
}

absl::Status AgentClient::FromGrpc(const grpc::Status& status, const std::string& address) {
  return {static_cast<absl::StatusCode>(status.error_code()),
          absl::StrCat("agent ", address, ": ", status.error_message())};
}

agentpb::BrokerAgent::Stub& AgentClient::StubFor(const std::string& address) {
  std::unique_ptr<agentpb::BrokerAgent::Stub>& stub = stubs_[address];
  if (!stub) {
    stub = agentpb::BrokerAgent::NewStub(grpc::CreateChannel(address, options_.credentials));
  }
  return *stub;
}

asio::awaitable<absl::StatusOr<agentpb::BrokerState>> AgentClient::GetBrokerState(
    const std::string& address, agentpb::GetBrokerStateRequest request) {
  agentpb::BrokerAgent::Stub& stub = StubFor(address);
  auto shared_request = std::make_shared<agentpb::GetBrokerStateRequest>(std::move(request));
  return Unary<agentpb::BrokerState>(
      executor_, address, options_.deadline,
      [&stub, shared_request](grpc::ClientContext* context, agentpb::BrokerState* response,
                              std::function<void(grpc::Status)> done) {
        stub.async()->GetBrokerState(
            context, shared_request.get(), response,
            [shared_request, done = std::move(done)](const grpc::Status& s) { done(s); });
      });
}

asio::awaitable<absl::StatusOr<agentpb::UpdateNameServersResponse>> AgentClient::UpdateNameServers(
    const std::string& address, agentpb::UpdateNameServersRequest request,
    std::chrono::milliseconds deadline) {
  agentpb::BrokerAgent::Stub& stub = StubFor(address);
  auto shared_request = std::make_shared<agentpb::UpdateNameServersRequest>(std::move(request));
  return Unary<agentpb::UpdateNameServersResponse>(
      executor_, address, deadline,
      [&stub, shared_request](grpc::ClientContext* context,
                              agentpb::UpdateNameServersResponse* response,
                              std::function<void(grpc::Status)> done) {
        stub.async()->UpdateNameServers(
            context, shared_request.get(), response,
            [shared_request, done = std::move(done)](const grpc::Status& s) { done(s); });
      });
}

}  // namespace rmq::controller
