#include "controller/agent_link/agent_client.h"

#include <fstream>
#include <functional>
#include <sstream>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"

namespace rmq::controller {
namespace {

namespace asio = boost::asio;

// One unary call's context and response, alive until its completion ran on the executor.
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
        // The callback hands its reference to `call` over to the executor: the ClientContext is
        // destroyed there, never by gRPC tearing down the callback (a context freed from inside
        // its own call's teardown unrefs that call again: a double free under ASan).
        start(&call->context, &call->response,
              [call, executor, shared, address](const grpc::Status& status) mutable {
                absl::StatusOr<Response> result =
                    status.ok() ? absl::StatusOr<Response>(std::move(call->response))
                                : absl::StatusOr<Response>(AgentClient::FromGrpc(status, address));
                asio::post(executor,
                           [shared, result = std::move(result), done = std::move(call)]() mutable {
                             (*shared)(std::move(result));
                             done.reset();
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

std::shared_ptr<agentpb::BrokerAgent::Stub> AgentClient::StubFor(const std::string& address) {
  std::shared_ptr<agentpb::BrokerAgent::Stub>& stub = stubs_[address];
  if (!stub) {
    grpc::ChannelArguments args;
    if (!options_.tls_server_name.empty()) {
      args.SetSslTargetNameOverride(options_.tls_server_name);
    }
    stub = agentpb::BrokerAgent::NewStub(
        grpc::CreateCustomChannel(address, options_.credentials, args));
  }
  return stub;
}

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> LoadAgentClientCredentials(
    const std::string& dir) {
  auto read = [&](const char* name) -> absl::StatusOr<std::string> {
    const std::string path = absl::StrCat(dir, "/", name);
    std::ifstream in(path, std::ios::binary);
    if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
    std::stringstream text;
    text << in.rdbuf();
    if (text.str().find("-----BEGIN ") == std::string::npos) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": no PEM block"));
    }
    return text.str();
  };
  grpc::SslCredentialsOptions options;
  absl::StatusOr<std::string> ca = read("ca.crt");
  if (!ca.ok()) return ca.status();
  absl::StatusOr<std::string> cert = read("tls.crt");
  if (!cert.ok()) return cert.status();
  absl::StatusOr<std::string> key = read("tls.key");
  if (!key.ok()) return key.status();
  options.pem_root_certs = *std::move(ca);
  options.pem_cert_chain = *std::move(cert);
  options.pem_private_key = *std::move(key);
  return grpc::SslCredentials(options);
}

asio::awaitable<absl::StatusOr<agentpb::BrokerState>> AgentClient::GetBrokerState(
    const std::string& address, agentpb::GetBrokerStateRequest request) {
  std::shared_ptr<agentpb::BrokerAgent::Stub> stub = StubFor(address);
  auto shared_request = std::make_shared<agentpb::GetBrokerStateRequest>(std::move(request));
  return Unary<agentpb::BrokerState>(
      executor_, address, options_.deadline,
      [stub, shared_request](grpc::ClientContext* context, agentpb::BrokerState* response,
                             std::function<void(grpc::Status)> done) {
        stub->async()->GetBrokerState(
            context, shared_request.get(), response,
            [shared_request, done = std::move(done)](const grpc::Status& s) { done(s); });
      });
}

asio::awaitable<absl::StatusOr<agentpb::UpdateNameServersResponse>> AgentClient::UpdateNameServers(
    const std::string& address, agentpb::UpdateNameServersRequest request,
    std::chrono::milliseconds deadline) {
  std::shared_ptr<agentpb::BrokerAgent::Stub> stub = StubFor(address);
  auto shared_request = std::make_shared<agentpb::UpdateNameServersRequest>(std::move(request));
  return Unary<agentpb::UpdateNameServersResponse>(
      executor_, address, deadline,
      [stub, shared_request](grpc::ClientContext* context,
                             agentpb::UpdateNameServersResponse* response,
                             std::function<void(grpc::Status)> done) {
        stub->async()->UpdateNameServers(
            context, shared_request.get(), response,
            [shared_request, done = std::move(done)](const grpc::Status& s) { done(s); });
      });
}

namespace {

// The blocking half of CopyMetadata (runs on its own thread).
absl::StatusOr<AgentClient::CopyResult> CopyBlocking(
    agentpb::BrokerAgent::Stub& source, const std::string& source_address,
    agentpb::BrokerAgent::Stub& target, const std::string& target_address,
    const agentpb::ExportMetadataRequest& export_request, const agentpb::ImportOptions& options,
    std::chrono::system_clock::time_point deadline) {
  AgentClient::CopyResult result;
  grpc::ClientContext import_context;
  import_context.set_deadline(deadline);
  std::unique_ptr<grpc::ClientWriter<agentpb::ImportMetadataRequest>> writer =
      target.ImportMetadata(&import_context, &result.imported);
  agentpb::ImportMetadataRequest first;
  *first.mutable_options() = options;
  // A write fails when the stream broke; Finish() then says why.
  bool writing = writer->Write(first);

  grpc::ClientContext export_context;
  export_context.set_deadline(deadline);
  std::unique_ptr<grpc::ClientReader<agentpb::MetadataChunk>> reader =
      source.ExportMetadata(&export_context, export_request);
  agentpb::ImportMetadataRequest message;
  while (writing && reader->Read(message.mutable_chunk())) {
    ++result.chunks;
    if (message.chunk().has_summary()) result.exported = message.chunk().summary();
    writing = writer->Write(message);
    message.Clear();
  }
  if (!writing) export_context.TryCancel();
  const grpc::Status exported = reader->Finish();
  if (writing && !exported.ok()) {
    import_context.TryCancel();
    (void)writer->Finish();
    return AgentClient::FromGrpc(exported, source_address);
  }
  if (writing) writer->WritesDone();
  const grpc::Status imported = writer->Finish();
  if (!imported.ok()) return AgentClient::FromGrpc(imported, target_address);
  if (!exported.ok()) return AgentClient::FromGrpc(exported, source_address);
  return result;
}

}  // namespace

asio::awaitable<absl::StatusOr<AgentClient::CopyResult>> AgentClient::CopyMetadata(
    const std::string& source, const std::string& target,
    agentpb::ExportMetadataRequest export_request, agentpb::ImportOptions options,
    std::chrono::milliseconds deadline) {
  std::shared_ptr<agentpb::BrokerAgent::Stub> source_stub = StubFor(source);
  std::shared_ptr<agentpb::BrokerAgent::Stub> target_stub = StubFor(target);
  const std::chrono::system_clock::time_point until = std::chrono::system_clock::now() + deadline;
  return asio::async_initiate<decltype(asio::use_awaitable), void(absl::StatusOr<CopyResult>)>(
      [executor = executor_, source_stub, target_stub, source, target,
       export_request = std::move(export_request), options = std::move(options),
       until](auto handler) mutable {
        auto shared = std::make_shared<decltype(handler)>(std::move(handler));
        // Bounded by the deadline; owns everything it uses.
        std::thread([executor, shared, source_stub, target_stub, source, target, export_request,
                     options, until] {
          absl::StatusOr<CopyResult> result = CopyBlocking(*source_stub, source, *target_stub,
                                                           target, export_request, options, until);
          asio::post(executor, [shared, result = std::move(result)]() mutable {
            (*shared)(std::move(result));
          });
        }).detach();
      },
      asio::use_awaitable);
}

}  // namespace rmq::controller
