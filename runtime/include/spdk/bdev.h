/* spdkcpp embedded runtime: block devices, the consumer side (SPDK's bdev library).
 *
 * Rules every function here keeps, as SPDK does:
 * - A bdev is opened by name into a descriptor (spdk_bdev_open_ext) on an SPDK
 *   thread; the descriptor is closed on that same thread. Its event callback (REMOVE
 *   when the bdev is unregistered, RESIZE) always runs on that thread.
 * - I/O goes through a channel (spdk_bdev_get_io_channel) used only on the thread
 *   that got it. A submit function returns 0 and later calls its completion callback
 *   exactly once, on the submitting thread and never from inside the submit call;
 *   or it returns a negative errno and never calls it:
 *     -EINVAL  offset or length out of range, or (byte forms) not a multiple of the
 *              block size;
 *     -EBADF   a write-type request on a descriptor opened read-only;
 *     -ENOTSUP the bdev does not support the request type;
 *     -ENOMEM  no spdk_bdev_io is free on this thread: retry when
 *              spdk_bdev_queue_io_wait calls back.
 * - The completion callback must release the spdk_bdev_io with spdk_bdev_free_io.
 * - A zero-length request is valid (the offset must still be within the bdev). */
#ifndef SPDK_BDEV_H_
#define SPDK_BDEV_H_

#include "spdk/assert.h"
#include "spdk/dif.h"
#include "spdk/dma.h"
#include "spdk/json.h"
#include "spdk/nvme_spec.h"
#include "spdk/queue.h"
#include "spdk/stdinc.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SPDK_BDEV_SMALL_BUF_MAX_SIZE 8192
#define SPDK_BDEV_LARGE_BUF_MAX_SIZE (64 * 1024)
#define SPDK_BDEV_MAX_INTERLEAVED_MD_SIZE (64)
/* Room for x bytes of data plus the largest interleaved metadata per 512 bytes. */
#define SPDK_BDEV_BUF_SIZE_WITH_MD(x) (((x) / 512) * (512 + SPDK_BDEV_MAX_INTERLEAVED_MD_SIZE))

/* Events delivered to a descriptor's event callback. */
enum spdk_bdev_event_type {
    SPDK_BDEV_EVENT_REMOVE,
    SPDK_BDEV_EVENT_RESIZE,
    SPDK_BDEV_EVENT_MEDIA_MANAGEMENT,
};

struct spdk_bdev_media_event {
    uint64_t offset;
    uint64_t num_blocks;
};

struct spdk_bdev;
struct spdk_bdev_desc;
struct spdk_bdev_io;
struct spdk_bdev_fn_table;
struct spdk_io_channel;
struct spdk_json_write_ctx;
struct spdk_uuid;
struct spdk_accel_sequence;

typedef void (*spdk_bdev_remove_cb_t)(void *remove_ctx);

/* Called on the thread that opened the descriptor. After REMOVE the descriptor must
 * be closed for the unregistration to finish. */
typedef void (*spdk_bdev_event_cb_t)(enum spdk_bdev_event_type type, struct spdk_bdev *bdev,
                                     void *event_ctx);

enum spdk_bdev_status {
    SPDK_BDEV_STATUS_INVALID,
    SPDK_BDEV_STATUS_READY,
    SPDK_BDEV_STATUS_UNREGISTERING,
    SPDK_BDEV_STATUS_REMOVING,
};

enum spdk_bdev_io_type {
    SPDK_BDEV_IO_TYPE_INVALID = 0,
    SPDK_BDEV_IO_TYPE_READ,
    SPDK_BDEV_IO_TYPE_WRITE,
    SPDK_BDEV_IO_TYPE_UNMAP,
    SPDK_BDEV_IO_TYPE_FLUSH,
    SPDK_BDEV_IO_TYPE_RESET,
    SPDK_BDEV_IO_TYPE_NVME_ADMIN,
    SPDK_BDEV_IO_TYPE_NVME_IO,
    SPDK_BDEV_IO_TYPE_NVME_IO_MD,
    SPDK_BDEV_IO_TYPE_WRITE_ZEROES,
    SPDK_BDEV_IO_TYPE_ZCOPY,
    SPDK_BDEV_IO_TYPE_GET_ZONE_INFO,
    SPDK_BDEV_IO_TYPE_ZONE_MANAGEMENT,
    SPDK_BDEV_IO_TYPE_ZONE_APPEND,
    SPDK_BDEV_IO_TYPE_COMPARE,
    SPDK_BDEV_IO_TYPE_COMPARE_AND_WRITE,
    SPDK_BDEV_IO_TYPE_ABORT,
    SPDK_BDEV_IO_TYPE_SEEK_HOLE,
    SPDK_BDEV_IO_TYPE_SEEK_DATA,
    SPDK_BDEV_IO_TYPE_COPY,
    SPDK_BDEV_IO_TYPE_NVME_IOV_MD,
    SPDK_BDEV_IO_TYPE_NVME_NSSR,
    SPDK_BDEV_IO_TYPE_WRITE_UNCORRECTABLE,
    SPDK_BDEV_NUM_IO_TYPES /* the count; keep last */
};

