// The text an SPDK JSON writer produces: json_text([](spdk_json_write_ctx *w) {...}).
#pragma once

#include <string>

#include "spdk/json.h"

namespace spdkcpp::testing {

// Runs write(w) on a writer whose output is collected; "" when the writer cannot be
// made, and the text (whatever write_end says of it) otherwise.
template <typename F>
std::string json_text(F &&write, uint32_t flags = 0) {
    std::string out;
    spdk_json_write_ctx *w = spdk_json_write_begin(
        [](void *ctx, const void *data, size_t size) {
            static_cast<std::string *>(ctx)->append(static_cast<const char *>(data), size);
            return 0;
        },
        &out, flags);
    if (w == nullptr) {
        return {};
    }
    write(w);
    spdk_json_write_end(w);
    return out;
}

}  // namespace spdkcpp::testing
