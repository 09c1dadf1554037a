/* A plain C program written against SPDK's public API, as an SPDK user writes one: it
 * starts the subsystems on a thread it polls itself, creates a uring bdev over a
 * temporary file from a JSON config, writes and reads through it, checks the bytes in
 * the file with pread(), and stops. Exits 0 when every check holds. */
#include "spdk/stdinc.h"

#include "spdk/bdev.h"
#include "spdk/env.h"
#include "spdk/init.h"
#include "spdk/log.h"
#include "spdk/rpc.h"
#include "spdk/thread.h"

#include "test_util.h"

#define FILE_SIZE (1024 * 1024)
#define IO_SIZE (16 * 1024)

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Polls the app thread until *done is set, for 5 seconds at most: the kernel
 * completes the I/O asynchronously. */
static void poll_until(const bool *done) {
    const double deadline = now_seconds() + 5.0;
    while (!*done && now_seconds() < deadline) {
        spdk_thread_poll(g_app_thread, 0, 0);
    }
    /* And whatever the last step left to do. */
    for (int i = 0; i < 1000 && spdk_thread_poll(g_app_thread, 0, 0) > 0; i++) {
    }
}

struct io_result {
    bool done;
    bool success;
};

static void io_complete(struct spdk_bdev_io *bdev_io, bool success, void *cb_arg) {
    struct io_result *r = cb_arg;
    r->success = success;
    r->done = true;
    spdk_bdev_free_io(bdev_io);
}

static void event_ignore(enum spdk_bdev_event_type type, struct spdk_bdev *bdev, void *ctx) {
    (void)type;
    (void)bdev;
    (void)ctx;
}

static void test_io(struct spdk_bdev_desc *desc, struct spdk_io_channel *ch, int fd) {
    struct io_result r = {false, false};
    uint8_t *out = spdk_dma_zmalloc(IO_SIZE, 4096, NULL);
    uint8_t *in = spdk_dma_zmalloc(IO_SIZE, 4096, NULL);
    uint8_t *disk = malloc(IO_SIZE);
    CHECK(out != NULL && in != NULL && disk != NULL);
    if (out == NULL || in == NULL || disk == NULL) {
        goto out;
    }
    for (size_t i = 0; i < IO_SIZE; i++) {
        out[i] = (uint8_t)(i * 7 + 3);
    }
    CHECK(spdk_bdev_write(desc, ch, out, 64 * 1024, IO_SIZE, io_complete, &r) == 0);
    poll_until(&r.done);
    CHECK(r.done && r.success);

    r.done = false;
    CHECK(spdk_bdev_read(desc, ch, in, 64 * 1024, IO_SIZE, io_complete, &r) == 0);
    poll_until(&r.done);
    CHECK(r.done && r.success);
    CHECK(memcmp(in, out, IO_SIZE) == 0);

    CHECK(pread(fd, disk, IO_SIZE, 64 * 1024) == IO_SIZE);
    CHECK(memcmp(disk, out, IO_SIZE) == 0);

    r.done = false;
    CHECK(spdk_bdev_flush(desc, ch, 0, FILE_SIZE, io_complete, &r) == 0);
    poll_until(&r.done);
    CHECK(r.done && r.success);

    CHECK(spdk_bdev_read(desc, ch, in, FILE_SIZE, 512, io_complete, &r) == -EINVAL);
out:
    spdk_dma_free(out);
    spdk_dma_free(in);
    free(disk);
}

int main(void) {
    struct done_flag flag = {false, 1};
    struct spdk_bdev_desc *desc = NULL;
    struct spdk_io_channel *ch;
    const char *dir = getenv("TMPDIR");
    char path[4096];
    char config[8192];
    int fd;

    snprintf(path, sizeof(path), "%s/spdkcpp-c-uring-XXXXXX",
             dir != NULL && dir[0] != '\0' ? dir : "/tmp");
    fd = mkstemp(path);
    if (fd < 0 || ftruncate(fd, FILE_SIZE) != 0) {
        fprintf(stderr, "cannot create %s: %s\n", path, strerror(errno));
        return 1;
    }
    snprintf(config, sizeof(config),
             "{\"subsystems\": [{\"subsystem\": \"bdev\", \"config\": ["
             "  {\"method\": \"bdev_uring_create\","
             "   \"params\": {\"name\": \"Uring0\", \"filename\": \"%s\", \"block_size\": 512}}"
             "]}]}",
             path);

    start_app_thread();

    spdk_subsystem_init(init_done, &flag);
    poll_until(&flag.done);
    CHECK(flag.done && flag.rc == 0);

    flag.done = false;
    flag.rc = 1;
    /* As SPDK's app framework: RUNTIME methods (bdev_malloc_create) from now on. */
    spdk_rpc_set_state(SPDK_RPC_RUNTIME);
    spdk_subsystem_load_config(config, (ssize_t)strlen(config), init_done, &flag, true);
    poll_until(&flag.done);
    CHECK(flag.done && flag.rc == 0);

    CHECK(spdk_bdev_open_ext("Uring0", true, event_ignore, NULL, &desc) == 0);
    if (desc != NULL) {
        struct spdk_bdev *bdev = spdk_bdev_desc_get_bdev(desc);
        CHECK(spdk_bdev_get_block_size(bdev) == 512);
        CHECK(spdk_bdev_get_num_blocks(bdev) == FILE_SIZE / 512);
        CHECK(strcmp(spdk_bdev_get_module_name(bdev), "uring") == 0);
        ch = spdk_bdev_get_io_channel(desc);
        CHECK(ch != NULL);
        if (ch != NULL) {
            test_io(desc, ch, fd);
            spdk_put_io_channel(ch);
        }
        spdk_bdev_close(desc);
    }

    flag.done = false;
    spdk_subsystem_fini(fini_done, &flag);
    poll_until(&flag.done);
    CHECK(flag.done);

    stop_app_thread();
    close(fd);
    unlink(path);

    return checks_result("uring");
}
