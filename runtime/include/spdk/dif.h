/* spdkcpp embedded runtime: the protection-information (T10 DIF/DIX) names that the
 * bdev API mentions. The embedded runtime does not compute or check protection
 * information: every bdev it provides reports SPDK_DIF_DISABLE. */
#ifndef SPDK_DIF_H
#define SPDK_DIF_H

#include "spdk/stdinc.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SPDK_DIF_REFTAG_IGNORE 0xFFFFFFFF
#define SPDK_DIF_APPTAG_IGNORE 0xFFFF

#define SPDK_DIF_FLAGS_REFTAG_CHECK (1U << 26)
#define SPDK_DIF_FLAGS_APPTAG_CHECK (1U << 27)
#define SPDK_DIF_FLAGS_GUARD_CHECK (1U << 28)
#define SPDK_DIF_FLAGS_NVME_PRACT (1U << 29)

enum spdk_dif_type {
    SPDK_DIF_DISABLE = 0,
    SPDK_DIF_TYPE1 = 1,
    SPDK_DIF_TYPE2 = 2,
    SPDK_DIF_TYPE3 = 3,
};

enum spdk_dif_check_type {
    SPDK_DIF_CHECK_TYPE_REFTAG = 1,
    SPDK_DIF_CHECK_TYPE_APPTAG = 2,
    SPDK_DIF_CHECK_TYPE_GUARD = 3,
};

enum spdk_dif_pi_format {
    SPDK_DIF_PI_FORMAT_16 = 0,
    SPDK_DIF_PI_FORMAT_32 = 1,
    SPDK_DIF_PI_FORMAT_64 = 2,
};

#ifdef __cplusplus
}
#endif

#endif /* SPDK_DIF_H */
