#include "common/rocketmq/remoting/fastjson.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

#include "absl/strings/str_cat.h"

namespace rmq::rocketmq {
namespace {

using nlohmann::json;

void AppendUtf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

constexpr uint32_t kReplacementChar = 0xFFFD;

// Length of the valid UTF-8 sequence starting at s[i], or 0 if it is invalid.
size_t ValidUtf8Length(std::string_view s, size_t i) {
  auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = byte(i);
  size_t n = 0;
  uint32_t min = 0;
  uint32_t cp = 0;
  if (c < 0x80) return 1;
  if ((c & 0xE0) == 0xC0) {
    n = 2, min = 0x80, cp = c & 0x1F;
  } else if ((c & 0xF0) == 0xE0) {
    n = 3, min = 0x800, cp = c & 0x0F;
  } else if ((c & 0xF8) == 0xF0) {
    n = 4, min = 0x10000, cp = c & 0x07;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (byte(i + k) & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return n;
}

class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  absl::StatusOr<json> ParseDocument() {
    json value;
    if (absl::Status s = ParseValue(value, 0); !s.ok()) return s;
    SkipWhitespace();
    if (pos_ != text_.size()) return Error("unexpected data after the JSON value");
    return value;
  }

 private:
  absl::Status Error(absl::string_view what) const {
    return absl::InvalidArgumentError(absl::StrCat("invalid JSON at byte ", pos_, ": ", what));
  }

  void SkipWhitespace() {
    while (pos_ < text_.size()) {
      char c = text_[pos_];
      if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
      ++pos_;
    }
  }

  bool Consume(std::string_view word) {
    if (text_.substr(pos_, word.size()) == word) {
      pos_ += word.size();
      return true;
    }
    return false;
  }

  absl::Status ParseValue(json& out, int depth) {
    if (depth > kMaxJsonDepth) return Error("nesting too deep");
    SkipWhitespace();
    if (pos_ >= text_.size()) return Error("unexpected end of input");
    char c = text_[pos_];
    switch (c) {
      case '{':
        return ParseObject(out, depth);
      case '[':
        return ParseArray(out, depth);
      case '"': {
        std::string s;
        if (absl::Status st = ParseString(s); !st.ok()) return st;
        out = std::move(s);
        return absl::OkStatus();
      }
      case 't':
        if (Consume("true")) return out = true, absl::OkStatus();
        break;
      case 'f':
        if (Consume("false")) return out = false, absl::OkStatus();
        break;
      case 'n':
        if (Consume("null")) return out = nullptr, absl::OkStatus();
        break;
      case 'N':
        if (Consume("NaN")) return out = std::numeric_limits<double>::quiet_NaN(), absl::OkStatus();
        break;
      case 'I':
        if (Consume("Infinity")) {
          return out = std::numeric_limits<double>::infinity(), absl::OkStatus();
        }
        break;
      default:
        if (c == '-' || (c >= '0' && c <= '9')) return ParseNumber(out);
        break;
    }
    return Error(absl::StrCat("unexpected character '", std::string(1, c), "'"));
  }

  absl::Status ParseNumber(json& out) {
    size_t start = pos_;
    if (text_[pos_] == '-') {
      ++pos_;
      if (Consume("Infinity")) {
        out = -std::numeric_limits<double>::infinity();
        return absl::OkStatus();
      }
    }
    size_t digits_start = pos_;
    while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') ++pos_;
    if (pos_ == digits_start) return Error("a number needs digits");
    bool is_integer = true;
    if (pos_ < text_.size() && text_[pos_] == '.') {
      is_integer = false;
      ++pos_;
      size_t frac_start = pos_;
      while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') ++pos_;
      if (pos_ == frac_start) return Error("a fraction needs digits");
    }
    if (pos_ < text_.size() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
      is_integer = false;
      ++pos_;
      if (pos_ < text_.size() && (text_[pos_] == '+' || text_[pos_] == '-')) ++pos_;
      size_t exp_start = pos_;
      while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') ++pos_;
      if (pos_ == exp_start) return Error("an exponent needs digits");
    }
    std::string literal(text_.substr(start, pos_ - start));
    if (is_integer) {
      // Accumulate in unsigned 64 bits; fall back to double only past uint64.
      bool negative = literal[0] == '-';
      uint64_t magnitude = 0;
      bool overflow = false;
      for (size_t i = negative ? 1 : 0; i < literal.size(); ++i) {
        auto digit = static_cast<uint64_t>(literal[i] - '0');
        if (magnitude > (std::numeric_limits<uint64_t>::max() - digit) / 10) {
          overflow = true;
          break;
        }
        magnitude = magnitude * 10 + digit;
      }
      if (!overflow) {
        constexpr uint64_t kMaxNegative = static_cast<uint64_t>(1) << 63;
        if (!negative && magnitude <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
          out = static_cast<int64_t>(magnitude);
          return absl::OkStatus();
        }
        if (!negative) {
          out = magnitude;
          return absl::OkStatus();
        }
        if (magnitude < kMaxNegative) {
          out = -static_cast<int64_t>(magnitude);
          return absl::OkStatus();
        }
        if (magnitude == kMaxNegative) {
          out = std::numeric_limits<int64_t>::min();
          return absl::OkStatus();
        }
      }
    }
    char* end = nullptr;
    double d = std::strtod(literal.c_str(), &end);
    if (end != literal.c_str() + literal.size()) return Error("bad number");
    out = d;
    return absl::OkStatus();
  }

  absl::Status ParseHex4(uint32_t& out) {
    if (pos_ + 4 > text_.size()) return Error("truncated \\u escape");
    out = 0;
    for (int i = 0; i < 4; ++i) {
      char c = text_[pos_++];
      out <<= 4;
      if (c >= '0' && c <= '9') {
        out |= static_cast<uint32_t>(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        out |= static_cast<uint32_t>(c - 'a' + 10);
      } else if (c >= 'A' && c <= 'F') {
        out |= static_cast<uint32_t>(c - 'A' + 10);
      } else {
        return Error("bad \\u escape");
      }
    }
    return absl::OkStatus();
  }

  absl::Status ParseString(std::string& out) {
    ++pos_;  // opening quote
    while (true) {
      if (pos_ >= text_.size()) return Error("unterminated string");
      char c = text_[pos_];
      if (c == '"') {
        ++pos_;
        return absl::OkStatus();
      }
      if (c != '\\') {
        size_t n = ValidUtf8Length(text_, pos_);
        if (n == 0) {
          AppendUtf8(out, kReplacementChar);
          ++pos_;
        } else {
          out.append(text_.substr(pos_, n));
          pos_ += n;
        }
        continue;
      }
      ++pos_;
      if (pos_ >= text_.size()) return Error("unterminated escape");
      char e = text_[pos_++];
      switch (e) {
        case '"':
          out.push_back('"');
          break;
        case '\\':
          out.push_back('\\');
          break;
        case '/':
          out.push_back('/');
          break;
        case 'b':
          out.push_back('\b');
          break;
        case 'f':
          out.push_back('\f');
          break;
        case 'n':
          out.push_back('\n');
          break;
        case 'r':
          out.push_back('\r');
          break;
        case 't':
          out.push_back('\t');
          break;
        case 'u': {
          uint32_t cp = 0;
          if (absl::Status s = ParseHex4(cp); !s.ok()) return s;
          if (cp >= 0xD800 && cp <= 0xDBFF && text_.substr(pos_, 2) == "\\u") {
            size_t save = pos_;
            pos_ += 2;
            uint32_t low = 0;
            if (absl::Status s = ParseHex4(low); !s.ok()) return s;
            if (low >= 0xDC00 && low <= 0xDFFF) {
              cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
            } else {
              pos_ = save;  // Lone high surrogate; the next escape stands alone.
            }
          }
          if (cp >= 0xD800 && cp <= 0xDFFF) cp = kReplacementChar;
          AppendUtf8(out, cp);
          break;
        }
        default:
          return Error("bad escape");
      }
    }
  }

  // An object key: a string, a bare integer, or an inline object/array (kept as raw text).
  absl::Status ParseKey(std::string& key, int depth) {
    SkipWhitespace();
    if (pos_ >= text_.size()) return Error("unexpected end of input in object");
    char c = text_[pos_];
    if (c == '"') return ParseString(key);
    if (c == '-' || (c >= '0' && c <= '9')) {
      size_t start = pos_;
      if (c == '-') ++pos_;
      size_t digits = pos_;
      while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') ++pos_;
      if (pos_ == digits) return Error("bad numeric key");
      key.assign(text_.substr(start, pos_ - start));
      return absl::OkStatus();
    }
    if (c == '{' || c == '[') {
      size_t start = pos_;
      json ignored;
      if (absl::Status s = ParseValue(ignored, depth + 1); !s.ok()) return s;
      key.assign(text_.substr(start, pos_ - start));
      return absl::OkStatus();
    }
    return Error("bad object key");
  }

  absl::Status ParseObject(json& out, int depth) {
    ++pos_;  // '{'
    out = json::object();
    SkipWhitespace();
    if (pos_ < text_.size() && text_[pos_] == '}') {
      ++pos_;
      return absl::OkStatus();
    }
    while (true) {
      std::string key;
      if (absl::Status s = ParseKey(key, depth); !s.ok()) return s;
      SkipWhitespace();
      if (pos_ >= text_.size() || text_[pos_] != ':') return Error("expected ':'");
      ++pos_;
      json value;
      if (absl::Status s = ParseValue(value, depth + 1); !s.ok()) return s;
      out[key] = std::move(value);
      SkipWhitespace();
      if (pos_ >= text_.size()) return Error("unterminated object");
      if (text_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (text_[pos_] == '}') {
        ++pos_;
        return absl::OkStatus();
      }
      return Error("expected ',' or '}'");
    }
  }

  absl::Status ParseArray(json& out, int depth) {
    ++pos_;  // '['
    out = json::array();
    SkipWhitespace();
    if (pos_ < text_.size() && text_[pos_] == ']') {
      ++pos_;
      return absl::OkStatus();
    }
    while (true) {
      json value;
      if (absl::Status s = ParseValue(value, depth + 1); !s.ok()) return s;
      out.push_back(std::move(value));
      SkipWhitespace();
      if (pos_ >= text_.size()) return Error("unterminated array");
      if (text_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (text_[pos_] == ']') {
        ++pos_;
        return absl::OkStatus();
      }
      return Error("expected ',' or ']'");
    }
  }

  std::string_view text_;
  size_t pos_ = 0;
};

}  // namespace

absl::StatusOr<nlohmann::json> ParseFastJson(std::string_view text) {
  return Parser(text).ParseDocument();
}

absl::StatusOr<nlohmann::json> ParseObjectKey(std::string_view key) {
  auto parsed = ParseFastJson(key);
  if (!parsed.ok()) return parsed.status();
  if (!parsed->is_object()) return absl::InvalidArgumentError("map key is not an object");
  return parsed;
}

std::string DumpJson(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace rmq::rocketmq
