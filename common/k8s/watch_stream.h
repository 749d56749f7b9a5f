// watch_stream.h: decoding a Kubernetes watch response (pure).
//
// A watch answer is a chunked HTTP body of newline-delimited JSON objects, one event per line:
//   {"type":"ADDED","object":{...}}\n{"type":"BOOKMARK","object":{"metadata":{"resourceVersion":"7"}}}\n
// Chunk boundaries fall anywhere, inside a line or a UTF-8 sequence. LineSplitter hands out only
// complete lines and keeps the rest for the next chunk; a line longer than its limit is an error
// (the connection must then be dropped), never an unbounded buffer. ParseWatchEvent decodes one
// line; an ERROR event carries a metav1.Status (410 Gone means "relist").
//
// Thread-compatible.
//
// Example:
//   LineSplitter splitter;
//   std::vector<std::string> lines;
//   RMQ_RETURN_IF_ERROR(splitter.Feed(chunk, lines));
//   for (const auto& line : lines) RMQ_ASSIGN_OR_RETURN(WatchEvent e, ParseWatchEvent(line));
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace rmq::k8s {

using Json = nlohmann::json;

class LineSplitter {
 public:
  // The API server limits objects to ~1.5 MiB by default (etcd's request limit); 16 MiB leaves
  // room.
  static constexpr size_t kDefaultMaxLine = size_t{16} * 1024 * 1024;

  explicit LineSplitter(size_t max_line = kDefaultMaxLine) : max_line_(max_line) {}

  // Appends the complete lines in buffered data + `chunk` to `lines` (without '\n'; a trailing
  // '\r' is dropped; empty lines are skipped). ResourceExhausted if a line exceeds the limit.
  absl::Status Feed(std::string_view chunk, std::vector<std::string>& lines);

  // Bytes of an incomplete line waiting for the next chunk.
  size_t buffered() const { return partial_.size(); }

 private:
  size_t max_line_;
  std::string partial_;
};

struct WatchEvent {
  enum class Type { kAdded, kModified, kDeleted, kBookmark, kError };
  Type type = Type::kAdded;
  Json object;  // the object, or the metav1.Status of an ERROR event

  // For ERROR events: Status.code (e.g. 410), 0 otherwise.
  int ErrorCode() const;
  // metadata.resourceVersion of the object ("" if absent).
  std::string ResourceVersion() const;
};

// InvalidArgument for a line that is not a watch event (bad JSON, unknown type, no object).
absl::StatusOr<WatchEvent> ParseWatchEvent(std::string_view line);

const char* WatchEventTypeName(WatchEvent::Type type);

}  // namespace rmq::k8s
