// Core sets and the two spellings of a core mask SPDK accepts.
#include <cctype>
#include <cstring>
#include <new>

#include "internal/hex.hpp"
#include "spdk/cpuset.h"

namespace {

constexpr uint32_t kBytes = SPDK_CPUSET_SIZE / 8;

// "0x1f" or "1f": the last digit holds cores 0-3.
int parse_mask(spdk_cpuset &set, const char *mask) {
    if (mask[0] == '0' && (mask[1] == 'x' || mask[1] == 'X')) {
        mask += 2;
    }
    const size_t len = std::strlen(mask);
    if (len == 0 || len > SPDK_CPUSET_SIZE / 4) {
        return -1;
    }
    for (size_t i = 0; i < len; ++i) {
        const int digit = spdk_embedded::hex_value(mask[len - 1 - i]);
        if (digit < 0) {
            return -1;
        }
        for (uint32_t bit = 0; bit < 4; ++bit) {
            if ((digit & (1 << bit)) != 0) {
                spdk_cpuset_set_cpu(&set, static_cast<uint32_t>(i * 4 + bit), true);
            }
        }
    }
    return 0;
}

int parse_number(const char *&p, uint32_t &out) {
    if (std::isdigit(static_cast<unsigned char>(*p)) == 0) {
        return -1;
    }
    char *end = nullptr;
    const unsigned long value = std::strtoul(p, &end, 10);
    if (value >= SPDK_CPUSET_SIZE) {
        return -1;
    }
    out = static_cast<uint32_t>(value);
    p = end;
    return 0;
}

// "[0-3,8]": single cores and ranges.
int parse_list(spdk_cpuset &set, const char *list) {
    const char *p = list + 1;
    for (;;) {
        while (*p == ' ') {
            ++p;
        }
        uint32_t first = 0;
        if (parse_number(p, first) != 0) {
            return -1;
        }
        uint32_t last = first;
        if (*p == '-') {
            ++p;
            if (parse_number(p, last) != 0 || last < first) {
                return -1;
            }
        }
        for (uint32_t c = first; c <= last; ++c) {
            spdk_cpuset_set_cpu(&set, c, true);
        }
        while (*p == ' ') {
            ++p;
        }
        if (*p == ',') {
            ++p;
            continue;
        }
        return (*p == ']' && p[1] == '\0') ? 0 : -1;
    }
}

}  // namespace

extern "C" {

struct spdk_cpuset *spdk_cpuset_alloc(void) {
    return new (std::nothrow) spdk_cpuset{};
}

void spdk_cpuset_free(struct spdk_cpuset *set) {
    delete set;
}

bool spdk_cpuset_equal(const struct spdk_cpuset *set1, const struct spdk_cpuset *set2) {
    return std::memcmp(set1->cpus, set2->cpus, kBytes) == 0;
}

void spdk_cpuset_copy(struct spdk_cpuset *dst, const struct spdk_cpuset *src) {
    std::memcpy(dst->cpus, src->cpus, kBytes);
}

void spdk_cpuset_and(struct spdk_cpuset *dst, const struct spdk_cpuset *src) {
    for (uint32_t i = 0; i < kBytes; ++i) {
        dst->cpus[i] &= src->cpus[i];
    }
}

void spdk_cpuset_or(struct spdk_cpuset *dst, const struct spdk_cpuset *src) {
    for (uint32_t i = 0; i < kBytes; ++i) {
        dst->cpus[i] |= src->cpus[i];
    }
}

void spdk_cpuset_xor(struct spdk_cpuset *dst, const struct spdk_cpuset *src) {
    for (uint32_t i = 0; i < kBytes; ++i) {
        dst->cpus[i] ^= src->cpus[i];
    }
}

void spdk_cpuset_negate(struct spdk_cpuset *set) {
    for (uint32_t i = 0; i < kBytes; ++i) {
        set->cpus[i] = static_cast<uint8_t>(~set->cpus[i]);
    }
}

void spdk_cpuset_zero(struct spdk_cpuset *set) {
    std::memset(set->cpus, 0, kBytes);
}

void spdk_cpuset_set_cpu(struct spdk_cpuset *set, uint32_t cpu, bool state) {
    if (cpu >= SPDK_CPUSET_SIZE) {
        return;
    }
    const auto bit = static_cast<uint8_t>(1u << (cpu % 8));
    if (state) {
        set->cpus[cpu / 8] |= bit;
    } else {
        set->cpus[cpu / 8] &= static_cast<uint8_t>(~bit);
    }
}

bool spdk_cpuset_get_cpu(const struct spdk_cpuset *set, uint32_t cpu) {
    return cpu < SPDK_CPUSET_SIZE && (set->cpus[cpu / 8] & (1u << (cpu % 8))) != 0;
}

void spdk_cpuset_for_each_cpu(const struct spdk_cpuset *set, void (*fn)(void *ctx, uint32_t cpu),
                              void *ctx) {
    for (uint32_t c = 0; c < SPDK_CPUSET_SIZE; ++c) {
        if (spdk_cpuset_get_cpu(set, c)) {
            fn(ctx, c);
        }
    }
}

uint32_t spdk_cpuset_count(const struct spdk_cpuset *set) {
    uint32_t count = 0;
    for (uint32_t i = 0; i < kBytes; ++i) {
        count += static_cast<uint32_t>(__builtin_popcount(set->cpus[i]));
    }
    return count;
}

const char *spdk_cpuset_fmt(struct spdk_cpuset *set) {
    static const char kDigits[] = "0123456789abcdef";
    uint32_t top = 0;
    for (uint32_t c = 0; c < SPDK_CPUSET_SIZE; ++c) {
        if (spdk_cpuset_get_cpu(set, c)) {
            top = c;
        }
    }
    const uint32_t digits = top / 4 + 1;
    for (uint32_t i = 0; i < digits; ++i) {
        const uint32_t base = (digits - 1 - i) * 4;
        uint32_t nibble = 0;
        for (uint32_t bit = 0; bit < 4; ++bit) {
            nibble |= (spdk_cpuset_get_cpu(set, base + bit) ? 1u : 0u) << bit;
        }
        set->str[i] = kDigits[nibble];
    }
    set->str[digits] = '\0';
    return set->str;
}

int spdk_cpuset_parse(struct spdk_cpuset *set, const char *mask) {
    if (set == nullptr || mask == nullptr) {
        return -1;
    }
    while (*mask == ' ') {
        ++mask;
    }
    spdk_cpuset parsed{};
    const int rc = mask[0] == '[' ? parse_list(parsed, mask) : parse_mask(parsed, mask);
    if (rc != 0) {
        return -1;
    }
    spdk_cpuset_copy(set, &parsed);
    return 0;
}

}  // extern "C"
