/* spdkcpp embedded runtime: lightweight threads, messages, pollers, I/O devices
 * and their per-thread channels.
 *
 * An spdk_thread is a scheduling context, not an OS thread: whoever calls
 * spdk_thread_poll() runs it (a reactor of the app framework, or a test driving it
 * by hand). Everything registered on a thread (pollers, channels) is used and
 * released on that thread; other threads talk to it with messages. */
#ifndef SPDK_THREAD_H_
#define SPDK_THREAD_H_

#include "spdk/assert.h"
#include "spdk/cpuset.h"
#include "spdk/env.h"
#include "spdk/likely.h"
#include "spdk/stdinc.h"
#include "spdk/util.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What a poller returns: whether it found work to do. */
enum spdk_thread_poller_rc {
    SPDK_POLLER_IDLE,
    SPDK_POLLER_BUSY,
};

struct spdk_thread;
struct spdk_poller;
struct spdk_io_channel;
struct spdk_io_channel_iter;

/* Called by spdk_thread_create() for each new thread; the callee arranges for the
 * thread to be polled. A non-zero return makes the creation fail. */
typedef int (*spdk_new_thread_fn)(struct spdk_thread *thread);

/* Requests the threading library makes of its scheduler. */
enum spdk_thread_op {
    /* A thread was created: start polling it. */
    SPDK_THREAD_OP_NEW,
    /* The thread's cpumask changed: move it where the mask allows. */
    SPDK_THREAD_OP_RESCHED,
};

typedef int (*spdk_thread_op_fn)(struct spdk_thread *thread, enum spdk_thread_op op);
typedef bool (*spdk_thread_op_supported_fn)(enum spdk_thread_op op);

/* A message: fn(ctx) runs on the target thread. */
typedef void (*spdk_msg_fn)(void *ctx);
typedef void (*spdk_thread_pass_msg)(spdk_msg_fn fn, void *ctx, void *thread_ctx);

/* A poller's body; returns SPDK_POLLER_BUSY when it did work, SPDK_POLLER_IDLE
 * otherwise. */
typedef int (*spdk_poller_fn)(void *ctx);
typedef void (*spdk_poller_set_interrupt_mode_cb)(struct spdk_poller *poller, void *cb_arg,
                                                  bool interrupt_mode);

/* I/O device callbacks: ctx_buf is the channel's context (ctx_size bytes). A
 * non-zero return of the create callback makes spdk_get_io_channel() fail. */
typedef int (*spdk_io_channel_create_cb)(void *io_device, void *ctx_buf);
typedef void (*spdk_io_channel_destroy_cb)(void *io_device, void *ctx_buf);
typedef void (*spdk_io_device_unregister_cb)(void *io_device);

/* spdk_for_each_channel(): fn runs on each channel's thread and must end with
 * spdk_for_each_channel_continue(); cpl runs on the thread that started the walk,
 * with status 0 or the first non-zero status given to continue. */
typedef void (*spdk_channel_msg)(struct spdk_io_channel_iter *i);
typedef void (*spdk_channel_for_each_cpl)(struct spdk_io_channel_iter *i, int status);

/* The channel's context starts this many bytes after the struct spdk_io_channel. */
#define SPDK_IO_CHANNEL_STRUCT_SIZE 96

/* Sizing of the message pool. In the embedded runtime every thread has a bounded
 * message ring whose capacity is the pool size given to spdk_thread_lib_init_ext()
 * rounded up to a power of two, at most 65536. */
#define SPDK_MSG_MEMPOOL_CACHE_SIZE 1024
#define SPDK_DEFAULT_MSG_MEMPOOL_SIZE (262144 - 1)

/* Initializes the library; call once before creating threads. new_thread_fn may
 * be NULL (the caller polls threads itself). Each thread gets ctx_sz bytes of
 * scheduler context (spdk_thread_get_ctx). Returns 0 or a negative errno. */
int spdk_thread_lib_init(spdk_new_thread_fn new_thread_fn, size_t ctx_sz);
/* As spdk_thread_lib_init, with a scheduler given as an operation callback; both
 * callbacks are given or neither (-EINVAL otherwise). */
int spdk_thread_lib_init_ext(spdk_thread_op_fn thread_op_fn,
                             spdk_thread_op_supported_fn thread_op_supported_fn, size_t ctx_sz,
                             size_t msg_mempool_size);
/* Releases the library: the app thread, and anything left behind (logged). */
void spdk_thread_lib_fini(void);

/* Creates a thread (name copied; NULL for a generated one; cpumask copied, NULL
 * for all cores). The first thread created is the app thread. NULL on failure. */
struct spdk_thread *spdk_thread_create(const char *name, const struct spdk_cpuset *cpumask);
struct spdk_thread *spdk_thread_get_app_thread(void);
/* thread NULL asks about the current thread. */
bool spdk_thread_is_app_thread(struct spdk_thread *thread);

