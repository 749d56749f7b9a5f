// check.h: invariant checks. RMQ_CHECK aborts in every build (like Envoy's RELEASE_ASSERT);
// RMQ_DCHECK only in debug builds. Never use them for external input: return a Status instead.
#pragma once

#include <cstdio>
#include <cstdlib>

#define RMQ_CHECK(cond)                                                                 \
  do {                                                                                  \
    if (!(cond)) {                                                                      \
      std::fprintf(stderr, "%s:%d: RMQ_CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                     \
    }                                                                                   \
  } while (false)

#ifdef NDEBUG
#define RMQ_DCHECK(cond) \
  do {                   \
  } while (false && (cond))
#else
#define RMQ_DCHECK(cond) RMQ_CHECK(cond)
#endif
