// IpAllocator: usable addresses only, next-fit reuse order, adoption after a restart, exhaustion.
#include "nodeagent/sandbox/ip_allocator.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace rmq::nodeagent {
namespace {

TEST(Ipv4Test, ParsesAndFormatsDottedQuads) {
  EXPECT_EQ(ParseIpv4("10.244.0.1"), 0x0af40001U);
  EXPECT_EQ(ParseIpv4("0.0.0.0"), 0U);
  EXPECT_EQ(ParseIpv4("255.255.255.255"), 0xffffffffU);
  EXPECT_EQ(FormatIpv4(0x0af40001U), "10.244.0.1");
  for (const char* bad : {"", "10.244.0", "10.244.0.1.2", "10.244.0.256", "10.244..1", " 10.0.0.1",
                          "10.0.0.1 ", "10.0.0.-1", "10.0.0.+1", "10.0.0.0001", "::1", "a.b.c.d"}) {
    EXPECT_FALSE(ParseIpv4(bad).has_value()) << bad;
  }
}

TEST(Ipv4Test, ParsesCidrs) {
  absl::StatusOr<Ipv4Cidr> cidr = ParseIpv4Cidr("10.244.0.0/16");
  ASSERT_TRUE(cidr.ok()) << cidr.status();
  EXPECT_EQ(cidr->prefix_len, 16);
  EXPECT_EQ(FormatIpv4(cidr->Broadcast()), "10.244.255.255");
  EXPECT_TRUE(cidr->Contains(*ParseIpv4("10.244.3.4")));
  EXPECT_FALSE(cidr->Contains(*ParseIpv4("10.245.0.1")));
  EXPECT_EQ(cidr->ToString(), "10.244.0.0/16");
  EXPECT_EQ(ParseIpv4Cidr("0.0.0.0/0")->Mask(), 0U);
  EXPECT_EQ(ParseIpv4Cidr("10.0.0.1/32")->Mask(), 0xffffffffU);
  for (const char* bad : {"10.244.0.0", "10.244.0.1/16", "10.244.0.0/33", "10.244.0.0/",
                          "10.244.0.0/-1", "10.244.0.0/1a", "x/16"}) {
    EXPECT_EQ(ParseIpv4Cidr(bad).status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

TEST(IpAllocatorTest, RejectsBadRanges) {
  EXPECT_FALSE(IpAllocator::Create("10.244.0.0/31", "10.244.0.1").ok());
  EXPECT_FALSE(IpAllocator::Create("10.244.0.0/16", "10.245.0.1").ok());
  EXPECT_FALSE(IpAllocator::Create("10.244.0.0/16", "10.244.0.0").ok());      // network
  EXPECT_FALSE(IpAllocator::Create("10.244.0.0/16", "10.244.255.255").ok());  // broadcast
  EXPECT_FALSE(IpAllocator::Create("10.244.0.0/16", "gateway").ok());
  EXPECT_TRUE(IpAllocator::Create("10.244.0.0/30", "10.244.0.1").ok());
}

TEST(IpAllocatorTest, SkipsNetworkGatewayAndBroadcast) {
  absl::StatusOr<IpAllocator> alloc = IpAllocator::Create("10.245.7.0/29", "10.245.7.1");
  ASSERT_TRUE(alloc.ok()) << alloc.status();
  EXPECT_EQ(alloc->available(), 5U);  // .2 - .6
  std::set<std::string> got;
  for (int i = 0; i < 5; ++i) {
    absl::StatusOr<std::string> ip = alloc->Allocate();
    ASSERT_TRUE(ip.ok()) << ip.status();
    got.insert(*ip);
  }
  EXPECT_EQ(got, (std::set<std::string>{"10.245.7.2", "10.245.7.3", "10.245.7.4", "10.245.7.5",
                                        "10.245.7.6"}));
  absl::StatusOr<std::string> none = alloc->Allocate();
  EXPECT_EQ(none.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(alloc->available(), 0U);
}

TEST(IpAllocatorTest, GatewayInTheMiddleIsSkipped) {
  absl::StatusOr<IpAllocator> alloc = IpAllocator::Create("10.0.0.0/29", "10.0.0.3");
  ASSERT_TRUE(alloc.ok()) << alloc.status();
  std::vector<std::string> got;
  got.reserve(5);
  for (int i = 0; i < 5; ++i) got.push_back(*alloc->Allocate());
  EXPECT_EQ(got,
            (std::vector<std::string>{"10.0.0.1", "10.0.0.2", "10.0.0.4", "10.0.0.5", "10.0.0.6"}));
}

TEST(IpAllocatorTest, ReleasedAddressesAreReusedLast) {
  absl::StatusOr<IpAllocator> alloc = IpAllocator::Create("10.245.7.0/29", "10.245.7.1");
  ASSERT_TRUE(alloc.ok());
  EXPECT_EQ(*alloc->Allocate(), "10.245.7.2");
  EXPECT_EQ(*alloc->Allocate(), "10.245.7.3");
  EXPECT_TRUE(alloc->Release("10.245.7.2"));
  EXPECT_FALSE(alloc->Release("10.245.7.2"));  // not taken any more
  EXPECT_FALSE(alloc->InUse("10.245.7.2"));
  // Next-fit: .4, .5, .6 first, then wraps around to the released .2.
  EXPECT_EQ(*alloc->Allocate(), "10.245.7.4");
  EXPECT_EQ(*alloc->Allocate(), "10.245.7.5");
  EXPECT_EQ(*alloc->Allocate(), "10.245.7.6");
  EXPECT_EQ(*alloc->Allocate(), "10.245.7.2");
  EXPECT_FALSE(alloc->Allocate().ok());
}

TEST(IpAllocatorTest, AdoptsSurvivingAddresses) {
  absl::StatusOr<IpAllocator> alloc = IpAllocator::Create("10.244.0.0/16", "10.244.0.1");
  ASSERT_TRUE(alloc.ok());
  ASSERT_TRUE(alloc->Adopt("10.244.0.2").ok());
  ASSERT_TRUE(alloc->Adopt("10.244.0.3").ok());
  EXPECT_EQ(alloc->Adopt("10.244.0.3").code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(alloc->Adopt("10.244.0.1").code(), absl::StatusCode::kInvalidArgument);  // gateway
  EXPECT_EQ(alloc->Adopt("10.244.0.0").code(), absl::StatusCode::kInvalidArgument);  // network
  EXPECT_EQ(alloc->Adopt("10.244.255.255").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(alloc->Adopt("10.245.0.2").code(), absl::StatusCode::kInvalidArgument);  // outside
  EXPECT_EQ(alloc->Adopt("nonsense").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(alloc->InUse("10.244.0.3"));
  EXPECT_EQ(alloc->in_use(), 2U);
  EXPECT_EQ(alloc->available(), 65536U - 3 - 2);
  EXPECT_EQ(*alloc->Allocate(), "10.244.0.4");  // past the adopted ones
}

TEST(IpAllocatorTest, FillsASlash16AndWrapsAround) {
  absl::StatusOr<IpAllocator> alloc = IpAllocator::Create("10.244.0.0/16", "10.244.0.1");
  ASSERT_TRUE(alloc.ok());
  std::set<std::string> seen;
  for (size_t i = 0; i < 65533; ++i) {
    absl::StatusOr<std::string> ip = alloc->Allocate();
    ASSERT_TRUE(ip.ok()) << i << ": " << ip.status();
    ASSERT_TRUE(seen.insert(*ip).second) << *ip;
  }
  EXPECT_EQ(seen.count("10.244.0.0"), 0U);
  EXPECT_EQ(seen.count("10.244.0.1"), 0U);
  EXPECT_EQ(seen.count("10.244.255.255"), 0U);
  EXPECT_FALSE(alloc->Allocate().ok());
  EXPECT_TRUE(alloc->Release("10.244.128.7"));
  EXPECT_EQ(*alloc->Allocate(), "10.244.128.7");
}

}  // namespace
}  // namespace rmq::nodeagent
