/* spdkcpp embedded runtime: block devices, the provider side (SPDK's bdev module
 * API). A module written in C against SPDK's bdev_module.h builds against this one.
 *
 * A module is a static struct spdk_bdev_module registered with
 * SPDK_BDEV_MODULE_REGISTER. The bdev layer calls its module_init when the bdev
 * subsystem starts and module_fini when it stops. The module creates bdevs by filling
 * a struct spdk_bdev (name, product_name, blocklen, blockcnt, ctxt, fn_table,
 * module, ...) and passing it to spdk_bdev_register; it must leave the internal
 * member zeroed and keep the struct alive until fn_table->destruct is called.
 *
 * I/O reaches the module through fn_table->submit_request(ch, bdev_io), where ch is
 * the module's own channel (from fn_table->get_io_channel) on the submitting thread.
 * The module ends each I/O with exactly one spdk_bdev_io_complete, from inside
 * submit_request or later, on the submitting thread; the bdev layer defers a
 * completion made inside submit_request so that the user's callback never runs
 * inside the user's submit call. */
#ifndef SPDK_BDEV_MODULE_H
#define SPDK_BDEV_MODULE_H

#include "spdk/assert.h"
#include "spdk/bdev.h"
#include "spdk/bdev_zone.h"
#include "spdk/log.h"
#include "spdk/queue.h"
#include "spdk/stdinc.h"
#include "spdk/thread.h"
#include "spdk/util.h"
#include "spdk/uuid.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SPDK_BDEV_CLAIM_NAME_LEN 32
#define SPDK_BDEV_RESET_IO_DRAIN_RECOMMENDED_VALUE 5

struct spdk_bdev_module {
    /* Called when the bdev subsystem starts. Returns 0 or a negative errno (which
     * fails the start). With async_init, the module calls spdk_bdev_module_init_done
     * when it is ready. */
    int (*module_init)(void);
    /* Called once every module finished initializing. */
    void (*init_complete)(void);
    /* Called when the subsystem starts to stop, before any bdev is unregistered.
     * With async_fini_start, the module calls spdk_bdev_module_fini_start_done. */
    void (*fini_start)(void);
    /* Called after every bdev was unregistered. With async_fini, the module calls
     * spdk_bdev_module_fini_done when it is done. */
    void (*module_fini)(void);
    /* Writes config entries of the module's own (not per-bdev) settings. */
    int (*config_json)(struct spdk_json_write_ctx *w);
    const char *name;
    /* Bytes of per-I/O context the module wants in spdk_bdev_io::driver_ctx. */
    int (*get_ctx_size)(void);
    /* Called for each new bdev; must decide about claiming synchronously and call
     * spdk_bdev_module_examine_done before returning. */
    void (*examine_config)(struct spdk_bdev *bdev);
    /* Called after examine_config; may do I/O and finish later with
     * spdk_bdev_module_examine_done. */
    void (*examine_disk)(struct spdk_bdev *bdev);
    bool async_init;
    bool async_fini;
    bool async_fini_start;
    /* Owned by the bdev layer; leave zeroed. */
    struct __bdev_module_internal_fields {
        uint32_t action_in_progress;
        TAILQ_ENTRY(spdk_bdev_module) tailq;
    } internal;
};

enum spdk_bdev_claim_type {
    SPDK_BDEV_CLAIM_NONE = 0,
    SPDK_BDEV_CLAIM_EXCL_WRITE,
    SPDK_BDEV_CLAIM_READ_MANY_WRITE_ONE,
    SPDK_BDEV_CLAIM_READ_MANY_WRITE_NONE,
    SPDK_BDEV_CLAIM_READ_MANY_WRITE_SHARED
};

/* Options of a descriptor-bound claim (spdk_bdev_module_claim_bdev_desc). */
struct spdk_bdev_claim_opts {
    /* sizeof(struct spdk_bdev_claim_opts) as the caller knows it. */
    size_t opts_size;
    /* A printable name for the claim (for messages); '\0' terminated. */
    char name[SPDK_BDEV_CLAIM_NAME_LEN];
    /* READ_MANY_WRITE_SHARED only: the key every claimant shares; non-zero. */
    uint64_t shared_claim_key;
};
SPDK_STATIC_ASSERT(sizeof(struct spdk_bdev_claim_opts) == 48, "spdk_bdev_claim_opts layout");

