// Integration tests of the native admin client against a real RocketMQ 5.3.3 name server and
// broker (tests/support/local_rocketmq.h). One cluster serves the whole suite.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/net/asio.h"
#include "common/rocketmq/admin/admin_client.h"
#include "common/rocketmq/remoting/codes.h"
#include "common/rocketmq/remoting/fastjson.h"
#include "common/rocketmq/remoting/status.h"
#include "tests/support/admin_env.h"

namespace rmq::rocketmq {
namespace {

using std::chrono::milliseconds;

class AdminIntegrationTest : public ::testing::Test {
 protected:
  // The broker runs with ACL 2.0 (5.3) authentication and authorization on, so every request in
  // this suite is signed: a wrong signature would fail every test, not just one.
  static testing::LocalRocketMQOptions Options() {
    testing::LocalRocketMQOptions options;
    options.broker_config = {
        {"authenticationEnabled", "true"},
        {"authenticationProvider",
         "org.apache.rocketmq.auth.authentication.provider.DefaultAuthenticationProvider"},
        {"authenticationMetadataProvider",
         "org.apache.rocketmq.auth.authentication.provider.LocalAuthenticationMetadataProvider"},
        {"authorizationEnabled", "true"},
        {"authorizationProvider",
         "org.apache.rocketmq.auth.authorization.provider.DefaultAuthorizationProvider"},
        {"authorizationMetadataProvider",
         "org.apache.rocketmq.auth.authorization.provider.LocalAuthorizationMetadataProvider"},
        {"initAuthenticationUser", R"({"username":"rmqadmin","password":"s3cret-Key"})"},
        {"innerClientAuthenticationCredentials",
         R"({"accessKey":"rmqadmin","secretKey":"s3cret-Key"})"},
    };
    return options;
  }
  static rocketmq::AclCredentials Credentials() { return {"rmqadmin", "s3cret-Key", ""}; }

  static void SetUpTestSuite() {
    auto env = testing::AdminTestEnv::Start(Options(), Credentials());
    if (!env.ok()) {
      start_error_ = new std::string(env.status().ToString());
      return;
    }
    env_ = env->release();
    client_ = &env_->client();
    admin_ = &env_->admin();
    std::printf("broker boot: %lld ms, name server boot: %lld ms\n",
                static_cast<long long>(env_->mq().broker_boot_time().count()),
                static_cast<long long>(env_->mq().namesrv_boot_time().count()));
  }

  static void TearDownTestSuite() {
    delete env_;
    env_ = nullptr;
  }

  void SetUp() override {
    ASSERT_EQ(start_error_, nullptr) << "RocketMQ did not start: " << *start_error_;
  }

  template <typename T>
  static T Run(asio::awaitable<T> work) {
    return env_->Run(std::move(work));
  }

  static std::string Broker() { return env_->broker(); }
  static std::string NameServer() { return env_->namesrv(); }

  // Polls the name server until the topic's route appears (registration is asynchronous).
  static absl::StatusOr<TopicRouteData> WaitForRoute(const std::string& topic) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(40);
    absl::StatusOr<TopicRouteData> route;
    while (std::chrono::steady_clock::now() < deadline) {
      route = Run(admin_->GetRouteInfoByTopic(NameServer(), topic));
      if (route.ok()) return route;
      std::this_thread::sleep_for(milliseconds(100));
    }
    return route;
  }

  static inline testing::AdminTestEnv* env_ = nullptr;
  static inline std::string* start_error_ = nullptr;
  static inline RemotingClient* client_ = nullptr;
  static inline AdminClient* admin_ = nullptr;
};

std::vector<TopicConfig> MakeTopics(const std::string& prefix, int n) {
  std::vector<TopicConfig> topics;
  for (int i = 0; i < n; ++i) {
    TopicConfig t;
    t.topic_name = absl::StrCat(prefix, i);
    t.read_queue_nums = 1 + i % 8;
    t.write_queue_nums = 1 + i % 8;
    t.perm = i % 5 == 0 ? kPermRead : kPermRead | kPermWrite;
    if (i % 3 == 0) t.attributes["message.type"] = "NORMAL";
    if (i % 7 == 0) t.topic_filter_type = "MULTI_TAG";
    topics.push_back(std::move(t));
  }
  return topics;
}

TEST_F(AdminIntegrationTest, BatchCreatesThousandTopicsAndReadsThemBackEqual) {
  std::vector<TopicConfig> topics = MakeTopics("Batch1k_", 1000);
  absl::StatusOr<BatchResult> r = Run(admin_->CreateTopics(Broker(), topics));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->ok()) << ToJson(*r).dump();
  EXPECT_EQ(r->created, 1000);
  EXPECT_EQ(r->updated, 0);
  EXPECT_TRUE(r->batch_supported);
  EXPECT_EQ(r->requests, 1);  // one batch, nothing re-sent

