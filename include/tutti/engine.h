// SPDX-License-Identifier: MIT
/** \file
 * The live engine: plays one program at a time and replaces it by a new version
 * while it plays, carrying the state (delay lines, recursions, phases, control
 * values) from the old version to the new one by the compiler's state
 * identities, and crossfading only when some state could not be carried.
 *
 * Threads (each method says which may call it):
 *  - the *audio thread*: the driver's thread that calls `process()`. It never
 *    allocates, locks, logs, throws or waits: it only takes prepared versions
 *    and parameter changes from preallocated lock-free queues, gives back old
 *    versions through another, and publishes the value of every control into
 *    preallocated atomics. Denormals are flushed to zero inside process();
 *  - *any thread* (control sources: a command line, OSC, HTTP, WebSocket or
 *    network threads, as many at once as there are): sets parameters, now or
 *    at a frame, reads the playing version's UI and the current value of every
 *    control, submits programs;
 *  - the engine's *worker thread*: compiles the programs submitted by
 *    `load_file()`/`load_source()` and prepares them (instance, state migration
 *    plan) off the audio thread;
 *  - the engine's *service thread*: frees the versions the audio thread gave
 *    back, records commits into the reports, and calls the UI listeners when a
 *    swap changes the playing version's UI. No host has to poll for memory to
 *    be freed.
 * docs/engine-control.md describes the control API.
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

/// Told, on the audio thread, of every parameter change the engine applies
/// (EngineOptions::change_observer): a network link forwards a program's moves
/// with the frame they landed on. Must not allocate, lock, log or wait.
class ChangeObserver {
public:
    virtual ~ChangeObserver() = default;
    /// Audio thread, inside process(): parameters()[index] of the playing
    /// version set to `value` from engine frame `frame` on; `origin` as the
    /// change was pushed with (ParameterChange::origin).
    virtual void applied(std::uint64_t frame, std::size_t index, double value,
                         std::uint32_t origin) noexcept = 0;
    /// Audio thread, inside process(): a note given to a polyphonic program's
    /// playing version at engine frame `frame` (ParameterChange::is_note).
    virtual void noted(std::uint64_t /*frame*/, const NoteEvent& /*note*/,
                       std::uint32_t /*origin*/) noexcept {
    }
};

struct EngineOptions {
    int sample_rate = 44100;
    int max_block = 4096;          ///< the largest `frames` process() will be given
    int inputs = 2, outputs = 2;   ///< the driver's channels (programs are mapped onto them)
    bool double_precision = false; ///< samples given to process() are double (else float)
    double crossfade_ms = 20;      ///< equal-power crossfade, only when state could not be carried
    CompileOptions compile;        ///< for load_file()/load_source()
    CompileFunction compiler;      ///< for load_file()/load_source(); see CompileFunction
    std::size_t queue_capacity = 1024; ///< parameter changes in flight or waiting for their frame
    /// Flush denormals to zero (FTZ/DAZ) inside process(), as Faust's architectures do.
    bool flush_denormals = true;
    /// How often the service thread frees old versions, records commits and checks
    /// for a UI change (the delay of a UI notification after a swap is at most this).
    double service_interval_ms = 5;
    /// Tests: at each swap the audio thread also copies the old and the migrated
    /// state into buffers prepared with the version (memcpy only), and the control
    /// thread checks every carried field against them (SwapReport::migration_errors).
    bool check_migrations = false;
    /// Keep the last `output_tap_frames` output frames for readers off the audio
    /// thread (read_output(): meters, oscilloscopes); 0 (the default): no tap.
    std::size_t output_tap_frames = 0;
    /// Tiered start (docs/hot-swap.md): a version that load_file()/load_source()
    /// compile for LLVM first plays on the interpreter, as soon as its loop IR
    /// is ready (CompileOptions::tiered), and moves to its LLVM code when the
    /// engine's tier thread has compiled it: a swap between two codes of one
    /// program, same state layout, every field carried, no crossfade (in exact
    /// math the samples continue as if the LLVM code had played from the start).
    /// `tutti play` turns it on; off: a version plays when its LLVM code is ready.
    bool tiered = false;
    /// Tiered: a program whose interpreted code would take more than this
    /// fraction of real time (estimated: instructions per frame x
    /// interpreter_ns_per_instruction x sample rate) waits for its LLVM code.
    double tier_max_load = 0.5;
    double interpreter_ns_per_instruction = 4; ///< measured here: 3-5 (bench_tiered)
    /// Told of every parameter change applied (audio thread); null: none.
    ChangeObserver* change_observer = nullptr;
};