/* "not_claimed", "exclusive_write", "read_many_write_one", "read_many_write_none",
 * "read_many_write_shared", or "invalid_claim". */
const char *spdk_bdev_claim_get_name(enum spdk_bdev_claim_type claim_type);
/* Zeroes the first size bytes of opts and sets opts_size. */
void spdk_bdev_claim_opts_init(struct spdk_bdev_claim_opts *opts, size_t size);

/* Claims the bdev of desc for module (opts may be NULL). The READ_MANY_* claims
 * ("v2") belong to desc and end when it is closed; EXCL_WRITE is the same claim as
 * spdk_bdev_module_claim_bdev (it ends with spdk_bdev_module_release_bdev).
 * - READ_MANY_WRITE_ONE: desc becomes the only writer (a read-only desc is made
 *   writable); refused while the bdev is claimed or another descriptor writes.
 * - READ_MANY_WRITE_NONE: desc must be read-only; any number of such claims, from
 *   any descriptors and modules; refused while another descriptor writes to an
 *   unclaimed bdev.
 * - READ_MANY_WRITE_SHARED: every claimant passes the same non-zero
 *   shared_claim_key and becomes a writer; refused while a descriptor without
 *   such a claim writes.
 * While claimed, the bdev cannot be opened for writing (-EPERM).
 * Returns 0; -EINVAL (no desc, opts_size 0, a key with ONE or NONE, no key with
 * SHARED, a writable desc with NONE); -EPERM (claimed with another type, desc
 * already holds a claim, the claim conflicts); -ENOTSUP (unknown type); -ENOMEM. */
int spdk_bdev_module_claim_bdev_desc(struct spdk_bdev_desc *desc, enum spdk_bdev_claim_type type,
                                     struct spdk_bdev_claim_opts *opts,
                                     struct spdk_bdev_module *module);

/* Claims bdev for module, exclusively for writing (SPDK's "v1" claim): other
 * descriptors may still read, and desc (when given) becomes writable. Returns 0, or
 * -EPERM when the bdev is already claimed (with any type). The claim outlives desc:
 * it ends with spdk_bdev_module_release_bdev. */
int spdk_bdev_module_claim_bdev(struct spdk_bdev *bdev, struct spdk_bdev_desc *desc,
                                struct spdk_bdev_module *module);
/* Ends the EXCL_WRITE claim of bdev. A READ_MANY_* claim is not released this way
 * (only by closing its descriptor): the call logs an error and changes nothing. */
void spdk_bdev_module_release_bdev(struct spdk_bdev *bdev);

typedef void (*spdk_bdev_unregister_cb)(void *cb_arg, int rc);

struct spdk_bdev_fn_table {
    /* Frees the module's bdev. Returns 0 when done, < 0 on failure, or 1 when it
     * finishes later with spdk_bdev_destruct_done. */
    int (*destruct)(void *ctx);
    void (*submit_request)(struct spdk_io_channel *ch, struct spdk_bdev_io *bdev_io);
    bool (*io_type_supported)(void *ctx, enum spdk_bdev_io_type type);
    /* The module's channel for the calling thread (usually spdk_get_io_channel of
     * one of its io_devices). */
    struct spdk_io_channel *(*get_io_channel)(void *ctx);
    /* Writes a name and a value (usually an object) describing the bdev. */
    int (*dump_info_json)(void *ctx, struct spdk_json_write_ctx *w);
    /* Writes the config entry ({"method": ..., "params": ...}) that recreates bdev. */
    void (*write_config_json)(struct spdk_bdev *bdev, struct spdk_json_write_ctx *w);
    uint64_t (*get_spin_time)(struct spdk_io_channel *ch);
    void *(*get_module_ctx)(void *ctx);
    int (*get_memory_domains)(void *ctx, struct spdk_memory_domain **domains, int array_size);
    int (*get_memory_domain_types)(void *ctx, enum spdk_dma_device_type *types,
                                   uint32_t array_size);
    void (*reset_device_stat)(void *ctx);
    void (*dump_device_stat_json)(void *ctx, struct spdk_json_write_ctx *w);
    bool (*accel_sequence_supported)(void *ctx, enum spdk_bdev_io_type type);
};

