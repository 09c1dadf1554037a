/* spdkcpp embedded runtime: string helpers. */
#ifndef SPDK_STRING_H
#define SPDK_STRING_H

#include "spdk/stdinc.h"

#ifdef __cplusplus
extern "C" {
#endif

#define _SPDK_STRINGIFY(x) #x
#define SPDK_STRINGIFY(x) _SPDK_STRINGIFY(x)

/* Returns a string from malloc() that the caller frees with free(). */
char *spdk_sprintf_alloc(const char *format, ...) __attribute__((format(printf, 1, 2)));
char *spdk_vsprintf_alloc(const char *format, va_list args)
    __attribute__((__format__(__printf__, 1, 0)));
char *spdk_strlwr(char *s);
char *spdk_str_trim(char *s);
size_t spdk_str_chomp(char *s);

/* Thread-safe description of an errno value; the sign of errnum is ignored. */
void spdk_strerror_r(int errnum, char *buf, size_t buflen);
/* Like spdk_strerror_r, into a buffer owned by the calling thread. */
const char *spdk_strerror(int errnum);

/* Parses "4096", "4k", "256M", "1G" (binary multiples); has_prefix tells whether a
 * suffix was present. Returns 0 or -EINVAL. */
int spdk_parse_capacity(const char *cap_str, uint64_t *cap, bool *has_prefix);
bool spdk_mem_all_zero(const void *data, size_t size);
/* Return the parsed value, or a negative errno when nptr is not a whole
 * non-negative number in range. */
long int spdk_strtol(const char *nptr, int base);
long long int spdk_strtoll(const char *nptr, int base);

#ifdef __cplusplus
}
#endif

#endif /* SPDK_STRING_H */
