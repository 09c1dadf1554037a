// Conformance of the read side of SPDK's json library (spdk/json.h): the parser's
// values, flags and errors, the decoders, numbers, and walking parsed values.
#include <gtest/gtest.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "spdk/json.h"
#include "spdk/util.h"
#include "spdk/uuid.h"

namespace {

// Text parsed into values; the text is owned, as parsing may rewrite it.
struct Parsed {
    // On the heap, so that the values' pointers into it survive moving a Parsed (a
    // short std::string would move its bytes with it).
    std::vector<char> text;
    std::string_view view() const { return {text.data(), text.size()}; }
    std::vector<spdk_json_val> values;
    ssize_t rc = 0;
    size_t consumed = 0;  // where *end pointed

    spdk_json_val *root() { return values.data(); }
};

Parsed parse(const std::string &text, uint32_t flags = SPDK_JSON_PARSE_FLAG_DECODE_IN_PLACE) {
    Parsed p;
    p.text.assign(text.begin(), text.end());
    void *end = nullptr;
    // Counted without decoding, as SPDK's callers do: decoded text may not parse again.
    const ssize_t count = spdk_json_parse(p.text.data(), p.text.size(), nullptr, 0, &end,
                                          flags & ~uint32_t{SPDK_JSON_PARSE_FLAG_DECODE_IN_PLACE});
    if (count < 0) {
        p.rc = count;
        p.consumed = static_cast<size_t>(static_cast<char *>(end) - p.text.data());
        return p;
    }
    p.values.resize(static_cast<size_t>(count) + 1);  // + an INVALID bound
    p.rc = spdk_json_parse(p.text.data(), p.text.size(), p.values.data(),
                           static_cast<size_t>(count), &end, flags);
    p.consumed = static_cast<size_t>(static_cast<char *>(end) - p.text.data());
    return p;
}

std::string str(const spdk_json_val &v) {
    return std::string(static_cast<const char *>(v.start), v.len);
}

// --- parsing ----------------------------------------------------------------------------

TEST(JsonParse, ValuesOfAnObject) {
    Parsed p = parse(R"({"a": [1, true, null], "b": "x", "c": {}})");
    ASSERT_EQ(p.rc, 13);
    const spdk_json_val *v = p.root();
    EXPECT_EQ(v[0].type, SPDK_JSON_VAL_OBJECT_BEGIN);
    EXPECT_EQ(v[0].len, 11U);  // the values between it and its end
    EXPECT_EQ(v[1].type, SPDK_JSON_VAL_NAME);
    EXPECT_EQ(str(v[1]), "a");
    EXPECT_EQ(v[2].type, SPDK_JSON_VAL_ARRAY_BEGIN);
    EXPECT_EQ(v[2].len, 3U);
    EXPECT_EQ(v[3].type, SPDK_JSON_VAL_NUMBER);
    EXPECT_EQ(str(v[3]), "1");
    EXPECT_EQ(v[4].type, SPDK_JSON_VAL_TRUE);
    EXPECT_EQ(v[5].type, SPDK_JSON_VAL_NULL);
    EXPECT_EQ(v[6].type, SPDK_JSON_VAL_ARRAY_END);
    EXPECT_EQ(v[8].type, SPDK_JSON_VAL_STRING);
    EXPECT_EQ(str(v[8]), "x");
    EXPECT_EQ(v[10].type, SPDK_JSON_VAL_OBJECT_BEGIN);
    EXPECT_EQ(v[10].len, 0U);
    EXPECT_EQ(v[11].type, SPDK_JSON_VAL_OBJECT_END);
    EXPECT_EQ(v[12].type, SPDK_JSON_VAL_OBJECT_END);
    EXPECT_EQ(spdk_json_val_len(&v[0]), 13U);
    EXPECT_EQ(spdk_json_val_len(&v[2]), 5U);
    EXPECT_EQ(spdk_json_val_len(&v[3]), 1U);
    EXPECT_EQ(spdk_json_val_len(nullptr), 0U);
}

TEST(JsonParse, CountsWithoutStoringAndStoresOnlyWhatFits) {
    std::string text = R"([1, 2, 3, 4])";
    EXPECT_EQ(spdk_json_parse(text.data(), text.size(), nullptr, 0, nullptr, 0), 6);
    spdk_json_val two[2] = {};
    EXPECT_EQ(spdk_json_parse(text.data(), text.size(), two, 2, nullptr, 0), 6);
    EXPECT_EQ(two[0].type, SPDK_JSON_VAL_ARRAY_BEGIN);
    EXPECT_EQ(two[1].type, SPDK_JSON_VAL_NUMBER);
}

TEST(JsonParse, StopsAfterTheValueAndItsWhitespace) {
    Parsed p = parse("{\"a\": 1}  \n  trailing");
    EXPECT_EQ(p.rc, 4);
    EXPECT_EQ(p.view().substr(p.consumed), "trailing");
    Parsed scalar = parse("42 ");
    EXPECT_EQ(scalar.rc, 1);
    EXPECT_EQ(scalar.consumed, 3U);
}

TEST(JsonParse, StringsAreDecodedInPlaceOnlyWhenAsked) {
    Parsed p = parse(R"(["a\tb\u00e9\ud83d\ude00\"\/", "plain"])");
    ASSERT_EQ(p.rc, 4);
    EXPECT_EQ(str(p.values[1]), "a\tb\xc3\xa9\xf0\x9f\x98\x80\"/");
    EXPECT_EQ(str(p.values[2]), "plain");