enum spdk_bdev_qos_rate_limit_type {
    SPDK_BDEV_QOS_RW_IOPS_RATE_LIMIT = 0,
    SPDK_BDEV_QOS_RW_BPS_RATE_LIMIT,
    SPDK_BDEV_QOS_R_BPS_RATE_LIMIT,
    SPDK_BDEV_QOS_W_BPS_RATE_LIMIT,
    SPDK_BDEV_QOS_NUM_RATE_LIMIT_TYPES
};

/* success tells whether the I/O succeeded; spdk_bdev_io_get_nvme_status and friends
 * give the details of a failure. */
typedef void (*spdk_bdev_io_completion_cb)(struct spdk_bdev_io *bdev_io, bool success,
                                           void *cb_arg);

struct spdk_bdev_io_error_stat;

/* Counts of successful I/O and their latencies in ticks (spdk_get_ticks) from submit
 * to completion. A min_*_latency_ticks of UINT64_MAX means no such I/O yet. */
struct spdk_bdev_io_stat {
    uint64_t bytes_read;
    uint64_t num_read_ops;
    uint64_t bytes_written;
    uint64_t num_write_ops;
    uint64_t bytes_unmapped;
    uint64_t num_unmap_ops;
    uint64_t bytes_copied;
    uint64_t num_copy_ops;
    uint64_t read_latency_ticks;
    uint64_t max_read_latency_ticks;
    uint64_t min_read_latency_ticks;
    uint64_t write_latency_ticks;
    uint64_t max_write_latency_ticks;
    uint64_t min_write_latency_ticks;
    uint64_t unmap_latency_ticks;
    uint64_t max_unmap_latency_ticks;
    uint64_t min_unmap_latency_ticks;
    uint64_t copy_latency_ticks;
    uint64_t max_copy_latency_ticks;
    uint64_t min_copy_latency_ticks;
    uint64_t ticks_rate;
    /* Always NULL in the embedded runtime (no per-status error counts). Keep it the
     * last member. */
    struct spdk_bdev_io_error_stat *io_error;
};

/* Options of the bdev layer; set them before the bdev subsystem starts. */
struct spdk_bdev_opts {
    /* spdk_bdev_io in the whole process (default 65535). */
    uint32_t bdev_io_pool_size;
    /* spdk_bdev_io each SPDK thread keeps for itself (default 256). */
    uint32_t bdev_io_cache_size;
    bool bdev_auto_examine;
    uint8_t reserved9[7];
    /* sizeof(struct spdk_bdev_opts) as the caller knows it: fields past it are
     * neither read nor written. */
    size_t opts_size;
    uint32_t iobuf_small_cache_size;
    uint32_t iobuf_large_cache_size;
} __attribute__((packed));
SPDK_STATIC_ASSERT(sizeof(struct spdk_bdev_opts) == 32, "spdk_bdev_opts layout");

union spdk_bdev_nvme_ctratt {
    uint32_t raw;
    struct {
        uint32_t reserved : 16;
        uint32_t mem : 1;
        uint32_t reserved1 : 2;
        uint32_t fdps : 1;
        uint32_t reserved2 : 12;
    } bits;
};
SPDK_STATIC_ASSERT(sizeof(union spdk_bdev_nvme_ctratt) == 4, "spdk_bdev_nvme_ctratt layout");

