// SPDX-License-Identifier: MIT
/** \file
 * What `tutti serve` serves (docs/serve-api.md), behind the HTTP layer
 * (server.h): the factories compiled from clients' bundles and the instances
 * that run them, each in an engine of its own on the null driver.
 *
 *  - Compilations run on a pool of `jobs` threads, each in a session of its own
 *    (the compiler keeps no global state), with the limits of ServiceOptions
 *    (memory, time, file sizes) and foreign code refused. A program that
 *    passes a limit ends with a diagnostic; the other workers go on. At most
 *    `max_queued` compilations wait; beyond, the answer is 503.
 *  - A bundle's files are written into a private temporary folder and compiled
 *    from there; a program that reads a file outside it (an absolute path, or
 *    one of the server's own files other than its installed Faust libraries)
 *    is refused before it is compiled.
 *  - Factories are kept by content key (with name, options and last use); the
 *    same bundle with the same options is not compiled twice.
 *  - Instances have random ids (32 hex digits). Each has an Engine (so a swap
 *    carries its state: PUT .../factory is the engine's hot swap), a null
 *    driver started and stopped by the API, a program in the shared control
 *    hub, and an HTTP control server (src/http) without a port of its own,
 *    to which the API hands the instance's /ws connections.
 *
 * Threads: any thread may call handle(); compile()'s `done` runs on a worker.
 */
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "serve/api.h"
#include "tutti/runtime.h"

namespace tutti::serve {

/// A render the service hands to the render function (`tutti render --on`):
/// the compiled program and the request; `input` holds the input file's
/// samples (RenderBody::input) when the request's input is `file`.
struct RenderJob {
    std::shared_ptr<const Factory> program;
    const RenderRequest* request = nullptr;
    FactoryOptions options;
    std::string_view input;
    double max_seconds = 30; ///< the render's wall clock
};
/// What a render gives: exit 0 and the samples (channel after channel, each
/// `frames` floats or doubles in this machine's byte order), or the exit code
/// of `tutti render` (2) with its messages in `log`.
struct RenderResult {
    int exit = 0;
    std::string log; ///< what a local render writes on stderr
    int inputs = 0, outputs = 0;
    long frames = 0;
    bool double_precision = false;
    std::string samples;
};
using RenderFunction = std::function<RenderResult(const RenderJob&)>;

struct ServiceOptions {
    int jobs = 2;                ///< compile workers
    std::size_t max_queued = 64; ///< compilations waiting for a worker
    /// Per compilation: with compile_worker, the child's resident-set growth
    /// (located diagnostic) and its address space (start + this + 256 MiB, hard);
    /// in this process, the process's RSS growth (shared by the compilations).
    std::uint64_t max_memory_bytes = 1ull << 30;
    double max_seconds = 30;               ///< per compilation, wall clock
    std::size_t max_file_bytes = 4u << 20; ///< one file of a bundle
    std::size_t max_factories = 256, max_instances = 32;
    std::string listen = "127.0.0.1"; ///< for the instances' control servers
    std::string token;                ///< idem (writes from off loopback)
    /// POST /v1/render's render (tutti serve gives tutti render's; none: 501).
    RenderFunction render;
    std::size_t max_render_bytes = std::size_t(256) << 20; ///< the samples of one render
    /// The compiled-code cache (cache/code_cache.h) for compilations: a hit
    /// answers without compiling ("cached":true). `cache_dir` empty: the user's
    /// (TUTTI_CACHE_DIR, ~/.cache/tutti/code); TUTTI_CACHE=0 turns it off too.
    bool use_cache = false;
    std::string cache_dir;
    /// Instances expire after this many seconds without activity (<= 0:
    /// never): a request on the instance (any /v1/instances/ID... call; a
    /// client that holds one renews it with GET /v1/instances/ID), an open
    /// WebSocket on it, or its audio link's master connected. An orphaned
    /// instance (its client died) is stopped and deleted.
    double instance_idle_s = 60;
    /// Called (on the reaper's thread) with a line for each expired instance.
    std::function<void(const std::string&)> notice;
    /// Compile each program the cache does not answer in a child process
    /// (compile_worker.h; the interpreter backend aside): the command, e.g.
    /// {"/usr/bin/tutti", "compile-worker"}. Empty: in this process.
    std::vector<std::string> compile_worker;
};

struct Reply {
    int status = 200;
    std::string content_type = "application/json";
    std::string body;
};

class Service {
public:
    explicit Service(ServiceOptions options);
    /// Stops the workers (waiting for the compilations running) and every instance.
    ~Service();
    Service(const Service&) = delete;
    Service& operator=(const Service&) = delete;

    /// Any thread: every call but CreateFactory and InstanceSocket.
    Reply handle(const Call& call);
    /// Any thread: queues the compilation of `bundle` (the body of the request);
    /// `done` runs once with the answer, on a worker (or at once, on this thread,
    /// when the queue is full: 503).
    void compile(std::string bundle, const FactoryOptions& options,
                 std::function<void(Reply)> done);
    /// The same for a CreateMachineCode call: the answer is the machine code
    /// (tutti/machine_code.h's container) for the call's CPU, not a factory.
    void compile_machine_code(std::string bundle, const Call& call,
                              std::function<void(Reply)> done);
    /// Any thread: hands a connection (a connected socket; ownership passes)
    /// whose first request `request` asks for instance `id`'s WebSocket to the
    /// instance's control server. False when there is no such instance (the
    /// socket is then still the caller's).
    /// The same for a Render call: the bundle is compiled as for /v1/factories
    /// (the body is parse_render_body's), then rendered on the worker by
    /// ServiceOptions::render, within the compile's time limit.
    void render(std::string body, const Call& call, std::function<void(Reply)> done);
    bool adopt_socket(const std::string& id, int native_socket, std::string request);

    struct Stats {
        std::size_t factories = 0, instances = 0, queued = 0, running = 0;
        std::size_t compiled = 0, failed = 0, reused = 0;
        std::size_t expired = 0;    ///< instances deleted for idleness
        std::size_t children = 0;   ///< compiler processes running
        std::size_t spawned = 0;    ///< compiler processes started
        std::size_t died = 0;       ///< ... that ended without an answer (a limit, a crash)
        long child_peak_rss_kb = 0; ///< the largest peak resident set of one
    };
    Stats stats() const;
    const ServiceOptions& options() const;

    struct Impl;

private:
    std::unique_ptr<Impl> impl_;
};

} // namespace tutti::serve
