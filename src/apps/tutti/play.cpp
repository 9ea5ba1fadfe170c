// SPDX-License-Identifier: MIT
/** \file
 * `tutti play`: the control thread of a live session. It opens the driver,
 * starts the engine on it, and (with --watch) follows the program file with
 * inotify: every save is compiled on the engine's worker thread and swapped in
 * at the next block; one line per swap tells how long it took and what state
 * was carried. A compile error is printed and the old version plays on.
 */
#include "apps/tutti/play.h"

#include <poll.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <set>
#include <thread>

#include "apps/tutti/swap_report.h"
#include "netjack/netjack_driver.h"
#include "tutti/driver.h"
#include "tutti/engine.h"
#include "tutti/engine_callback.h"

namespace tutti::app {

namespace {

std::atomic<bool> interrupted{false};

extern "C" void on_signal(int) {
    interrupted.store(true);
}

/// Follows the program and the libraries it reads through saves (written in
/// place, or renamed over by editors): inotify on their folders. The installed
/// Faust libraries (under /usr) are not followed.
class FileWatch {
public:
    FileWatch() {
        fd_ = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    }
    ~FileWatch() {
        if (fd_ >= 0) {
            close(fd_);
        }
    }
    bool ok() const {
        return fd_ >= 0 && !dirs_.empty();
    }
    /// Adds files to follow (those already followed are kept).
    void follow(const std::vector<std::string>& files) {
        for (const std::string& f : files) {
            std::filesystem::path p = std::filesystem::absolute(f).lexically_normal();
            if (fd_ < 0 || p.string().rfind("/usr/", 0) == 0 || !files_.insert(p.string()).second) {
                continue;
            }
            std::string dir = p.parent_path().string();
            bool known = false;
            for (const auto& [wd, d] : dirs_) {
                known = known || d == dir;
            }
            if (!known) {
                int wd =
                    inotify_add_watch(fd_, dir.c_str(), IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE);
                if (wd >= 0) {
                    dirs_.emplace_back(wd, dir);
                }
            }
        }
    }
    std::size_t count() const {
        return files_.size();
    }
    /// Waits up to `ms` for a save of a followed file; true when there was one
    /// (several events in a burst count once).
    bool wait(int ms) {
        bool hit = false;
        int timeout = ms;
        for (;;) {
            pollfd pfd{fd_, POLLIN, 0};
            if (poll(&pfd, 1, timeout) <= 0) {
                return hit;
            }
            alignas(inotify_event) char buf[4096];
            ssize_t n = read(fd_, buf, sizeof buf);
            for (ssize_t off = 0; off < n;) {
                auto* ev = reinterpret_cast<inotify_event*>(buf + off);
                if (ev->len > 0) {
                    for (const auto& [wd, dir] : dirs_) {
                        if (wd == ev->wd && files_.count(dir + "/" + ev->name) > 0) {
                            hit = true;
                        }
                    }
                }
                off += ssize_t(sizeof(inotify_event) + ev->len);
            }
            if (hit) {
                timeout = 5; // gather the rest of the burst
            }
        }
    }

private:
    int fd_ = -1;
    std::vector<std::pair<int, std::string>> dirs_;
    std::set<std::string> files_;
};

} // namespace

int run_play(const PlayArgs& a) {
    CompileOptions co;
    co.backend = a.backend == "interp" ? Backend::Interpreter : Backend::Llvm;
    co.include_dirs = a.include_dirs;
    auto t0 = std::chrono::steady_clock::now();
    CompileResult first = compile_file(a.program, co);
    double first_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    for (const auto& d : first.diagnostics) {
        std::cerr << to_text(d);
    }
    if (!first.ok()) {
        return 1;
    }
    std::unique_ptr<Driver> driver;
    if (a.driver.rfind("netjack-", 0) == 0) {
        netjack::NetOptions net;
        net.address = a.driver == "netjack-slave" ? a.master : a.listen;
        net.latency = a.latency;
        net.name = a.net_name.empty() ? std::string("tutti") : a.net_name;
        if (a.format == "int16") {
            net.encoder = netjack::Encoder::Int16;
        } else if (a.format != "float") {
            std::cerr << "tutti play: --format " << a.format
                      << ": not available (float or int16; opus: not yet)\n";
            return 2;
        }
        if (a.clock != "timer") {
            std::cerr << "tutti play: --clock " << a.clock << ": not available (timer)\n";
            return 2;
        }
        driver = netjack::make_driver(a.driver, net);
    } else {
        driver = make_driver(a.driver);
    }
    if (!driver) {
        std::cerr << "tutti play: unknown driver '" << a.driver
                  << "' (jack, null, netjack-slave or netjack-master)\n";
        return 2;
    }
    DriverOptions dopt;
    dopt.server_name = a.server;
    dopt.inputs = first.factory->num_inputs();
    dopt.outputs = std::max(first.factory->num_outputs(), 1);
    dopt.sample_rate = a.sample_rate;
    dopt.block_size = a.block;
    dopt.connect_physical = a.connect;
    std::string error;
    if (!driver->open(dopt, &error)) {
        std::cerr << "tutti play: " << a.driver << ": " << error << "\n";
        return 2;
    }
    EngineOptions eo;
    eo.compiler = compile_program;
    eo.sample_rate = driver->sample_rate();
    eo.max_block = driver->block_size();
    eo.inputs = dopt.inputs;
    eo.outputs = dopt.outputs;
    eo.crossfade_ms = a.crossfade_ms;
    eo.compile = co;
    Engine engine(eo);
    engine.submit(first.factory, a.program);
    for (const std::string& kv : a.sets) {
        std::size_t eq = kv.rfind('=');
        if (eq == std::string::npos ||
            !engine.set_parameter(kv.substr(0, eq), std::atof(kv.c_str() + eq + 1))) {
            std::cerr << "tutti play: --set " << kv << ": no such control\n";
            return 2;
        }
    }
    EngineCallback callback(engine);
    if (!driver->start(&callback, &error)) {
        std::cerr << "tutti play: " << a.driver << ": " << error << "\n";
        return 2;
    }
    std::printf(
        "playing %s on %s: %d Hz, %d frames per block, %d in, %d out (compiled in %.1f ms)%s\n",
        a.program.c_str(), driver->name(), driver->sample_rate(), driver->block_size(), eo.inputs,
        eo.outputs, first_ms, a.watch ? "; watching for saves" : "");
    std::fflush(stdout);

    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);
    std::unique_ptr<FileWatch> watch;
    if (a.watch) {
        watch = std::make_unique<FileWatch>();
        watch->follow({a.program});
        watch->follow(first.factory->source_files()); // local libraries too
        if (!watch->ok()) {
            std::cerr << "tutti play: cannot watch " << a.program << "\n";
        }
    }
    std::map<std::uint64_t, std::chrono::steady_clock::time_point> saved_at;
    auto start = std::chrono::steady_clock::now();
    std::uint64_t xruns_seen = 0;
    while (!interrupted.load()) {
        if (a.seconds >= 0 &&
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() >=
                a.seconds) {
            break;
        }
        if (watch && watch->ok()) {
            if (watch->wait(20)) {
                auto now = std::chrono::steady_clock::now();
                saved_at[engine.load_file(a.program)] = now;
            }
        } else {
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        for (const SwapReport& r : engine.take_reports()) {
            if (r.generation == 1) {
                continue;
            }
            if (watch && r.compiled) {
                watch->follow(r.sources); // a library imported by the new version
            }
            if (!r.compiled && r.committed == false &&
                (!r.diagnostics.empty() || r.compile_ms > 0)) {
                std::printf("%s\n", swap_line(r).c_str());
                for (const auto& d : r.diagnostics) {
                    std::fputs(to_text(d).c_str(), stdout);
                }
            } else if (r.committed) {
                std::string line = swap_line(r);
                auto s = saved_at.find(r.generation);
                if (s != saved_at.end()) {
                    char buf[64];
                    std::snprintf(
                        buf, sizeof buf, ", save to sound %.1f ms",
                        std::chrono::duration<double, std::milli>(r.committed_at - s->second)
                            .count());
                    line += buf;
                }
                std::printf("%s\n", line.c_str());
                if (a.fields) {
                    std::fputs(swap_fields(r).c_str(), stdout);
                }
            }
            std::fflush(stdout);
        }
        if (driver->xruns() != xruns_seen) {
            xruns_seen = driver->xruns();
        }
    }
    driver->stop();
    std::printf("stopped: %llu callbacks, %llu xruns, %llu frames\n",
                static_cast<unsigned long long>(driver->callbacks()),
                static_cast<unsigned long long>(driver->xruns()),
                static_cast<unsigned long long>(engine.frames_processed()));
    if (std::string net = netjack::describe(*driver); !net.empty()) {
        std::printf("%s\n", net.c_str());
    }
    return 0;
}

} // namespace tutti::app
