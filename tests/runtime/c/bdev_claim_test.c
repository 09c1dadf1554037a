/* SPDK's claims, from a C program written for SPDK's app framework (argv as for any
 * SPDK app; its JSON config creates Malloc0 and Examined0): the exclusive-write
 * ("v1") claim and the descriptor-bound ("v2") READ_MANY_WRITE_ONE,
 * READ_MANY_WRITE_NONE and READ_MANY_WRITE_SHARED claims of
 * spdk_bdev_module_claim_bdev_desc: who may hold which, the return codes, what
 * spdk_bdev_open_ext gives while a bdev is claimed, the release of a v2 claim as its
 * descriptor closes, and who examines a bdev with v2 claims. Built on either
 * provider, with the same checks. Exits 0 when every check holds. */
#include "spdk/stdinc.h"

#include "spdk/bdev.h"
#include "spdk/bdev_module.h"
#include "spdk/env.h"
#include "spdk/event.h"
#include "spdk/log.h"
#include "spdk/string.h"
#include "spdk/thread.h"

#include "test_util.h"

/* Modules a and b take READ_MANY_WRITE_NONE claims on "Examined0" as they examine
 * it; c examines without claiming. Only the claimants examine the disk of a bdev
 * with such claims; a closes its descriptor (ending its claim) from examine_disk. */
static struct spdk_bdev_desc *g_examined_desc[2];
static int g_examine_disk_calls[3];

static int module_init(void) {
    return 0;
}

static void examine_config_a(struct spdk_bdev *bdev);
static void examine_config_b(struct spdk_bdev *bdev);
static void examine_config_c(struct spdk_bdev *bdev);
static void examine_disk_a(struct spdk_bdev *bdev);
static void examine_disk_b(struct spdk_bdev *bdev);
static void examine_disk_c(struct spdk_bdev *bdev);
static void fini_start(void);

static struct spdk_bdev_module g_mod_a = {.name = "claim_test_a",
                                          .module_init = module_init,
                                          .fini_start = fini_start,
                                          .examine_config = examine_config_a,
                                          .examine_disk = examine_disk_a};
static struct spdk_bdev_module g_mod_b = {.name = "claim_test_b",
                                          .module_init = module_init,
                                          .examine_config = examine_config_b,
                                          .examine_disk = examine_disk_b};
static struct spdk_bdev_module g_mod_c = {.name = "claim_test_c",
                                          .module_init = module_init,
                                          .examine_config = examine_config_c,
                                          .examine_disk = examine_disk_c};

SPDK_BDEV_MODULE_REGISTER(claim_test_a, &g_mod_a)
SPDK_BDEV_MODULE_REGISTER(claim_test_b, &g_mod_b)
SPDK_BDEV_MODULE_REGISTER(claim_test_c, &g_mod_c)

static void ignore_event(enum spdk_bdev_event_type type, struct spdk_bdev *bdev, void *ctx) {
    (void)type;
    (void)bdev;
    (void)ctx;
}

static bool is_examined0(struct spdk_bdev *bdev) {
    return strcmp(spdk_bdev_get_name(bdev), "Examined0") == 0;
}

static void claim_in_examine(struct spdk_bdev *bdev, int i, struct spdk_bdev_module *module) {
    if (is_examined0(bdev)) {
        CHECK(spdk_bdev_open_ext("Examined0", false, ignore_event, NULL, &g_examined_desc[i]) == 0);
        CHECK(spdk_bdev_module_claim_bdev_desc(
                  g_examined_desc[i], SPDK_BDEV_CLAIM_READ_MANY_WRITE_NONE, NULL, module) == 0);
    }
    spdk_bdev_module_examine_done(module);
}

static void examine_config_a(struct spdk_bdev *bdev) {
    claim_in_examine(bdev, 0, &g_mod_a);
}

static void examine_config_b(struct spdk_bdev *bdev) {
    claim_in_examine(bdev, 1, &g_mod_b);
}

