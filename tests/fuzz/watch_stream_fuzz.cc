// libFuzzer target for the Kubernetes watch-stream decoder: arbitrary bytes fed in arbitrary
// chunks (the first byte picks the chunk size) must give the same lines as one feed, never more
// bytes buffered than the limit, and every line parses or fails cleanly; kubeconfig YAML too, and
// the YAML-to-JSON decoder, whose every result must serialize and parse back to itself.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/k8s/rest_config.h"
#include "common/k8s/watch_stream.h"
#include "common/k8s/yaml_json.h"

namespace {

void Check(bool ok) {
  if (!ok) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const size_t chunk = 1 + data[0] % 64;
  const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  constexpr size_t kMax = 4096;
  rmq::k8s::LineSplitter whole(kMax);
  std::vector<std::string> expected;
  const bool whole_ok = whole.Feed(input, expected).ok();
  rmq::k8s::LineSplitter pieces(kMax);
  std::vector<std::string> got;
  bool pieces_ok = true;
  for (size_t i = 0; i < input.size() && pieces_ok; i += chunk) {
    pieces_ok = pieces.Feed(input.substr(i, chunk), got).ok();
    Check(pieces.buffered() <= kMax);
  }
  Check(whole_ok == pieces_ok);
  if (whole_ok) Check(got == expected);
  for (const std::string& line : expected) {
    auto event = rmq::k8s::ParseWatchEvent(line);
    if (event.ok()) {
      (void)event->ErrorCode();
      (void)event->ResourceVersion();
    }
  }
  (void)rmq::k8s::ParseKubeconfig(
      std::string(input), "/fuzz/config", "",
      [](const std::string&) -> absl::StatusOr<std::string> { return std::string("x"); });
  auto documents = rmq::k8s::YamlDocumentsToJson(input);
  if (documents.ok()) {
    for (const rmq::k8s::Json& document : *documents) {
      // Strings are valid UTF-8 and numbers finite, so dump() does not throw and the JSON text
      // reads back as the same value.
      std::string text;
      try {
        text = document.dump();
      } catch (const rmq::k8s::Json::exception&) {
        Check(false);
      }
      Check(rmq::k8s::Json::parse(text, nullptr, /*allow_exceptions=*/false) == document);
    }
  }
  return 0;
}
