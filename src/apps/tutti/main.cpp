// SPDX-License-Identifier: MIT
/** \file The `tutti` command line. Subcommands: parse. */
#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "apps/tutti/bench.h"
#include "apps/tutti/cache_command.h"
#include "apps/tutti/machines.h"
#include "apps/tutti/play.h"
#include "apps/tutti/render.h"
#include "apps/tutti/serve.h"
#include "frontend/ast/ast_printer.h"
#include "frontend/frontend_session.h"
#include "serve/compile_worker.h"
#include "tutti/diagnostics.h"
#include "tutti/version.h"

namespace {

struct ParseArgs {
    std::vector<std::string> files;
    std::vector<std::string> include_dirs;
    bool dump = false;
    bool locations = false;
    bool json = false;
    bool no_follow = false;
    bool stats = false;
};

int run_parse(const ParseArgs& a) {
    bool failed = false;
    std::vector<tutti::Diagnostic> all;
    for (const std::string& file : a.files) {
        tutti::frontend::FrontendOptions opts;
        opts.include_dirs = a.include_dirs;
        opts.follow_imports = !a.no_follow;
        tutti::frontend::FrontendSession session(opts);
        auto t0 = std::chrono::steady_clock::now();
        const tutti::frontend::ParsedFile* pf = session.parse_program(file);
        auto t1 = std::chrono::steady_clock::now();
        std::vector<tutti::Diagnostic> diags = session.resolved_diagnostics();
        if (a.json) {
            all.insert(all.end(), diags.begin(), diags.end());
        } else {
            for (const auto& d : diags) {
                std::cerr << tutti::to_text(d);
            }
        }
        if (tutti::has_errors(diags)) {
            failed = true;
        }
        if (a.dump && pf != nullptr) {
            tutti::ast::PrintOptions po;
            po.locations = a.locations;
            std::cout << tutti::ast::print(pf->root, &session.sources(), po);
        }
        if (a.stats) {
            double ms = std::chrono::duration<double, std::milli>(t1 - t0).count();
            std::fprintf(stderr, "%s: %zu files, %zu bytes, parsed in %.2f ms\n", file.c_str(),
                         session.sources().file_count(), session.sources().total_bytes(), ms);
        }
    }
    if (a.json) {
        std::cout << tutti::to_json(all) << "\n";
    }
    return failed ? 1 : 0;
}

} // namespace

