// The prober's pure pieces: HTTP status classification, output capping, PATH lookup for exec,
// the grpc.health.v1 wire format; and the handlers that fail before running anything.
#include "nodeagent/runtime/prober.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/net/blocking.h"

namespace rmq::nodeagent {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using namespace prober_internal;  // NOLINT(google-build-using-namespace): the tested helpers

TEST(ProberJoinHostPortTest, BracketsIpv6) {
  EXPECT_EQ(JoinHostPort("10.0.0.7", 8080), "10.0.0.7:8080");
  EXPECT_EQ(JoinHostPort("web-0.svc", 80), "web-0.svc:80");
  EXPECT_EQ(JoinHostPort("fd00::7", 8080), "[fd00::7]:8080");
}

TEST(ProberHttpRequestTargetTest, DefaultsToRootAndAddsTheLeadingSlash) {
  EXPECT_EQ(HttpRequestTarget(""), "/");
  EXPECT_EQ(HttpRequestTarget("healthz"), "/healthz");
  EXPECT_EQ(HttpRequestTarget("/ready?verbose=1"), "/ready?verbose=1");
}

TEST(ProberClassifyHttpStatusTest, TwoAndThreeHundredsSucceedTheRestFail) {
  EXPECT_EQ(ClassifyHttpStatus(200, "ok"),
            (HandlerOutcome{.result = ProbeResult::kSuccess, .message = "ok"}));
  EXPECT_EQ(ClassifyHttpStatus(204, "").result, ProbeResult::kSuccess);
  EXPECT_EQ(ClassifyHttpStatus(399, "").result, ProbeResult::kSuccess);
  EXPECT_EQ(ClassifyHttpStatus(302, "moved"),
            (HandlerOutcome{.result = ProbeResult::kSuccess,
                            .message = "Probe terminated redirects, Response body: moved"}));
  EXPECT_EQ(ClassifyHttpStatus(503, "down"),
            (HandlerOutcome{.result = ProbeResult::kFailure,
                            .message = "HTTP probe failed with statuscode: 503"}));
  EXPECT_EQ(ClassifyHttpStatus(400, "").result, ProbeResult::kFailure);
  EXPECT_EQ(ClassifyHttpStatus(199, "").result, ProbeResult::kFailure);
  EXPECT_EQ(ClassifyHttpStatus(101, "").message, "HTTP probe failed with statuscode: 101");
}

TEST(ProberAppendCappedTest, KeepsAtMostTheCap) {
  std::string out;
  AppendCapped(out, "abc", 5);
  EXPECT_EQ(out, "abc");
  AppendCapped(out, "defgh", 5);
  EXPECT_EQ(out, "abcde");
  AppendCapped(out, "ijk", 5);
  EXPECT_EQ(out, "abcde");
  std::string big;
  AppendCapped(big, std::string(8000, 'x'));
  AppendCapped(big, std::string(8000, 'y'));
  EXPECT_EQ(big.size(), kMaxProbeOutput);
  EXPECT_EQ(big.back(), 'y');
}

TEST(ProberExecCandidatesTest, PathFromTheEnvOrTheDefault) {
  EXPECT_THAT(ExecCandidates("/bin/sh", {"PATH=/x"}), ElementsAre("/bin/sh"));
  EXPECT_THAT(ExecCandidates("./run", {}), ElementsAre("./run"));
  EXPECT_THAT(ExecCandidates("sh", {"HOME=/root"}),
              ElementsAre("/usr/local/sbin/sh", "/usr/local/bin/sh", "/usr/sbin/sh", "/usr/bin/sh",
                          "/sbin/sh", "/bin/sh"));
  EXPECT_THAT(ExecCandidates("cat", {"PATH=/opt/bin:/bin", "A=1"}),
              ElementsAre("/opt/bin/cat", "/bin/cat"));
  // The last PATH wins; an empty entry is the working directory.
  EXPECT_THAT(ExecCandidates("cat", {"PATH=/a", "PATH=/b::/c"}),
              ElementsAre("/b/cat", "./cat", "/c/cat"));
  EXPECT_THAT(ExecCandidates("cat", {"MYPATH=/a"}).front(), "/usr/local/sbin/cat");
}

TEST(ProberHealthCheckCodecTest, EncodesTheServiceAsField1) {
  EXPECT_EQ(EncodeHealthCheckRequest(""), "");
  EXPECT_EQ(EncodeHealthCheckRequest("rmq"), std::string("\x0a\x03rmq", 5));
  const std::string long_name(200, 's');
  const std::string encoded = EncodeHealthCheckRequest(long_name);
  ASSERT_EQ(encoded.size(), 203u);
  EXPECT_EQ(encoded.substr(0, 3), std::string("\x0a\xc8\x01", 3));  // 200 as a varint
  EXPECT_EQ(encoded.substr(3), long_name);
}

TEST(ProberHealthCheckCodecTest, DecodesTheStatusAndSkipsUnknownFields) {
  EXPECT_EQ(DecodeHealthCheckResponse("").value(), 0);  // absent = UNKNOWN
  EXPECT_EQ(DecodeHealthCheckResponse(std::string("\x08\x01", 2)).value(), 1);
  EXPECT_EQ(DecodeHealthCheckResponse(std::string("\x08\x02", 2)).value(), 2);
  // field 2 (string "ab"), field 3 (fixed64), field 4 (fixed32), then status 3.
  const std::string with_unknown = std::string(
                                       "\x12\x02"
                                       "ab",
                                       4) +
                                   std::string(
                                       "\x19"
                                       "12345678",
                                       9) +
                                   std::string(
                                       "\x25"
                                       "1234",
                                       5) +
                                   std::string("\x08\x03", 2);
  EXPECT_EQ(DecodeHealthCheckResponse(with_unknown).value(), 3);
  // The last occurrence of a scalar field wins.
  EXPECT_EQ(DecodeHealthCheckResponse(std::string("\x08\x02\x08\x01", 4)).value(), 1);
}

TEST(ProberHealthCheckCodecTest, RejectsMalformedBytes) {
  EXPECT_FALSE(DecodeHealthCheckResponse(std::string("\x08", 1)).ok());      // no value
  EXPECT_FALSE(DecodeHealthCheckResponse(std::string("\x08\x80", 2)).ok());  // truncated
  EXPECT_FALSE(DecodeHealthCheckResponse(std::string("\x12\x05"
                                                     "ab",
                                                     4))
                   .ok());                                                   // too long
  EXPECT_FALSE(DecodeHealthCheckResponse(std::string("\x0b\x01", 2)).ok());  // group
  EXPECT_FALSE(DecodeHealthCheckResponse(std::string("\x00\x01", 2)).ok());  // field 0
  EXPECT_FALSE(DecodeHealthCheckResponse(std::string("\x19"
                                                     "123",
                                                     4))
                   .ok());  // fixed64
}

TEST(ProberHealthCheckCodecTest, StatusAndCodeNames) {
  EXPECT_EQ(HealthStatusName(0), "UNKNOWN");
  EXPECT_EQ(HealthStatusName(1), "SERVING");
  EXPECT_EQ(HealthStatusName(2), "NOT_SERVING");
  EXPECT_EQ(HealthStatusName(3), "SERVICE_UNKNOWN");
  EXPECT_EQ(HealthStatusName(7), "7");
  EXPECT_EQ(GrpcCodeName(0), "OK");
  EXPECT_EQ(GrpcCodeName(4), "DeadlineExceeded");
  EXPECT_EQ(GrpcCodeName(5), "NotFound");
  EXPECT_EQ(GrpcCodeName(12), "Unimplemented");
  EXPECT_EQ(GrpcCodeName(14), "Unavailable");
  EXPECT_EQ(GrpcCodeName(16), "Unauthenticated");
  EXPECT_EQ(GrpcCodeName(42), "Code(42)");
}

class ProberRunHandlerTest : public ::testing::Test {
 protected:
  HandlerOutcome Run(const Handler& handler, const ProbeTarget& target = {.pod_ip = "127.0.0.1"}) {
    return net::BlockOn(io_, RunHandler(handler, target, std::chrono::milliseconds(500), pool_));
  }

