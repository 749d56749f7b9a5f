// logger.h: named spdlog loggers, one per component ("agent.broker", "remoting.client").
//
// Libraries never use spdlog's default logger; they ask for their component's logger here.
// Loggers are created on first use with the process-wide level and format set by Configure().
// Thread-safe.
//
// Example:
//   auto log = rmq::log::Get("remoting.client");
//   log->info("connected addr={}", addr);
#pragma once

#include <memory>
#include <string>

#include "spdlog/spdlog.h"

namespace rmq::log {

enum class Format { kText, kJson };

// Sets the level ("trace".."off") and format of every existing and future logger. Returns false
// if the level name is unknown.
bool Configure(const std::string& level, Format format);

// Returns the logger of a component, creating it (stderr sink) when first asked.
std::shared_ptr<spdlog::logger> Get(const std::string& component);

}  // namespace rmq::log
