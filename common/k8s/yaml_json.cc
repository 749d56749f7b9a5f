#include "common/k8s/yaml_json.h"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <sstream>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"

namespace rmq::k8s {
namespace {

constexpr int kMaxDepth = 256;
// Output budget, in approximate bytes: every node costs kNodeCost plus its text.
constexpr size_t kBaseBudget = size_t{4} * 1024 * 1024;
constexpr size_t kBudgetPerInputByte = 16;
constexpr size_t kNodeCost = 16;

constexpr char kCoreTagPrefix[] = "tag:yaml.org,2002:";
constexpr char kMergeTag[] = "tag:yaml.org,2002:merge";

// "line L, column C" (1-based) of a yaml-cpp mark in a document that starts `first_line` lines
// (0-based) into the stream.
std::string Where(const YAML::Mark& mark, int first_line) {
  if (mark.is_null() || mark.line < 0) return "unknown position";
  return absl::StrCat("line ", first_line + mark.line + 1, ", column ", mark.column + 1);
}

absl::Status ErrorAtMark(const YAML::Mark& mark, int first_line, const std::string& message) {
  return absl::InvalidArgumentError(absl::StrCat(Where(mark, first_line), ": ", message));
}

// For error messages: the scalar, cut to a readable length.
std::string Quoted(std::string_view text) {
  constexpr size_t kMax = 40;
  if (text.size() <= kMax) return absl::StrCat("\"", std::string(text), "\"");
  return absl::StrCat("\"", std::string(text.substr(0, kMax)), "...\"");
}

// Strict UTF-8, as nlohmann::json's serializer wants it: no overlong forms, no surrogates,
// nothing above U+10FFFF.
bool IsValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t extra = 0;
    uint32_t cp = 0;
    uint32_t min = 0;
    if ((c & 0xE0) == 0xC0) {
      extra = 1, cp = c & 0x1F, min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
      extra = 2, cp = c & 0x0F, min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
      extra = 3, cp = c & 0x07, min = 0x10000;
    } else {
      return false;
    }
    if (s.size() - i <= extra) return false;
    for (size_t k = 1; k <= extra; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += extra + 1;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// Plain scalar resolution, as go-yaml v2's resolve() (the fork inside sigs.k8s.io/yaml) does it.

enum class IntResult { kOk, kSyntax, kRange };

int DigitValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'z') return c - 'a' + 10;
  if (c >= 'A' && c <= 'Z') return c - 'A' + 10;
  return 99;
}

// Go's strconv.ParseUint(s, 0, 64): 0x/0o/0b prefixes (either case), a leading 0 for octal.
IntResult ParseGoUint(std::string_view s, uint64_t& out) {
  if (s.empty()) return IntResult::kSyntax;
  int base = 10;
  if (s[0] == '0') {
    const char p = s.size() >= 3 ? static_cast<char>(s[1] | 0x20) : '\0';
    if (p == 'b' || p == 'o' || p == 'x') {
      base = p == 'b' ? 2 : p == 'o' ? 8 : 16;
      s.remove_prefix(2);
    } else {
      base = 8;
      s.remove_prefix(1);
    }
  }
  uint64_t n = 0;
  bool overflow = false;
  for (const char c : s) {
    const int d = DigitValue(c);
    if (d >= base) return IntResult::kSyntax;
    const auto b = static_cast<uint64_t>(base);
    const auto digit = static_cast<uint64_t>(d);
    if (n > (std::numeric_limits<uint64_t>::max() - digit) / b) overflow = true;
    if (!overflow) n = n * b + digit;
  }
  if (overflow) return IntResult::kRange;
  out = n;
  return IntResult::kOk;
}

// Go's strconv.ParseInt(s, 0, 64).
IntResult ParseGoInt(std::string_view s, int64_t& out) {
  bool negative = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  uint64_t magnitude = 0;
  const IntResult r = ParseGoUint(s, magnitude);
  if (r != IntResult::kOk) return r;
  constexpr uint64_t kLimit = uint64_t{1} << 63;
  if (negative) {
    if (magnitude > kLimit) return IntResult::kRange;
    out = magnitude == kLimit ? std::numeric_limits<int64_t>::min()
                              : -static_cast<int64_t>(magnitude);
  } else {
    if (magnitude >= kLimit) return IntResult::kRange;
    out = static_cast<int64_t>(magnitude);
  }
  return IntResult::kOk;
}

bool AllDigits(std::string_view s) {
  if (s.empty()) return false;
  for (const char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$
bool IsYamlStyleFloat(std::string_view s) {
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) s.remove_prefix(1);
  const size_t e = s.find_first_of("eE");
  if (e != std::string_view::npos) {
    std::string_view exponent = s.substr(e + 1);
    if (!exponent.empty() && (exponent[0] == '-' || exponent[0] == '+')) exponent.remove_prefix(1);
    if (!AllDigits(exponent)) return false;
    s = s.substr(0, e);
  }
  const size_t dot = s.find('.');
  if (dot == std::string_view::npos) return AllDigits(s);
  if (dot == 0) return AllDigits(s.substr(1));
  const std::string_view fraction = s.substr(dot + 1);
  return AllDigits(s.substr(0, dot)) && (fraction.empty() || AllDigits(fraction));
}

// A decimal float known to be well formed; nullopt when it overflows (Go's ParseFloat fails
// with ErrRange there); an underflow gives a signed zero, as in Go.
std::optional<double> ParseDecimalFloat(std::string_view s) {
  if (!s.empty() && s[0] == '+') s.remove_prefix(1);
  double value = 0;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec == std::errc::result_out_of_range) {
    const size_t e = s.find_first_of("eE");
    const bool tiny = e != std::string_view::npos && e + 1 < s.size() && s[e + 1] == '-';
    if (!tiny) return std::nullopt;
    return !s.empty() && s[0] == '-' ? -0.0 : 0.0;
  }
  if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return value;
}

// The words go-yaml v2 resolves by lookup (its resolveMap).
std::optional<Json> LookupWord(std::string_view s) {
  static constexpr std::string_view kTrue[] = {"y",    "Y",    "yes", "Yes", "YES", "true",
                                               "True", "TRUE", "on",  "On",  "ON"};
  static constexpr std::string_view kFalse[] = {"n",     "N",     "no",  "No",  "NO", "false",
                                                "False", "FALSE", "off", "Off", "OFF"};
  static constexpr std::string_view kNull[] = {"", "~", "null", "Null", "NULL"};
  static constexpr std::string_view kNan[] = {".nan", ".NaN", ".NAN"};
  static constexpr std::string_view kInf[] = {".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"};
  static constexpr std::string_view kNegInf[] = {"-.inf", "-.Inf", "-.INF"};
  auto in = [&](const auto& words) {
    for (const std::string_view w : words) {
      if (w == s) return true;
    }
    return false;
  };
  if (in(kTrue)) return Json(true);
  if (in(kFalse)) return Json(false);
  if (in(kNull)) return Json(nullptr);
  if (in(kNan)) return Json(std::numeric_limits<double>::quiet_NaN());
  if (in(kInf)) return Json(std::numeric_limits<double>::infinity());
  if (in(kNegInf)) return Json(-std::numeric_limits<double>::infinity());
  return std::nullopt;
}

// go-yaml v2's resolve() for an untagged plain scalar. The result may be a non-finite double;
// callers decide (a value cannot carry it, a key can).
absl::StatusOr<Json> ResolvePlain(std::string_view in) {
  // The first character hints at what the scalar may be; other first characters mean a string.
  char hint = 'N';
  if (!in.empty()) {
    const char c = in[0];
    if (c == '+' || c == '-') {
      hint = 'S';
    } else if (c >= '0' && c <= '9') {
      hint = 'D';
    } else if (std::string_view("yYnNtTfFoO~").find(c) != std::string_view::npos) {
      hint = 'M';
    } else if (c == '.') {
      hint = '.';
    } else {
      return Json(std::string(in));
    }
  }
  if (std::optional<Json> word = LookupWord(in)) return *std::move(word);
  if (hint == '.') {
    if (IsYamlStyleFloat(in)) {  // Go's ParseFloat(in): "." digits, an optional exponent
      if (std::optional<double> f = ParseDecimalFloat(in)) return Json(*f);
    }
  } else if (hint == 'D' || hint == 'S') {
    std::string plain;
    plain.reserve(in.size());
    for (const char c : in) {
      if (c != '_') plain.push_back(c);
    }
    int64_t i = 0;
    if (ParseGoInt(plain, i) == IntResult::kOk) return Json(i);
    uint64_t u = 0;
    const IntResult unsigned_result = ParseGoUint(plain, u);
    if (unsigned_result == IntResult::kOk) return Json(u);
    if (IsYamlStyleFloat(plain)) {
      if (std::optional<double> f = ParseDecimalFloat(plain)) return Json(*f);
    }
    if (unsigned_result == IntResult::kRange) {
      return absl::InvalidArgumentError(
          absl::StrCat("integer ", Quoted(in), " does not fit in 64 bits"));
    }
  }
  return Json(std::string(in));
}

// A scalar with its tag as yaml-cpp reports it: "?" plain and untagged, "!" quoted or block
// without a tag, "tag:yaml.org,2002:<name>" for !!<name>, anything else a local tag.
absl::StatusOr<Json> ResolveScalar(const std::string& tag, const std::string& value) {
  if (tag == "?") return ResolvePlain(value);
  const std::string_view prefix = kCoreTagPrefix;
  if (tag.compare(0, prefix.size(), prefix) != 0) return Json(value);
  const std::string_view name = std::string_view(tag).substr(prefix.size());
  if (name == "binary") {
    return absl::InvalidArgumentError(
        "!!binary is not supported (write the base64 text as a string)");
  }
  if (name != "int" && name != "float" && name != "bool" && name != "null") return Json(value);
  absl::StatusOr<Json> resolved = ResolvePlain(value);
  if (!resolved.ok()) return resolved.status();
  if ((name == "int" && resolved->is_number_integer()) ||
      (name == "float" && resolved->is_number_float()) ||
      (name == "bool" && resolved->is_boolean()) || (name == "null" && resolved->is_null())) {
    return resolved;
  }
  if (name == "float" && resolved->is_number_integer()) {
    return Json(resolved->is_number_unsigned() ? static_cast<double>(resolved->get<uint64_t>())
                                               : static_cast<double>(resolved->get<int64_t>()));
  }
  return absl::InvalidArgumentError(
      absl::StrCat("cannot decode ", Quoted(value), " as !!", std::string(name)));
}

// strconv.FormatFloat(v, 'g', -1, 32), with go-yaml's spellings of the infinities and NaN: how
// sigs.k8s.io/yaml turns a float map key into a string.
std::string GoFloat32Key(double v) {
  if (std::isnan(v)) return ".nan";
  // float32(v) in Go: beyond the midpoint between FLT_MAX and 2^128 it rounds to infinity.
  const double overflow = std::ldexp(1.0, 128) - std::ldexp(1.0, 103);
  if (std::fabs(v) >= overflow) return v > 0 ? ".inf" : "-.inf";
  float f = 0;
  if (std::fabs(v) > static_cast<double>(std::numeric_limits<float>::max())) {
    f = std::copysign(std::numeric_limits<float>::max(), static_cast<float>(v > 0 ? 1 : -1));
  } else {
    f = static_cast<float>(v);
  }
  char buf[64];
  // Shortest round-trip digits; Go prints them in %e form when the exponent is < -4 or >= 6.
  const auto sci = std::to_chars(buf, buf + sizeof(buf), f, std::chars_format::scientific);
  std::string scientific(buf, sci.ptr);
  int exponent = 0;
  const size_t e = scientific.find('e');
  if (e != std::string::npos) {
    const char* begin = scientific.data() + e + 1;
    if (*begin == '+') ++begin;
    std::from_chars(begin, scientific.data() + scientific.size(), exponent);
  }
  if (f == 0 || (exponent >= -4 && exponent < 6)) {
    const auto fixed = std::to_chars(buf, buf + sizeof(buf), f, std::chars_format::fixed);
    return {buf, fixed.ptr};
  }
  return scientific;
}

// ---------------------------------------------------------------------------------------------

// Converts loaded documents; the output budget is shared by all documents of a stream.
class Converter {
 public:
  explicit Converter(size_t budget) : budget_(budget) {}

