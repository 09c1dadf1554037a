// The application's RPC servers (spdk/init.h): spdk_rpc_initialize serves the
// registered methods on a Unix socket, polled by one timed poller on the thread
// that started the first server (the app thread, for the app framework). Every
// function here runs on that thread.
#include <memory>
#include <string>
#include <vector>

#include "spdk/init.h"
#include "spdk/jsonrpc.h"
#include "spdk/log.h"
#include "spdk/rpc.h"
#include "spdk/thread.h"

namespace {

// SPDK polls its RPC servers every 4 ms.
constexpr uint64_t kPollPeriodUs = 4000;

struct InitServer {
    std::string addr;
    spdk_rpc_server *server = nullptr;  // null once finished during a poll
    bool active = true;                 // not paused
};

std::vector<std::unique_ptr<InitServer>> g_servers;
spdk_poller *g_poller = nullptr;
bool g_polling = false;

InitServer *find(const char *addr) {
    for (auto &s : g_servers) {
        if (s->server != nullptr && s->addr == addr) {
            return s.get();
        }
    }
    return nullptr;
}

int poll_servers(void * /*arg*/) {
    g_polling = true;
    // A method may finish a server (or start one) while it is polled.
    for (size_t i = 0; i < g_servers.size(); ++i) {
        InitServer *s = g_servers[i].get();
        if (s->active && s->server != nullptr) {
            spdk_rpc_server_accept(s->server);
        }
    }
    g_polling = false;
    std::erase_if(g_servers, [](const auto &s) { return s->server == nullptr; });
    if (g_servers.empty()) {
        spdk_poller_unregister(&g_poller);
    }
    // Idle, whatever was served: the RPC poller never keeps a napping reactor awake.
    return SPDK_POLLER_IDLE;
}

void set_log_opts(const spdk_rpc_opts *opts) {
    FILE *file = nullptr;
    spdk_log_level level = SPDK_LOG_DISABLED;
    if (opts != nullptr) {
        if (offsetof(spdk_rpc_opts, log_file) + sizeof(opts->log_file) <= opts->size) {
            file = opts->log_file;
        }
        if (offsetof(spdk_rpc_opts, log_level) + sizeof(opts->log_level) <= opts->size) {
            level = opts->log_level;
        }
    } else if (!g_servers.empty()) {
        return;  // as SPDK: a later server without options keeps the first's
    }
    spdk_jsonrpc_set_log_file(file);
    spdk_jsonrpc_set_log_level(level);
}

void set_active(const char *addr, bool active) {
    InitServer *s = addr != nullptr ? find(addr) : nullptr;
    if (s == nullptr) {
        SPDK_ERRLOG("no RPC server listens on %s\n", addr != nullptr ? addr : "(null)");
        return;
    }
    s->active = active;
}

}  // namespace

extern "C" {

int spdk_rpc_initialize(const char *listen_addr, const struct spdk_rpc_opts *opts) {
    if (listen_addr == nullptr) {
        return -EINVAL;
    }
    if (!spdk_rpc_verify_methods()) {
        SPDK_ERRLOG("an RPC method registration failed (see above): not serving RPCs\n");
        return -EINVAL;
    }
    if (opts != nullptr && opts->size == 0) {
        SPDK_ERRLOG("spdk_rpc_initialize: opts->size is 0\n");
        return -EINVAL;
    }
    if (find(listen_addr) != nullptr) {
        SPDK_ERRLOG("this process already serves RPCs on %s\n", listen_addr);
        return -EADDRINUSE;
    }
    spdk_rpc_server *server = spdk_rpc_server_listen(listen_addr);
    if (server == nullptr) {
        SPDK_ERRLOG("Unable to start RPC service at %s\n", listen_addr);
        return -EINVAL;
    }
    set_log_opts(opts);
    auto s = std::make_unique<InitServer>();
    s->addr = listen_addr;
    s->server = server;
    g_servers.push_back(std::move(s));
    if (g_poller == nullptr) {
        g_poller = spdk_poller_register_named(poll_servers, nullptr, kPollPeriodUs, "rpc_server");
    }
    return 0;
}

void spdk_rpc_server_finish(const char *listen_addr) {
    InitServer *s = listen_addr != nullptr ? find(listen_addr) : nullptr;
    if (s == nullptr) {
        SPDK_ERRLOG("no RPC server listens on %s\n", listen_addr != nullptr ? listen_addr : "");
        return;
    }
    spdk_rpc_server_close(s->server);
    s->server = nullptr;
    if (!g_polling) {
        std::erase_if(g_servers, [](const auto &e) { return e->server == nullptr; });
        if (g_servers.empty()) {
            spdk_poller_unregister(&g_poller);
        }
    }
}

void spdk_rpc_finish(void) {
    std::vector<std::string> addrs;
    for (const auto &s : g_servers) {
        if (s->server != nullptr) {
            addrs.push_back(s->addr);
        }
    }
    for (const std::string &addr : addrs) {
        spdk_rpc_server_finish(addr.c_str());
    }
}

void spdk_rpc_server_pause(const char *listen_addr) {
    set_active(listen_addr, false);
}

void spdk_rpc_server_resume(const char *listen_addr) {
    set_active(listen_addr, true);
}

}  // extern "C"
