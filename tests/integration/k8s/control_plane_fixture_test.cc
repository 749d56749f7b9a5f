// Integration test of the C++ control-plane fixture (tests/support/local_control_plane.h) and the
// TCP proxy (tests/support/tcp_proxy.h) against a real etcd + kube-apiserver.
//
// One plane for the suite, started with --watch-cache=false so that watches are served from
// etcd (the compaction case needs it: with the watch cache on, the apiserver keeps serving old
// resourceVersions from its own history after etcd compacted them).
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "tests/support/child_process.h"
#include "tests/support/http_client.h"
#include "tests/support/local_control_plane.h"
#include "tests/support/tcp_proxy.h"

namespace rmq::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

class ControlPlaneFixtureTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    LocalControlPlaneOptions options;
    options.apiserver_args = {"--watch-cache=false"};
    absl::StatusOr<std::unique_ptr<LocalControlPlane>> started =
        LocalControlPlane::Start(std::move(options));
    ASSERT_TRUE(started.ok()) << started.status();
    plane_ = std::move(*started).release();
  }
  static void TearDownTestSuite() {
    delete plane_;
    plane_ = nullptr;
  }
  void SetUp() override { ASSERT_NE(plane_, nullptr) << "the control plane did not start"; }

  static LocalControlPlane& plane() { return *plane_; }

  // kubectl's stdout; fails the test on an error.
  static std::string Kubectl(const std::vector<std::string>& args) {
    absl::StatusOr<std::string> out = plane().Kubectl(args);
    EXPECT_TRUE(out.ok()) << out.status();
    return out.ok() ? *out : "";
  }

  static std::string ResourceVersion(const std::string& configmap) {
    return Kubectl({"get", "configmap", configmap, "-o", "jsonpath={.metadata.resourceVersion}"});
  }

  static LocalControlPlane* plane_;
};

LocalControlPlane* ControlPlaneFixtureTest::plane_ = nullptr;

TEST_F(ControlPlaneFixtureTest, StartsAndKubectlTalksToIt) {
  EXPECT_TRUE(absl::StartsWith(plane().server(), "https://127.0.0.1:")) << plane().server();
  EXPECT_EQ(plane().server(), absl::StrCat("https://127.0.0.1:", plane().api_port()));
  EXPECT_TRUE(absl::StartsWith(plane().etcd_url(), "http://127.0.0.1:")) << plane().etcd_url();
  EXPECT_TRUE(std::filesystem::exists(plane().kubeconfig_path()));
  EXPECT_TRUE(std::filesystem::exists(plane().bin_dir() + "/kubectl"));
  EXPECT_TRUE(plane().controller_manager_url().empty());
  EXPECT_TRUE(plane().running());

  nlohmann::json version = nlohmann::json::parse(Kubectl({"version", "-o", "json"}), nullptr,
                                                 /*allow_exceptions=*/false);
  ASSERT_FALSE(version.is_discarded());
  EXPECT_TRUE(absl::StartsWith(version["serverVersion"].value("gitVersion", ""), "v1."))
      << version.dump();
  EXPECT_EQ(Kubectl({"get", "--raw", "/readyz"}), "ok");
}

TEST_F(ControlPlaneFixtureTest, KubectlFailureCarriesStderr) {
  absl::StatusOr<std::string> out = plane().Kubectl({"get", "configmap", "no-such-configmap"});
  ASSERT_FALSE(out.ok());
  EXPECT_TRUE(absl::IsNotFound(out.status())) << out.status();
  EXPECT_TRUE(absl::StrContains(out.status().message(), "\"no-such-configmap\" not found"))
      << out.status();

  out = plane().Kubectl({"no-such-command"});
  ASSERT_FALSE(out.ok());
  EXPECT_TRUE(absl::StrContains(out.status().message(), "unknown command \"no-such-command\""))
      << out.status();
}