    // Without the flag the text is left alone; the length is still the decoded one.
    Parsed raw = parse(R"(["a\tb"])", 0);
    ASSERT_EQ(raw.rc, 3);
    EXPECT_EQ(raw.values[1].len, 3U);
    EXPECT_EQ(raw.view(), R"(["a\tb"])");
}

TEST(JsonParse, CommentsOnlyWithTheFlag) {
    const std::string text = "/* head */ {\"a\": // line\n 1 /* mid */, \"b\": 2}";
    EXPECT_EQ(parse(text, 0).rc, SPDK_JSON_PARSE_INVALID);
    Parsed p = parse(text, SPDK_JSON_PARSE_FLAG_ALLOW_COMMENTS);
    ASSERT_EQ(p.rc, 6);
    EXPECT_EQ(str(p.values[2]), "1");
    EXPECT_EQ(parse("[1 /* never closed", SPDK_JSON_PARSE_FLAG_ALLOW_COMMENTS).rc,
              SPDK_JSON_PARSE_INCOMPLETE);
    EXPECT_EQ(parse("[1 /x]", SPDK_JSON_PARSE_FLAG_ALLOW_COMMENTS).rc, SPDK_JSON_PARSE_INVALID);
}

TEST(JsonParse, NestingPast64IsRefused) {
    const std::string ok = std::string(64, '[') + std::string(64, ']');
    EXPECT_EQ(parse(ok).rc, 128);
    const std::string deep = std::string(65, '[') + std::string(65, ']');
    EXPECT_EQ(parse(deep).rc, SPDK_JSON_PARSE_MAX_DEPTH_EXCEEDED);
    std::string objects;
    for (int i = 0; i < 65; ++i) {
        objects += "{\"a\":";
    }
    objects += "1" + std::string(65, '}');
    EXPECT_EQ(parse(objects).rc, SPDK_JSON_PARSE_MAX_DEPTH_EXCEEDED);
    // Far deeper text is refused the same way, without a crash.
    EXPECT_EQ(parse(std::string(100000, '[')).rc, SPDK_JSON_PARSE_MAX_DEPTH_EXCEEDED);
}

TEST(JsonParse, IncompleteTextIsIncomplete) {
    for (const char *text : {"", "   ", "{", "[1,", "{\"a\"", "{\"a\":", "\"abc", "tru", "-", "1.",
                             "1e", "1e+", "\"\\u12", "\"\\"}) {
        EXPECT_EQ(parse(text).rc, SPDK_JSON_PARSE_INCOMPLETE) << text;
    }
}

