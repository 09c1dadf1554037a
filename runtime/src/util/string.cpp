// String helpers of spdk/string.h.
#include <cctype>
#include <cstring>

#include "spdk/string.h"

extern "C" {

char *spdk_vsprintf_alloc(const char *format, va_list args) {
    char *out = nullptr;
    if (vasprintf(&out, format, args) < 0) {
        return nullptr;
    }
    return out;
}

char *spdk_sprintf_alloc(const char *format, ...) {
    va_list args;
    va_start(args, format);
    char *out = spdk_vsprintf_alloc(format, args);
    va_end(args);
    return out;
}

char *spdk_strlwr(char *s) {
    if (s != nullptr) {
        for (char *p = s; *p != '\0'; ++p) {
            *p = static_cast<char>(std::tolower(static_cast<unsigned char>(*p)));
        }
    }
    return s;
}

size_t spdk_str_chomp(char *s) {
    size_t len = std::strlen(s);
    size_t removed = 0;
    while (len > 0 && (s[len - 1] == '\n' || s[len - 1] == '\r')) {
        s[--len] = '\0';
        ++removed;
    }
    return removed;
}

char *spdk_str_trim(char *s) {
    if (s == nullptr) {
        return nullptr;
    }
    char *start = s;
    while (std::isspace(static_cast<unsigned char>(*start)) != 0) {
        ++start;
    }
    size_t len = std::strlen(start);
    while (len > 0 && std::isspace(static_cast<unsigned char>(start[len - 1])) != 0) {
        start[--len] = '\0';
    }
    std::memmove(s, start, len + 1);
    return s;
}

void spdk_strerror_r(int errnum, char *buf, size_t buflen) {
    if (buf == nullptr || buflen == 0) {
        return;
    }
    const int code = errnum < 0 ? -errnum : errnum;
    // The GNU strerror_r returns a pointer that may or may not be buf.
    const char *text = strerror_r(code, buf, buflen);
    if (text != buf) {
        snprintf(buf, buflen, "%s", text);
    }
}

const char *spdk_strerror(int errnum) {
    thread_local char buf[128];
    spdk_strerror_r(errnum, buf, sizeof(buf));
    return buf;
}

int spdk_parse_capacity(const char *cap_str, uint64_t *cap, bool *has_prefix) {
    if (cap_str == nullptr || cap == nullptr ||
        std::isdigit(static_cast<unsigned char>(*cap_str)) == 0) {
        return -EINVAL;
    }
    char *end = nullptr;
    errno = 0;
    const unsigned long long value = std::strtoull(cap_str, &end, 10);
    if (errno != 0) {
        return -errno;
    }
    uint64_t shift = 0;
    if (*end != '\0') {
        switch (*end) {
            case 'k':
            case 'K':
                shift = 10;
                break;
            case 'm':
            case 'M':
                shift = 20;
                break;
            case 'g':
            case 'G':
                shift = 30;
                break;
            default:
                return -EINVAL;
        }
        if (end[1] != '\0' &&
            !(std::toupper(static_cast<unsigned char>(end[1])) == 'B' && end[2] == '\0')) {
            return -EINVAL;
        }
    }
    if (shift != 0 && value > (UINT64_MAX >> shift)) {
        return -ERANGE;
    }
    *cap = static_cast<uint64_t>(value) << shift;
    if (has_prefix != nullptr) {
        *has_prefix = shift != 0;
    }
    return 0;
}

bool spdk_mem_all_zero(const void *data, size_t size) {
    const auto *bytes = static_cast<const uint8_t *>(data);
    for (size_t i = 0; i < size; ++i) {
        if (bytes[i] != 0) {
            return false;
        }
    }
    return true;
}

long int spdk_strtol(const char *nptr, int base) {
    if (nptr == nullptr || *nptr == '\0') {
        return -EINVAL;
    }
    char *end = nullptr;
    errno = 0;
    const long value = std::strtol(nptr, &end, base);
    if (errno == ERANGE) {
        return -ERANGE;
    }
    if (errno != 0) {
        return -errno;
    }
    if (*end != '\0') {
        return -EINVAL;
    }
    return value < 0 ? -ERANGE : value;
}

long long int spdk_strtoll(const char *nptr, int base) {
    if (nptr == nullptr || *nptr == '\0') {
        return -EINVAL;
    }
    char *end = nullptr;
    errno = 0;
    const long long value = std::strtoll(nptr, &end, base);
    if (errno == ERANGE) {
        return -ERANGE;
    }
    if (errno != 0) {
        return -errno;
    }
    if (*end != '\0') {
        return -EINVAL;
    }
    return value < 0 ? -ERANGE : value;
}

}  // extern "C"
