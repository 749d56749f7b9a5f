#include "common/rocketmq/remoting/frame.h"

#include <array>
#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/base/status_macros.h"
#include "common/rocketmq/remoting/fastjson.h"

namespace rmq::rocketmq {
namespace {

using nlohmann::json;

// LanguageCode ordinals (remoting/.../protocol/LanguageCode.java).
constexpr std::array<std::string_view, 14> kLanguages = {
    "JAVA",  "CPP",  "DOTNET", "PYTHON", "DELPHI", "ERLANG", "RUBY",
    "OTHER", "HTTP", "GO",     "PHP",    "OMS",    "RUST",   "NODE_JS"};

uint8_t LanguageToByte(std::string_view language) {
  for (size_t i = 0; i < kLanguages.size(); ++i) {
    if (kLanguages[i] == language) return static_cast<uint8_t>(i);
  }
  return 7;  // OTHER
}

std::string LanguageFromByte(uint8_t b) {
  if (b < kLanguages.size()) return std::string(kLanguages[b]);
  return "OTHER";
}

void PutU32(std::string& out, uint32_t v) {
  out.push_back(static_cast<char>((v >> 24) & 0xFF));
  out.push_back(static_cast<char>((v >> 16) & 0xFF));
  out.push_back(static_cast<char>((v >> 8) & 0xFF));
  out.push_back(static_cast<char>(v & 0xFF));
}

void PutU16(std::string& out, uint16_t v) {
  out.push_back(static_cast<char>((v >> 8) & 0xFF));
  out.push_back(static_cast<char>(v & 0xFF));
}

uint32_t GetU32(std::string_view in, size_t at) {
  auto b = [&](size_t k) { return static_cast<uint32_t>(static_cast<unsigned char>(in[at + k])); };
  return (b(0) << 24) | (b(1) << 16) | (b(2) << 8) | b(3);
}

uint16_t GetU16(std::string_view in, size_t at) {
  auto b = [&](size_t k) { return static_cast<uint16_t>(static_cast<unsigned char>(in[at + k])); };
  return static_cast<uint16_t>((b(0) << 8) | b(1));
}

absl::StatusOr<std::string> EncodeJsonHeader(const RemotingCommand& cmd) {
  // nlohmann's object is a std::map, so keys come out sorted like fastjson's.
  json header = json::object();
  header["code"] = cmd.code;
  if (!cmd.ext_fields.empty()) {
    json ext = json::object();
    for (const auto& [k, v] : cmd.ext_fields) ext[k] = v;
    header["extFields"] = std::move(ext);
  }
  header["flag"] = cmd.flag;
  header["language"] = cmd.language;
  header["opaque"] = cmd.opaque;
  if (cmd.remark.has_value()) header["remark"] = *cmd.remark;
  header["serializeTypeCurrentRPC"] = "JSON";
  header["version"] = cmd.version;
  try {
    return header.dump();
  } catch (const json::exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat("request header cannot be encoded as JSON: ", e.what()));
  }
}

absl::StatusOr<std::string> EncodeBinaryHeader(const RemotingCommand& cmd) {
  if (cmd.code < std::numeric_limits<int16_t>::min() ||
      cmd.code > std::numeric_limits<int16_t>::max()) {
    return absl::InvalidArgumentError(
        absl::StrCat("code ", cmd.code, " does not fit the binary header's int16"));
  }
  if (cmd.version < std::numeric_limits<int16_t>::min() ||
      cmd.version > std::numeric_limits<int16_t>::max()) {
    return absl::InvalidArgumentError("version does not fit the binary header's int16");
  }
  std::string out;
  PutU16(out, static_cast<uint16_t>(static_cast<int16_t>(cmd.code)));
  out.push_back(static_cast<char>(LanguageToByte(cmd.language)));
  PutU16(out, static_cast<uint16_t>(static_cast<int16_t>(cmd.version)));
  PutU32(out, static_cast<uint32_t>(cmd.opaque));
  PutU32(out, static_cast<uint32_t>(cmd.flag));
  const std::string remark = cmd.remark.value_or("");
  if (remark.size() > kMaxHeaderBytes) return absl::InvalidArgumentError("remark too long");
  PutU32(out, static_cast<uint32_t>(remark.size()));
  out.append(remark);
  std::string ext;
  for (const auto& [k, v] : cmd.ext_fields) {
    if (k.empty() || v.empty()) continue;  // Java skips null entries; empty decodes as null.
    if (k.size() > std::numeric_limits<uint16_t>::max() || v.size() > kMaxHeaderBytes) {
      return absl::InvalidArgumentError(absl::StrCat("ext field ", k, " too long"));
    }
    PutU16(ext, static_cast<uint16_t>(k.size()));
    ext.append(k);
    PutU32(ext, static_cast<uint32_t>(v.size()));
    ext.append(v);
  }
  PutU32(out, static_cast<uint32_t>(ext.size()));
  out.append(ext);
  return out;
}

absl::StatusOr<int32_t> GetInt32(const json& header, const char* key, bool required) {
  auto it = header.find(key);
  if (it == header.end() || it->is_null()) {
    if (required) return absl::InvalidArgumentError(absl::StrCat("header has no '", key, "'"));
    return 0;
  }
  if (it->is_number_integer()) {
    auto v = it->get<int64_t>();
    if (it->is_number_unsigned() || v < std::numeric_limits<int32_t>::min() ||
        v > std::numeric_limits<int32_t>::max()) {
      return absl::InvalidArgumentError(absl::StrCat("header '", key, "' out of int32 range"));
    }
    return static_cast<int32_t>(v);
  }
  return absl::InvalidArgumentError(absl::StrCat("header '", key, "' is not an integer"));
}

std::string ScalarToString(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  return DumpJson(v);
}

absl::StatusOr<RemotingCommand> DecodeJsonHeader(std::string_view text) {
  RMQ_ASSIGN_OR_RETURN(json header, ParseFastJson(text));
  if (!header.is_object()) return absl::InvalidArgumentError("JSON header is not an object");
  RemotingCommand cmd;
  cmd.serialize_type = SerializeType::kJson;
  RMQ_ASSIGN_OR_RETURN(cmd.code, GetInt32(header, "code", true));
  RMQ_ASSIGN_OR_RETURN(cmd.opaque, GetInt32(header, "opaque", true));
  RMQ_ASSIGN_OR_RETURN(cmd.flag, GetInt32(header, "flag", false));
  RMQ_ASSIGN_OR_RETURN(cmd.version, GetInt32(header, "version", false));
  if (auto it = header.find("language"); it != header.end() && it->is_string()) {
    cmd.language = it->get<std::string>();
  } else {
    cmd.language = "OTHER";
  }
  if (auto it = header.find("remark"); it != header.end() && !it->is_null()) {
    cmd.remark = ScalarToString(*it);
  }
  if (auto it = header.find("extFields"); it != header.end() && !it->is_null()) {
    if (!it->is_object()) return absl::InvalidArgumentError("header 'extFields' is not an object");
    for (const auto& [k, v] : it->items()) {
      if (!v.is_null()) cmd.ext_fields[k] = ScalarToString(v);
    }
  }
  return cmd;
}

absl::StatusOr<RemotingCommand> DecodeBinaryHeader(std::string_view h) {
  constexpr size_t kFixed = 21;
  auto truncated = [] { return absl::InvalidArgumentError("binary header truncated"); };
  if (h.size() < kFixed) return truncated();
  RemotingCommand cmd;
  cmd.serialize_type = SerializeType::kRocketMQ;
  cmd.code = static_cast<int16_t>(GetU16(h, 0));
  cmd.language = LanguageFromByte(static_cast<uint8_t>(h[2]));
  cmd.version = static_cast<int16_t>(GetU16(h, 3));
  cmd.opaque = static_cast<int32_t>(GetU32(h, 5));
  cmd.flag = static_cast<int32_t>(GetU32(h, 9));
  size_t pos = 13;
  uint32_t remark_len = GetU32(h, pos);
  pos += 4;
  if (remark_len > h.size() - pos) return truncated();
  if (remark_len > 0) cmd.remark = std::string(h.substr(pos, remark_len));
  pos += remark_len;
  if (h.size() - pos < 4) return truncated();
  uint32_t ext_len = GetU32(h, pos);
  pos += 4;
  if (ext_len > h.size() - pos) return truncated();
  std::string_view ext = h.substr(pos, ext_len);
  pos += ext_len;
  size_t e = 0;
  while (e < ext.size()) {
    if (ext.size() - e < 2) return truncated();
    uint16_t key_len = GetU16(ext, e);
    e += 2;
    if (key_len > ext.size() - e) return truncated();
    std::string key(ext.substr(e, key_len));
    e += key_len;
    if (ext.size() - e < 4) return truncated();
    uint32_t val_len = GetU32(ext, e);
    e += 4;
    if (val_len > ext.size() - e) return truncated();
    std::string value(ext.substr(e, val_len));
    e += val_len;
    if (!key.empty() && !value.empty()) cmd.ext_fields[std::move(key)] = std::move(value);
  }
  if (pos != h.size()) return absl::InvalidArgumentError("binary header has trailing bytes");
  return cmd;
}

}  // namespace

