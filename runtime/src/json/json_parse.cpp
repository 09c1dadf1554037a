// spdk_json_parse: JSON text into SPDK's flat array of values (see spdk/json.h).
//
// One pass, no allocation: a container's BEGIN value is filled in when its END is
// reached, so the nesting depth is bounded (64, as SPDK) by a fixed stack. The text
// is only written to with SPDK_JSON_PARSE_FLAG_DECODE_IN_PLACE, and then never past
// the end of a string: a decoded string is never longer than its source.
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "internal/hex.hpp"
#include "spdk/json.h"

namespace {

constexpr size_t kMaxDepth = 64;

// The length of the valid UTF-8 sequence at p, 0 when the buffer ends inside it, or
// SPDK_JSON_PARSE_INVALID (overlong forms, surrogates, values past U+10FFFF).
int utf8_sequence(const uint8_t *p, const uint8_t *end) {
    const uint8_t c = p[0];
    if (c < 0x80) {
        return 1;
    }
    int len;
    uint32_t cp;
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
        cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        cp = c & 0x07;
    } else {
        return SPDK_JSON_PARSE_INVALID;
    }
    for (int i = 1; i < len; ++i) {
        if (p + i >= end) {
            return 0;
        }
        if ((p[i] & 0xC0) != 0x80) {
            return SPDK_JSON_PARSE_INVALID;
        }
        cp = (cp << 6) | (p[i] & 0x3F);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF)) {
        return SPDK_JSON_PARSE_INVALID;
    }
    return len;
}

// Writes code point cp as UTF-8 to out (when not NULL); returns its length.
int utf8_put(uint8_t *out, uint32_t cp) {
    uint8_t buf[4];
    int len;
    if (cp < 0x80) {
        buf[0] = static_cast<uint8_t>(cp);
        len = 1;
    } else if (cp < 0x800) {
        buf[0] = static_cast<uint8_t>(0xC0 | (cp >> 6));
        buf[1] = static_cast<uint8_t>(0x80 | (cp & 0x3F));
        len = 2;
    } else if (cp < 0x10000) {
        buf[0] = static_cast<uint8_t>(0xE0 | (cp >> 12));
        buf[1] = static_cast<uint8_t>(0x80 | ((cp >> 6) & 0x3F));
        buf[2] = static_cast<uint8_t>(0x80 | (cp & 0x3F));
        len = 3;
    } else {
        buf[0] = static_cast<uint8_t>(0xF0 | (cp >> 18));
        buf[1] = static_cast<uint8_t>(0x80 | ((cp >> 12) & 0x3F));
        buf[2] = static_cast<uint8_t>(0x80 | ((cp >> 6) & 0x3F));
        buf[3] = static_cast<uint8_t>(0x80 | (cp & 0x3F));
        len = 4;
    }
    if (out != nullptr) {
        std::memcpy(out, buf, static_cast<size_t>(len));
    }
    return len;
}

class Parser {
  public:
    Parser(uint8_t *text, size_t size, spdk_json_val *values, size_t num_values, uint32_t flags)
        : pos_(text), end_(text + size), values_(values), num_values_(num_values), flags_(flags) {}

    ssize_t run(void **end);

  private:
    enum class Expect { Value, Name, Colon, CommaOrClose, Nothing };

    void add(spdk_json_val_type type, uint8_t *start, size_t len) {
        if (values_ != nullptr && count_ < num_values_) {
            values_[count_] = {start, static_cast<uint32_t>(len), type};
        }
        ++count_;
    }

    // After a complete value: inside a container a comma or its end comes next.
    void value_done() { expect_ = depth_ == 0 ? Expect::Nothing : Expect::CommaOrClose; }

    int string(spdk_json_val_type type);
    int escape(uint8_t *&in, uint8_t *out);
    int number();
    int literal();
    int open(uint8_t c);
    int close(uint8_t c);
    int comment();

