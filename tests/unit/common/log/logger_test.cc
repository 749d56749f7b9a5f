// Log formats: JSON lines stay valid JSON whatever the message contains.
#include "common/log/logger.h"

#include <gtest/gtest.h>

#include <sstream>

#include "nlohmann/json.hpp"
#include "spdlog/sinks/ostream_sink.h"

namespace rmq::log {
namespace {

TEST(LoggerTest, JsonFormatEscapesTheMessage) {
  auto logger = Get("test.json");
  std::ostringstream out;
  logger->sinks().push_back(std::make_shared<spdlog::sinks::ostream_sink_mt>(out));
  ASSERT_TRUE(Configure("info", Format::kJson));  // re-applies the format to every sink
  logger->info("quote=\"{}\" backslash={} newline={} tab={}", "q", "a\\b", "x\ny", "\t");
  logger->flush();
  ASSERT_TRUE(Configure("info", Format::kText));

  const std::string line = out.str();
  ASSERT_FALSE(line.empty());
  EXPECT_EQ(line.find('\n'), line.size() - 1) << line;  // one line
  nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  ASSERT_TRUE(j.is_object()) << line;
  EXPECT_EQ(j["msg"], "quote=\"q\" backslash=a\\b newline=x\ny tab=\t");
  EXPECT_EQ(j["level"], "info");
  EXPECT_EQ(j["logger"], "test.json");
  EXPECT_FALSE(j["ts"].get<std::string>().empty());
}

TEST(LoggerTest, UnknownLevelsAreRefused) { EXPECT_FALSE(Configure("loud", Format::kText)); }

}  // namespace
}  // namespace rmq::log
