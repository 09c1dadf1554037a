// Helpers of the thread, init and event conformance tests.
#pragma once

#include <cstdarg>
#include <cstdio>
#include <mutex>
#include <string>
#include <vector>

#include "spdk/log.h"

namespace spdk_test {

// Collects the messages logged while it lives (through spdk_log_open).
class LogCapture {
  public:
    LogCapture() {
        std::lock_guard guard(mutex());
        lines().clear();
        spdk_log_open(&LogCapture::callback);
    }
    ~LogCapture() { spdk_log_close(); }
    LogCapture(const LogCapture &) = delete;
    LogCapture &operator=(const LogCapture &) = delete;

    // Every message so far, one per line.
    std::string text() const {
        std::lock_guard guard(mutex());
        std::string all;
        for (const auto &line : lines()) {
            all += line;
        }
        return all;
    }
    bool contains(const std::string &needle) const {
        return text().find(needle) != std::string::npos;
    }
    size_t count(const std::string &needle) const {
        const std::string all = text();
        size_t n = 0;
        for (size_t pos = all.find(needle); pos != std::string::npos;
             pos = all.find(needle, pos + 1)) {
            ++n;
        }
        return n;
    }

  private:
    static std::mutex &mutex() {
        static std::mutex m;
        return m;
    }
    static std::vector<std::string> &lines() {
        static std::vector<std::string> l;
        return l;
    }
    static void callback(int /*level*/, const char * /*file*/, const int /*line*/,
                         const char * /*func*/, const char *format, va_list args) {
        char buf[1024];
        std::vsnprintf(buf, sizeof(buf), format, args);
        std::lock_guard guard(mutex());
        lines().emplace_back(buf);
    }
};

}  // namespace spdk_test