  absl::StatusOr<TopicConfigTable> table = Run(admin_->GetAllTopicConfig(Broker()));
  ASSERT_TRUE(table.ok()) << table.status();
  for (const TopicConfig& want : topics) {
    auto it = table->topics.find(want.topic_name);
    ASSERT_NE(it, table->topics.end()) << want.topic_name;
    EXPECT_EQ(it->second, want) << ToJson(it->second).dump() << " vs " << ToJson(want).dump();
  }

  // Idempotent: the same batch again sends nothing.
  absl::StatusOr<BatchResult> again = Run(admin_->CreateTopics(Broker(), topics));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->unchanged, 1000);
  EXPECT_EQ(again->created + again->updated, 0);
  EXPECT_EQ(again->requests, 0);

  // An update of some is reported as such and lands.
  std::vector<TopicConfig> changed(topics.begin(), topics.begin() + 10);
  for (auto& t : changed) t.write_queue_nums = 16, t.read_queue_nums = 16;
  absl::StatusOr<BatchResult> upd = Run(admin_->CreateTopics(Broker(), changed));
  ASSERT_TRUE(upd.ok());
  EXPECT_EQ(upd->updated, 10);
  absl::StatusOr<TopicConfig> one = Run(admin_->GetTopicConfig(Broker(), changed[3].topic_name));
  ASSERT_TRUE(one.ok()) << one.status();
  EXPECT_EQ(*one, changed[3]);
}

// The 5.3.x broker returns SUCCESS for a batch and skips every topic once one of them equals
// its stored config. Show the broker does that, and that CreateTopics() still creates them all.
TEST_F(AdminIntegrationTest, BatchSkipQuirkIsDetectedAndRepaired) {
  TopicConfig existing;
  existing.topic_name = "QuirkExisting";
  ASSERT_TRUE(Run(admin_->CreateTopic(Broker(), existing)).ok());

  TopicConfig fresh;
  fresh.topic_name = "QuirkFreshRaw";
  RemotingCommand raw = RemotingCommand::Request(request_code::kUpdateAndCreateTopicList);
  raw.body =
      Json{{"topicConfigList",
            Json::array({TopicConfigToCreateJson(existing), TopicConfigToCreateJson(fresh)})}}
          .dump();
  absl::StatusOr<RemotingCommand> resp = Run(client_->Invoke(Broker(), raw, milliseconds(10000)));
  ASSERT_TRUE(resp.ok()) << resp.status();
  EXPECT_EQ(resp->code, response_code::kSuccess);
  absl::StatusOr<TopicConfig> skipped = Run(admin_->GetTopicConfig(Broker(), "QuirkFreshRaw"));
  EXPECT_EQ(skipped.status().code(), absl::StatusCode::kNotFound)
      << "the broker no longer skips: the quirk handling can be simplified";

  TopicConfig fresh2;
  fresh2.topic_name = "QuirkFreshOurs";
  absl::StatusOr<BatchResult> r = Run(admin_->CreateTopics(Broker(), {existing, fresh, fresh2}));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->unchanged, 1);
  EXPECT_EQ(r->created, 2);
  EXPECT_TRUE(Run(admin_->GetTopicConfig(Broker(), "QuirkFreshRaw")).ok());
  EXPECT_TRUE(Run(admin_->GetTopicConfig(Broker(), "QuirkFreshOurs")).ok());
}