/// What happened to one state field of the new version in a swap.
struct FieldChange {
    enum class Action {
        Carried, ///< taken over from the old version (same identity, same shape)
        Moved,   ///< taken over from another old field: the same shape at another position (a stage
                 ///< inserted downstream), or the past of the same delayed signal held in another
                 ///< kind of storage (a delay line <-> the ring of the recursion that makes the
                 ///< signal)
        Resized, ///< a delay line whose length changed: its most recent samples were kept
        Rebuilt, ///< a table whose content changed (recomputed by its generator)
        Kept,    ///< a table whose content did not change
        Clamped, ///< a control whose value was clamped into its new range
        Reset,   ///< no counterpart in the old version: starts from zero (or its init value)
        Dropped, ///< an old field with no counterpart in the new version
    };
    Action action{};
    std::string name; ///< field name in the new version (old version for Dropped)
    StateKind kind = StateKind::Other;
    StateIdentity identity;
    std::string from;                       ///< the old field's name when something was taken over
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
    double compile_ms = 0;          ///< source to factory (0 for submit())
    double prepare_ms = 0;          ///< instance + constants + migration plan, off the audio thread
    bool committed = false;         ///< false when a later version replaced it before it played
    std::uint64_t commit_frame = 0; ///< frames processed before its first sample
    double commit_us = 0; ///< time spent on the audio thread to migrate the state and switch
    std::chrono::steady_clock::time_point committed_at{}; ///< when its first block started
    bool crossfade = false;
    int carried = 0, resized = 0, rebuilt = 0, reset = 0, dropped = 0;
    std::vector<FieldChange> fields;  ///< every state field (constants excluded)
    std::vector<std::string> sources; ///< the files the version was compiled from
    /// With EngineOptions::check_migrations, once committed: whether the check ran,
    /// and one line per carried field whose content, as the new version reads it
    /// (every age of a line, through its ring index), differs from what the old
    /// version held, or that the report calls carried without any copy.
    bool migration_checked = false;
    std::vector<std::string> migration_errors;
    /// When the compilation was done (the interpreter tier's, when tiered).
    std::chrono::steady_clock::time_point compiled_at{};
    /// With the previous version: "constants" (only numbers changed in the
    /// program's text, its libraries the same), "structural", "same" (comments
    /// or spacing); empty for the first version or a submit().
    std::string edit;

    /// Tiered start (EngineOptions::tiered). `tiered`: the version started on
    /// the interpreter (compile_ms is the time to its loop IR); `tier_note`:
    /// why it did not, or why its LLVM code never took over (superseded by a
    /// newer version, failed); the rest is the move to its LLVM code.
    bool tiered = false;
    /// Tiered, instead of the interpreter: the version started on the LLVM code
    /// with constant slots of an earlier version, its own constants written
    /// into them (only numbers changed: no compilation, CompileResult::
    /// patch_constants); its fully optimised LLVM code takes over later, as
    /// from the interpreter.
    bool patched = false;
    std::string tier_note;
    double tier_compile_ms = 0; ///< the LLVM backend, on the tier thread
    double tier_prepare_ms = 0;
    bool tier_moved = false;      ///< the LLVM code plays it now
    std::uint64_t tier_frame = 0; ///< frames processed before the LLVM code's first sample
    double tier_commit_us = 0;    ///< on the audio thread
    std::chrono::steady_clock::time_point tier_at{}; ///< when the LLVM code's first block started
    /// Every field carried, no crossfade: the samples continue exactly.
    bool tier_exact = false;
};

/// A value of a bargraph, as the audio thread last saw it.
struct MeterValue {
    std::uint64_t generation = 0;
    std::size_t index = 0; ///< into the factory's parameters()
    double value = 0;
};

/// A parameter change as a control source hands it to the engine: by index into
/// the parameters() of a given version (resolve a name once with
/// Engine::submitted_ui() or playing_ui(), then send indices).
struct ParameterChange {
    /// "As soon as possible": applied at the start of the next block.
    static constexpr std::int64_t now = -1;
    std::uint64_t generation = 0; ///< the version whose parameters() `index` is into
    std::uint32_t index = 0;
    double value = 0;
    /// The engine frame (frames_processed() counts them) at which the change lands:
    /// the block that contains it is split there, so the sample at `frame` is the
    /// first one computed with the new value. A frame already played lands at the
    /// start of the next block; `now` too.
    std::int64_t frame = now;
    /// A note for a polyphonic program (Instance::note) instead of a value:
    /// generation and index are ignored; it goes to the version playing at `frame`.
    bool is_note = false;
    NoteEvent note{};
    /// Who sent it, for a ChangeObserver (0: a local control source; a network
    /// link marks what it received so that it does not send it back).
    std::uint32_t origin = 0;
};

