# Real SPDK as the provider of the C API, found through its pkg-config files.
#
# SPDKCPP_SPDK_PREFIX (cache variable, or environment variable of the same name)
# names an SPDK install prefix to search first; otherwise PKG_CONFIG_PATH and the
# system's pkg-config directories are searched.
set(SPDKCPP_SPDK_PREFIX "" CACHE PATH "Install prefix of SPDK (default: the environment's)")
set(spdk_prefix "${SPDKCPP_SPDK_PREFIX}")
if(NOT spdk_prefix)
    set(spdk_prefix "$ENV{SPDKCPP_SPDK_PREFIX}")
endif()
if(spdk_prefix)
    list(PREPEND CMAKE_PREFIX_PATH "${spdk_prefix}")
endif()

set(spdk_modules spdk_event spdk_event_bdev spdk_bdev spdk_bdev_malloc spdk_bdev_null
    spdk_env_dpdk spdk_syslibs)
pkg_check_modules(SPDK_URING QUIET spdk_bdev_uring)
if(SPDK_URING_FOUND)
    list(APPEND spdk_modules spdk_bdev_uring)
endif()
pkg_check_modules(SPDK ${spdk_modules})
if(NOT SPDK_FOUND)
    message(FATAL_ERROR
        "SPDKCPP_PROVIDER=spdk, but no installed SPDK was found through pkg-config "
        "(${spdk_modules}). Set SPDKCPP_SPDK_PREFIX to SPDK's install prefix, or point "
        "PKG_CONFIG_PATH at its lib/pkgconfig, or configure with -DSPDKCPP_PROVIDER=embedded.")
endif()
pkg_get_variable(SPDK_LIBDIR spdk_event libdir)
if(NOT SPDK_LIBDIR)
    list(GET SPDK_LIBRARY_DIRS 0 SPDK_LIBDIR)
endif()

add_library(spdkcpp_spdk INTERFACE)
add_library(spdkcpp::spdk ALIAS spdkcpp_spdk)
target_include_directories(spdkcpp_spdk INTERFACE ${SPDK_INCLUDE_DIRS})
target_compile_definitions(spdkcpp_spdk INTERFACE SPDKCPP_PROVIDER_SPDK=1)
# SPDK's subsystems and bdev modules register themselves from constructors, and
# nothing in a program refers to most of them by name: the linker must keep every
# SPDK library it is given. Shared libraries are kept with --no-as-needed (Debian's
# linker drops unreferenced ones by default); static archives need --whole-archive
# around SPDK's own archives, followed by their private dependencies.
# The system libraries SPDK was built with (spdk_syslibs' Libs.private): SPDK's
# shared libraries do not record them.
# spdkcpp ships its own passthru and error bdevs (modules/) under SPDK's module and
# RPC names; SPDK's two would collide with them, so they are left out. A program
# that wants SPDK's C ones links them itself, and not ours.
list(FILTER SPDK_LINK_LIBRARIES EXCLUDE REGEX "/libspdk_bdev_(passthru|error)[.]")
set(spdk_archives)
set(spdk_system_libs)
foreach(flag ${SPDK_STATIC_LDFLAGS})
    if(flag MATCHES "^-l(spdk_bdev_passthru|spdk_bdev_error)$")
        continue()
    elseif(flag MATCHES "^-lspdk_")
        list(APPEND spdk_archives ${flag})
    elseif(flag MATCHES "^-L(.*)")
        target_link_directories(spdkcpp_spdk INTERFACE ${CMAKE_MATCH_1})
    else()
        list(APPEND spdk_system_libs ${flag})
    endif()
endforeach()
if(EXISTS "${SPDK_LIBDIR}/libspdk_event${CMAKE_SHARED_LIBRARY_SUFFIX}")
    target_link_libraries(spdkcpp_spdk INTERFACE
        "-Wl,--no-as-needed" ${SPDK_LINK_LIBRARIES} "-Wl,--as-needed" ${spdk_system_libs})
    # Tests and tools run from the build tree without LD_LIBRARY_PATH.
    target_link_options(spdkcpp_spdk INTERFACE "LINKER:-rpath,${SPDK_LIBDIR}")
else()
    target_link_libraries(spdkcpp_spdk INTERFACE
        "-Wl,--whole-archive" ${spdk_archives} "-Wl,--no-whole-archive" ${spdk_system_libs})
endif()
message(STATUS "spdkcpp: provider is SPDK ${SPDK_spdk_event_VERSION} in ${SPDK_LIBDIR}")