  // Where the next document starts in the stream (0-based line), for error positions.
  void set_first_line(int first_line) { first_line_ = first_line; }

  absl::StatusOr<Json> Value(const YAML::Node& node, int depth) {
    if (depth > kMaxDepth) {
      return ErrorAt(node, absl::StrCat("nesting deeper than ", kMaxDepth,
                                        " levels (or an alias that contains itself)"));
    }
    if (absl::Status s = CheckTag(node); !s.ok()) return s;
    switch (node.Type()) {
      case YAML::NodeType::Null:
        if (absl::Status s = Charge(node, 0); !s.ok()) return s;
        return Json(nullptr);
      case YAML::NodeType::Scalar:
        return Scalar(node);
      case YAML::NodeType::Sequence: {
        if (absl::Status s = Charge(node, 0); !s.ok()) return s;
        Json array = Json::array();
        for (const YAML::Node& item : node) {
          absl::StatusOr<Json> value = Value(item, depth + 1);
          if (!value.ok()) return value.status();
          array.push_back(*std::move(value));
        }
        return array;
      }
      case YAML::NodeType::Map:
        return Map(node, depth);
      case YAML::NodeType::Undefined:
        break;
    }
    return ErrorAt(node, "undefined node");
  }

 private:
  absl::Status ErrorAt(const YAML::Node& node, const std::string& message) const {
    return ErrorAtMark(node.Mark(), first_line_, message);
  }