enum spdk_bdev_io_status {
    SPDK_BDEV_IO_STATUS_AIO_ERROR = -8,
    SPDK_BDEV_IO_STATUS_ABORTED = -7,
    SPDK_BDEV_IO_STATUS_FIRST_FUSED_FAILED = -6,
    SPDK_BDEV_IO_STATUS_MISCOMPARE = -5,
    /* The module lacked resources to start the I/O: the bdev layer submits it again
     * later. Not for RESET. */
    SPDK_BDEV_IO_STATUS_NOMEM = -4,
    SPDK_BDEV_IO_STATUS_SCSI_ERROR = -3,
    SPDK_BDEV_IO_STATUS_NVME_ERROR = -2,
    SPDK_BDEV_IO_STATUS_FAILED = -1,
    SPDK_BDEV_IO_STATUS_PENDING = 0,
    SPDK_BDEV_IO_STATUS_SUCCESS = 1,
    SPDK_MIN_BDEV_IO_STATUS = SPDK_BDEV_IO_STATUS_AIO_ERROR,
};

typedef enum spdk_bdev_io_status spdk_bdev_io_status_t;

struct spdk_bdev_name {
    char *name;
    struct spdk_bdev *bdev;
};

struct spdk_bdev_alias {
    struct spdk_bdev_name alias;
    TAILQ_ENTRY(spdk_bdev_alias) tailq;
};

/* Declared outside struct spdk_bdev so that C++ sees one type. */
TAILQ_HEAD(spdk_bdev_aliases_list, spdk_bdev_alias);

/* One descriptor-bound claim (owned by the bdev layer). */
struct spdk_bdev_module_claim {
    struct spdk_bdev_module *module;
    struct spdk_bdev_desc *desc;
    char name[SPDK_BDEV_CLAIM_NAME_LEN];
    TAILQ_ENTRY(spdk_bdev_module_claim) link;
};

TAILQ_HEAD(v2_claims, spdk_bdev_module_claim);

typedef TAILQ_HEAD(, spdk_bdev_io) bdev_io_tailq_t;
typedef STAILQ_HEAD(, spdk_bdev_io) bdev_io_stailq_t;

struct spdk_bdev {
    /* Passed back to the fn_table callbacks. */
    void *ctxt;
    /* Unique among names and aliases of all bdevs. */
    char *name;
    struct spdk_bdev_aliases_list aliases;
    char *product_name;
    /* Non-zero when the bdev has a volatile write cache. */
    int write_cache;
    /* Logical block size in bytes, and the number of blocks. */
    uint32_t blocklen;
    uint32_t phys_blocklen;
    uint32_t io_type_supported;
    uint64_t blockcnt;
    struct {
        uint32_t split_on_write_unit : 1;
        uint32_t split_on_optimal_io_boundary : 1;
        uint32_t md_interleave : 1;
        uint32_t dif_is_head_of_md : 1;
        uint32_t zoned : 1;
        uint32_t media_events : 1;
        uint32_t memory_domains_supported : 1;
        uint32_t reserved : 25;
    };
    /* Writes must be a multiple of this many blocks; 0 means 1. */
    uint32_t write_unit_size;
    uint16_t acwu;
    /* log2 of the required buffer alignment in bytes; 0 means none. */
    uint8_t required_alignment;
    uint8_t reserved1;
    uint32_t optimal_io_boundary;
    uint32_t preferred_write_alignment;
    uint32_t preferred_write_granularity;
    uint32_t optimal_write_size;
    uint32_t preferred_unmap_alignment;
    uint32_t preferred_unmap_granularity;
    uint32_t max_segment_size;
    uint32_t max_num_segments;
    uint32_t max_unmap;
    uint32_t max_unmap_segments;
    uint32_t max_write_zeroes;
    uint32_t max_copy;
    uint32_t max_rw_size;
    /* Left null, spdk_bdev_register generates a random one. */
    struct spdk_uuid uuid;
    uint32_t md_len;
    uint8_t reserved2[4];
    enum spdk_dif_type dif_type;
    enum spdk_dif_pi_format dif_pi_format;
    uint8_t reserved3[4];
    uint32_t dif_check_flags;
    uint8_t reserved4[8];
    uint64_t zone_size;
    uint32_t max_zone_append_size;
    uint32_t max_open_zones;
    uint32_t max_active_zones;
    uint32_t optimal_open_zones;
    uint8_t reserved6[4];
    union spdk_bdev_nvme_ctratt ctratt;
    uint32_t nsid;
    uint32_t csi;
    uint16_t reset_io_drain_timeout;
    uint8_t reserved7[2];
    struct {
        uint32_t id_valid : 1;
        int32_t id : 31;
    } numa;
    uint32_t accel_sequence_supported;
    struct spdk_bdev_module *module;
    const struct spdk_bdev_fn_table *fn_table;

