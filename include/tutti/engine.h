// SPDX-License-Identifier: MIT
/** \file
 * The live engine: plays one program at a time and replaces it by a new version
 * while it plays, carrying the state (delay lines, recursions, phases, control
 * values) from the old version to the new one by the compiler's state
 * identities, and crossfading only when some state could not be carried.
 *
 * Threads (each method says which may call it):
 *  - the *audio thread*: the driver's thread that calls `process()`. It never
 *    allocates, locks, logs, throws or waits: it only takes prepared versions,
 *    parameter changes from preallocated lock-free queues and gives back old
 *    versions and meter values through others;
 *  - the *control thread*: the one that created the engine; it submits programs,
 *    sets parameters, reads meters and reports, and frees old versions
 *    (`collect()`);
 *  - the engine's own *worker thread*: compiles the programs submitted by
 *    `load_file()`/`load_source()` and prepares them (instance, state migration
 *    plan) off the audio thread.
 */
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tutti/compiler.h"

namespace tutti {

/// Compiles what load_file()/load_source() are given, on the engine's worker
/// thread. `tutti::compile_program` (library tutti_compiler) compiles in this
/// process; a host that links only the runtime and the engine leaves it empty
/// (load_file/load_source then report a `no_compiler` error, submit() works) or
/// gives another (a compile server's client).
using CompileFunction = std::function<CompileResult(const ProgramSource&, const CompileOptions&)>;

struct EngineOptions {
    int sample_rate = 44100;
    int max_block = 4096;          ///< the largest `frames` process() will be given
    int inputs = 2, outputs = 2;   ///< the driver's channels (programs are mapped onto them)
    bool double_precision = false; ///< samples given to process() are double (else float)
    double crossfade_ms = 20;      ///< equal-power crossfade, only when state could not be carried
    CompileOptions compile;        ///< for load_file()/load_source()
    CompileFunction compiler;      ///< for load_file()/load_source(); see CompileFunction
    std::size_t queue_capacity = 1024; ///< parameter and meter queues (entries)
    /// Tests: at each swap the audio thread also copies the old and the migrated
    /// state into buffers prepared with the version (memcpy only), and the control
    /// thread checks every carried field against them (SwapReport::migration_errors).
    bool check_migrations = false;
};

/// What happened to one state field of the new version in a swap.
struct FieldChange {
    enum class Action {
        Carried,    ///< taken over from the old version (same identity, same shape)
        Moved,      ///< taken over from another old field: the same shape at another position (a stage
                    ///< inserted downstream), or the past of the same delayed signal held in another
                    ///< kind of storage (a delay line <-> the ring of the recursion that makes the signal)
        Resized,    ///< a delay line whose length changed: its most recent samples were kept
        Rebuilt,    ///< a table whose content changed (recomputed by its generator)
        Kept,       ///< a table whose content did not change
        Clamped,    ///< a control whose value was clamped into its new range
        Reset,      ///< no counterpart in the old version: starts from zero (or its init value)
        Dropped,    ///< an old field with no counterpart in the new version
    };
    Action action{};
    std::string name;     ///< field name in the new version (old version for Dropped)
    StateKind kind = StateKind::Other;
    StateIdentity identity;
    std::string from;     ///< the old field's name when something was taken over
    StateKind from_kind = StateKind::Other; ///< and its kind
    std::string location; ///< "file:line:col" in the source (of the old version for Dropped)
};
const char* to_string(FieldChange::Action a);

/// One program version's story: compiled (or not), then committed on the audio thread.
struct SwapReport {
    std::uint64_t generation = 0; ///< 1 for the first program, then one per submission
    std::string program;
    bool compiled = false;
    std::vector<Diagnostic> diagnostics;
    double compile_ms = 0;  ///< source to factory (0 for submit())
    double prepare_ms = 0;  ///< instance + constants + migration plan, off the audio thread
    bool committed = false; ///< false when a later version replaced it before it played
    std::uint64_t commit_frame = 0; ///< frames processed before its first sample
    double commit_us = 0;   ///< time spent on the audio thread to migrate the state and switch
    std::chrono::steady_clock::time_point committed_at{}; ///< when its first block started
    bool crossfade = false;
    int carried = 0, resized = 0, rebuilt = 0, reset = 0, dropped = 0;
    std::vector<FieldChange> fields; ///< every state field (constants excluded)
    std::vector<std::string> sources; ///< the files the version was compiled from
    /// With EngineOptions::check_migrations, once committed: whether the check ran,
    /// and one line per carried field whose content, as the new version reads it
    /// (every age of a line, through its ring index), differs from what the old
    /// version held, or that the report calls carried without any copy.
    bool migration_checked = false;
    std::vector<std::string> migration_errors;
};

/// A value of a bargraph, as the audio thread last saw it.
struct MeterValue {
    std::uint64_t generation = 0;
    std::size_t index = 0; ///< into the factory's parameters()
    double value = 0;
};

class Engine {
public:
    /// Control thread. Starts the worker thread; allocates every buffer and queue.
    explicit Engine(const EngineOptions& options);
    /// Control thread, after the driver stopped calling process().
    ~Engine();
    Engine(const Engine&) = delete;
    Engine& operator=(const Engine&) = delete;

    const EngineOptions& options() const;

    /// Control thread. Queues a compilation on the worker thread; the new version
    /// is swapped in at the next block boundary after it is ready. A compilation
    /// that fails leaves the playing version alone. Returns its generation.
    std::uint64_t load_file(const std::string& path);
    std::uint64_t load_source(const std::string& name, const std::string& source);
    /// Control thread (or any non-audio thread, one at a time with the worker):
    /// prepares an already compiled factory synchronously and queues it for the
    /// audio thread. Returns its generation, or 0 when its sample format differs
    /// from the engine's (an error in *error).
    /// `compile_ms`: how long the factory took to compile, for the report.
    std::uint64_t submit(std::shared_ptr<const Factory> factory, const std::string& program,
                         std::string* error = nullptr, double compile_ms = 0);

    /// Control thread. Blocks until the version `generation` is compiled and
    /// queued (or failed); true when it is queued.
    bool wait_prepared(std::uint64_t generation,
                       std::chrono::milliseconds timeout = std::chrono::milliseconds(60000));
    /// Control thread. Reports whose story changed since the last call (compiled,
    /// failed, committed); also frees old versions (collect()).
    std::vector<SwapReport> take_reports();

    /// Control thread. Sets the parameters of the playing version so named (by
    /// Faust address, short name or label: Parameter::named)
    /// (queued; applied by the audio thread at the start of its next block).
    /// False when the playing (or last submitted) version has no such parameter,
    /// or the queue is full.
    bool set_parameter(const std::string& path_or_label, double value);
    /// Control thread. Latest bargraph values (drained from the meter queue).
    std::vector<MeterValue> meters();

    /// Control thread. Frees the versions the audio thread gave back.
    void collect();

    /// Audio thread. inputs/outputs: options().inputs/outputs arrays of `frames`
    /// (<= max_block) samples, float or double as options().double_precision.
    /// Outputs are silent until a first version is committed.
    void process(int frames, const void* const* inputs, void* const* outputs) noexcept;

    /// Any thread.
    std::uint64_t playing_generation() const;
    std::uint64_t frames_processed() const;
    std::uint64_t dropped_messages() const; ///< parameter changes and commit events lost to full queues
    /// Bargraph values not sent because the meter queue was full: nobody reads the
    /// meters (an offline render); not a loss of anything asked for.
    std::uint64_t unread_meter_values() const;

    struct Impl;

private:
    std::unique_ptr<Impl> impl_;
};

} // namespace tutti
