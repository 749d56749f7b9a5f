// Leader election on a Lease against a real kube-apiserver (scripts/local-control-plane.sh), with
// client-go's default timings (lease 15 s, renew deadline 10 s, retry 2 s).
//
// 1. Processes (lease_contender): of two candidates exactly one leads; after SIGKILL of the leader
//    the other takes over within lease_duration + 2 * retry_period; SIGTERM makes a leader release
//    the Lease (holder "", 1 s) and exit 0, and a candidate started afterwards leads at once.
// 2. In process, through a TCP proxy (tests/support/tcp_proxy.h) between the elector and the API
//    server: a leader whose connections hang (TcpProxy::Hang(): bytes swallowed) or are cut
//    (TcpProxy::Cut(): closed, reconnects refused) stops leading within renew_deadline +
//    retry_period, Stop() ends Run() promptly while requests hang, and once the connection heals
//    (Restore()) it leads again (callbacks exactly once per transition).
//
// The control plane is tests/support/local_control_plane.h's; it needs the binaries
// (scripts/k8s-bins.sh, cached; scripts/test.sh builds them).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/k8s/api.h"
#include "common/k8s/client.h"
#include "common/k8s/leader_elector.h"
#include "common/k8s/rest_config.h"
#include "common/k8s/transport.h"
#include "common/net/asio.h"
#include "common/net/blocking.h"
#include "tests/support/child_process.h"
#include "tests/support/local_control_plane.h"
#include "tests/support/tcp_proxy.h"