/// The value of every control of one version, as the audio thread last wrote
/// them (at the end of each block): sliders, buttons, checkboxes, numentries (after
/// the changes applied in that block, clamped by a swap) and bargraphs. Lock-free
/// atomics, read by any thread at any rate; a reader always sees the latest value.
/// Shared: a holder keeps it readable after its version stopped playing.
class ControlValues {
public:
    ControlValues(std::uint64_t generation, std::size_t count);
    std::uint64_t generation() const {
        return generation_;
    }
    std::size_t size() const {
        return count_;
    }
    /// Any thread. The value of parameters()[index] of this version.
    double value(std::size_t index) const {
        return values_[index].load(std::memory_order_relaxed);
    }
    /// Any thread. Engine frame at the end of the last block written (0: none yet).
    std::uint64_t frame() const {
        return frame_.load(std::memory_order_acquire);
    }
    /// Audio thread.
    void store(std::size_t index, double v) noexcept {
        values_[index].store(v, std::memory_order_relaxed);
    }
    void stored_up_to(std::uint64_t frame) noexcept {
        frame_.store(frame, std::memory_order_release);
    }

private:
    std::uint64_t generation_;
    std::size_t count_;
    std::unique_ptr<std::atomic<double>[]> values_;
    std::atomic<std::uint64_t> frame_{0};
};

/// A version's UI as any thread may hold it: its factory (parameters(), json(),
/// build_user_interface()) and the live values of its controls.
struct VersionUi {
    std::uint64_t generation = 0; ///< 0: no version (nothing submitted or playing yet)
    std::shared_ptr<const Factory> factory;
    std::shared_ptr<const ControlValues> values;
    explicit operator bool() const {
        return generation != 0;
    }
};

/// A copy of a version's state block taken by the audio thread at a block
/// boundary (Engine::request_state, take_state), or one to take in
/// (Engine::submit_state: received from another engine, process or machine).
struct StateSnapshot {
    std::uint64_t generation = 0; ///< the version it was taken from (0: from elsewhere)
    /// Engine frame of the block boundary at which it was taken: the state
    /// before that frame was computed.
    std::uint64_t frame = 0;
    std::shared_ptr<const Factory> factory; ///< what describes the bytes (state_layout())
    std::vector<std::byte> bytes;           ///< factory->state_bytes() bytes
};

/// The engine's clock: the frame at which the last block started and when.
struct FrameClock {
    std::uint64_t frame = 0;
    std::chrono::steady_clock::time_point at{}; ///< zero before the first block
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

    /// Any non-audio thread. Queues a compilation on the worker thread; the new version
    /// is swapped in at the next block boundary after it is ready. A compilation
    /// that fails leaves the playing version alone. Returns its generation.
    std::uint64_t load_file(const std::string& path);
    std::uint64_t load_source(const std::string& name, const std::string& source);
    /// Any non-audio thread (one at a time with the worker and the service thread):
    /// prepares an already compiled factory synchronously and queues it for the
    /// audio thread. Returns its generation, or 0 when its sample format differs
    /// from the engine's (an error in *error).
    /// `compile_ms`: how long the factory took to compile, for the report.
    std::uint64_t submit(std::shared_ptr<const Factory> factory, const std::string& program,
                         std::string* error = nullptr, double compile_ms = 0);
    /// Any non-audio thread: submit() of a compilation's result. A tiered one
    /// (CompileResult::next_tier, CompileOptions::tiered) plays on the
    /// interpreter at once and moves to its LLVM code when the tier thread has
    /// compiled it (EngineOptions::tiered need not be set for this).
    std::uint64_t submit(CompileResult result, const std::string& program,
                         std::string* error = nullptr, double compile_ms = 0);

    /// Any non-audio thread. Blocks until the version `generation` is compiled and
    /// queued (or failed); true when it is queued.
    bool wait_prepared(std::uint64_t generation,
                       std::chrono::milliseconds timeout = std::chrono::milliseconds(60000));
    /// Any non-audio thread (one reader: each report is handed out once). Reports
    /// whose story changed since the last call (compiled, failed, committed).
    std::vector<SwapReport> take_reports();

    /// Any thread. Sets the parameters so named (by Faust address, short name or
    /// label: Parameter::named) in the last submitted version (so that a change
    /// made just after a submission reaches the new version), at the start of the
    /// next block, or at engine frame `frame` (ParameterChange::frame).
    /// False when that version has no such parameter, or the queue is full
    /// (dropped_messages() counts those).
    bool set_parameter(const std::string& path_or_label, double value);
    bool set_parameter_at(std::int64_t frame, const std::string& path_or_label, double value);
    /// Any thread. One change by index; false when the queue is full.
    bool push(const ParameterChange& change);

