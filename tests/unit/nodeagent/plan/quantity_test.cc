// Resource quantities: the grammar, exact values, and resourceFieldRef rounding.
#include "nodeagent/plan/quantity.h"

#include <gtest/gtest.h>

namespace rmq::nodeagent {
namespace {

absl::int128 Nanos(std::string_view text) {
  absl::StatusOr<Quantity> q = ParseQuantity(text);
  EXPECT_TRUE(q.ok()) << text << ": " << q.status();
  return q.ok() ? q->nanos : absl::int128(-1);
}

int64_t Div(std::string_view value, std::string_view divisor) {
  return CeilDiv(*ParseQuantity(value), *ParseQuantity(divisor));
}

constexpr int64_t kGiga = 1000000000;

TEST(QuantityTest, DecimalAndBinarySuffixes) {
  EXPECT_EQ(Nanos("1"), kGiga);
  EXPECT_EQ(Nanos("500m"), kGiga / 2);
  EXPECT_EQ(Nanos("1k"), absl::int128(1000) * kGiga);
  EXPECT_EQ(Nanos("2M"), absl::int128(2000000) * kGiga);
  EXPECT_EQ(Nanos("1Ki"), absl::int128(1024) * kGiga);
  EXPECT_EQ(Nanos("1Gi"), absl::int128(1073741824) * kGiga);
  EXPECT_EQ(Nanos("3n"), 3);
  EXPECT_EQ(Nanos("7u"), 7000);
  EXPECT_EQ(Nanos("1E"), absl::int128(1000000000000000000) * kGiga);
}

TEST(QuantityTest, FractionsSignsAndExponents) {
  EXPECT_EQ(Nanos("1.5"), kGiga + kGiga / 2);
  EXPECT_EQ(Nanos(".5"), kGiga / 2);
  EXPECT_EQ(Nanos("0.5Gi"), absl::int128(536870912) * kGiga);
  EXPECT_EQ(Nanos("+2"), 2 * kGiga);
  EXPECT_EQ(Nanos("-2"), -2 * kGiga);
  EXPECT_EQ(Nanos("1e3"), absl::int128(1000) * kGiga);
  EXPECT_EQ(Nanos("1E-3"), kGiga / 1000);
  EXPECT_EQ(Nanos("0"), 0);
  EXPECT_EQ(Nanos("000100m"), kGiga / 10);
}

TEST(QuantityTest, BelowOneNanoRoundsUp) {
  EXPECT_EQ(Nanos("0.1n"), 1);
  EXPECT_EQ(Nanos("1.0000000001"), kGiga + 1);
}

TEST(QuantityTest, RejectsWhatIsNotAQuantity) {
  for (const char* bad : {"", "m", "1x", "1KB", "1ki", "1.2.3", "--1", "1e", "1e1000", "abc",
                          "1 Gi", "99999999999999999999999999999999999999"}) {
    EXPECT_FALSE(ParseQuantity(bad).ok()) << bad;
  }
  EXPECT_EQ(ParseQuantity("1x").status().message(), "quantity \"1x\": unknown suffix");
}

TEST(QuantityTest, CeilDivRoundsUpAsTheKubeletDoes) {
  EXPECT_EQ(Div("500m", "1"), 1);
  EXPECT_EQ(Div("1500m", "1"), 2);
  EXPECT_EQ(Div("2", "1"), 2);
  EXPECT_EQ(Div("100m", "1m"), 100);
  EXPECT_EQ(Div("1Gi", "1Mi"), 1024);
  EXPECT_EQ(Div("1Gi", "1M"), 1074);
  EXPECT_EQ(Div("128974848", "1"), 128974848);
  EXPECT_EQ(Div("0", "1"), 0);
}

}  // namespace
}  // namespace rmq::nodeagent