TEST_F(ControlPlaneFixtureTest, RestartKeepsServerAndData) {
  Kubectl({"create", "configmap", "survivor", "--from-literal=kept=yes"});
  const std::string rv = ResourceVersion("survivor");
  const std::string server = plane().server();
  const std::string etcd = plane().etcd_url();
  // A client's watch stays open over the stop: the apiserver must end it cleanly (exit status 0)
  // instead of waiting for it until it is killed.
  absl::StatusOr<std::unique_ptr<ChildProcess>> watch = ChildProcess::Start(
      {plane().bin_dir() + "/kubectl", "--kubeconfig", plane().kubeconfig_path(), "get", "--raw",
       "/api/v1/namespaces/default/configmaps?watch=1&timeoutSeconds=120"},
      {}, plane().dir() + "/logs/watch-over-restart.log");
  ASSERT_TRUE(watch.ok()) << watch.status();
  auto deadline = std::chrono::steady_clock::now() + seconds(30);
  while (!absl::StrContains((*watch)->Log(), "\"survivor\"") &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(50));  // polling another process's output
  }
  ASSERT_TRUE(absl::StrContains((*watch)->Log(), "\"survivor\"")) << (*watch)->Log();

  auto t0 = std::chrono::steady_clock::now();
  absl::Status restarted = plane().Restart();
  ASSERT_TRUE(restarted.ok()) << restarted;
  std::cout
      << "restart with a watch open took "
      << std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - t0).count()
      << " ms\n";
  EXPECT_EQ((*watch)->WaitExit(seconds(1)), std::optional<int>(0)) << (*watch)->Log();

  EXPECT_EQ(plane().server(), server);
  EXPECT_EQ(plane().etcd_url(), etcd);
  EXPECT_EQ(Kubectl({"get", "configmap", "survivor", "-o", "jsonpath={.data.kept}"}), "yes");
  EXPECT_EQ(ResourceVersion("survivor"), rv);
}

TEST_F(ControlPlaneFixtureTest, StopThenRestartAndKubectlFailsInBetween) {
  const std::string server = plane().server();
  absl::Status stopped = plane().Stop();
  ASSERT_TRUE(stopped.ok()) << stopped;
  EXPECT_FALSE(plane().running());
  EXPECT_TRUE(plane().Stop().ok());  // idempotent
  absl::StatusOr<std::string> out = plane().Kubectl({"get", "ns", "--request-timeout=5s"});
  ASSERT_FALSE(out.ok());
  EXPECT_TRUE(absl::StrContains(out.status().message(), "was refused")) << out.status();

  absl::Status restarted = plane().Restart();
  ASSERT_TRUE(restarted.ok()) << restarted;
  EXPECT_EQ(plane().server(), server);
  EXPECT_EQ(Kubectl({"get", "ns", "default", "-o", "name"}), "namespace/default\n");
}

TEST_F(ControlPlaneFixtureTest, EtcdRevisionIncreasesAfterAWrite) {
  absl::StatusOr<int64_t> before = plane().EtcdRevision();
  ASSERT_TRUE(before.ok()) << before.status();
  Kubectl({"create", "configmap", "revision-probe"});
  absl::StatusOr<int64_t> after = plane().EtcdRevision();
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_GT(*after, *before);
  // A resourceVersion is the etcd revision of the object's last write.
  int64_t rv = 0;
  ASSERT_TRUE(absl::SimpleAtoi(ResourceVersion("revision-probe"), &rv));
  EXPECT_GT(rv, *before);
  EXPECT_LE(rv, *after);
}

// After compaction, a watch from a compacted resourceVersion gets HTTP 200 with a single ERROR
// event carrying a Status: reason Expired, code 410 ("too old"); a list with an exact old
// resourceVersion gets HTTP 410.
TEST_F(ControlPlaneFixtureTest, CompactionExpiresOldResourceVersions) {
  Kubectl({"create", "configmap", "compacted"});
  const std::string old_rv = ResourceVersion("compacted");
  Kubectl({"create", "configmap", "after-compacted-1"});
  Kubectl({"create", "configmap", "after-compacted-2"});

  // Before compaction the watch replays the later writes.
  const std::string watch = absl::StrCat("/api/v1/namespaces/default/configmaps?watch=1&",
                                         "resourceVersion=", old_rv, "&timeoutSeconds=1");
  std::string events = Kubectl({"get", "--raw", watch});
  EXPECT_TRUE(absl::StrContains(events, "\"name\":\"after-compacted-1\"")) << events;

  absl::StatusOr<int64_t> revision = plane().EtcdRevision();
  ASSERT_TRUE(revision.ok()) << revision.status();
  absl::Status compacted = plane().CompactEtcd(*revision);
  ASSERT_TRUE(compacted.ok()) << compacted;
  // Compacting the same revision twice is etcd's error, passed on.
  absl::Status again = plane().CompactEtcd(*revision);
  EXPECT_FALSE(again.ok());
  EXPECT_TRUE(absl::StrContains(again.message(), "required revision has been compacted")) << again;

  events = Kubectl({"get", "--raw", watch});
  nlohmann::json event = nlohmann::json::parse(events, nullptr, /*allow_exceptions=*/false);
  ASSERT_FALSE(event.is_discarded()) << "expected one event, got: " << events;
  EXPECT_EQ(event.value("type", ""), "ERROR") << events;
  const nlohmann::json& status = event["object"];
  EXPECT_EQ(status.value("kind", ""), "Status") << events;
  EXPECT_EQ(status.value("code", 0), 410) << events;
  EXPECT_EQ(status.value("reason", ""), "Expired") << events;
  EXPECT_EQ(status.value("message", ""), "The resourceVersion for the provided watch is too old.")
      << events;

  absl::StatusOr<std::string> list = plane().Kubectl(
      {"get", "--raw",
       absl::StrCat("/api/v1/namespaces/default/configmaps?resourceVersion=", old_rv,
                    "&resourceVersionMatch=Exact")});
  ASSERT_FALSE(list.ok());
  EXPECT_TRUE(absl::StrContains(list.status().message(), "(Expired)")) << list.status();
  EXPECT_TRUE(absl::StrContains(list.status().message(), "too old")) << list.status();
}

