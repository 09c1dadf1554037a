// The JSON writer (spdk/json.h) and UUIDs (spdk/uuid.h) of the embedded runtime.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <cstring>
#include <string>

#include "spdk/json.h"
#include "spdk/uuid.h"

namespace {

struct Output {
    std::string text;
    int chunks = 0;
    // Fail the callback from this chunk on (0: never).
    int fail_at = 0;
};

int collect(void *ctx, const void *data, size_t size) {
    auto *out = static_cast<Output *>(ctx);
    out->chunks++;
    if (out->fail_at != 0 && out->chunks >= out->fail_at) {
        return -1;
    }
    out->text.append(static_cast<const char *>(data), size);
    return 0;
}

TEST(JsonWrite, CompactDocumentWithEveryKindOfValue) {
    Output out;
    spdk_json_write_ctx *w = spdk_json_write_begin(collect, &out, 0);
    ASSERT_NE(w, nullptr);
    EXPECT_EQ(spdk_json_write_object_begin(w), 0);
    EXPECT_EQ(spdk_json_write_named_string(w, "name", "Malloc0"), 0);
    EXPECT_EQ(spdk_json_write_named_uint64(w, "u64", UINT64_MAX), 0);
    EXPECT_EQ(spdk_json_write_named_int64(w, "i64", INT64_MIN), 0);
    EXPECT_EQ(spdk_json_write_named_uint32(w, "u32", 4096), 0);
    EXPECT_EQ(spdk_json_write_named_int32(w, "i32", -7), 0);
    EXPECT_EQ(spdk_json_write_named_bool(w, "t", true), 0);
    EXPECT_EQ(spdk_json_write_named_bool(w, "f", false), 0);
    EXPECT_EQ(spdk_json_write_named_null(w, "n"), 0);
    EXPECT_EQ(spdk_json_write_named_array_begin(w, "a"), 0);
    EXPECT_EQ(spdk_json_write_uint8(w, 1), 0);
    EXPECT_EQ(spdk_json_write_uint16(w, 2), 0);
    EXPECT_EQ(spdk_json_write_object_begin(w), 0);
    EXPECT_EQ(spdk_json_write_object_end(w), 0);
    EXPECT_EQ(spdk_json_write_array_begin(w), 0);
    EXPECT_EQ(spdk_json_write_array_end(w), 0);
    EXPECT_EQ(spdk_json_write_array_end(w), 0);
    EXPECT_EQ(spdk_json_write_named_object_begin(w, "o"), 0);
    EXPECT_EQ(spdk_json_write_named_string_fmt(w, "fmt", "%s-%d", "x", 42), 0);
    EXPECT_EQ(spdk_json_write_object_end(w), 0);
    EXPECT_EQ(spdk_json_write_object_end(w), 0);
    EXPECT_EQ(spdk_json_write_end(w), 0);
    EXPECT_EQ(out.text,
              R"({"name":"Malloc0","u64":18446744073709551615,"i64":-9223372036854775808,)"
              R"("u32":4096,"i32":-7,"t":true,"f":false,"n":null,"a":[1,2,{},[]],)"
              R"("o":{"fmt":"x-42"}})");
    EXPECT_TRUE(nlohmann::json::accept(out.text));
}

TEST(JsonWrite, FormattedOutputIsIndentedAndParses) {
    Output out;
    spdk_json_write_ctx *w = spdk_json_write_begin(collect, &out, SPDK_JSON_WRITE_FLAG_FORMATTED);
    spdk_json_write_object_begin(w);
    spdk_json_write_named_string(w, "a", "b");
    spdk_json_write_named_array_begin(w, "c");
    spdk_json_write_uint32(w, 1);
    spdk_json_write_uint32(w, 2);
    spdk_json_write_array_end(w);
    spdk_json_write_named_object_begin(w, "e");
    spdk_json_write_object_end(w);
    spdk_json_write_object_end(w);
    ASSERT_EQ(spdk_json_write_end(w), 0);
    EXPECT_EQ(out.text, "{\n  \"a\": \"b\",\n  \"c\": [\n    1,\n    2\n  ],\n  \"e\": {}\n}\n");
    const auto doc = nlohmann::json::parse(out.text);
    EXPECT_EQ(doc["c"][1], 2);
}

TEST(JsonWrite, StringsAreEscapedAndUtf8IsChecked) {
    Output out;
    spdk_json_write_ctx *w = spdk_json_write_begin(collect, &out, 0);
    spdk_json_write_array_begin(w);
    spdk_json_write_string(w, "quote\" backslash\\ nl\n tab\t bell\x07 \xc3\xa9");
    spdk_json_write_string_raw(w, "a\0b", 3);
    spdk_json_write_array_end(w);
    ASSERT_EQ(spdk_json_write_end(w), 0);
    EXPECT_EQ(out.text, R"(["quote\" backslash\\ nl\n tab\t bell\u0007 )"
                        "\xc3\xa9"
                        R"(","a\u0000b"])");
    const auto doc = nlohmann::json::parse(out.text);
    EXPECT_EQ(doc[1].get<std::string>(), std::string("a\0b", 3));