    /* Owned by the bdev layer; leave zeroed. */
    struct __bdev_internal_fields {
        enum spdk_bdev_status status;
        enum spdk_bdev_claim_type claim_type;
        union __bdev_internal_claim {
            /* EXCL_WRITE (spdk_bdev_module_claim_bdev) */
            struct __bdev_internal_claim_v1 {
                struct spdk_bdev_module *module;
            } v1;
            /* READ_MANY_* (spdk_bdev_module_claim_bdev_desc) */
            struct __bdev_internal_claim_v2 {
                struct v2_claims claims;
                uint64_t key;
            } v2;
        } claim;
        spdk_bdev_unregister_cb unregister_cb;
        void *unregister_ctx;
        TAILQ_HEAD(, spdk_bdev_desc) open_descs;
        TAILQ_ENTRY(spdk_bdev) link;
        /* Statistics of the channels already destroyed. */
        struct spdk_bdev_io_stat *stat;
        uint32_t examine_in_progress;
        uint32_t open_channels;
    } internal;
};

typedef void (*spdk_bdev_io_get_buf_cb)(struct spdk_io_channel *ch, struct spdk_bdev_io *bdev_io,
                                        bool success);

#define SPDK_BDEV_IO_NUM_CHILD_IOV 32

/* Parameters of the block I/O types (read, write, unmap, flush, write zeroes,
 * compare, copy). */
struct spdk_bdev_io_block_params {
    /* Data buffers; for a read, iovs[0].iov_base may be NULL: the module then calls
     * spdk_bdev_io_get_buf (or spdk_bdev_io_set_buf). */
    struct iovec *iovs;
    int iovcnt;
    uint64_t num_blocks;
    uint64_t offset_blocks;
    struct spdk_memory_domain *memory_domain;
    void *memory_domain_ctx;
    struct spdk_accel_sequence *accel_sequence;
    void *md_buf;
    struct iovec *fused_iovs;
    int fused_iovcnt;
    uint32_t dif_check_flags;
    union spdk_bdev_nvme_cdw12 nvme_cdw12;
    union spdk_bdev_nvme_cdw13 nvme_cdw13;
    struct {
        uint8_t populate : 1;
        uint8_t commit : 1;
        uint8_t start : 1;
    } zcopy;
    struct {
        void *bio_cb_arg;
    } abort;
    struct {
        uint64_t offset;
    } seek;
    struct {
        uint64_t src_offset_blocks;
    } copy;
};

struct spdk_bdev_io_reset_params {
    struct spdk_io_channel *ch_ref;
    struct {
        struct spdk_poller *poller;
        uint64_t stop_time_tsc;
    } wait_poller;
};

struct spdk_bdev_io_abort_params {
    struct spdk_bdev_io *bio_to_abort;
};

struct spdk_bdev_io_zone_mgmt_params {
    uint64_t zone_id;
    uint32_t num_zones;
    enum spdk_bdev_zone_action zone_action;
    void *buf;
};

struct spdk_bdev_channel;