absl::StatusOr<std::string> EncodeHeader(const RemotingCommand& cmd, SerializeType type) {
  return type == SerializeType::kJson ? EncodeJsonHeader(cmd) : EncodeBinaryHeader(cmd);
}

absl::StatusOr<std::string> EncodeFrame(const RemotingCommand& cmd, SerializeType type) {
  RMQ_ASSIGN_OR_RETURN(std::string header, EncodeHeader(cmd, type));
  if (header.size() > kMaxHeaderBytes) {
    return absl::OutOfRangeError(
        absl::StrCat("header of ", header.size(), " bytes exceeds the 24-bit length field"));
  }
  const uint64_t total = 8ULL + header.size() + cmd.body.size();
  if (total > kMaxFrameBytes) {
    return absl::OutOfRangeError(absl::StrCat("frame of ", total, " bytes exceeds the ",
                                              kMaxFrameBytes, "-byte remoting limit"));
  }
  std::string out;
  out.reserve(total);
  PutU32(out, static_cast<uint32_t>(total - 4));
  PutU32(out, (static_cast<uint32_t>(type) << 24) | static_cast<uint32_t>(header.size()));
  out.append(header);
  out.append(cmd.body);
  return out;
}

absl::StatusOr<uint32_t> DecodeFrameLength(std::string_view prefix) {
  if (prefix.size() < 4) return absl::InvalidArgumentError("frame length prefix truncated");
  uint32_t n = GetU32(prefix, 0);
  if (n < 4) {
    return absl::InvalidArgumentError(
        absl::StrCat("frame length ", n, " is smaller than the 4-byte header-length field"));
  }
  if (n > kMaxFrameBytes - 4) {
    return absl::OutOfRangeError(
        absl::StrCat("frame length ", n, " exceeds the ", kMaxFrameBytes, "-byte remoting limit"));
  }
  return n;
}

