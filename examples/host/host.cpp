// SPDX-License-Identifier: MIT
// tutti-host: plays a Faust program on JACK and swaps in every saved edit of it
// (or of a library it imports), carrying the state across: a minimal host of
// the installed library (find_package(tutti), tutti::tutti).
//
//   tutti-host program.dsp [--server NAME] [--connect] [--seconds S]
#include <tutti/compiler.h>
#include <tutti/driver.h>
#include <tutti/engine.h>
#include <tutti/engine_callback.h>
#include <tutti/version.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <map>
#include <string>
#include <thread>

namespace fs = std::filesystem;
using Times = std::map<std::string, fs::file_time_type>;

static volatile std::sig_atomic_t stop_requested = 0;

// The modification time of each file a version was compiled from (installed
// libraries under /usr excluded): when one changes, the user saved an edit.
static Times modification_times(const std::vector<std::string>& files) {
    Times times;
    for (const std::string& f : files) {
        std::error_code ec;
        if (f.rfind("/usr/", 0) != 0) {
            times[f] = fs::last_write_time(f, ec);
        }
    }
    return times;
}

int main(int argc, char** argv) {
    std::string program, server;
    double seconds = 0; // 0: until Ctrl-C
    bool connect = false;
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        if (arg == "--server" && i + 1 < argc) {
            server = argv[++i];
        } else if (arg == "--seconds" && i + 1 < argc) {
            seconds = std::stod(argv[++i]);
        } else {
            connect |= arg == "--connect";
            program = arg == "--connect" ? program : arg;
        }
    }
    if (program.empty()) {
        std::fprintf(
            stderr, "tutti-host (tutti %s) program.dsp [--server NAME] [--connect] [--seconds S]\n",
            tutti::version);
        return 2;
    }
    const auto t0 = std::chrono::steady_clock::now();
    tutti::CompileResult first = tutti::compile_file(program);
    const std::chrono::duration<double, std::milli> compile_ms =
        std::chrono::steady_clock::now() - t0;
    for (const tutti::Diagnostic& d : first.diagnostics) {
        std::fputs(tutti::to_text(d).c_str(), stderr);
    }
    if (!first.ok()) {
        return 1;
    }

    std::unique_ptr<tutti::Driver> driver = tutti::make_driver("jack");
    tutti::DriverOptions driver_options;
    driver_options.client_name = "tutti-host";
    driver_options.server_name = server;
    driver_options.connect_physical = connect;
    tutti::EngineOptions options;
    options.compiler = tutti::compile_program; // load_file() compiles in this process
    std::string error;
    if (!driver->open(driver_options, &error)) {
        std::fprintf(stderr, "tutti-host: %s\n", error.c_str());
        return 1;
    }
    options.sample_rate = driver->sample_rate();
    options.max_block = driver->block_size();
    tutti::Engine engine(options);
    tutti::EngineCallback callback(engine);
    engine.submit(first.factory, program, nullptr, compile_ms.count());
    if (!driver->start(&callback, &error)) {
        std::fprintf(stderr, "tutti-host: %s\n", error.c_str());
        return 1;
    }
    std::printf("playing %s on JACK at %d Hz, blocks of %d; save an edit to hear it\n",
                program.c_str(), driver->sample_rate(), driver->block_size());

    std::signal(SIGINT, [](int) { stop_requested = 1; });
    std::signal(SIGTERM, [](int) { stop_requested = 1; });
    Times times = modification_times(first.factory->source_files());
    const auto start = std::chrono::steady_clock::now();
    while (!stop_requested && (seconds <= 0 || std::chrono::steady_clock::now() - start <
                                                   std::chrono::duration<double>(seconds))) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        for (const tutti::SwapReport& r : engine.take_reports()) {
            for (const tutti::Diagnostic& d : r.diagnostics) {
                std::fputs(tutti::to_text(d).c_str(), stdout);
            }
            if (!r.compiled) {
                std::printf("version %llu not compiled; the playing one goes on\n",
                            static_cast<unsigned long long>(r.generation));
            } else if (r.committed) {
                std::printf(
                    "version %llu playing (compiled in %.1f ms): %d fields carried, %d resized, "
                    "%d reset, %d dropped%s\n",
                    static_cast<unsigned long long>(r.generation), r.compile_ms, r.carried,
                    r.resized, r.reset, r.dropped, r.crossfade ? ", crossfaded" : "");
                times = modification_times(r.sources);
            }
            std::fflush(stdout);
        }
        std::vector<std::string> files;
        for (const auto& [file, time] : times) {
            files.push_back(file);
        }
        if (Times now = modification_times(files); now != times) {
            times = now;
            engine.load_file(program); // compiled on the engine's worker thread
        }
    }
    driver->stop();
    std::printf("stopped after %llu frames, %llu xruns\n",
                static_cast<unsigned long long>(engine.frames_processed()),
                static_cast<unsigned long long>(driver->xruns()));
    return 0;
}