/* Owned by the bdev layer: modules never touch it. */
struct spdk_bdev_io_internal_fields {
    struct spdk_bdev_channel *ch;
    struct spdk_bdev_desc *desc;
    spdk_bdev_io_completion_cb cb;
    void *caller_ctx;
    uint64_t submit_tsc;
    int8_t status;
    uint8_t in_submit_request;
    uint8_t has_buf;
    uint8_t reserved[5];
    STAILQ_ENTRY(spdk_bdev_io) buf_link;
    STAILQ_ENTRY(spdk_bdev_io) link;
    /* In its channel's list of I/O outstanding, oldest first (for I/O timeouts). */
    TAILQ_ENTRY(spdk_bdev_io) ch_link;
    union {
        struct {
            uint32_t cdw0;
            uint8_t sct;
            uint8_t sc;
        } nvme;
        struct {
            uint8_t sc;
            uint8_t sk;
            uint8_t asc;
            uint8_t ascq;
        } scsi;
        int aio_result;
    } error;
    struct {
        void *ptr;
        uint64_t len;
    } buf;
    spdk_bdev_io_get_buf_cb get_buf_cb;
    /* The caller's buffers while the module works on an aligned bounce buffer. */
    struct {
        struct iovec *iovs;
        int iovcnt;
        uint8_t active;
        struct iovec iov; /* the caller's iovec when it was the I/O's own iov */
    } bounce;
    /* Progress of a request the bdev layer carries out in pieces. */
    struct {
        uint64_t remaining_num_blocks;
        uint64_t current_offset_blocks;
        uint64_t orig_offset_blocks;
        uint64_t orig_num_blocks;
        uint32_t outstanding;
    } split;
    /* Where the bdev layer waits for a free spdk_bdev_io on the I/O's behalf. */
    struct spdk_bdev_io_wait_entry waitq_entry;
};

struct spdk_bdev_io {
    struct spdk_bdev *bdev;
    /* enum spdk_bdev_io_type */
    uint8_t type;
    uint8_t reserved0;
    uint16_t num_retries;
    uint32_t reserved1;
    /* The single buffer of the non-vectored submit functions. */
    struct iovec iov;
    struct iovec child_iov[SPDK_BDEV_IO_NUM_CHILD_IOV];
    union {
        struct spdk_bdev_io_block_params bdev;
        struct spdk_bdev_io_reset_params reset;
        struct spdk_bdev_io_abort_params abort;
        struct spdk_bdev_io_zone_mgmt_params zone_mgmt;
    } u;
    struct spdk_bdev_io_internal_fields internal;
    /* The module's per-I/O context, get_ctx_size() bytes, cache-line aligned. Keep
     * it the last member. */
    uint8_t driver_ctx[0] __attribute__((aligned(SPDK_CACHE_LINE_SIZE)));
};

/* Registers bdev: its name becomes visible and the modules examine it. Call on the
 * app thread. Returns 0, -EINVAL for a bdev without name, fn_table, module, blocklen
 * or blockcnt, or -EEXIST when the name (or its UUID) is taken. */
int spdk_bdev_register(struct spdk_bdev *bdev);
/* Starts removing bdev: every open descriptor gets REMOVE on its thread; once all are
 * closed, fn_table->destruct runs and then cb_fn(cb_arg, rc) (from a message, never
 * inside this call). A second unregister gets cb_fn(cb_arg, -EBUSY). */
void spdk_bdev_unregister(struct spdk_bdev *bdev, spdk_bdev_unregister_cb cb_fn, void *cb_arg);
/* As spdk_bdev_unregister for the bdev named bdev_name that module registered.
 * Returns 0, or -ENODEV (no such bdev, or another module's) without calling cb_fn. */
int spdk_bdev_unregister_by_name(const char *bdev_name, struct spdk_bdev_module *module,
                                 spdk_bdev_unregister_cb cb_fn, void *cb_arg);
/* Ends a destruct that returned 1. */
void spdk_bdev_destruct_done(struct spdk_bdev *bdev, int bdeverrno);
void spdk_bdev_module_examine_done(struct spdk_bdev_module *module);
void spdk_bdev_module_init_done(struct spdk_bdev_module *module);
void spdk_bdev_module_fini_done(void);
void spdk_bdev_module_fini_start_done(void);

