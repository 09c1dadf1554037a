// The read side of SPDK's json library over parsed values (see spdk/json.h):
// comparing and copying strings, numbers, decoding objects and arrays into structs,
// walking and searching, and writing a parsed value back out.
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>

#include "spdk/json.h"
#include "spdk/uuid.h"

namespace {

bool is_text(const spdk_json_val *val) {
    return val->type == SPDK_JSON_VAL_STRING || val->type == SPDK_JSON_VAL_NAME;
}

// A JSON number as sign * significand * 10^exponent, the significand holding as
// many of the exponent's powers of ten as fit (so a whole number that fits in 64
// bits has exponent 0).
struct Decimal {
    bool negative = false;
    uint64_t significand = 0;
    int64_t exponent = 0;
};

// The parser has checked the syntax of a NUMBER value; this reads it. -ERANGE when
// the digits alone (or the exponent) do not fit in 64 bits.
int split_number(const spdk_json_val *val, Decimal &out) {
    out = Decimal{};
    if (val->type != SPDK_JSON_VAL_NUMBER || val->len == 0) {
        return -EINVAL;
    }
    const char *p = static_cast<const char *>(val->start);
    const char *const end = p + val->len;
    if (*p == '-') {
        out.negative = true;
        ++p;
    }
    constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();
    uint64_t fraction_digits = 0;
    bool in_fraction = false;
    for (; p < end && *p != 'e' && *p != 'E'; ++p) {
        if (*p == '.') {
            in_fraction = true;
            continue;
        }
        const auto digit = static_cast<uint64_t>(*p - '0');
        if (out.significand > (kMax - digit) / 10) {
            return -ERANGE;
        }
        out.significand = out.significand * 10 + digit;
        fraction_digits += in_fraction ? 1 : 0;
    }
    uint64_t exp_abs = 0;
    bool exp_negative = false;
    if (p < end) {
        ++p;  // 'e' or 'E'
        if (p < end && (*p == '+' || *p == '-')) {
            exp_negative = *p == '-';
            ++p;
        }
        for (; p < end; ++p) {
            const auto digit = static_cast<uint64_t>(*p - '0');
            if (exp_abs > (kMax - digit) / 10) {
                return -ERANGE;
            }
            exp_abs = exp_abs * 10 + digit;
        }
    }
    constexpr auto kExpMax = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
    // exponent - fraction digits must fit in 64 bits too (fraction_digits is below
    // 2^32, the value's length); a number that small is no whole number anyway.
    if (exp_abs > kExpMax || (exp_negative && exp_abs > kExpMax - fraction_digits)) {
        return -ERANGE;
    }
    out.exponent = exp_negative ? -static_cast<int64_t>(exp_abs) : static_cast<int64_t>(exp_abs);
    out.exponent -= static_cast<int64_t>(fraction_digits);
    // Move the exponent into the significand where that loses nothing. Zero times any
    // power of ten is zero: at once, not one multiplication per unit of exponent.
    if (out.significand == 0 && out.exponent > 0) {
        out.exponent = 0;
    }
    while (out.exponent < 0 && out.significand >= 10 && out.significand % 10 == 0) {
        out.significand /= 10;
        ++out.exponent;
    }
    while (out.exponent > 0 && out.significand <= kMax / 10) {
        out.significand *= 10;
        --out.exponent;
    }
    return 0;
}

// An unsigned whole number no larger than max.
int to_unsigned(const spdk_json_val *val, uint64_t max, uint64_t &out) {
    Decimal d;
    if (const int rc = split_number(val, d); rc != 0) {
        return rc;
    }
    // A zero with a fraction or exponent ("0.0", "-0") stays out, as in SPDK.
    if (d.exponent != 0 || d.negative || d.significand > max) {
        return -ERANGE;
    }
    out = d.significand;
    return 0;
}

int decode_object(const spdk_json_val *values, const spdk_json_object_decoder *decoders,
                  size_t num_decoders, void *out, bool relaxed) {
    if (values == nullptr || values->type != SPDK_JSON_VAL_OBJECT_BEGIN) {
        return -1;
    }
    std::unique_ptr<bool[]> seen(new (std::nothrow) bool[num_decoders == 0 ? 1 : num_decoders]());
    if (!seen) {
        return -1;
    }
    bool failed = false;
    // values[i + 1] is a member's NAME, values[i + 2] its value.
    for (uint32_t i = 0; i < values->len;) {
        const spdk_json_val *name = &values[i + 1];
        const spdk_json_val *value = &values[i + 2];
        bool known = false;
        for (size_t d = 0; d < num_decoders; ++d) {
            if (!spdk_json_strequal(name, decoders[d].name)) {
                continue;
            }
            known = true;
            if (seen[d]) {
                failed = true;  // the same member twice
            } else {
                seen[d] = true;
                // Every member is decoded, even after a failure, as SPDK does.
                void *field = static_cast<char *>(out) + decoders[d].offset;
                failed |= decoders[d].decode_func(value, field) != 0;
            }
            break;
        }
        failed |= !known && !relaxed;
        i += 1 + static_cast<uint32_t>(spdk_json_val_len(value));
    }
    for (size_t d = 0; d < num_decoders; ++d) {
        failed |= !decoders[d].optional && !seen[d];
    }
    return failed ? -1 : 0;
}

// The first value inside a container of one of the kinds, or NULL. As SPDK, a
// first value with length 0 (an empty container's END has length 1) counts as none.
spdk_json_val *first_inside(spdk_json_val *container, uint32_t kinds) {
    if (container == nullptr || (container->type & kinds) == 0) {
        return nullptr;
    }
    spdk_json_val *first = container + 1;
    return first->len == 0 ? nullptr : first;
}

// The value after the END that closes the container at begin, or NULL when the
// array runs out (an INVALID value) first.
spdk_json_val *past_container(spdk_json_val *begin) {
    const spdk_json_val_type end_type = begin->type == SPDK_JSON_VAL_OBJECT_BEGIN
                                            ? SPDK_JSON_VAL_OBJECT_END
                                            : SPDK_JSON_VAL_ARRAY_END;
    unsigned level = 1;
    spdk_json_val *it = begin + 1;
    for (; level != 0 && it->type != SPDK_JSON_VAL_INVALID; ++it) {
        if (it->type == begin->type) {
            ++level;
        } else if (it->type == end_type) {
            --level;
        }
    }
    return level == 0 ? it : nullptr;
}

}  // namespace

