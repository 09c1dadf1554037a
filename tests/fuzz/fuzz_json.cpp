// libFuzzer target: SPDK's JSON parser and the decoders over what it parses
// (runtime/src/json). The first byte picks the parse flags (comments, in-place
// decoding); the rest is the text, in a heap buffer of exactly its size so that
// ASan sees any read past its end.
//
// Checked beyond "no crash": both passes agree on the number of values; a parse
// into too small an array writes no further than it; every value walks, compares
// and decodes; the number decoders agree with each other; a parsed document written
// back out (spdk_json_write_val) after an in-place parse parses again to as many
// values.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "spdk/json.h"
#include "spdk/util.h"
#include "spdk/uuid.h"

namespace {

[[noreturn]] void fail(const char *what) {
    std::fprintf(stderr, "fuzz_json: %s\n", what);
    std::abort();
}

void check(bool ok, const char *what) {
    if (!ok) {
        fail(what);
    }
}

// An exact-size heap copy of the text (ASan bounds).
std::unique_ptr<uint8_t[]> copy_of(const uint8_t *data, size_t size) {
    auto text = std::make_unique<uint8_t[]>(size == 0 ? 1 : size);
    if (size != 0) {
        std::memcpy(text.get(), data, size);
    }
    return text;
}

// The number decoders must agree: a value that fits a narrower type decodes to the
// same value there, and one that fits a wider type does too.
void check_number(const spdk_json_val *val) {
    uint64_t u64 = 0;
    uint32_t u32 = 0;
    uint16_t u16 = 0;
    uint8_t u8 = 0;
    int32_t i32 = 0;
    const bool has64 = spdk_json_number_to_uint64(val, &u64) == 0;
    const bool has32 = spdk_json_number_to_uint32(val, &u32) == 0;
    const bool has16 = spdk_json_number_to_uint16(val, &u16) == 0;
    const bool has8 = spdk_json_number_to_uint8(val, &u8) == 0;
    const bool hasi32 = spdk_json_number_to_int32(val, &i32) == 0;
    check(has32 == (has64 && u64 <= UINT32_MAX), "uint32 and uint64 disagree");
    check(has16 == (has64 && u64 <= UINT16_MAX), "uint16 and uint64 disagree");
    check(has8 == (has64 && u64 <= UINT8_MAX), "uint8 and uint64 disagree");
    check(!has32 || u32 == u64, "uint32 differs from uint64");
    check(!has16 || u16 == u64, "uint16 differs from uint64");
    check(!has8 || u8 == u64, "uint8 differs from uint64");
    if (has64 && u64 <= INT32_MAX) {
        check(hasi32 && static_cast<uint64_t>(i32) == u64, "int32 misses a small whole number");
    }
    // ("-0" is an int32 0 but no unsigned number, as in SPDK.)
    if (hasi32 && i32 > 0) {
        check(has64 && u64 == static_cast<uint64_t>(i32), "uint64 misses a positive int32");
    }
    // The decode_* forms are the same functions behind a void *.
    uint64_t d64 = 0;
    check((spdk_json_decode_uint64(val, &d64) == 0) == has64, "decode_uint64 differs");
}

void check_text(const spdk_json_val *val) {
    // strequal against itself (when it has no NUL) and a few others.
    char *dup = spdk_json_strdup(val);
    const bool has_nul = std::memchr(val->start, '\0', val->len) != nullptr;
    check((dup != nullptr) == !has_nul, "strdup refuses a string without NUL, or copies one");
    if (dup != nullptr) {
        check(std::strlen(dup) == val->len, "strdup's length");
        check(spdk_json_strequal(val, dup), "a string does not equal its copy");
        std::free(dup);
    }
    for (const char *s : {"", "a", "name", "subsystems", "method", "params"}) {
        const bool eq = spdk_json_strequal(val, s);
        check(eq == (val->len == std::strlen(s) && std::memcmp(val->start, s, val->len) == 0),
              "strequal");
    }
    spdk_uuid uuid{};
    (void)spdk_json_decode_uuid(val, &uuid);
}

struct Decoded {
    char *name = nullptr;
    uint64_t u64 = 0;
    uint32_t u32 = 0;
    uint16_t u16 = 0;
    uint8_t u8 = 0;
    int32_t i32 = 0;
    bool flag = false;
    spdk_uuid uuid{};
    uint32_t list[4] = {};
    size_t list_len = 0;
};

int decode_list(const spdk_json_val *val, void *out) {
    auto *d = static_cast<Decoded *>(
        static_cast<void *>(static_cast<char *>(out) - offsetof(Decoded, list)));
    return spdk_json_decode_array(val, spdk_json_decode_uint32, d->list, SPDK_COUNTOF(d->list),
                                  &d->list_len, sizeof(d->list[0]));
}

const spdk_json_object_decoder kDecoders[] = {
    {"name", offsetof(Decoded, name), spdk_json_decode_string, true},
    {"u64", offsetof(Decoded, u64), spdk_json_decode_uint64, true},
    {"u32", offsetof(Decoded, u32), spdk_json_decode_uint32, true},
    {"u16", offsetof(Decoded, u16), spdk_json_decode_uint16, true},
    {"u8", offsetof(Decoded, u8), spdk_json_decode_uint8, true},
    {"i32", offsetof(Decoded, i32), spdk_json_decode_int32, true},
    {"flag", offsetof(Decoded, flag), spdk_json_decode_bool, true},
    {"uuid", offsetof(Decoded, uuid), spdk_json_decode_uuid, true},
    {"list", offsetof(Decoded, list), decode_list, true},
};
// The same table with name required: a missing member fails.
const spdk_json_object_decoder kStrict[] = {
    {"name", offsetof(Decoded, name), spdk_json_decode_string, false},
};

void check_object(spdk_json_val *obj) {
    for (bool relaxed : {false, true}) {
        Decoded d;
        if (relaxed) {
            (void)spdk_json_decode_object_relaxed(obj, kDecoders, SPDK_COUNTOF(kDecoders), &d);
        } else {
            (void)spdk_json_decode_object(obj, kDecoders, SPDK_COUNTOF(kDecoders), &d);
        }
        check(d.list_len <= SPDK_COUNTOF(d.list), "decode_array past max_size");
        spdk_json_free_object(kDecoders, SPDK_COUNTOF(kDecoders), &d);
        check(d.name == nullptr, "free_object leaves a string");
    }
    Decoded strict;
    (void)spdk_json_decode_object(obj, kStrict, SPDK_COUNTOF(kStrict), &strict);
    spdk_json_free_object(kStrict, SPDK_COUNTOF(kStrict), &strict);

    spdk_json_val *key = nullptr;
    spdk_json_val *val = nullptr;
    for (const char *name : {"name", "subsystems", "u64"}) {
        const int rc = spdk_json_find(obj, name, &key, &val, SPDK_JSON_VAL_ANY);
        check(rc == 0 || rc == -ENOENT || rc == -EINVAL, "find's rc");
        if (rc == 0) {
            check(key->type == SPDK_JSON_VAL_NAME && spdk_json_strequal(key, name), "find's key");
        }
        (void)spdk_json_find_string(obj, name, nullptr, nullptr);
        (void)spdk_json_find_array(obj, name, nullptr, nullptr);
    }
}

// Visits every value under val (a whole value: scalar or container), depth-first.
void walk(spdk_json_val *val, int depth) {
    check(depth <= 65, "walked deeper than the parser allows");
    switch (val->type) {
        case SPDK_JSON_VAL_NUMBER:
            check_number(val);
            return;
        case SPDK_JSON_VAL_STRING:
            check_text(val);
            return;
        case SPDK_JSON_VAL_OBJECT_BEGIN:
            check_object(val);
            for (spdk_json_val *it = spdk_json_object_first(val); it != nullptr;
                 it = spdk_json_next(it)) {
                check(it->type == SPDK_JSON_VAL_NAME, "an object member is not a NAME");
                check_text(it);
                walk(it + 1, depth + 1);
            }
            return;
        case SPDK_JSON_VAL_ARRAY_BEGIN: {
            size_t n = 0;
            (void)spdk_json_decode_array(val, spdk_json_decode_uint64,
                                         std::make_unique<uint64_t[]>(4).get(), 4, &n,
                                         sizeof(uint64_t));
            check(n <= 4, "decode_array past max_size");
            for (spdk_json_val *it = spdk_json_array_first(val); it != nullptr;
                 it = spdk_json_next(it)) {
                walk(it, depth + 1);
            }
            return;
        }
        default:
            bool b = false;
            (void)spdk_json_decode_bool(val, &b);
            return;
    }
}

int append(void *ctx, const void *data, size_t size) {
    auto *out = static_cast<std::string *>(ctx);
    out->append(static_cast<const char *>(data), size);
    return 0;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size == 0) {
        return -1;
    }
    const uint32_t flags =
        data[0] & (SPDK_JSON_PARSE_FLAG_ALLOW_COMMENTS | SPDK_JSON_PARSE_FLAG_DECODE_IN_PLACE);
    ++data;
    --size;

