/* spdkcpp embedded runtime: the part of the NVMe specification that bdev modules
 * use, with SPDK's names and values (SPDK's nvme_spec.h).
 *
 * A module reports an NVMe-style failure with
 *     spdk_bdev_io_complete_nvme_status(bdev_io, cdw0, SPDK_NVME_SCT_MEDIA_ERROR,
 *                                       SPDK_NVME_SC_UNRECOVERED_READ_ERROR);
 * and a consumer reads it back with spdk_bdev_io_get_nvme_status. Status code
 * values are only meaningful together with their status code type: the same number
 * means different things under SCT_GENERIC and SCT_COMMAND_SPECIFIC.
 *
 * Not here: controller and namespace data structures, admin and I/O opcodes,
 * feature and log page definitions. The embedded runtime has no NVMe driver. */
#ifndef SPDK_NVME_SPEC_H
#define SPDK_NVME_SPEC_H

#include "spdk/assert.h"
#include "spdk/stdinc.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Status code type (the SCT field of a completion). */
enum spdk_nvme_status_code_type {
    SPDK_NVME_SCT_GENERIC = 0x0,
    SPDK_NVME_SCT_COMMAND_SPECIFIC = 0x1,
    SPDK_NVME_SCT_MEDIA_ERROR = 0x2,
    SPDK_NVME_SCT_PATH = 0x3,
    /* 0x4 to 0x6 are reserved. */
    SPDK_NVME_SCT_VENDOR_SPECIFIC = 0x7,
};

/* Status codes of SPDK_NVME_SCT_GENERIC. */
enum spdk_nvme_generic_command_status_code {
    SPDK_NVME_SC_SUCCESS = 0x00,
    SPDK_NVME_SC_INVALID_OPCODE = 0x01,
    SPDK_NVME_SC_INVALID_FIELD = 0x02,
    SPDK_NVME_SC_COMMAND_ID_CONFLICT = 0x03,
    SPDK_NVME_SC_DATA_TRANSFER_ERROR = 0x04,
    SPDK_NVME_SC_ABORTED_POWER_LOSS = 0x05,
    SPDK_NVME_SC_INTERNAL_DEVICE_ERROR = 0x06,
    SPDK_NVME_SC_ABORTED_BY_REQUEST = 0x07,
    SPDK_NVME_SC_ABORTED_SQ_DELETION = 0x08,
    SPDK_NVME_SC_ABORTED_FAILED_FUSED = 0x09,
    SPDK_NVME_SC_ABORTED_MISSING_FUSED = 0x0a,
    SPDK_NVME_SC_INVALID_NAMESPACE_OR_FORMAT = 0x0b,
    SPDK_NVME_SC_COMMAND_SEQUENCE_ERROR = 0x0c,
    SPDK_NVME_SC_INVALID_SGL_SEG_DESCRIPTOR = 0x0d,
    /* Spelled as SPDK spells it. */
    SPDK_NVME_SC_INVALID_NUM_SGL_DESCIRPTORS = 0x0e,
    SPDK_NVME_SC_DATA_SGL_LENGTH_INVALID = 0x0f,
    SPDK_NVME_SC_METADATA_SGL_LENGTH_INVALID = 0x10,
    SPDK_NVME_SC_SGL_DESCRIPTOR_TYPE_INVALID = 0x11,
    SPDK_NVME_SC_INVALID_CONTROLLER_MEM_BUF = 0x12,
    SPDK_NVME_SC_INVALID_PRP_OFFSET = 0x13,
    SPDK_NVME_SC_ATOMIC_WRITE_UNIT_EXCEEDED = 0x14,
    SPDK_NVME_SC_OPERATION_DENIED = 0x15,
    SPDK_NVME_SC_INVALID_SGL_OFFSET = 0x16,
    SPDK_NVME_SC_HOSTID_INCONSISTENT_FORMAT = 0x18,
    SPDK_NVME_SC_KEEP_ALIVE_EXPIRED = 0x19,
    SPDK_NVME_SC_KEEP_ALIVE_INVALID = 0x1a,
    SPDK_NVME_SC_ABORTED_PREEMPT = 0x1b,
    SPDK_NVME_SC_SANITIZE_FAILED = 0x1c,
    SPDK_NVME_SC_SANITIZE_IN_PROGRESS = 0x1d,
    SPDK_NVME_SC_SGL_DATA_BLOCK_GRANULARITY_INVALID = 0x1e,
    SPDK_NVME_SC_COMMAND_INVALID_IN_CMB = 0x1f,
    SPDK_NVME_SC_COMMAND_NAMESPACE_IS_PROTECTED = 0x20,
    SPDK_NVME_SC_COMMAND_INTERRUPTED = 0x21,
    SPDK_NVME_SC_COMMAND_TRANSIENT_TRANSPORT_ERROR = 0x22,
    SPDK_NVME_SC_COMMAND_PROHIBITED_BY_LOCKDOWN = 0x23,
    SPDK_NVME_SC_ADMIN_COMMAND_MEDIA_NOT_READY = 0x24,
    SPDK_NVME_SC_FDP_DISABLED = 0x29,
    SPDK_NVME_SC_INVALID_PLACEMENT_HANDLE_LIST = 0x2A,