    Output bad;
    w = spdk_json_write_begin(collect, &bad, 0);
    EXPECT_EQ(spdk_json_write_string(w, "\xff\xfe"), -1) << "not UTF-8";
    EXPECT_EQ(spdk_json_write_end(w), -1);
}

TEST(JsonWrite, NumbersUuidsAndBytes) {
    Output out;
    spdk_json_write_ctx *w = spdk_json_write_begin(collect, &out, 0);
    spdk_json_write_array_begin(w);
    spdk_json_write_uint128(w, UINT64_MAX, 1);  // 2^65 - 1
    spdk_json_write_double(w, 0.5);
    spdk_uuid uuid{};
    ASSERT_EQ(spdk_uuid_parse(&uuid, "00112233-4455-6677-8899-AABBCCDDEEFF"), 0);
    spdk_json_write_uuid(w, &uuid);
    const uint8_t bytes[] = {0x00, 0x7f, 0xab};
    spdk_json_write_bytearray(w, bytes, sizeof(bytes));
    spdk_json_write_array_end(w);
    ASSERT_EQ(spdk_json_write_end(w), 0);
    EXPECT_EQ(out.text,
              R"([36893488147419103231,0.5,"00112233-4455-6677-8899-aabbccddeeff","007fab"])");

    Output nan;
    w = spdk_json_write_begin(collect, &nan, 0);
    EXPECT_EQ(spdk_json_write_double(w, std::nan("")), -1) << "JSON has no NaN";
    EXPECT_EQ(spdk_json_write_end(w), -1);
}

TEST(JsonWrite, MisplacedValuesAndNamesFailTheWriter) {
    struct Case {
        const char *what;
        void (*steps)(spdk_json_write_ctx *);
    };
    const Case cases[] = {
        {"value without a name in an object",
         [](spdk_json_write_ctx *w) {
             spdk_json_write_object_begin(w);
             spdk_json_write_uint32(w, 1);
         }},
        {"name in an array",
         [](spdk_json_write_ctx *w) {
             spdk_json_write_array_begin(w);
             spdk_json_write_name(w, "x");
         }},
        {"name at the top", [](spdk_json_write_ctx *w) { spdk_json_write_name(w, "x"); }},
        {"two top-level values",
         [](spdk_json_write_ctx *w) {
             spdk_json_write_uint32(w, 1);
             spdk_json_write_uint32(w, 2);
         }},
        {"array closed as an object",
         [](spdk_json_write_ctx *w) {
             spdk_json_write_array_begin(w);
             spdk_json_write_object_end(w);
         }},
        {"object left open", [](spdk_json_write_ctx *w) { spdk_json_write_object_begin(w); }},
        {"name without its value",
         [](spdk_json_write_ctx *w) {
             spdk_json_write_object_begin(w);
             spdk_json_write_name(w, "x");
             spdk_json_write_object_end(w);
         }},
    };
    for (const Case &c : cases) {
        Output out;
        spdk_json_write_ctx *w = spdk_json_write_begin(collect, &out, 0);
        c.steps(w);
        EXPECT_EQ(spdk_json_write_end(w), -1) << c.what;
    }
    // An empty document is fine.
    Output out;
    EXPECT_EQ(spdk_json_write_end(spdk_json_write_begin(collect, &out, 0)), 0);
    EXPECT_EQ(out.text, "");
}

TEST(JsonWrite, BatchesAreArraysUnlessFlattened) {
    for (const uint32_t flags : {0u, static_cast<uint32_t>(SPDK_JSON_WRITE_FLAG_FLATTEN_BATCHES)}) {
        Output out;
        spdk_json_write_ctx *w = spdk_json_write_begin(collect, &out, flags);
        spdk_json_write_array_begin(w);
        spdk_json_write_uint32(w, 1);
        spdk_json_write_batch_begin(w);
        spdk_json_write_uint32(w, 2);
        spdk_json_write_uint32(w, 3);
        spdk_json_write_batch_end(w);
        spdk_json_write_uint32(w, 4);
        spdk_json_write_array_end(w);
        ASSERT_EQ(spdk_json_write_end(w), 0);
        EXPECT_EQ(out.text, flags == 0 ? "[1,[2,3],4]" : "[1,2,3,4]");
    }
}

