// Internal layout of the embedded runtime's threads, pollers and I/O channels,
// shared by the files of runtime/src/thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

#include "internal/internal_send.hpp"
#include "spdk/thread.h"

namespace spdk_embedded {

constexpr size_t kThreadNameLen = 128;
constexpr size_t kPollerNameLen = 128;
// Messages run per spdk_thread_poll at most (SPDK's batch).
constexpr uint32_t kMsgBatch = 8;
// Capacity of a thread's message ring (SPDK's ring size).
constexpr uint64_t kMaxRingSize = 65536;
// An exiting thread whose pollers or channels are never released is forced out.
constexpr uint64_t kExitTimeoutSec = 5;

// An intrusive doubly linked list over the Prev/Next members of T.
template <typename T, T *T::*Prev, T *T::*Next>
struct IntrusiveList {
    T *head = nullptr;
    T *tail = nullptr;

    bool empty() const { return head == nullptr; }

    void push_back(T *n) {
        n->*Prev = tail;
        n->*Next = nullptr;
        if (tail != nullptr) {
            tail->*Next = n;
        } else {
            head = n;
        }
        tail = n;
    }

    // Inserts n right after pos (pos == nullptr: at the front).
    void insert_after(T *pos, T *n) {
        if (pos == nullptr) {
            n->*Prev = nullptr;
            n->*Next = head;
            if (head != nullptr) {
                head->*Prev = n;
            } else {
                tail = n;
            }
            head = n;
            return;
        }
        n->*Prev = pos;
        n->*Next = pos->*Next;
        if (pos->*Next != nullptr) {
            (pos->*Next)->*Prev = n;
        } else {
            tail = n;
        }
        pos->*Next = n;
    }

    void remove(T *n) {
        if (n->*Prev != nullptr) {
            (n->*Prev)->*Next = n->*Next;
        } else {
            head = n->*Next;
        }
        if (n->*Next != nullptr) {
            (n->*Next)->*Prev = n->*Prev;
        } else {
            tail = n->*Prev;
        }
        n->*Prev = nullptr;
        n->*Next = nullptr;
    }
};

enum class ThreadState : uint32_t { kRunning, kExiting, kExited };
enum class PollerState : uint8_t { kWaiting, kRunning, kUnregistered, kPausing, kPaused };

// One slot of a thread's message ring. seq counts laps relative to the slot's
// index, so a zero-filled ring is empty and its pages are touched only when used.
struct MsgSlot {
    uint64_t seq;
    spdk_msg_fn fn;
    void *arg;
};

// An internal message that found the ring full (rare; allocated).
struct OverflowMsg {
    spdk_msg_fn fn;
    void *arg;
    OverflowMsg *next;
};

struct IoDevice;

}  // namespace spdk_embedded

struct spdk_poller {
    spdk_poller *prev;
    spdk_poller *next;
    spdk_poller_fn fn;
    void *arg;
    spdk_thread *thread;
    uint64_t period_ticks;
    uint64_t next_run_tick;
    uint64_t id;
    uint64_t run_count;
    uint64_t busy_count;
    spdk_embedded::PollerState state;
    char name[spdk_embedded::kPollerNameLen];
};

// The channel header; the device's context follows at SPDK_IO_CHANNEL_STRUCT_SIZE.
struct spdk_io_channel {
    spdk_thread *thread;
    spdk_embedded::IoDevice *dev;
    spdk_io_channel_destroy_cb destroy_cb;
    uint32_t ref;
    uint32_t destroy_ref;
    spdk_io_channel *thr_prev;
    spdk_io_channel *thr_next;
    spdk_io_channel *dev_prev;
    spdk_io_channel *dev_next;
};
static_assert(sizeof(spdk_io_channel) <= SPDK_IO_CHANNEL_STRUCT_SIZE);