TEST(JsonParse, BadTextIsInvalid) {
    for (const char *text : {"[1,]",
                             "{\"a\":1,}",
                             "[1 2]",
                             "{\"a\" 1}",
                             "{1: 2}",
                             "]",
                             "[}",
                             "{]",
                             "nul!",
                             "True",
                             "+1",
                             ".5",
                             "1.e3",
                             "-a",
                             "\"\\x\"",
                             "\"a\nb\"",
                             "\"\\ud800\\u0041\"",
                             "\"\\udc00\"",
                             "\"\xff\"",
                             "\"\xc0\xaf\"",
                             "\"\xed\xa0\x80\"",
                             "[,1]",
                             "{,}",
                             "'a'"}) {
        EXPECT_EQ(parse(text).rc, SPDK_JSON_PARSE_INVALID) << text;
    }
    // One complete value, then text that is not part of it: the caller's to judge
    // (through *end), as in SPDK.
    for (const char *text : {"01", "{\"a\":1}}", "[1]]"}) {
        const Parsed p = parse(text);
        EXPECT_GT(p.rc, 0) << text;
        EXPECT_LT(p.consumed, p.text.size()) << text;
    }
}

TEST(JsonParse, ArbitraryBytesDoNotCrash) {
    std::srand(1);
    for (int round = 0; round < 2000; ++round) {
        std::string text(static_cast<size_t>(std::rand() % 64), '\0');
        const char alphabet[] = "{}[]\":,0123456789-+.eEtrufalsn \\/*u\x80\xc3";
        for (char &c : text) {
            c = alphabet[std::rand() % (sizeof(alphabet) - 1)];
        }
        const Parsed p =
            parse(text, SPDK_JSON_PARSE_FLAG_DECODE_IN_PLACE | SPDK_JSON_PARSE_FLAG_ALLOW_COMMENTS);
        EXPECT_TRUE(p.rc > 0 || p.rc == SPDK_JSON_PARSE_INVALID ||
                    p.rc == SPDK_JSON_PARSE_INCOMPLETE ||
                    p.rc == SPDK_JSON_PARSE_MAX_DEPTH_EXCEEDED);
        EXPECT_LE(p.consumed, p.text.size());
    }
}

// --- numbers ------------------------------------------------------------------------------

spdk_json_val number(const char *text) {
    return spdk_json_val{const_cast<char *>(text), static_cast<uint32_t>(std::strlen(text)),
                         SPDK_JSON_VAL_NUMBER};
}

TEST(JsonNumbers, InRangeWholeNumbersConvert) {
    uint16_t u16 = 0;
    int32_t i32 = 0;
    uint32_t u32 = 0;
    uint64_t u64 = 0;
    uint8_t u8 = 0;
    spdk_json_val v = number("65535");
    EXPECT_EQ(spdk_json_number_to_uint16(&v, &u16), 0);
    EXPECT_EQ(u16, 65535);
    v = number("-2147483648");
    EXPECT_EQ(spdk_json_number_to_int32(&v, &i32), 0);
    EXPECT_EQ(i32, INT32_MIN);
    v = number("2147483647");
    EXPECT_EQ(spdk_json_number_to_int32(&v, &i32), 0);
    EXPECT_EQ(i32, INT32_MAX);
    v = number("4294967295");
    EXPECT_EQ(spdk_json_number_to_uint32(&v, &u32), 0);
    EXPECT_EQ(u32, UINT32_MAX);
    v = number("18446744073709551615");
    EXPECT_EQ(spdk_json_number_to_uint64(&v, &u64), 0);
    EXPECT_EQ(u64, UINT64_MAX);
    v = number("1.5e3");
    EXPECT_EQ(spdk_json_number_to_uint64(&v, &u64), 0);
    EXPECT_EQ(u64, 1500U);
    v = number("2500e-2");
    EXPECT_EQ(spdk_json_number_to_uint32(&v, &u32), 0);
    EXPECT_EQ(u32, 25U);
    v = number("255");
    EXPECT_EQ(spdk_json_number_to_uint8(&v, &u8), 0);
    EXPECT_EQ(u8, 255);
}

// Found by fuzz_json: a zero with a large exponent took one multiplication per unit
// of it (0e9223372036854775807: for ever), and a negative exponent near INT64_MIN
// with fraction digits overflowed (UBSan).
TEST(JsonNumbers, ExtremeExponentsAreQuick) {
    uint64_t u64 = 7;
    int32_t i32 = 7;
    spdk_json_val v = number("0e9223372036854775807");
    EXPECT_EQ(spdk_json_number_to_uint64(&v, &u64), 0);
    EXPECT_EQ(u64, 0U);
    v = number("-0E434567890");
    EXPECT_EQ(spdk_json_number_to_int32(&v, &i32), 0);
    EXPECT_EQ(i32, 0);
    v = number("1.00e-9223372036854775807");
    EXPECT_EQ(spdk_json_number_to_uint64(&v, &u64), -ERANGE);
    v = number("100.00e-9223372036854775806");
    EXPECT_EQ(spdk_json_number_to_int32(&v, &i32), -ERANGE);
}