namespace rmq::k8s {
namespace {

namespace asio = boost::asio;
namespace fs = std::filesystem;
using rmq::testing::ChildProcess;
using rmq::testing::LocalControlPlane;
using rmq::testing::TcpProxy;
using std::chrono::milliseconds;
using std::chrono::seconds;
using Clock = std::chrono::steady_clock;

constexpr const char* kNamespace = "default";
// LeaderElectionConfig's defaults (client-go's), which the contenders and electors here use.
constexpr seconds kLeaseDuration{15};
constexpr seconds kRenewDeadline{10};
constexpr seconds kRetryPeriod{2};

template <typename F>
bool Eventually(F condition, milliseconds timeout, milliseconds interval = milliseconds(20)) {
  const auto deadline = Clock::now() + timeout;
  while (true) {
    if (condition()) return true;
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(interval);
  }
}

int64_t UnixMillis() {
  return std::chrono::duration_cast<milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

double SecondsBetween(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double>(to - from).count();
}

// ---- an elector in this process, on its own io thread ----

class InProcessElector {
 public:
  // `config` talks to the server; the Transport keeps its default (long) timeouts, so only the
  // elector's own deadlines bound its steps.
  InProcessElector(RestConfig config, const std::string& lease, const std::string& identity) {
    auto transport = Transport::Create(io_.get_executor(), std::move(config), {});
    EXPECT_TRUE(transport.ok()) << transport.status();
    transport_ = *std::move(transport);
    client_ = std::make_unique<Client>(*transport_);
    LeaderElectionConfig election;
    election.identity = identity;
    elector_ = std::make_unique<LeaderElector>(
        *client_, kNamespace, lease, election,
        LeaderElector::Callbacks{.started_leading = [this] { Record(true); },
                                 .stopped_leading = [this] { Record(false); }});
    asio::co_spawn(
        io_,
        [this]() -> asio::awaitable<void> {
          co_await elector_->Run();
          run_ended_at_.store(Clock::now().time_since_epoch().count());
          transport_->Shutdown();
        },
        net::DieOnException);
    thread_ = std::thread([this] { io_.run(); });
  }
  // Joins the io thread: requests still hanging must be ended (by the proxy) for that.
  ~InProcessElector() {
    Stop();
    thread_.join();
  }
  InProcessElector(const InProcessElector&) = delete;
  InProcessElector& operator=(const InProcessElector&) = delete;

  void Stop() {
    asio::post(io_, [this] { elector_->Stop(); });
  }
  std::optional<Clock::time_point> RunEndedAt() const {
    const auto ticks = run_ended_at_.load();
    if (ticks == 0) return std::nullopt;
    return Clock::time_point(Clock::duration(ticks));
  }

  struct Event {
    bool started = false;
    Clock::time_point at{};
  };
  std::vector<Event> Events() {
    std::lock_guard<std::mutex> lock(mu_);
    return events_;
  }
  // The time of the `n`th (0-based) event, once it happened.
  std::optional<Clock::time_point> EventAt(size_t n) {
    std::vector<Event> events = Events();
    if (events.size() <= n) return std::nullopt;
    return events[n].at;
  }

 private:
  void Record(bool started) {
    std::lock_guard<std::mutex> lock(mu_);
    events_.push_back({.started = started, .at = Clock::now()});
  }

  asio::io_context io_;
  std::unique_ptr<Transport> transport_;
  std::unique_ptr<Client> client_;
  std::unique_ptr<LeaderElector> elector_;
  std::atomic<Clock::rep> run_ended_at_{0};
  std::mutex mu_;
  std::vector<Event> events_;
  std::thread thread_;
};

// ---- lease_contender processes ----

struct ContenderEvent {
  std::string kind;  // "LEADING" / "STOPPED"
  int64_t unix_ms = 0;
};

std::vector<ContenderEvent> ContenderEvents(const ChildProcess& child) {
  std::vector<ContenderEvent> out;
  for (absl::string_view line : absl::StrSplit(child.Log(), '\n', absl::SkipEmpty())) {
    std::vector<std::string> parts = absl::StrSplit(line, ' ');
    int64_t ms = 0;
    if (parts.size() == 3 && (parts[0] == "LEADING" || parts[0] == "STOPPED") &&
        absl::SimpleAtoi(parts[2], &ms)) {
      out.push_back({.kind = parts[0], .unix_ms = ms});
    }
  }
  return out;
}

std::optional<int64_t> LeadingAt(const ChildProcess& child) {
  for (const ContenderEvent& e : ContenderEvents(child)) {
    if (e.kind == "LEADING") return e.unix_ms;
  }
  return std::nullopt;
}

// ---- the suite ----

class LeaderElectionTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    char pattern[] = "/tmp/rmq-leader-election.XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    work_dir_ = new std::string(pattern);
    const auto t0 = Clock::now();
    // The plane's directory inside ours (a given directory is never removed by the plane): its
    // logs are kept with the contenders' when a test fails.
    testing::LocalControlPlaneOptions options;
    options.dir = *work_dir_ + "/control-plane";
    auto plane = LocalControlPlane::Start(std::move(options));
    keep_work_dir_ = !plane.ok();
    ASSERT_TRUE(plane.ok()) << plane.status();
    plane_ = plane->release();
    std::printf("control plane up in %.1f s; logs in %s\n", SecondsBetween(t0, Clock::now()),
                work_dir_->c_str());
  }
  static void TearDownTestSuite() {
    delete plane_;
    plane_ = nullptr;
    if (work_dir_ != nullptr && !keep_work_dir_) fs::remove_all(*work_dir_);
    delete work_dir_;
    work_dir_ = nullptr;
  }
  void SetUp() override {
    ASSERT_NE(plane_, nullptr) << "no control plane";
    auto config = LoadKubeconfig(plane_->kubeconfig_path());
    ASSERT_TRUE(config.ok()) << config.status();
    rest_ = *std::move(config);
  }
  void TearDown() override {
    if (HasFailure()) keep_work_dir_ = true;  // the contenders' and the plane's logs
  }

  std::unique_ptr<ChildProcess> StartContender(const std::string& lease,
                                               const std::string& identity) {
    auto child =
        ChildProcess::Start({RMQ_LEASE_CONTENDER, "--kubeconfig", plane_->kubeconfig_path(),
                             "--namespace", kNamespace, "--lease", lease, "--identity", identity},
                            {}, absl::StrCat(*work_dir_, "/", identity, ".log"));
    EXPECT_TRUE(child.ok()) << child.status();
    return child.ok() ? *std::move(child) : nullptr;
  }

  // The Lease as the API server has it.
  absl::StatusOr<Json> GetLease(const std::string& lease) {
    asio::io_context io;
    auto transport = Transport::Create(io.get_executor(), rest_, {});
    if (!transport.ok()) return transport.status();
    Client client(**transport);
    absl::StatusOr<Json> got = net::BlockOn(io, client.Get(Leases(), kNamespace, lease));
    (*transport)->Shutdown();
    return got;
  }