namespace spdk_embedded {

using PollerList = IntrusiveList<spdk_poller, &spdk_poller::prev, &spdk_poller::next>;
using ThreadChannelList =
    IntrusiveList<spdk_io_channel, &spdk_io_channel::thr_prev, &spdk_io_channel::thr_next>;
using DeviceChannelList =
    IntrusiveList<spdk_io_channel, &spdk_io_channel::dev_prev, &spdk_io_channel::dev_next>;

struct IoDevice {
    void *io_device = nullptr;
    spdk_io_channel_create_cb create_cb = nullptr;
    spdk_io_channel_destroy_cb destroy_cb = nullptr;
    spdk_io_device_unregister_cb unregister_cb = nullptr;
    spdk_thread *unregister_thread = nullptr;
    uint32_t ctx_size = 0;
    uint32_t refcnt = 0;          // channels alive
    uint32_t for_each_count = 0;  // spdk_for_each_channel walks in flight
    bool unregistered = false;
    bool pending_unregister = false;
    DeviceChannelList channels;
    std::string name;
};

}  // namespace spdk_embedded

struct spdk_thread {
    // Read by senders, written rarely.
    alignas(64) spdk_embedded::MsgSlot *msg_slots = nullptr;
    uint64_t msg_mask = 0;
    std::atomic<spdk_embedded::ThreadState> state{spdk_embedded::ThreadState::kRunning};
    std::atomic<spdk_msg_fn> critical_msg{nullptr};
    std::atomic<bool> overflow_pending{false};
    std::atomic<bool> full_logged{false};  // a full ring is logged once per thread
    // Claimed by senders.
    alignas(64) std::atomic<uint64_t> msg_tail{0};
    // Everything below belongs to whoever polls the thread.
    alignas(64) std::atomic<uint64_t> msg_head{0};
    uint64_t now = 0;  // the thread's notion of time: the `now` of its last poll
    // Until its first poll a thread's clock is the creation time; timers set before
    // then are moved to count from the first poll's `now`.
    bool clock_started = false;
    spdk_embedded::PollerList active_pollers;
    spdk_embedded::PollerList timed_pollers;  // sorted by next_run_tick
    spdk_embedded::PollerList paused_pollers;
    spdk_embedded::ThreadChannelList channels;
    uint32_t for_each_count = 0;
    uint32_t pending_unregister_count = 0;
    uint64_t exit_deadline = 0;
    uint64_t next_poller_id = 1;
    uint64_t id = 0;
    bool bound = false;
    spdk_thread_stats stats{};
    spdk_thread *list_prev = nullptr;
    spdk_thread *list_next = nullptr;
    std::mutex overflow_lock;
    spdk_embedded::OverflowMsg *overflow_head = nullptr;
    spdk_embedded::OverflowMsg *overflow_tail = nullptr;
    spdk_cpuset cpumask{};
    char name[spdk_embedded::kThreadNameLen] = {};
    // The scheduler's context follows, at thread_ctx_offset().
};

namespace spdk_embedded {

using ThreadList = IntrusiveList<spdk_thread, &spdk_thread::list_prev, &spdk_thread::list_next>;

// The library's global state; lock guards the thread list and the device map.
struct ThreadLib {
    std::mutex lock;
    bool initialized = false;
    std::atomic<bool> finishing{false};  // inside spdk_thread_lib_fini
    spdk_new_thread_fn new_thread_fn = nullptr;
    spdk_thread_op_fn thread_op_fn = nullptr;
    spdk_thread_op_supported_fn thread_op_supported_fn = nullptr;
    size_t ctx_sz = 0;
    uint64_t ring_size = kMaxRingSize;
    ThreadList threads;
    std::atomic<uint32_t> thread_count{0};
    uint64_t next_thread_id = 1;  // never reset, as in SPDK
    std::atomic<spdk_thread *> app_thread{nullptr};
    std::unordered_map<void *, IoDevice *> devices;
};

ThreadLib &thread_lib();

extern constinit thread_local spdk_thread *t_current_thread
    __attribute__((tls_model("initial-exec")));

inline spdk_thread *current_thread() {
    return t_current_thread;
}

// Releases what a thread still holds at its end (channels; logged).
void release_thread_channels(spdk_thread *thread);
// Frees devices left registered at spdk_thread_lib_fini (logged).
void release_leftover_devices();

}  // namespace spdk_embedded
