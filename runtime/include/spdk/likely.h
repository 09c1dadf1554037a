/* spdkcpp embedded runtime: branch prediction hints. */
#ifndef SPDK_LIKELY_H
#define SPDK_LIKELY_H

#define spdk_likely(cond) __builtin_expect(!!(cond), 1)
#define spdk_unlikely(cond) __builtin_expect((cond), 0)

#endif /* SPDK_LIKELY_H */
