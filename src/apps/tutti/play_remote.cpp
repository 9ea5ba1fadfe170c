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
 * Control, as a local `tutti play`: a local Engine plays a stand-in of the
 * remote program (RemoteVersion: its UI, its compute() and parameters handed to
 * the one RemoteInstance), so the control hub, the OSC and HTTP/WebSocket
 * servers and --set work unchanged: a change lands in the engine, which hands
 * it to the instance at its frame (through the link), and the bargraphs the
 * link brings back are the engine's control values (OSC and HTTP reads, the
 * page's meters), without a request. After a swap on the server, a stand-in of
 * the new version is submitted to the engine (no crossfade: the audio is the
 * server's, which swapped with its state).
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

#include "apps/tutti/control_servers.h"
#include "apps/tutti/play.h"
#include "control/control_hub.h"
#include "http/server.h"
#include "osc/osc_server.h"
#include "remote/bundle.h"
#include "remote/client.h"
#include "tutti/driver.h"
#include "tutti/engine.h"
#include "tutti/engine_callback.h"

namespace tutti::app {

namespace {

std::atomic<bool> stop_remote{false};

extern "C" void on_remote_signal(int) {
    stop_remote.store(true);
}

/// A version of the remote program for the local engine: the server's UI
/// (its FactoryInfo without a state block here), whose instance hands
/// compute() and the parameters to the linked RemoteInstance. init() touches
/// nothing on the server (the program runs there with its own values).
class RemoteVersion final : public Factory {
public:
    RemoteVersion(FactoryInfo info, remote::RemoteInstance& instance)
        : Factory(strip(std::move(info))), instance_(instance) {
    }
    const char* implementation() const override {
        return "remote-link";
    }

protected:
    std::unique_ptr<Instance> make_instance(std::shared_ptr<const Factory> self) const override;

private:
    static FactoryInfo strip(FactoryInfo info) {
        info.state_layout.clear(); // the state is the server's
        info.state_bytes = 0;
        return info;
    }
    remote::RemoteInstance& instance_;
};

class RemoteVersionInstance final : public Instance {
public:
    RemoteVersionInstance(std::shared_ptr<const Factory> f, remote::RemoteInstance& instance)
        : Instance(std::move(f)), instance_(instance) {
    }
    void instance_constants(int) override {
    }
    void reset_controls() override {
    }
    void clear() override {
    }
    void compute(int frames, const void* const* inputs, void* const* outputs) override {
        instance_.compute(frames, inputs, outputs);
    }
    void set_parameter(std::size_t index, double value) override {
        instance_.set_parameter(index, value); // through the link (no request)
    }
    double get_parameter(std::size_t index) const override {
        return instance_.get_parameter(index); // bargraphs: as the link brings them
    }
    std::byte* state() override {
        return nullptr;
    }
    const std::byte* state() const override {
        return nullptr;
    }
    void read_state(std::span<std::byte>) const override {
    }
    void write_state(std::span<const std::byte>) override {
    }

private:
    remote::RemoteInstance& instance_;
};

std::unique_ptr<Instance> RemoteVersion::make_instance(std::shared_ptr<const Factory> self) const {
    return std::make_unique<RemoteVersionInstance>(std::move(self), instance_);
}

/// The address the control servers bind: --listen's, without its port.
std::string control_host(const std::string& listen) {
    std::string host = listen.substr(0, listen.rfind(':'));
    return host.empty() ? "127.0.0.1" : host;
}

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
        // the local engine that the control sources address (see the file comment)
        EngineOptions eo;
        eo.sample_rate = driver->sample_rate();
        eo.max_block = driver->block_size();
        eo.inputs = dopt.inputs;
        eo.outputs = dopt.outputs;
        eo.crossfade_ms = 0; // one version computes a block: the link sees each frame once
        if (a.http) {
            eo.output_tap_frames = std::size_t(eo.sample_rate); // the page's meters
        }
        auto engine_owner = std::make_unique<Engine>(eo); // goes before the instance
        Engine& engine = *engine_owner;
        auto version = std::make_shared<const RemoteVersion>(c.factory->info(), *inst);
        const std::uint64_t g1 = engine.submit(version, a.program, &error);
        if (g1 == 0 || !engine.wait_prepared(g1)) {
            std::cerr << "tutti play: the engine refused the program: " << error << "\n";
            return 2;
        }
        if (!apply_sets(a.sets, engine)) {
            return 2;
        }
        EngineCallback callback(engine);
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
        // control from other processes, as a local tutti play: the hub, OSC, HTTP
        const std::string listen = control_host(a.listen);
        control::ControlHub::Options hub_options;
        hub_options.token = a.token;
        control::ControlHub hub(hub_options);
        const int program_id =
            hub.add_program(engine, std::filesystem::path(a.program).stem().string());
        ControlServers servers;
        if (!servers.start(a, listen, hub, program_id, engine, {})) {
            return 2;
        }
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
                    // the engine's stand-in follows: the new version's UI
                    engine.submit(std::make_shared<const RemoteVersion>(e.factory->info(), *inst),
                                  a.program, nullptr);
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
        servers.stop();
        driver->stop();
        std::printf("stopped: %llu callbacks, %llu blocks through the link, %llu concealed%s\n",
                    static_cast<unsigned long long>(driver->callbacks()),
                    static_cast<unsigned long long>(inst->link_blocks()),
                    static_cast<unsigned long long>(inst->link_concealed()),
                    lost ? ", the server went away" : "");
        std::fflush(stdout);
        servers.http.reset();
        servers.osc.reset();
        hub.remove_program(program_id);
        engine_owner.reset(); // its versions hand their calls to the instance
        inst.reset();         // deletes the server's instance (5 s at most when it is gone)
    } catch (const remote::RemoteError& e) {
        std::cerr << "tutti play: --on " << where << ": " << e.what() << "\n";
        return 1;
    }
    return 0;
}

} // namespace tutti::app
