// SPDX-License-Identifier: MIT
/** \file
 * `tutti play prog.dsp --on HOST[:PORT]` (issue 13): the program is bundled
 * (remote/bundle.h), compiled by a `tutti serve` on HOST, and its instance runs
 * there with this machine's audio carried both ways by a NetJack link
 * (RemoteInstance::connect_audio). The local driver (jack or null) calls the
 * remote instance's compute() each block. --set goes through the link;
 * --watch compiles every save on the server and swaps it in there, state
 * carried (RemoteInstance::swap), one line per swap.
 *
 * A server that goes away: the link goes silent (compute() plays silence: no
 * last good program here, the program ran there), one error line says so, and
 * the driver plays on until --seconds or a signal; a swap that cannot reach the
 * server is an error line too. Nothing waits longer than the link's reply
 * wait on the audio thread, or the request timeout (5 s) on this thread.
 */
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <thread>

#include "apps/tutti/play.h"
#include "remote/bundle.h"
#include "remote/client.h"
#include "tutti/driver.h"

namespace tutti::app {

namespace {

std::atomic<bool> stop_remote{false};

extern "C" void on_remote_signal(int) {
    stop_remote.store(true);
}

class RemoteCallback final : public AudioCallback {
public:
    explicit RemoteCallback(remote::RemoteInstance& instance) : instance_(instance) {
    }
    void process(int frames, const float* const* inputs, float* const* outputs) noexcept override {
        instance_.compute(frames, reinterpret_cast<const void* const*>(inputs),
                          reinterpret_cast<void* const*>(outputs));
    }

private:
    remote::RemoteInstance& instance_;
};

/// Whether the file changed since `*seen` (its modification time).
bool changed(const std::string& path, std::filesystem::file_time_type* seen) {
    std::error_code ec;
    auto t = std::filesystem::last_write_time(path, ec);
    if (ec || t == *seen) {
        return false;
    }
    *seen = t;
    return true;
}

} // namespace

int run_play_remote(const PlayArgs& a) {
    std::optional<remote::Endpoint> server = remote::parse_endpoint(a.on);
    if (!server) {
        std::cerr << "tutti play: --on " << a.on << ": not HOST[:PORT]\n";
        return 2;
    }
    server->token = a.token;
    server->timeout = std::chrono::milliseconds(5000);
    const std::string where = server->host + ":" + std::to_string(server->port);
    std::string error;
    std::unique_ptr<Driver> driver = make_driver(a.driver);
    if (!driver) {
        std::cerr << "tutti play: --on plays through the jack or null driver, not '" << a.driver
                  << "'\n";
        return 2;
    }
    try {
        auto t0 = std::chrono::steady_clock::now();
        std::optional<remote::Bundle> bundle =
            remote::expand_program(a.program, a.include_dirs, &error);
        if (!bundle) {
            std::cerr << "tutti play: " << error << "\n";
            return 1;
        }
        remote::RemoteCompileOptions rco;
        rco.interpreter = a.backend == "interp";
        remote::RemoteFactory::Created c = remote::RemoteFactory::create(*server, *bundle, rco);
        for (const Diagnostic& d : c.diagnostics) {
            std::cerr << to_text(d);
        }
        if (!c.ok()) {
            return 1;
        }
        std::printf("remote: %s compiled on %s in %.1f ms (factory %s)\n", a.program.c_str(),
                    where.c_str(),
                    std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0)
                        .count(),
                    c.factory->content_key().substr(0, 16).c_str());
        DriverOptions dopt;
        dopt.server_name = a.server;
        dopt.inputs = c.factory->num_inputs();
        dopt.outputs = std::max(c.factory->num_outputs(), 1);
        dopt.sample_rate = a.sample_rate;
        dopt.block_size = a.block;
        dopt.connect_physical = a.connect;
        if (!driver->open(dopt, &error)) {
            std::cerr << "tutti play: " << a.driver << ": " << error << "\n";
            return 2;
        }
        auto inst = c.factory->create_remote_instance(driver->sample_rate(), driver->block_size());
        remote::LinkOptions lo;
        lo.latency = a.latency;
        lo.format = a.format;
        lo.period = driver->block_size();
        if (!a.listen.empty()) {
            lo.listen = a.listen;
        }
        inst->connect_audio(lo);
        for (const std::string& kv : a.sets) {
            const std::size_t eq = kv.rfind('=');
            if (eq == std::string::npos ||
                !inst->set_parameter(kv.substr(0, eq), std::atof(kv.c_str() + eq + 1))) {
                std::cerr << "tutti play: --set " << kv << ": no such control\n";
                return 2;
            }
        }
        RemoteCallback callback(*inst);
        if (!driver->start(&callback, &error)) {
            std::cerr << "tutti play: " << a.driver << ": " << error << "\n";
            return 2;
        }
        std::printf("playing %s on %s through a NetJack link (%s, %d blocks of %d frames: %d "
                    "frames round trip) from %s: %d Hz, %d in, %d out%s\n",
                    a.program.c_str(), where.c_str(), a.format.c_str(), inst->link_latency(),
                    inst->link_period(), inst->latency_frames(), driver->name(),
                    driver->sample_rate(), dopt.inputs, dopt.outputs,
                    a.watch ? "; watching for saves" : "");
        std::printf("link: %s\n", inst->link_json().c_str());
        std::fflush(stdout);
        std::signal(SIGINT, on_remote_signal);
        std::signal(SIGTERM, on_remote_signal);
        std::filesystem::file_time_type seen{};
        changed(a.program, &seen);
        const auto start = std::chrono::steady_clock::now();
        bool was_connected = false, lost = false;
        int swaps = 0;
        while (!stop_remote.load()) {
            const auto now = std::chrono::steady_clock::now();
            if (a.seconds >= 0 && std::chrono::duration<double>(now - start).count() >= a.seconds) {
                break;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
            const bool connected = inst->audio_connected();
            if (connected && !was_connected) {
                std::printf("link: the server joined (%llu blocks sent)\n",
                            static_cast<unsigned long long>(inst->link_blocks()));
                std::fflush(stdout);
            }
            if (!connected && was_connected && !lost) {
                lost = true;
                std::fprintf(stderr,
                             "tutti play: the server at %s stopped answering: its end of the "
                             "link is gone after %llu blocks; playing silence (the program ran "
                             "there) until stopped\n",
                             where.c_str(), static_cast<unsigned long long>(inst->link_blocks()));
            }
            was_connected = connected;
            if (a.watch && changed(a.program, &seen)) {
                try {
                    auto t1 = std::chrono::steady_clock::now();
                    std::optional<remote::Bundle> b =
                        remote::expand_program(a.program, a.include_dirs, &error);
                    if (!b) {
                        std::printf("swap: %s\n", error.c_str());
                        continue;
                    }
                    remote::RemoteFactory::Created e =
                        remote::RemoteFactory::create(*server, *b, rco);
                    if (!e.ok()) {
                        std::printf("swap: the edit does not compile; the old version plays on\n");
                        for (const Diagnostic& d : e.diagnostics) {
                            std::fputs(to_text(d).c_str(), stdout);
                        }
                        std::fflush(stdout);
                        continue;
                    }
                    const std::string report = inst->swap(e.factory);
                    std::printf("swap %d on the server in %.1f ms (compile %.1f ms): %s\n", ++swaps,
                                std::chrono::duration<double, std::milli>(
                                    std::chrono::steady_clock::now() - t1)
                                    .count(),
                                e.compile_ms, report.c_str());
                } catch (const remote::RemoteError& err) {
                    std::fprintf(stderr, "tutti play: swap: %s\n", err.what());
                }
                std::fflush(stdout);
            }
        }
        driver->stop();
        std::printf("stopped: %llu callbacks, %llu blocks through the link, %llu concealed%s\n",
                    static_cast<unsigned long long>(driver->callbacks()),
                    static_cast<unsigned long long>(inst->link_blocks()),
                    static_cast<unsigned long long>(inst->link_concealed()),
                    lost ? ", the server went away" : "");
        std::fflush(stdout);
        inst.reset(); // deletes the server's instance (5 s at most when it is gone)
    } catch (const remote::RemoteError& e) {
        std::cerr << "tutti play: --on " << where << ": " << e.what() << "\n";
        return 1;
    }
    return 0;
}

} // namespace tutti::app