union spdk_bdev_nvme_cdw12 {
    uint32_t raw;
    struct {
        uint32_t reserved : 20;
        uint32_t dtype : 4;
        uint32_t reserved2 : 8;
    } write;
};
SPDK_STATIC_ASSERT(sizeof(union spdk_bdev_nvme_cdw12) == 4, "spdk_bdev_nvme_cdw12 layout");

union spdk_bdev_nvme_cdw13 {
    uint32_t raw;
    struct {
        uint32_t reserved : 16;
        uint32_t dspec : 16;
    } write;
};
SPDK_STATIC_ASSERT(sizeof(union spdk_bdev_nvme_cdw13) == 4, "spdk_bdev_nvme_cdw13 layout");

/* Extra parameters of the *_ext submit functions. size must be set to
 * sizeof(struct spdk_bdev_ext_io_opts); memory_domain must be NULL and
 * accel_sequence NULL in the embedded runtime (-EINVAL otherwise). */
struct spdk_bdev_ext_io_opts {
    size_t size;
    struct spdk_memory_domain *memory_domain;
    void *memory_domain_ctx;
    void *metadata;
    struct spdk_accel_sequence *accel_sequence;
    uint32_t dif_check_flags_exclude_mask;
    union spdk_bdev_nvme_cdw12 nvme_cdw12;
    union spdk_bdev_nvme_cdw13 nvme_cdw13;
} __attribute__((packed));
SPDK_STATIC_ASSERT(sizeof(struct spdk_bdev_ext_io_opts) == 52, "spdk_bdev_ext_io_opts layout");

/* Copies the current options into opts (opts_size bytes of it). */
void spdk_bdev_get_opts(struct spdk_bdev_opts *opts, size_t opts_size);
/* Returns 0, or -1 when opts is NULL, opts->opts_size is 0, or the pool cannot give
 * every thread (plus one) its cache. Takes effect at the next spdk_bdev_initialize. */
int spdk_bdev_set_opts(struct spdk_bdev_opts *opts);

enum spdk_bdev_reset_stat_mode {
    SPDK_BDEV_RESET_STAT_ALL,
    SPDK_BDEV_RESET_STAT_MAXMIN,
    SPDK_BDEV_RESET_STAT_ERROR,
    SPDK_BDEV_RESET_STAT_NONE,
};

typedef void (*spdk_bdev_wait_for_examine_cb)(void *arg);
/* Calls cb_fn once (from a message on the calling thread) when no examination is
 * in progress. Returns 0. */
int spdk_bdev_wait_for_examine(spdk_bdev_wait_for_examine_cb cb_fn, void *cb_arg);
/* Runs the modules' examine callbacks on the named bdev. Returns 0 or -ENODEV. */
int spdk_bdev_examine(const char *name);

typedef void (*spdk_bdev_init_cb)(void *cb_arg, int rc);
typedef void (*spdk_bdev_fini_cb)(void *cb_arg);
typedef void (*spdk_bdev_get_device_stat_cb)(struct spdk_bdev *bdev, struct spdk_bdev_io_stat *stat,
                                             void *cb_arg, int rc);
typedef void (*spdk_bdev_io_timeout_cb)(void *cb_arg, struct spdk_bdev_io *bdev_io);

/* Starts the bdev layer and every registered module (on the app thread); cb_fn gets
 * 0 once all modules finished initializing, or a negative errno. The "bdev"
 * subsystem calls it; programs using spdk_app_start never need to. */
void spdk_bdev_initialize(spdk_bdev_init_cb cb_fn, void *cb_arg);
/* Unregisters every bdev (open descriptors get REMOVE), finishes every module, then
 * calls cb_fn. */
void spdk_bdev_finish(spdk_bdev_fini_cb cb_fn, void *cb_arg);
/* Writes the JSON array of config entries that recreates the current bdevs. */
void spdk_bdev_subsystem_config_json(struct spdk_json_write_ctx *w);

const char *spdk_bdev_get_module_name(const struct spdk_bdev *bdev);

/* By name or alias; NULL when there is no such bdev. */
struct spdk_bdev *spdk_bdev_get_by_name(const char *bdev_name);
/* Registered bdevs in registration order; NULL after the last. */
struct spdk_bdev *spdk_bdev_first(void);
struct spdk_bdev *spdk_bdev_next(struct spdk_bdev *prev);
/* Only bdevs that no module has claimed (no virtual bdev on top). */
struct spdk_bdev *spdk_bdev_first_leaf(void);
struct spdk_bdev *spdk_bdev_next_leaf(struct spdk_bdev *prev);

