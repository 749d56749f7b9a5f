// Pod network names: derived from the UID, within the interface name limit, validated.
#include "nodeagent/sandbox/names.h"

#include <gtest/gtest.h>

#include <string>

namespace rmq::nodeagent {
namespace {

TEST(PodNetworkNamesTest, DerivesFromTheUidWithoutDashes) {
  absl::StatusOr<PodNetworkNames> names =
      PodNetworkNamesFor("3F2A9C1E-5b7d-4e0f-9a8b-0c1d2e3f4a5b");
  ASSERT_TRUE(names.ok()) << names.status();
  EXPECT_EQ(names->netns, "rmqpod-3f2a9c1e5b7d4e0f9a8b0c1d2e3f4a5b");
  EXPECT_EQ(names->host_veth, "rmqv3f2a9c1e5b7");
  EXPECT_EQ(names->host_veth.size(), kMaxInterfaceNameLength);
}

TEST(PodNetworkNamesTest, CustomPrefixesKeepTheVethWithin15Bytes) {
  absl::StatusOr<PodNetworkNames> names =
      PodNetworkNamesFor("0123456789abcdef", {.netns = "rmqt-1a2b-", .veth = "t1a2b-v"});
  ASSERT_TRUE(names.ok()) << names.status();
  EXPECT_EQ(names->netns, "rmqt-1a2b-0123456789abcdef");
  EXPECT_EQ(names->host_veth, "t1a2b-v01234567");
  EXPECT_TRUE(IsValidInterfaceName(names->host_veth));

  absl::StatusOr<PodNetworkNames> bare = PodNetworkNamesFor("0123456789abcdef", {.veth = ""});
  ASSERT_TRUE(bare.ok()) << bare.status();
  EXPECT_EQ(bare->host_veth, "0123456789abcde");
}

TEST(PodNetworkNamesTest, RejectsBadUidsAndPrefixes) {
  EXPECT_EQ(PodNetworkNamesFor("").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(PodNetworkNamesFor("abc-123").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(PodNetworkNamesFor("0123456789/abcdef").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(PodNetworkNamesFor("0123 456789abcdef").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(PodNetworkNamesFor("0123456789abcdef", {.veth = "toolongpfx"}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(PodNetworkNamesFor("0123456789abcdef", {.netns = "a/b-"}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(PodNetworkNamesFor("0123456789abcdef", {.veth = "a:b"}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(NameValidationTest, InterfaceNames) {
  EXPECT_TRUE(IsValidInterfaceName("eth0"));
  EXPECT_TRUE(IsValidInterfaceName("rmqv3f2a9c1e5b7"));
  EXPECT_FALSE(IsValidInterfaceName("rmqv3f2a9c1e5b7x"));  // 16 bytes
  EXPECT_FALSE(IsValidInterfaceName(""));
  EXPECT_FALSE(IsValidInterfaceName("."));
  EXPECT_FALSE(IsValidInterfaceName(".."));
  EXPECT_FALSE(IsValidInterfaceName("a/b"));
  EXPECT_FALSE(IsValidInterfaceName("a:b"));
  EXPECT_FALSE(IsValidInterfaceName("a b"));
  EXPECT_FALSE(IsValidInterfaceName("a\nb"));
}

TEST(NameValidationTest, NetnsNames) {
  EXPECT_TRUE(IsValidNetnsName("rmqpod-3f2a9c1e5b7d4e0f9a8b0c1d2e3f4a5b"));
  EXPECT_TRUE(IsValidNetnsName(std::string(255, 'a')));
  EXPECT_FALSE(IsValidNetnsName(std::string(256, 'a')));
  EXPECT_FALSE(IsValidNetnsName(""));
  EXPECT_FALSE(IsValidNetnsName(".."));
  EXPECT_FALSE(IsValidNetnsName("../etc"));
  EXPECT_FALSE(IsValidNetnsName("a b"));
}

}  // namespace
}  // namespace rmq::nodeagent