int main(int argc, char** argv) {
    CLI::App app{"tutti: the Faust language, compiled and played live"};
    app.set_version_flag("--version", std::string("tutti ") + tutti::version + " (Faust language " +
                                          tutti::faust_language_version + ")");
    app.require_subcommand(1);

    ParseArgs pa;
    CLI::App* parse = app.add_subcommand(
        "parse", "Parse Faust files and every library they import; print the diagnostics");
    parse->add_option("files", pa.files, "Faust source files (.dsp or .lib)")->required();
    parse->add_option("-I,--include", pa.include_dirs, "Add a folder to the library search path");
    parse->add_flag("--dump", pa.dump, "Print the syntax tree of each named file");
    parse->add_flag("--locations", pa.locations, "With --dump: print line:col of every node");
    parse->add_flag("--json", pa.json, "Print the diagnostics as a JSON array on stdout");
    parse->add_flag("--no-follow", pa.no_follow, "Do not parse imported libraries");
    parse->add_flag("--stats", pa.stats, "Print the number of files, bytes and the parse time");

    tutti::app::RenderArgs ra;
    CLI::App* render =
        app.add_subcommand("render", "Render a program offline to a WAV or text file");
    render->add_option("program", ra.program, "Faust program (.dsp)")->required();
    render->add_option("-o", ra.output, "Output: FILE.wav (float WAV), FILE.txt or - (text)")
        ->required();
    auto* frames_opt =
        render->add_option("--frames", ra.frames, "Number of frames (default 20000)");
    render->add_option("--seconds", ra.seconds, "Duration in seconds")->excludes(frames_opt);
    render->add_option("--sample-rate", ra.sample_rate, "Sample rate (default 44100)");
    render->add_option("--block", ra.block, "Block size (default 64)");
    render->add_option(
        "--input", ra.input,
        "impulse, silence (default), noise, mix (impulse + noise + sine) or FILE.wav");
    render->add_flag("--double", ra.double_precision, "Double precision (samples and computation)");
    render->add_option("--press-buttons", ra.press_buttons,
                       "Hold every button at 1 in the blocks that start before this frame");
    render->add_option("--set", ra.sets,
                       "Set a control: NAME=VALUE, NAME its address as faust -json writes it, "
                       "short name or label");
    render->add_option("--backend", ra.backend, "llvm (default) or interp");
    render->add_option("--math", ra.math, "exact (default: sample-exact) or fast (fast-math)")
        ->check(CLI::IsMember({"exact", "fast"}));
    render->add_option("--opt-level", ra.opt_level, "LLVM optimisation level 0..3 (default 2)")
        ->check(CLI::Range(0, 3));
    render->add_option("-I", ra.include_dirs, "Add a folder to the library search path");
    render->add_option(
        "--swap-at", ra.swaps,
        "FRAME:OTHER.dsp: swap OTHER in at the first block boundary at or after FRAME, "
        "carrying the state (repeatable)");
    render->add_option("--set-at", ra.set_at,
                       "FRAME:PATH=VALUE: set a control at the first block boundary at or after "
                       "FRAME (repeatable)");
    render->add_option("--crossfade-ms", ra.crossfade_ms,
                       "Crossfade length when state cannot be carried (default 20)");
    render->add_flag("--quiet", ra.quiet, "Do not print the swap reports");
    render->add_flag("--no-cache", ra.no_cache,
                     "Compile without the compiled-code cache (also TUTTI_CACHE=0)");
    render->add_option("--on", ra.on,
                       "Render on a compile server (tutti serve): HOST[:PORT] or "
                       "https://HOST[:PORT]; the same output as a local render");
    render->add_option("--token", ra.token, "With --on: the server's token");
    render->add_option("--tls-ca", ra.tls_ca,
                       "With --on: trust this certificate (PEM) for https (a self-signed one)");

    tutti::app::PlayArgs pl;
    CLI::App* play = app.add_subcommand(
        "play", "Play a program on an audio driver; --watch swaps in every saved edit");
    play->add_option("program", pl.program, "Faust program (.dsp)")->required();
    play->add_flag("--no-cache", pl.no_cache,
                   "Compile without the compiled-code cache (also TUTTI_CACHE=0)");
    play->add_option("--driver", pl.driver,
                     "jack (default), null, netjack-slave or netjack-master");
    play->add_flag("--watch", pl.watch,
                   "Recompile on every save and swap the new version in, keeping its state");
    play->add_option("--server", pl.server, "JACK server name");
    play->add_flag("--connect", pl.connect, "JACK: connect to the system playback/capture ports");
    play->add_option("--seconds", pl.seconds,
                     "Stop after this many seconds (default: until interrupted)");
    play->add_option("--crossfade-ms", pl.crossfade_ms,
                     "Crossfade length when state cannot be carried (default 20)");
    play->add_option("--sample-rate", pl.sample_rate, "null driver: sample rate (default 48000)");
    play->add_option("--block", pl.block, "null driver: block size (default 64)");
    play->add_option("--set", pl.sets, "Set a control: NAME=VALUE (address, short name or label)");
    play->add_option("--backend", pl.backend, "llvm (default) or interp");
    play->add_option("--math", pl.math, "exact (default: sample-exact) or fast (fast-math)")
        ->check(CLI::IsMember({"exact", "fast"}));
    play->add_flag("!--no-tier", pl.tiered,
                   "Each version waits for its LLVM code (default: it plays on the interpreter "
                   "until its LLVM code is ready)");
    play->add_option("-I", pl.include_dirs, "Add a folder to the library search path");
    play->add_flag("--fields", pl.fields, "Print every state field of each swap");
    play->add_flag("--midi", pl.midi,
                   "JACK: a MIDI input port (midi_in) driving [midi:...] controls, and the "
                   "voices of a program that declares nvoices");
    play->add_option("--voices", pl.voices,
                     "Polyphony: play the program on N voices (overrides declare nvoices; "
                     "an effect definition is the effect stage)")
        ->check(CLI::Range(1, 256));
    // Control (issue 11): shared options, then OSC (Faust's -port -outport ... options).
    play->add_option("--listen", pl.listen,
                     "ADDR[:PORT] this tutti serves on: the control servers bind ADDR (default "
                     "127.0.0.1; off loopback, writes need the token); netjack-master listens "
                     "there (default: multicast 225.3.19.154:19000; control then stays on "
                     "127.0.0.1)");
    play->add_option("--token", pl.token, "Token for writes from off loopback (default: random)");
    play->add_flag("!--no-osc", pl.osc, "Do not start the OSC server");
    play->add_option("--osc-port", pl.osc_port,
                     "OSC: UDP in port (default 5510, next free if busy)");
    play->add_option("--osc-outport", pl.osc_outport,
                     "OSC: UDP port of replies and feedback (default 5511)");
    play->add_option("--osc-errport", pl.osc_errport, "OSC: UDP port of errors (default 5512)");
    play->add_option("--desthost", pl.desthost, "OSC: host feedback goes to (default 127.0.0.1)");
    play->add_option("--xmit", pl.xmit, "OSC: feedback 0 none (default), 1 all, 2 aliases only");
    play->add_option("--xmitfilter", pl.xmitfilter,
                     "OSC: never send feedback of the addresses matching this pattern (repeatable)")
        ->expected(1)
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    play->add_flag("--bundle", pl.bundle, "OSC: send the feedback of each refresh in one bundle");
    play->add_flag("!--no-http", pl.http, "No HTTP/WebSocket control server");
    play->add_option("--http-port", pl.http_port,
                     "HTTP/WebSocket control port (default 5510; the next free one when busy)");
    play->add_option(
        "--master", pl.master,
        "netjack-slave: the master's ADDR[:PORT] (default: multicast 225.3.19.154:19000)");
    play->add_option("--on", pl.on,
                     "HOST[:PORT]: compile and run on a tutti serve there, this machine's audio "
                     "through a NetJack link (--token: the server's; --latency, --format)");
    play->add_option("--move-to", pl.move_to,
                     "--watch: the tutti serve HOST[:PORT] that 'm' (or OSC /tutti/move, HTTP "
                     "POST /tutti/move) moves the playing program to, and back (default "
                     "127.0.0.1:7777; --token: the server's; --latency: the link's)");
    play->add_option("--move-link", pl.move_link,
                     "--watch: the moved program's audio link: netjack (default) or http");
    play->add_option("--latency", pl.latency, "netjack-slave: latency in cycles (default 2)");
    play->add_option("--format", pl.format, "netjack: float (default), int16, opus or opus:KBPS");
    play->add_option("--name", pl.net_name, "netjack-slave: the name the master shows");
    play->add_option("--period", pl.block, "netjack-master: frames per cycle (as --block)");
    play->add_option(
        "--clock", pl.clock,
        "netjack-master: timer (default) or jack (paced by the local jackd, --server)");
    play->add_option("--link-controls", pl.link_controls,
                     "netjack: the program's controls through the link, by index: both (default: "
                     "either side's moves land on the other's at their frame, the last move wins, "
                     "the master's state wins when a slave joins), send (this side owns them), "
                     "receive (the peer owns them) or off (no control channel)");

    std::string check_program;
    std::vector<std::string> check_includes;
    bool check_double = false, check_json = false;
    CLI::App* check =
        app.add_subcommand("check", "Compile a program fully and print its diagnostics");
    check->add_option("program", check_program, "Faust program (.dsp)")->required();
    check->add_option("-I", check_includes, "Add a folder to the library search path");
    check->add_flag("--double", check_double, "Double precision");
    check->add_flag("--json", check_json, "Diagnostics as JSON on stdout");
    tutti::app::CheckLimits check_limits;
    check->add_option("--max-memory-mb", check_limits.max_memory_mb,
                      "Memory limit of the compilation in MiB (default 2048, 0: none)");
    check->add_option("--max-seconds", check_limits.max_seconds,
                      "Time limit of the compilation in seconds (default 60, 0: none)");
    tutti::app::CheckOutputs check_outputs;
    check->add_flag("--timings", check_outputs.timings,
                    "Print the time of each pass of the pipeline");
    check
        ->add_option("--dump-after", check_outputs.dump_after,
                     "Print the output of this pass (repeatable; 'all': every pass)")
        ->delimiter(',');
    check->add_option("--dump-all", check_outputs.dump_dir,
                      "Write every pass's output into DIR, one file per pass");
    check->add_option("--backend", check_outputs.backend, "interp (default) or llvm");
    check->add_option("--math", check_outputs.math, "exact (default) or fast (LLVM backend)")
        ->check(CLI::IsMember({"exact", "fast"}));

    tutti::app::BenchArgs ba;
    CLI::App* benchc = app.add_subcommand(
        "bench", "Compile time and run time per frame of a program, as one JSON object");
    benchc->add_option("program", ba.program, "Faust program (.dsp)")->required();
    benchc->add_option("--backend", ba.backend, "llvm (default) or interp")
        ->check(CLI::IsMember({"llvm", "interp"}));
    benchc->add_option("--math", ba.math, "exact (default) or fast")
        ->check(CLI::IsMember({"exact", "fast"}));
    benchc->add_option("--opt-level", ba.opt_level, "LLVM optimisation level 0..3 (default 2)")
        ->check(CLI::Range(0, 3));
    benchc->add_option("-I", ba.include_dirs, "Add a folder to the library search path");
    benchc
        ->add_option("--compile-runs", ba.compile_runs, "Compilations, the best counts (default 3)")
        ->check(CLI::Range(1, 100));
    benchc->add_option("--seconds", ba.seconds, "Audio seconds per timed pass (default 2)")
        ->check(CLI::Range(0.001, 3600.0));
    benchc->add_option("--passes", ba.passes, "Timed passes, the best counts (default 3)")
        ->check(CLI::Range(1, 100));
    benchc->add_flag("--no-library-cache", ba.no_library_cache,
                     "Parse the libraries at every compilation (default: parsed once, as in a "
                     "running engine)");
    benchc->add_flag("--timings", ba.timings,
                     "Print the best CPU time of each pass of the pipeline on stderr");
    benchc->add_flag("--serve", ba.serve,
                     "Time one pass of about --seconds of CPU time per line 'pass' read on stdin, "
                     "printing its ns per frame (bench/speed/run.sh interleaves contenders so)");
    benchc->add_option("--check-out", ba.check_out,
                       "Write the first 200 blocks of output to FILE (for bench/speed/run.sh)");

    std::string json_program;
    std::vector<std::string> json_includes;
    bool json_double = false;
    CLI::App* json =
        app.add_subcommand("json", "Print the program's UI description (Faust's JSON format)");
    json->add_option("program", json_program, "Faust program (.dsp)")->required();
    json->add_option("-I", json_includes, "Add a folder to the library search path");
    json->add_flag("--double", json_double, "Double precision");

    // Compute anywhere (issue 13): the compile server and its clients.
    tutti::app::ServeArgs sa;
    CLI::App* serve = app.add_subcommand(
        "serve", "Serve compilations and running instances over HTTP (docs/serve-api.md)");
    serve->add_option("--port", sa.port, "TCP port (0: any free one)")->capture_default_str();
    serve
        ->add_option("--listen", sa.listen,
                     "Address to listen on (off loopback every request needs the token)")
        ->capture_default_str();
    serve->add_option("--jobs", sa.jobs, "Compilations at once")->capture_default_str();
    serve->add_option("--token", sa.token, "The token (default: a random one, printed once)");
    serve->add_option("--max-seconds", sa.max_seconds, "Time limit of one compilation")
        ->capture_default_str();
    serve
        ->add_option("--compile-memory,--max-memory-mb", sa.max_memory_mb,
                     "Memory limit of one compilation in MiB (its compiler process's)")
        ->capture_default_str();
    serve->add_flag("--compile-in-process", sa.compile_in_process,
                    "Compile in the server's process, not one process per compilation (the "
                    "memory limit is then on the server's growth)");
    serve->add_option("--max-body-mb", sa.max_body_mb, "Largest bundle accepted")
        ->capture_default_str();
    serve->add_option("--seconds", sa.seconds, "Stop after this long");
    serve
        ->add_option("--instance-idle", sa.instance_idle,
                     "Seconds after which an instance without a request, WebSocket or link "
                     "master is deleted (its client died; 0: never)")
        ->capture_default_str();
    serve->add_flag("!--no-advertise", sa.advertise,
                    "Do not announce the server with DNS-SD (tutti machines; docs/discovery.md)");
    serve->add_option(
        "--cache-dir", sa.cache_dir,
        "The compiled-code cache's folder (default: the user's, ~/.cache/tutti/code)");
    serve->add_flag("!--no-cache", sa.cache, "Compile without the compiled-code cache");
    serve->add_option("--tls-cert", sa.tls_cert, "Serve https: the certificate chain (PEM)");
    serve->add_option("--tls-key", sa.tls_key, "Serve https: the private key (PEM)");
    // tutti serve's compiler process (hidden): one compilation, the machine
    // code on stdout (src/serve/compile_worker.h)
    tutti::serve::WorkerArgs wa;
    CLI::App* worker = app.add_subcommand("compile-worker", "One compilation for tutti serve");
    worker->group(""); // hidden
    worker->add_option("program", wa.program, "Faust program (.dsp)")->required();
    worker->add_option("--opt", wa.opt_level, "LLVM optimisation level");
    worker->add_flag("--double", wa.double_precision, "Double precision");
    worker->add_flag("--fast-math", wa.fast_math, "math=fast");
    worker->add_option("--memory-mb", wa.memory_mb, "Memory limit (MiB)");
    worker->add_option("--seconds", wa.seconds, "Time limit");
    worker->add_option("--triple", wa.triple, "Target triple (default: this machine)");
    worker->add_option("--cpu", wa.cpu, "Target CPU");
    worker->add_option("--features", wa.features, "Target CPU features");
    worker->add_option("--parent", wa.parent, "The server's pid");
    std::string factories_server, factories_token;
    bool factories_json = false;
    CLI::App* factories =
        app.add_subcommand("factories", "List the factories of a server (tutti serve)");
    factories->add_option("server", factories_server, "HOST[:PORT] (default port 7777)")
        ->required();
    factories->add_option("--token", factories_token, "The server's token");
    factories->add_flag("--json", factories_json, "Print the server's JSON answer");
    std::string factories_tls_ca;
    factories->add_option("--tls-ca", factories_tls_ca,
                          "Trust this certificate (PEM) for https (a self-signed one)");
    std::string bundle_program;
    std::vector<std::string> bundle_includes;
    CLI::App* bundle = app.add_subcommand(
        "bundle", "Print a program and every file it reads as one bundle (what serve compiles)");
    bundle->add_option("program", bundle_program, "Faust program (.dsp)")->required();
    bundle->add_option("-I", bundle_includes, "Add a folder to the library search path");
    CLI::App* cache = app.add_subcommand(
        "cache", "The compiled-code cache: 'stats' (entries, size, hits, where) or 'clear'");
    cache->require_subcommand(1);
    CLI::App* cache_stats = cache->add_subcommand("stats", "Print what the cache holds");
    cache->add_subcommand("clear", "Remove every entry of the cache");
    // Discovery (issue 13): the tutti servers on the link; `advertise` (hidden)
    // announces a port as `tutti serve` does, for the tests.
    tutti::app::MachinesArgs ma;
    CLI::App* machines = app.add_subcommand(
        "machines", "List the tutti servers on the local network (DNS-SD through avahi-daemon)");
    machines->add_option("--timeout", ma.timeout, "Browse for at most S seconds (default 3)");
    machines->add_flag("--json", ma.json, "Print a JSON array");
    machines->add_flag("--wait", ma.wait,
                       "Browse for the whole timeout (default: until the first answers are in)");
    tutti::app::AdvertiseArgs aa;
    CLI::App* advertise =
        app.add_subcommand("advertise", "Announce a server port with DNS-SD (for tests)");
    advertise->group(""); // hidden
    advertise->add_option("--port", aa.port, "The API port announced as _tutti._tcp")->required();
    advertise->add_option("--name", aa.name, "Service name (default: 'tutti on HOSTNAME')");
    advertise->add_option("--listen", aa.listen, "The address the server binds (default: any)");
    advertise->add_option("--api", aa.api, "The API path in the TXT record (default /api)");
    advertise->add_option("--osc-port", aa.osc_port, "Also announce _osc._udp on this port");
    advertise->add_option("--http-port", aa.http_port, "Also announce _http._tcp on this port");
    advertise->add_option("--load-interval", aa.load_interval,
                          "Refresh the load in the TXT record every S seconds (default 10)");
    advertise->add_option("--seconds", aa.seconds, "Stop after S seconds");
    advertise->add_option("--load-file", aa.load_file,
                          "Publish the number in FILE as the load (read at every refresh)");

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    }
    try {
        if (parse->parsed()) {
            return run_parse(pa);
        }
        if (cache->parsed()) {
            return tutti::app::run_cache(cache_stats->parsed() ? "stats" : "clear");
        }
        if (render->parsed()) {
            return tutti::app::run_render(ra);
        }
        if (play->parsed()) {
            return tutti::app::run_play(pl);
        }
        if (machines->parsed()) {
            return tutti::app::run_machines(ma);
        }
        if (advertise->parsed()) {
            return tutti::app::run_advertise(aa);
        }
        if (json->parsed()) {
            return tutti::app::run_json(json_program, json_includes, json_double);
        }
        if (serve->parsed()) {
            return tutti::app::run_serve(sa);
        }
        if (worker->parsed()) {
            return tutti::serve::compile_worker_main(wa);
        }
        if (factories->parsed()) {
            return tutti::app::run_factories(factories_server, factories_token, factories_json,
                                             factories_tls_ca);
        }
        if (bundle->parsed()) {
            return tutti::app::run_bundle(bundle_program, bundle_includes);
        }
        if (benchc->parsed()) {
            return tutti::app::run_bench(ba);
        }
        if (check->parsed()) {
            return tutti::app::run_check(check_program, check_includes, check_double, check_json,
                                         check_limits, check_outputs);
        }
    } catch (const std::exception& e) {
        std::cerr << "tutti: internal error: " << e.what() << "\n";
        return 3;
    }
    return 2;
}