    // Counting pass: values == NULL and, as SPDK's callers do, no in-place decoding
    // (so the text stays as it was).
    auto text = copy_of(data, size);
    void *end = nullptr;
    const ssize_t count = spdk_json_parse(text.get(), size, nullptr, 0, &end,
                                          flags & ~SPDK_JSON_PARSE_FLAG_DECODE_IN_PLACE);
    check(end == nullptr || (end >= text.get() && end <= text.get() + size), "end out of range");
    if (count <= 0) {
        check(count == 0 || count == SPDK_JSON_PARSE_INVALID ||
                  count == SPDK_JSON_PARSE_INCOMPLETE ||
                  count == SPDK_JSON_PARSE_MAX_DEPTH_EXCEEDED,
              "parse's error code");
        return 0;
    }
    const auto n = static_cast<size_t>(count);
    check(std::memcmp(text.get(), data, size) == 0, "the counting pass wrote to the text");

    // Too small an array: it is filled, and nothing past it is written (ASan).
    {
        auto small = copy_of(data, size);
        const size_t room = n / 2;
        auto values = std::make_unique<spdk_json_val[]>(room == 0 ? 1 : room);
        check(spdk_json_parse(small.get(), size, room == 0 ? nullptr : values.get(), room, nullptr,
                              flags) == count,
              "a short array changes the count");
    }

