// Subsystems: registered before main by SPDK_SUBSYSTEM_REGISTER, initialized on
// the app thread in dependency order and finished in reverse.
#include <cstring>

#include "internal/subsystem.hpp"
#include "spdk/init.h"
#include "spdk/log.h"
#include "spdk/thread.h"

namespace {

TAILQ_HEAD(SubsystemList, spdk_subsystem);
TAILQ_HEAD(DependList, spdk_subsystem_depend);

// Constant-initialized, so that constructors of any library may register.
constinit SubsystemList g_subsystems = TAILQ_HEAD_INITIALIZER(g_subsystems);
constinit DependList g_depends = TAILQ_HEAD_INITIALIZER(g_depends);

spdk_subsystem *g_next = nullptr;  // the subsystem being initialized or finished
bool g_initialized = false;
bool g_init_interrupted = false;
spdk_subsystem_init_fn g_init_cb = nullptr;
void *g_init_arg = nullptr;
spdk_subsystem_fini_fn g_fini_cb = nullptr;
void *g_fini_arg = nullptr;

spdk_subsystem *find_in(SubsystemList *list, const char *name) {
    spdk_subsystem *it;
    TAILQ_FOREACH(it, list, tailq) {
        if (std::strcmp(it->name, name) == 0) {
            return it;
        }
    }
    return nullptr;
}

// Orders g_subsystems so that each comes after what it depends on; among
// independent ones, registration order is kept (as in SPDK). False on a cycle.
bool sort_subsystems() {
    SubsystemList sorted = TAILQ_HEAD_INITIALIZER(sorted);
    while (!TAILQ_EMPTY(&g_subsystems)) {
        bool moved = false;
        spdk_subsystem *it;
        spdk_subsystem *tmp;
        TAILQ_FOREACH_SAFE(it, &g_subsystems, tailq, tmp) {
            bool ready = true;
            spdk_subsystem_depend *dep;
            TAILQ_FOREACH(dep, &g_depends, tailq) {
                if (std::strcmp(dep->name, it->name) == 0 &&
                    find_in(&sorted, dep->depends_on) == nullptr) {
                    ready = false;
                    break;
                }
            }
            if (ready) {
                TAILQ_REMOVE(&g_subsystems, it, tailq);
                TAILQ_INSERT_TAIL(&sorted, it, tailq);
                moved = true;
            }
        }
        if (!moved) {
            // Put the rest back after the sorted ones and report the cycle.
            while (!TAILQ_EMPTY(&g_subsystems)) {
                it = TAILQ_FIRST(&g_subsystems);
                SPDK_ERRLOG("subsystem %s is part of a dependency cycle\n", it->name);
                TAILQ_REMOVE(&g_subsystems, it, tailq);
                TAILQ_INSERT_TAIL(&sorted, it, tailq);
            }
            TAILQ_CONCAT(&g_subsystems, &sorted, tailq);
            return false;
        }
    }
    TAILQ_CONCAT(&g_subsystems, &sorted, tailq);
    return true;
}

}  // namespace

namespace spdk_embedded {

spdk_subsystem *subsystem_first() {
    return TAILQ_FIRST(&g_subsystems);
}

spdk_subsystem *subsystem_next(spdk_subsystem *subsystem) {
    return TAILQ_NEXT(subsystem, tailq);
}

spdk_subsystem_depend *subsystem_depend_first() {
    return TAILQ_FIRST(&g_depends);
}

spdk_subsystem_depend *subsystem_depend_next(spdk_subsystem_depend *depend) {
    return TAILQ_NEXT(depend, tailq);
}

spdk_subsystem *subsystem_find(const char *name) {
    return name != nullptr ? find_in(&g_subsystems, name) : nullptr;
}

}  // namespace spdk_embedded

extern "C" {

void spdk_add_subsystem(struct spdk_subsystem *subsystem) {
    TAILQ_INSERT_TAIL(&g_subsystems, subsystem, tailq);
}

void spdk_add_subsystem_depend(struct spdk_subsystem_depend *depend) {
    TAILQ_INSERT_TAIL(&g_depends, depend, tailq);
}

bool spdk_subsystem_exists(const char *name) {
    return name != nullptr && find_in(&g_subsystems, name) != nullptr;
}

void spdk_subsystem_init_next(int rc) {
    if (g_init_interrupted) {
        return;  // spdk_subsystem_fini came first
    }
    if (rc != 0) {
        SPDK_ERRLOG("subsystem %s failed to initialize (rc %d)\n",
                    g_next != nullptr ? g_next->name : "?", rc);
        g_init_cb(rc, g_init_arg);
        return;
    }
    g_next = g_next == nullptr ? TAILQ_FIRST(&g_subsystems) : TAILQ_NEXT(g_next, tailq);
    if (g_next == nullptr) {
        g_initialized = true;
        g_init_cb(0, g_init_arg);
        return;
    }
    if (g_next->init != nullptr) {
        g_next->init();
    } else {
        spdk_subsystem_init_next(0);
    }
}

void spdk_subsystem_init(spdk_subsystem_init_fn cb_fn, void *cb_arg) {
    if (!spdk_thread_is_app_thread(nullptr)) {
        SPDK_ERRLOG("spdk_subsystem_init must run on the app thread\n");
        cb_fn(-EINVAL, cb_arg);
        return;
    }
    g_init_cb = cb_fn;
    g_init_arg = cb_arg;
    g_next = nullptr;
    g_initialized = false;
    g_init_interrupted = false;
    spdk_subsystem_depend *dep;
    TAILQ_FOREACH(dep, &g_depends, tailq) {
        if (find_in(&g_subsystems, dep->name) == nullptr) {
            SPDK_ERRLOG("subsystem %s has a dependency but is not registered\n", dep->name);
            cb_fn(-ENOENT, cb_arg);
            return;
        }
        if (find_in(&g_subsystems, dep->depends_on) == nullptr) {
            SPDK_ERRLOG("subsystem %s depends on %s, which is not registered\n", dep->name,
                        dep->depends_on);
            cb_fn(-ENOENT, cb_arg);
            return;
        }
    }
    if (!sort_subsystems()) {
        cb_fn(-EINVAL, cb_arg);
        return;
    }
    spdk_subsystem_init_next(0);
}

void spdk_subsystem_fini_next(void) {
    if (g_next == nullptr) {
        // Nothing was initialized when the first subsystem failed.
        if (g_initialized) {
            g_next = TAILQ_LAST(&g_subsystems, SubsystemList);
        }
    } else if (g_initialized || g_init_interrupted) {
        g_next = TAILQ_PREV(g_next, SubsystemList, tailq);
    } else {
        // As SPDK: the subsystem whose init failed or is still running is finished
        // too (its fini releases what its init got so far), then those before it.
        g_init_interrupted = true;
    }
    while (g_next != nullptr) {
        if (g_next->fini != nullptr) {
            g_next->fini();
            return;
        }
        g_next = TAILQ_PREV(g_next, SubsystemList, tailq);
    }
    g_initialized = false;
    if (g_fini_cb != nullptr) {
        g_fini_cb(g_fini_arg);
    }
}

void spdk_subsystem_fini(spdk_subsystem_fini_fn cb_fn, void *cb_arg) {
    if (!spdk_thread_is_app_thread(nullptr)) {
        SPDK_ERRLOG("spdk_subsystem_fini should run on the app thread\n");
    }
    g_fini_cb = cb_fn;
    g_fini_arg = cb_arg;
    spdk_subsystem_fini_next();
}

}  // extern "C"