TEST(JsonWrite, LargeOutputComesInChunksAndCallbackFailureIsReported) {
    Output out;
    spdk_json_write_ctx *w = spdk_json_write_begin(collect, &out, 0);
    spdk_json_write_array_begin(w);
    const std::string long_string(3000, 'x');
    for (int i = 0; i < 10; ++i) {
        spdk_json_write_string(w, long_string.c_str());
    }
    spdk_json_write_array_end(w);
    ASSERT_EQ(spdk_json_write_end(w), 0);
    EXPECT_GT(out.chunks, 1);
    EXPECT_EQ(nlohmann::json::parse(out.text).size(), 10U);

    Output failing;
    failing.fail_at = 2;
    w = spdk_json_write_begin(collect, &failing, 0);
    spdk_json_write_array_begin(w);
    int rc = 0;
    for (int i = 0; i < 10; ++i) {
        rc |= spdk_json_write_string(w, long_string.c_str());
    }
    EXPECT_EQ(rc, -1);
    EXPECT_EQ(spdk_json_write_end(w), -1);
}

TEST(Uuid, ParseFormatCompareAndCopy) {
    spdk_uuid a{};
    ASSERT_EQ(spdk_uuid_parse(&a, "7e25812e-c8c0-4d3f-8599-16d790555b85"), 0);
    EXPECT_EQ(a.u.raw[0], 0x7e);
    EXPECT_EQ(a.u.raw[15], 0x85);
    char text[SPDK_UUID_STRING_LEN];
    ASSERT_EQ(spdk_uuid_fmt_lower(text, sizeof(text), &a), 0);
    EXPECT_STREQ(text, "7e25812e-c8c0-4d3f-8599-16d790555b85");
    EXPECT_EQ(spdk_uuid_fmt_lower(text, SPDK_UUID_STRING_LEN - 1, &a), -EINVAL);

    for (const char *bad :
         {"", "7e25812e-c8c0-4d3f-8599-16d790555b8", "7e25812ec8c04d3f859916d790555b8500",
          "7e25812e-c8c0-4d3f-8599_16d790555b85", "7g25812e-c8c0-4d3f-8599-16d790555b85",
          "7e25812e-c8c0-4d3f-8599-16d790555b855"}) {
        spdk_uuid u{};
        EXPECT_EQ(spdk_uuid_parse(&u, bad), -EINVAL) << bad;
    }

    spdk_uuid b{};
    EXPECT_TRUE(spdk_uuid_is_null(&b));
    spdk_uuid_copy(&b, &a);
    EXPECT_EQ(spdk_uuid_compare(&a, &b), 0);
    b.u.raw[3]++;
    EXPECT_LT(spdk_uuid_compare(&a, &b), 0);
    spdk_uuid_set_null(&b);
    EXPECT_TRUE(spdk_uuid_is_null(&b));
}

TEST(Uuid, GeneratedUuidsAreVersion4AndDiffer) {
    spdk_uuid a{};
    spdk_uuid b{};
    spdk_uuid_generate(&a);
    spdk_uuid_generate(&b);
    EXPECT_NE(spdk_uuid_compare(&a, &b), 0);
    EXPECT_EQ(a.u.raw[6] >> 4, 4);
    EXPECT_EQ(a.u.raw[8] & 0xc0, 0x80);
}

TEST(Uuid, NameBasedUuidMatchesRfc4122Version5) {
    // uuid5(NAMESPACE_DNS, "python.org"), as Python's uuid module gives it.
    spdk_uuid ns{};
    ASSERT_EQ(spdk_uuid_parse(&ns, "6ba7b810-9dad-11d1-80b4-00c04fd430c8"), 0);
    spdk_uuid out{};
    ASSERT_EQ(spdk_uuid_generate_sha1(&out, &ns, "python.org", 10), 0);
    char text[SPDK_UUID_STRING_LEN];
    spdk_uuid_fmt_lower(text, sizeof(text), &out);
    EXPECT_STREQ(text, "886313e1-3b8a-5372-9b90-0c9aee199e5d");
}

}  // namespace
