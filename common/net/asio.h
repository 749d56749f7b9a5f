// asio.h: the only way project code includes Boost.Asio.
//
// Boost 1.74 on Debian bookworm needs two fixes for C++20 coroutines: GCC 12 fails inside
// awaitable.hpp unless <utility> is included first, and clang 14 with libstdc++ does not detect
// coroutine support unless BOOST_ASIO_HAS_CO_AWAIT / BOOST_ASIO_HAS_STD_COROUTINE are defined.
#pragma once

#include <utility>  // Must precede Boost.Asio (GCC 12: std::exchange in awaitable.hpp).

#if defined(__clang__)
#ifndef BOOST_ASIO_HAS_CO_AWAIT
#define BOOST_ASIO_HAS_CO_AWAIT 1
#endif
#ifndef BOOST_ASIO_HAS_STD_COROUTINE
#define BOOST_ASIO_HAS_STD_COROUTINE 1
#endif
#endif

#include <boost/asio.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>

namespace rmq::net {
namespace asio = boost::asio;
}  // namespace rmq::net
