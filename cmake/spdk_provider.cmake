# Real SPDK as the provider of the C API, found through its pkg-config files.
pkg_check_modules(SPDK IMPORTED_TARGET spdk_event spdk_event_bdev spdk_bdev spdk_bdev_malloc
    spdk_bdev_null spdk_env_dpdk spdk_syslibs)
if(NOT SPDK_FOUND)
    message(FATAL_ERROR
        "SPDKCPP_PROVIDER=spdk, but no installed SPDK was found through pkg-config "
        "(spdk_event, spdk_bdev, spdk_env_dpdk, ...). Install SPDK and point "
        "PKG_CONFIG_PATH at its lib/pkgconfig, or configure with -DSPDKCPP_PROVIDER=embedded.")
endif()
add_library(spdkcpp_spdk INTERFACE)
add_library(spdkcpp::spdk ALIAS spdkcpp_spdk)
# SPDK's modules register themselves from static constructors: keep every object.
target_link_options(spdkcpp_spdk INTERFACE
    "LINKER:--whole-archive" ${SPDK_STATIC_LDFLAGS} "LINKER:--no-whole-archive")
target_include_directories(spdkcpp_spdk INTERFACE ${SPDK_INCLUDE_DIRS})
target_compile_definitions(spdkcpp_spdk INTERFACE SPDKCPP_PROVIDER_SPDK=1)
