// LeaderElector without an API server: config validation, and that Run() neither blocks on a
// server that never answers nor outlives Stop(). Leading, losing and releasing a real Lease are
// covered by tests/integration/k8s/leader_election_test.cc.
#include "common/k8s/leader_elector.h"

#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/net/blocking.h"

namespace rmq::k8s {
namespace {

namespace asio = boost::asio;
using std::chrono::milliseconds;
using std::chrono::seconds;
using Clock = std::chrono::steady_clock;

LeaderElectionConfig Config(int lease_s, int renew_s, int retry_s, std::string identity = "me") {
  LeaderElectionConfig config;
  config.identity = std::move(identity);
  config.lease_duration = seconds(lease_s);
  config.renew_deadline = seconds(renew_s);
  config.retry_period = seconds(retry_s);
  return config;
}

TEST(LeaderElectorValidateTest, AcceptsClientGoDefaultsAndTightButValidTimings) {
  LeaderElectionConfig defaults;
  defaults.identity = "pod-0";
  EXPECT_TRUE(LeaderElector::Validate(defaults).ok());
  EXPECT_TRUE(LeaderElector::Validate(Config(3, 2, 1)).ok());  // 2 > 1.2
}

TEST(LeaderElectorValidateTest, RejectsBadConfigs) {
  struct Case {
    LeaderElectionConfig config;
    const char* mentions;
  };
  const std::vector<Case> cases = {
      {Config(15, 10, 2, ""), "identity"},
      {Config(15, 10, 0), "retry period"},
      {Config(15, 10, -1), "retry period"},
      {Config(15, 12, 10), "1.2 * retry period"},  // 12 == 1.2 * 10: not greater
      {Config(15, 2, 2), "1.2 * retry period"},
      {Config(10, 10, 2), "lease duration"},
      {Config(5, 10, 2), "lease duration"},
  };
  for (const Case& c : cases) {
    absl::Status status = LeaderElector::Validate(c.config);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument)
        << c.config.lease_duration.count() << "/" << c.config.renew_deadline.count() << "/"
        << c.config.retry_period.count() << " '" << c.config.identity << "'";
    EXPECT_NE(status.message().find(c.mentions), absl::string_view::npos) << status;
  }
}

// An elector with 3/2/1 s timings on a plain-HTTP "API server" at `port`, on one io_context.
class LeaderElectorIoTest : public ::testing::Test {
 protected:
  void StartElector(uint16_t port) {
    RestConfig config;
    config.server = absl::StrCat("http://127.0.0.1:", port);
    config.source = "test";
    TransportOptions options;
    options.connect_timeout = seconds(30);  // far beyond a step: only the elector's deadline
    options.request_timeout = seconds(30);  // can end a step in time
    auto transport = Transport::Create(io_.get_executor(), config, options);
    ASSERT_TRUE(transport.ok()) << transport.status();
    transport_ = *std::move(transport);
    client_ = std::make_unique<Client>(*transport_);
    elector_ = std::make_unique<LeaderElector>(
        *client_, "ns", "lease", Config(3, 2, 1),
        LeaderElector::Callbacks{.started_leading = [this] { ++callbacks_; },
                                 .stopped_leading = [this] { ++callbacks_; }});
    asio::co_spawn(
        io_,
        [this]() -> asio::awaitable<void> {
          co_await elector_->Run();
          run_ended_at_ = Clock::now();
        },
        net::DieOnException);
  }

  // Stops the elector at `stop_after` from now; how long Run() took to return after that.
  std::optional<milliseconds> StopAfter(milliseconds stop_after) {
    io_.run_for(stop_after);
    EXPECT_FALSE(run_ended_at_.has_value());
    const Clock::time_point stop_at = Clock::now();
    elector_->Stop();
    while (!run_ended_at_.has_value() && Clock::now() < stop_at + seconds(5)) {
      io_.run_for(milliseconds(5));
    }
    if (!run_ended_at_.has_value()) return std::nullopt;
    return std::chrono::duration_cast<milliseconds>(*run_ended_at_ - stop_at);
  }

  void TearDown() override {
    if (transport_) transport_->Shutdown();
    io_.run_for(milliseconds(200));
  }

  asio::io_context io_;
  std::unique_ptr<Transport> transport_;
  std::unique_ptr<Client> client_;
  std::unique_ptr<LeaderElector> elector_;
  int callbacks_ = 0;
  std::optional<Clock::time_point> run_ended_at_;
};

TEST_F(LeaderElectorIoTest, StepsDoNotWaitForAServerThatNeverAnswersAndStopEndsTheStep) {
  // Accepts connections and never reads or answers.
  asio::ip::tcp::acceptor acceptor(io_, {asio::ip::make_address("127.0.0.1"), 0});
  std::vector<std::shared_ptr<asio::ip::tcp::socket>> held;
  asio::co_spawn(
      io_,
      [&]() -> asio::awaitable<void> {
        while (true) {
          auto socket = std::make_shared<asio::ip::tcp::socket>(io_);
          boost::system::error_code ec;
          co_await acceptor.async_accept(*socket, asio::redirect_error(asio::use_awaitable, ec));
          if (ec) co_return;
          held.push_back(socket);
        }
      },
      asio::detached);
  StartElector(acceptor.local_endpoint().port());

  // Steps at 0 s and 2 s (1 s deadline, then a 1 s sleep): Stop() at 2.5 s lands in the second.
  std::optional<milliseconds> ended = StopAfter(milliseconds(2500));
  ASSERT_TRUE(ended.has_value());
  EXPECT_LE(ended->count(), 1300);  // the step's deadline, not the transport's 30 s
  EXPECT_GE(held.size(), 2u);       // the first hanging request did not hold up the next step
  EXPECT_EQ(callbacks_, 0);
  EXPECT_FALSE(elector_->Leading());

  // The abandoned requests end when their connections do.
  boost::system::error_code ignored;
  acceptor.close(ignored);
  for (auto& socket : held) socket->close(ignored);
}

TEST_F(LeaderElectorIoTest, StopWhileSleepingEndsRunAtOnce) {
  uint16_t port = 0;
  {
    asio::ip::tcp::acceptor closed(io_, {asio::ip::make_address("127.0.0.1"), 0});
    port = closed.local_endpoint().port();
  }  // nothing listens there now: every step fails at once
  StartElector(port);
  std::optional<milliseconds> ended = StopAfter(milliseconds(500));
  ASSERT_TRUE(ended.has_value());
  EXPECT_LE(ended->count(), 100);
  EXPECT_EQ(callbacks_, 0);
}

TEST_F(LeaderElectorIoTest, RunAfterStopReturnsAtOnce) {
  StartElector(1);  // never reached
  elector_->Stop();
  io_.run_for(milliseconds(100));
  EXPECT_TRUE(run_ended_at_.has_value());
}

}  // namespace
}  // namespace rmq::k8s