  net::asio::io_context io_;
  net::asio::thread_pool pool_{1};
};

TEST_F(ProberRunHandlerTest, PortErrorFailsWithItsMessageForEveryKind) {
  for (Handler::Kind kind : {Handler::Kind::kExec, Handler::Kind::kHttpGet,
                             Handler::Kind::kTcpSocket, Handler::Kind::kGrpc}) {
    Handler h{.kind = kind, .command = {"true"}, .port_error = "port \"web\" not found"};
    EXPECT_EQ(Run(h), (HandlerOutcome{.result = ProbeResult::kFailure,
                                      .message = "port \"web\" not found"}));
  }
}

TEST_F(ProberRunHandlerTest, NetworkKindsNeedAValidPort) {
  for (Handler::Kind kind :
       {Handler::Kind::kHttpGet, Handler::Kind::kTcpSocket, Handler::Kind::kGrpc}) {
    EXPECT_EQ(
        Run({.kind = kind, .port = 0}),
        (HandlerOutcome{.result = ProbeResult::kFailure, .message = "invalid port number: 0"}));
    EXPECT_EQ(Run({.kind = kind, .port = 70000}).message, "invalid port number: 70000");
  }
}

TEST_F(ProberRunHandlerTest, ExecWithoutCommandOrProcessFails) {
  HandlerOutcome none = Run({.kind = Handler::Kind::kExec});
  EXPECT_EQ(none.result, ProbeResult::kFailure);
  EXPECT_THAT(none.message, HasSubstr("no command"));
  HandlerOutcome no_pid = Run({.kind = Handler::Kind::kExec, .command = {"true"}});
  EXPECT_EQ(no_pid.result, ProbeResult::kFailure);
  EXPECT_THAT(no_pid.message, HasSubstr("no container process"));
}

TEST_F(ProberRunHandlerTest, SleepWaitsThenSucceedsOrFailsWhenCutShort) {
  EXPECT_EQ(Run({.kind = Handler::Kind::kSleep, .sleep_seconds = 0}).result, ProbeResult::kSuccess);
  const auto before = std::chrono::steady_clock::now();
  const Handler one_second{.kind = Handler::Kind::kSleep, .sleep_seconds = 1};
  HandlerOutcome slept = net::BlockOn(
      io_, RunHandler(one_second, ProbeTarget{}, std::chrono::milliseconds(3000), pool_));
  EXPECT_GE(std::chrono::steady_clock::now() - before, std::chrono::seconds(1));
  EXPECT_EQ(slept.result, ProbeResult::kSuccess);
  const auto start = std::chrono::steady_clock::now();
  HandlerOutcome cut = Run({.kind = Handler::Kind::kSleep, .sleep_seconds = 30});
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  EXPECT_EQ(cut, (HandlerOutcome{.result = ProbeResult::kFailure,
                                 .message = "container terminated before sleep hook finished"}));
}

}  // namespace
}  // namespace rmq::nodeagent