  // yaml-cpp leaves a named handle that no %TAG declared unexpanded ("!k!int"); YAML (and
  // go-yaml) reject it.
  absl::Status CheckTag(const YAML::Node& node) const {
    const std::string& tag = node.Tag();
    if (tag.size() > 1 && tag[0] == '!' && tag.find('!', 1) != std::string::npos) {
      return ErrorAt(node, absl::StrCat("undeclared tag handle in ", Quoted(tag)));
    }
    return absl::OkStatus();
  }

  absl::Status Charge(const YAML::Node& node, size_t text_bytes) {
    const size_t cost = kNodeCost + text_bytes;
    if (cost > budget_) {
      return ErrorAt(node, "the document expands to too much data (an alias bomb?)");
    }
    budget_ -= cost;
    return absl::OkStatus();
  }

  // The scalar's text, charged and checked; then resolved by its tag.
  absl::StatusOr<Json> Resolve(const YAML::Node& node) {
    const std::string& text = node.Scalar();
    if (absl::Status s = Charge(node, text.size()); !s.ok()) return s;
    if (!IsValidUtf8(text)) return ErrorAt(node, "scalar is not valid UTF-8");
    absl::StatusOr<Json> value = ResolveScalar(node.Tag(), text);
    if (!value.ok()) return ErrorAt(node, std::string(value.status().message()));
    return value;
  }

