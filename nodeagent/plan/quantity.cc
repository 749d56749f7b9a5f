#include "nodeagent/plan/quantity.h"

#include <string>

#include "absl/strings/str_cat.h"

namespace rmq::nodeagent {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

absl::Status Invalid(std::string_view text, std::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat("quantity \"", std::string(text), "\": ", std::string(why)));
}

// The suffix as a power of two and a power of ten; false if it is not one.
bool ParseSuffix(std::string_view suffix, int& pow2, int& pow10) {
  pow2 = 0;
  pow10 = 0;
  if (suffix.empty()) return true;
  if (suffix.size() == 2 && suffix[1] == 'i') {
    constexpr std::string_view kBinary = "KMGTPE";
    const size_t at = kBinary.find(suffix[0]);
    if (at == std::string_view::npos) return false;
    pow2 = 10 * static_cast<int>(at + 1);
    return true;
  }
  if (suffix.size() == 1) {
    switch (suffix[0]) {
      case 'n':
        pow10 = -9;
        return true;
      case 'u':
        pow10 = -6;
        return true;
      case 'm':
        pow10 = -3;
        return true;
      case 'k':
        pow10 = 3;
        return true;
      case 'M':
        pow10 = 6;
        return true;
      case 'G':
        pow10 = 9;
        return true;
      case 'T':
        pow10 = 12;
        return true;
      case 'P':
        pow10 = 15;
        return true;
      case 'E':
        pow10 = 18;
        return true;
      default:
        return false;
    }
  }
  if (suffix[0] != 'e' && suffix[0] != 'E') return false;
  std::string_view exponent = suffix.substr(1);
  bool negative = false;
  if (!exponent.empty() && (exponent[0] == '+' || exponent[0] == '-')) {
    negative = exponent[0] == '-';
    exponent.remove_prefix(1);
  }
  if (exponent.empty() || exponent.size() > 3) return false;
  int value = 0;
  for (const char c : exponent) {
    if (!IsDigit(c)) return false;
    value = value * 10 + (c - '0');
  }
  pow10 = negative ? -value : value;
  return true;
}

}  // namespace

absl::StatusOr<Quantity> ParseQuantity(std::string_view text) {
  std::string_view rest = text;
  bool negative = false;
  if (!rest.empty() && (rest[0] == '+' || rest[0] == '-')) {
    negative = rest[0] == '-';
    rest.remove_prefix(1);
  }
  // Digits, kept exactly up to 36 significant ones; later fraction digits only mark the value
  // as inexact (it is rounded up below), later integer digits are too large anyway.
  constexpr int kMaxSignificant = 36;
  absl::int128 mantissa = 0;
  int digits = 0;
  int significant = 0;
  int fraction_digits = 0;
  bool seen_point = false;
  bool dropped = false;
  size_t i = 0;
  for (; i < rest.size(); ++i) {
    const char c = rest[i];
    if (c == '.' && !seen_point) {
      seen_point = true;
      continue;
    }
    if (!IsDigit(c)) break;
    ++digits;
    if (significant == kMaxSignificant) {
      if (!seen_point) return Invalid(text, "too large");
      dropped = dropped || c != '0';
      continue;
    }
    if (mantissa != 0 || c != '0') ++significant;
    mantissa = mantissa * 10 + (c - '0');
    if (seen_point) ++fraction_digits;
  }
  if (digits == 0) return Invalid(text, "expected a number");
  int pow2 = 0;
  int pow10 = 0;
  if (!ParseSuffix(rest.substr(i), pow2, pow10)) return Invalid(text, "unknown suffix");
  // value = mantissa * 10^(pow10 - fraction_digits) * 2^pow2, in units of 10^-9.
  int scale = pow10 - fraction_digits + 9;
  absl::int128 value = mantissa;
  const absl::int128 limit = absl::int128(1) << 100;  // well above 2^63 * 10^9
  for (; scale > 0; --scale) {
    value *= 10;
    if (value > limit) return Invalid(text, "too large");
  }
  bool inexact = dropped;
  for (; scale < 0 && value != 0; ++scale) {
    inexact = inexact || value % 10 != 0;
    value /= 10;
  }
  if (inexact) value += 1;  // Kubernetes rounds a quantity up to its smallest unit (1n)
  for (int b = 0; b < pow2; ++b) {
    value *= 2;
    if (value > limit) return Invalid(text, "too large");
  }
  const absl::int128 max_units = absl::int128(INT64_MAX) * 1000000000;
  if (value > max_units) return Invalid(text, "too large");
  return Quantity{.nanos = negative ? -value : value};
}

int64_t CeilDiv(Quantity value, Quantity divisor) {
  absl::int128 quotient = value.nanos / divisor.nanos;
  if (value.nanos % divisor.nanos != 0 && value.nanos > 0) quotient += 1;
  return static_cast<int64_t>(quotient);
}

}  // namespace rmq::nodeagent
