// The pure parts of the API layer: URLs, query strings, error mapping, Retry-After.
#include "common/k8s/api.h"

#include <gtest/gtest.h>

namespace rmq::k8s {
namespace {

TEST(ApiTest, ResourcePathsForCoreGroupAndNamedGroups) {
  EXPECT_EQ(ResourcePath(ConfigMaps(), "ns", "cm"), "/api/v1/namespaces/ns/configmaps/cm");
  EXPECT_EQ(ResourcePath(ConfigMaps(), "", ""), "/api/v1/configmaps");
  EXPECT_EQ(ResourcePath(Leases(), "ops", "", ""),
            "/apis/coordination.k8s.io/v1/namespaces/ops/leases");
  EXPECT_EQ(ResourcePath(StatefulSets(), "ns", "b", "scale"),
            "/apis/apps/v1/namespaces/ns/statefulsets/b/scale");
  // Cluster-scoped types ignore a namespace.
  EXPECT_EQ(ResourcePath(Namespaces(), "ignored", "x"), "/api/v1/namespaces/x");
  EXPECT_EQ(ResourcePath(CustomResourceDefinitions(), "", "brokers.rocketmq.apache.org", "status"),
            "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/"
            "brokers.rocketmq.apache.org/status");
  // A name never escapes its path segment.
  EXPECT_EQ(ResourcePath(ConfigMaps(), "ns", "a/../b"),
            "/api/v1/namespaces/ns/configmaps/a%2F..%2Fb");
  EXPECT_EQ(Events().ApiVersion(), "events.k8s.io/v1");
  EXPECT_EQ(Pods().ApiVersion(), "v1");
}

TEST(ApiTest, QueryEscapesSelectorsAndKeepsOrder) {
  EXPECT_EQ(Query().Encode(), "");
  EXPECT_EQ(Query()
                .Add("labelSelector", "app=x,tier!=db,env in (a b)")
                .Add("limit", int64_t{500})
                .AddIfSet("continue", "")
                .AddIfSet("fieldSelector", "metadata.name=n")
                .Encode(),
            "?labelSelector=app%3Dx%2Ctier%21%3Ddb%2Cenv%20in%20%28a%20b%29&limit=500"
            "&fieldSelector=metadata.name%3Dn");
  EXPECT_EQ(QueryEscape("a-b_c.d~e"), "a-b_c.d~e");
  EXPECT_EQ(QueryEscape("\xff"), "%FF");
}

TEST(ApiTest, ParsesServerUrls) {
  absl::StatusOr<ServerUrl> u = ParseServerUrl("https://127.0.0.1:6443");
  ASSERT_TRUE(u.ok()) << u.status();
  EXPECT_TRUE(u->tls);
  EXPECT_EQ(u->host, "127.0.0.1");
  EXPECT_EQ(u->port, "6443");
  EXPECT_EQ(u->base_path, "");
  EXPECT_EQ(u->HostHeader(), "127.0.0.1:6443");

  u = ParseServerUrl("https://[fd00::1]/k8s/clusters/c-1/");
  ASSERT_TRUE(u.ok()) << u.status();
  EXPECT_EQ(u->host, "fd00::1");
  EXPECT_EQ(u->port, "443");
  EXPECT_EQ(u->base_path, "/k8s/clusters/c-1");
  EXPECT_EQ(u->HostHeader(), "[fd00::1]:443");

  u = ParseServerUrl("http://localhost");
  ASSERT_TRUE(u.ok()) << u.status();
  EXPECT_FALSE(u->tls);
  EXPECT_EQ(u->port, "80");

  for (const char* bad : {"ftp://x", "127.0.0.1:6443", "https://", "https://h:0", "https://h:x",
                          "https://[::1", "https://[::1]x", "https://h:70000"}) {
    EXPECT_FALSE(ParseServerUrl(bad).ok()) << bad;
  }
}

TEST(ApiTest, MapsStatusAnswersToCodesWithHttpCodeAndReason) {
  auto status = [](int code, const std::string& reason) {
    return StatusFromResponse(
        "GET /x", code,
        R"({"kind":"Status","apiVersion":"v1","status":"Failure","message":"m","reason":")" +
            reason + R"(","code":)" + std::to_string(code) + "}");
  };
  absl::Status s = status(404, "NotFound");
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(IsApiNotFound(s));
  EXPECT_EQ(s.message(), "GET /x: HTTP 404 NotFound: m");
  EXPECT_EQ(HttpCodeOf(s), 404);
  EXPECT_EQ(ReasonOf(s), "NotFound");

  s = status(409, "AlreadyExists");
  EXPECT_EQ(s.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_TRUE(IsApiAlreadyExists(s));
  EXPECT_FALSE(IsApiConflict(s));
  s = status(409, "Conflict");
  EXPECT_EQ(s.code(), absl::StatusCode::kAborted);
  EXPECT_TRUE(IsApiConflict(s));
  s = status(410, "Expired");
  EXPECT_EQ(s.code(), absl::StatusCode::kOutOfRange);
  EXPECT_TRUE(IsApiGone(s));
  EXPECT_EQ(status(422, "Invalid").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status(401, "Unauthorized").code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(status(403, "Forbidden").code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(status(429, "TooManyRequests").code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(status(503, "ServiceUnavailable").code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(status(504, "Timeout").code(), absl::StatusCode::kDeadlineExceeded);

  // Not a Status: the body is quoted, shortened.
  s = StatusFromResponse("GET /y", 502, std::string(2000, 'x'));
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(HttpCodeOf(s), 502);
  EXPECT_EQ(ReasonOf(s), "");
  EXPECT_LT(s.message().size(), 600u);
  // Statuses from elsewhere have no HTTP code.
  EXPECT_EQ(HttpCodeOf(absl::NotFoundError("x")), 0);
  EXPECT_FALSE(IsApiNotFound(absl::NotFoundError("x")));
}

TEST(ApiTest, RetryAfterAndRetryableAnswers) {
  EXPECT_EQ(ParseRetryAfter("3"), std::chrono::seconds(3));
  EXPECT_EQ(ParseRetryAfter(" 0 "), std::chrono::seconds(0));
  EXPECT_EQ(ParseRetryAfter(""), std::nullopt);
  EXPECT_EQ(ParseRetryAfter("-1"), std::nullopt);
  EXPECT_EQ(ParseRetryAfter("1.5"), std::nullopt);
  EXPECT_EQ(ParseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT"), std::nullopt);
  EXPECT_TRUE(IsRetryableResponse(429, false));
  EXPECT_TRUE(IsRetryableResponse(503, true));
  EXPECT_FALSE(IsRetryableResponse(503, false));
  EXPECT_FALSE(IsRetryableResponse(409, true));
  EXPECT_FALSE(IsRetryableResponse(200, true));
}

}  // namespace
}  // namespace rmq::k8s
