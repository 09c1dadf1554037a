/* spdkcpp embedded runtime: compile-time assertions usable from C and C++. */
#ifndef SPDK_ASSERT_H
#define SPDK_ASSERT_H

#include "spdk/stdinc.h"

#ifdef __cplusplus
#define SPDK_STATIC_ASSERT(cond, msg) static_assert(cond, msg)
#else
#define SPDK_STATIC_ASSERT(cond, msg) _Static_assert(cond, msg)
#endif

#endif /* SPDK_ASSERT_H */