TEST_F(AdminIntegrationTest, UpsertRemovesAttributesLeftOut) {
  TopicConfig t;
  t.topic_name = "AttrTopic";
  t.attributes["message.type"] = "NORMAL";
  ASSERT_TRUE(Run(admin_->CreateTopic(Broker(), t)).ok());
  t.attributes.clear();
  absl::StatusOr<BatchResult> r = Run(admin_->CreateTopics(Broker(), {t}));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->ok()) << ToJson(*r).dump();
  EXPECT_EQ(r->updated, 1);
  absl::StatusOr<TopicConfig> back = Run(admin_->GetTopicConfig(Broker(), "AttrTopic"));
  ASSERT_TRUE(back.ok());
  EXPECT_TRUE(back->attributes.empty()) << ToJson(*back).dump();

  TopicConfig minus = t;
  minus.attributes["-message.type"] = "";
  absl::StatusOr<BatchResult> bad = Run(admin_->CreateTopics(Broker(), {minus}));
  ASSERT_TRUE(bad.ok());
  ASSERT_EQ(bad->failed.size(), 1u);
  EXPECT_EQ(bad->failed[0].second.code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(AdminIntegrationTest, BatchReportsInvalidNamesAndCreatesTheRest) {
  TopicConfig good;
  good.topic_name = "ValidNameTopic";
  TopicConfig bad;
  bad.topic_name = "bad name!";
  TopicConfig system;
  system.topic_name = "TBW102";  // refused by the broker
  absl::StatusOr<BatchResult> r = Run(admin_->CreateTopics(Broker(), {good, bad, system}));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->created, 1);
  ASSERT_EQ(r->failed.size(), 2u) << ToJson(*r).dump();
  std::map<std::string, absl::Status> failed(r->failed.begin(), r->failed.end());
  EXPECT_EQ(failed.at("bad name!").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(failed.at("TBW102").ok());
  EXPECT_TRUE(Run(admin_->GetTopicConfig(Broker(), "ValidNameTopic")).ok());
}

TEST_F(AdminIntegrationTest, SingleTopicLifecycleAndRoute) {
  TopicConfig t;
  t.topic_name = "RouteTopic";
  t.read_queue_nums = 4;
  t.write_queue_nums = 4;
  ASSERT_TRUE(Run(admin_->CreateTopic(Broker(), t)).ok());

  absl::StatusOr<TopicRouteData> route = WaitForRoute("RouteTopic");
  ASSERT_TRUE(route.ok()) << route.status();
  ASSERT_EQ(route->queue_datas.size(), 1u);
  EXPECT_EQ(route->queue_datas[0].broker_name, "broker-a");
  EXPECT_EQ(route->queue_datas[0].write_queue_nums, 4);
  ASSERT_EQ(route->broker_datas.size(), 1u);
  EXPECT_EQ(route->broker_datas[0].broker_addrs.at(0), Broker());

  absl::StatusOr<std::vector<std::string>> names = Run(admin_->GetAllTopicList(NameServer()));
  ASSERT_TRUE(names.ok()) << names.status();
  EXPECT_TRUE(std::binary_search(names->begin(), names->end(), "RouteTopic"));

  absl::StatusOr<TopicStats> stats = Run(admin_->GetTopicStats(Broker(), "RouteTopic"));
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(stats->offsets.size(), 4u);
  for (const auto& o : stats->offsets) {
    EXPECT_EQ(o.queue.topic, "RouteTopic");
    EXPECT_EQ(o.max_offset, 0);
  }

  ASSERT_TRUE(Run(admin_->DeleteTopic(Broker(), "RouteTopic")).ok());
  ASSERT_TRUE(Run(admin_->DeleteTopicInNameServer(NameServer(), "RouteTopic")).ok());
  EXPECT_EQ(Run(admin_->GetTopicConfig(Broker(), "RouteTopic")).status().code(),
            absl::StatusCode::kNotFound);
  absl::StatusOr<TopicRouteData> gone =
      Run(admin_->GetRouteInfoByTopic(NameServer(), "RouteTopic"));
  EXPECT_EQ(gone.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(RemotingResponseCode(gone.status()), response_code::kTopicNotExist);
  EXPECT_EQ(Run(admin_->GetTopicStats(Broker(), "NoSuchTopic")).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(AdminIntegrationTest, SubscriptionGroupsCreateReadDelete) {
  std::vector<SubscriptionGroupConfig> groups;
  for (int i = 0; i < 200; ++i) {
    SubscriptionGroupConfig g;
    g.group_name = absl::StrCat("GID_it_", i);
    g.json = Json{{"groupName", g.group_name},
                  {"retryMaxTimes", i % 16},
                  {"consumeBroadcastEnable", i % 2 == 0},
                  {"retryQueueNums", 1 + i % 3}};
    groups.push_back(std::move(g));
  }
  absl::StatusOr<BatchResult> r = Run(admin_->CreateSubscriptionGroups(Broker(), groups));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->ok()) << ToJson(*r).dump();
  EXPECT_EQ(r->created, 200);
  EXPECT_TRUE(r->batch_supported);

  absl::StatusOr<SubscriptionGroupTable> table = Run(admin_->GetAllSubscriptionGroups(Broker()));
  ASSERT_TRUE(table.ok()) << table.status();
  for (const auto& want : groups) {
    auto it = table->groups.find(want.group_name);
    ASSERT_NE(it, table->groups.end()) << want.group_name;
    for (const auto& [k, v] : want.json.items()) EXPECT_EQ(it->second.json[k], v) << k;
  }
  // Idempotent.
  absl::StatusOr<BatchResult> again = Run(admin_->CreateSubscriptionGroups(Broker(), groups));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->unchanged, 200);
  EXPECT_EQ(again->requests, 0);

  // Read one exported from the broker, change it, write it back (attributes get '+').
  absl::StatusOr<SubscriptionGroupConfig> g =
      Run(admin_->GetSubscriptionGroup(Broker(), "GID_it_5"));
  ASSERT_TRUE(g.ok()) << g.status();
  g->json["retryMaxTimes"] = 3;
  ASSERT_TRUE(Run(admin_->CreateSubscriptionGroup(Broker(), *g)).ok());
  absl::StatusOr<SubscriptionGroupConfig> g2 =
      Run(admin_->GetSubscriptionGroup(Broker(), "GID_it_5"));
  ASSERT_TRUE(g2.ok());
  EXPECT_EQ(g2->json["retryMaxTimes"], 3);
  EXPECT_EQ(g2->json, g->json);

  ASSERT_TRUE(Run(admin_->DeleteSubscriptionGroup(Broker(), "GID_it_5", true)).ok());
  absl::StatusOr<SubscriptionGroupConfig> deleted =
      Run(admin_->GetSubscriptionGroup(Broker(), "GID_it_5"));
  EXPECT_EQ(deleted.status().code(), absl::StatusCode::kNotFound) << deleted.status();

  // Consume stats of a group without consumers: empty, not an error.
  absl::StatusOr<ConsumeStats> stats = Run(admin_->GetConsumeStats(Broker(), "GID_it_6"));
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_TRUE(stats->offsets.empty());
}

TEST_F(AdminIntegrationTest, BrokerConfigUpdateReadsBack) {
  absl::StatusOr<BrokerConfig> before = Run(admin_->GetBrokerConfig(Broker()));
  ASSERT_TRUE(before.ok()) << before.status();
  EXPECT_EQ(before->properties.at("brokerName"), "broker-a");
  EXPECT_EQ(before->properties.at("namesrvAddr"), NameServer());
  EXPECT_FALSE(before->data_version.empty());

  ASSERT_TRUE(Run(admin_->UpdateBrokerConfig(
                      Broker(), {{"fileReservedTime", "24"}, {"maxMessageSize", "2097152"}}))
                  .ok());
  absl::StatusOr<BrokerConfig> after = Run(admin_->GetBrokerConfig(Broker()));
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->properties.at("fileReservedTime"), "24");
  EXPECT_EQ(after->properties.at("maxMessageSize"), "2097152");

  // Blacklisted key: NO_PERMISSION, surfaced as PermissionDenied with the broker's code.
  absl::Status denied = Run(admin_->UpdateBrokerConfig(Broker(), {{"brokerConfigPath", "/x"}}));
  EXPECT_EQ(denied.code(), absl::StatusCode::kPermissionDenied) << denied;
  EXPECT_EQ(RemotingResponseCode(denied), response_code::kNoPermission);
}

TEST_F(AdminIntegrationTest, RuntimeInfoAndClusterInfoAreSane) {
  absl::StatusOr<std::map<std::string, std::string>> info =
      Run(admin_->GetBrokerRuntimeInfo(Broker()));
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->at("brokerVersionDesc").rfind("V5_3_", 0), 0u) << info->at("brokerVersionDesc");
  EXPECT_EQ(info->at("brokerVersion"), "479");
  int64_t boot = 0;
  ASSERT_TRUE(absl::SimpleAtoi(info->at("bootTimestamp"), &boot));
  int64_t now_ms =
      std::chrono::duration_cast<milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  EXPECT_GT(boot, now_ms - int64_t{3600} * 1000);
  EXPECT_LE(boot, now_ms);
  double disk_ratio = -1;
  ASSERT_TRUE(absl::SimpleAtod(info->at("commitLogDiskRatio"), &disk_ratio));
  EXPECT_GE(disk_ratio, 0.0);
  EXPECT_LE(disk_ratio, 1.0);
  EXPECT_TRUE(info->count("putTps") > 0);

  absl::Status registered = env_->WaitForRegistration();
  ASSERT_TRUE(registered.ok()) << registered;
  absl::StatusOr<ClusterInfo> cluster = Run(admin_->GetBrokerClusterInfo(NameServer()));
  ASSERT_TRUE(cluster.ok()) << cluster.status();
  EXPECT_EQ(cluster->clusters.at("TestCluster"), std::vector<std::string>{"broker-a"});
  EXPECT_EQ(cluster->brokers.at("broker-a").broker_addrs.at(0), Broker());
}