struct spdk_bdev_open_opts {
    size_t size;
    bool hide_metadata;
};
SPDK_STATIC_ASSERT(sizeof(struct spdk_bdev_open_opts) == 16, "spdk_bdev_open_opts layout");

void spdk_bdev_open_opts_init(struct spdk_bdev_open_opts *opts, size_t opts_size);

/* Opens the bdev named (or aliased) bdev_name on the calling SPDK thread. Returns 0
 * with *desc set, or: -EINVAL without event_cb; -ENODEV when there is no such bdev or
 * it is being unregistered; -EPERM to open for writing a bdev a module claimed;
 * -ENOTSUP when not called on an SPDK thread. */
int spdk_bdev_open_ext(const char *bdev_name, bool write, spdk_bdev_event_cb_t event_cb,
                       void *event_ctx, struct spdk_bdev_desc **desc);
int spdk_bdev_open_ext_v2(const char *bdev_name, bool write, spdk_bdev_event_cb_t event_cb,
                          void *event_ctx, struct spdk_bdev_open_opts *opts,
                          struct spdk_bdev_desc **desc);
/* Must run on the thread that opened desc; elsewhere it logs an error and does
 * nothing. Channels from desc must have been put first. */
void spdk_bdev_close(struct spdk_bdev_desc *desc);

/* Watches for starved I/O of desc: once a second a poller on desc's thread looks at
 * every channel of the bdev (on the channel's thread) and calls cb_fn(cb_arg, io) there
 * for each I/O submitted through desc that is still outstanding (submitted, its
 * completion callback not run yet) after timeout_in_sec seconds, once per look for as
 * long as it stays so. io belongs to the bdev layer: cb_fn may inspect it (or abort
 * it), not free it. Pieces the bdev layer split an I/O into are not reported, their
 * parent is. A later call replaces the setting; timeout_in_sec 0 turns the watch off;
 * closing desc ends it (a look already under way then stops before its next channel).
 * Must run on the thread that opened desc. Returns 0, -EINVAL off that thread or for
 * a timeout without cb_fn, -ENOMEM when the poller cannot be made. */
int spdk_bdev_set_timeout(struct spdk_bdev_desc *desc, uint64_t timeout_in_sec,
                          spdk_bdev_io_timeout_cb cb_fn, void *cb_arg);

/* Gets the descriptor of spdk_bdev_open_async (NULL with a negative rc). */
typedef void (*spdk_bdev_open_async_cb_t)(struct spdk_bdev_desc *desc, int rc, void *cb_arg);

struct spdk_bdev_open_async_opts {
    size_t size; /* sizeof(struct spdk_bdev_open_async_opts) as the caller knows it */
    /* How long to wait for a bdev that does not exist yet; 0 (the default): fail at
     * once. */
    uint64_t timeout_ms;
};
SPDK_STATIC_ASSERT(sizeof(struct spdk_bdev_open_async_opts) == 16,
                   "spdk_bdev_open_async_opts layout");

/* Opens bdev_name as spdk_bdev_open_ext does, waiting (tried every 100 ms) up to
 * opts->timeout_ms for it to appear; open_cb gets the descriptor or the error
 * (-ETIMEDOUT once the time is up, -ESHUTDOWN when the bdev layer stops first), on
 * the calling thread and never inside this call. Returns 0, or -EINVAL (no
 * callback, opts->size 0) or -ENOMEM without calling open_cb. */
int spdk_bdev_open_async(const char *bdev_name, bool write, spdk_bdev_event_cb_t event_cb,
                         void *event_ctx, struct spdk_bdev_open_async_opts *opts,
                         spdk_bdev_open_async_cb_t open_cb, void *open_cb_arg);

/* SPDK_ENV_NUMA_ID_ANY when unknown. */
int32_t spdk_bdev_get_numa_id(struct spdk_bdev *bdev);

/* Return 0 to go on, a negative errno to stop (and have it returned). */
typedef int (*spdk_for_each_bdev_fn)(void *ctx, struct spdk_bdev *bdev);
int spdk_for_each_bdev(void *ctx, spdk_for_each_bdev_fn fn);
int spdk_for_each_bdev_leaf(void *ctx, spdk_for_each_bdev_fn fn);