    /* NVM command set. */
    SPDK_NVME_SC_LBA_OUT_OF_RANGE = 0x80,
    SPDK_NVME_SC_CAPACITY_EXCEEDED = 0x81,
    SPDK_NVME_SC_NAMESPACE_NOT_READY = 0x82,
    SPDK_NVME_SC_RESERVATION_CONFLICT = 0x83,
    SPDK_NVME_SC_FORMAT_IN_PROGRESS = 0x84,
    SPDK_NVME_SC_INVALID_VALUE_SIZE = 0x85,
    SPDK_NVME_SC_INVALID_KEY_SIZE = 0x86,
    SPDK_NVME_SC_KV_KEY_DOES_NOT_EXIST = 0x87,
    SPDK_NVME_SC_UNRECOVERED_ERROR = 0x88,
    SPDK_NVME_SC_KEY_EXISTS = 0x89,
};

/* Status codes of SPDK_NVME_SCT_COMMAND_SPECIFIC. */
enum spdk_nvme_command_specific_status_code {
    SPDK_NVME_SC_COMPLETION_QUEUE_INVALID = 0x00,
    SPDK_NVME_SC_INVALID_QUEUE_IDENTIFIER = 0x01,
    SPDK_NVME_SC_INVALID_QUEUE_SIZE = 0x02,
    SPDK_NVME_SC_ABORT_COMMAND_LIMIT_EXCEEDED = 0x03,
    SPDK_NVME_SC_ASYNC_EVENT_REQUEST_LIMIT_EXCEEDED = 0x05,
    SPDK_NVME_SC_INVALID_FIRMWARE_SLOT = 0x06,
    SPDK_NVME_SC_INVALID_FIRMWARE_IMAGE = 0x07,
    SPDK_NVME_SC_INVALID_INTERRUPT_VECTOR = 0x08,
    SPDK_NVME_SC_INVALID_LOG_PAGE = 0x09,
    SPDK_NVME_SC_INVALID_FORMAT = 0x0a,
    SPDK_NVME_SC_FIRMWARE_REQ_CONVENTIONAL_RESET = 0x0b,
    SPDK_NVME_SC_INVALID_QUEUE_DELETION = 0x0c,
    SPDK_NVME_SC_FEATURE_ID_NOT_SAVEABLE = 0x0d,
    SPDK_NVME_SC_FEATURE_NOT_CHANGEABLE = 0x0e,
    SPDK_NVME_SC_FEATURE_NOT_NAMESPACE_SPECIFIC = 0x0f,
    SPDK_NVME_SC_FIRMWARE_REQ_NVM_RESET = 0x10,
    SPDK_NVME_SC_FIRMWARE_REQ_RESET = 0x11,
    SPDK_NVME_SC_FIRMWARE_REQ_MAX_TIME_VIOLATION = 0x12,
    SPDK_NVME_SC_FIRMWARE_ACTIVATION_PROHIBITED = 0x13,
    SPDK_NVME_SC_OVERLAPPING_RANGE = 0x14,
    SPDK_NVME_SC_NAMESPACE_INSUFFICIENT_CAPACITY = 0x15,
    SPDK_NVME_SC_NAMESPACE_ID_UNAVAILABLE = 0x16,
    SPDK_NVME_SC_NAMESPACE_ALREADY_ATTACHED = 0x18,
    SPDK_NVME_SC_NAMESPACE_IS_PRIVATE = 0x19,
    SPDK_NVME_SC_NAMESPACE_NOT_ATTACHED = 0x1a,
    SPDK_NVME_SC_THINPROVISIONING_NOT_SUPPORTED = 0x1b,
    SPDK_NVME_SC_CONTROLLER_LIST_INVALID = 0x1c,
    SPDK_NVME_SC_DEVICE_SELF_TEST_IN_PROGRESS = 0x1d,
    SPDK_NVME_SC_BOOT_PARTITION_WRITE_PROHIBITED = 0x1e,
    SPDK_NVME_SC_INVALID_CTRLR_ID = 0x1f,
    SPDK_NVME_SC_INVALID_SECONDARY_CTRLR_STATE = 0x20,
    SPDK_NVME_SC_INVALID_NUM_CTRLR_RESOURCES = 0x21,
    SPDK_NVME_SC_INVALID_RESOURCE_ID = 0x22,
    SPDK_NVME_SC_SANITIZE_PROHIBITED = 0x23,
    SPDK_NVME_SC_ANA_GROUP_IDENTIFIER_INVALID = 0x24,
    SPDK_NVME_SC_ANA_ATTACH_FAILED = 0x25,
    SPDK_NVME_SC_INSUFFICIENT_CAPACITY = 0x26,
    SPDK_NVME_SC_NAMESPACE_ATTACH_LIMIT_EXCEEDED = 0x27,
    SPDK_NVME_SC_PROHIBIT_CMD_EXEC_NOT_SUPPORTED = 0x28,
    SPDK_NVME_SC_IOCS_NOT_SUPPORTED = 0x29,
    SPDK_NVME_SC_IOCS_NOT_ENABLED = 0x2a,
    SPDK_NVME_SC_IOCS_COMBINATION_REJECTED = 0x2b,
    SPDK_NVME_SC_INVALID_IOCS = 0x2c,
    SPDK_NVME_SC_IDENTIFIER_UNAVAILABLE = 0x2d,
    SPDK_NVME_SC_STREAM_RESOURCE_ALLOCATION_FAILED = 0x7f,