static void examine_config_c(struct spdk_bdev *bdev) {
    (void)bdev;
    spdk_bdev_module_examine_done(&g_mod_c);
}

static void examine_disk_a(struct spdk_bdev *bdev) {
    if (is_examined0(bdev)) {
        g_examine_disk_calls[0]++;
        spdk_bdev_close(g_examined_desc[0]);
        g_examined_desc[0] = NULL;
    }
    spdk_bdev_module_examine_done(&g_mod_a);
}

static void examine_disk_b(struct spdk_bdev *bdev) {
    if (is_examined0(bdev)) {
        g_examine_disk_calls[1]++;
    }
    spdk_bdev_module_examine_done(&g_mod_b);
}

static void examine_disk_c(struct spdk_bdev *bdev) {
    if (is_examined0(bdev)) {
        g_examine_disk_calls[2]++;
    }
    spdk_bdev_module_examine_done(&g_mod_c);
}

/* A claim without a bdev on top is released as the bdev layer starts to stop. */
static void fini_start(void) {
    if (g_examined_desc[1] != NULL) {
        spdk_bdev_close(g_examined_desc[1]);
        g_examined_desc[1] = NULL;
    }
}

static struct spdk_bdev_desc *open_desc(bool write) {
    struct spdk_bdev_desc *desc = NULL;
    int rc = spdk_bdev_open_ext("Malloc0", write, ignore_event, NULL, &desc);
    CHECK(rc == 0);
    return rc == 0 ? desc : NULL;
}

/* Whether "Malloc0" can be opened for writing now (the descriptor is closed again). */
static bool writer_may_open(void) {
    struct spdk_bdev_desc *desc = NULL;
    int rc = spdk_bdev_open_ext("Malloc0", true, ignore_event, NULL, &desc);
    if (rc == 0) {
        spdk_bdev_close(desc);
        return true;
    }
    CHECK(rc == -EPERM);
    return false;
}

static int claim(struct spdk_bdev_desc *desc, enum spdk_bdev_claim_type type, uint64_t key,
                 struct spdk_bdev_module *module) {
    struct spdk_bdev_claim_opts opts;

    spdk_bdev_claim_opts_init(&opts, sizeof(opts));
    snprintf(opts.name, sizeof(opts.name), "%s", "claim_test");
    opts.shared_claim_key = key;
    return spdk_bdev_module_claim_bdev_desc(desc, type, &opts, module);
}

/* ---- the steps, run one after the other; a step that writes continues from the
 * write's completion ------------------------------------------------------------------ */

struct write_check {
    struct spdk_bdev_desc *desc;
    struct spdk_io_channel *ch;
    char *buf;
    void (*next)(void *);
};

static struct write_check g_write;
static struct spdk_bdev_desc *g_d1;
static struct spdk_bdev_desc *g_d2;
static struct spdk_bdev_desc *g_w;

static void write_done(struct spdk_bdev_io *io, bool success, void *arg) {
    struct write_check *wc = arg;

    CHECK(success);
    spdk_bdev_free_io(io);
    spdk_put_io_channel(wc->ch);
    spdk_dma_free(wc->buf);
    spdk_thread_send_msg(spdk_get_thread(), wc->next, NULL);
}

/* Writes a block through desc (which a claim made writable), then runs next. */
static void write_then(struct spdk_bdev_desc *desc, void (*next)(void *)) {
    int rc;

    g_write.desc = desc;
    g_write.next = next;
    g_write.ch = spdk_bdev_get_io_channel(desc);
    g_write.buf = spdk_dma_zmalloc(512, 0, NULL);
    CHECK(g_write.ch != NULL && g_write.buf != NULL);
    rc = spdk_bdev_write_blocks(desc, g_write.ch, g_write.buf, 0, 1, write_done, &g_write);
    CHECK(rc == 0);
    if (rc != 0) {
        spdk_put_io_channel(g_write.ch);
        spdk_dma_free(g_write.buf);
        spdk_thread_send_msg(spdk_get_thread(), next, NULL);
    }
}