TEST(JsonNumbers, OutOfRangeAndFractionsAreRefused) {
    uint16_t u16 = 7;
    int32_t i32 = 7;
    uint32_t u32 = 7;
    uint64_t u64 = 7;
    uint8_t u8 = 7;
    spdk_json_val v = number("65536");
    EXPECT_EQ(spdk_json_number_to_uint16(&v, &u16), -ERANGE);
    v = number("256");
    EXPECT_EQ(spdk_json_number_to_uint8(&v, &u8), -ERANGE);
    v = number("-2147483649");
    EXPECT_EQ(spdk_json_number_to_int32(&v, &i32), -ERANGE);
    v = number("2147483648");
    EXPECT_EQ(spdk_json_number_to_int32(&v, &i32), -ERANGE);
    v = number("4294967296");
    EXPECT_EQ(spdk_json_number_to_uint32(&v, &u32), -ERANGE);
    v = number("18446744073709551616");
    EXPECT_EQ(spdk_json_number_to_uint64(&v, &u64), -ERANGE);
    v = number("1e20");
    EXPECT_EQ(spdk_json_number_to_uint64(&v, &u64), -ERANGE);
    v = number("-1");
    EXPECT_EQ(spdk_json_number_to_uint64(&v, &u64), -ERANGE);
    v = number("1.5");
    EXPECT_EQ(spdk_json_number_to_uint32(&v, &u32), -ERANGE);
    v = number("1e-1");
    EXPECT_EQ(spdk_json_number_to_int32(&v, &i32), -ERANGE);
    v = number("1e99999999999999999999");
    EXPECT_EQ(spdk_json_number_to_uint64(&v, &u64), -ERANGE);
    spdk_json_val text = {const_cast<char *>("12"), 2, SPDK_JSON_VAL_STRING};
    EXPECT_EQ(spdk_json_number_to_uint32(&text, &u32), -EINVAL);
    // Nothing was stored.
    EXPECT_EQ(u16, 7);
    EXPECT_EQ(i32, 7);
    EXPECT_EQ(u32, 7U);
    EXPECT_EQ(u64, 7U);
    EXPECT_EQ(u8, 7);
}

// --- decoding -----------------------------------------------------------------------------

struct Options {
    char *name;
    uint64_t size;
    uint32_t count;
    uint16_t port;
    uint8_t level;
    int32_t offset;
    bool on;
    spdk_uuid uuid;
};

const spdk_json_object_decoder kOptions[] = {
    {"name", offsetof(Options, name), spdk_json_decode_string, false},
    {"size", offsetof(Options, size), spdk_json_decode_uint64, false},
    {"count", offsetof(Options, count), spdk_json_decode_uint32, true},
    {"port", offsetof(Options, port), spdk_json_decode_uint16, true},
    {"level", offsetof(Options, level), spdk_json_decode_uint8, true},
    {"offset", offsetof(Options, offset), spdk_json_decode_int32, true},
    {"on", offsetof(Options, on), spdk_json_decode_bool, true},
    {"uuid", offsetof(Options, uuid), spdk_json_decode_uuid, true},
};

class JsonDecode : public ::testing::Test {
  protected:
    void TearDown() override { spdk_json_free_object(kOptions, SPDK_COUNTOF(kOptions), &opts_); }
    int decode(const std::string &text, bool relaxed = false) {
        parsed_ = parse(text);
        EXPECT_GT(parsed_.rc, 0) << text;
        if (parsed_.rc <= 0) {
            return 99;
        }
        return relaxed ? spdk_json_decode_object_relaxed(parsed_.root(), kOptions,
                                                         SPDK_COUNTOF(kOptions), &opts_)
                       : spdk_json_decode_object(parsed_.root(), kOptions, SPDK_COUNTOF(kOptions),
                                                 &opts_);
    }
    Parsed parsed_;
    Options opts_ = {};
};

