#include "common/net/blocking.h"

#include <cstdlib>

#include "common/log/logger.h"

namespace rmq::net {

void DieOnException(const std::exception_ptr& error) {
  if (!error) return;
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    log::Get("net")->critical("unexpected exception escaped a coroutine: {}", e.what());
  } catch (...) {
    log::Get("net")->critical("unexpected non-standard exception escaped a coroutine");
  }
  std::abort();
}

}  // namespace rmq::net
