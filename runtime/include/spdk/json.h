/* spdkcpp embedded runtime: SPDK's json library, both directions.
 *
 * The read side parses JSON text into a flat array of values (spdk_json_parse) and
 * decodes objects and arrays of it into C structs through tables of decoders, as
 * SPDK's JSON-RPC methods read their "params".
 *
 * The write side emits JSON text through a caller's callback, in chunks, as values
 * are written. Each write function returns 0, or -1 once the writer has failed: a
 * value in a place JSON does not allow it (a value without a name inside an object,
 * a name outside one, an unbalanced end), or the callback returned non-zero. After
 * a failure every further call is ignored and returns -1, and spdk_json_write_end
 * reports it. */
#ifndef SPDK_JSON_H_
#define SPDK_JSON_H_

#include "spdk/stdinc.h"
#include "spdk/uuid.h"

#ifdef __cplusplus
extern "C" {
#endif

/* --- reading ------------------------------------------------------------------------ */

/* The kind of one parsed value. The values are bits, so that a set of kinds can be
 * asked for at once (spdk_json_find). */
enum spdk_json_val_type {
    SPDK_JSON_VAL_INVALID = 0,
/* Any kind at all, for spdk_json_find. */
#define SPDK_JSON_VAL_ANY SPDK_JSON_VAL_INVALID
    SPDK_JSON_VAL_NULL = 1U << 1,
    SPDK_JSON_VAL_TRUE = 1U << 2,
    SPDK_JSON_VAL_FALSE = 1U << 3,
    SPDK_JSON_VAL_NUMBER = 1U << 4,
    SPDK_JSON_VAL_STRING = 1U << 5,
    SPDK_JSON_VAL_ARRAY_BEGIN = 1U << 6,
    SPDK_JSON_VAL_ARRAY_END = 1U << 7,
    SPDK_JSON_VAL_OBJECT_BEGIN = 1U << 8,
    SPDK_JSON_VAL_OBJECT_END = 1U << 9,
    SPDK_JSON_VAL_NAME = 1U << 10,
};

/* One parsed value; it points into the parsed text, which must outlive it.
 * A container is a BEGIN value, the values inside it, and an END value; an object
 * holds NAME, value pairs. */
struct spdk_json_val {
    /* Strings and names: the first character after the opening quote. Numbers
     * and literals: their text. Containers: the bracket. */
    void *start;
    /* Strings and names: the length of the (decoded) text. Numbers and literals:
     * the length of their text. BEGIN values: how many values lie between it and
     * its END. END values: 1. */
    uint32_t len;
    enum spdk_json_val_type type;
};

/* spdk_json_parse's errors. */
#define SPDK_JSON_PARSE_INVALID -1
#define SPDK_JSON_PARSE_INCOMPLETE -2
#define SPDK_JSON_PARSE_MAX_DEPTH_EXCEEDED -3

/* Decode the escapes of strings and names into the text itself (it is modified, and
 * may not parse again: count the values in a first pass without this flag); without
 * it their bytes are left as they are. */
#define SPDK_JSON_PARSE_FLAG_DECODE_IN_PLACE 0x000000001
/* Accept C (slash-star) and C++ (slash-slash) comments where whitespace may be. */
#define SPDK_JSON_PARSE_FLAG_ALLOW_COMMENTS 0x000000002

/* Parses the one JSON value at the start of json[0, size) (containers nest at most
 * 64 deep) and stores at most num_values of its values in values (NULL: none, to
 * count them first). Returns how many values the text holds, which may exceed
 * num_values, or one of the SPDK_JSON_PARSE_* errors. *end (when end is not NULL)
 * is set past the value and the whitespace after it, or to where parsing stopped. */
ssize_t spdk_json_parse(void *json, size_t size, struct spdk_json_val *values, size_t num_values,
                        void **end, uint32_t flags);

/* Decodes val into *out (the field a decoder fills); returns 0, or non-zero when val
 * is not of the expected kind or range. */
typedef int (*spdk_json_decode_fn)(const struct spdk_json_val *val, void *out);

/* How to decode one member of an object: the member named name is decoded with
 * decode_func into the field at offset bytes into the output struct. */
struct spdk_json_object_decoder {
    const char *name;
    size_t offset;
    spdk_json_decode_fn decode_func;
    bool optional;
};

/* Decodes the object that begins at values into out, one decoder per member.
 * Returns 0, or -1 when values is not an object, a member has no decoder, a member
 * appears twice, a decoder fails or a required member is missing. The members that
 * did decode are left in out (a decoded string must still be freed). */
int spdk_json_decode_object(const struct spdk_json_val *values,
                            const struct spdk_json_object_decoder *decoders, size_t num_decoders,
                            void *out);
/* As spdk_json_decode_object, but members without a decoder are ignored. */
int spdk_json_decode_object_relaxed(const struct spdk_json_val *values,
                                    const struct spdk_json_object_decoder *decoders,
                                    size_t num_decoders, void *out);
/* Decodes the elements of the array that begins at values with decode_func into
 * out, stride bytes apart, at most max_size of them; *out_size is how many were
 * decoded. Returns 0, or -1 when values is not an array, it holds more than
 * max_size elements, or an element does not decode. */
int spdk_json_decode_array(const struct spdk_json_val *values, spdk_json_decode_fn decode_func,
                           void *out, size_t max_size, size_t *out_size, size_t stride);
/* Frees what decoders allocated in obj (strings), by calling each decoder on an
 * INVALID value: decoders that allocate must release their field then. */
void spdk_json_free_object(const struct spdk_json_object_decoder *decoders, size_t num_decoders,
                           void *obj);

/* Decoders for spdk_json_object_decoder and spdk_json_decode_array; out points to
 * a bool, uint8_t, uint16_t, int32_t, uint32_t, uint64_t, char * or spdk_uuid. */
int spdk_json_decode_bool(const struct spdk_json_val *val, void *out);
int spdk_json_decode_uint8(const struct spdk_json_val *val, void *out);
int spdk_json_decode_uint16(const struct spdk_json_val *val, void *out);
int spdk_json_decode_int32(const struct spdk_json_val *val, void *out);
int spdk_json_decode_uint32(const struct spdk_json_val *val, void *out);
int spdk_json_decode_uint64(const struct spdk_json_val *val, void *out);
/* Frees the string *out holds (NULL is fine) and stores a malloc'ed copy of val
 * there, which the caller frees. Fails for non-strings and strings with a NUL. */
int spdk_json_decode_string(const struct spdk_json_val *val, void *out);
/* A UUID in its text form. */
int spdk_json_decode_uuid(const struct spdk_json_val *val, void *out);

/* How many values val takes: 1, or for a container its BEGIN, contents and END.
 * 0 for NULL. */
size_t spdk_json_val_len(const struct spdk_json_val *val);
/* Whether val is a string or name equal to str. */
bool spdk_json_strequal(const struct spdk_json_val *val, const char *str);
/* A malloc'ed, NUL-terminated copy of a string or name, or NULL (not a string, a
 * string with a NUL in it, out of memory). */
char *spdk_json_strdup(const struct spdk_json_val *val);

/* The number val as an integer of the type: 0, -EINVAL when val is not a number,
 * -ERANGE when it has a fraction, is negative for an unsigned type, or does not
 * fit. Exponents are fine when the value is whole ("1e3", "1.5e1"). */
int spdk_json_number_to_uint8(const struct spdk_json_val *val, uint8_t *num);
int spdk_json_number_to_uint16(const struct spdk_json_val *val, uint16_t *num);
int spdk_json_number_to_int32(const struct spdk_json_val *val, int32_t *num);
int spdk_json_number_to_uint32(const struct spdk_json_val *val, uint32_t *num);
int spdk_json_number_to_uint64(const struct spdk_json_val *val, uint64_t *num);

/* Looks up the member key_name of the object at object: *key and *val (each when
 * not NULL) are set to its NAME and value. type is a set of kinds the value must be
 * one of (SPDK_JSON_VAL_ANY: any). Returns 0, -EPROTOTYPE when object is not an
 * object, -ENOENT when there is no such member, -EINVAL when there are two, -EDOM
 * when its value is of another kind. */
int spdk_json_find(struct spdk_json_val *object, const char *key_name, struct spdk_json_val **key,
                   struct spdk_json_val **val, enum spdk_json_val_type type);
/* spdk_json_find for a string value. */
int spdk_json_find_string(struct spdk_json_val *object, const char *key_name,
                          struct spdk_json_val **key, struct spdk_json_val **val);
/* spdk_json_find for an array value. */
int spdk_json_find_array(struct spdk_json_val *object, const char *key_name,
                         struct spdk_json_val **key, struct spdk_json_val **value);
/* The first NAME of an object, or NULL when it is empty or not an object. */
struct spdk_json_val *spdk_json_object_first(struct spdk_json_val *object);
/* The first element of an array, or NULL when it is empty or not an array. */
struct spdk_json_val *spdk_json_array_first(struct spdk_json_val *array_begin);
/* The value after pos at its level: after a NAME, the next NAME (past its value);
 * after a container, what follows its END. NULL at the end of the enclosing
 * container. As SPDK's, a scalar's successor is simply the next value, which is
 * the END of its container when the scalar is the last element. */
struct spdk_json_val *spdk_json_next(struct spdk_json_val *pos);

/* --- writing ------------------------------------------------------------------------ */

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
int spdk_json_write_string_fmt_v(struct spdk_json_write_ctx *w, const char *fmt, va_list args)
    __attribute__((__format__(__printf__, 2, 0)));

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
/* Writes a parsed value (with a container, all of it) as JSON. */
int spdk_json_write_val(struct spdk_json_write_ctx *w, const struct spdk_json_val *val);

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
                                       const char *fmt, va_list args)
    __attribute__((__format__(__printf__, 3, 0)));
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
