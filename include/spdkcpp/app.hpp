// App: runs a main task inside SPDK's app framework (spdk_app_start/stop).
//
//   int main(int argc, char **argv) {
//       auto app = spdkcpp::App::from_args(argc, argv, "my_app");
//       if (!app) return 1;
//       return (*app)->run(my_main());   // Task<Result<void>>, Task<int> or Task<void>
//   }
#pragma once

#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "spdk/event.h"
#include "spdk/log.h"
#include "spdkcpp/error.hpp"
#include "spdkcpp/task.hpp"

namespace spdkcpp {

// An application-specific command-line flag, parsed along with SPDK's own.
struct AppFlag {
    char letter;
    const char *arg_name;  // null for a flag without an argument
    const char *help;
    std::function<Result<void>(std::string_view)> apply;
};

struct AppOptions {
    std::string name = "spdkcpp";
    std::string core_mask;         // SPDK's default when empty
    std::string json_config_file;  // an SPDK JSON config file
    std::string json_config;       // or an SPDK JSON config held in memory
    std::optional<int> mem_size_mb;
    bool no_huge = false;
    bool no_pci = true;
    // SPDK claims each core of the mask with a lock file (/var/tmp/spdk_cpu_lock_*),
    // so two apps on one core refuse to start; off lets them share cores.
    bool disable_cpumask_locks = false;
    // The RPC server's Unix socket (SPDK's /var/tmp/spdk.sock when empty), where
    // SPDK's scripts/rpc.py and the app's own RpcMethods are served.
    std::string rpc_addr;
    bool no_rpc_server = false;  // SPDK's --no-rpc-server
    // SPDK's --wait-for-rpc: the subsystems, and then the main task, wait for the
    // framework_start_init RPC (methods allowed in SPDK_RPC_STARTUP run before).
    bool wait_for_rpc = false;
    // Runs on SIGINT/SIGTERM instead of SPDK's default (stopping the app at once);
    // the main task is then expected to wind down and finish.
    std::function<void()> on_shutdown;
};

class App {
  public:
    explicit App(AppOptions options) : options_(std::move(options)) {
        opts_.opts_size = sizeof(opts_);
        spdk_app_opts_init(&opts_, sizeof(opts_));
        apply();
    }
    App(const App &) = delete;
    App &operator=(const App &) = delete;
    App(App &&) = delete;
    App &operator=(App &&) = delete;
    ~App() = default;

    // SPDK's common command-line options (-m, -c/--json, -s, --no-huge, -L, ...)
    // plus the application's own flags. InvalidParameter after printing usage for
    // a bad command line; Cancelled for -h (usage printed).
    static Result<std::unique_ptr<App>> from_args(int argc, char **argv, const std::string &name,
                                                  std::vector<AppFlag> flags = {}) {
        AppOptions options;
        options.name = name;
        auto app = std::make_unique<App>(std::move(options));
        app->flags_ = std::move(flags);
        std::string getopt;
        for (const AppFlag &f : app->flags_) {
            getopt += f.letter;
            if (f.arg_name != nullptr) {
                getopt += ':';
            }
        }
        // spdk_app_parse_args' callbacks take no context: point them at this app
        // for the duration of the call.
        parsing() = app.get();
        const auto rc =
            spdk_app_parse_args(argc, argv, &app->opts_, getopt.empty() ? nullptr : getopt.c_str(),
                                nullptr, &App::parse_flag, &App::print_flags);
        parsing() = nullptr;
        switch (rc) {
            case SPDK_APP_PARSE_ARGS_SUCCESS:
                return app;
            case SPDK_APP_PARSE_ARGS_HELP:
                return fail(ErrorKind::Cancelled, "help requested");
            default:
                return fail(ErrorKind::InvalidParameter, "bad command line");
        }
    }

    [[nodiscard]] spdk_app_opts &raw_options() noexcept { return opts_; }
    [[nodiscard]] AppOptions &options() noexcept { return options_; }

    // Starts the framework, runs main on the app thread and stops the framework
    // when main finishes. Returns the process exit code: for Task<int> the task's
    // value, for Task<Result<U>> 0 or 1 (the error is logged), for Task<void> 0;
    // non-zero when the framework cannot start (bad core mask, bad config).
    template <typename T>
    int run(Task<T> main) {
        apply();
        Run<T> run{std::move(main), 0};
        running() = this;
        // With --wait-for-rpc the main task may never start (the app is stopped while
        // it waits for framework_start_init): SPDK's own handlers then stop it, as
        // they do for SPDK's apps, instead of the App's holding the signal until the
        // main task starts.
        const bool own_signals = !opts_.disable_signal_handlers && !opts_.delay_subsystem_init;
        Signals::started = false;
        Signals::Saved saved{};
        if (own_signals) {
            Signals::install(saved);
            opts_.disable_signal_handlers = true;
        }
        const int rc = spdk_app_start(&opts_, &Run<T>::start, &run);
        if (own_signals) {
            Signals::restore(saved);
            opts_.disable_signal_handlers = false;
        }
        running() = nullptr;
        spdk_app_fini();
        if (rc < 0) {
            return EXIT_FAILURE;
        }
        return rc;
    }

  private:
    template <typename T>
    struct Run {
        Task<T> task;
        int exit_code;