struct spdk_bdev *spdk_bdev_desc_get_bdev(struct spdk_bdev_desc *desc);
uint32_t spdk_bdev_desc_get_block_size(struct spdk_bdev_desc *desc);
uint32_t spdk_bdev_desc_get_md_size(struct spdk_bdev_desc *desc);
bool spdk_bdev_desc_is_md_interleaved(struct spdk_bdev_desc *desc);
bool spdk_bdev_desc_is_md_separate(struct spdk_bdev_desc *desc);
enum spdk_dif_type spdk_bdev_desc_get_dif_type(struct spdk_bdev_desc *desc);
bool spdk_bdev_desc_hide_metadata(struct spdk_bdev_desc *desc);
bool spdk_bdev_io_hide_metadata(struct spdk_bdev_io *bdev_io);
uint32_t spdk_bdev_io_get_block_size(struct spdk_bdev_io *bdev_io);

bool spdk_bdev_io_type_supported(struct spdk_bdev *bdev, enum spdk_bdev_io_type io_type);
/* "read", "write", "unmap", ...; NULL for an unknown type. */
const char *spdk_bdev_get_io_type_name(enum spdk_bdev_io_type io_type);
/* The inverse of spdk_bdev_get_io_type_name; -1 for an unknown name. */
int spdk_bdev_get_io_type(const char *io_type_string);
/* Lets the bdev's module add its own members to the open object in w. */
int spdk_bdev_dump_info_json(struct spdk_bdev *bdev, struct spdk_json_write_ctx *w);

const char *spdk_bdev_get_name(const struct spdk_bdev *bdev);
const char *spdk_bdev_get_product_name(const struct spdk_bdev *bdev);
/* Logical block size in bytes. */
uint32_t spdk_bdev_get_block_size(const struct spdk_bdev *bdev);
/* Writes must be a multiple of this many blocks (at least 1). */
uint32_t spdk_bdev_get_write_unit_size(const struct spdk_bdev *bdev);
uint64_t spdk_bdev_get_num_blocks(const struct spdk_bdev *bdev);
/* Required alignment of data buffers in bytes (at least 1). */
size_t spdk_bdev_get_buf_align(const struct spdk_bdev *bdev);
/* In blocks; 0 when the bdev has none. */
uint32_t spdk_bdev_get_optimal_io_boundary(const struct spdk_bdev *bdev);
bool spdk_bdev_has_write_cache(const struct spdk_bdev *bdev);
const struct spdk_uuid *spdk_bdev_get_uuid(const struct spdk_bdev *bdev);
uint16_t spdk_bdev_get_acwu(const struct spdk_bdev *bdev);
uint32_t spdk_bdev_get_md_size(const struct spdk_bdev *bdev);
bool spdk_bdev_is_md_interleaved(const struct spdk_bdev *bdev);
bool spdk_bdev_is_md_separate(const struct spdk_bdev *bdev);
bool spdk_bdev_is_zoned(const struct spdk_bdev *bdev);
/* Block size less interleaved metadata. */
uint32_t spdk_bdev_get_data_block_size(const struct spdk_bdev *bdev);
uint32_t spdk_bdev_get_physical_block_size(const struct spdk_bdev *bdev);
uint32_t spdk_bdev_get_preferred_write_alignment(const struct spdk_bdev *bdev);
uint32_t spdk_bdev_get_preferred_write_granularity(const struct spdk_bdev *bdev);
uint32_t spdk_bdev_get_optimal_write_size(const struct spdk_bdev *bdev);
uint32_t spdk_bdev_get_preferred_unmap_alignment(const struct spdk_bdev *bdev);
uint32_t spdk_bdev_get_preferred_unmap_granularity(const struct spdk_bdev *bdev);
enum spdk_dif_type spdk_bdev_get_dif_type(const struct spdk_bdev *bdev);
enum spdk_dif_pi_format spdk_bdev_get_dif_pi_format(const struct spdk_bdev *bdev);
bool spdk_bdev_is_dif_head_of_md(const struct spdk_bdev *bdev);
bool spdk_bdev_is_dif_check_enabled(const struct spdk_bdev *bdev,
                                    enum spdk_dif_check_type check_type);
