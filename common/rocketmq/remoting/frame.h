// frame.h: the RocketMQ remoting frame codec (rocketmq-protocol.md §1).
//
//   int32 frameLength (= 4 + headerLength + bodyLength, not counting itself)
//   uint8 serializeType (0 JSON, 1 ROCKETMQ binary) | uint24 headerLength
//   header bytes | body bytes
//
// Encodes JSON (what we send) and the binary format (for tests and completeness); decodes both,
// choosing per frame by the type byte. Every length is checked before it is used: malformed
// input yields InvalidArgument (or OutOfRange for frames over the limit), never a crash or a read
// past the input. Pure functions plus one small incremental decoder; thread-compatible.
//
// Example:
//   RMQ_ASSIGN_OR_RETURN(std::string wire, EncodeFrame(cmd));
//   FrameDecoder decoder;
//   decoder.Append(bytes_from_socket);
//   while (true) {
//     RMQ_ASSIGN_OR_RETURN(std::optional<RemotingCommand> next, decoder.Next());
//     if (!next) break;
//     Handle(*next);
//   }
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "common/rocketmq/remoting/command.h"

namespace rmq::rocketmq {

// The broker's NettyDecoder limit; it counts the 4-byte length field too.
inline constexpr uint32_t kMaxFrameBytes = 16U * 1024U * 1024U;
inline constexpr uint32_t kMaxHeaderBytes = 0xFFFFFF;

// Encodes one whole frame (length prefix included). Fails if the frame would exceed
// kMaxFrameBytes, the header exceeds 24 bits, or (JSON) a string is not valid UTF-8.
absl::StatusOr<std::string> EncodeFrame(const RemotingCommand& cmd,
                                        SerializeType type = SerializeType::kJson);

// Encodes just the header, in the given format.
absl::StatusOr<std::string> EncodeHeader(const RemotingCommand& cmd, SerializeType type);

// Validates the 4-byte big-endian length prefix and returns the number of bytes that follow it.
absl::StatusOr<uint32_t> DecodeFrameLength(std::string_view prefix);

// Decodes the bytes after the length prefix (exactly frameLength bytes).
absl::StatusOr<RemotingCommand> DecodeFramePayload(std::string_view payload);

// Decodes exactly one whole frame, length prefix included.
absl::StatusOr<RemotingCommand> DecodeFrame(std::string_view frame);

// Accumulates bytes from a stream and yields complete frames. After an error the stream is
// unusable (the peer must be disconnected), as on the broker.
class FrameDecoder {
 public:
  void Append(std::string_view bytes) { buffer_.append(bytes); }
  // The next complete frame, nullopt if more bytes are needed, or an error.
  absl::StatusOr<std::optional<RemotingCommand>> Next();
  size_t buffered() const { return buffer_.size() - consumed_; }

 private:
  std::string buffer_;
  size_t consumed_ = 0;
};

}  // namespace rmq::rocketmq