/* Whether a write through desc is refused at once as through a read-only one. */
static bool write_refused(struct spdk_bdev_desc *desc) {
    struct spdk_io_channel *ch = spdk_bdev_get_io_channel(desc);
    char *buf = spdk_dma_zmalloc(512, 0, NULL);
    int rc = spdk_bdev_write_blocks(desc, ch, buf, 0, 1, write_done, &g_write);

    CHECK(rc == -EBADF);
    spdk_put_io_channel(ch);
    spdk_dma_free(buf);
    return rc == -EBADF;
}

static void step_finish(void *arg) {
    (void)arg;
    spdk_app_stop(checks_result("claim") == 0 ? 0 : 1);
}

/* v1 (spdk_bdev_module_claim_bdev) and EXCL_WRITE through claim_bdev_desc are one
 * claim: it outlives its descriptor, ends with spdk_bdev_module_release_bdev, and
 * never mixes with v2 claims. */
static void step_excl_write_released(void *arg) {
    struct spdk_bdev *bdev;

    (void)arg;
    spdk_bdev_close(g_d1);
    g_d1 = NULL;
    CHECK(!writer_may_open()); /* closing the descriptor left the v1 claim */
    bdev = spdk_bdev_get_by_name("Malloc0");
    spdk_bdev_module_release_bdev(bdev);
    CHECK(writer_may_open());

    /* A v1 claim without descriptor refuses every v2 claim, and the other way round. */
    CHECK(spdk_bdev_module_claim_bdev(bdev, NULL, &g_mod_a) == 0);
    g_d1 = open_desc(false);
    CHECK(claim(g_d1, SPDK_BDEV_CLAIM_READ_MANY_WRITE_NONE, 0, &g_mod_b) == -EPERM);
    CHECK(claim(g_d1, SPDK_BDEV_CLAIM_READ_MANY_WRITE_SHARED, 3, &g_mod_b) == -EPERM);
    spdk_bdev_module_release_bdev(bdev);
    CHECK(claim(g_d1, SPDK_BDEV_CLAIM_READ_MANY_WRITE_NONE, 0, &g_mod_b) == 0);
    CHECK(spdk_bdev_module_claim_bdev(bdev, NULL, &g_mod_a) == -EPERM);
    CHECK(claim(g_d1, SPDK_BDEV_CLAIM_EXCL_WRITE, 0, &g_mod_a) == -EPERM);
#ifndef SPDKCPP_PROVIDER_SPDK
    /* SPDK asserts (and, without assertions, loses its list of claims); the
     * runtime logs an error and keeps the claim. */
    spdk_bdev_module_release_bdev(bdev);
    CHECK(!writer_may_open());
#endif
    spdk_bdev_close(g_d1);
    g_d1 = NULL;
    CHECK(writer_may_open());

    /* Unknown claim types. */
    g_d1 = open_desc(false);
    CHECK(spdk_bdev_module_claim_bdev_desc(g_d1, SPDK_BDEV_CLAIM_NONE, NULL, &g_mod_a) == -ENOTSUP);
    CHECK(spdk_bdev_module_claim_bdev_desc(g_d1, (enum spdk_bdev_claim_type)42, NULL, &g_mod_a) ==
          -ENOTSUP);
    spdk_bdev_close(g_d1);
    g_d1 = NULL;
    CHECK(writer_may_open());
    spdk_thread_send_msg(spdk_get_thread(), step_finish, NULL);
}