absl::StatusOr<RemotingCommand> DecodeFramePayload(std::string_view payload) {
  if (payload.size() < 4) return absl::InvalidArgumentError("frame shorter than its header field");
  uint32_t word = GetU32(payload, 0);
  uint32_t type = word >> 24;
  uint32_t header_len = word & kMaxHeaderBytes;
  if (header_len > payload.size() - 4) {
    return absl::InvalidArgumentError(absl::StrCat("header length ", header_len,
                                                   " exceeds the frame's ", payload.size() - 4,
                                                   " remaining bytes"));
  }
  std::string_view header = payload.substr(4, header_len);
  absl::StatusOr<RemotingCommand> cmd;
  if (type == static_cast<uint32_t>(SerializeType::kJson)) {
    cmd = DecodeJsonHeader(header);
  } else if (type == static_cast<uint32_t>(SerializeType::kRocketMQ)) {
    cmd = DecodeBinaryHeader(header);
  } else {
    return absl::InvalidArgumentError(absl::StrCat("unknown serialize type ", type));
  }
  if (!cmd.ok()) return cmd.status();
  cmd->body = std::string(payload.substr(4 + header_len));
  return cmd;
}

absl::StatusOr<RemotingCommand> DecodeFrame(std::string_view frame) {
  RMQ_ASSIGN_OR_RETURN(uint32_t n, DecodeFrameLength(frame));
  if (frame.size() - 4 != n) {
    return absl::InvalidArgumentError(
        absl::StrCat("frame length ", n, " does not match the ", frame.size() - 4, " bytes given"));
  }
  return DecodeFramePayload(frame.substr(4));
}

absl::StatusOr<std::optional<RemotingCommand>> FrameDecoder::Next() {
  std::string_view pending(buffer_);
  pending.remove_prefix(consumed_);
  if (pending.size() < 4) return std::optional<RemotingCommand>();
  RMQ_ASSIGN_OR_RETURN(uint32_t n, DecodeFrameLength(pending));
  if (pending.size() - 4 < n) return std::optional<RemotingCommand>();
  RMQ_ASSIGN_OR_RETURN(RemotingCommand cmd, DecodeFramePayload(pending.substr(4, n)));
  consumed_ += 4 + n;
  if (consumed_ == buffer_.size()) {
    buffer_.clear();
    consumed_ = 0;
  } else if (consumed_ > size_t{64} * 1024 && consumed_ * 2 > buffer_.size()) {
    buffer_.erase(0, consumed_);
    consumed_ = 0;
  }
  return std::optional<RemotingCommand>(std::move(cmd));
}

}  // namespace rmq::rocketmq