        static void start(void *arg) {
            auto *self = static_cast<Run *>(arg);
            detail::notify_on_finish(self->task, &Run::finished, self);
            Signals::app_thread_started();
            detail::TaskAccess::handle(self->task).resume();
        }

        static void finished(void *arg) {
            auto *self = static_cast<Run *>(arg);
            auto &promise = detail::TaskAccess::handle(self->task).promise();
            if constexpr (std::is_same_v<T, int>) {
                self->exit_code = *promise.value;
            } else if constexpr (!std::is_void_v<T>) {
                if (!*promise.value) {
                    const std::string text = promise.value->error().message();
                    SPDK_ERRLOG("%s\n", text.c_str());
                    self->exit_code = EXIT_FAILURE;
                }
            }
            spdk_app_stop(self->exit_code);
        }
    };

    // SIGINT and SIGTERM are the App's own (SPDK's handlers are turned off): a
    // signal that comes while SPDK starts is kept and delivered once the app thread
    // runs, where SPDK's handler would send it to an app thread not yet there and
    // then ignore every later one. The first signal starts SPDK's shutdown
    // (on_shutdown, or stopping the app); later ones change nothing, as in SPDK.
    // SIGPIPE is ignored, as SPDK's handlers do (a peer that closed a socket).
    struct Signals {
        struct Saved {
            struct sigaction int_action, term_action, pipe_action;
        };
        static inline std::atomic<bool> pending{false};
        static inline std::atomic<bool> started{false};
        static inline std::atomic<bool> delivered{false};

        static void deliver() {
            if (!delivered.exchange(true)) {
                spdk_app_start_shutdown();
            }
        }
        static void handle(int /*signo*/) {
            pending.store(true);
            if (started.load()) {
                deliver();
            }
        }
        static void app_thread_started() {
            started.store(true);
            if (pending.load()) {
                deliver();
            }
        }
        static void install(Saved &saved) {
            pending = false;
            started = false;
            delivered = false;
            struct sigaction sa {};
            sigemptyset(&sa.sa_mask);
            sa.sa_handler = SIG_IGN;
            sigaction(SIGPIPE, &sa, &saved.pipe_action);
            sa.sa_handler = &Signals::handle;
            sigaction(SIGINT, &sa, &saved.int_action);
            sigaction(SIGTERM, &sa, &saved.term_action);
        }
        static void restore(const Saved &saved) {
            sigaction(SIGINT, &saved.int_action, nullptr);
            sigaction(SIGTERM, &saved.term_action, nullptr);
            sigaction(SIGPIPE, &saved.pipe_action, nullptr);
            started = false;
        }
    };

    // The App inside spdk_app_start, for SPDK's context-free shutdown callback.
    static App *&running() noexcept {
        static App *app = nullptr;
        return app;
    }

    static void shutdown() {
        if (!Signals::started.load()) {
            spdk_app_stop(0);  // no main task to wind down yet (--wait-for-rpc)
            return;
        }
        if (App *app = running(); app != nullptr && app->options_.on_shutdown) {
            app->options_.on_shutdown();
        }
    }

    static App *&parsing() noexcept {
        static App *app = nullptr;
        return app;
    }

    static int parse_flag(int letter, char *arg) {
        for (const AppFlag &f : parsing()->flags_) {
            if (f.letter == letter) {
                auto r = f.apply(arg != nullptr ? std::string_view(arg) : std::string_view());
                if (!r) {
                    fprintf(stderr, "-%c: %s\n", letter, r.error().message().c_str());
                    return -EINVAL;
                }
                return 0;
            }
        }
        return -EINVAL;
    }

    static void print_flags() {
        for (const AppFlag &f : parsing()->flags_) {
            fprintf(stderr, " -%c %-18s %s\n", f.letter, f.arg_name != nullptr ? f.arg_name : "",
                    f.help);
        }
    }

    void apply() {
        opts_.name = options_.name.c_str();
        if (!options_.core_mask.empty()) {
            opts_.reactor_mask = options_.core_mask.c_str();
        }
        if (!options_.json_config_file.empty()) {
            opts_.json_config_file = options_.json_config_file.c_str();
        }
        if (!options_.json_config.empty()) {
            opts_.json_data = options_.json_config.data();
            opts_.json_data_size = options_.json_config.size();
        }
        if (options_.mem_size_mb) {
            opts_.mem_size = *options_.mem_size_mb;
        }
        // Flags only add to what the command line (from_args) may have set.
        opts_.no_huge = opts_.no_huge || options_.no_huge;
        opts_.no_pci = opts_.no_pci || options_.no_pci;
        opts_.disable_cpumask_locks = opts_.disable_cpumask_locks || options_.disable_cpumask_locks;
        if (!options_.rpc_addr.empty()) {
            opts_.rpc_addr = options_.rpc_addr.c_str();
        }
        if (options_.no_rpc_server) {
            opts_.rpc_addr = nullptr;
        }
        opts_.delay_subsystem_init = opts_.delay_subsystem_init || options_.wait_for_rpc;
        opts_.shutdown_cb = options_.on_shutdown ? &App::shutdown : nullptr;
    }

    AppOptions options_;  // owns the strings opts_ points into
    std::vector<AppFlag> flags_;
    spdk_app_opts opts_{};
};

}  // namespace spdkcpp
