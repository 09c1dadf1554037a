/* A plain C program against SPDK's thread API (threads, messages, pollers, I/O
 * devices and channels, spdk_for_each_channel), written as SPDK users write it. The
 * threads are polled by hand from main. Exits non-zero on failure. */
#include "spdk/thread.h"
#include "spdk/env.h"
#include "spdk/likely.h"
#include "spdk/stdinc.h"

#define CHECK(cond)                                                                  \
    do {                                                                             \
        if (spdk_unlikely(!(cond))) {                                                \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
            exit(1);                                                                 \
        }                                                                            \
    } while (0)

#define NUM_THREADS 3

struct my_device {
    int channels_created;
    int channels_destroyed;
    int unregistered;
};

struct my_channel {
    struct spdk_thread *thread;
    int visits;
};

static struct spdk_thread *g_threads[NUM_THREADS];
static int g_msg_log[16];
static int g_msg_count;

static void poll_all(void) {
    int i, busy;

    do {
        busy = 0;
        for (i = 0; i < NUM_THREADS; i++) {
            if (g_threads[i] != NULL) {
                busy += spdk_thread_poll(g_threads[i], 0, 0);
            }
        }
    } while (busy != 0);
}

static void log_msg(void *ctx) {
    g_msg_log[g_msg_count++] = (int)(intptr_t)ctx;
}

static int counting_poller(void *ctx) {
    int *count = ctx;

    (*count)++;
    return SPDK_POLLER_BUSY;
}

static int create_cb(void *io_device, void *ctx_buf) {
    struct my_device *dev = io_device;
    struct my_channel *ch = ctx_buf;

    ch->thread = spdk_get_thread();
    ch->visits = 0;
    dev->channels_created++;
    return 0;
}

static void destroy_cb(void *io_device, void *ctx_buf) {
    struct my_device *dev = io_device;
    struct my_channel *ch = ctx_buf;

    CHECK(ch->thread == spdk_get_thread());
    dev->channels_destroyed++;
}

static void unregister_cb(void *io_device) {
    struct my_device *dev = io_device;

    dev->unregistered++;
}

struct walk_state {
    int visited;
    int done;
    int status;
    struct spdk_thread *done_on;
};

static void visit_channel(struct spdk_io_channel_iter *i) {
    struct walk_state *state = spdk_io_channel_iter_get_ctx(i);
    struct spdk_io_channel *ch = spdk_io_channel_iter_get_channel(i);
    struct my_channel *ctx = spdk_io_channel_get_ctx(ch);

    CHECK(ctx->thread == spdk_get_thread());
    ctx->visits++;
    state->visited++;
    spdk_for_each_channel_continue(i, 0);
}

static void walk_done(struct spdk_io_channel_iter *i, int status) {
    struct walk_state *state = spdk_io_channel_iter_get_ctx(i);

    state->done++;
    state->status = status;
    state->done_on = spdk_get_thread();
}