TEST_F(ControlPlaneFixtureTest, ProxyForwardsCutsAndRestores) {
  absl::StatusOr<std::unique_ptr<TcpProxy>> started =
      TcpProxy::Start("127.0.0.1", plane().api_port());
  ASSERT_TRUE(started.ok()) << started.status();
  TcpProxy& proxy = **started;
  const int port = proxy.port();
  const std::string via_proxy = absl::StrCat("--server=https://127.0.0.1:", port);

  // TLS passes through: the apiserver's certificate names 127.0.0.1, whatever the port.
  EXPECT_EQ(Kubectl({via_proxy, "get", "ns", "default", "-o", "name"}), "namespace/default\n");
  EXPECT_GE(proxy.accepted_connections(), 1);

  proxy.Cut();
  absl::StatusOr<std::string> out =
      plane().Kubectl({via_proxy, "--request-timeout=5s", "get", "ns", "default"});
  ASSERT_FALSE(out.ok());
  EXPECT_TRUE(absl::StrContains(out.status().message(), "was refused")) << out.status();
  proxy.Cut();  // idempotent

  absl::Status restored = proxy.TryRestore();
  ASSERT_TRUE(restored.ok()) << restored;
  EXPECT_EQ(proxy.port(), port);
  EXPECT_EQ(Kubectl({via_proxy, "get", "ns", "default", "-o", "name"}), "namespace/default\n");
  EXPECT_TRUE(proxy.TryRestore().ok());  // no-op while listening
}

// Cut() closes live connections: a kept-alive HTTP connection (etcd's plain HTTP gateway) sees
// the close, and the open count drops.
TEST_F(ControlPlaneFixtureTest, ProxyCutClosesLiveConnections) {
  std::string etcd_port = plane().etcd_url().substr(plane().etcd_url().rfind(':') + 1);
  int target = 0;
  ASSERT_TRUE(absl::SimpleAtoi(etcd_port, &target));
  absl::StatusOr<std::unique_ptr<TcpProxy>> started = TcpProxy::Start("127.0.0.1", target);
  ASSERT_TRUE(started.ok()) << started.status();
  TcpProxy& proxy = **started;

  absl::StatusOr<std::unique_ptr<HttpConnection>> c =
      HttpConnection::Connect("127.0.0.1", proxy.port(), seconds(10));
  ASSERT_TRUE(c.ok()) << c.status();
  absl::StatusOr<HttpResult> r = (*c)->Request("GET", "/version");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 200);
  EXPECT_TRUE(r->keep_alive);
  EXPECT_EQ(proxy.open_connections(), 1);

  proxy.Cut();
  EXPECT_TRUE((*c)->ClosedByPeer());
  EXPECT_EQ(proxy.open_connections(), 0);
  absl::StatusOr<std::unique_ptr<HttpConnection>> refused =
      HttpConnection::Connect("127.0.0.1", proxy.port(), seconds(5));
  ASSERT_FALSE(refused.ok());
  EXPECT_TRUE(absl::StrContains(refused.status().message(), "refused")) << refused.status();

  proxy.Restore();
  absl::StatusOr<HttpResult> again = HttpGet("127.0.0.1", proxy.port(), "/version");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->status, 200);
  EXPECT_EQ(proxy.accepted_connections(), 2);
}

