// wait.h: polling for a condition in tests that watch real processes (brokers, name servers, a
// control plane), which report nothing we could wait on instead.
//
// Example:
//   ASSERT_TRUE(WaitFor([&] { return RegisteredOn(ns, broker); }, std::chrono::seconds(30)));
#pragma once

#include <chrono>
#include <functional>
#include <thread>

namespace rmq::testing {

// Polls `check` every `period` until it returns true or `timeout` passes; the last result.
inline bool WaitFor(const std::function<bool()>& check, std::chrono::milliseconds timeout,
                    std::chrono::milliseconds period = std::chrono::milliseconds(250)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (check()) return true;
    std::this_thread::sleep_for(period);
  }
  return check();
}

}  // namespace rmq::testing