TEST_F(JsonDecode, RequiredAndOptionalMembers) {
    opts_.count = 5;
    ASSERT_EQ(decode(R"({"size": 10, "name": "disk",
        "uuid": "f6f1c9a2-6d1b-4c8e-9a51-2f1c0b7e8d90", "offset": -3, "on": true,
        "port": 4420, "level": 2})"),
              0);
    EXPECT_STREQ(opts_.name, "disk");
    EXPECT_EQ(opts_.size, 10U);
    EXPECT_EQ(opts_.count, 5U);  // absent: left as it was
    EXPECT_EQ(opts_.port, 4420);
    EXPECT_EQ(opts_.level, 2);
    EXPECT_EQ(opts_.offset, -3);
    EXPECT_TRUE(opts_.on);
    char uuid[SPDK_UUID_STRING_LEN];
    ASSERT_EQ(spdk_uuid_fmt_lower(uuid, sizeof(uuid), &opts_.uuid), 0);
    EXPECT_STREQ(uuid, "f6f1c9a2-6d1b-4c8e-9a51-2f1c0b7e8d90");
}

TEST_F(JsonDecode, FailuresKeepWhatDecoded) {
    EXPECT_NE(decode(R"({"name": "x"})"), 0);                         // size missing
    EXPECT_STREQ(opts_.name, "x");                                    // still there (freed later)
    EXPECT_NE(decode(R"({"name": 5, "size": 1})"), 0);                // bad type
    EXPECT_NE(decode(R"({"name": "x", "size": 1, "extra": 1})"), 0);  // unknown member
    EXPECT_EQ(decode(R"({"name": "x", "size": 1, "extra": 1})", true), 0);  // relaxed
    EXPECT_NE(decode(R"({"name": "x", "size": 1, "size": 2})"), 0);         // twice
    EXPECT_NE(decode(R"({"name": "x", "size": 1, "on": 1})"), 0);
    EXPECT_NE(decode(R"({"name": "x", "size": 1, "uuid": "not-a-uuid"})"), 0);
    EXPECT_NE(decode(R"({"name": "x", "size": 1, "port": 70000})"), 0);
    EXPECT_NE(decode(R"({"name": "a\u0000b", "size": 1})"), 0);  // not a C string
    EXPECT_NE(decode(R"([1])"), 0);
    EXPECT_NE(spdk_json_decode_object(nullptr, kOptions, SPDK_COUNTOF(kOptions), &opts_), 0);
}

TEST(JsonDecodeArray, ElementsUpToTheLimit) {
    Parsed p = parse("[1, 2, 3]");
    uint32_t out[3] = {};
    size_t n = 0;
    EXPECT_EQ(spdk_json_decode_array(p.root(), spdk_json_decode_uint32, out, 3, &n, sizeof(out[0])),
              0);
    EXPECT_EQ(n, 3U);
    EXPECT_EQ(out[2], 3U);
    EXPECT_NE(spdk_json_decode_array(p.root(), spdk_json_decode_uint32, out, 2, &n, sizeof(out[0])),
              0);
    Parsed strings = parse(R"(["a", "b"])");
    char *names[2] = {};
    EXPECT_EQ(spdk_json_decode_array(strings.root(), spdk_json_decode_string, names, 2, &n,
                                     sizeof(names[0])),
              0);
    EXPECT_STREQ(names[1], "b");
    std::free(names[0]);
    std::free(names[1]);
    Parsed mixed = parse(R"([1, "b"])");
    EXPECT_NE(
        spdk_json_decode_array(mixed.root(), spdk_json_decode_uint32, out, 3, &n, sizeof(out[0])),
        0);
}

// --- strings, walking, finding --------------------------------------------------------------

TEST(JsonWalk, StringsCompareAndCopy) {
    Parsed p = parse(R"({"key": "value"})");
    EXPECT_TRUE(spdk_json_strequal(&p.values[1], "key"));
    EXPECT_TRUE(spdk_json_strequal(&p.values[2], "value"));
    EXPECT_FALSE(spdk_json_strequal(&p.values[2], "valu"));
    EXPECT_FALSE(spdk_json_strequal(&p.values[0], "{"));
    char *copy = spdk_json_strdup(&p.values[2]);
    EXPECT_STREQ(copy, "value");
    std::free(copy);
    EXPECT_EQ(spdk_json_strdup(&p.values[0]), nullptr);
}