// Requests without a signature, or signed with the wrong secret, are refused by the broker; the
// suite's signed requests all pass, so the signature is what the broker computes.
TEST_F(AdminIntegrationTest, AclRejectsUnsignedAndWronglySignedRequests) {
  auto call = [](AclCredentials creds) -> asio::awaitable<absl::Status> {
    auto executor = co_await asio::this_coro::executor;
    ClientOptions options;
    options.credentials = std::move(creds);
    RemotingClient client(executor, options);
    AdminClient admin(client);
    absl::Status s = (co_await admin.GetAllTopicConfig(Broker())).status();
    client.Shutdown();
    co_return s;
  };
  absl::Status unsigned_status = Run(call(AclCredentials{}));
  EXPECT_EQ(unsigned_status.code(), absl::StatusCode::kPermissionDenied) << unsigned_status;
  EXPECT_EQ(RemotingResponseCode(unsigned_status), response_code::kNoPermission);
  absl::Status wrong = Run(call(AclCredentials{"rmqadmin", "not-the-secret", ""}));
  EXPECT_EQ(wrong.code(), absl::StatusCode::kPermissionDenied) << wrong;
  absl::Status right = Run(call(Credentials()));
  EXPECT_TRUE(right.ok()) << right;
}

TEST_F(AdminIntegrationTest, UnreachablePeerIsUnavailable) {
  absl::StatusOr<int> port = testing::FreeLoopbackPort();
  ASSERT_TRUE(port.ok());
  auto r = Run(admin_->GetBrokerRuntimeInfo(absl::StrCat("127.0.0.1:", *port)));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable) << r.status();
}

