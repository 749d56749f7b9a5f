#include "common/rocketmq/remoting/acl.h"

#include <gtest/gtest.h>

#include "common/rocketmq/remoting/codes.h"

namespace rmq::rocketmq {
namespace {

// RFC 2202 test case 2.
TEST(AclTest, HmacSha1MatchesRfc2202) {
  EXPECT_EQ(HmacSha1Base64("Jefe", "what do ya want for nothing?"), "7/zfauXrL6LSdBbV8YTfnCWafHk=");
}

// rocketmq-protocol.md §5: a request signed by Java for the default plain_acl.yml account.
TEST(AclTest, SignsLikeTheJavaClient) {
  RemotingCommand cmd = RemotingCommand::Request(request_code::kGetRouteInfoByTopic);
  cmd.ext_fields["topic"] = "TBW102";
  SignRequest(cmd, AclCredentials{"rocketmq2", "12345678", ""});
  EXPECT_EQ(cmd.ext_fields.at("AccessKey"), "rocketmq2");
  EXPECT_EQ(SignatureContent(cmd), "rocketmq2TBW102");
  EXPECT_EQ(cmd.ext_fields.at("Signature"), "/u5P/wZUbhjanu4LM/UzEdo2u2I=");
}

// §1.8 Example E.
TEST(AclTest, SignsDeleteTopicExample) {
  RemotingCommand cmd = RemotingCommand::Request(request_code::kDeleteTopicInBroker);
  cmd.ext_fields["topic"] = "TopicTest";
  SignRequest(cmd, AclCredentials{"rocketmq2", "12345678", ""});
  EXPECT_EQ(cmd.ext_fields.at("Signature"), "GeeGoP9mRvDhoVp4PD5omX0prgE=");
}

TEST(AclTest, BodyIsSignedAfterSortedValuesAndResigningIsStable) {
  RemotingCommand cmd = RemotingCommand::Request(request_code::kUpdateBrokerConfig);
  cmd.ext_fields["b"] = "2";
  cmd.ext_fields["a"] = "1";
  cmd.body = "k=v\n";
  AclCredentials creds{"AK", "SK", "token"};
  SignRequest(cmd, creds);
  // Byte order: uppercase keys first.
  EXPECT_EQ(SignatureContent(cmd), "AKtoken12k=v\n");
  std::string first = cmd.ext_fields.at("Signature");
  EXPECT_EQ(first, HmacSha1Base64("SK", "AKtoken12k=v\n"));
  SignRequest(cmd, creds);  // the old Signature is not signed
  EXPECT_EQ(cmd.ext_fields.at("Signature"), first);
}

TEST(AclTest, DisabledCredentialsLeaveRequestAlone) {
  RemotingCommand cmd = RemotingCommand::Request(request_code::kGetBrokerClusterInfo);
  SignRequest(cmd, AclCredentials{});
  EXPECT_TRUE(cmd.ext_fields.empty());
}

}  // namespace
}  // namespace rmq::rocketmq
