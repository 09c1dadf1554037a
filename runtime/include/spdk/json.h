/* spdkcpp embedded runtime: the JSON writer SPDK modules use for their config and
 * info output (the write side of SPDK's json library).
 *
 * A writer emits JSON text through a caller's callback, in chunks, as values are
 * written. Each function returns 0, or -1 once the writer has failed: a value in a
 * place JSON does not allow it (a value without a name inside an object, a name
 * outside one, an unbalanced end), or the callback returned non-zero. After a
 * failure every further call is ignored and returns -1, and spdk_json_write_end
 * reports it. */
#ifndef SPDK_JSON_H_
#define SPDK_JSON_H_

#include "spdk/stdinc.h"
#include "spdk/uuid.h"

#ifdef __cplusplus
extern "C" {
#endif

struct spdk_json_write_ctx;

/* Indent the output, one value per line. */
#define SPDK_JSON_WRITE_FLAG_FORMATTED 0x00000001
/* Write the contents of batches straight into the enclosing array. */
#define SPDK_JSON_WRITE_FLAG_FLATTEN_BATCHES 0x00000002

/* Receives the next size bytes of output; returns 0, or non-zero to fail the writer. */
typedef int (*spdk_json_write_cb)(void *cb_ctx, const void *data, size_t size);

/* Returns a new writer, or NULL when out of memory. */
struct spdk_json_write_ctx *spdk_json_write_begin(spdk_json_write_cb write_cb, void *cb_ctx,
                                                  uint32_t flags);
/* Flushes the output and frees w. Returns 0 when the output is one complete JSON
 * value (or nothing at all), -1 otherwise. */
int spdk_json_write_end(struct spdk_json_write_ctx *w);
/* Drops the state of w so that it can start a new top-level value. */
void spdk_json_write_reset(struct spdk_json_write_ctx *w);
void spdk_json_write_add_flags(struct spdk_json_write_ctx *w, uint32_t flags);

int spdk_json_write_null(struct spdk_json_write_ctx *w);
int spdk_json_write_bool(struct spdk_json_write_ctx *w, bool val);
int spdk_json_write_uint8(struct spdk_json_write_ctx *w, uint8_t val);
int spdk_json_write_uint16(struct spdk_json_write_ctx *w, uint16_t val);
int spdk_json_write_int32(struct spdk_json_write_ctx *w, int32_t val);
int spdk_json_write_uint32(struct spdk_json_write_ctx *w, uint32_t val);
int spdk_json_write_int64(struct spdk_json_write_ctx *w, int64_t val);
int spdk_json_write_uint64(struct spdk_json_write_ctx *w, uint64_t val);
/* A 128-bit unsigned number, written in decimal. */
int spdk_json_write_uint128(struct spdk_json_write_ctx *w, uint64_t low_val, uint64_t high_val);
/* Non-finite values (NaN, infinities) make the writer fail: JSON has no spelling
 * for them. */
int spdk_json_write_double(struct spdk_json_write_ctx *w, double val);
/* val is UTF-8; quotes, backslashes and control characters are escaped. */
int spdk_json_write_string(struct spdk_json_write_ctx *w, const char *val);
int spdk_json_write_string_raw(struct spdk_json_write_ctx *w, const char *val, size_t len);
/* The bytes as a string of lower-case hex digits, two per byte. */
int spdk_json_write_bytearray(struct spdk_json_write_ctx *w, const void *val, size_t len);
/* The UUID as its lower-case text form. */
int spdk_json_write_uuid(struct spdk_json_write_ctx *w, const struct spdk_uuid *uuid);
int spdk_json_write_string_fmt(struct spdk_json_write_ctx *w, const char *fmt, ...)
    __attribute__((__format__(__printf__, 2, 3)));
int spdk_json_write_string_fmt_v(struct spdk_json_write_ctx *w, const char *fmt, va_list args);

int spdk_json_write_array_begin(struct spdk_json_write_ctx *w);
int spdk_json_write_array_end(struct spdk_json_write_ctx *w);
/* A batch is an array, or with SPDK_JSON_WRITE_FLAG_FLATTEN_BATCHES a run of values
 * inside the enclosing array. */
int spdk_json_write_batch_begin(struct spdk_json_write_ctx *w);
int spdk_json_write_batch_end(struct spdk_json_write_ctx *w);
int spdk_json_write_object_begin(struct spdk_json_write_ctx *w);
int spdk_json_write_object_end(struct spdk_json_write_ctx *w);
/* The name of the next member of the current object. */
int spdk_json_write_name(struct spdk_json_write_ctx *w, const char *name);
int spdk_json_write_name_raw(struct spdk_json_write_ctx *w, const char *name, size_t len);
/* Appends data to the output as it is, as one value: the caller vouches that it is
 * valid JSON. */
int spdk_json_write_val_raw(struct spdk_json_write_ctx *w, const void *data, size_t len);

/* Each named form writes the member name, then the value. */
int spdk_json_write_named_null(struct spdk_json_write_ctx *w, const char *name);
int spdk_json_write_named_bool(struct spdk_json_write_ctx *w, const char *name, bool val);
int spdk_json_write_named_uint8(struct spdk_json_write_ctx *w, const char *name, uint8_t val);
int spdk_json_write_named_uint16(struct spdk_json_write_ctx *w, const char *name, uint16_t val);
int spdk_json_write_named_int32(struct spdk_json_write_ctx *w, const char *name, int32_t val);
int spdk_json_write_named_uint32(struct spdk_json_write_ctx *w, const char *name, uint32_t val);
int spdk_json_write_named_int64(struct spdk_json_write_ctx *w, const char *name, int64_t val);
int spdk_json_write_named_uint64(struct spdk_json_write_ctx *w, const char *name, uint64_t val);
int spdk_json_write_named_uint128(struct spdk_json_write_ctx *w, const char *name, uint64_t low_val,
                                  uint64_t high_val);
int spdk_json_write_named_double(struct spdk_json_write_ctx *w, const char *name, double val);
int spdk_json_write_named_string(struct spdk_json_write_ctx *w, const char *name, const char *val);
int spdk_json_write_named_string_fmt(struct spdk_json_write_ctx *w, const char *name,
                                     const char *fmt, ...)
    __attribute__((__format__(__printf__, 3, 4)));
int spdk_json_write_named_string_fmt_v(struct spdk_json_write_ctx *w, const char *name,
                                       const char *fmt, va_list args);
int spdk_json_write_named_bytearray(struct spdk_json_write_ctx *w, const char *name,
                                    const void *val, size_t len);
int spdk_json_write_named_uuid(struct spdk_json_write_ctx *w, const char *name,
                               const struct spdk_uuid *uuid);
int spdk_json_write_named_array_begin(struct spdk_json_write_ctx *w, const char *name);
int spdk_json_write_named_object_begin(struct spdk_json_write_ctx *w, const char *name);

#ifdef __cplusplus
}
#endif

#endif /* SPDK_JSON_H_ */
