// when_all.h: run several awaitables concurrently and wait for every one of them.
//
// WhenAll() starts each awaitable on `executor` (co_spawn) and completes once all finished, with
// their results in the order given. An awaitable that throws leaves T's default value in its slot
// (project code reports errors as values: absl::Status / StatusOr). `executor` must run one thing
// at a time (an io_context run by one thread, or a strand): the bookkeeping is not synchronized.
//
// Example:
//   std::vector<asio::awaitable<absl::StatusOr<State>>> calls;
//   for (const auto& a : addresses) calls.push_back(agents.GetBrokerState(a, {}));
//   std::vector<absl::StatusOr<State>> states = co_await WhenAll(executor, std::move(calls));
#pragma once

#include <cstddef>
#include <exception>
#include <utility>
#include <vector>

#include "common/net/asio.h"

namespace rmq::net {

namespace when_all_internal {

// The completion handler of one awaitable (a struct, not a lambda: GCC 12 coroutine frames).
template <typename T>
struct Collect {
  T* slot;
  size_t* remaining;
  asio::steady_timer* done;
  void operator()(const std::exception_ptr& error, T value) const {
    if (!error) *slot = std::move(value);
    if (--*remaining == 0) done->cancel();
  }
};

}  // namespace when_all_internal

template <typename T>
asio::awaitable<std::vector<T>> WhenAll(asio::any_io_executor executor,
                                        std::vector<asio::awaitable<T>> work) {
  std::vector<T> results(work.size());
  size_t remaining = work.size();
  asio::steady_timer done(executor, asio::steady_timer::time_point::max());
  for (size_t i = 0; i < work.size(); ++i) {
    when_all_internal::Collect<T> collect{&results[i], &remaining, &done};
    asio::co_spawn(executor, std::move(work[i]), collect);
  }
  // Nothing spawned ran yet (the executor runs one thing at a time and this coroutine holds it).
  if (remaining > 0) {
    boost::system::error_code ec;
    co_await done.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
  co_return results;
}

}  // namespace rmq::net
