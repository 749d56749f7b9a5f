// Unit tests of RemotingClient against a scripted peer on a loopback socket (port 0).
#include "common/rocketmq/remoting/client.h"

#include <gtest/gtest.h>

#include <functional>
#include <vector>

#include "common/net/blocking.h"
#include "common/rocketmq/remoting/codes.h"
#include "common/rocketmq/remoting/frame.h"
#include "tests/support/scripted_peer.h"

namespace rmq::rocketmq {
namespace {

using asio::ip::tcp;
using std::chrono::milliseconds;
using testing::ReadFrame;
using testing::Reply;
using testing::ScriptedPeer;
using testing::WriteRaw;

RemotingCommand Req(int32_t code = request_code::kGetBrokerRuntimeInfo) {
  return RemotingCommand::Request(code);
}

class ClientTest : public ::testing::Test {
 protected:
  asio::io_context io_;
};

TEST_F(ClientTest, CorrelatesOutOfOrderResponsesByOpaque) {
  ScriptedPeer peer(io_, [](tcp::socket s, int) -> asio::awaitable<void> {
    std::vector<RemotingCommand> got;
    got.reserve(3);
    for (int i = 0; i < 3; ++i) got.push_back(*co_await ReadFrame(s));
    for (int i = 2; i >= 0; --i) {
      co_await Reply(s, got[i], got[i].ext_fields["tag"]);
    }
    (void)co_await ReadFrame(s);  // hold the connection until the client goes away
  });
  RemotingClient client(io_.get_executor(), ClientOptions{});
  std::vector<std::string> bodies(3);
  int done = 0;
  for (int i = 0; i < 3; ++i) {
    asio::co_spawn(
        io_,
        [&, i]() -> asio::awaitable<void> {
          RemotingCommand r = Req();
          r.ext_fields["tag"] = "req" + std::to_string(i);
          auto resp = co_await client.Invoke(peer.addr(), r, milliseconds(5000));
          EXPECT_TRUE(resp.ok()) << resp.status();
          if (resp.ok()) bodies[i] = resp->body;
          ++done;
        },
        asio::detached);
  }
  while (done < 3) io_.run_one();
  EXPECT_EQ(bodies, (std::vector<std::string>{"req0", "req1", "req2"}));
  EXPECT_EQ(peer.connections(), 1);
  EXPECT_EQ(client.ConnectionCountForTest(), 1u);
}

TEST_F(ClientTest, ATimeoutOnASilentConnectionClosesItAndTheNextRequestReconnects) {
  // A peer gone without a FIN looks like this: the first connection never answers anything.
  ScriptedPeer peer(io_, [](tcp::socket s, int index) -> asio::awaitable<void> {
    auto request = co_await ReadFrame(s);
    if (index > 0 && request.ok()) {
      co_await Reply(s, *request, "conn" + std::to_string(index));
    }
    (void)co_await ReadFrame(s);
  });
  RemotingClient client(io_.get_executor(), ClientOptions{});
  auto first = net::BlockOn(io_, client.Invoke(peer.addr(), Req(), milliseconds(200)));
  EXPECT_EQ(first.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_NE(first.status().message().find("GET_BROKER_RUNTIME_INFO"), absl::string_view::npos);
  EXPECT_NE(first.status().message().find("connection closed"), absl::string_view::npos)
      << first.status();
  EXPECT_EQ(client.ConnectionCountForTest(), 0u);
  auto second = net::BlockOn(io_, client.Invoke(peer.addr(), Req(), milliseconds(5000)));
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->body, "conn1");
  EXPECT_EQ(peer.connections(), 2);
}

TEST_F(ClientTest, ATimeoutOnAConnectionThatAnswersOthersKeepsIt) {
  // One slow request (never answered here) while the peer answers the others.
  ScriptedPeer peer(io_, [](tcp::socket s, int) -> asio::awaitable<void> {
    (void)co_await ReadFrame(s);  // the slow one
    for (;;) {
      auto request = co_await ReadFrame(s);
      if (!request.ok()) co_return;
      co_await Reply(s, *request, "answered");
    }
  });
  RemotingClient client(io_.get_executor(), ClientOptions{});
  absl::StatusOr<RemotingCommand> slow = absl::UnknownError("not done");
  bool slow_done = false;
  asio::co_spawn(
      io_,
      [&]() -> asio::awaitable<void> {
        slow = co_await client.Invoke(peer.addr(), Req(), milliseconds(500));
        slow_done = true;
      },
      asio::detached);
  auto other = net::BlockOn(io_, client.Invoke(peer.addr(), Req(), milliseconds(5000)));
  ASSERT_TRUE(other.ok()) << other.status();
  while (!slow_done) io_.run_one();
  EXPECT_EQ(slow.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(slow.status().message().find("connection closed"), absl::string_view::npos)
      << slow.status();
  auto later = net::BlockOn(io_, client.Invoke(peer.addr(), Req(), milliseconds(5000)));
  ASSERT_TRUE(later.ok()) << later.status();
  EXPECT_EQ(later->body, "answered");
  EXPECT_EQ(peer.connections(), 1);
}

TEST_F(ClientTest, ReconnectsAfterPeerCloses) {
  ScriptedPeer peer(io_, [](tcp::socket s, int index) -> asio::awaitable<void> {
    auto req = co_await ReadFrame(s);
    if (req.ok()) {
      co_await Reply(s, *req, "conn" + std::to_string(index));
    }
    if (index == 0) co_return;  // closes the socket, like a broker's idle timeout
    (void)co_await ReadFrame(s);
  });
  RemotingClient client(io_.get_executor(), ClientOptions{});
  auto a = net::BlockOn(io_, client.Invoke(peer.addr(), Req()));
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->body, "conn0");
  // Let the client observe the close.
  while (client.ConnectionCountForTest() > 0) io_.run_one();
  auto b = net::BlockOn(io_, client.Invoke(peer.addr(), Req()));
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(b->body, "conn1");
  EXPECT_EQ(peer.connections(), 2);
}

TEST_F(ClientTest, PendingRequestFailsWhenPeerCloses) {
  ScriptedPeer peer(io_, [](tcp::socket s, int) -> asio::awaitable<void> {
    (void)co_await ReadFrame(s);  // then close without answering
  });
  RemotingClient client(io_.get_executor(), ClientOptions{});
  auto r = net::BlockOn(io_, client.Invoke(peer.addr(), Req(), milliseconds(10000)));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable);
}

TEST_F(ClientTest, OnewayIsWrittenWithOnewayFlag) {
  std::optional<RemotingCommand> seen;
  ScriptedPeer peer(io_, [&](tcp::socket s, int) -> asio::awaitable<void> {
    auto r = co_await ReadFrame(s);
    if (r.ok()) seen = *r;
    (void)co_await ReadFrame(s);
  });
  RemotingClient client(io_.get_executor(), ClientOptions{});
  absl::Status s =
      net::BlockOn(io_, client.InvokeOneway(peer.addr(), Req(request_code::kHeartBeat)));
  ASSERT_TRUE(s.ok()) << s;
  while (!seen.has_value()) io_.run_one();
  EXPECT_TRUE(seen->IsOneway());
  EXPECT_FALSE(seen->IsResponse());
  EXPECT_EQ(seen->code, request_code::kHeartBeat);
}

TEST_F(ClientTest, AnswersServerRequestsWithNotSupported) {
  std::optional<RemotingCommand> answer;
  ScriptedPeer peer(io_, [&](tcp::socket s, int) -> asio::awaitable<void> {
    auto req = co_await ReadFrame(s);
    RemotingCommand server_request = RemotingCommand::Request(40);  // NOTIFY_CONSUMER_IDS_CHANGED
    server_request.opaque = 777;
    co_await WriteRaw(s, *EncodeFrame(server_request));
    auto reply = co_await ReadFrame(s);
    if (reply.ok()) answer = *reply;
    if (req.ok()) {
      co_await Reply(s, *req, "done");
    }
    (void)co_await ReadFrame(s);
  });
  RemotingClient client(io_.get_executor(), ClientOptions{});
  auto r = net::BlockOn(io_, client.Invoke(peer.addr(), Req()));
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_TRUE(answer.has_value());
  EXPECT_EQ(answer->opaque, 777);
  EXPECT_TRUE(answer->IsResponse());
  EXPECT_EQ(answer->code, response_code::kRequestCodeNotSupported);
}

TEST_F(ClientTest, ProtocolErrorFromPeerClosesConnection) {
  ScriptedPeer peer(io_, [](tcp::socket s, int) -> asio::awaitable<void> {
    (void)co_await ReadFrame(s);
    co_await WriteRaw(s, std::string("\x7f\xff\xff\xff", 4));  // 2 GiB frame
    (void)co_await ReadFrame(s);
  });
  RemotingClient client(io_.get_executor(), ClientOptions{});
  auto r = net::BlockOn(io_, client.Invoke(peer.addr(), Req(), milliseconds(5000)));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(r.status().message().find("protocol error"), absl::string_view::npos);
}

TEST_F(ClientTest, ShutdownCancelsPendingAndLaterRequests) {
  ScriptedPeer peer(io_, [](tcp::socket s, int) -> asio::awaitable<void> {
    (void)co_await ReadFrame(s);
    (void)co_await ReadFrame(s);
  });
  RemotingClient client(io_.get_executor(), ClientOptions{});
  std::optional<absl::Status> result;
  asio::co_spawn(
      io_,
      [&]() -> asio::awaitable<void> {
        result = (co_await client.Invoke(peer.addr(), Req(), milliseconds(30000))).status();
      },
      asio::detached);
  while (peer.connections() == 0) io_.run_one();
  io_.poll();
  client.Shutdown();
  while (!result.has_value()) io_.run_one();
  EXPECT_EQ(result->code(), absl::StatusCode::kCancelled);
  auto later = net::BlockOn(io_, client.Invoke(peer.addr(), Req()));
  EXPECT_EQ(later.status().code(), absl::StatusCode::kCancelled);
}

TEST_F(ClientTest, ConnectFailuresAreUnavailable) {
  tcp::acceptor closed(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  std::string addr = "127.0.0.1:" + std::to_string(closed.local_endpoint().port());
  closed.close();
  RemotingClient client(io_.get_executor(), ClientOptions{});
  auto r = net::BlockOn(io_, client.Invoke(addr, Req()));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(r.status().message().find("cannot connect"), absl::string_view::npos);
  auto bad = net::BlockOn(io_, client.Invoke("no-port", Req()));
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(ClientTest, SignsRequestsWhenCredentialsAreSet) {
  std::optional<RemotingCommand> seen;
  ScriptedPeer peer(io_, [&](tcp::socket s, int) -> asio::awaitable<void> {
    auto r = co_await ReadFrame(s);
    if (r.ok()) {
      seen = *r;
      co_await Reply(s, *r, "");
    }
    (void)co_await ReadFrame(s);
  });
  ClientOptions options;
  options.credentials = AclCredentials{"ak", "sk", ""};
  RemotingClient client(io_.get_executor(), options);
  RemotingCommand r = Req(request_code::kDeleteTopicInBroker);
  r.ext_fields["topic"] = "T";
  ASSERT_TRUE(net::BlockOn(io_, client.Invoke(peer.addr(), r)).ok());
  ASSERT_TRUE(seen.has_value());
  EXPECT_EQ(seen->ext_fields.at("AccessKey"), "ak");
  EXPECT_EQ(seen->ext_fields.at("Signature"), HmacSha1Base64("sk", "akT"));
}

}  // namespace
}  // namespace rmq::rocketmq
