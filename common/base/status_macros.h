// status_macros.h: early-return helpers for absl::Status / absl::StatusOr.
//
// absl 20220623 (Debian bookworm) has no ABSL_RETURN_IF_ERROR / ABSL_ASSIGN_OR_RETURN; these
// mirror their shape so a later switch is a rename. The RMQ_CO_* forms are for coroutines, which
// must `co_return`.
//
// Example:
//   absl::StatusOr<Frame> Decode(std::string_view in) {
//     RMQ_ASSIGN_OR_RETURN(uint32_t len, ParseLength(in));
//     RMQ_RETURN_IF_ERROR(CheckHeader(in, len));
//     ...
//   }
#pragma once

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define RMQ_INTERNAL_CONCAT_IMPL(a, b) a##b
#define RMQ_INTERNAL_CONCAT(a, b) RMQ_INTERNAL_CONCAT_IMPL(a, b)

// Returns the status from the enclosing function if `expr` is not OK.
#define RMQ_RETURN_IF_ERROR(expr)                                 \
  do {                                                            \
    if (::absl::Status rmq_status_ = (expr); !rmq_status_.ok()) { \
      return rmq_status_;                                         \
    }                                                             \
  } while (false)

#define RMQ_CO_RETURN_IF_ERROR(expr)                              \
  do {                                                            \
    if (::absl::Status rmq_status_ = (expr); !rmq_status_.ok()) { \
      co_return rmq_status_;                                      \
    }                                                             \
  } while (false)

// Evaluates `rexpr` (an absl::StatusOr<T>); on error returns its status, else moves the value
// into `lhs` (a declaration such as `auto x` or an existing variable).
#define RMQ_ASSIGN_OR_RETURN(lhs, rexpr) \
  RMQ_INTERNAL_ASSIGN_OR_RETURN(RMQ_INTERNAL_CONCAT(rmq_statusor_, __LINE__), lhs, rexpr, return )

#define RMQ_CO_ASSIGN_OR_RETURN(lhs, rexpr)                                               \
  RMQ_INTERNAL_ASSIGN_OR_RETURN(RMQ_INTERNAL_CONCAT(rmq_statusor_, __LINE__), lhs, rexpr, \
                                co_return )

// NOLINTBEGIN(bugprone-macro-parentheses): `lhs` is a declaration and `ret` a keyword.
#define RMQ_INTERNAL_ASSIGN_OR_RETURN(tmp, lhs, rexpr, ret) \
  auto tmp = (rexpr);                                       \
  if (!tmp.ok()) {                                          \
    ret std::move(tmp).status();                            \
  }                                                         \
  lhs = std::move(*tmp)
// NOLINTEND(bugprone-macro-parentheses)
