/* spdkcpp embedded runtime: 128-bit UUIDs (RFC 4122), as SPDK names them.
 *
 * raw[] holds the UUID in its textual order: raw[0] is the first two hex digits of
 * "xxxxxxxx-xxxx-...". */
#ifndef SPDK_UUID_H
#define SPDK_UUID_H

#include "spdk/assert.h"
#include "spdk/stdinc.h"

#ifdef __cplusplus
extern "C" {
#endif

struct spdk_uuid {
    union {
        uint8_t raw[16];
    } u;
};
SPDK_STATIC_ASSERT(sizeof(struct spdk_uuid) == 16, "spdk_uuid is 16 bytes");

/* Length of the text form "8-4-4-4-12" plus its terminating NUL. */
#define SPDK_UUID_STRING_LEN 37

/* Reads the 36-character text form (either case). Returns 0, or -EINVAL when
 * uuid_str is not a well-formed UUID. */
int spdk_uuid_parse(struct spdk_uuid *uuid, const char *uuid_str);
/* Writes the lower-case text form; uuid_str_size must be at least
 * SPDK_UUID_STRING_LEN. Returns 0, or -EINVAL when the buffer is too small. */
int spdk_uuid_fmt_lower(char *uuid_str, size_t uuid_str_size, const struct spdk_uuid *uuid);
/* Orders UUIDs bytewise: < 0, 0 or > 0, as memcmp. */
int spdk_uuid_compare(const struct spdk_uuid *u1, const struct spdk_uuid *u2);
/* A random (version 4) UUID. */
void spdk_uuid_generate(struct spdk_uuid *uuid);
/* A name-based (version 5, SHA-1) UUID of name within namespace ns_uuid. Returns 0. */
int spdk_uuid_generate_sha1(struct spdk_uuid *uuid, struct spdk_uuid *ns_uuid, const char *name,
                            size_t len);
void spdk_uuid_copy(struct spdk_uuid *dst, const struct spdk_uuid *src);
/* True when every byte is zero. */
bool spdk_uuid_is_null(const struct spdk_uuid *uuid);
void spdk_uuid_set_null(struct spdk_uuid *uuid);

#ifdef __cplusplus
}
#endif

#endif /* SPDK_UUID_H */