  static inline LocalControlPlane* plane_ = nullptr;
  static inline std::string* work_dir_ = nullptr;
  static inline bool keep_work_dir_ = false;
  RestConfig rest_;
};

TEST_F(LeaderElectionTest, OneOfTwoProcessesLeadsTheOtherTakesOverAndReleaseHandsOver) {
  const std::string lease = "contenders";
  const milliseconds retry = kRetryPeriod;
  ASSERT_EQ(LeaderElectionConfig{}.lease_duration, kLeaseDuration);
  ASSERT_EQ(LeaderElectionConfig{}.renew_deadline, kRenewDeadline);
  ASSERT_EQ(LeaderElectionConfig{}.retry_period, kRetryPeriod);
  auto a = StartContender(lease, "contender-a");
  auto b = StartContender(lease, "contender-b");
  ASSERT_TRUE(a && b);

  // Exactly one leads, and the other keeps waiting.
  ASSERT_TRUE(Eventually([&] { return LeadingAt(*a) || LeadingAt(*b); }, seconds(5)))
      << a->Log() << b->Log();
  std::this_thread::sleep_for(2 * retry);
  ASSERT_NE(LeadingAt(*a).has_value(), LeadingAt(*b).has_value()) << a->Log() << b->Log();
  std::unique_ptr<ChildProcess>& leader = LeadingAt(*a) ? a : b;
  std::unique_ptr<ChildProcess>& follower = LeadingAt(*a) ? b : a;
  const std::string follower_id = follower.get() == a.get() ? "contender-a" : "contender-b";

  // The leader dies without releasing: the follower waits for the lease to expire.
  const int64_t killed_at = UnixMillis();
  leader->Signal(SIGKILL);
  ASSERT_EQ(leader->WaitExit(seconds(5)), 128 + SIGKILL);
  // The follower judges expiry from when it saw the last renewal (up to a retry period after
  // it), then acts at its next step (up to another retry period): lease_duration + 2 retry
  // periods, plus 1 s for requests and scheduling on a loaded 2-core machine.
  const milliseconds takeover_bound = kLeaseDuration + 2 * retry + seconds(1);
  ASSERT_TRUE(
      Eventually([&] { return LeadingAt(*follower).has_value(); }, takeover_bound + seconds(3)))
      << follower->Log();
  const int64_t takeover_ms = *LeadingAt(*follower) - killed_at;
  std::printf("takeover after SIGKILL of the leader: %.3f s (bound %lld s)\n",
              static_cast<double>(takeover_ms) / 1000.0,
              static_cast<long long>(takeover_bound.count() / 1000));
  EXPECT_LE(takeover_ms, takeover_bound.count());
  // Not before the lease could have expired: the follower saw it renewed about a retry period
  // before the kill at the earliest.
  EXPECT_GE(takeover_ms, (kLeaseDuration - 2 * retry).count());
  absl::StatusOr<Json> held = GetLease(lease);
  ASSERT_TRUE(held.ok()) << held.status();
  EXPECT_EQ((*held)["spec"]["holderIdentity"], follower_id);
  EXPECT_EQ((*held)["spec"]["leaseTransitions"], 1);

  // SIGTERM: the new leader releases the Lease and exits 0.
  follower->Signal(SIGTERM);
  ASSERT_EQ(follower->WaitExit(seconds(10)), 0) << follower->Log();
  std::vector<ContenderEvent> events = ContenderEvents(*follower);
  ASSERT_EQ(events.size(), 2u) << follower->Log();
  EXPECT_EQ(events[1].kind, "STOPPED");
  absl::StatusOr<Json> released = GetLease(lease);
  ASSERT_TRUE(released.ok()) << released.status();
  EXPECT_EQ((*released)["spec"]["holderIdentity"], "");
  EXPECT_EQ((*released)["spec"]["leaseDurationSeconds"], 1);

  // A candidate started now leads at its first or second step, not after 15 s.
  const int64_t started_at = UnixMillis();
  auto c = StartContender(lease, "contender-c");
  ASSERT_TRUE(c);
  ASSERT_TRUE(Eventually([&] { return LeadingAt(*c).has_value(); }, 2 * retry)) << c->Log();
  std::printf("a candidate started after the release leads after %.3f s\n",
              static_cast<double>(*LeadingAt(*c) - started_at) / 1000.0);
  c->Signal(SIGTERM);
  EXPECT_EQ(c->WaitExit(seconds(10)), 0) << c->Log();
}

// How the proxy breaks the elector's connections.
enum class Break {
  kHang,  // TcpProxy::Hang(): connections stay open, every byte is swallowed
  kCut,   // TcpProxy::Cut(): connections closed, reconnects refused
};

// The elector through a proxy whose connections stop working as `how` says: the leader stops
// leading within renew_deadline + retry_period of the cut, however the requests fail, and leads
// again once the connection heals.
void LeaderLosesAndRegainsTheLease(const RestConfig& rest, const std::string& lease, Break how) {
  absl::StatusOr<ServerUrl> url = ParseServerUrl(rest.server);
  ASSERT_TRUE(url.ok()) << url.status();
  absl::StatusOr<std::unique_ptr<TcpProxy>> started =
      TcpProxy::Start(url->host, std::stoi(url->port));
  ASSERT_TRUE(started.ok()) << started.status();
  TcpProxy& proxy = **started;
  RestConfig via_proxy = rest;
  via_proxy.server = absl::StrCat("https://127.0.0.1:", proxy.port());
  InProcessElector elector(via_proxy, lease, "in-process");
  // Before the elector's thread is joined, even after a failed assertion: end hanging requests.
  absl::Cleanup cut_proxy = [&proxy] { proxy.Cut(); };

  ASSERT_TRUE(Eventually([&] { return elector.EventAt(0).has_value(); }, seconds(5)));
  ASSERT_TRUE(elector.Events()[0].started);
  std::this_thread::sleep_for(seconds(3));  // a renewal or two over the pooled connection

  const auto cut_at = Clock::now();
  if (how == Break::kHang) {
    proxy.Hang();
  } else {
    proxy.Cut();
  }
  const seconds bound = kRenewDeadline + kRetryPeriod;
  ASSERT_TRUE(Eventually([&] { return elector.EventAt(1).has_value(); }, bound + seconds(3)));
  const double stopped_after = SecondsBetween(cut_at, *elector.EventAt(1));
  std::printf("leader stopped leading %.3f s after its connection was cut (bound %lld s)\n",
              stopped_after, static_cast<long long>(bound.count()));
  EXPECT_FALSE(elector.Events()[1].started);
  EXPECT_LE(stopped_after, static_cast<double>(bound.count()));
  // Not early: the last renewal was at most a retry period (plus a step) before the cut.
  EXPECT_GE(stopped_after, static_cast<double>((kRenewDeadline - seconds(3)).count()));

  // Healed: the lease is still ours, so the next step renews it and we lead again.
  proxy.Restore();
  const auto healed_at = Clock::now();
  ASSERT_TRUE(
      Eventually([&] { return elector.EventAt(2).has_value(); }, 2 * kRetryPeriod + seconds(1)));
  EXPECT_TRUE(elector.Events()[2].started);
  std::printf("leading again %.3f s after the connection healed\n",
              SecondsBetween(healed_at, *elector.EventAt(2)));

  // Stop() while requests hang: Run() ends within a retry period, with stopped_leading.
  proxy.Hang();
  std::this_thread::sleep_for(milliseconds(2500));  // a step is likely in flight now
  const auto stop_at = Clock::now();
  elector.Stop();
  ASSERT_TRUE(
      Eventually([&] { return elector.RunEndedAt().has_value(); }, kRetryPeriod + seconds(1)));
  std::printf("Run() returned %.3f s after Stop() while the server hung\n",
              SecondsBetween(stop_at, *elector.RunEndedAt()));
  std::vector<InProcessElector::Event> events = elector.Events();
  ASSERT_EQ(events.size(), 4u);
  EXPECT_FALSE(events[3].started);
}

TEST_F(LeaderElectionTest, LeaderWhoseRequestsHangStopsLeadingInTime) {
  LeaderLosesAndRegainsTheLease(rest_, "hang", Break::kHang);
}

TEST_F(LeaderElectionTest, LeaderWhoseConnectionsAreResetStopsLeadingInTime) {
  LeaderLosesAndRegainsTheLease(rest_, "reset", Break::kCut);
}

}  // namespace
}  // namespace rmq::k8s
