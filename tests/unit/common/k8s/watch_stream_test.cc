// Watch-stream decoding: lines split at every possible chunk boundary come out whole and in order.
#include "common/k8s/watch_stream.h"

#include <gtest/gtest.h>

namespace rmq::k8s {
namespace {

const std::string kStream =
    "{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"name\":\"a\",\"resourceVersion\":\"5\"},"
    "\"data\":{\"k\":\"v\\u00e9\"}}}\n"
    "{\"type\":\"MODIFIED\",\"object\":{\"metadata\":{\"name\":\"a\",\"resourceVersion\":\"6\"}}}"
    "\r\n\n"
    "{\"type\":\"BOOKMARK\",\"object\":{\"metadata\":{\"resourceVersion\":\"9\"}}}\n"
    "{\"type\":\"DELETED\",\"object\":{\"metadata\":{\"name\":\"a\",\"resourceVersion\":\"10\"}}}\n"
    "{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"code\":410,\"reason\":\"Expired\"}}\n";

TEST(LineSplitterTest, EverySplitPointYieldsTheSameLines) {
  std::vector<std::string> whole;
  LineSplitter one;
  ASSERT_TRUE(one.Feed(kStream, whole).ok());
  ASSERT_EQ(whole.size(), 5u);
  EXPECT_EQ(one.buffered(), 0u);
  for (size_t a = 0; a <= kStream.size(); ++a) {
    for (size_t b = a; b <= kStream.size(); b += 7) {
      LineSplitter splitter;
      std::vector<std::string> lines;
      ASSERT_TRUE(splitter.Feed(std::string_view(kStream).substr(0, a), lines).ok());
      ASSERT_TRUE(splitter.Feed(std::string_view(kStream).substr(a, b - a), lines).ok());
      ASSERT_TRUE(splitter.Feed(std::string_view(kStream).substr(b), lines).ok());
      ASSERT_EQ(lines, whole) << "split at " << a << "," << b;
    }
  }
  // Byte by byte.
  LineSplitter bytes;
  std::vector<std::string> lines;
  for (char c : kStream) ASSERT_TRUE(bytes.Feed(std::string_view(&c, 1), lines).ok());
  EXPECT_EQ(lines, whole);
}

TEST(LineSplitterTest, IncompleteLineWaitsAndOversizedLineFails) {
  LineSplitter splitter(16);
  std::vector<std::string> lines;
  ASSERT_TRUE(splitter.Feed("{\"a\":1", lines).ok());
  EXPECT_TRUE(lines.empty());
  EXPECT_EQ(splitter.buffered(), 6u);
  ASSERT_TRUE(splitter.Feed("}\n", lines).ok());
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0], "{\"a\":1}");
  absl::Status s = splitter.Feed("0123456789abcdefXYZ", lines);
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(splitter.buffered(), 0u);
}

TEST(WatchEventTest, ParsesEveryTypeWithVersionsAndErrors) {
  std::vector<std::string> lines;
  LineSplitter splitter;
  ASSERT_TRUE(splitter.Feed(kStream, lines).ok());
  std::vector<WatchEvent> events;
  for (const auto& line : lines) {
    auto e = ParseWatchEvent(line);
    ASSERT_TRUE(e.ok()) << e.status();
    events.push_back(*e);
  }
  EXPECT_EQ(events[0].type, WatchEvent::Type::kAdded);
  EXPECT_EQ(events[0].ResourceVersion(), "5");
  EXPECT_EQ(events[0].object["data"]["k"], "v\xc3\xa9");
  EXPECT_EQ(events[1].type, WatchEvent::Type::kModified);
  EXPECT_EQ(events[2].type, WatchEvent::Type::kBookmark);
  EXPECT_EQ(events[2].ResourceVersion(), "9");
  EXPECT_EQ(events[3].type, WatchEvent::Type::kDeleted);
  EXPECT_EQ(events[4].type, WatchEvent::Type::kError);
  EXPECT_EQ(events[4].ErrorCode(), 410);
  EXPECT_EQ(events[0].ErrorCode(), 0);
  EXPECT_STREQ(WatchEventTypeName(events[4].type), "ERROR");
}

TEST(WatchEventTest, MalformedLinesAreInvalidArgument) {
  for (const char* bad : {"", "not json", "[]", R"({"type":"ADDED"})", R"({"type":1,"object":{}})",
                          R"({"type":"ADDED","object":[]})", R"({"type":"RENAMED","object":{}})"}) {
    EXPECT_EQ(ParseWatchEvent(bad).status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

}  // namespace
}  // namespace rmq::k8s