  absl::StatusOr<Json> Scalar(const YAML::Node& node) {
    absl::StatusOr<Json> value = Resolve(node);
    if (value.ok() && value->is_number_float() && !std::isfinite(value->get<double>())) {
      return ErrorAt(node, absl::StrCat(Quoted(node.Scalar()),
                                        " (infinity or NaN) cannot be represented in JSON"));
    }
    return value;
  }

  // A map key as the JSON member name sigs.k8s.io/yaml makes of it.
  absl::StatusOr<std::string> Key(const YAML::Node& node) {
    if (node.IsNull()) return ErrorAt(node, "null map key (JSON keys are strings)");
    if (!node.IsScalar()) return ErrorAt(node, "map key is not a scalar (JSON keys are strings)");
    if (absl::Status s = CheckTag(node); !s.ok()) return s;
    absl::StatusOr<Json> key = Resolve(node);
    if (!key.ok()) return key.status();
    if (key->is_string()) return key->get<std::string>();
    if (key->is_boolean()) return std::string(key->get<bool>() ? "true" : "false");
    if (key->is_number_unsigned()) return std::to_string(key->get<uint64_t>());
    if (key->is_number_integer()) return std::to_string(key->get<int64_t>());
    if (key->is_number_float()) return GoFloat32Key(key->get<double>());
    return ErrorAt(node, "null map key (JSON keys are strings)");
  }

