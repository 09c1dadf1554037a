/* spdkcpp embedded runtime: a Zipf-distributed random number generator, for
 * workloads where a few offsets are hot (bdevperf's -F). */
#ifndef SPDK_ZIPF_H
#define SPDK_ZIPF_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct spdk_zipf;

/* A generator of values in [0, range): value k comes with a probability that falls
 * as 1 / (k + 1)^theta, so 0 is the most likely. theta in [0, 1); 0 is uniform.
 * seed makes the sequence repeatable. NULL when range is 0, theta is out of range,
 * or memory is short. */
struct spdk_zipf *spdk_zipf_create(uint64_t range, double theta, uint32_t seed);

/* Frees *zipfp (NULL is fine) and sets it to NULL. */
void spdk_zipf_free(struct spdk_zipf **zipfp);

/* The next value. */
uint64_t spdk_zipf_generate(struct spdk_zipf *zipf);

#ifdef __cplusplus
}
#endif

#endif /* SPDK_ZIPF_H */
