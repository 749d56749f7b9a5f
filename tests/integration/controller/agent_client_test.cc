// AgentClient (the operator's gRPC client of the agents) against a real broker behind the agent's
// service: state read, a name-server update with registration, errors with the agent's address.
#include "controller/agent_link/agent_client.h"

#include <memory>

#include "common/net/blocking.h"
#include "gtest/gtest.h"
#include "tests/support/agent_env.h"

namespace rmq::controller {
namespace {

namespace asio = boost::asio;

class AgentClientTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    absl::StatusOr<std::unique_ptr<rmq::testing::AgentTestEnv>> env =
        rmq::testing::AgentTestEnv::Start({.cluster_name = "AgentClientCluster"});
    if (!env.ok()) {
      error_ = new std::string(env.status().ToString());
      return;
    }
    env_ = env->release();
  }
  static void TearDownTestSuite() {
    delete env_;
    env_ = nullptr;
  }
  void SetUp() override { ASSERT_EQ(error_, nullptr) << *error_; }

  asio::io_context io_;
  static rmq::testing::AgentTestEnv* env_;
  static std::string* error_;
};

rmq::testing::AgentTestEnv* AgentClientTest::env_ = nullptr;
std::string* AgentClientTest::error_ = nullptr;

TEST_F(AgentClientTest, ReadsTheBrokerStateAndUpdatesItsNameServers) {
  AgentClient agents(io_.get_executor(), {});
  agentpb::GetBrokerStateRequest request;
  request.set_check_registrations(true);
  absl::StatusOr<agentpb::BrokerState> state =
      net::BlockOn(io_, agents.GetBrokerState(env_->address(), request));
  ASSERT_TRUE(state.ok()) << state.status();
  EXPECT_EQ(state->identity().cluster(), "AgentClientCluster");
  ASSERT_EQ(state->name_servers_size(), 1);
  const std::string name_server = state->name_servers(0);

  // The same list again, waiting for registration: nothing changes, the broker is registered.
  agentpb::UpdateNameServersRequest update;
  update.add_name_servers(name_server);
  update.set_wait_for_registration(true);
  // Right after the broker's start (its runtime stats not sampled yet: the admin client asks
  // again, see AdminClient::GetBrokerRuntimeInfo).
  absl::StatusOr<agentpb::UpdateNameServersResponse> updated = net::BlockOn(
      io_, agents.UpdateNameServers(env_->address(), update, std::chrono::seconds(30)));
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_TRUE(updated->all_registered());
  EXPECT_FALSE(updated->config_changed());
}

TEST_F(AgentClientTest, ErrorsCarryTheAgentsCodeMessageAndAddress) {
  AgentClient agents(io_.get_executor(), {});
  agentpb::UpdateNameServersRequest empty;  // no name servers: refused by the agent
  absl::StatusOr<agentpb::UpdateNameServersResponse> r =
      net::BlockOn(io_, agents.UpdateNameServers(env_->address(), empty, std::chrono::seconds(10)));
  ASSERT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << r.status();
  EXPECT_NE(r.status().message().find("agent " + env_->address()), std::string::npos) << r.status();

  // Nobody listens: the deadline bounds the call.
  AgentClient short_deadline(
      io_.get_executor(),
      {.deadline = std::chrono::milliseconds(500), .credentials = nullptr, .tls_server_name = ""});
  const auto t0 = std::chrono::steady_clock::now();
  absl::StatusOr<agentpb::BrokerState> s =
      net::BlockOn(io_, short_deadline.GetBrokerState("127.0.0.1:1", {}));
  EXPECT_FALSE(s.ok());
  EXPECT_TRUE(s.status().code() == absl::StatusCode::kUnavailable ||
              s.status().code() == absl::StatusCode::kDeadlineExceeded)
      << s.status();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));
}

TEST_F(AgentClientTest, CopiesMetadataBetweenAgentsOnlyIntoTheExpectedCluster) {
  AgentClient agents(io_.get_executor(), {});
  agentpb::ImportOptions options;
  options.set_existing(agentpb::EXISTING_POLICY_KEEP);

  // Into another cluster: the target's agent refuses before changing anything.
  options.set_expected_cluster("SomeOtherCluster");
  absl::StatusOr<AgentClient::CopyResult> refused = net::BlockOn(
      io_,
      agents.CopyMetadata(env_->address(), env_->address(), {}, options, std::chrono::seconds(30)));
  ASSERT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition) << refused.status();
  EXPECT_NE(refused.status().message().find("agent " + env_->address()), std::string::npos);

  // A broker into itself: every exported item is there already (unchanged), nothing created.
  options.set_expected_cluster("AgentClientCluster");
  agentpb::ExportMetadataRequest export_request;
  export_request.set_include_system(true);
  export_request.set_max_items_per_chunk(2);  // several chunks
  absl::StatusOr<AgentClient::CopyResult> copied =
      net::BlockOn(io_, agents.CopyMetadata(env_->address(), env_->address(), export_request,
                                            options, std::chrono::seconds(30)));
  ASSERT_TRUE(copied.ok()) << copied.status();
  EXPECT_GT(copied->exported.topics(), 0u);
  EXPECT_GT(copied->chunks, 1);
  EXPECT_EQ(copied->exported.source().cluster(), "AgentClientCluster");
  EXPECT_EQ(copied->imported.topics().created(), 0u);
  EXPECT_EQ(copied->imported.topics().unchanged() + copied->imported.topics().failed(),
            copied->exported.topics());
  EXPECT_EQ(copied->imported.groups().created(), 0u);

  // The source does not answer: the error names it.
  absl::StatusOr<AgentClient::CopyResult> no_source = net::BlockOn(
      io_,
      agents.CopyMetadata("127.0.0.1:1", env_->address(), {}, options, std::chrono::seconds(3)));
  ASSERT_FALSE(no_source.ok());
  EXPECT_NE(no_source.status().message().find("127.0.0.1:1"), std::string::npos)
      << no_source.status();
}

}  // namespace
}  // namespace rmq::controller