/* Returns 0, -EEXIST when the name is taken, or -EINVAL. */
int spdk_bdev_alias_add(struct spdk_bdev *bdev, const char *alias);
/* Returns 0, or -ENOENT when bdev has no such alias. */
int spdk_bdev_alias_del(struct spdk_bdev *bdev, const char *alias);
void spdk_bdev_alias_del_all(struct spdk_bdev *bdev);
const struct spdk_bdev_aliases_list *spdk_bdev_get_aliases(const struct spdk_bdev *bdev);

/* Gives a read whose caller passed no buffer a data buffer of len bytes, then calls
 * cb (at once when the I/O already has one; success is false when len is too large
 * or no memory is left). The buffer lives until spdk_bdev_free_io. */
void spdk_bdev_io_get_buf(struct spdk_bdev_io *bdev_io, spdk_bdev_io_get_buf_cb cb, uint64_t len);
/* Points the I/O's data at buf (for example the module's own memory). */
void spdk_bdev_io_set_buf(struct spdk_bdev_io *bdev_io, void *buf, size_t len);
void spdk_bdev_io_set_md_buf(struct spdk_bdev_io *bdev_io, void *md_buf, size_t len);

/* Ends the I/O; see the rules at the top of this file. */
void spdk_bdev_io_complete(struct spdk_bdev_io *bdev_io, enum spdk_bdev_io_status status);
enum spdk_bdev_io_status spdk_bdev_io_set_nvme_status(struct spdk_bdev_io *bdev_io, uint32_t cdw0,
                                                      int sct, int sc);
void spdk_bdev_io_complete_nvme_status(struct spdk_bdev_io *bdev_io, uint32_t cdw0, int sct,
                                       int sc);
enum spdk_bdev_io_status spdk_bdev_io_set_aio_status(struct spdk_bdev_io *bdev_io, int aio_result);
void spdk_bdev_io_complete_aio_status(struct spdk_bdev_io *bdev_io, int aio_result);
/* Completes bdev_io with the status (and its details) of base_io: for virtual bdevs
 * that forward I/O to another bdev. */
enum spdk_bdev_io_status spdk_bdev_io_set_base_io_status(struct spdk_bdev_io *bdev_io,
                                                         const struct spdk_bdev_io *base_io);
void spdk_bdev_io_complete_base_io_status(struct spdk_bdev_io *bdev_io,
                                          const struct spdk_bdev_io *base_io);

/* The thread that submitted bdev_io. */
struct spdk_thread *spdk_bdev_io_get_thread(struct spdk_bdev_io *bdev_io);
/* The bdev channel bdev_io was submitted on. */
struct spdk_io_channel *spdk_bdev_io_get_io_channel(struct spdk_bdev_io *bdev_io);
uint64_t spdk_bdev_io_get_submit_tsc(struct spdk_bdev_io *bdev_io);

/* Changes the size of bdev and sends RESIZE to every open descriptor. Returns 0, or
 * -EBUSY when shrinking a bdev that is open. */
int spdk_bdev_notify_blockcnt_change(struct spdk_bdev *bdev, uint64_t size);

/* Adds module to the list the bdev layer initializes; use SPDK_BDEV_MODULE_REGISTER. */
void spdk_bdev_module_list_add(struct spdk_bdev_module *bdev_module);
struct spdk_bdev_module *spdk_bdev_module_list_find(const char *name);

static inline struct spdk_bdev_io *spdk_bdev_io_from_ctx(void *ctx) {
    return SPDK_CONTAINEROF(ctx, struct spdk_bdev_io, driver_ctx);
}

/* total += add (counts and latency sums; min and max combined). */
void spdk_bdev_add_io_stat(struct spdk_bdev_io_stat *total, struct spdk_bdev_io_stat *add);
void spdk_bdev_dump_io_stat_json(struct spdk_bdev_io_stat *stat, struct spdk_json_write_ctx *w);
void spdk_bdev_reset_io_stat(struct spdk_bdev_io_stat *stat, enum spdk_bdev_reset_stat_mode mode);

#define SPDK_BDEV_MODULE_REGISTER(name, module)                                        \
    static void __attribute__((constructor)) _spdk_bdev_module_register_##name(void) { \
        spdk_bdev_module_list_add(module);                                             \
    }

#ifdef __cplusplus
}
#endif

#endif /* SPDK_BDEV_MODULE_H */