    uint8_t *pos_;
    uint8_t *const end_;
    spdk_json_val *const values_;
    const size_t num_values_;
    const uint32_t flags_;
    size_t count_ = 0;
    Expect expect_ = Expect::Value;
    bool after_comma_ = false;
    size_t depth_ = 0;
    spdk_json_val_type open_type_[kMaxDepth] = {};
    size_t open_index_[kMaxDepth] = {};
};

// A backslash escape at in; advances in past it and returns how many bytes it
// decodes to (written to out when out is not NULL), or an error.
int Parser::escape(uint8_t *&in, uint8_t *out) {
    uint8_t *p = in;
    if (end_ - p < 2) {
        return SPDK_JSON_PARSE_INCOMPLETE;
    }
    uint8_t simple = 0;
    switch (p[1]) {
        case '"':
            simple = '"';
            break;
        case '\\':
            simple = '\\';
            break;
        case '/':
            simple = '/';
            break;
        case 'b':
            simple = '\b';
            break;
        case 'f':
            simple = '\f';
            break;
        case 'n':
            simple = '\n';
            break;
        case 'r':
            simple = '\r';
            break;
        case 't':
            simple = '\t';
            break;
        case 'u':
            break;
        default:
            return SPDK_JSON_PARSE_INVALID;
    }
    if (simple != 0) {
        if (out != nullptr) {
            *out = simple;
        }
        in = p + 2;
        return 1;
    }
    // \uXXXX, and for a high surrogate a second \uXXXX with the low one.
    uint32_t high = 0;
    for (;;) {
        if (end_ - p < 2) {
            return SPDK_JSON_PARSE_INCOMPLETE;
        }
        if (p[0] != '\\' || p[1] != 'u') {
            return SPDK_JSON_PARSE_INVALID;
        }
        p += 2;
        uint32_t unit = 0;
        for (int i = 0; i < 4; ++i) {
            if (p == end_) {
                return SPDK_JSON_PARSE_INCOMPLETE;
            }
            const int d = spdk_embedded::hex_value(*p++);
            if (d < 0) {
                return SPDK_JSON_PARSE_INVALID;
            }
            unit = (unit << 4) | static_cast<uint32_t>(d);
        }
        if (p == end_) {
            return SPDK_JSON_PARSE_INCOMPLETE;  // a string needs its closing quote
        }
        const bool is_high = unit >= 0xD800 && unit <= 0xDBFF;
        const bool is_low = unit >= 0xDC00 && unit <= 0xDFFF;
        if (high != 0) {
            if (!is_low) {
                return SPDK_JSON_PARSE_INVALID;
            }
            const uint32_t cp = 0x10000 + ((high - 0xD800) << 10) + (unit - 0xDC00);
            in = p;
            return utf8_put(out, cp);
        }
        if (is_low) {
            return SPDK_JSON_PARSE_INVALID;  // a low surrogate alone
        }
        if (!is_high) {
            in = p;
            return utf8_put(out, unit);
        }
        high = unit;
    }
}

int Parser::string(spdk_json_val_type type) {
    uint8_t *const start = pos_ + 1;
    const bool in_place = (flags_ & SPDK_JSON_PARSE_FLAG_DECODE_IN_PLACE) != 0;
    uint8_t *in = start;
    size_t out_len = 0;
    while (in < end_) {
        const uint8_t c = *in;
        if (c == '"') {
            add(type, start, out_len);
            pos_ = in + 1;
            return 0;
        }
        int n;
        if (c == '\\') {
            n = escape(in, in_place ? start + out_len : nullptr);
            if (n < 0) {
                pos_ = in;
                return n;
            }
        } else if (c < 0x20) {
            pos_ = in;
            return SPDK_JSON_PARSE_INVALID;  // control characters must be escaped
        } else {
            n = utf8_sequence(in, end_);
            if (n <= 0) {
                pos_ = in;
                return n == 0 ? SPDK_JSON_PARSE_INCOMPLETE : n;
            }
            if (in_place && start + out_len != in) {
                std::memmove(start + out_len, in, static_cast<size_t>(n));
            }
            in += n;
        }
        out_len += static_cast<size_t>(n);
    }
    pos_ = in;
    return SPDK_JSON_PARSE_INCOMPLETE;
}

// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
int Parser::number() {
    uint8_t *p = pos_;
    auto digit = [&] { return p < end_ && *p >= '0' && *p <= '9'; };
    // A number that stops where a digit is required: incomplete at the end of the
    // text, invalid before anything else.
    auto missing_digit = [&] {
        pos_ = p;
        return p == end_ ? SPDK_JSON_PARSE_INCOMPLETE : SPDK_JSON_PARSE_INVALID;
    };
    if (*p == '-') {
        ++p;
    }
    if (!digit()) {
        return missing_digit();
    }
    if (*p++ != '0') {
        while (digit()) {
            ++p;
        }
    }
    if (p < end_ && *p == '.') {
        ++p;
        if (!digit()) {
            return missing_digit();
        }
        while (digit()) {
            ++p;
        }
    }
    if (p < end_ && (*p == 'e' || *p == 'E')) {
        ++p;
        if (p < end_ && (*p == '+' || *p == '-')) {
            ++p;
        }
        if (!digit()) {
            return missing_digit();
        }
        while (digit()) {
            ++p;
        }
    }
    add(SPDK_JSON_VAL_NUMBER, pos_, static_cast<size_t>(p - pos_));
    pos_ = p;
    return 0;
}

int Parser::literal() {
    struct Literal {
        const char *text;
        size_t len;
        spdk_json_val_type type;
    };
    static constexpr Literal kLiterals[] = {
        {"true", 4, SPDK_JSON_VAL_TRUE},
        {"false", 5, SPDK_JSON_VAL_FALSE},
        {"null", 4, SPDK_JSON_VAL_NULL},
    };
    for (const Literal &lit : kLiterals) {
        if (*pos_ != static_cast<uint8_t>(lit.text[0])) {
            continue;
        }
        if (static_cast<size_t>(end_ - pos_) < lit.len) {
            return SPDK_JSON_PARSE_INCOMPLETE;
        }
        if (std::memcmp(pos_, lit.text, lit.len) != 0) {
            return SPDK_JSON_PARSE_INVALID;
        }
        add(lit.type, pos_, lit.len);
        pos_ += lit.len;
        return 0;
    }
    return SPDK_JSON_PARSE_INVALID;
}

int Parser::open(uint8_t c) {
    if (depth_ == kMaxDepth) {
        return SPDK_JSON_PARSE_MAX_DEPTH_EXCEEDED;
    }
    const spdk_json_val_type type =
        c == '{' ? SPDK_JSON_VAL_OBJECT_BEGIN : SPDK_JSON_VAL_ARRAY_BEGIN;
    open_type_[depth_] = type;
    open_index_[depth_] = count_;
    ++depth_;
    add(type, pos_, 1);  // its len is set at its end
    ++pos_;
    expect_ = c == '{' ? Expect::Name : Expect::Value;
    return 0;
}

int Parser::close(uint8_t c) {
    const bool object = c == '}';
    if (depth_ == 0 || after_comma_) {
        return SPDK_JSON_PARSE_INVALID;
    }
    const spdk_json_val_type type = open_type_[depth_ - 1];
    if (object ? type != SPDK_JSON_VAL_OBJECT_BEGIN : type != SPDK_JSON_VAL_ARRAY_BEGIN) {
        return SPDK_JSON_PARSE_INVALID;
    }
    // Right after the opening bracket (empty) or after a complete member/element.
    const Expect empty_state = object ? Expect::Name : Expect::Value;
    if (expect_ != empty_state && expect_ != Expect::CommaOrClose) {
        return SPDK_JSON_PARSE_INVALID;
    }
    --depth_;
    const size_t begin = open_index_[depth_];
    if (values_ != nullptr && begin < num_values_) {
        values_[begin].len = static_cast<uint32_t>(count_ - begin - 1);
    }
    add(object ? SPDK_JSON_VAL_OBJECT_END : SPDK_JSON_VAL_ARRAY_END, pos_, 1);
    ++pos_;
    value_done();
    return 0;
}

