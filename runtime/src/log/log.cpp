// Logging: messages at or below the print level go to stderr, and every message
// at or below the log level goes to the callback given to spdk_log_open.
#include <sys/time.h>

#include <atomic>
#include <cstring>
#include <mutex>

#include "spdk/log.h"

namespace {

struct Log {
    std::atomic<spdk_log_level> level{SPDK_LOG_NOTICE};
    std::atomic<spdk_log_level> print_level{SPDK_LOG_NOTICE};
    std::atomic<spdk_log_cb *> callback{nullptr};
    std::atomic<bool> timestamps{true};
    std::mutex flags_lock;
    TAILQ_HEAD(, spdk_log_flag) flags = TAILQ_HEAD_INITIALIZER(flags);
};

Log &log_state() {
    static Log l;
    return l;
}

const char *level_name(spdk_log_level level) {
    switch (level) {
        case SPDK_LOG_ERROR:
            return "ERROR";
        case SPDK_LOG_WARN:
            return "WARNING";
        case SPDK_LOG_NOTICE:
            return "NOTICE";
        case SPDK_LOG_INFO:
            return "INFO";
        case SPDK_LOG_DEBUG:
            return "DEBUG";
        default:
            return "";
    }
}

void print_timestamp(char *buf, size_t len) {
    timeval tv{};
    gettimeofday(&tv, nullptr);
    tm local{};
    localtime_r(&tv.tv_sec, &local);
    char date[32];
    strftime(date, sizeof(date), "%Y-%m-%d %H:%M:%S", &local);
    snprintf(buf, len, "[%s.%06ld] ", date, static_cast<long>(tv.tv_usec));
}

spdk_log_flag *find_flag(Log &l, const char *name) {
    spdk_log_flag *flag = nullptr;
    TAILQ_FOREACH(flag, &l.flags, tailq) {
        if (strcasecmp(flag->name, name) == 0) {
            return flag;
        }
    }
    return nullptr;
}

int set_flag(const char *name, bool value) {
    if (name == nullptr) {
        return -EINVAL;
    }
    Log &l = log_state();
    std::lock_guard guard(l.flags_lock);
    if (strcasecmp(name, "all") == 0) {
        spdk_log_flag *flag = nullptr;
        TAILQ_FOREACH(flag, &l.flags, tailq) {
            flag->enabled = value;
        }
        return 0;
    }
    spdk_log_flag *flag = find_flag(l, name);
    if (flag == nullptr) {
        return -EINVAL;
    }
    flag->enabled = value;
    return 0;
}

}  // namespace

extern "C" {

void spdk_log_open(spdk_log_cb *log) {
    log_state().callback = log;
}

void spdk_log_close(void) {
    log_state().callback = nullptr;
}

void spdk_log_enable_timestamps(bool value) {
    log_state().timestamps = value;
}

void spdk_log_set_level(enum spdk_log_level level) {
    log_state().level = level;
}

enum spdk_log_level spdk_log_get_level(void) {
    return log_state().level;
}

void spdk_log_set_print_level(enum spdk_log_level level) {
    log_state().print_level = level;
}

enum spdk_log_level spdk_log_get_print_level(void) {
    return log_state().print_level;
}

int spdk_log_to_syslog_level(enum spdk_log_level level) {
    switch (level) {
        case SPDK_LOG_DEBUG:
        case SPDK_LOG_INFO:
            return LOG_INFO;
        case SPDK_LOG_NOTICE:
            return LOG_NOTICE;
        case SPDK_LOG_WARN:
            return LOG_WARNING;
        case SPDK_LOG_ERROR:
            return LOG_ERR;
        default:
            return -1;
    }
}

void spdk_vlog(enum spdk_log_level level, const char *file, const int line, const char *func,
               const char *format, va_list ap) {
    Log &l = log_state();
    spdk_log_cb *callback = l.callback.load();
    if (callback != nullptr) {
        if (level <= l.level.load()) {
            callback(level, file, line, func, format, ap);
        }
        return;
    }
    if (level > l.print_level.load()) {
        return;
    }
    char message[1024];
    vsnprintf(message, sizeof(message), format, ap);
    char stamp[64] = "";
    if (l.timestamps) {
        print_timestamp(stamp, sizeof(stamp));
    }
    if (file == nullptr) {
        fprintf(stderr, "%s", message);
    } else {
        fprintf(stderr, "%s%s:%4d:%s: *%s*: %s", stamp, file, line, func, level_name(level),
                message);
    }
}

void spdk_log(enum spdk_log_level level, const char *file, const int line, const char *func,
              const char *format, ...) {
    va_list ap;
    va_start(ap, format);
    spdk_vlog(level, file, line, func, format, ap);
    va_end(ap);
}

void spdk_log_dump(FILE *fp, const char *label, const void *buf, size_t len) {
    const auto *bytes = static_cast<const uint8_t *>(buf);
    fprintf(fp, "%s\n", label);
    for (size_t off = 0; off < len; off += 16) {
        fprintf(fp, "%08zx ", off);
        for (size_t i = off; i < off + 16 && i < len; ++i) {
            fprintf(fp, " %02x", bytes[i]);
        }
        fprintf(fp, "\n");
    }
}

void spdk_log_register_flag(const char *name, struct spdk_log_flag *flag) {
    Log &l = log_state();
    std::lock_guard guard(l.flags_lock);
    if (name == nullptr || flag == nullptr || find_flag(l, name) != nullptr) {
        return;
    }
    // Kept sorted by name, as `-L help` lists them.
    spdk_log_flag *iter = nullptr;
    TAILQ_FOREACH(iter, &l.flags, tailq) {
        if (strcasecmp(iter->name, name) > 0) {
            TAILQ_INSERT_BEFORE(iter, flag, tailq);
            return;
        }
    }
    TAILQ_INSERT_TAIL(&l.flags, flag, tailq);
}

struct spdk_log_flag *spdk_log_get_first_flag(void) {
    return TAILQ_FIRST(&log_state().flags);
}

struct spdk_log_flag *spdk_log_get_next_flag(struct spdk_log_flag *flag) {
    return TAILQ_NEXT(flag, tailq);
}

bool spdk_log_get_flag(const char *name) {
    Log &l = log_state();
    std::lock_guard guard(l.flags_lock);
    spdk_log_flag *flag = name != nullptr ? find_flag(l, name) : nullptr;
    return flag != nullptr && flag->enabled;
}

int spdk_log_set_flag(const char *flag) {
    return set_flag(flag, true);
}

int spdk_log_clear_flag(const char *flag) {
    return set_flag(flag, false);
}

void spdk_log_usage(FILE *f, const char *log_arg) {
    fprintf(f, " %s, --logflag <flag>    enable a log flag (all", log_arg);
    for (spdk_log_flag *flag = spdk_log_get_first_flag(); flag != nullptr;
         flag = spdk_log_get_next_flag(flag)) {
        fprintf(f, ", %s", flag->name);
    }
    fprintf(f, ")\n");
}

}  // extern "C"