TEST(JsonWalk, FindFirstAndNext) {
    Parsed p = parse(R"({"subsystems": [{"a": 1}, {"b": [2, 3]}, {}], "name": "n",
        "dup": 1, "dup": 2})");
    ASSERT_GT(p.rc, 0);
    spdk_json_val *key = nullptr;
    spdk_json_val *array = nullptr;
    ASSERT_EQ(spdk_json_find_array(p.root(), "subsystems", &key, &array), 0);
    EXPECT_TRUE(spdk_json_strequal(key, "subsystems"));
    spdk_json_val *it = spdk_json_array_first(array);
    int objects = 0;
    for (; it != nullptr; it = spdk_json_next(it)) {
        EXPECT_EQ(it->type, SPDK_JSON_VAL_OBJECT_BEGIN);
        ++objects;
    }
    EXPECT_EQ(objects, 3);
    spdk_json_val *name = nullptr;
    EXPECT_EQ(spdk_json_find_string(p.root(), "name", nullptr, &name), 0);
    EXPECT_TRUE(spdk_json_strequal(name, "n"));
    EXPECT_EQ(spdk_json_find_array(p.root(), "name", nullptr, nullptr), -EDOM);
    EXPECT_EQ(spdk_json_find(p.root(), "missing", nullptr, nullptr, SPDK_JSON_VAL_ANY), -ENOENT);
    EXPECT_EQ(spdk_json_find(p.root(), "dup", nullptr, nullptr, SPDK_JSON_VAL_ANY), -EINVAL);
    EXPECT_EQ(spdk_json_find(array, "a", nullptr, nullptr, SPDK_JSON_VAL_ANY), -EPROTOTYPE);

    // Members of an object: NAME to NAME.
    spdk_json_val *member = spdk_json_object_first(p.root());
    ASSERT_NE(member, nullptr);
    EXPECT_TRUE(spdk_json_strequal(member, "subsystems"));
    member = spdk_json_next(member);
    ASSERT_NE(member, nullptr);
    EXPECT_TRUE(spdk_json_strequal(member, "name"));

    Parsed empty = parse("{}");
    EXPECT_EQ(spdk_json_object_first(empty.root()), nullptr);
    EXPECT_EQ(spdk_json_array_first(empty.root()), nullptr);
    EXPECT_EQ(spdk_json_find(empty.root(), "a", nullptr, nullptr, SPDK_JSON_VAL_ANY), -ENOENT);
}

// Found by fuzz_json: an object whose first name is "" is, as in SPDK, walked as
// empty, but it is still an object: not found (-ENOENT), where -EPROTOTYPE ("not an
// object") made the config loader refuse the document as not being one.
TEST(JsonWalk, FindInAnObjectWhoseFirstNameIsEmptyIsNotFound) {
    Parsed p = parse(R"({"": 1, "a": 2})");
    ASSERT_GT(p.rc, 0);
    EXPECT_EQ(spdk_json_object_first(p.root()), nullptr);
    EXPECT_EQ(spdk_json_find(p.root(), "a", nullptr, nullptr, SPDK_JSON_VAL_ANY), -ENOENT);
    EXPECT_EQ(spdk_json_find(p.root(), "", nullptr, nullptr, SPDK_JSON_VAL_ANY), -ENOENT);
}

TEST(JsonWalk, WriteValReproducesTheValue) {
    Parsed p = parse(R"({"a": [1, -2.5e3, true, false, null], "b": "q\"uote", "c": {}})");
    ASSERT_GT(p.rc, 0);
    std::string out;
    spdk_json_write_ctx *w = spdk_json_write_begin(
        [](void *ctx, const void *data, size_t size) {
            static_cast<std::string *>(ctx)->append(static_cast<const char *>(data), size);
            return 0;
        },
        &out, 0);
    ASSERT_NE(w, nullptr);
    EXPECT_EQ(spdk_json_write_val(w, p.root()), 0);
    EXPECT_EQ(spdk_json_write_end(w), 0);
    EXPECT_EQ(out, R"({"a":[1,-2.5e3,true,false,null],"b":"q\"uote","c":{}})");
}

}  // namespace
