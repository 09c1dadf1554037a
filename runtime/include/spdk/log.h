/* spdkcpp embedded runtime: leveled logging and per-component log flags. */
#ifndef SPDK_LOG_H
#define SPDK_LOG_H

#include "spdk/queue.h"
#include "spdk/stdinc.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef void spdk_log_cb(int level, const char *file, const int line, const char *func,
                         const char *format, va_list args);

enum spdk_log_level {
    SPDK_LOG_DISABLED = -1,
    SPDK_LOG_ERROR,
    SPDK_LOG_WARN,
    SPDK_LOG_NOTICE,
    SPDK_LOG_INFO,
    SPDK_LOG_DEBUG,
};

/* Sends messages to log instead of syslog (NULL restores the default). */
void spdk_log_open(spdk_log_cb *log);
void spdk_log_close(void);
void spdk_log_enable_timestamps(bool value);

/* Level of messages kept for the log (syslog or the spdk_log_open callback). */
void spdk_log_set_level(enum spdk_log_level level);
enum spdk_log_level spdk_log_get_level(void);
/* Level of messages also printed on stderr. */
void spdk_log_set_print_level(enum spdk_log_level level);
enum spdk_log_level spdk_log_get_print_level(void);
int spdk_log_to_syslog_level(enum spdk_log_level level);

void spdk_log(enum spdk_log_level level, const char *file, const int line, const char *func,
              const char *format, ...) __attribute__((__format__(__printf__, 5, 6)));
void spdk_vlog(enum spdk_log_level level, const char *file, const int line, const char *func,
               const char *format, va_list ap) __attribute__((__format__(__printf__, 5, 0)));
void spdk_log_dump(FILE *fp, const char *label, const void *buf, size_t len);

#define SPDK_ERRLOG(...) spdk_log(SPDK_LOG_ERROR, __FILE__, __LINE__, __func__, __VA_ARGS__)
#define SPDK_WARNLOG(...) spdk_log(SPDK_LOG_WARN, __FILE__, __LINE__, __func__, __VA_ARGS__)
#define SPDK_NOTICELOG(...) spdk_log(SPDK_LOG_NOTICE, __FILE__, __LINE__, __func__, __VA_ARGS__)
#define SPDK_PRINTF(...) spdk_log(SPDK_LOG_NOTICE, NULL, -1, NULL, __VA_ARGS__)

/* As SPDK's: at most one message a second from this call site; the ones held back
 * are counted and the count is logged with the next message that gets through. The
 * caller includes spdk/env.h (spdk_get_ticks). Unlike SPDK's, its counters are
 * atomic, as the call site may run on several reactors at once. */
#define SPDK_ERRLOG_RATELIMIT(...)                                                                \
    do {                                                                                          \
        static uint64_t spdk_ratelimit_last_ = 0;                                                 \
        static uint64_t spdk_ratelimit_squashed_ = 0;                                             \
        uint64_t spdk_ratelimit_now_ = spdk_get_ticks();                                          \
        uint64_t spdk_ratelimit_prev_ = __atomic_load_n(&spdk_ratelimit_last_, __ATOMIC_RELAXED); \
        if ((spdk_ratelimit_prev_ == 0 ||                                                         \
             spdk_ratelimit_now_ > spdk_ratelimit_prev_ + spdk_get_ticks_hz()) &&                 \
            __atomic_compare_exchange_n(&spdk_ratelimit_last_, &spdk_ratelimit_prev_,             \
                                        spdk_ratelimit_now_, false, __ATOMIC_RELAXED,             \
                                        __ATOMIC_RELAXED)) {                                      \
            SPDK_ERRLOG(__VA_ARGS__);                                                             \
            uint64_t spdk_ratelimit_n_ =                                                          \
                __atomic_exchange_n(&spdk_ratelimit_squashed_, 0, __ATOMIC_RELAXED);              \
            if (spdk_ratelimit_n_ > 0) {                                                          \
                SPDK_ERRLOG("(same message squashed %" PRIu64 " times)\n", spdk_ratelimit_n_);    \
            }                                                                                     \
        } else {                                                                                  \
            __atomic_fetch_add(&spdk_ratelimit_squashed_, 1, __ATOMIC_RELAXED);                   \
        }                                                                                         \
    } while (0)

/* A named switch for a component's INFO and DEBUG messages, off until
 * spdk_log_set_flag (or -L on the command line) turns it on. */
struct spdk_log_flag {
    TAILQ_ENTRY(spdk_log_flag) tailq;
    const char *name;
    bool enabled;
};

void spdk_log_register_flag(const char *name, struct spdk_log_flag *flag);
struct spdk_log_flag *spdk_log_get_first_flag(void);
struct spdk_log_flag *spdk_log_get_next_flag(struct spdk_log_flag *flag);
bool spdk_log_get_flag(const char *flag);
/* "all" names every flag. Returns 0, or -EINVAL for an unknown flag. */
int spdk_log_set_flag(const char *flag);
int spdk_log_clear_flag(const char *flag);
void spdk_log_usage(FILE *f, const char *log_arg);

#define SPDK_LOG_REGISTER_COMPONENT(flag)                                          \
    struct spdk_log_flag SPDK_LOG_##flag = {                                       \
        .tailq = {NULL, NULL}, .name = #flag, .enabled = false};                   \
    __attribute__((constructor)) static void spdk_register_log_flag_##flag(void) { \
        spdk_log_register_flag(#flag, &SPDK_LOG_##flag);                           \
    }

#define SPDK_INFOLOG(flag, ...)                                                 \
    do {                                                                        \
        extern struct spdk_log_flag SPDK_LOG_##flag;                            \
        if (SPDK_LOG_##flag.enabled) {                                          \
            spdk_log(SPDK_LOG_INFO, __FILE__, __LINE__, __func__, __VA_ARGS__); \
        }                                                                       \
    } while (0)

#ifdef DEBUG
#define SPDK_DEBUGLOG_FLAG_ENABLED(name) spdk_log_get_flag(name)
#define SPDK_DEBUGLOG(flag, ...)                                                 \
    do {                                                                         \
        extern struct spdk_log_flag SPDK_LOG_##flag;                             \
        if (SPDK_LOG_##flag.enabled) {                                           \
            spdk_log(SPDK_LOG_DEBUG, __FILE__, __LINE__, __func__, __VA_ARGS__); \
        }                                                                        \
    } while (0)
#else
#define SPDK_DEBUGLOG_FLAG_ENABLED(name) false
#define SPDK_DEBUGLOG(...) \
    do {                   \
    } while (0)
#endif

#ifdef __cplusplus
}
#endif

#endif /* SPDK_LOG_H */
