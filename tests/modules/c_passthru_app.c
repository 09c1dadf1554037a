/* A C program written for SPDK, unchanged: an app whose JSON config (argv) creates
 * a malloc bdev and a passthru on it with SPDK's bdev_passthru_create, then writes a
 * block through the passthru and reads it back. Linked with spdkcpp's C++ passthru,
 * it must behave as with SPDK's own. Exits non-zero on failure. */
#include "spdk/bdev.h"
#include "spdk/env.h"
#include "spdk/event.h"
#include "spdk/log.h"
#include "spdk/stdinc.h"
#include "spdk/string.h"

struct hello {
    struct spdk_bdev_desc *desc;
    struct spdk_io_channel *ch;
    char *buf;
    uint32_t block_size;
    int rc;
};

static void finish(struct hello *h, int rc) {
    h->rc = rc;
    if (h->ch != NULL) {
        spdk_put_io_channel(h->ch);
    }
    if (h->desc != NULL) {
        spdk_bdev_close(h->desc);
    }
    spdk_dma_free(h->buf);
    spdk_app_stop(rc);
}

static void read_done(struct spdk_bdev_io *io, bool success, void *arg) {
    struct hello *h = arg;
    spdk_bdev_free_io(io);
    if (!success || strcmp(h->buf, "through the passthru") != 0) {
        SPDK_ERRLOG("read back '%s' (%s)\n", h->buf, success ? "ok" : "failed");
        finish(h, 1);
        return;
    }
    printf("c_passthru_app: read back '%s'\n", h->buf);
    finish(h, 0);
}

static void write_done(struct spdk_bdev_io *io, bool success, void *arg) {
    struct hello *h = arg;
    spdk_bdev_free_io(io);
    if (!success) {
        finish(h, 1);
        return;
    }
    memset(h->buf, 0, h->block_size);
    if (spdk_bdev_read(h->desc, h->ch, h->buf, 0, h->block_size, read_done, h) != 0) {
        finish(h, 1);
    }
}

static void ignore_event(enum spdk_bdev_event_type type, struct spdk_bdev *bdev, void *ctx) {
    (void)type;
    (void)bdev;
    (void)ctx;
}

static void start(void *arg) {
    struct hello *h = arg;
    struct spdk_bdev *bdev;
    int rc = spdk_bdev_open_ext("PT0", true, ignore_event, NULL, &h->desc);

    if (rc != 0) {
        SPDK_ERRLOG("cannot open PT0: %s\n", spdk_strerror(-rc));
        finish(h, 1);
        return;
    }
    bdev = spdk_bdev_desc_get_bdev(h->desc);
    if (strcmp(spdk_bdev_get_product_name(bdev), "passthru") != 0) {
        finish(h, 1);
        return;
    }
    h->block_size = spdk_bdev_get_block_size(bdev);
    h->ch = spdk_bdev_get_io_channel(h->desc);
    h->buf = spdk_dma_zmalloc(h->block_size, spdk_bdev_get_buf_align(bdev), NULL);
    if (h->ch == NULL || h->buf == NULL) {
        finish(h, 1);
        return;
    }
    snprintf(h->buf, h->block_size, "%s", "through the passthru");
    if (spdk_bdev_write(h->desc, h->ch, h->buf, 0, h->block_size, write_done, h) != 0) {
        finish(h, 1);
    }
}

int main(int argc, char **argv) {
    struct spdk_app_opts opts = {0};
    struct hello h = {0};
    int rc;

    spdk_app_opts_init(&opts, sizeof(opts));
    opts.name = "c_passthru_app";
    if (spdk_app_parse_args(argc, argv, &opts, NULL, NULL, NULL, NULL) !=
        SPDK_APP_PARSE_ARGS_SUCCESS) {
        return 1;
    }
    rc = spdk_app_start(&opts, start, &h);
    spdk_app_fini();
    return rc != 0 || h.rc != 0;
}
