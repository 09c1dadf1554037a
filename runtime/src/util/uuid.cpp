// UUIDs of spdk/uuid.h: text form, random (v4) and name-based (v5) generation.
#include <sys/random.h>

#include <array>
#include <bit>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <random>

#include "internal/hex.hpp"
#include "spdk/uuid.h"

namespace {

// Positions of the dashes in "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx".
constexpr bool is_dash_position(size_t i) {
    return i == 8 || i == 13 || i == 18 || i == 23;
}

void fill_random(uint8_t *out, size_t len) {
    size_t done = 0;
    while (done < len) {
        const ssize_t n = getrandom(out + done, len - done, 0);
        if (n <= 0) {
            break;
        }
        done += static_cast<size_t>(n);
    }
    if (done < len) {  // no getrandom: fall back on the C++ engine
        std::random_device rd;
        for (; done < len; ++done) {
            out[done] = static_cast<uint8_t>(rd());
        }
    }
}

// SHA-1 (FIPS 180-4) of a short message, for version 5 UUIDs only.
class Sha1 {
  public:
    void update(const uint8_t *data, size_t len) {
        for (size_t i = 0; i < len; ++i) {
            block_[block_len_++] = data[i];
            if (block_len_ == 64) {
                compress();
                block_len_ = 0;
            }
        }
        total_bits_ += static_cast<uint64_t>(len) * 8;
    }

    std::array<uint8_t, 20> finish() {
        const uint64_t bits = total_bits_;
        const uint8_t pad = 0x80;
        update(&pad, 1);
        const uint8_t zero = 0;
        while (block_len_ != 56) {
            update(&zero, 1);
        }
        uint8_t length[8];
        for (int i = 0; i < 8; ++i) {
            length[i] = static_cast<uint8_t>(bits >> (56 - 8 * i));
        }
        update(length, 8);
        std::array<uint8_t, 20> digest{};
        for (size_t i = 0; i < 5; ++i) {
            for (size_t b = 0; b < 4; ++b) {
                digest[i * 4 + b] = static_cast<uint8_t>(h_[i] >> (24 - 8 * b));
            }
        }
        return digest;
    }

  private:
    void compress() {
        uint32_t w[80];
        for (size_t i = 0; i < 16; ++i) {
            w[i] = static_cast<uint32_t>(block_[4 * i]) << 24 |
                   static_cast<uint32_t>(block_[4 * i + 1]) << 16 |
                   static_cast<uint32_t>(block_[4 * i + 2]) << 8 |
                   static_cast<uint32_t>(block_[4 * i + 3]);
        }
        for (size_t i = 16; i < 80; ++i) {
            w[i] = std::rotl(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
        }
        uint32_t a = h_[0], b = h_[1], c = h_[2], d = h_[3], e = h_[4];
        for (size_t i = 0; i < 80; ++i) {
            uint32_t f = 0;
            uint32_t k = 0;
            if (i < 20) {
                f = (b & c) | (~b & d);
                k = 0x5a827999;
            } else if (i < 40) {
                f = b ^ c ^ d;
                k = 0x6ed9eba1;
            } else if (i < 60) {
                f = (b & c) | (b & d) | (c & d);
                k = 0x8f1bbcdc;
            } else {
                f = b ^ c ^ d;
                k = 0xca62c1d6;
            }
            const uint32_t t = std::rotl(a, 5) + f + e + k + w[i];
            e = d;
            d = c;
            c = std::rotl(b, 30);
            b = a;
            a = t;
        }
        h_[0] += a;
        h_[1] += b;
        h_[2] += c;
        h_[3] += d;
        h_[4] += e;
    }

    uint32_t h_[5] = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0};
    uint8_t block_[64] = {};
    size_t block_len_ = 0;
    uint64_t total_bits_ = 0;
};

// Stamps the version (high nibble of byte 6) and the RFC 4122 variant (byte 8).
void set_version(spdk_uuid *uuid, uint8_t version) {
    uuid->u.raw[6] = static_cast<uint8_t>((uuid->u.raw[6] & 0x0f) | (version << 4));
    uuid->u.raw[8] = static_cast<uint8_t>((uuid->u.raw[8] & 0x3f) | 0x80);
}

}  // namespace

extern "C" {

int spdk_uuid_parse(struct spdk_uuid *uuid, const char *uuid_str) {
    if (uuid == nullptr || uuid_str == nullptr || std::strlen(uuid_str) != 36) {
        return -EINVAL;
    }
    spdk_uuid parsed{};
    size_t byte = 0;
    for (size_t i = 0; i < 36;) {
        if (is_dash_position(i)) {
            if (uuid_str[i] != '-') {
                return -EINVAL;
            }
            ++i;
            continue;
        }
        const int hi = spdk_embedded::hex_value(uuid_str[i]);
        const int lo = spdk_embedded::hex_value(uuid_str[i + 1]);
        if (hi < 0 || lo < 0 || is_dash_position(i + 1)) {
            return -EINVAL;
        }
        parsed.u.raw[byte++] = static_cast<uint8_t>(hi << 4 | lo);
        i += 2;
    }
    *uuid = parsed;
    return 0;
}

int spdk_uuid_fmt_lower(char *uuid_str, size_t uuid_str_size, const struct spdk_uuid *uuid) {
    if (uuid_str == nullptr || uuid == nullptr || uuid_str_size < SPDK_UUID_STRING_LEN) {
        return -EINVAL;
    }
    static constexpr char kDigits[] = "0123456789abcdef";
    size_t pos = 0;
    for (size_t byte = 0; byte < 16; ++byte) {
        if (is_dash_position(pos)) {
            uuid_str[pos++] = '-';
        }
        uuid_str[pos++] = kDigits[uuid->u.raw[byte] >> 4];
        uuid_str[pos++] = kDigits[uuid->u.raw[byte] & 0x0f];
    }
    uuid_str[pos] = '\0';
    return 0;
}

int spdk_uuid_compare(const struct spdk_uuid *u1, const struct spdk_uuid *u2) {
    return std::memcmp(u1->u.raw, u2->u.raw, sizeof(u1->u.raw));
}

void spdk_uuid_generate(struct spdk_uuid *uuid) {
    fill_random(uuid->u.raw, sizeof(uuid->u.raw));
    set_version(uuid, 4);
}

int spdk_uuid_generate_sha1(struct spdk_uuid *uuid, struct spdk_uuid *ns_uuid, const char *name,
                            size_t len) {
    if (uuid == nullptr || ns_uuid == nullptr || (name == nullptr && len != 0)) {
        return -EINVAL;
    }
    Sha1 sha;
    sha.update(ns_uuid->u.raw, sizeof(ns_uuid->u.raw));
    sha.update(reinterpret_cast<const uint8_t *>(name), len);
    const auto digest = sha.finish();
    std::memcpy(uuid->u.raw, digest.data(), sizeof(uuid->u.raw));
    set_version(uuid, 5);
    return 0;
}

void spdk_uuid_copy(struct spdk_uuid *dst, const struct spdk_uuid *src) {
    std::memcpy(dst, src, sizeof(*dst));
}

bool spdk_uuid_is_null(const struct spdk_uuid *uuid) {
    static const spdk_uuid kNull{};
    return std::memcmp(uuid, &kNull, sizeof(kNull)) == 0;
}

void spdk_uuid_set_null(struct spdk_uuid *uuid) {
    std::memset(uuid, 0, sizeof(*uuid));
}

}  // extern "C"