uint32_t spdk_bdev_get_max_copy(const struct spdk_bdev *bdev);

/* The channel for desc on the calling thread; NULL on failure. Release it with
 * spdk_put_io_channel on the same thread. */
struct spdk_io_channel *spdk_bdev_get_io_channel(struct spdk_bdev_desc *desc);
void *spdk_bdev_get_module_ctx(struct spdk_bdev_desc *desc);

/* Reads: buffers are filled when the completion callback runs. */
int spdk_bdev_read(struct spdk_bdev_desc *desc, struct spdk_io_channel *ch, void *buf,
                   uint64_t offset, uint64_t nbytes, spdk_bdev_io_completion_cb cb, void *cb_arg);
int spdk_bdev_read_blocks(struct spdk_bdev_desc *desc, struct spdk_io_channel *ch, void *buf,
                          uint64_t offset_blocks, uint64_t num_blocks,
                          spdk_bdev_io_completion_cb cb, void *cb_arg);
/* md must be NULL: the embedded bdevs carry no separate metadata (-EINVAL). */
int spdk_bdev_read_blocks_with_md(struct spdk_bdev_desc *desc, struct spdk_io_channel *ch,
                                  void *buf, void *md, uint64_t offset_blocks, uint64_t num_blocks,
                                  spdk_bdev_io_completion_cb cb, void *cb_arg);
/* iov must stay valid until the completion callback. */
int spdk_bdev_readv(struct spdk_bdev_desc *desc, struct spdk_io_channel *ch, struct iovec *iov,
                    int iovcnt, uint64_t offset, uint64_t nbytes, spdk_bdev_io_completion_cb cb,
                    void *cb_arg);
int spdk_bdev_readv_blocks(struct spdk_bdev_desc *desc, struct spdk_io_channel *ch,
                           struct iovec *iov, int iovcnt, uint64_t offset_blocks,
                           uint64_t num_blocks, spdk_bdev_io_completion_cb cb, void *cb_arg);
int spdk_bdev_readv_blocks_with_md(struct spdk_bdev_desc *desc, struct spdk_io_channel *ch,
                                   struct iovec *iov, int iovcnt, void *md, uint64_t offset_blocks,
                                   uint64_t num_blocks, spdk_bdev_io_completion_cb cb,
                                   void *cb_arg);
int spdk_bdev_readv_blocks_ext(struct spdk_bdev_desc *desc, struct spdk_io_channel *ch,
                               struct iovec *iov, int iovcnt, uint64_t offset_blocks,
                               uint64_t num_blocks, spdk_bdev_io_completion_cb cb, void *cb_arg,
                               struct spdk_bdev_ext_io_opts *opts);

/* Writes: buffers must stay untouched until the completion callback. */
int spdk_bdev_write(struct spdk_bdev_desc *desc, struct spdk_io_channel *ch, void *buf,
                    uint64_t offset, uint64_t nbytes, spdk_bdev_io_completion_cb cb, void *cb_arg);
int spdk_bdev_write_blocks(struct spdk_bdev_desc *desc, struct spdk_io_channel *ch, void *buf,
                           uint64_t offset_blocks, uint64_t num_blocks,
                           spdk_bdev_io_completion_cb cb, void *cb_arg);
int spdk_bdev_write_blocks_with_md(struct spdk_bdev_desc *desc, struct spdk_io_channel *ch,
                                   void *buf, void *md, uint64_t offset_blocks, uint64_t num_blocks,
                                   spdk_bdev_io_completion_cb cb, void *cb_arg);
int spdk_bdev_writev(struct spdk_bdev_desc *desc, struct spdk_io_channel *ch, struct iovec *iov,
                     int iovcnt, uint64_t offset, uint64_t len, spdk_bdev_io_completion_cb cb,
                     void *cb_arg);
int spdk_bdev_writev_blocks(struct spdk_bdev_desc *desc, struct spdk_io_channel *ch,
                            struct iovec *iov, int iovcnt, uint64_t offset_blocks,
                            uint64_t num_blocks, spdk_bdev_io_completion_cb cb, void *cb_arg);
