// Runs an SPDK application (rpc_test_app, or another) as a child process with its
// own RPC socket in a private temporary directory, so that tests running in
// parallel never share a socket nor need SPDK's default path. A process per app:
// SPDK's environment starts once per process, and a restart is a new process.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "rpc_client.hpp"

extern char **environ;

namespace spdkcpp::testing {

// What every app started by the tests gets, on either provider (SPDK needs a memory
// size without hugepages, and lock-free cores to share them with other tests).
inline std::vector<std::string> base_app_args() {
    return {"--no-huge", "-s", "512", "--disable-cpumask-locks"};
}

// A private directory, removed with what is in it.
class TempDir {
  public:
    TempDir() {
        char templ[] = "/tmp/spdkcpp-rpc-XXXXXX";
        const char *made = mkdtemp(templ);
        path_ = made != nullptr ? made : "";
    }
    TempDir(const TempDir &) = delete;
    TempDir &operator=(const TempDir &) = delete;
    ~TempDir() {
        std::error_code ec;
        if (!path_.empty()) {
            std::filesystem::remove_all(path_, ec);
        }
    }
    [[nodiscard]] const std::string &path() const { return path_; }
    [[nodiscard]] std::string file(const std::string &name) const { return path_ + "/" + name; }

  private:
    std::string path_;
};

class AppProcess {
  public:
    // program with base_app_args, -r socket, then args; its output goes to a log
    // file in the directory (shown by log()).
    AppProcess(std::string program, std::string socket, std::vector<std::string> args,
               std::string log_path)
        : program_(std::move(program)),
          socket_(std::move(socket)),
          args_(std::move(args)),
          log_path_(std::move(log_path)) {}
    AppProcess(const AppProcess &) = delete;
    AppProcess &operator=(const AppProcess &) = delete;
    ~AppProcess() {
        if (pid_ > 0) {
            kill(pid_, SIGKILL);
            waitpid(pid_, nullptr, 0);
        }
    }

    // Starts the process; false when it cannot be spawned.
    bool spawn(bool with_socket_arg = true) {
        std::vector<std::string> argv_s{program_};
        for (const std::string &a : base_app_args()) {
            argv_s.push_back(a);
        }
        if (with_socket_arg) {
            argv_s.push_back("-r");
            argv_s.push_back(socket_);
        }
        for (const std::string &a : args_) {
            argv_s.push_back(a);
        }
        std::vector<char *> argv;
        for (std::string &a : argv_s) {
            argv.push_back(a.data());
        }
        argv.push_back(nullptr);
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log_path_.c_str(),
                                         O_WRONLY | O_CREAT | O_APPEND, 0600);
        posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
        const int rc =
            posix_spawn(&pid_, program_.c_str(), &actions, nullptr, argv.data(), environ);
        posix_spawn_file_actions_destroy(&actions);
        if (rc != 0) {
            pid_ = -1;
            return false;
        }
        return true;
    }

    // Starts the process and waits until its socket accepts; false when it exits or
    // does not listen within timeout.
    bool start(std::chrono::milliseconds timeout = 60s) {
        if (!spawn()) {
            return false;
        }
        return wait_listening(timeout);
    }

    bool wait_listening(std::chrono::milliseconds timeout = 60s) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (std::chrono::steady_clock::now() < deadline) {
            if (!running()) {
                return false;
            }
            if (auto c = RpcClient::connect(socket_, 0ms)) {
                return true;
            }
            std::this_thread::sleep_for(20ms);
        }
        return false;
    }

    // Whether the process still runs (it is reaped when it has exited).
    bool running() {
        if (pid_ <= 0) {
            return false;
        }
        int status = 0;
        const pid_t r = waitpid(pid_, &status, WNOHANG);
        if (r == pid_) {
            pid_ = -1;
            status_ = status;
            return false;
        }
        return true;
    }

    // Waits for the process to exit; its exit code, -signal when a signal ended it,
    // or nullopt when it still runs at the deadline.
    std::optional<int> wait_exit(std::chrono::milliseconds timeout = 60s) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (running()) {
            if (std::chrono::steady_clock::now() > deadline) {
                return std::nullopt;
            }
            std::this_thread::sleep_for(10ms);
        }
        if (!status_) {
            return std::nullopt;
        }
        if (WIFEXITED(*status_)) {
            return WEXITSTATUS(*status_);
        }
        return WIFSIGNALED(*status_) ? -WTERMSIG(*status_) : -1;
    }

    // SIGTERM, then the exit code (as wait_exit).
    std::optional<int> stop(std::chrono::milliseconds timeout = 60s) {
        if (pid_ > 0) {
            kill(pid_, SIGTERM);
        }
        return wait_exit(timeout);
    }

    [[nodiscard]] pid_t pid() const { return pid_; }
    [[nodiscard]] const std::string &socket() const { return socket_; }

    // What the process printed.
    [[nodiscard]] std::string log() const {
        std::ifstream in(log_path_);
        return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }

    std::optional<RpcClient> client(std::chrono::milliseconds timeout = 10s) const {
        return RpcClient::connect(socket_, timeout);
    }

  private:
    std::string program_;
    std::string socket_;
    std::vector<std::string> args_;
    std::string log_path_;
    pid_t pid_ = -1;
    std::optional<int> status_;
};

}  // namespace spdkcpp::testing
