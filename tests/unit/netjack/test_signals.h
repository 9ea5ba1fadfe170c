// SPDX-License-Identifier: MIT
/** \file
 * What the NetJack tests share: waiting, the test signal (the same as
 * tests/tools/jacknet_peer.cpp's), a program that checks an echo of it, an
 * echo, and running libjacknet's peer in a child process.
 */
#pragma once

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tutti/driver.h"

extern char** environ;

namespace tutti::nettest {

using Clock = std::chrono::steady_clock;

inline bool wait_for(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    while (!done()) {
        if (Clock::now() >= deadline) {
            return false;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return true;
}

/// Channel c at frame t: an integer below 32767 scaled by 1/32767, so that
/// int16 carries it exactly up to float rounding.
inline float signal(int c, std::uint64_t t) {
    return static_cast<float>(
               static_cast<int>((t * 7 + static_cast<std::uint64_t>(c) * 1013) % 32767)) /
           32767.0f;
}

/// A master's program: sends signal(c, t) on every output, checks that every
/// input is its signal `delay` frames earlier. Locked from the first block
/// that matches entirely; every later frame is counted.
class Checker final : public AudioCallback {
public:
    Checker(int channels, std::int64_t delay, float tolerance)
        : channels_(channels), delay_(delay), tolerance_(tolerance) {
    }
    void process(int frames, const float* const* in, float* const* out) noexcept override {
        const std::uint64_t t0 = frames_;
        for (int c = 0; c < channels_; ++c) {
            for (int i = 0; i < frames; ++i) {
                out[c][i] = signal(c, t0 + static_cast<std::uint64_t>(i));
            }
        }
        std::uint64_t bad = 0;
        for (int c = 0; c < channels_; ++c) {
            for (int i = 0; i < frames; ++i) {
                const std::int64_t t = static_cast<std::int64_t>(t0) + i - delay_;
                const float want = t >= 0 ? signal(c, static_cast<std::uint64_t>(t)) : 0.0f;
                bad += std::fabs(in[c][i] - want) > tolerance_;
            }
        }
        if (!locked_.load(std::memory_order_relaxed)) {
            if (bad == 0 && t0 >= static_cast<std::uint64_t>(delay_)) {
                locked_.store(true, std::memory_order_release);
            }
        } else {
            checked_.fetch_add(static_cast<std::uint64_t>(frames) *
                                   static_cast<std::uint64_t>(channels_),
                               std::memory_order_relaxed);
            wrong_.fetch_add(bad, std::memory_order_relaxed);
            blocks_.fetch_add(1, std::memory_order_relaxed);
        }
        frames_ = t0 + static_cast<std::uint64_t>(frames);
    }
    std::atomic<bool> locked_{false};
    std::atomic<std::uint64_t> checked_{0}, wrong_{0}, blocks_{0};

private:
    int channels_;
    std::int64_t delay_;
    float tolerance_;
    std::uint64_t frames_ = 0;
};

/// Copies its inputs to its outputs (the remote program `process = _,_;`).
class EchoAll final : public AudioCallback {
public:
    explicit EchoAll(int channels) : channels_(channels) {
    }
    void process(int frames, const float* const* in, float* const* out) noexcept override {
        for (int c = 0; c < channels_; ++c) {
            for (int i = 0; i < frames; ++i) {
                out[c][i] = in[c][i];
            }
        }
        calls.fetch_add(1, std::memory_order_relaxed);
    }
    std::atomic<long> calls{0};

private:
    int channels_;
};

/// A child process with its stdout and stderr in a file.
class Child {
public:
    bool start(const std::vector<std::string>& args) {
        char path[] = "/tmp/tutti-netjack-child-XXXXXX";
        const int fd = mkstemp(path);
        if (fd < 0) {
            return false;
        }
        log_ = path;
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_adddup2(&actions, fd, 1);
        posix_spawn_file_actions_adddup2(&actions, fd, 2);
        std::vector<char*> argv;
        argv.reserve(args.size() + 1);
        for (const std::string& a : args) {
            argv.push_back(const_cast<char*>(a.c_str()));
        }
        argv.push_back(nullptr);
        const int rc = posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ);
        posix_spawn_file_actions_destroy(&actions);
        close(fd);
        if (rc != 0) {
            pid_ = -1;
        }
        return rc == 0;
    }
    /// Waits (SIGKILL after `timeout`); the wait status.
    int wait(std::chrono::milliseconds timeout) {
        int status = 0;
        const auto deadline = Clock::now() + timeout;
        while (pid_ > 0) {
            const pid_t r = waitpid(pid_, &status, WNOHANG);
            if (r == pid_) {
                pid_ = -1;
                break;
            }
            if (Clock::now() >= deadline) {
                kill(pid_, SIGKILL);
                waitpid(pid_, &status, 0);
                pid_ = -1;
                break;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
        return status;
    }
    std::string output() const {
        std::ifstream in(log_);
        std::stringstream s;
        s << in.rdbuf();
        return s.str();
    }
    ~Child() {
        wait(std::chrono::milliseconds(0));
        if (!log_.empty()) {
            std::remove(log_.c_str());
        }
    }

private:
    pid_t pid_ = -1;
    std::string log_;
};

/// "crashed (signal N)", "exit N" or "ok".
inline std::string describe_status(int status) {
    if (WIFSIGNALED(status)) {
        return "crashed (signal " + std::to_string(WTERMSIG(status)) + ")";
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
        return "exit " + std::to_string(WEXITSTATUS(status));
    }
    return "ok";
}

} // namespace tutti::nettest
