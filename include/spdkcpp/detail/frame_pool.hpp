// Recycles coroutine frames per OS thread, so code that makes a Task per request
// does not go to the heap for each one once warm.
#pragma once

#include <array>
#include <cstddef>
#include <new>

namespace spdkcpp::detail {

class FramePool {
  public:
    static constexpr std::size_t kGranule = 64;
    static constexpr std::size_t kClasses = 32;  // frames up to 2 KiB are recycled
    static constexpr std::size_t kMaxCached = 256;

    static void *allocate(std::size_t size) {
        const std::size_t cls = class_of(size);
        if (cls < kClasses) {
            Bucket &b = local().buckets[cls];
            if (b.head != nullptr) {
                Node *n = b.head;
                b.head = n->next;
                --b.count;
                return n;
            }
            return ::operator new((cls + 1) * kGranule);
        }
        return ::operator new(size);
    }

    static void deallocate(void *p, std::size_t size) noexcept {
        const std::size_t cls = class_of(size);
        if (cls < kClasses) {
            Bucket &b = local().buckets[cls];
            if (b.count < kMaxCached) {
                b.head = new (p) Node{b.head};
                ++b.count;
                return;
            }
            ::operator delete(p, (cls + 1) * kGranule);
            return;
        }
        ::operator delete(p, size);
    }

  private:
    struct Node {
        Node *next;
    };
    struct Bucket {
        Node *head = nullptr;
        std::size_t count = 0;
    };
    struct Cache {
        std::array<Bucket, kClasses> buckets{};
        Cache() = default;
        Cache(const Cache &) = delete;
        Cache &operator=(const Cache &) = delete;
        ~Cache() {
            for (std::size_t cls = 0; cls < kClasses; ++cls) {
                while (Node *n = buckets[cls].head) {
                    buckets[cls].head = n->next;
                    ::operator delete(n, (cls + 1) * kGranule);
                }
            }
        }
    };

    static std::size_t class_of(std::size_t size) noexcept { return (size - 1) / kGranule; }
    static Cache &local() {
        thread_local Cache cache;
        return cache;
    }
};

}  // namespace spdkcpp::detail