int main(void) {
    struct spdk_env_opts opts;
    struct my_device dev = {0, 0, 0};
    struct spdk_io_channel *channels[NUM_THREADS];
    struct walk_state walk = {0, 0, 1, NULL};
    struct spdk_poller *poller;
    int poller_runs = 0, i;
    uint64_t now;

    opts.opts_size = sizeof(opts);
    spdk_env_opts_init(&opts);
    opts.name = "c_thread_test";
    opts.no_huge = true;
    CHECK(spdk_env_init(&opts) == 0);
    CHECK(spdk_thread_lib_init(NULL, 0) == 0);

    for (i = 0; i < NUM_THREADS; i++) {
        char name[16];

        snprintf(name, sizeof(name), "t%d", i);
        g_threads[i] = spdk_thread_create(name, NULL);
        CHECK(g_threads[i] != NULL);
    }
    CHECK(spdk_thread_get_app_thread() == g_threads[0]);
    CHECK(spdk_thread_get_count() == NUM_THREADS);

    /* Messages run in order, on their thread. */
    for (i = 0; i < 5; i++) {
        CHECK(spdk_thread_send_msg(g_threads[1], log_msg, (void *)(intptr_t)i) == 0);
    }
    CHECK(g_msg_count == 0);
    poll_all();
    CHECK(g_msg_count == 5);
    for (i = 0; i < 5; i++) {
        CHECK(g_msg_log[i] == i);
    }

    /* An active poller and a timed poller, with time driven by hand. */
    spdk_set_thread(g_threads[2]);
    now = spdk_get_ticks();
    CHECK(spdk_thread_poll(g_threads[2], 0, now) == 0);
    poller = spdk_poller_register(counting_poller, &poller_runs, 0);
    CHECK(poller != NULL);
    spdk_thread_poll(g_threads[2], 0, now);
    spdk_thread_poll(g_threads[2], 0, now);
    CHECK(poller_runs == 2);
    spdk_set_thread(g_threads[2]);
    spdk_poller_unregister(&poller);
    CHECK(poller == NULL);
    spdk_thread_poll(g_threads[2], 0, now);
    CHECK(poller_runs == 2);

    spdk_set_thread(g_threads[2]);
    poller = SPDK_POLLER_REGISTER(counting_poller, &poller_runs, 1000);
    spdk_thread_poll(g_threads[2], 0, now + spdk_get_ticks_hz() / 2000);
    CHECK(poller_runs == 2);
    spdk_thread_poll(g_threads[2], 0, now + spdk_get_ticks_hz() / 1000);
    CHECK(poller_runs == 3);
    spdk_set_thread(g_threads[2]);
    spdk_poller_unregister(&poller);

    /* One channel per thread, created and destroyed on it. */
    spdk_set_thread(g_threads[0]);
    spdk_io_device_register(&dev, create_cb, destroy_cb, sizeof(struct my_channel), "c_dev");
    for (i = 0; i < NUM_THREADS; i++) {
        spdk_set_thread(g_threads[i]);
        channels[i] = spdk_get_io_channel(&dev);
        CHECK(channels[i] != NULL);
        CHECK(spdk_get_io_channel(&dev) == channels[i]);
        spdk_put_io_channel(channels[i]);
        CHECK(spdk_io_channel_get_thread(channels[i]) == g_threads[i]);
    }
    CHECK(dev.channels_created == NUM_THREADS);

    spdk_set_thread(g_threads[1]);
    spdk_for_each_channel(&dev, visit_channel, &walk, walk_done);
    poll_all();
    CHECK(walk.visited == NUM_THREADS);
    CHECK(walk.done == 1);
    CHECK(walk.status == 0);
    CHECK(walk.done_on == g_threads[1]);
    for (i = 0; i < NUM_THREADS; i++) {
        struct my_channel *ctx = spdk_io_channel_get_ctx(channels[i]);

        CHECK(ctx->visits == 1);
        CHECK(spdk_io_channel_from_ctx(ctx) == channels[i]);
    }

    /* Unregistering waits for the last channel. */
    spdk_set_thread(g_threads[0]);
    spdk_io_device_unregister(&dev, unregister_cb);
    poll_all();
    CHECK(dev.unregistered == 0);
    for (i = 0; i < NUM_THREADS; i++) {
        spdk_set_thread(g_threads[i]);
        spdk_put_io_channel(channels[i]);
    }
    poll_all();
    CHECK(dev.channels_destroyed == NUM_THREADS);
    CHECK(dev.unregistered == 1);

    /* Exit and destroy. */
    for (i = NUM_THREADS - 1; i >= 0; i--) {
        spdk_set_thread(g_threads[i]);
        CHECK(spdk_thread_exit(g_threads[i]) == 0);
        spdk_thread_poll(g_threads[i], 0, 0);
        CHECK(spdk_thread_is_exited(g_threads[i]));
        CHECK(spdk_thread_send_msg(g_threads[i], log_msg, NULL) == -EIO);
        spdk_thread_destroy(g_threads[i]);
        g_threads[i] = NULL;
    }
    spdk_set_thread(NULL);
    spdk_thread_lib_fini();
    CHECK(spdk_thread_get_count() == 0);
    spdk_env_fini();
    printf("c_thread_test: ok\n");
    return 0;
}
