// Internal: walking the registered subsystems and their dependencies (SPDK keeps
// these in lib/init/subsystem.h), for framework_get_subsystems and
// framework_get_config.
#pragma once

#include "spdk/init.h"

namespace spdk_embedded {

// In initialization order once spdk_subsystem_init has sorted them.
spdk_subsystem *subsystem_first();
spdk_subsystem *subsystem_next(spdk_subsystem *subsystem);
spdk_subsystem_depend *subsystem_depend_first();
spdk_subsystem_depend *subsystem_depend_next(spdk_subsystem_depend *depend);
spdk_subsystem *subsystem_find(const char *name);

}  // namespace spdk_embedded