static void step_excl_write(void *arg) {
    (void)arg;
    g_d1 = open_desc(false);
    g_d2 = open_desc(false);
    CHECK(claim(g_d1, SPDK_BDEV_CLAIM_EXCL_WRITE, 0, &g_mod_a) == 0);
    CHECK(claim(g_d2, SPDK_BDEV_CLAIM_EXCL_WRITE, 0, &g_mod_b) == -EPERM);
    CHECK(claim(g_d2, SPDK_BDEV_CLAIM_READ_MANY_WRITE_NONE, 0, &g_mod_b) == -EPERM);
    CHECK(claim(g_d2, SPDK_BDEV_CLAIM_READ_MANY_WRITE_ONE, 0, &g_mod_b) == -EPERM);
    CHECK(claim(g_d2, SPDK_BDEV_CLAIM_READ_MANY_WRITE_SHARED, 9, &g_mod_b) == -EPERM);
    CHECK(!writer_may_open());
    spdk_bdev_close(g_d2);
    g_d2 = NULL;
    write_then(g_d1, step_excl_write_released); /* the claim made g_d1 a writer */
}

/* READ_MANY_WRITE_SHARED: writers that share a key. */
static void step_shared_after_write(void *arg) {
    (void)arg;
    spdk_bdev_close(g_w);
    g_w = NULL;
    CHECK(!writer_may_open()); /* g_d1 still holds its claim, with key 7 */
    CHECK(claim(g_d2, SPDK_BDEV_CLAIM_READ_MANY_WRITE_SHARED, 8, &g_mod_b) == -EPERM);
    spdk_bdev_close(g_d1);
    g_d1 = NULL;
    /* Unclaimed again: a new key is as good as any. */
    CHECK(claim(g_d2, SPDK_BDEV_CLAIM_READ_MANY_WRITE_SHARED, 8, &g_mod_b) == 0);
    spdk_bdev_close(g_d2);
    g_d2 = NULL;
    CHECK(writer_may_open());
    spdk_thread_send_msg(spdk_get_thread(), step_excl_write, NULL);
}

static void step_shared(void *arg) {
    struct spdk_bdev_claim_opts short_opts;

    (void)arg;
    g_d1 = open_desc(false);
    g_d2 = open_desc(false);
    g_w = open_desc(true);
    CHECK(spdk_bdev_module_claim_bdev_desc(g_d1, SPDK_BDEV_CLAIM_READ_MANY_WRITE_SHARED, NULL,
                                           &g_mod_a) == -EINVAL);
    CHECK(claim(g_d1, SPDK_BDEV_CLAIM_READ_MANY_WRITE_SHARED, 0, &g_mod_a) == -EINVAL);
    /* A key past the caller's opts_size is not read. */
    memset(&short_opts, 0, sizeof(short_opts));
    short_opts.opts_size = offsetof(struct spdk_bdev_claim_opts, shared_claim_key);
    short_opts.shared_claim_key = 7;
    CHECK(spdk_bdev_module_claim_bdev_desc(g_d1, SPDK_BDEV_CLAIM_READ_MANY_WRITE_SHARED,
                                           &short_opts, &g_mod_a) == -EINVAL);
    /* Refused while a descriptor without the claim writes ... */
    CHECK(claim(g_d1, SPDK_BDEV_CLAIM_READ_MANY_WRITE_SHARED, 7, &g_mod_a) == -EPERM);
    /* ... but that writer may take it itself, and then others with the same key. */
    CHECK(claim(g_w, SPDK_BDEV_CLAIM_READ_MANY_WRITE_SHARED, 7, &g_mod_a) == 0);
    CHECK(claim(g_d1, SPDK_BDEV_CLAIM_READ_MANY_WRITE_SHARED, 7, &g_mod_b) == 0);
    CHECK(claim(g_d1, SPDK_BDEV_CLAIM_READ_MANY_WRITE_SHARED, 7, &g_mod_b) == -EPERM);
    CHECK(claim(g_d2, SPDK_BDEV_CLAIM_READ_MANY_WRITE_SHARED, 8, &g_mod_b) == -EPERM);
    CHECK(claim(g_d2, SPDK_BDEV_CLAIM_READ_MANY_WRITE_NONE, 0, &g_mod_b) == -EPERM);
    CHECK(claim(g_d2, SPDK_BDEV_CLAIM_READ_MANY_WRITE_ONE, 0, &g_mod_b) == -EPERM);
    CHECK(!writer_may_open()); /* new writers open read-only and claim */
    write_then(g_d1, step_shared_after_write);
}