  static bool IsMergeKey(const YAML::Node& key) {
    return key.IsScalar() && key.Scalar() == "<<" && (key.Tag() == "?" || key.Tag() == kMergeTag);
  }

  absl::StatusOr<Json> Map(const YAML::Node& node, int depth) {
    if (absl::Status s = Charge(node, 0); !s.ok()) return s;
    Json object = Json::object();
    std::vector<Json> merged;  // the maps of merge keys, in order
    for (const auto& entry : node) {
      const YAML::Node& key_node = entry.first;
      const YAML::Node& value_node = entry.second;
      if (IsMergeKey(key_node)) {
        absl::StatusOr<Json> source = Value(value_node, depth + 1);
        if (!source.ok()) return source.status();
        if (source->is_object()) {
          merged.push_back(*std::move(source));
          continue;
        }
        const bool maps =
            source->is_array() && std::all_of(source->begin(), source->end(),
                                              [](const Json& j) { return j.is_object(); });
        if (!maps) return ErrorAt(key_node, "merge key << needs a map or a list of maps");
        for (Json& map : *source) merged.push_back(std::move(map));
        continue;
      }
      absl::StatusOr<std::string> key = Key(key_node);
      if (!key.ok()) return key.status();
      if (object.contains(*key)) {
        return ErrorAt(key_node, absl::StrCat("duplicate map key ", Quoted(*key)));
      }
      absl::StatusOr<Json> value = Value(value_node, depth + 1);
      if (!value.ok()) return value.status();
      object.emplace(*std::move(key), *std::move(value));
    }
    // Keys written in the map win over merged ones; earlier merged maps win over later ones.
    for (Json& source : merged) {
      for (auto& [key, value] : source.items()) {
        if (!object.contains(key)) object.emplace(key, std::move(value));
      }
    }
    return object;
  }

  size_t budget_;
  int first_line_ = 0;
};

// A document of the stream as kubectl frames it, and the 0-based line it starts at.
struct Chunk {
  std::string_view text;
  int first_line = 0;
};

// Splits a stream as kubectl does (k8s.io/apimachinery/pkg/util/yaml YAMLReader): every line
// that starts with "---" ends a document; only spaces or a comment may follow on that line.
absl::StatusOr<std::vector<Chunk>> SplitDocuments(std::string_view yaml) {
  std::vector<Chunk> chunks;
  size_t start = 0;
  int start_line = 0;
  int line_number = 0;
  for (size_t pos = 0; pos < yaml.size(); ++line_number) {
    const size_t eol = yaml.find('\n', pos);
    const size_t next = eol == std::string_view::npos ? yaml.size() : eol + 1;
    const std::string_view line = yaml.substr(pos, next - pos);
    if (line.substr(0, 3) == "---") {
      std::string_view rest = line.substr(3);
      const size_t first = rest.find_first_not_of(" \t\r\n\v\f");
      rest = first == std::string_view::npos ? std::string_view() : rest.substr(first);
      if (!rest.empty() && rest[0] != '#') {
        while (!rest.empty() &&
               std::string_view(" \t\r\n\v\f").find(rest.back()) != std::string_view::npos) {
          rest.remove_suffix(1);
        }
        return absl::InvalidArgumentError(
            absl::StrCat("line ", line_number + 1,
                         ", column 4: content after the document "
                         "separator \"---\" (kubectl rejects it too): ",
                         Quoted(rest)));
      }
      if (pos > start) chunks.push_back({yaml.substr(start, pos - start), start_line});
      start = next;
      start_line = line_number + 1;
    }
    pos = next;
  }
  if (yaml.size() > start) chunks.push_back({yaml.substr(start), start_line});
  return chunks;
}

// Notes where the first event of a document is.
class FirstEventMark final : public YAML::EventHandler {
 public:
  const std::optional<YAML::Mark>& mark() const { return mark_; }