/* Makes the calling OS thread act as thread (NULL: no thread). */
void spdk_set_thread(struct spdk_thread *thread);
void spdk_thread_bind(struct spdk_thread *thread, bool bind);
bool spdk_thread_is_bound(struct spdk_thread *thread);

/* Starts the exit of thread, from inside it (a message or poller, or with
 * spdk_set_thread). Messages keep running; the thread becomes exited once its
 * pollers are unregistered, its channels released and its queue empty (or after a
 * timeout of a few seconds). New messages are then refused. Returns 0. */
int spdk_thread_exit(struct spdk_thread *thread);
bool spdk_thread_is_exited(struct spdk_thread *thread);
/* True until spdk_thread_exit() is called. */
bool spdk_thread_is_running(struct spdk_thread *thread);
/* Frees an exited thread (the app thread itself is freed by spdk_thread_lib_fini). */
void spdk_thread_destroy(struct spdk_thread *thread);

/* The scheduler's context of thread, NULL when ctx_sz was 0. */
void *spdk_thread_get_ctx(struct spdk_thread *thread);
struct spdk_cpuset *spdk_thread_get_cpumask(struct spdk_thread *thread);
/* Changes the current thread's cpumask; needs a scheduler with
 * SPDK_THREAD_OP_RESCHED (-ENOTSUP otherwise). */
int spdk_thread_set_cpumask(struct spdk_cpuset *cpumask);
/* Inverse of spdk_thread_get_ctx. */
struct spdk_thread *spdk_thread_get_from_ctx(void *ctx);

/* Runs one round of thread: up to max_msgs messages (0 for the default of 8; at
 * most 8), then every active poller, then the timed pollers due at now (in ticks;
 * 0 means spdk_get_ticks()). The thread is current during the round. Returns a
 * positive value when work was done, 0 when idle. */
int spdk_thread_poll(struct spdk_thread *thread, uint32_t max_msgs, uint64_t now);
/* Tick at which the earliest timed poller is due, 0 if there is none. */
uint64_t spdk_thread_next_poller_expiration(struct spdk_thread *thread);
int spdk_thread_has_active_pollers(struct spdk_thread *thread);
bool spdk_thread_has_pollers(struct spdk_thread *thread);
/* No message waiting and no poller that is not paused. */
bool spdk_thread_is_idle(struct spdk_thread *thread);
uint32_t spdk_thread_get_count(void);
/* The current thread, NULL outside of any. */
struct spdk_thread *spdk_get_thread(void);
const char *spdk_thread_get_name(const struct spdk_thread *thread);
/* Ids start at 1 and are never reused. */
uint64_t spdk_thread_get_id(const struct spdk_thread *thread);
struct spdk_thread *spdk_thread_get_by_id(uint64_t id);

struct spdk_thread_stats {
    uint64_t busy_tsc;
    uint64_t idle_tsc;
};

/* Statistics of the current thread. */
int spdk_thread_get_stats(struct spdk_thread_stats *stats);
/* The time of the thread's last poll (thread NULL: the current thread). */
uint64_t spdk_thread_get_last_tsc(struct spdk_thread *thread);

/* Queues fn(ctx) on thread; messages from one sender run in the order sent.
 * Returns 0, -ENOMEM when the thread's queue is full, -EIO when it has exited.
 * Nothing is allocated. */
int spdk_thread_send_msg(const struct spdk_thread *thread, spdk_msg_fn fn, void *ctx);
/* Queues fn(NULL) ahead of the ordinary messages; safe in a signal handler. One
 * may be pending at a time: -EIO while another is. */
int spdk_thread_send_critical_msg(struct spdk_thread *thread, spdk_msg_fn fn);

/* Runs fn(ctx) now when thread is the current thread, else sends it. */
static inline int spdk_thread_exec_msg(const struct spdk_thread *thread, spdk_msg_fn fn,
                                       void *ctx) {
    assert(thread != NULL);
    if (spdk_get_thread() == thread) {
        fn(ctx);
        return 0;
    }
    return spdk_thread_send_msg(thread, fn, ctx);
}

/* Runs fn(ctx) on every running thread, one after another, then cpl(ctx) (may be
 * NULL) on the calling thread. */
void spdk_for_each_thread(spdk_msg_fn fn, void *ctx, spdk_msg_fn cpl);

/* Interrupt mode is not supported by the embedded runtime: threads are polled. */
void spdk_thread_set_interrupt_mode(bool enable_interrupt);
int spdk_interrupt_mode_enable(void);
bool spdk_interrupt_mode_is_enabled(void);
void spdk_poller_register_interrupt(struct spdk_poller *poller,
                                    spdk_poller_set_interrupt_mode_cb cb_fn, void *cb_arg);

