#include "common/log/logger.h"

#include <memory>
#include <mutex>

#include "spdlog/pattern_formatter.h"
#include "spdlog/sinks/stdout_color_sinks.h"

namespace rmq::log {
namespace {

constexpr const char* kTextPattern = "%Y-%m-%dT%H:%M:%S.%e%z %^%l%$ %n %v";
// %* is the message escaped for a JSON string (JsonMessage below): one valid object per line.
constexpr const char* kJsonPattern =
    R"({"ts":"%Y-%m-%dT%H:%M:%S.%e%z","level":"%l","logger":"%n","msg":"%*"})";

class JsonMessage final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm& /*tm*/,
              spdlog::memory_buf_t& dest) override {
    static constexpr char kHex[] = "0123456789abcdef";
    for (char c : msg.payload) {
      const auto u = static_cast<unsigned char>(c);
      if (c == '"' || c == '\\') {
        dest.push_back('\\');
        dest.push_back(c);
      } else if (c == '\n') {
        const char escaped[] = {'\\', 'n'};
        dest.append(escaped, escaped + sizeof(escaped));
      } else if (u < 0x20) {
        const char escaped[] = {'\\', 'u', '0', '0', kHex[u >> 4], kHex[u & 0xf]};
        dest.append(escaped, escaped + sizeof(escaped));
      } else {
        dest.push_back(c);
      }
    }
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<JsonMessage>();
  }
};

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
  if (format == Format::kJson) {
    auto formatter = std::make_unique<spdlog::pattern_formatter>();
    formatter->add_flag<JsonMessage>('*').set_pattern(kJsonPattern);
    logger.set_formatter(std::move(formatter));
  } else {
    logger.set_pattern(kTextPattern);
  }
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
