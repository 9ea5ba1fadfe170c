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

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <set>
#include <thread>

#include "apps/tutti/control_servers.h"
#include "apps/tutti/link_controls.h"
#include "apps/tutti/play_move.h"
#include "apps/tutti/swap_report.h"
#include "cache/code_cache.h"
#include "control/control_hub.h"
#include "http/server.h"
#include "midi/midi_input.h"
#include "move/control_forward.h"
#include "netjack/netjack_driver.h"
#include "osc/osc_server.h"
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
                // a save is complete at its close or rename (a file made anew is
                // written after IN_CREATE: not yet a save)
                if (ev->len > 0 && (ev->mask & (IN_CLOSE_WRITE | IN_MOVED_TO)) != 0) {
                    for (const auto& [wd, dir] : dirs_) {
                        if (wd == ev->wd && files_.count(dir + "/" + ev->name) > 0) {
                            hit = true;
                        }
                    }
                }
                off += ssize_t(sizeof(inotify_event) + ev->len);
            }
            if (hit) {
                timeout = 0; // the rest of the burst, if already queued (no wait: issue 14)
            }
        }
    }

private:
    int fd_ = -1;
    std::vector<std::pair<int, std::string>> dirs_;
    std::set<std::string> files_;
};

/// The address the control servers bind, from --listen ADDR[:PORT] (which
/// netjack-master also listens on): ADDR without its port; 127.0.0.1 when
/// --listen is absent or names a multicast group (NetJack's discovery).
std::string control_address(const std::string& listen) {
    std::string host = listen;
    if (std::count(host.begin(), host.end(), ':') == 1) { // IPv4 or name with a port
        host.resize(host.find(':'));
    }
    int first = std::atoi(host.c_str());
    bool multicast = host.find('.') != std::string::npos && first >= 224 && first <= 239;
    return host.empty() || multicast ? "127.0.0.1" : host;
}

} // namespace