/* Registers fn(arg) on the current thread: run on every poll when
 * period_microseconds is 0, otherwise once per period. NULL on failure (no
 * current thread, or it has exited). */
struct spdk_poller *spdk_poller_register(spdk_poller_fn fn, void *arg,
                                         uint64_t period_microseconds);
struct spdk_poller *spdk_poller_register_named(spdk_poller_fn fn, void *arg,
                                               uint64_t period_microseconds, const char *name);

#define SPDK_POLLER_REGISTER(fn, arg, period_microseconds) \
    spdk_poller_register_named(fn, arg, period_microseconds, #fn)

/* Unregisters *ppoller (on its own thread, also from inside its callback) and
 * sets *ppoller to NULL; NULL is a no-op. The memory is released by the thread's
 * next poll. From another thread: logged and refused, *ppoller is kept. */
void spdk_poller_unregister(struct spdk_poller **ppoller);
/* Pause and resume, on the poller's thread; both are idempotent. */
void spdk_poller_pause(struct spdk_poller *poller);
void spdk_poller_resume(struct spdk_poller *poller);
const char *spdk_poller_get_name(struct spdk_poller *poller);
uint64_t spdk_poller_get_id(struct spdk_poller *poller);
const char *spdk_poller_get_state_str(struct spdk_poller *poller);
uint64_t spdk_poller_get_period_ticks(struct spdk_poller *poller);

/* Makes io_device (any unique address) a device with per-thread channels of
 * ctx_size bytes of context, built by create_cb and torn down by destroy_cb on
 * the channel's thread. name is for messages only (may be NULL). */
void spdk_io_device_register(void *io_device, spdk_io_channel_create_cb create_cb,
                             spdk_io_channel_destroy_cb destroy_cb, uint32_t ctx_size,
                             const char *name);
/* Unregisters io_device at once for new channels; unregister_cb (may be NULL)
 * runs on the calling thread, through a message, after the last channel is gone. */
void spdk_io_device_unregister(void *io_device, spdk_io_device_unregister_cb unregister_cb);

/* The current thread's channel to io_device, made on first use; each call takes a
 * reference. NULL when the device is not registered or create_cb failed. */
struct spdk_io_channel *spdk_get_io_channel(void *io_device);
/* Drops a reference, on the channel's thread. The last one destroys the channel
 * through a message to its thread (a new reference taken before then keeps it). */
void spdk_put_io_channel(struct spdk_io_channel *ch);
/* Takes one more reference, on the channel's thread. */
struct spdk_io_channel *spdk_io_channel_ref(struct spdk_io_channel *ch);

static inline void *spdk_io_channel_get_ctx(struct spdk_io_channel *ch) {
    if (spdk_unlikely(ch == NULL)) {
        assert(false);
        return NULL;
    }
    return (uint8_t *)ch + SPDK_IO_CHANNEL_STRUCT_SIZE;
}

struct spdk_io_channel *spdk_io_channel_from_ctx(void *ctx);
struct spdk_thread *spdk_io_channel_get_thread(struct spdk_io_channel *ch);
void *spdk_io_channel_get_io_device(struct spdk_io_channel *ch);
const char *spdk_io_channel_get_io_device_name(struct spdk_io_channel *ch);
int spdk_io_channel_get_ref_count(struct spdk_io_channel *ch);

/* Visits every thread holding a channel of io_device, in thread id order, calling
 * fn there; see spdk_channel_msg. */
void spdk_for_each_channel(void *io_device, spdk_channel_msg fn, void *ctx,
                           spdk_channel_for_each_cpl cpl);
void *spdk_io_channel_iter_get_io_device(struct spdk_io_channel_iter *i);
struct spdk_io_channel *spdk_io_channel_iter_get_channel(struct spdk_io_channel_iter *i);
void *spdk_io_channel_iter_get_ctx(struct spdk_io_channel_iter *i);
/* Ends fn's visit: status 0 goes on to the next thread, anything else stops the
 * walk and is given to cpl. */
void spdk_for_each_channel_continue(struct spdk_io_channel_iter *i, int status);

/* A spinlock for data shared between threads; take it only on an spdk_thread and
 * release it before the message or poller returns. */
struct spdk_spinlock_internal;
struct spdk_spinlock {
    pthread_spinlock_t spinlock;
    struct spdk_thread *thread;
    struct spdk_spinlock_internal *internal;
    bool initialized;
    bool destroyed;
};

void spdk_spin_init(struct spdk_spinlock *sspin);
void spdk_spin_destroy(struct spdk_spinlock *sspin);
void spdk_spin_lock(struct spdk_spinlock *sspin);
void spdk_spin_unlock(struct spdk_spinlock *sspin);
/* True when the current thread holds sspin. */
bool spdk_spin_held(struct spdk_spinlock *sspin);

#ifdef __cplusplus
}
#endif

#endif /* SPDK_THREAD_H_ */
