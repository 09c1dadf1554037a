// Arithmetic and iovec helpers of spdk/util.h.
#include <algorithm>
#include <cstring>

#include "spdk/util.h"

extern "C" {

uint32_t spdk_u32log2(uint32_t x) {
    return x == 0 ? 0 : 31u - static_cast<uint32_t>(__builtin_clz(x));
}

uint64_t spdk_u64log2(uint64_t x) {
    return x == 0 ? 0 : 63u - static_cast<uint64_t>(__builtin_clzll(x));
}

size_t spdk_iovcpy(struct iovec *siov, size_t siovcnt, struct iovec *diov, size_t diovcnt) {
    size_t si = 0;
    size_t di = 0;
    size_t soff = 0;
    size_t doff = 0;
    size_t total = 0;
    while (si < siovcnt && di < diovcnt) {
        const size_t n = std::min(siov[si].iov_len - soff, diov[di].iov_len - doff);
        std::memcpy(static_cast<char *>(diov[di].iov_base) + doff,
                    static_cast<const char *>(siov[si].iov_base) + soff, n);
        total += n;
        soff += n;
        doff += n;
        if (soff == siov[si].iov_len) {
            ++si;
            soff = 0;
        }
        if (doff == diov[di].iov_len) {
            ++di;
            doff = 0;
        }
    }
    return total;
}

void spdk_copy_iovs_to_buf(void *buf, size_t buf_len, struct iovec *iovs, int iovcnt) {
    iovec dst{buf, buf_len};
    spdk_iovcpy(iovs, static_cast<size_t>(iovcnt), &dst, 1);
}

void spdk_copy_buf_to_iovs(struct iovec *iovs, int iovcnt, void *buf, size_t buf_len) {
    iovec src{buf, buf_len};
    spdk_iovcpy(&src, 1, iovs, static_cast<size_t>(iovcnt));
}

void spdk_iov_memset(struct iovec *iovs, int iovcnt, int c) {
    for (int i = 0; i < iovcnt; ++i) {
        std::memset(iovs[i].iov_base, c, iovs[i].iov_len);
    }
}

}  // extern "C"
