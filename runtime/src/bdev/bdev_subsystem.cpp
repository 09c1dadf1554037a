// The "bdev" subsystem: starts the bdev layer (and every bdev module) when the
// subsystems start, and stops it (unregistering every bdev, then finishing the
// modules) when they stop.
#include "spdk/bdev.h"
#include "spdk/init.h"
#include "spdk/log.h"

namespace {

void bdev_initialize_complete(void * /*cb_arg*/, int rc) {
    spdk_subsystem_init_next(rc);
}

void bdev_subsystem_initialize(void) {
    spdk_bdev_initialize(bdev_initialize_complete, nullptr);
}

void bdev_subsystem_finish_done(void * /*cb_arg*/) {
    spdk_subsystem_fini_next();
}

void bdev_subsystem_finish(void) {
    spdk_bdev_finish(bdev_subsystem_finish_done, nullptr);
}

void bdev_subsystem_config_json(struct spdk_json_write_ctx *w) {
    spdk_bdev_subsystem_config_json(w);
}

struct spdk_subsystem g_spdk_subsystem_bdev = {
    .name = "bdev",
    .init = bdev_subsystem_initialize,
    .fini = bdev_subsystem_finish,
    .write_config_json = bdev_subsystem_config_json,
    .tailq = {nullptr, nullptr},
};

}  // namespace

SPDK_SUBSYSTEM_REGISTER(g_spdk_subsystem_bdev)