int Parser::comment() {
    if ((flags_ & SPDK_JSON_PARSE_FLAG_ALLOW_COMMENTS) == 0) {
        return SPDK_JSON_PARSE_INVALID;
    }
    if (end_ - pos_ < 2) {
        return SPDK_JSON_PARSE_INCOMPLETE;
    }
    uint8_t *p = pos_ + 2;
    if (pos_[1] == '/') {
        while (p < end_ && *p != '\n' && *p != '\r') {
            ++p;
        }
        if (p == end_) {
            return SPDK_JSON_PARSE_INCOMPLETE;  // as SPDK: a line comment needs its newline
        }
        pos_ = p;
        return 0;
    }
    if (pos_[1] != '*') {
        return SPDK_JSON_PARSE_INVALID;
    }
    for (; end_ - p >= 2; ++p) {
        if (p[0] == '*' && p[1] == '/') {
            pos_ = p + 2;
            return 0;
        }
    }
    return SPDK_JSON_PARSE_INCOMPLETE;
}

ssize_t Parser::run(void **end) {
    int rc = 0;
    while (pos_ < end_ && expect_ != Expect::Nothing) {
        const uint8_t c = *pos_;
        switch (c) {
            case ' ':
            case '\t':
            case '\r':
            case '\n':
                ++pos_;
                continue;
            case '/':
                rc = comment();
                break;
            case '"':
                if (expect_ == Expect::Value) {
                    rc = string(SPDK_JSON_VAL_STRING);
                    if (rc == 0) {
                        value_done();
                    }
                } else if (expect_ == Expect::Name) {
                    rc = string(SPDK_JSON_VAL_NAME);
                    if (rc == 0) {
                        expect_ = Expect::Colon;
                    }
                } else {
                    rc = SPDK_JSON_PARSE_INVALID;
                }
                after_comma_ = false;
                break;
            case '{':
            case '[':
                rc = expect_ == Expect::Value ? open(c) : SPDK_JSON_PARSE_INVALID;
                after_comma_ = false;
                break;
            case '}':
            case ']':
                rc = close(c);
                break;
            case ',':
                if (expect_ != Expect::CommaOrClose) {
                    rc = SPDK_JSON_PARSE_INVALID;
                    break;
                }
                ++pos_;
                expect_ = open_type_[depth_ - 1] == SPDK_JSON_VAL_OBJECT_BEGIN ? Expect::Name
                                                                               : Expect::Value;
                after_comma_ = true;
                break;
            case ':':
                if (expect_ != Expect::Colon) {
                    rc = SPDK_JSON_PARSE_INVALID;
                    break;
                }
                ++pos_;
                expect_ = Expect::Value;
                break;
            default:
                if (expect_ != Expect::Value) {
                    rc = SPDK_JSON_PARSE_INVALID;
                } else if (c == '-' || (c >= '0' && c <= '9')) {
                    rc = number();
                } else {
                    rc = literal();
                }
                if (rc == 0) {
                    value_done();
                }
                after_comma_ = false;
                break;
        }
        if (rc != 0) {
            break;
        }
    }
    if (rc == 0 && expect_ != Expect::Nothing) {
        rc = SPDK_JSON_PARSE_INCOMPLETE;  // the text ended inside the value
    }
    if (rc == 0) {
        // Whitespace after the value belongs to it; anything else is left to the caller.
        while (pos_ < end_ && (*pos_ == ' ' || *pos_ == '\t' || *pos_ == '\r' || *pos_ == '\n')) {
            ++pos_;
        }
    }
    if (end != nullptr) {
        *end = pos_;
    }
    return rc != 0 ? rc : static_cast<ssize_t>(count_);
}

}  // namespace

extern "C" ssize_t spdk_json_parse(void *json, size_t size, struct spdk_json_val *values,
                                   size_t num_values, void **end, uint32_t flags) {
    if (json == nullptr && size != 0) {
        return SPDK_JSON_PARSE_INVALID;
    }
    Parser parser(static_cast<uint8_t *>(json), size, values, num_values, flags);
    return parser.run(end);
}
