// The JSON writer of spdk/json.h.
//
// The writer keeps a stack of open containers and checks that each call fits where
// it is made, so that its output is always one valid JSON value, or it fails.
// Output is gathered in a fixed buffer and handed to the callback when it fills up
// and at the end.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <new>
#include <vector>

#include "spdk/json.h"

namespace {

enum class Container : uint8_t {
    Object,
    Array,
    FlatBatch,  // values go straight into the enclosing array
};

struct Frame {
    Container kind;
    bool empty = true;
};

}  // namespace

struct spdk_json_write_ctx {
    spdk_json_write_cb write_cb = nullptr;
    void *cb_ctx = nullptr;
    uint32_t flags = 0;
    bool failed = false;
    bool top_written = false;   // the one top-level value is complete
    bool name_pending = false;  // an object member name was written, its value not yet
    std::vector<Frame> stack;
    size_t buf_len = 0;
    char buf[4096];
};

namespace {

using Ctx = spdk_json_write_ctx;

int fail(Ctx *w) {
    w->failed = true;
    return -1;
}

int flush(Ctx *w) {
    if (w->buf_len > 0 && !w->failed) {
        if (w->write_cb(w->cb_ctx, w->buf, w->buf_len) != 0) {
            w->failed = true;
        }
    }
    w->buf_len = 0;
    return w->failed ? -1 : 0;
}

int emit(Ctx *w, const void *data, size_t len) {
    const auto *bytes = static_cast<const char *>(data);
    while (len > 0) {
        if (w->buf_len == sizeof(w->buf) && flush(w) != 0) {
            return -1;
        }
        const size_t n = std::min(len, sizeof(w->buf) - w->buf_len);
        std::memcpy(w->buf + w->buf_len, bytes, n);
        w->buf_len += n;
        bytes += n;
        len -= n;
    }
    return 0;
}

int emit_char(Ctx *w, char c) {
    return emit(w, &c, 1);
}

bool formatted(const Ctx *w) {
    return (w->flags & SPDK_JSON_WRITE_FLAG_FORMATTED) != 0;
}

// Depth for indentation: flattened batches add no level.
size_t depth(const Ctx *w) {
    size_t d = 0;
    for (const Frame &f : w->stack) {
        if (f.kind != Container::FlatBatch) {
            ++d;
        }
    }
    return d;
}

// The innermost container that takes values itself (skipping flattened batches).
Frame *current(Ctx *w) {
    for (auto it = w->stack.rbegin(); it != w->stack.rend(); ++it) {
        if (it->kind != Container::FlatBatch) {
            return &*it;
        }
    }
    return nullptr;
}

int newline_indent(Ctx *w, size_t levels) {
    if (!formatted(w)) {
        return 0;
    }
    if (emit_char(w, '\n') != 0) {
        return -1;
    }
    for (size_t i = 0; i < levels; ++i) {
        if (emit(w, "  ", 2) != 0) {
            return -1;
        }
    }
    return 0;
}

// Separator and indentation before a new element of the current container.
int start_element(Ctx *w, Frame *frame) {
    if (!frame->empty && emit_char(w, ',') != 0) {
        return -1;
    }
    frame->empty = false;
    return newline_indent(w, depth(w));
}

// Checks that a value may be written here and writes what precedes it.
int begin_value(Ctx *w) {
    if (w->failed) {
        return -1;
    }
    Frame *frame = current(w);
    if (frame == nullptr) {
        return w->top_written ? fail(w) : 0;
    }
    if (frame->kind == Container::Object) {
        if (!w->name_pending) {
            return fail(w);
        }
        w->name_pending = false;
        return 0;
    }
    return start_element(w, frame) != 0 ? fail(w) : 0;
}

void end_value(Ctx *w) {
    if (w->stack.empty()) {
        w->top_written = true;
    }
}

int value_text(Ctx *w, const char *text, size_t len) {
    if (begin_value(w) != 0) {
        return -1;
    }
    if (emit(w, text, len) != 0) {
        return -1;
    }
    end_value(w);
    return 0;
}

// Length of the UTF-8 sequence starting at s (at most len bytes), 0 when invalid.
size_t utf8_sequence(const unsigned char *s, size_t len) {
    const unsigned char c = s[0];
    size_t n = 0;
    uint32_t cp = 0;
    if (c < 0x80) {
        return 1;
    } else if ((c & 0xe0) == 0xc0) {
        n = 2;
        cp = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
        n = 3;
        cp = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
        n = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (n > len) {
        return 0;
    }
    for (size_t i = 1; i < n; ++i) {
        if ((s[i] & 0xc0) != 0x80) {
            return 0;
        }
        cp = cp << 6 | (s[i] & 0x3f);
    }
    static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
        return 0;  // overlong, out of range or a surrogate
    }
    return n;
}

int emit_string(Ctx *w, const char *val, size_t len) {
    if (emit_char(w, '"') != 0) {
        return -1;
    }
    const auto *s = reinterpret_cast<const unsigned char *>(val);
    size_t i = 0;
    while (i < len) {
        const unsigned char c = s[i];
        const char *escape = nullptr;
        char unicode[7];
        switch (c) {
            case '"':
                escape = "\\\"";
                break;
            case '\\':
                escape = "\\\\";
                break;
            case '\b':
                escape = "\\b";
                break;
            case '\f':
                escape = "\\f";
                break;
            case '\n':
                escape = "\\n";
                break;
            case '\r':
                escape = "\\r";
                break;
            case '\t':
                escape = "\\t";
                break;
            default:
                if (c < 0x20) {
                    std::snprintf(unicode, sizeof(unicode), "\\u%04x", c);
                    escape = unicode;
                }
                break;
        }
        if (escape != nullptr) {
            if (emit(w, escape, std::strlen(escape)) != 0) {
                return -1;
            }
            ++i;
            continue;
        }
        const size_t n = utf8_sequence(s + i, len - i);
        if (n == 0) {
            return fail(w);
        }
        if (emit(w, s + i, n) != 0) {
            return -1;
        }
        i += n;
    }
    return emit_char(w, '"');
}

int begin_container(Ctx *w, Container kind, char open) {
    if (begin_value(w) != 0) {
        return -1;
    }
    if (emit_char(w, open) != 0) {
        return -1;
    }
    w->stack.push_back(Frame{kind});
    return 0;
}

int end_container(Ctx *w, Container kind, char close) {
    if (w->failed) {
        return -1;
    }
    if (w->stack.empty() || w->stack.back().kind != kind || w->name_pending) {
        return fail(w);
    }
    const bool empty = w->stack.back().empty;
    w->stack.pop_back();
    if (!empty && newline_indent(w, depth(w)) != 0) {
        return -1;
    }
    if (emit_char(w, close) != 0) {
        return -1;
    }
    end_value(w);
    return 0;
}

int format_number(Ctx *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

int format_number(Ctx *w, const char *fmt, ...) {
    char text[64];
    va_list args;
    va_start(args, fmt);
    const int n = std::vsnprintf(text, sizeof(text), fmt, args);
    va_end(args);
    if (n < 0 || static_cast<size_t>(n) >= sizeof(text)) {
        return fail(w);
    }
    return value_text(w, text, static_cast<size_t>(n));
}

}  // namespace

extern "C" {

struct spdk_json_write_ctx *spdk_json_write_begin(spdk_json_write_cb write_cb, void *cb_ctx,
                                                  uint32_t flags) {
    if (write_cb == nullptr) {
        return nullptr;
    }
    auto *w = new (std::nothrow) spdk_json_write_ctx;
    if (w == nullptr) {
        return nullptr;
    }
    w->write_cb = write_cb;
    w->cb_ctx = cb_ctx;
    w->flags = flags;
    return w;
}

int spdk_json_write_end(struct spdk_json_write_ctx *w) {
    if (w == nullptr) {
        return -1;
    }
    const bool complete = w->stack.empty() && !w->name_pending;
    if (formatted(w) && w->top_written && !w->failed) {
        emit_char(w, '\n');
    }
    const int rc = flush(w);
    const bool ok = rc == 0 && complete && !w->failed;
    delete w;
    return ok ? 0 : -1;
}

void spdk_json_write_reset(struct spdk_json_write_ctx *w) {
    if (w == nullptr) {
        return;
    }
    w->failed = false;
    w->top_written = false;
    w->name_pending = false;
    w->stack.clear();
    w->buf_len = 0;
}

void spdk_json_write_add_flags(struct spdk_json_write_ctx *w, uint32_t flags) {
    w->flags |= flags;
}

int spdk_json_write_val_raw(struct spdk_json_write_ctx *w, const void *data, size_t len) {
    return value_text(w, static_cast<const char *>(data), len);
}

int spdk_json_write_null(struct spdk_json_write_ctx *w) {
    return value_text(w, "null", 4);
}

int spdk_json_write_bool(struct spdk_json_write_ctx *w, bool val) {
    return val ? value_text(w, "true", 4) : value_text(w, "false", 5);
}

int spdk_json_write_uint8(struct spdk_json_write_ctx *w, uint8_t val) {
    return format_number(w, "%" PRIu8, val);
}

int spdk_json_write_uint16(struct spdk_json_write_ctx *w, uint16_t val) {
    return format_number(w, "%" PRIu16, val);
}

int spdk_json_write_int32(struct spdk_json_write_ctx *w, int32_t val) {
    return format_number(w, "%" PRId32, val);
}

int spdk_json_write_uint32(struct spdk_json_write_ctx *w, uint32_t val) {
    return format_number(w, "%" PRIu32, val);
}

int spdk_json_write_int64(struct spdk_json_write_ctx *w, int64_t val) {
    return format_number(w, "%" PRId64, val);
}

int spdk_json_write_uint64(struct spdk_json_write_ctx *w, uint64_t val) {
    return format_number(w, "%" PRIu64, val);
}

int spdk_json_write_uint128(struct spdk_json_write_ctx *w, uint64_t low_val, uint64_t high_val) {
    unsigned __int128 value = (static_cast<unsigned __int128>(high_val) << 64) | low_val;
    char text[40];
    size_t pos = sizeof(text);
    do {
        text[--pos] = static_cast<char>('0' + static_cast<int>(value % 10));
        value /= 10;
    } while (value != 0);
    return value_text(w, text + pos, sizeof(text) - pos);
}

int spdk_json_write_double(struct spdk_json_write_ctx *w, double val) {
    if (!std::isfinite(val)) {
        return w->failed ? -1 : fail(w);
    }
    return format_number(w, "%.17g", val);
}

int spdk_json_write_string_raw(struct spdk_json_write_ctx *w, const char *val, size_t len) {
    if (begin_value(w) != 0) {
        return -1;
    }
    if (emit_string(w, val, len) != 0) {
        return -1;
    }
    end_value(w);
    return 0;
}

int spdk_json_write_string(struct spdk_json_write_ctx *w, const char *val) {
    if (val == nullptr) {
        return w->failed ? -1 : fail(w);
    }
    return spdk_json_write_string_raw(w, val, std::strlen(val));
}

int spdk_json_write_bytearray(struct spdk_json_write_ctx *w, const void *val, size_t len) {
    if (begin_value(w) != 0 || emit_char(w, '"') != 0) {
        return -1;
    }
    static constexpr char kDigits[] = "0123456789abcdef";
    const auto *bytes = static_cast<const uint8_t *>(val);
    for (size_t i = 0; i < len; ++i) {
        const char pair[2] = {kDigits[bytes[i] >> 4], kDigits[bytes[i] & 0x0f]};
        if (emit(w, pair, 2) != 0) {
            return -1;
        }
    }
    if (emit_char(w, '"') != 0) {
        return -1;
    }
    end_value(w);
    return 0;
}

int spdk_json_write_uuid(struct spdk_json_write_ctx *w, const struct spdk_uuid *uuid) {
    char text[SPDK_UUID_STRING_LEN];
    if (uuid == nullptr || spdk_uuid_fmt_lower(text, sizeof(text), uuid) != 0) {
        return w->failed ? -1 : fail(w);
    }
    return spdk_json_write_string(w, text);
}

int spdk_json_write_string_fmt_v(struct spdk_json_write_ctx *w, const char *fmt, va_list args) {
    char *text = nullptr;
    if (vasprintf(&text, fmt, args) < 0) {
        return w->failed ? -1 : fail(w);
    }
    const int rc = spdk_json_write_string(w, text);
    std::free(text);
    return rc;
}

int spdk_json_write_string_fmt(struct spdk_json_write_ctx *w, const char *fmt, ...) {
    va_list args;
    va_start(args, fmt);
    const int rc = spdk_json_write_string_fmt_v(w, fmt, args);
    va_end(args);
    return rc;
}

int spdk_json_write_array_begin(struct spdk_json_write_ctx *w) {
    return begin_container(w, Container::Array, '[');
}

int spdk_json_write_array_end(struct spdk_json_write_ctx *w) {
    return end_container(w, Container::Array, ']');
}

int spdk_json_write_batch_begin(struct spdk_json_write_ctx *w) {
    if (w->failed) {
        return -1;
    }
    const Frame *frame = current(w);
    const bool flatten = (w->flags & SPDK_JSON_WRITE_FLAG_FLATTEN_BATCHES) != 0 &&
                         frame != nullptr && frame->kind == Container::Array;
    if (!flatten) {
        return spdk_json_write_array_begin(w);
    }
    w->stack.push_back(Frame{Container::FlatBatch});
    return 0;
}

int spdk_json_write_batch_end(struct spdk_json_write_ctx *w) {
    if (w->failed) {
        return -1;
    }
    if (!w->stack.empty() && w->stack.back().kind == Container::FlatBatch) {
        w->stack.pop_back();
        return 0;
    }
    return spdk_json_write_array_end(w);
}

int spdk_json_write_object_begin(struct spdk_json_write_ctx *w) {
    return begin_container(w, Container::Object, '{');
}

int spdk_json_write_object_end(struct spdk_json_write_ctx *w) {
    return end_container(w, Container::Object, '}');
}

int spdk_json_write_name_raw(struct spdk_json_write_ctx *w, const char *name, size_t len) {
    if (w->failed) {
        return -1;
    }
    Frame *frame = current(w);
    if (frame == nullptr || frame->kind != Container::Object || w->name_pending ||
        w->stack.back().kind != Container::Object) {
        return fail(w);
    }
    if (start_element(w, frame) != 0 || emit_string(w, name, len) != 0) {
        return -1;
    }
    if (emit(w, formatted(w) ? ": " : ":", formatted(w) ? 2 : 1) != 0) {
        return -1;
    }
    w->name_pending = true;
    return 0;
}

int spdk_json_write_name(struct spdk_json_write_ctx *w, const char *name) {
    if (name == nullptr) {
        return w->failed ? -1 : fail(w);
    }
    return spdk_json_write_name_raw(w, name, std::strlen(name));
}

int spdk_json_write_named_null(struct spdk_json_write_ctx *w, const char *name) {
    return spdk_json_write_name(w, name) != 0 ? -1 : spdk_json_write_null(w);
}

int spdk_json_write_named_bool(struct spdk_json_write_ctx *w, const char *name, bool val) {
    return spdk_json_write_name(w, name) != 0 ? -1 : spdk_json_write_bool(w, val);
}

int spdk_json_write_named_uint8(struct spdk_json_write_ctx *w, const char *name, uint8_t val) {
    return spdk_json_write_name(w, name) != 0 ? -1 : spdk_json_write_uint8(w, val);
}

int spdk_json_write_named_uint16(struct spdk_json_write_ctx *w, const char *name, uint16_t val) {
    return spdk_json_write_name(w, name) != 0 ? -1 : spdk_json_write_uint16(w, val);
}

int spdk_json_write_named_int32(struct spdk_json_write_ctx *w, const char *name, int32_t val) {
    return spdk_json_write_name(w, name) != 0 ? -1 : spdk_json_write_int32(w, val);
}

int spdk_json_write_named_uint32(struct spdk_json_write_ctx *w, const char *name, uint32_t val) {
    return spdk_json_write_name(w, name) != 0 ? -1 : spdk_json_write_uint32(w, val);
}

int spdk_json_write_named_int64(struct spdk_json_write_ctx *w, const char *name, int64_t val) {
    return spdk_json_write_name(w, name) != 0 ? -1 : spdk_json_write_int64(w, val);
}

int spdk_json_write_named_uint64(struct spdk_json_write_ctx *w, const char *name, uint64_t val) {
    return spdk_json_write_name(w, name) != 0 ? -1 : spdk_json_write_uint64(w, val);
}

int spdk_json_write_named_uint128(struct spdk_json_write_ctx *w, const char *name, uint64_t low_val,
                                  uint64_t high_val) {
    return spdk_json_write_name(w, name) != 0 ? -1 : spdk_json_write_uint128(w, low_val, high_val);
}

int spdk_json_write_named_double(struct spdk_json_write_ctx *w, const char *name, double val) {
    return spdk_json_write_name(w, name) != 0 ? -1 : spdk_json_write_double(w, val);
}

int spdk_json_write_named_string(struct spdk_json_write_ctx *w, const char *name, const char *val) {
    return spdk_json_write_name(w, name) != 0 ? -1 : spdk_json_write_string(w, val);
}

int spdk_json_write_named_string_fmt_v(struct spdk_json_write_ctx *w, const char *name,
                                       const char *fmt, va_list args) {
    return spdk_json_write_name(w, name) != 0 ? -1 : spdk_json_write_string_fmt_v(w, fmt, args);
}

int spdk_json_write_named_string_fmt(struct spdk_json_write_ctx *w, const char *name,
                                     const char *fmt, ...) {
    va_list args;
    va_start(args, fmt);
    const int rc = spdk_json_write_named_string_fmt_v(w, name, fmt, args);
    va_end(args);
    return rc;
}

int spdk_json_write_named_bytearray(struct spdk_json_write_ctx *w, const char *name,
                                    const void *val, size_t len) {
    return spdk_json_write_name(w, name) != 0 ? -1 : spdk_json_write_bytearray(w, val, len);
}

int spdk_json_write_named_uuid(struct spdk_json_write_ctx *w, const char *name,
                               const struct spdk_uuid *uuid) {
    return spdk_json_write_name(w, name) != 0 ? -1 : spdk_json_write_uuid(w, uuid);
}

int spdk_json_write_named_array_begin(struct spdk_json_write_ctx *w, const char *name) {
    return spdk_json_write_name(w, name) != 0 ? -1 : spdk_json_write_array_begin(w);
}

int spdk_json_write_named_object_begin(struct spdk_json_write_ctx *w, const char *name) {
    return spdk_json_write_name(w, name) != 0 ? -1 : spdk_json_write_object_begin(w);
}

}  // extern "C"