extern "C" {

size_t spdk_json_val_len(const struct spdk_json_val *val) {
    if (val == nullptr) {
        return 0;
    }
    if (val->type == SPDK_JSON_VAL_ARRAY_BEGIN || val->type == SPDK_JSON_VAL_OBJECT_BEGIN) {
        return val->len + 2;
    }
    return 1;
}

bool spdk_json_strequal(const struct spdk_json_val *val, const char *str) {
    if (!is_text(val)) {
        return false;
    }
    const size_t len = std::strlen(str);
    return val->len == len && std::memcmp(val->start, str, len) == 0;
}

char *spdk_json_strdup(const struct spdk_json_val *val) {
    if (!is_text(val) || std::memchr(val->start, '\0', val->len) != nullptr) {
        return nullptr;
    }
    auto *copy = static_cast<char *>(std::malloc(val->len + 1));
    if (copy != nullptr) {
        std::memcpy(copy, val->start, val->len);
        copy[val->len] = '\0';
    }
    return copy;
}

int spdk_json_number_to_uint8(const struct spdk_json_val *val, uint8_t *num) {
    uint64_t v = 0;
    const int rc = to_unsigned(val, UINT8_MAX, v);
    if (rc == 0) {
        *num = static_cast<uint8_t>(v);
    }
    return rc;
}

int spdk_json_number_to_uint16(const struct spdk_json_val *val, uint16_t *num) {
    uint64_t v = 0;
    const int rc = to_unsigned(val, UINT16_MAX, v);
    if (rc == 0) {
        *num = static_cast<uint16_t>(v);
    }
    return rc;
}

int spdk_json_number_to_uint32(const struct spdk_json_val *val, uint32_t *num) {
    uint64_t v = 0;
    const int rc = to_unsigned(val, UINT32_MAX, v);
    if (rc == 0) {
        *num = static_cast<uint32_t>(v);
    }
    return rc;
}

int spdk_json_number_to_uint64(const struct spdk_json_val *val, uint64_t *num) {
    return to_unsigned(val, UINT64_MAX, *num);
}

int spdk_json_number_to_int32(const struct spdk_json_val *val, int32_t *num) {
    Decimal d;
    if (const int rc = split_number(val, d); rc != 0) {
        return rc;
    }
    const uint64_t limit = d.negative ? uint64_t{1} << 31 : uint64_t{INT32_MAX};
    if (d.exponent != 0 || d.significand > limit) {
        return -ERANGE;
    }
    const auto magnitude = static_cast<int64_t>(d.significand);
    *num = static_cast<int32_t>(d.negative ? -magnitude : magnitude);
    return 0;
}

int spdk_json_decode_object(const struct spdk_json_val *values,
                            const struct spdk_json_object_decoder *decoders, size_t num_decoders,
                            void *out) {
    return decode_object(values, decoders, num_decoders, out, false);
}

int spdk_json_decode_object_relaxed(const struct spdk_json_val *values,
                                    const struct spdk_json_object_decoder *decoders,
                                    size_t num_decoders, void *out) {
    return decode_object(values, decoders, num_decoders, out, true);
}

int spdk_json_decode_array(const struct spdk_json_val *values, spdk_json_decode_fn decode_func,
                           void *out, size_t max_size, size_t *out_size, size_t stride) {
    if (values == nullptr || values->type != SPDK_JSON_VAL_ARRAY_BEGIN) {
        return -1;
    }
    *out_size = 0;
    char *field = static_cast<char *>(out);
    for (uint32_t i = 0; i < values->len;) {
        const spdk_json_val *element = &values[i + 1];
        if (*out_size == max_size || decode_func(element, field) != 0) {
            return -1;
        }
        i += static_cast<uint32_t>(spdk_json_val_len(element));
        field += stride;
        ++*out_size;
    }
    return 0;
}

void spdk_json_free_object(const struct spdk_json_object_decoder *decoders, size_t num_decoders,
                           void *obj) {
    // Decoding an INVALID value fails, and a decoder that owns memory (the string
    // decoder) releases what its field held first.
    static char empty[1] = "";
    const spdk_json_val invalid = {empty, 0, SPDK_JSON_VAL_INVALID};
    for (size_t d = 0; d < num_decoders; ++d) {
        decoders[d].decode_func(&invalid, static_cast<char *>(obj) + decoders[d].offset);
    }
}

int spdk_json_decode_bool(const struct spdk_json_val *val, void *out) {
    if (val->type != SPDK_JSON_VAL_TRUE && val->type != SPDK_JSON_VAL_FALSE) {
        return -1;
    }
    *static_cast<bool *>(out) = val->type == SPDK_JSON_VAL_TRUE;
    return 0;
}

int spdk_json_decode_uint8(const struct spdk_json_val *val, void *out) {
    return spdk_json_number_to_uint8(val, static_cast<uint8_t *>(out));
}

int spdk_json_decode_uint16(const struct spdk_json_val *val, void *out) {
    return spdk_json_number_to_uint16(val, static_cast<uint16_t *>(out));
}

int spdk_json_decode_int32(const struct spdk_json_val *val, void *out) {
    return spdk_json_number_to_int32(val, static_cast<int32_t *>(out));
}

int spdk_json_decode_uint32(const struct spdk_json_val *val, void *out) {
    return spdk_json_number_to_uint32(val, static_cast<uint32_t *>(out));
}

int spdk_json_decode_uint64(const struct spdk_json_val *val, void *out) {
    return spdk_json_number_to_uint64(val, static_cast<uint64_t *>(out));
}

int spdk_json_decode_string(const struct spdk_json_val *val, void *out) {
    auto **field = static_cast<char **>(out);
    std::free(*field);
    *field = spdk_json_strdup(val);
    return *field != nullptr ? 0 : -1;
}

int spdk_json_decode_uuid(const struct spdk_json_val *val, void *out) {
    char *text = nullptr;
    if (spdk_json_decode_string(val, &text) != 0) {
        return -1;
    }
    const int rc = spdk_uuid_parse(static_cast<spdk_uuid *>(out), text);
    std::free(text);
    return rc == 0 ? 0 : -1;
}

int spdk_json_find(struct spdk_json_val *object, const char *key_name, struct spdk_json_val **key,
                   struct spdk_json_val **val, enum spdk_json_val_type type) {
    if (object == nullptr || object->type != SPDK_JSON_VAL_OBJECT_BEGIN) {
        return -EPROTOTYPE;
    }
    // An object that first_inside finds empty (SPDK's quirk: its first name is "") has
    // no member to find, but it is an object.
    spdk_json_val *it = first_inside(object, SPDK_JSON_VAL_OBJECT_BEGIN);
    spdk_json_val *found_key = nullptr;
    spdk_json_val *found_val = nullptr;
    for (; it != nullptr; it = spdk_json_next(it)) {
        if (it->type != SPDK_JSON_VAL_NAME || !spdk_json_strequal(it, key_name)) {
            continue;
        }
        if (found_key != nullptr) {
            return -EINVAL;  // the key twice
        }
        found_key = it;
        found_val = it + 1;
        if (type != SPDK_JSON_VAL_ANY && (found_val->type & type) == 0) {
            return -EDOM;
        }
    }
    if (key != nullptr) {
        *key = found_key;
    }
    if (val != nullptr) {
        *val = found_val;
    }
    return found_val != nullptr ? 0 : -ENOENT;
}

int spdk_json_find_string(struct spdk_json_val *object, const char *key_name,
                          struct spdk_json_val **key, struct spdk_json_val **val) {
    return spdk_json_find(object, key_name, key, val, SPDK_JSON_VAL_STRING);
}

int spdk_json_find_array(struct spdk_json_val *object, const char *key_name,
                         struct spdk_json_val **key, struct spdk_json_val **value) {
    return spdk_json_find(object, key_name, key, value, SPDK_JSON_VAL_ARRAY_BEGIN);
}

struct spdk_json_val *spdk_json_object_first(struct spdk_json_val *object) {
    spdk_json_val *first = first_inside(object, SPDK_JSON_VAL_OBJECT_BEGIN);
    return first != nullptr && first->type != SPDK_JSON_VAL_OBJECT_END ? first : nullptr;
}

struct spdk_json_val *spdk_json_array_first(struct spdk_json_val *array_begin) {
    spdk_json_val *first = first_inside(array_begin, SPDK_JSON_VAL_ARRAY_BEGIN);
    return first != nullptr && first->type != SPDK_JSON_VAL_ARRAY_END ? first : nullptr;
}

struct spdk_json_val *spdk_json_next(struct spdk_json_val *pos) {
    spdk_json_val *next = nullptr;
    switch (pos->type) {
        case SPDK_JSON_VAL_NULL:
        case SPDK_JSON_VAL_TRUE:
        case SPDK_JSON_VAL_FALSE:
        case SPDK_JSON_VAL_NUMBER:
        case SPDK_JSON_VAL_STRING:
            // SPDK's behaviour, kept: the very next value, even an END.
            return pos + 1;
        case SPDK_JSON_VAL_NAME:
            next = spdk_json_next(pos + 1);
            break;
        case SPDK_JSON_VAL_ARRAY_BEGIN:
        case SPDK_JSON_VAL_OBJECT_BEGIN:
            next = past_container(pos);
            break;
        default:
            return nullptr;  // an END or INVALID has no successor
    }
    if (next == nullptr || next->type == SPDK_JSON_VAL_ARRAY_END ||
        next->type == SPDK_JSON_VAL_OBJECT_END || next->type == SPDK_JSON_VAL_INVALID) {
        return nullptr;
    }
    return next;
}

int spdk_json_write_val(struct spdk_json_write_ctx *w, const struct spdk_json_val *val) {
    switch (val->type) {
        case SPDK_JSON_VAL_NUMBER:
        case SPDK_JSON_VAL_TRUE:
        case SPDK_JSON_VAL_FALSE:
        case SPDK_JSON_VAL_NULL:
            return spdk_json_write_val_raw(w, val->start, val->len);
        case SPDK_JSON_VAL_STRING:
            return spdk_json_write_string_raw(w, static_cast<const char *>(val->start), val->len);
        case SPDK_JSON_VAL_NAME:
            return spdk_json_write_name_raw(w, static_cast<const char *>(val->start), val->len);
        case SPDK_JSON_VAL_ARRAY_BEGIN:
        case SPDK_JSON_VAL_OBJECT_BEGIN: {
            const bool object = val->type == SPDK_JSON_VAL_OBJECT_BEGIN;
            int rc = object ? spdk_json_write_object_begin(w) : spdk_json_write_array_begin(w);
            // The contents, each value (a name, a scalar, a whole container) once.
            for (uint32_t i = 1; rc == 0 && i <= val->len;) {
                rc = spdk_json_write_val(w, &val[i]);
                i += static_cast<uint32_t>(spdk_json_val_len(&val[i]));
            }
            if (rc == 0) {
                rc = object ? spdk_json_write_object_end(w) : spdk_json_write_array_end(w);
            }
            return rc;
        }
        default:
            return -1;
    }
}

}  // extern "C"
