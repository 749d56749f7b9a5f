#include "nodeagent/runtime/prober.h"
namespace rmq::nodeagent {
boost::asio::awaitable<HandlerOutcome> RunHandler(const Handler&, const ProbeTarget&,
                                                  std::chrono::milliseconds,
                                                  boost::asio::thread_pool&) {
  co_return HandlerOutcome{.result = ProbeResult::kSuccess, .message = ""};
}
}  // namespace rmq::nodeagent
