#include "common/k8s/watch_stream.h"

#include "absl/strings/str_cat.h"

namespace rmq::k8s {

absl::Status LineSplitter::Feed(std::string_view chunk, std::vector<std::string>& lines) {
  size_t start = 0;
  while (start < chunk.size()) {
    const size_t newline = chunk.find('\n', start);
    const size_t end = newline == std::string_view::npos ? chunk.size() : newline;
    if (partial_.size() + (end - start) > max_line_) {
      partial_.clear();
      return absl::ResourceExhaustedError(
          absl::StrCat("watch event longer than ", max_line_, " bytes"));
    }
    partial_.append(chunk.substr(start, end - start));
    if (newline == std::string_view::npos) break;
    if (!partial_.empty() && partial_.back() == '\r') partial_.pop_back();
    if (!partial_.empty()) lines.push_back(std::move(partial_));
    partial_.clear();
    start = newline + 1;
  }
  return absl::OkStatus();
}

int WatchEvent::ErrorCode() const {
  if (type != Type::kError || !object.is_object()) return 0;
  auto it = object.find("code");
  return it != object.end() && it->is_number_integer() ? it->get<int>() : 0;
}

std::string WatchEvent::ResourceVersion() const {
  if (!object.is_object()) return "";
  auto metadata = object.find("metadata");
  if (metadata == object.end() || !metadata->is_object()) return "";
  auto rv = metadata->find("resourceVersion");
  return rv != metadata->end() && rv->is_string() ? rv->get<std::string>() : "";
}

absl::StatusOr<WatchEvent> ParseWatchEvent(std::string_view line) {
  Json doc = Json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    return absl::InvalidArgumentError("watch event is not a JSON object");
  }
  auto type = doc.find("type");
  auto object = doc.find("object");
  if (type == doc.end() || !type->is_string() || object == doc.end() || !object->is_object()) {
    return absl::InvalidArgumentError("watch event lacks a string type or an object");
  }
  WatchEvent event;
  const auto& t = type->get_ref<const std::string&>();
  if (t == "ADDED") {
    event.type = WatchEvent::Type::kAdded;
  } else if (t == "MODIFIED") {
    event.type = WatchEvent::Type::kModified;
  } else if (t == "DELETED") {
    event.type = WatchEvent::Type::kDeleted;
  } else if (t == "BOOKMARK") {
    event.type = WatchEvent::Type::kBookmark;
  } else if (t == "ERROR") {
    event.type = WatchEvent::Type::kError;
  } else {
    return absl::InvalidArgumentError(absl::StrCat("unknown watch event type '", t, "'"));
  }
  event.object = std::move(*object);
  return event;
}

const char* WatchEventTypeName(WatchEvent::Type type) {
  switch (type) {
    case WatchEvent::Type::kAdded:
      return "ADDED";
    case WatchEvent::Type::kModified:
      return "MODIFIED";
    case WatchEvent::Type::kDeleted:
      return "DELETED";
    case WatchEvent::Type::kBookmark:
      return "BOOKMARK";
    case WatchEvent::Type::kError:
      return "ERROR";
  }
  return "UNKNOWN";
}

}  // namespace rmq::k8s