    /// Any thread. The version playing now (the one process() runs), with its
    /// factory and live control values; empty before the first commit.
    VersionUi playing_ui() const;
    /// Any thread. The last version submitted and prepared (the one that
    /// set_parameter() addresses): the playing one, or the one about to be.
    VersionUi submitted_ui() const;
    /// Any thread. The current value of a control of the playing version (the
    /// first parameter so named); nullopt when none is.
    std::optional<double> control_value(const std::string& path_or_label) const;
    /// Any thread. Latest bargraph values of the playing version.
    std::vector<MeterValue> meters() const;

    /// Any thread. `listener` is called on the engine's service thread each time a
    /// swap changes the playing version's UI (its JSON differs from the one played
    /// before, or it is the first version), after the swap was heard. It must not
    /// call remove_ui_listener() or destroy the engine. Returns an id.
    using UiListener = std::function<void(const VersionUi&)>;
    int add_ui_listener(UiListener listener);
    /// Any thread but the service thread's listeners. After it returns, the
    /// listener is not running and will not be called again.
    void remove_ui_listener(int id);
    /// Any thread. How many UI changes there have been (for pollers).
    std::uint64_t ui_changes() const;

    /// Any thread. Frees the versions the audio thread gave back now (the
    /// service thread does it on its own every service_interval_ms).
    void collect();

    /// Audio thread. inputs/outputs: options().inputs/outputs arrays of `frames`
    /// (<= max_block) samples, float or double as options().double_precision.
    /// Outputs are silent until a first version is committed. `frames` 0
    /// computes nothing and applies the changes due (a host that does not
    /// compute the program for a while, a moved one: its controls still land).
    void process(int frames, const void* const* inputs, void* const* outputs) noexcept;
    /// Audio thread. Lets `frames` frames pass without computing them (a host
    /// that plays the program elsewhere for a while, a moved one,
    /// docs/move.md): the changes due in them are applied at their frames as
    /// process() would (a ChangeObserver sees each at its frame), and
    /// frames_processed() advances; the state is not computed and nothing is
    /// output.
    void skip(int frames) noexcept;

    /// Any non-audio thread. Asks the audio thread to copy the playing
    /// version's state at the start of the next process() call (a block
    /// boundary, before the block is computed) into a buffer prepared here;
    /// take_state() gives it. False when a request is pending already.
    bool request_state();
    /// Any non-audio thread. The state requested, once the audio thread copied
    /// it (waits up to `timeout`; an offline host calls process() in between);
    /// nullopt and *error when it was not copied in time or nothing plays.
    std::optional<StateSnapshot> take_state(std::chrono::milliseconds timeout,
                                            std::string* error = nullptr);
    /// Any non-audio thread: a new version of `factory` (null: the last
    /// submitted version's) whose state is taken from `state` by the same
    /// migration a swap makes from the playing version (fields by identity,
    /// controls by address, lines by age: docs/hot-swap.md), committed at the
    /// next block boundary (no crossfade when everything is carried). Unless
    /// `partial`, a state that would leave some sounding state reset or dropped
    /// (another program's) is refused: 0 and *error. Returns its generation.
    std::uint64_t submit_state(const StateSnapshot& state,
                               std::shared_ptr<const Factory> factory = nullptr,
                               std::string* error = nullptr, bool partial = false);

    /// Any thread.
    std::uint64_t playing_generation() const;
    std::uint64_t frames_processed() const;
    /// Any thread: the frame and time of the last block's start, for stamping
    /// changes with a time (frame = clock.frame + (t - clock.at) * sample_rate
    /// + a latency of a block or two).
    FrameClock frame_clock() const;
    std::uint64_t
    dropped_messages() const; ///< parameter changes and commit events lost to full queues

    /// Any thread, with EngineOptions::output_tap_frames > 0 (else returns 0).
    /// Copies the output frames played from engine frame `*cursor` on (at most
    /// `max_frames`, interleaved: options().outputs floats per frame) into `out`,
    /// advances `*cursor` past them and returns how many. A reader that fell
    /// behind by more than the tap holds skips to the oldest frame kept. The
    /// audio thread only stores into a preallocated ring (engine/output_tap.h).
    std::size_t read_output(std::uint64_t* cursor, float* out, std::size_t max_frames) const;

    struct Impl;

private:
    std::unique_ptr<Impl> impl_;
};

} // namespace tutti
