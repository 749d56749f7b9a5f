// libFuzzer target for every decoder of bytes that come from a RocketMQ peer or its files:
// remoting frames (stream and whole-frame, both header formats), the tolerant fastjson reader,
// the typed body decoders, and Java properties text. Invariants checked beyond "no crash":
// a decoded frame re-encodes in the same format and decodes to the same command.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/rocketmq/admin/properties.h"
#include "common/rocketmq/admin/types.h"
#include "common/rocketmq/remoting/fastjson.h"
#include "common/rocketmq/remoting/frame.h"

namespace {

using namespace rmq::rocketmq;  // NOLINT(google-build-using-namespace): fuzz entry point

void CheckFrameRoundTrip(const RemotingCommand& cmd) {
  absl::StatusOr<std::string> again = EncodeFrame(cmd, cmd.serialize_type);
  if (!again.ok()) return;  // e.g. a binary remark that is not valid UTF-8 for JSON
  absl::StatusOr<RemotingCommand> back = DecodeFrame(*again);
  if (!back.ok() || !(*back == cmd)) __builtin_trap();
}

void FuzzJson(std::string_view text) {
  absl::StatusOr<Json> doc = ParseFastJson(text);
  if (!doc.ok()) return;
  (void)DumpJson(*doc);
  (void)TopicConfigTableFromJson(*doc);
  (void)SubscriptionGroupTableFromJson(*doc);
  (void)ClusterInfoFromJson(*doc);
  (void)TopicRouteDataFromJson(*doc);
  (void)ConsumeStatsFromJson(*doc);
  (void)TopicStatsFromJson(*doc);
  (void)KvTableFromJson(*doc);
  (void)TopicListFromJson(*doc);
  (void)TopicConfigFromJson(*doc);
  (void)ConsumerOffsetsFromJson(*doc);
  (void)HaRuntimeInfoFromJson(*doc);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);

  if (absl::StatusOr<RemotingCommand> cmd = DecodeFrame(input); cmd.ok()) {
    CheckFrameRoundTrip(*cmd);
    FuzzJson(cmd->body);
  }
  // Stream decoding with the input split at a point chosen by its first byte.
  FrameDecoder decoder;
  size_t split = size == 0 ? 0 : data[0] % (size + 1);
  decoder.Append(input.substr(0, split));
  for (int round = 0; round < 2; ++round) {
    while (true) {
      absl::StatusOr<std::optional<RemotingCommand>> next = decoder.Next();
      if (!next.ok() || !next->has_value()) break;
      CheckFrameRoundTrip(**next);
    }
    if (round == 0) decoder.Append(input.substr(split));
  }
  FuzzJson(input);
  (void)ParseProperties(input);
  (void)EncodeProperties(ParseProperties(input));
  return 0;
}
