// The error bdev, written on the wrappers: a virtual bdev `EE_<base>` stacked on a
// base bdev, forwarding I/O to it unless an error was injected (SPDK's
// module/bdev/error, a test aid for the code above a bdev).
//
// Driven by SPDK's own RPC methods, so SPDK JSON configs and scripts work unchanged:
//   bdev_error_create {"base_name", "uuid"?}                           -> true
//   bdev_error_delete {"name"}                                          -> true
//   bdev_error_inject_error {"name", "io_type", "error_type", "num"?,
//                            "queue_depth"?, "corrupt_offset"?, "corrupt_value"?} -> true
// As SPDK's: a create whose base does not exist yet is kept and made when the base
// appears (examine). The configuration lives until the error bdev is destroyed,
// by delete, by a hot removal of its base, or otherwise: a base that comes back
// gets no error bdev.
//
// Injection, per I/O type (read, write, unmap, flush; "all" sets the four, "clear"
// zeroes their counts): the next `num` I/O of that type that arrive while at least
// `queue_depth` I/O of the channel are at the base are
//   failure       completed as failed;
//   nomem         completed with NOMEM: the bdev layer submits them again later;
//   pending       held, until a reset of the error bdev completes them as aborted;
//   corrupt_data  forwarded, with the byte at corrupt_offset of the data XORed with
//                 corrupt_value: in the caller's buffer before a write, in the data
//                 read after a read (so corrupt_value must not be 0).
// Other I/O types are forwarded untouched. Difference from SPDK: I/O held pending is
// also completed as aborted when the error bdev starts going away (SPDK leaves it
// held, and its users' descriptors, which wait for their I/O, keep the bdev alive).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "spdkcpp/bdev_channel.hpp"
#include "spdkcpp/bdev_desc.hpp"
#include "spdkcpp/bdev_io.hpp"
#include "spdkcpp/bdev_module.hpp"
#include "spdkcpp/bdev_registration.hpp"
#include "spdkcpp/json_writer.hpp"
#include "spdkcpp/task.hpp"

namespace spdkcpp::error_bdev {

// What happens to an I/O chosen for an injected error (SPDK's vbdev_error_type).
enum class ErrorType : uint32_t { None, Failure, Pending, CorruptData, NoMemory };

// The I/O types an injection applies to: one of them, all four, or "clear".
enum class InjectTarget : uint32_t { Read, Write, Unmap, Flush, All, Clear };

struct Injection {
    InjectTarget target = InjectTarget::Read;
    ErrorType type = ErrorType::Failure;
    uint32_t count = 1;  // how many I/O it affects
    uint64_t queue_depth = 0;
    uint64_t corrupt_offset = 0;
    uint8_t corrupt_value = 0;
};

class ErrorOps {
  public:
    struct Channel;

    // Per I/O, in SPDK's per-I/O memory.
    struct IoContext {
        Channel *channel;
        ErrorType injected;
        uint8_t corrupt_value;
        uint64_t corrupt_offset;
    };

    struct Channel {
        static Result<Channel> create(ErrorOps &ops);
        Channel(Channel &&) noexcept;
        Channel &operator=(Channel &&) = delete;
        ~Channel();

        // Completes every I/O held pending as aborted.
        void abort_pending() noexcept;

        BdevChannel base;
        uint64_t at_base = 0;  // this channel's I/O forwarded and not yet back
        std::vector<BdevIo<ErrorOps>> pending;

      private:
        explicit Channel(BdevChannel b) noexcept;
    };

    // base: a descriptor holding the module's claim on the base bdev.
    explicit ErrorOps(BdevDesc base) noexcept;

    void submit(Channel &ch, BdevIo<ErrorOps> io);
    [[nodiscard]] bool supports(IoType type) const;
    void destruct();
    void dump_info_json(JsonWriter &w) const;
    // No write_config_json: the module's config_json recreates the bdev, as SPDK's.

    // Applies an injection (already validated) to this bdev.
    void inject(const Injection &injection);

    // A read-only descriptor of this bdev: its REMOVE event, the first sign that
    // the bdev is going away, releases the I/O held pending.
    void watch(BdevDesc self) noexcept { self_ = std::move(self); }

    [[nodiscard]] Bdev base() const noexcept { return base_.bdev(); }
    [[nodiscard]] const std::string &base_name() const noexcept { return base_name_; }

  private:
    // One per injectable I/O type. Set on the app thread, read by every thread
    // that submits: the count is taken atomically (each error affects exactly
    // one I/O), the rest are relaxed, as SPDK's plain fields.
    struct Slot {
        std::atomic<ErrorType> type{ErrorType::None};
        std::atomic<uint32_t> remaining{0};
        std::atomic<uint64_t> queue_depth{0};
        std::atomic<uint64_t> corrupt_offset{0};
        std::atomic<uint8_t> corrupt_value{0};
    };

    static void base_done(BdevIo<ErrorOps> io, BaseIo base);
    static Task<void> reset(BdevIo<ErrorOps> io);

    // The error an I/O of `type` gets, if any, taking one from the count.
    ErrorType take(IoType type, const Channel &ch, IoContext &ctx) noexcept;

    std::string base_name_;
    BdevDesc base_;
    BdevDesc self_;
    std::array<Slot, 4> slots_;  // read, write, unmap, flush
};

class ErrorModule {
  public:
    // Configures EE_<base_name>: made now when the base exists, else when it
    // appears. AlreadyExists when the base already has one configured.
    Result<void> create(const std::string &base_name, const std::optional<std::string> &uuid);
    // Unregisters the error bdev `name`; BdevNotFound when there is none.
    Task<Result<void>> remove(std::string name);
    // Injects into the error bdev `name`.
    Result<void> inject(const std::string &name, const Injection &injection);

    void examine_config(Bdev bdev);
    void config_json(JsonWriter &w) const;

    // The base of an error bdev was hot-removed: the error bdev goes too.
    void base_removed(const std::string &base_name);
    // An error bdev is being destroyed: its configuration goes with it.
    void destroyed(const std::string &base_name);

  private:
    struct Config {
        std::string base_name;
        std::string uuid;  // empty: derived from the base's
    };

    Result<void> attach(const Config &config);
    Config *find_config(const std::string &base_name);

    std::vector<Config> configs_;
    std::vector<BdevRegistration<ErrorOps>> bdevs_;
};

// The module object (SPDK's module name "error").
extern BdevModule<ErrorModule, ErrorOps> module;

}  // namespace spdkcpp::error_bdev