/* READ_MANY_WRITE_NONE: readers only, as many as want it. */
static void step_none(void *arg) {
    (void)arg;
    g_w = open_desc(true);
    CHECK(claim(g_w, SPDK_BDEV_CLAIM_READ_MANY_WRITE_NONE, 0, &g_mod_a) == -EINVAL);
    g_d1 = open_desc(false);
    CHECK(claim(g_d1, SPDK_BDEV_CLAIM_READ_MANY_WRITE_NONE, 5, &g_mod_a) == -EINVAL);
    CHECK(claim(g_d1, SPDK_BDEV_CLAIM_READ_MANY_WRITE_NONE, 0, &g_mod_a) == -EPERM);
    spdk_bdev_close(g_w);
    g_w = NULL;
    g_d2 = open_desc(false);
    CHECK(claim(g_d1, SPDK_BDEV_CLAIM_READ_MANY_WRITE_NONE, 0, &g_mod_a) == 0);
    CHECK(claim(g_d2, SPDK_BDEV_CLAIM_READ_MANY_WRITE_NONE, 0, &g_mod_b) == 0);
    CHECK(claim(g_d1, SPDK_BDEV_CLAIM_READ_MANY_WRITE_NONE, 0, &g_mod_a) == -EPERM);
    CHECK(write_refused(g_d1)); /* the claim leaves it read-only */
    CHECK(!writer_may_open());
    CHECK(spdk_bdev_module_claim_bdev(spdk_bdev_get_by_name("Malloc0"), NULL, &g_mod_a) == -EPERM);
    spdk_bdev_close(g_d1);
    g_d1 = NULL;
    CHECK(!writer_may_open()); /* g_d2's claim is left */
    spdk_bdev_close(g_d2);
    g_d2 = NULL;
    CHECK(writer_may_open());
    spdk_thread_send_msg(spdk_get_thread(), step_shared, NULL);
}

/* READ_MANY_WRITE_ONE: one writer, the claimant. */
static void step_one_after_write(void *arg) {
    (void)arg;
    CHECK(!writer_may_open());
    spdk_bdev_close(g_d2);
    g_d2 = NULL;
    spdk_bdev_close(g_d1); /* releases the claim */
    g_d1 = NULL;
    CHECK(writer_may_open());
    spdk_thread_send_msg(spdk_get_thread(), step_none, NULL);
}

static void step_one(void *arg) {
    struct spdk_bdev_desc *reader;

    (void)arg;
    g_d1 = open_desc(false);
    CHECK(claim(g_d1, SPDK_BDEV_CLAIM_READ_MANY_WRITE_ONE, 4, &g_mod_a) == -EINVAL);
    g_w = open_desc(true);
    CHECK(claim(g_d1, SPDK_BDEV_CLAIM_READ_MANY_WRITE_ONE, 0, &g_mod_a) == -EPERM);
    spdk_bdev_close(g_w);
    g_w = NULL;
    CHECK(claim(g_d1, SPDK_BDEV_CLAIM_READ_MANY_WRITE_ONE, 0, &g_mod_a) == 0);
    CHECK(claim(g_d1, SPDK_BDEV_CLAIM_READ_MANY_WRITE_ONE, 0, &g_mod_a) == -EPERM);
    g_d2 = open_desc(false);
    CHECK(claim(g_d2, SPDK_BDEV_CLAIM_READ_MANY_WRITE_ONE, 0, &g_mod_b) == -EPERM);
    CHECK(claim(g_d2, SPDK_BDEV_CLAIM_READ_MANY_WRITE_NONE, 0, &g_mod_b) == -EPERM);
    CHECK(claim(g_d2, SPDK_BDEV_CLAIM_READ_MANY_WRITE_SHARED, 1, &g_mod_b) == -EPERM);
    CHECK(claim(g_d2, SPDK_BDEV_CLAIM_EXCL_WRITE, 0, &g_mod_b) == -EPERM);
    CHECK(spdk_bdev_module_claim_bdev(spdk_bdev_get_by_name("Malloc0"), g_d2, &g_mod_b) == -EPERM);
    /* Readers may still open; writers may not. */
    CHECK(!writer_may_open());
    reader = open_desc(false);
    spdk_bdev_close(reader);
    write_then(g_d1, step_one_after_write); /* the claim made g_d1 the writer */
}