int spdk_bdev_writev_blocks_with_md(struct spdk_bdev_desc *desc, struct spdk_io_channel *ch,
                                    struct iovec *iov, int iovcnt, void *md, uint64_t offset_blocks,
                                    uint64_t num_blocks, spdk_bdev_io_completion_cb cb,
                                    void *cb_arg);
int spdk_bdev_writev_blocks_ext(struct spdk_bdev_desc *desc, struct spdk_io_channel *ch,
                                struct iovec *iov, int iovcnt, uint64_t offset_blocks,
                                uint64_t num_blocks, spdk_bdev_io_completion_cb cb, void *cb_arg,
                                struct spdk_bdev_ext_io_opts *opts);

/* Compare: the I/O fails with status MISCOMPARE when the data differ. -ENOTSUP when
 * the bdev has no native compare. */
int spdk_bdev_compare_blocks(struct spdk_bdev_desc *desc, struct spdk_io_channel *ch, void *buf,
                             uint64_t offset_blocks, uint64_t num_blocks,
                             spdk_bdev_io_completion_cb cb, void *cb_arg);
int spdk_bdev_comparev_blocks(struct spdk_bdev_desc *desc, struct spdk_io_channel *ch,
                              struct iovec *iov, int iovcnt, uint64_t offset_blocks,
                              uint64_t num_blocks, spdk_bdev_io_completion_cb cb, void *cb_arg);

/* Zero-copy I/O is not provided by the embedded runtime: -ENOTSUP. */
int spdk_bdev_zcopy_start(struct spdk_bdev_desc *desc, struct spdk_io_channel *ch,
                          struct iovec *iov, int iovcnt, uint64_t offset_blocks,
                          uint64_t num_blocks, bool populate, spdk_bdev_io_completion_cb cb,
                          void *cb_arg);
int spdk_bdev_zcopy_end(struct spdk_bdev_io *bdev_io, bool commit, spdk_bdev_io_completion_cb cb,
                        void *cb_arg);

/* Writes zeroes; bdevs without native support get ordinary writes of a zero buffer. */
int spdk_bdev_write_zeroes(struct spdk_bdev_desc *desc, struct spdk_io_channel *ch, uint64_t offset,
                           uint64_t len, spdk_bdev_io_completion_cb cb, void *cb_arg);
int spdk_bdev_write_zeroes_blocks(struct spdk_bdev_desc *desc, struct spdk_io_channel *ch,
                                  uint64_t offset_blocks, uint64_t num_blocks,
                                  spdk_bdev_io_completion_cb cb, void *cb_arg);
/* Deallocates blocks; a later read of them returns whatever the bdev defines (zeroes
 * for malloc bdevs). */
int spdk_bdev_unmap(struct spdk_bdev_desc *desc, struct spdk_io_channel *ch, uint64_t offset,
                    uint64_t nbytes, spdk_bdev_io_completion_cb cb, void *cb_arg);
int spdk_bdev_unmap_blocks(struct spdk_bdev_desc *desc, struct spdk_io_channel *ch,
                           uint64_t offset_blocks, uint64_t num_blocks,
                           spdk_bdev_io_completion_cb cb, void *cb_arg);
/* Makes previous writes to the range durable. -ENOTSUP when the bdev has no flush. */
int spdk_bdev_flush(struct spdk_bdev_desc *desc, struct spdk_io_channel *ch, uint64_t offset,
                    uint64_t length, spdk_bdev_io_completion_cb cb, void *cb_arg);
int spdk_bdev_flush_blocks(struct spdk_bdev_desc *desc, struct spdk_io_channel *ch,
                           uint64_t offset_blocks, uint64_t num_blocks,
                           spdk_bdev_io_completion_cb cb, void *cb_arg);
/* Resets the bdev. */
int spdk_bdev_reset(struct spdk_bdev_desc *desc, struct spdk_io_channel *ch,
                    spdk_bdev_io_completion_cb cb, void *cb_arg);
/* Aborting I/O is not provided by the embedded runtime: -ENOTSUP. */
int spdk_bdev_abort(struct spdk_bdev_desc *desc, struct spdk_io_channel *ch, void *bio_cb_arg,
                    spdk_bdev_io_completion_cb cb, void *cb_arg);