// The use the proxy is for: a client's watch through it ends when the proxy cuts, while the
// apiserver itself keeps running.
TEST_F(ControlPlaneFixtureTest, ProxyCutEndsAWatch) {
  absl::StatusOr<std::unique_ptr<TcpProxy>> started =
      TcpProxy::Start("127.0.0.1", plane().api_port());
  ASSERT_TRUE(started.ok()) << started.status();
  TcpProxy& proxy = **started;
  const std::string log = plane().dir() + "/logs/watch-through-proxy.log";
  absl::StatusOr<std::unique_ptr<ChildProcess>> watch = ChildProcess::Start(
      {plane().bin_dir() + "/kubectl", "--kubeconfig", plane().kubeconfig_path(),
       absl::StrCat("--server=https://127.0.0.1:", proxy.port()), "get", "--raw",
       "/api/v1/namespaces/default/configmaps?watch=1&timeoutSeconds=120"},
      {}, log);
  ASSERT_TRUE(watch.ok()) << watch.status();

  // The watch is established once it has replayed the existing objects (ADDED events).
  auto deadline = std::chrono::steady_clock::now() + seconds(30);
  while (!absl::StrContains((*watch)->Log(), "\"ADDED\"") &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(50));  // polling another process's output
  }
  ASSERT_TRUE(absl::StrContains((*watch)->Log(), "\"ADDED\"")) << (*watch)->Log();
  EXPECT_EQ(proxy.open_connections(), 1);
  EXPECT_TRUE((*watch)->Running());

  auto cut_at = std::chrono::steady_clock::now();
  proxy.Cut();
  std::optional<int> exit_status = (*watch)->WaitExit(seconds(30));
  ASSERT_TRUE(exit_status.has_value()) << "the watch did not end after the cut";
  const std::string output = (*watch)->Log();
  std::cout
      << "watch ended "
      << std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - cut_at).count()
      << " ms after the cut, exit status " << *exit_status
      << ", last output: " << absl::StripAsciiWhitespace(output.substr(output.rfind('}') + 1))
      << "\n";
  EXPECT_NE(*exit_status, 0);
  // The apiserver itself is fine.
  EXPECT_EQ(Kubectl({"get", "--raw", "/readyz"}), "ok");
}

// Hang() keeps the connections open but answers nothing: a request on a kept-alive connection
// (etcd's plain HTTP gateway) and one on a connection accepted during the hang both time out
// rather than see a close. Restore() closes the held connections and forwards new ones.
TEST_F(ControlPlaneFixtureTest, ProxyHangHoldsConnectionsWithoutAnswerUntilRestore) {
  std::string etcd_port = plane().etcd_url().substr(plane().etcd_url().rfind(':') + 1);
  int target = 0;
  ASSERT_TRUE(absl::SimpleAtoi(etcd_port, &target));
  absl::StatusOr<std::unique_ptr<TcpProxy>> started = TcpProxy::Start("127.0.0.1", target);
  ASSERT_TRUE(started.ok()) << started.status();
  TcpProxy& proxy = **started;
  constexpr milliseconds kTimeout(1500);  // every read and write of these connections

  absl::StatusOr<std::unique_ptr<HttpConnection>> asked =
      HttpConnection::Connect("127.0.0.1", proxy.port(), kTimeout);
  ASSERT_TRUE(asked.ok()) << asked.status();
  absl::StatusOr<std::unique_ptr<HttpConnection>> idle =
      HttpConnection::Connect("127.0.0.1", proxy.port(), kTimeout);
  ASSERT_TRUE(idle.ok()) << idle.status();
  for (HttpConnection* c : {asked->get(), idle->get()}) {
    absl::StatusOr<HttpResult> r = c->Request("GET", "/version");
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->status, 200);
  }

  proxy.Hang();
  proxy.Hang();  // idempotent
  // A kept-alive connection: the request goes nowhere, no answer and no close.
  auto t0 = std::chrono::steady_clock::now();
  absl::StatusOr<HttpResult> r = (*asked)->Request("GET", "/version");
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(absl::StrContains(r.status().message(), "timeout")) << r.status();
  EXPECT_GE(std::chrono::steady_clock::now() - t0, kTimeout);
  // A new connection: the connect succeeds, the request times out the same way.
  absl::StatusOr<std::unique_ptr<HttpConnection>> held =
      HttpConnection::Connect("127.0.0.1", proxy.port(), kTimeout);
  ASSERT_TRUE(held.ok()) << held.status();
  t0 = std::chrono::steady_clock::now();
  r = (*held)->Request("GET", "/version");
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(absl::StrContains(r.status().message(), "timeout")) << r.status();
  EXPECT_GE(std::chrono::steady_clock::now() - t0, kTimeout);
  // The proxy accepted it (counted by now: the connect itself completes from the listen backlog,
  // possibly before the proxy's accept).
  EXPECT_EQ(proxy.accepted_connections(), 3);
  // The two clients closed theirs on the timeout; the proxy passes nothing on, so it holds all 3.
  EXPECT_EQ(proxy.open_connections(), 3);

  proxy.Restore();
  EXPECT_EQ(proxy.open_connections(), 0);
  EXPECT_TRUE((*idle)->ClosedByPeer());  // held through the hang, closed by Restore()
  absl::StatusOr<HttpResult> again = HttpGet("127.0.0.1", proxy.port(), "/version");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->status, 200);
  EXPECT_EQ(proxy.accepted_connections(), 4);
}