  // YAML::EventHandler
  void OnDocumentStart(const YAML::Mark& mark) override { Note(mark); }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& mark, YAML::anchor_t /*anchor*/) override { Note(mark); }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t /*anchor*/) override { Note(mark); }
  void OnScalar(const YAML::Mark& mark, const std::string& /*tag*/, YAML::anchor_t /*anchor*/,
                const std::string& /*value*/) override {
    Note(mark);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string& /*tag*/,
                       YAML::anchor_t /*anchor*/, YAML::EmitterStyle::value /*style*/) override {
    Note(mark);
  }
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark& mark, const std::string& /*tag*/, YAML::anchor_t /*anchor*/,
                  YAML::EmitterStyle::value /*style*/) override {
    Note(mark);
  }
  void OnMapEnd() override {}

 private:
  void Note(const YAML::Mark& mark) {
    if (!mark_.has_value()) mark_ = mark;
  }
  std::optional<YAML::Mark> mark_;
};

// Loads the one document of a chunk (null if it has none). yaml-cpp 0.7's LoadAll() loops
// forever on a stray ',' (jbeder/yaml-cpp#1040: the parser reports the same null document again
// and again without consuming anything), so documents are framed by SplitDocuments() and a
// first pass over the events rejects a chunk that yields a second document: a '...' followed by
// more content, or input the parser cannot make progress on.
absl::StatusOr<YAML::Node> LoadChunk(const Chunk& chunk) {
  const std::string text(chunk.text);
  try {
    std::istringstream in(text);
    YAML::Parser parser(in);
    FirstEventMark first;
    if (!parser.HandleNextDocument(first)) return YAML::Node();
    FirstEventMark second;
    if (parser.HandleNextDocument(second)) {
      return ErrorAtMark(second.mark().value_or(YAML::Mark()), chunk.first_line,
                         "unexpected content after the document (a new document needs a "
                         "\"---\" line)");
    }
    return YAML::Load(text);
  } catch (const YAML::Exception& e) {
    return ErrorAtMark(e.mark, chunk.first_line, e.msg);
  }
}

}  // namespace

absl::StatusOr<std::vector<Json>> YamlDocumentsToJson(std::string_view yaml) {
  absl::StatusOr<std::vector<Chunk>> chunks = SplitDocuments(yaml);
  if (!chunks.ok()) return chunks.status();
  Converter converter(kBaseBudget + kBudgetPerInputByte * yaml.size());
  std::vector<Json> out;
  for (size_t i = 0; i < chunks->size(); ++i) {
    const Chunk& chunk = (*chunks)[i];
    absl::StatusOr<Json> json;
    absl::StatusOr<YAML::Node> document = LoadChunk(chunk);
    if (document.ok()) {
      converter.set_first_line(chunk.first_line);
      try {
        json = converter.Value(*document, 0);
      } catch (const YAML::Exception& e) {  // not expected from a loaded tree; kept at the edge
        json = ErrorAtMark(e.mark, chunk.first_line, e.msg);
      }
    } else {
      json = document.status();
    }
    if (!json.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("document ", i + 1, ", ", std::string(json.status().message())));
    }
    if (json->is_null()) continue;  // empty, comments only, or null: kubectl skips these too
    out.push_back(*std::move(json));
  }
  return out;
}

}  // namespace rmq::k8s
