// SPDX-License-Identifier: MIT
// tutti-host: plays a Faust program on JACK and swaps in every saved edit of it
// (or of a library it imports), carrying the state across. A minimal host of
// the installed library: tutti::tutti from find_package(tutti).
//
//   tutti-host program.dsp [--server NAME] [--connect] [--seconds S]
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <string>
#include <thread>

#include <tutti/compiler.h>
#include <tutti/driver.h>
#include <tutti/engine.h>
#include <tutti/engine_callback.h>
#include <tutti/version.h>

namespace fs = std::filesystem;

static volatile std::sig_atomic_t stop_requested = 0;

// The modification time of each file the playing version was compiled from
// (installed libraries excluded): a change is a saved edit.
static std::map<std::string, fs::file_time_type> snapshot(const std::vector<std::string>& files) {
    std::map<std::string, fs::file_time_type> times;
    for (const std::string& f : files) {
        std::error_code ec;
        if (f.rfind("/usr/", 0) != 0) {
            times[f] = fs::last_write_time(f, ec);
        }
    }
    return times;
}

static void print_report(const tutti::SwapReport& r) {
    if (!r.compiled) {
        std::printf("version %llu not compiled; the playing one goes on:\n", (unsigned long long)r.generation);
        for (const tutti::Diagnostic& d : r.diagnostics) {
            std::printf("%s\n", tutti::to_text(d).c_str());
        }
    } else if (r.committed) {
        std::printf("version %llu playing (compiled in %.1f ms): %d fields carried, %d resized, %d reset, %d dropped%s\n",
                    (unsigned long long)r.generation, r.compile_ms, r.carried, r.resized, r.reset, r.dropped,
                    r.crossfade ? ", crossfade" : "");
    }
    std::fflush(stdout);
}

int main(int argc, char** argv) {
    std::string program, server;
    double seconds = 0;
    bool connect = false;
    for (int i = 1; i < argc; ++i) {
        if (!std::strcmp(argv[i], "--server") && i + 1 < argc) {
            server = argv[++i];
        } else if (!std::strcmp(argv[i], "--seconds") && i + 1 < argc) {
            seconds = std::atof(argv[++i]);
        } else if (!std::strcmp(argv[i], "--connect")) {
            connect = true;
        } else {
            program = argv[i];
        }
    }
    if (program.empty()) {
        std::fprintf(stderr, "tutti-host %s: usage: tutti-host program.dsp [--server NAME] [--connect] [--seconds S]\n",
                     tutti::version);
        return 2;
    }

    tutti::CompileResult first = tutti::compile_file(program);
    for (const tutti::Diagnostic& d : first.diagnostics) {
        std::fprintf(stderr, "%s\n", tutti::to_text(d).c_str());
    }
    if (!first.ok()) {
        return 1;
    }

    std::unique_ptr<tutti::Driver> driver = tutti::make_driver("jack");
    tutti::DriverOptions driver_options;
    driver_options.client_name = "tutti-host";
    driver_options.server_name = server;
    driver_options.connect_physical = connect;
    std::string error;
    if (!driver->open(driver_options, &error)) {
        std::fprintf(stderr, "tutti-host: %s\n", error.c_str());
        return 1;
    }
    tutti::EngineOptions options;
    options.sample_rate = driver->sample_rate();
    options.max_block = driver->block_size();
    tutti::Engine engine(options);
    engine.submit(first.factory, program);
    tutti::EngineCallback callback(engine);
    if (!driver->start(&callback, &error)) {
        std::fprintf(stderr, "tutti-host: %s\n", error.c_str());
        return 1;
    }
    std::printf("playing %s on JACK at %d Hz, blocks of %d; save it to hear the edit\n", program.c_str(),
                driver->sample_rate(), driver->block_size());

    std::signal(SIGINT, [](int) { stop_requested = 1; });
    std::signal(SIGTERM, [](int) { stop_requested = 1; });
    auto files = snapshot(first.factory->source_files());
    auto start = std::chrono::steady_clock::now();
    while (!stop_requested &&
           (seconds <= 0 || std::chrono::steady_clock::now() - start < std::chrono::duration<double>(seconds))) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        for (const tutti::SwapReport& r : engine.take_reports()) {
            print_report(r);
            if (r.compiled && !r.sources.empty()) {
                files = snapshot(r.sources);
            }
        }
        std::vector<std::string> names;
        for (const auto& [f, t] : files) {
            names.push_back(f);
        }
        if (snapshot(names) != files) {
            files = snapshot(names);
            engine.load_file(program);
        }
    }
    driver->stop();
    std::printf("stopped after %llu frames, %llu xruns\n", (unsigned long long)engine.frames_processed(),
                (unsigned long long)driver->xruns());
    return 0;
}