// Through a hung proxy a TCP connect to the apiserver succeeds but kubectl's request (TLS
// handshake included) times out; after Restore() it works. Hang() after Cut() listens again.
TEST_F(ControlPlaneFixtureTest, ProxyHangTimesOutKubectlUntilRestore) {
  absl::StatusOr<std::unique_ptr<TcpProxy>> started =
      TcpProxy::Start("127.0.0.1", plane().api_port());
  ASSERT_TRUE(started.ok()) << started.status();
  TcpProxy& proxy = **started;
  const std::string via_proxy = absl::StrCat("--server=https://127.0.0.1:", proxy.port());
  EXPECT_EQ(Kubectl({via_proxy, "get", "ns", "default", "-o", "name"}), "namespace/default\n");

  proxy.Hang();
  absl::StatusOr<std::unique_ptr<HttpConnection>> connected =
      HttpConnection::Connect("127.0.0.1", proxy.port(), seconds(5));
  ASSERT_TRUE(connected.ok()) << connected.status();
  auto t0 = std::chrono::steady_clock::now();
  absl::StatusOr<std::string> out = plane().Kubectl(
      {via_proxy, "--request-timeout=3s", "get", "ns", "default"}, /*timeout=*/seconds(30));
  const auto took = std::chrono::steady_clock::now() - t0;
  ASSERT_FALSE(out.ok());
  // kubectl gave up by itself (the fixture's own 30 s limit would be DeadlineExceeded).
  EXPECT_FALSE(absl::IsDeadlineExceeded(out.status())) << out.status();
  // Go's words depend on where the deadline struck: "context deadline exceeded", or "request
  // canceled while waiting for connection (Client.Timeout exceeded while awaiting headers)".
  EXPECT_TRUE(absl::StrContains(out.status().message(), "exceeded")) << out.status();
  EXPECT_GE(took, seconds(3));
  std::cout << "kubectl through the hung proxy failed after "
            << std::chrono::duration_cast<milliseconds>(took).count() << " ms\n";

  proxy.Restore();
  EXPECT_EQ(Kubectl({via_proxy, "get", "ns", "default", "-o", "name"}), "namespace/default\n");

  // From a cut, Hang() listens again: connects succeed (held) instead of being refused.
  proxy.Cut();
  proxy.Hang();
  absl::StatusOr<std::unique_ptr<HttpConnection>> held =
      HttpConnection::Connect("127.0.0.1", proxy.port(), seconds(5));
  ASSERT_TRUE(held.ok()) << held.status();
  proxy.Restore();
  EXPECT_EQ(Kubectl({via_proxy, "get", "ns", "default", "-o", "name"}), "namespace/default\n");
}

// Without binaries the start fails, naming what is missing (never a skip).
TEST(LocalControlPlaneStartTest, FailsClearlyWithoutBinaries) {
  const std::string empty_bin_dir = ::testing::TempDir() + "rmq-no-k8s-bins";
  std::filesystem::create_directories(empty_bin_dir);
  LocalControlPlaneOptions options;
  options.bin_dir = empty_bin_dir;
  absl::StatusOr<std::unique_ptr<LocalControlPlane>> plane =
      LocalControlPlane::Start(std::move(options));
  ASSERT_FALSE(plane.ok());
  EXPECT_TRUE(absl::IsFailedPrecondition(plane.status())) << plane.status();
  EXPECT_TRUE(absl::StrContains(plane.status().message(), "start failed")) << plane.status();
  EXPECT_TRUE(absl::StrContains(plane.status().message(), empty_bin_dir + "/etcd is missing"))
      << plane.status();
  std::filesystem::remove_all(empty_bin_dir);
}

}  // namespace
}  // namespace rmq::testing
