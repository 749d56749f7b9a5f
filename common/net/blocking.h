// blocking.h: bridges between coroutines and plain code, for main() functions, CLIs and tests.
//
// BlockOn() runs a single-threaded io_context until one awaitable finishes and returns its result,
// even when other work (e.g. a connection's read loop) keeps the context busy. Never call it from
// inside the io_context's own thread or from production handlers (anti-pattern: blocking where the
// code must react); it exists for the edges of the program.
//
// DieOnException is the completion handler for co_spawn of a detached coroutine: our coroutines
// report errors as absl::Status, so an escaping exception is a bug; it is logged and the process
// aborts instead of silently losing the failure.
#pragma once

#include <chrono>
#include <exception>
#include <future>

#include "common/net/asio.h"

namespace rmq::net {

template <typename T>
T BlockOn(asio::io_context& io, asio::awaitable<T> work) {
  std::future<T> result = asio::co_spawn(io, std::move(work), asio::use_future);
  io.restart();
  while (result.wait_for(std::chrono::seconds(0)) != std::future_status::ready) {
    if (io.run_one() == 0) io.restart();
  }
  return result.get();
}

void DieOnException(const std::exception_ptr& error);

}  // namespace rmq::net