/* Copies num_blocks blocks within the bdev. -ENOTSUP when the bdev has no copy. */
int spdk_bdev_copy_blocks(struct spdk_bdev_desc *desc, struct spdk_io_channel *ch,
                          uint64_t dst_offset_blocks, uint64_t src_offset_blocks,
                          uint64_t num_blocks, spdk_bdev_io_completion_cb cb, void *cb_arg);

/* Releases bdev_io after its completion callback ran. May call spdk_bdev_queue_io_wait
 * entries of this thread back before it returns. */
void spdk_bdev_free_io(struct spdk_bdev_io *bdev_io);

typedef void (*spdk_bdev_io_wait_cb)(void *cb_arg);

/* Caller-owned; must stay valid until cb_fn runs. */
struct spdk_bdev_io_wait_entry {
    struct spdk_bdev *bdev;
    spdk_bdev_io_wait_cb cb_fn;
    void *cb_arg;
    /* Queue at the head instead of the tail: for I/O that other I/O waits on. */
    bool dep_unblock;
    uint8_t pad[7];
    TAILQ_ENTRY(spdk_bdev_io_wait_entry) link;
};

/* After a submit returned -ENOMEM: queues entry on the calling thread, whose
 * entries are called back there in FIFO order as spdk_bdev_io are freed on it.
 * Returns 0, or -EINVAL when bdev is not entry->bdev or this thread still has a free
 * spdk_bdev_io. */
int spdk_bdev_queue_io_wait(struct spdk_bdev *bdev, struct spdk_io_channel *ch,
                            struct spdk_bdev_io_wait_entry *entry);

/* The statistics of the channel ch of bdev, then reset as reset_mode says. */
void spdk_bdev_get_io_stat(struct spdk_bdev *bdev, struct spdk_io_channel *ch,
                           struct spdk_bdev_io_stat *stat,
                           enum spdk_bdev_reset_stat_mode reset_mode);
/* The statistics of bdev summed over all its channels (and those already closed),
 * gathered by visiting each channel on its thread; cb gets them on the calling
 * thread. */
void spdk_bdev_get_device_stat(struct spdk_bdev *bdev, struct spdk_bdev_io_stat *stat,
                               enum spdk_bdev_reset_stat_mode reset_mode,
                               spdk_bdev_get_device_stat_cb cb, void *cb_arg);

/* Status details of a completed I/O, for any status. */
void spdk_bdev_io_get_nvme_status(const struct spdk_bdev_io *bdev_io, uint32_t *cdw0, int *sct,
                                  int *sc);
void spdk_bdev_io_get_scsi_status(const struct spdk_bdev_io *bdev_io, int *sc, int *sk, int *asc,
                                  int *ascq);
void spdk_bdev_io_get_aio_status(const struct spdk_bdev_io *bdev_io, int *aio_result);
void spdk_bdev_io_get_iovec(struct spdk_bdev_io *bdev_io, struct iovec **iovp, int *iovcntp);
void *spdk_bdev_io_get_md_buf(struct spdk_bdev_io *bdev_io);
void *spdk_bdev_io_get_cb_arg(struct spdk_bdev_io *bdev_io);

/* The embedded bdevs use no memory domains: both return 0. */
int spdk_bdev_get_memory_domains(struct spdk_bdev *bdev, struct spdk_memory_domain **domains,
                                 int array_size);
int spdk_bdev_get_memory_domain_types(struct spdk_bdev *bdev, enum spdk_dma_device_type *types,
                                      uint32_t array_size);

/* Visits each channel of bdev on its own thread; fn must call
 * spdk_bdev_for_each_channel_continue. cpl runs on the calling thread at the end or
 * at the first non-zero status. */
struct spdk_bdev_channel_iter;
typedef void (*spdk_bdev_for_each_channel_msg)(struct spdk_bdev_channel_iter *i,
                                               struct spdk_bdev *bdev, struct spdk_io_channel *ch,
                                               void *ctx);
typedef void (*spdk_bdev_for_each_channel_done)(struct spdk_bdev *bdev, void *ctx, int status);
void spdk_bdev_for_each_channel_continue(struct spdk_bdev_channel_iter *i, int status);
void spdk_bdev_for_each_channel(struct spdk_bdev *bdev, spdk_bdev_for_each_channel_msg fn,
                                void *ctx, spdk_bdev_for_each_channel_done cpl);

#ifdef __cplusplus
}
#endif

#endif /* SPDK_BDEV_H_ */
