#include "common/rocketmq/admin/properties.h"

#include <cstdio>

#include "absl/strings/str_cat.h"

namespace rmq::rocketmq {
namespace {

// Decodes one UTF-8 code point starting at s[i]; invalid bytes decode as themselves (Latin-1).
uint32_t NextCodePoint(std::string_view s, size_t& i) {
  auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = b(i);
  int n = c < 0x80             ? 1
          : (c & 0xE0) == 0xC0 ? 2
          : (c & 0xF0) == 0xE0 ? 3
          : (c & 0xF8) == 0xF0 ? 4
                               : 0;
  if (n <= 1 || i + static_cast<size_t>(n) > s.size()) {
    ++i;
    return c;
  }
  uint32_t cp = c & (0xFF >> (n + 1));
  for (int k = 1; k < n; ++k) {
    if ((b(i + k) & 0xC0) != 0x80) {
      ++i;
      return c;
    }
    cp = (cp << 6) | (b(i + k) & 0x3F);
  }
  i += static_cast<size_t>(n);
  return cp;
}

void AppendUnicodeEscape(std::string& out, uint32_t unit) {
  char buf[8];
  std::snprintf(buf, sizeof(buf), "\\u%04X", unit & 0xFFFF);
  out.append(buf);
}

void Escape(std::string& out, std::string_view s, bool is_key) {
  for (size_t i = 0; i < s.size();) {
    size_t start = i;
    uint32_t cp = NextCodePoint(s, i);
    switch (cp) {
      case '\\':
        out.append("\\\\");
        continue;
      case '\n':
        out.append("\\n");
        continue;
      case '\r':
        out.append("\\r");
        continue;
      case '\t':
        out.append("\\t");
        continue;
      case '\f':
        out.append("\\f");
        continue;
      case '=':
      case ':':
      case '#':
      case '!':
        out.push_back('\\');
        out.push_back(static_cast<char>(cp));
        continue;
      case ' ':
        if (is_key || start == 0) out.push_back('\\');
        out.push_back(' ');
        continue;
      default:
        break;
    }
    if (cp >= 0x20 && cp < 0x7F) {
      out.push_back(static_cast<char>(cp));
    } else if (cp > 0xFFFF) {
      uint32_t v = cp - 0x10000;
      AppendUnicodeEscape(out, 0xD800 + (v >> 10));
      AppendUnicodeEscape(out, 0xDC00 + (v & 0x3FF));
    } else {
      AppendUnicodeEscape(out, cp);
    }
  }
}

}  // namespace

absl::StatusOr<std::string> EncodeProperties(const std::map<std::string, std::string>& props) {
  std::string out;
  for (const auto& [k, v] : props) {
    if (k.empty()) return absl::InvalidArgumentError("a property key is empty");
    Escape(out, k, true);
    out.push_back('=');
    Escape(out, v, false);
    out.push_back('\n');
  }
  return out;
}

std::map<std::string, std::string> ParseProperties(std::string_view text) {
  std::map<std::string, std::string> out;
  auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\f'; };
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    start = end + 1;
    while (!line.empty() && is_space(line.front())) line.remove_prefix(1);
    while (!line.empty() && is_space(line.back())) line.remove_suffix(1);
    if (line.empty() || line[0] == '#' || line[0] == '!') continue;
    size_t eq = line.find('=');
    if (eq == std::string_view::npos) {
      out[std::string(line)] = "";
    } else {
      out[std::string(line.substr(0, eq))] = std::string(line.substr(eq + 1));
    }
  }
  return out;
}

}  // namespace rmq::rocketmq
