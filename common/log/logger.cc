#include "common/log/logger.h"

#include <mutex>

#include "spdlog/sinks/stdout_color_sinks.h"

namespace rmq::log {
namespace {

constexpr const char* kTextPattern = "%Y-%m-%dT%H:%M:%S.%e%z %^%l%$ %n %v";
constexpr const char* kJsonPattern =
    R"({"ts":"%Y-%m-%dT%H:%M:%S.%e%z","level":"%l","logger":"%n","msg":"%v"})";

struct State {
  std::mutex mu;
  spdlog::level::level_enum level = spdlog::level::info;
  Format format = Format::kText;
};

State& GlobalState() {
  static auto* state = new State();  // Never destroyed: loggers may log during exit.
  return *state;
}

void ApplyFormat(spdlog::logger& logger, Format format) {
  logger.set_pattern(format == Format::kJson ? kJsonPattern : kTextPattern);
}

}  // namespace

bool Configure(const std::string& level, Format format) {
  auto parsed = spdlog::level::from_str(level);
  if (parsed == spdlog::level::off && level != "off") {
    return false;
  }
  State& state = GlobalState();
  std::lock_guard lock(state.mu);
  state.level = parsed;
  state.format = format;
  spdlog::apply_all([&](const std::shared_ptr<spdlog::logger>& logger) {
    logger->set_level(parsed);
    ApplyFormat(*logger, format);
  });
  return true;
}

std::shared_ptr<spdlog::logger> Get(const std::string& component) {
  State& state = GlobalState();
  std::lock_guard lock(state.mu);
  if (auto existing = spdlog::get(component)) {
    return existing;
  }
  auto logger = spdlog::stderr_color_mt(component);
  logger->set_level(state.level);
  ApplyFormat(*logger, state.format);
  return logger;
}

}  // namespace rmq::log