int run_play(const PlayArgs& a) {
    if (!a.on.empty()) {
        return run_play_remote(a); // issue 13: on a compile server, audio over NetJack
    }
    CompileOptions co;
    co.backend = a.backend == "interp" ? Backend::Interpreter : Backend::Llvm;
    co.include_dirs = a.include_dirs;
    co.math = parse_math_mode(a.math).value_or(MathMode::Exact);
    co.library_cache = make_library_cache(); // every save's compilation reuses the libraries
    auto t0 = std::chrono::steady_clock::now();
    // with --midi or --voices, a program declaring nvoices (or given --voices) is
    // polyphonic, with its effect definition as the effect stage
    const bool instrument = a.midi || a.voices > 0;
    CompileFunction compiler = compile_program;
    if (!a.no_cache) {
        compiler = cache::compile_program_cached; // the compiled-code cache (issue 13)
    }
    if (instrument) {
        compiler = [voices = a.voices, one = compiler](const ProgramSource& p,
                                                       const CompileOptions& o) {
            return compile_instrument(p, o, voices, one);
        };
    }
    const bool tiered = a.tiered && co.backend == Backend::Llvm;
    CompileOptions first_options = co;
    first_options.tiered = tiered;
    CompileResult first = compiler(ProgramSource{true, a.program, {}}, first_options);
    double first_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    for (const auto& d : first.diagnostics) {
        std::cerr << to_text(d);
    }
    if (!first.ok()) {
        return 1;
    }
    const std::shared_ptr<const Factory> first_factory = first.factory;
    // NetJack: the program's controls through the link (link_controls.h)
    std::unique_ptr<LinkControls> link;
    std::unique_ptr<Driver> driver;
    if (a.driver.rfind("netjack-", 0) == 0) {
        LinkControlMode mode = LinkControlMode::Both;
        if (std::string why; !parse_link_controls(a.link_controls, &mode, &why)) {
            std::cerr << "tutti play: " << why << "\n";
            return 2;
        }
        const std::size_t controls = first_factory->parameters().size();
        if (mode != LinkControlMode::Off && controls > 0) {
            link = std::make_unique<LinkControls>(mode);
        }
        netjack::NetOptions net;
        net.address = a.driver == "netjack-slave" ? a.master : a.listen;
        net.latency = a.latency;
        net.name = a.net_name.empty() ? std::string("tutti") : a.net_name;
        if (std::string why; !netjack::parse_format(a.format, &net.encoder, &net.kbps, &why)) {
            std::cerr << "tutti play: " << why << "\n";
            return 2;
        }
        if (a.clock != "timer" && a.clock != "jack") {
            std::cerr << "tutti play: --clock " << a.clock << ": timer or jack\n";
            return 2;
        }
        net.jack_clock = a.clock == "jack";
        net.cancel = &interrupted; // Ctrl-C ends a slave's search for its master
        if (link) {                // room for controls a later version adds
            net.controls = static_cast<int>(std::min<std::size_t>(controls + 64, 16384));
            net.control_sink = link.get();
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
    dopt.inputs = first_factory->num_inputs();
    dopt.outputs = std::max(first_factory->num_outputs(), 1);
    dopt.sample_rate = a.sample_rate;
    dopt.block_size = a.block;
    dopt.connect_physical = a.connect;
    if (a.midi && a.driver != "jack") {
        std::cerr << "tutti play: --midi needs the jack driver\n";
        return 2;
    }
    std::string error;
    EngineOptions eo;
    eo.compiler = compiler;
    eo.inputs = dopt.inputs;
    eo.outputs = dopt.outputs;
    eo.crossfade_ms = a.crossfade_ms;
    eo.compile = co;
    eo.tiered = tiered;
    eo.change_observer = link.get();
    // --watch: while the program is on a server, its controls are sent there (issue 13)
    std::unique_ptr<move::ControlForward> move_controls;
    if (a.watch && !instrument && !link) {
        move_controls = std::make_unique<move::ControlForward>();
        eo.change_observer = move_controls.get();
    }
    // the engine runs at the driver's rate and block: open the driver first;
    // the MIDI input needs the engine, so it is made before the driver opens
    // and fed only once the driver starts
    struct Forward final : MidiCallback {
        std::atomic<MidiCallback*> to{nullptr};
        void midi(int frames, const MidiEvent* events, std::size_t count) noexcept override {
            if (MidiCallback* t = to.load(std::memory_order_acquire)) {
                t->midi(frames, events, count);
            }
        }
    } forward;
    if (a.midi) {
        dopt.midi = &forward;
    }
    if (a.driver == "netjack-slave") {  // open() looks for the master for up to 10 s
        std::signal(SIGINT, on_signal); // Ctrl-C ends the search (net.cancel)
        std::signal(SIGTERM, on_signal);
        std::fprintf(stderr, "tutti play: netjack-slave: looking for a NetJack master at %s...\n",
                     a.master.empty() ? "the multicast group 225.3.19.154:19000"
                                      : a.master.c_str());
    }
    if (!driver->open(dopt, &error)) {
        const bool named = error.rfind(a.driver + ":", 0) == 0; // the driver named itself
        std::cerr << "tutti play: " << (named ? "" : a.driver + ": ") << error << "\n";
        return 2;
    }
    eo.sample_rate = driver->sample_rate();
    eo.max_block = driver->block_size();
    if (a.http) {
        eo.output_tap_frames = std::size_t(eo.sample_rate); // a second, for the page's meters
    }
    Engine engine(eo);
    const bool first_tiered = static_cast<bool>(first.next_tier);  // not a cached code's
    engine.submit(std::move(first), a.program, nullptr, first_ms); // its report says how long
    std::unique_ptr<midi::MidiInput> midi_input; // after the engine: destroyed before it
    if (a.midi) {
        midi_input = std::make_unique<midi::MidiInput>(engine);
        forward.to.store(midi_input.get(), std::memory_order_release);
    }
    if (!apply_sets(a.sets, engine)) {
        return 2;
    }
    EngineCallback engine_callback(engine);
    AudioCallback* callback = &engine_callback;
    // --watch: the program can move to a compile server and back (issue 13)
    std::unique_ptr<PlayMove> mover;
    if (a.watch && !link) { // a NetJack link's controls wrap the engine itself
        PlayMoveOptions mo;
        mo.program = a.program;
        mo.include_dirs = a.include_dirs;
        mo.interpreter = co.backend == Backend::Interpreter;
        mo.server = a.move_to;
        mo.token = a.token;
        mo.link = a.move_link;
        mo.latency = a.latency;
        mo.inputs = eo.inputs;
        mo.outputs = eo.outputs;
        mo.sample_rate = eo.sample_rate;
        mo.block = eo.max_block;
        mo.controls = move_controls.get();
        mo.voices = instrument ? a.voices : -1; // the server makes the same voices
        mover = std::make_unique<PlayMove>(engine, mo);
    }
    if (mover) {
        callback = &mover->callback();
    }
    if (link) {
        link->attach(engine, *driver);
        callback = link.get(); // the engine's blocks, and the link's controls around them
    }
    if (!driver->start(callback, &error)) {
        std::cerr << "tutti play: " << a.driver << ": " << error << "\n";
        return 2;
    }
    std::printf(
        "playing %s on %s: %d Hz, %d frames per block, %d in, %d out (compiled in %.1f ms%s)%s\n",
        a.program.c_str(), driver->name(), driver->sample_rate(), driver->block_size(), eo.inputs,
        eo.outputs, first_ms, first_tiered ? " for the interpreter; LLVM follows" : "",
        a.watch ? "; watching for saves" : "");
    if (mover) {
        std::printf("move: 'm' moves it to %s and back over %s (also OSC /tutti/move "
                    "\"HOST[:PORT]\"|\"local\", HTTP POST /tutti/move)\n",
                    a.move_to.c_str(), a.move_link.c_str());
    }
    if (first_factory->info().voices > 0) {
        std::printf("polyphonic: %d voices%s\n", first_factory->info().voices,
                    a.midi ? ", notes from midi_in" : "");
    }
    std::fflush(stdout);
    // Control from other processes (issue 11): the hub every source shares, then OSC.
    const std::string listen = control_address(a.listen);
    control::ControlHub::Options hub_options;
    hub_options.token = a.token;
    control::ControlHub hub(hub_options);
    const int program_id =
        hub.add_program(engine, std::filesystem::path(a.program).stem().string());
    if (a.driver.rfind("netjack-", 0) == 0) {
        // the link's counters, read-only on the control plane (/tutti/netjack/...:
        // OSC get, HTTP GET); read from the driver's atomics by the asking thread
        hub.add_status([&driver, &link](std::vector<control::StatusEntry>& out) {
            for (netjack::StatusValue& v : netjack::status(*driver)) {
                out.push_back({std::move(v.address), v.value, std::move(v.text), v.is_text});
            }
            out.push_back({"/tutti/netjack/link_controls", 0,
                           link ? (link->sends() && link->receives() ? "both"
                                   : link->sends()                   ? "send"
                                                                     : "receive")
                                : "off",
                           true});
            out.push_back({"/tutti/netjack/controls_sent",
                           link ? static_cast<double>(link->sent()) : 0.0,
                           {},
                           false});
            out.push_back({"/tutti/netjack/controls_received",
                           link ? static_cast<double>(link->received()) : 0.0,
                           {},
                           false});
        });
    }
    ControlCommand command;
    if (mover) {
        command = [m = mover.get()](std::string_view name, const std::vector<std::string>& args) {
            return m->command(name, args);
        };
    }
    ControlServers servers;
    if (!servers.start(a, listen, hub, program_id, engine, command)) {
        return 2;
    }

    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);
    std::unique_ptr<FileWatch> watch;
    if (a.watch) {
        watch = std::make_unique<FileWatch>();
        watch->follow({a.program});
        watch->follow(first_factory->source_files()); // local libraries too
        if (!watch->ok()) {
            std::cerr << "tutti play: cannot watch " << a.program << "\n";
        }
    }
    std::map<std::uint64_t, std::chrono::steady_clock::time_point> saved_at;
    std::set<std::uint64_t> announced, tier_announced; // a report comes again when its tier moves
    auto start = std::chrono::steady_clock::now();
    std::uint64_t xruns_seen = 0;
    auto net_report_at = start;
    std::string net_report;
    std::uint64_t net_xruns = 0;
    bool link_failed = false; // a NetJack slave that cannot go on
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
        if (mover) {
            for (const std::string& line : mover->poll()) {
                std::printf("%s\n", line.c_str());
                std::fflush(stdout);
            }
        }
        if (link) {
            link->refresh(); // the playing version's ranges and values, for the link
        }
        if (std::string why = netjack::failure(*driver); !why.empty()) {
            std::cerr << "tutti play: " << a.driver << ": " << why << "\n";
            link_failed = true;
            break;
        }
        for (const SwapReport& r : engine.take_reports()) {
            if (servers.http) {
                servers.http->publish_swap(r);
            }
            if (r.committed && r.generation == 1 && announced.insert(1).second) {
                // the first sound, on the steady clock (CLOCK_MONOTONIC: comparable
                // with other processes' clocks, bench/tiered measures from exec)
                std::printf(
                    "heard version 1 at steady %.3f ms on %s\n",
                    std::chrono::duration<double, std::milli>(r.committed_at.time_since_epoch())
                        .count(),
                    r.tiered ? "the interpreter" : "its LLVM code");
            }
            if (r.tier_moved && tier_announced.insert(r.generation).second) {
                std::printf("tier %llu: LLVM code compiled in %.1f ms, took over at frame %llu "
                            "(commit %.1f us), %s\n",
                            static_cast<unsigned long long>(r.generation), r.tier_compile_ms,
                            static_cast<unsigned long long>(r.tier_frame), r.tier_commit_us,
                            r.tier_exact ? "every field carried, no crossfade"
                                         : "NOT exact (state reset or crossfade)");
            } else if (!r.tier_note.empty() && r.committed &&
                       tier_announced.insert(r.generation).second) {
                std::printf("tier %llu: %s\n", static_cast<unsigned long long>(r.generation),
                            r.tier_note.c_str());
                if (!r.tier_moved) {
                    for (const auto& d : r.diagnostics) { // why its LLVM code failed
                        std::fputs(to_text(d).c_str(), stdout);
                    }
                }
            }
            if (r.generation == 1) {
                std::fflush(stdout);
                continue;
            }
            if (watch && r.compiled) {
                watch->follow(r.sources); // a library imported by the new version
            }
            if (!r.compiled && !r.committed && (!r.diagnostics.empty() || r.compile_ms > 0)) {
                std::printf("%s\n", swap_line(r).c_str());
                for (const auto& d : r.diagnostics) {
                    std::fputs(to_text(d).c_str(), stdout);
                }
            } else if (r.committed && announced.insert(r.generation).second) {
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
                if (!r.edit.empty()) {
                    line += ", edit " + r.edit;
                }
                {
                    char buf[64]; // the steady clock is CLOCK_MONOTONIC: bench/tiered compares
                    std::snprintf(
                        buf, sizeof buf, ", heard at steady %.3f ms",
                        std::chrono::duration<double, std::milli>(r.committed_at.time_since_epoch())
                            .count());
                    line += buf;
                }
                {
                    char buf[96];
                    std::snprintf(
                        buf, sizeof buf, ", compiled->heard %.2f ms%s",
                        std::chrono::duration<double, std::milli>(r.committed_at - r.compiled_at)
                            .count(),
                        r.tiered    ? ", on the interpreter"
                        : r.patched ? ", constants patched into the running code"
                                    : "");
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
        // NetJack: the link's counters on stderr every 10 s while cycles are
        // lost or concealed (the same line as at the end).
        if (auto now = std::chrono::steady_clock::now();
            now - net_report_at >= std::chrono::seconds(10)) {
            net_report_at = now;
            if (std::string net = netjack::describe(*driver); !net.empty() && net != net_report) {
                if (driver->xruns() != net_xruns) {
                    std::fprintf(stderr, "%s\n", net.c_str());
                }
                net_report = net;
                net_xruns = driver->xruns();
            }
        }
    }
    servers.stop();
    driver->stop();
    if (midi_input) {
        std::printf("midi: %llu messages, %llu changes and notes\n",
                    static_cast<unsigned long long>(midi_input->messages()),
                    static_cast<unsigned long long>(midi_input->pushed()));
    }
    std::printf("stopped: %llu callbacks, %llu xruns, %llu frames\n",
                static_cast<unsigned long long>(driver->callbacks()),
                static_cast<unsigned long long>(driver->xruns()),
                static_cast<unsigned long long>(engine.frames_processed()));
    if (std::string net = netjack::describe(*driver); !net.empty()) {
        std::printf("%s\n", net.c_str());
    }
    if (link) {
        std::printf("netjack controls (%s): %llu sent, %llu received\n", a.link_controls.c_str(),
                    static_cast<unsigned long long>(link->sent()),
                    static_cast<unsigned long long>(link->received()));
    }
    return link_failed ? 1 : 0;
}

} // namespace tutti::app