static void start(void *arg) {
    struct spdk_bdev_claim_opts opts;

    (void)arg;
    CHECK(strcmp(spdk_bdev_claim_get_name(SPDK_BDEV_CLAIM_NONE), "not_claimed") == 0);
    CHECK(strcmp(spdk_bdev_claim_get_name(SPDK_BDEV_CLAIM_EXCL_WRITE), "exclusive_write") == 0);
    CHECK(strcmp(spdk_bdev_claim_get_name(SPDK_BDEV_CLAIM_READ_MANY_WRITE_ONE),
                 "read_many_write_one") == 0);
    CHECK(strcmp(spdk_bdev_claim_get_name(SPDK_BDEV_CLAIM_READ_MANY_WRITE_NONE),
                 "read_many_write_none") == 0);
    CHECK(strcmp(spdk_bdev_claim_get_name(SPDK_BDEV_CLAIM_READ_MANY_WRITE_SHARED),
                 "read_many_write_shared") == 0);
    CHECK(strcmp(spdk_bdev_claim_get_name((enum spdk_bdev_claim_type)42), "invalid_claim") == 0);

    memset(&opts, 0xff, sizeof(opts));
    spdk_bdev_claim_opts_init(&opts, sizeof(opts));
    CHECK(opts.opts_size == sizeof(opts));
    CHECK(opts.name[0] == '\0');
    CHECK(opts.shared_claim_key == 0);

    CHECK(spdk_bdev_get_by_name("Malloc0") != NULL);
    CHECK(g_examine_disk_calls[0] == 1 && g_examine_disk_calls[1] == 1);
    CHECK(g_examine_disk_calls[2] == 0);
    CHECK(g_examined_desc[0] == NULL && g_examined_desc[1] != NULL);
    {
        /* b's claim is left; a's ended with its descriptor. */
        struct spdk_bdev_desc *w = NULL;
        CHECK(spdk_bdev_open_ext("Examined0", true, ignore_event, NULL, &w) == -EPERM);
        spdk_bdev_close(g_examined_desc[1]);
        g_examined_desc[1] = NULL;
        CHECK(spdk_bdev_open_ext("Examined0", true, ignore_event, NULL, &w) == 0);
        spdk_bdev_close(w);
    }
    CHECK(spdk_bdev_module_claim_bdev_desc(NULL, SPDK_BDEV_CLAIM_READ_MANY_WRITE_ONE, NULL,
                                           &g_mod_a) == -EINVAL);
    g_d1 = open_desc(false);
    opts.opts_size = 0;
    CHECK(spdk_bdev_module_claim_bdev_desc(g_d1, SPDK_BDEV_CLAIM_READ_MANY_WRITE_ONE, &opts,
                                           &g_mod_a) == -EINVAL);
    spdk_bdev_close(g_d1);
    g_d1 = NULL;
    CHECK(writer_may_open());
    step_one(NULL);
}

int main(int argc, char **argv) {
    struct spdk_app_opts opts = {0};
    int rc;

    spdk_app_opts_init(&opts, sizeof(opts));
    opts.name = "c_bdev_claim_test";
    if (spdk_app_parse_args(argc, argv, &opts, NULL, NULL, NULL, NULL) !=
        SPDK_APP_PARSE_ARGS_SUCCESS) {
        return 2;
    }
    rc = spdk_app_start(&opts, start, NULL);
    spdk_app_fini();
    return rc;
}