    // The real pass, with an INVALID value after the last, as SPDK's users add.
    std::vector<spdk_json_val> values(n + 1);
    check(spdk_json_parse(text.get(), size, values.data(), n, nullptr, flags) == count,
          "the two passes disagree");
    check(values[0].type != SPDK_JSON_VAL_INVALID, "the first value is INVALID");
    check(spdk_json_val_len(&values[0]) <= n, "the top value's length exceeds the count");
    walk(&values[0], 0);

    // Written back out, the document parses again to as many values. Only with
    // in-place decoding: without it a string's start is its raw (escaped) text while
    // its len is the decoded length, as in SPDK, so only the walk above applies.
    if ((flags & SPDK_JSON_PARSE_FLAG_DECODE_IN_PLACE) == 0) {
        return 0;
    }
    std::string out;
    spdk_json_write_ctx *w = spdk_json_write_begin(append, &out, 0);
    check(w != nullptr, "write_begin");
    const int wrc = spdk_json_write_val(w, &values[0]);
    const int erc = spdk_json_write_end(w);
    check(wrc == 0 && erc == 0, "a parsed value does not write back");
    auto again = copy_of(reinterpret_cast<const uint8_t *>(out.data()), out.size());
    check(spdk_json_parse(again.get(), out.size(), nullptr, 0, nullptr, 0) == count,
          "the written document parses to another number of values");
    return 0;
}
