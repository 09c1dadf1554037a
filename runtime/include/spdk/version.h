/* spdkcpp embedded runtime: the version of SPDK's API it provides.
 *
 * The runtime implements a subset of SPDK v25.09's public API, so programs that
 * choose between API generations at compile time (SPDK_VERSION against
 * SPDK_VERSION_NUM(...)) pick the v25.09 one. */
#ifndef SPDK_VERSION_H
#define SPDK_VERSION_H

#define SPDK_VERSION_MAJOR 25
#define SPDK_VERSION_MINOR 9
#define SPDK_VERSION_PATCH 0
#define SPDK_VERSION_SUFFIX ""

/* A version as one comparable number: 25.09.0 is 250900. */
#define SPDK_VERSION_NUM(major, minor, patch) (((major)*100 + (minor)) * 100 + (patch))
#define SPDK_VERSION SPDK_VERSION_NUM(SPDK_VERSION_MAJOR, SPDK_VERSION_MINOR, SPDK_VERSION_PATCH)

#define SPDK_VERSION_STRINGIFY_x(x) #x
#define SPDK_VERSION_STRINGIFY(x) SPDK_VERSION_STRINGIFY_x(x)

/* "SPDK v25.09": the minor version has two digits, a zero patch is left out. */
#define SPDK_VERSION_MAJOR_STRING SPDK_VERSION_STRINGIFY(SPDK_VERSION_MAJOR)
#if SPDK_VERSION_MINOR < 10
#define SPDK_VERSION_MINOR_STRING ".0" SPDK_VERSION_STRINGIFY(SPDK_VERSION_MINOR)
#else
#define SPDK_VERSION_MINOR_STRING "." SPDK_VERSION_STRINGIFY(SPDK_VERSION_MINOR)
#endif
#if SPDK_VERSION_PATCH != 0
#define SPDK_VERSION_PATCH_STRING "." SPDK_VERSION_STRINGIFY(SPDK_VERSION_PATCH)
#else
#define SPDK_VERSION_PATCH_STRING ""
#endif

/* The runtime is not built from an SPDK git tree. */
#define SPDK_GIT_COMMIT_STRING ""
#define SPDK_GIT_COMMIT_STRING_SHA1 ""

#define SPDK_VERSION_STRING                                                                \
    "SPDK v" SPDK_VERSION_MAJOR_STRING SPDK_VERSION_MINOR_STRING SPDK_VERSION_PATCH_STRING \
        SPDK_VERSION_SUFFIX SPDK_GIT_COMMIT_STRING_SHA1

#endif /* SPDK_VERSION_H */