    /* NVM command set. */
    SPDK_NVME_SC_CONFLICTING_ATTRIBUTES = 0x80,
    SPDK_NVME_SC_INVALID_PROTECTION_INFO = 0x81,
    SPDK_NVME_SC_ATTEMPTED_WRITE_TO_RO_RANGE = 0x82,
    SPDK_NVME_SC_CMD_SIZE_LIMIT_SIZE_EXCEEDED = 0x83,

    /* Zoned namespace command set. */
    SPDK_NVME_SC_ZONED_BOUNDARY_ERROR = 0xb8,
    SPDK_NVME_SC_ZONE_IS_FULL = 0xb9,
    SPDK_NVME_SC_ZONE_IS_READ_ONLY = 0xba,
    SPDK_NVME_SC_ZONE_IS_OFFLINE = 0xbb,
    SPDK_NVME_SC_ZONE_INVALID_WRITE = 0xbc,
    SPDK_NVME_SC_TOO_MANY_ACTIVE_ZONES = 0xbd,
    SPDK_NVME_SC_TOO_MANY_OPEN_ZONES = 0xbe,
    SPDK_NVME_SC_INVALID_ZONE_STATE_TRANSITION = 0xbf,
};

/* Status codes of SPDK_NVME_SCT_MEDIA_ERROR. */
enum spdk_nvme_media_error_status_code {
    SPDK_NVME_SC_WRITE_FAULTS = 0x80,
    SPDK_NVME_SC_UNRECOVERED_READ_ERROR = 0x81,
    SPDK_NVME_SC_GUARD_CHECK_ERROR = 0x82,
    SPDK_NVME_SC_APPLICATION_TAG_CHECK_ERROR = 0x83,
    SPDK_NVME_SC_REFERENCE_TAG_CHECK_ERROR = 0x84,
    SPDK_NVME_SC_COMPARE_FAILURE = 0x85,
    SPDK_NVME_SC_ACCESS_DENIED = 0x86,
    SPDK_NVME_SC_DEALLOCATED_OR_UNWRITTEN_BLOCK = 0x87,
    SPDK_NVME_SC_END_TO_END_STORAGE_TAG_CHECK_ERROR = 0x88,
};

/* Status codes of SPDK_NVME_SCT_PATH. */
enum spdk_nvme_path_status_code {
    SPDK_NVME_SC_INTERNAL_PATH_ERROR = 0x00,
    SPDK_NVME_SC_ASYMMETRIC_ACCESS_PERSISTENT_LOSS = 0x01,
    SPDK_NVME_SC_ASYMMETRIC_ACCESS_INACCESSIBLE = 0x02,
    SPDK_NVME_SC_ASYMMETRIC_ACCESS_TRANSITION = 0x03,
    SPDK_NVME_SC_CONTROLLER_PATH_ERROR = 0x60,
    SPDK_NVME_SC_HOST_PATH_ERROR = 0x70,
    SPDK_NVME_SC_ABORTED_BY_HOST = 0x71,
};

/* The status field of a completion queue entry. */
struct spdk_nvme_status {
    uint16_t p : 1;   /* phase tag */
    uint16_t sc : 8;  /* status code */
    uint16_t sct : 3; /* status code type */
    uint16_t crd : 2; /* command retry delay */
    uint16_t m : 1;   /* more information in the error log */
    uint16_t dnr : 1; /* do not retry */
};
SPDK_STATIC_ASSERT(sizeof(struct spdk_nvme_status) == 2, "spdk_nvme_status layout");