// The CLI as a person runs it.
TEST_F(AdminIntegrationTest, CliPrintsJson) {
  const char* cli = std::getenv("RMQ_ADMIN_CLI");
  ASSERT_NE(cli, nullptr) << "RMQ_ADMIN_CLI is set by ctest";
  // Credentials from the environment (the way a pod passes a Secret) for most calls.
  const std::string env = "ROCKETMQ_ACCESS_KEY=rmqadmin ROCKETMQ_SECRET_KEY=s3cret-Key ";
  auto run = [&](const std::string& args, int& rc, bool sign = true) {
    std::string cmd = absl::StrCat(sign ? env : "", cli, " ", args, " 2>&1");
    FILE* pipe = ::popen(cmd.c_str(), "r");
    std::string out;
    std::array<char, 4096> buf{};
    while (std::fgets(buf.data(), buf.size(), pipe) != nullptr) out += buf.data();
    rc = WEXITSTATUS(::pclose(pipe));
    return out;
  };
  int rc = -1;
  std::string out = run(absl::StrCat("topic-create --broker ", Broker(),
                                     " --topic CliTopic --read-queues 2 --write-queues 2"),
                        rc);
  EXPECT_EQ(rc, 0) << out;
  out = run(absl::StrCat("topic-get --broker ", Broker(), " --topic CliTopic"), rc);
  ASSERT_EQ(rc, 0) << out;
  absl::StatusOr<Json> j = ParseFastJson(out);
  ASSERT_TRUE(j.ok()) << out;
  EXPECT_EQ((*j)["readQueueNums"], 2);
  out = run(absl::StrCat("topic-get --broker ", Broker(), " --topic NoSuchCliTopic"), rc);
  EXPECT_EQ(rc, 1) << out;
  EXPECT_NE(out.find("NOT_FOUND"), std::string::npos) << out;
  out = run("topic-get", rc);
  EXPECT_EQ(rc, 2) << out;
  out = run(absl::StrCat("topic-list --broker ", Broker()), rc, /*sign=*/false);
  EXPECT_EQ(rc, 1) << out;
  EXPECT_NE(out.find("PERMISSION_DENIED"), std::string::npos) << out;
  out = run(absl::StrCat("topic-get --broker ", Broker(),
                         " --topic CliTopic --access-key rmqadmin --secret-key s3cret-Key"),
            rc, /*sign=*/false);
  EXPECT_EQ(rc, 0) << out;
  out = run(absl::StrCat("cluster-info --namesrv ", NameServer()), rc);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("broker-a"), std::string::npos);
}

}  // namespace
}  // namespace rmq::rocketmq
