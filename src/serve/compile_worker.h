// SPDX-License-Identifier: MIT
/** \file
 * A compilation in a process of its own (`tutti compile-worker`, hidden), so
 * that a program that exhausts memory ends that process only: the compile
 * server (service.h) spawns one per compilation it cannot answer from its
 * cache, and loads what it sends back as a thin client loads a server's
 * machine code (tutti/machine_code.h).
 *
 *  - The child bounds itself before it compiles: its address space to its
 *    size at start + the memory limit + 256 MiB (RLIMIT_AS: an allocation past
 *    it fails, which the compiler reports as out_of_memory), its CPU time
 *    (RLIMIT_CPU, the time limit + 2 s), and it dies with the server
 *    (PR_SET_PDEATHSIG). The compiler's own budget (RSS growth, time) still
 *    gives the limits' diagnostics with the place being expanded.
 *  - The parent reads the answer through a pipe (bounded), kills the child
 *    past the time limit + 2 s, and reaps it (wait4, which also gives the
 *    child's peak resident set). A child that dies (SIGKILL from the kernel's
 *    OOM killer, SIGSEGV, SIGABRT) is a diagnostic, never the server's end.
 *  - `Children` holds the children running, so that the server kills them
 *    when it stops.
 *
 * The answer (stdout): "tutti-compile-worker 1\n", then length-prefixed
 * fields: status, refused, the diagnostics, the source checksums, and the
 * MachineCode container (encode_machine_code).
 */
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "tutti/compiler.h"
#include "tutti/machine_code.h"

namespace tutti::serve {

/// What the child compiles (the command line of `tutti compile-worker`).
struct WorkerArgs {
    std::string program; ///< the program file (the bundle's folder holds its imports)
    bool double_precision = false;
    int opt_level = 2;
    bool fast_math = false;
    double memory_mb = 1024;           ///< 0: none
    double seconds = 30;               ///< 0: none
    std::string triple, cpu, features; ///< a target CPU; triple empty: this machine's
    long parent = 0;                   ///< the server's pid (the child ends if it is gone)
};

/// The child's side: compiles and writes the answer on stdout. The exit code.
int compile_worker_main(const WorkerArgs& args);

/// The children running, killed together when the server stops.
class Children {
public:
    /// False when the server is stopping (the caller then kills `pid` itself).
    bool add(int pid);
    void remove(int pid);
    /// SIGKILL to every child; later add()s fail.
    void kill_all();
    std::size_t running() const;
    bool stopping() const;

private:
    mutable std::mutex m_;
    std::set<int> pids_;
    bool stopping_ = false;
};

struct WorkerResult {
    enum class Status {
        Ok,         ///< `code` holds the machine code
        Failed,     ///< diagnostics (the limits' included)
        Refused,    ///< what machine code does not carry (`refused`)
        Died,       ///< the child ended without an answer (`diagnostics` says how)
        SpawnFailed ///< no child (`error`): compile in this process
    } status = Status::Died;
    std::string code_bytes; ///< the MachineCode container, as the child sent it
    std::optional<MachineCode> code;
    std::vector<Diagnostic> diagnostics;
    std::vector<std::uint64_t> source_checksums;
    std::string refused, error;
    bool stopped = false; ///< killed because the server stops (Died)
    long peak_rss_kb = 0; ///< the child's (wait4's ru_maxrss)
    double spawn_ms = 0, total_ms = 0;
};

/// Spawns `command` (e.g. {"/usr/bin/tutti", "compile-worker"}) with `args`
/// (its parent: this process) and waits for its answer. `display_name`: the
/// program's name in diagnostics about the child's end.
WorkerResult run_compile_worker(const std::vector<std::string>& command, WorkerArgs args,
                                Children& children, const std::string& display_name);

/// This executable's path (/proc/self/exe), for the command.
std::string self_executable();

} // namespace tutti::serve