/* A completion queue entry. */
struct spdk_nvme_cpl {
    uint32_t cdw0; /* command specific */
    uint32_t cdw1;
    uint16_t sqhd; /* submission queue head */
    uint16_t sqid; /* submission queue */
    uint16_t cid;  /* command identifier */
    union {
        uint16_t status_raw;
        struct spdk_nvme_status status;
    };
};
SPDK_STATIC_ASSERT(sizeof(struct spdk_nvme_cpl) == 16, "spdk_nvme_cpl layout");

/* A scatter gather list descriptor (the generic and the unkeyed data block forms). */
struct spdk_nvme_sgl_descriptor {
    uint64_t address;
    union {
        struct {
            uint8_t reserved[7];
            uint8_t subtype : 4;
            uint8_t type : 4;
        } generic;
        struct {
            uint32_t length;
            uint8_t reserved[3];
            uint8_t subtype : 4;
            uint8_t type : 4;
        } unkeyed;
    };
};
SPDK_STATIC_ASSERT(sizeof(struct spdk_nvme_sgl_descriptor) == 16,
                   "spdk_nvme_sgl_descriptor layout");

/* A submission queue entry. Command dwords 10 to 15 are given raw (SPDK also has
 * per-command bit views of 10 to 13, which the runtime does not provide). */
struct spdk_nvme_cmd {
    uint16_t opc : 8;  /* opcode */
    uint16_t fuse : 2; /* fused operation */
    uint16_t rsvd1 : 4;
    uint16_t psdt : 2;
    uint16_t cid;  /* command identifier */
    uint32_t nsid; /* namespace */
    uint32_t rsvd2;
    uint32_t rsvd3;
    uint64_t mptr; /* metadata pointer */
    union {
        struct {
            uint64_t prp1;
            uint64_t prp2;
        } prp;
        struct spdk_nvme_sgl_descriptor sgl1;
    } dptr;
    uint32_t cdw10;
    uint32_t cdw11;
    uint32_t cdw12;
    uint32_t cdw13;
    uint32_t cdw14;
    uint32_t cdw15;
};
SPDK_STATIC_ASSERT(sizeof(struct spdk_nvme_cmd) == 64, "spdk_nvme_cmd layout");

/* Tests on a completion, as SPDK defines them. */
#define spdk_nvme_cpl_is_error(cpl) \
    ((cpl)->status.sc != SPDK_NVME_SC_SUCCESS || (cpl)->status.sct != SPDK_NVME_SCT_GENERIC)
#define spdk_nvme_cpl_is_success(cpl) (!spdk_nvme_cpl_is_error(cpl))
#define spdk_nvme_cpl_is_pi_error(cpl)                                \
    ((cpl)->status.sct == SPDK_NVME_SCT_MEDIA_ERROR &&                \
     ((cpl)->status.sc == SPDK_NVME_SC_GUARD_CHECK_ERROR ||           \
      (cpl)->status.sc == SPDK_NVME_SC_APPLICATION_TAG_CHECK_ERROR || \
      (cpl)->status.sc == SPDK_NVME_SC_REFERENCE_TAG_CHECK_ERROR))
#define spdk_nvme_cpl_is_abort_success(cpl) (spdk_nvme_cpl_is_success(cpl) && !((cpl)->cdw0 & 1U))
#define spdk_nvme_cpl_is_path_error(cpl) ((cpl)->status.sct == SPDK_NVME_SCT_PATH)
#define spdk_nvme_cpl_is_ana_error(cpl)                                     \
    ((cpl)->status.sct == SPDK_NVME_SCT_PATH &&                             \
     ((cpl)->status.sc == SPDK_NVME_SC_ASYMMETRIC_ACCESS_PERSISTENT_LOSS || \
      (cpl)->status.sc == SPDK_NVME_SC_ASYMMETRIC_ACCESS_INACCESSIBLE ||    \
      (cpl)->status.sc == SPDK_NVME_SC_ASYMMETRIC_ACCESS_TRANSITION))
#define spdk_nvme_cpl_is_aborted_sq_deletion(cpl)  \
    ((cpl)->status.sct == SPDK_NVME_SCT_GENERIC && \
     (cpl)->status.sc == SPDK_NVME_SC_ABORTED_SQ_DELETION)
#define spdk_nvme_cpl_is_aborted_by_request(cpl)   \
    ((cpl)->status.sct == SPDK_NVME_SCT_GENERIC && \
     (cpl)->status.sc == SPDK_NVME_SC_ABORTED_BY_REQUEST)

#ifdef __cplusplus
}
#endif

#endif /* SPDK_NVME_SPEC_H */
