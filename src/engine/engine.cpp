// SPDX-License-Identifier: MIT
/** \file
 * The live engine (include/tutti/engine.h). One `Slot` per program version:
 * made and prepared off the audio thread (instance initialised, migration plan
 * from the previously submitted version, output buffers, control values),
 * handed to the audio thread through `incoming`, given back through `retired`
 * and freed by the service thread. The audio thread owns `current` (and
 * `fading` during a crossfade); nothing it touches is ever allocated or freed
 * by it.
 *
 * Parameter changes come from any number of threads through one bounded
 * multi-producer queue. At the start of a block the audio thread moves them
 * into `pending`, a preallocated array sorted by the frame each lands at
 * (stable: equal frames keep their arrival order), and splits the block at
 * every frame where a change lands. Control values go the other way through
 * the slot's ControlValues (atomics written at the end of every block), shared
 * with readers on any thread, so no one has to drain anything.
 */
#include "tutti/engine.h"

#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <new>
#include <numbers>
#include <set>
#include <thread>

#if defined(__linux__)
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

#include "engine/denormals.h"
#include "engine/migration.h"
#include "engine/mpsc_queue.h"
#include "engine/output_tap.h"
#include "engine/spsc_queue.h"
#include "support/rt_section.h"

namespace tutti {

namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t0) {
    return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

/// State blocks of freed versions, kept for the next ones (issue 14): a new
/// version of a big program (a reverb's delay lines, a megabyte) gets memory
/// the process has touched already, so that neither its preparation nor the
/// audio thread's first block of it faults in fresh pages (a constant-only
/// edit of zitaRev spent 0.45 ms of its 0.6 ms preparation there). Blocks are
/// zeroed when given back (off the path of the next swap); never used by the
/// audio thread.
class StatePool {
public:
    struct Block {
        std::byte* data = nullptr;
        std::size_t bytes = 0;
    };
    /// Smaller states are cheap to allocate: not pooled.
    static constexpr std::size_t min_bytes = 64 * 1024;
    static constexpr std::size_t max_blocks = 4;
    static constexpr std::size_t max_total = std::size_t(64) << 20;

    StatePool() = default;
    StatePool(const StatePool&) = delete;
    StatePool& operator=(const StatePool&) = delete;
    ~StatePool() {
        for (Block& b : blocks_) {
            free(b);
        }
    }

    /// A zeroed, 64-byte aligned block of at least `bytes` (a kept one when one
    /// fits without wasting more than its size again).
    Block take(std::size_t bytes) {
        {
            std::lock_guard<std::mutex> l(mutex_);
            std::size_t best = blocks_.size();
            for (std::size_t i = 0; i < blocks_.size(); ++i) {
                if (blocks_[i].bytes >= bytes && blocks_[i].bytes <= 2 * bytes &&
                    (best == blocks_.size() || blocks_[i].bytes < blocks_[best].bytes)) {
                    best = i;
                }
            }
            if (best < blocks_.size()) {
                Block b = blocks_[best];
                blocks_.erase(blocks_.begin() + std::ptrdiff_t(best));
                total_ -= b.bytes;
                return b;
            }
        }
        Block b;
        b.bytes = bytes;
        b.data = static_cast<std::byte*>(::operator new(bytes, std::align_val_t(64)));
        std::memset(b.data, 0, bytes);
        return b;
    }

    /// Keeps `b` (zeroed now) for a later take(), or frees it when the pool is full.
    void give(Block b) {
        if (b.data == nullptr) {
            return;
        }
        std::memset(b.data, 0, b.bytes);
        std::lock_guard<std::mutex> l(mutex_);
        if (blocks_.size() >= max_blocks || total_ + b.bytes > max_total) {
            // the oldest goes: the newest is the likeliest to fit the next version
            if (blocks_.empty() || b.bytes > max_total) {
                free(b);
                return;
            }
            total_ -= blocks_.front().bytes;
            free(blocks_.front());
            blocks_.erase(blocks_.begin());
        }
        total_ += b.bytes;
        blocks_.push_back(b);
    }

private:
    static void free(Block& b) {
        ::operator delete(b.data, std::align_val_t(64));
        b.data = nullptr;
    }

    std::mutex mutex_;
    std::vector<Block> blocks_;
    std::size_t total_ = 0;
};

/// A program version, from preparation to being freed.
struct Slot {
    Slot() = default;
    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;
    ~Slot() {
        instance.reset(); // before the state block it runs in goes back
        if (pool != nullptr) {
            pool->give(state_block);
        }
    }
    /// The instance's state block when it came from the engine's pool.
    StatePool* pool = nullptr;
    StatePool::Block state_block;
    std::uint64_t generation = 0;
    std::uint64_t previous = 0; ///< generation the plan migrates from (0: none)
    std::shared_ptr<const Factory> factory;
    std::unique_ptr<Instance> instance;
    engine::MigrationPlan plan;
    std::vector<const void*> in_ptrs; ///< per program input, filled by the audio thread
    std::vector<void*> out_ptrs;      ///< per program output, into out_buf
    std::vector<std::byte> out_buf;   ///< outputs x max_block samples
    /// Written by the audio thread at the end of each block; shared with readers
    /// (the audio thread only uses the raw pointer, never the reference count)
    std::shared_ptr<ControlValues> values;
    ControlValues* values_raw = nullptr;
    /// EngineOptions::check_migrations: the old state and the migrated one, copied
    /// by the audio thread at the swap (sized when prepared; empty otherwise)
    std::vector<std::byte> check_from, check_to;
    /// Tiered start: the LLVM code of a version that plays on the interpreter
    /// (same generation, same state layout, the same ControlValues)
    bool llvm_tier = false;
    /// clear() ran when it was prepared; otherwise its plan overwrites every
    /// field clear() sets, and a commit that cannot migrate clears it
    bool cleared = true;
    /// Engine::submit_state: the state the plan migrates from (instead of the
    /// playing version's), received from elsewhere
    bool has_foreign = false;
    std::vector<std::byte> foreign;
    /// Its state is not in this process (a remote instance: state() is null):
    /// never migrated here (a swap with its state carried is the server's,
    /// RemoteInstance::swap), crossfaded from and to, never cleared on the
    /// audio thread.
    bool remote = false;
};

struct CommitEvent {
    std::uint64_t generation = 0;
    std::uint64_t frame = 0;
    double commit_us = 0;
    Clock::time_point at{};
    bool crossfade = false;
    bool migrated = false; ///< the state was migrated from the version before
    const Slot* slot = nullptr;
    bool tier_move = false; ///< the slot is a version's LLVM tier
};

/// Which code of a version a slot runs.
enum class Tier {
    Single,      ///< its only code (not tiered)
    Interpreter, ///< tiered: the interpreter, until its LLVM code is ready
    Patched, ///< tiered: an earlier version's slot code with this version's constants, until its
             ///< LLVM code is ready
    Llvm,    ///< tiered: the LLVM code that takes over from the interpreter
};

/// A tiered version's LLVM backend, waiting for the tier thread.
struct TierJob {
    std::uint64_t generation = 0;
    std::function<CompileResult()> finish; ///< empty: the code plays already
    /// Then, unless a newer job waits: the version's code with constant slots,
    /// for patching the next versions (CompileResult::slot_code); may be empty.
    std::function<std::shared_ptr<const ConstantSlotCode>()> slots;
};

struct Request {
    std::uint64_t generation = 0;
    bool is_file = true;
    std::string path_or_name;
    std::string source;
};

constexpr std::size_t max_live_slots = 32;

/// Whether applying `plan` overwrites, whole, every field of `to`'s state that
/// clear() sets: then a version prepared with this plan need not be cleared
/// (the interpreter clears a reverb's lines in milliseconds). Constants,
/// read-only tables and controls are set by instance_constants() and
/// reset_controls(); every other field must be carried as it is (not moved,
/// resized or reset).
bool plan_covers_state(const Factory& to, const engine::MigrationPlan& plan) {
    std::map<std::string_view, FieldChange::Action> action;
    for (const FieldChange& c : plan.changes) {
        if (c.action != FieldChange::Action::Dropped) {
            action.emplace(c.name, c.action);
        }
    }
    for (const StateField& f : to.state_layout()) {
        const bool set_elsewhere =
            f.kind == StateKind::Constant || f.kind == StateKind::Control ||
            f.kind == StateKind::Sound ||
            (f.kind == StateKind::Table && f.identity.kind != StateIdentity::Kind::RwTable);
        if (set_elsewhere) {
            continue;
        }
        auto it = action.find(f.name);
        if (it == action.end() || it->second != FieldChange::Action::Carried) {
            return false;
        }
    }
    return true;
}

} // namespace

struct Engine::Impl {
    EngineOptions opt;
    /// Before every slot (a slot gives its state block back when freed).
    StatePool state_pool;
    std::size_t sample_bytes;

    // ---- audio thread only
    Slot* current = nullptr;
    /// Parameter changes taken from `params`, sorted by frame (stable); the ones
    /// at [pending_head, pending_count) are still to land
    std::unique_ptr<ParameterChange[]> pending;
    std::size_t pending_capacity = 0, pending_head = 0, pending_count = 0;
    Slot* fading = nullptr; ///< the old version during a crossfade
    std::uint32_t fade_pos = 0;
    std::vector<float> fade_out_gain, fade_in_gain; ///< equal power, fade_len + 1 points
    std::uint32_t fade_len = 0;
    std::vector<std::byte> zeros; ///< silent input for programs with more inputs than the driver

    // ---- between threads
    engine::SpscQueue<Slot*> incoming{max_live_slots};
    engine::SpscQueue<Slot*> retired{max_live_slots * 2};
    engine::MpscQueue<ParameterChange> params;
    engine::SpscQueue<CommitEvent> commits{max_live_slots * 2};
    std::unique_ptr<engine::OutputTap> tap; ///< written by the audio thread, read by any
    std::atomic<std::uint64_t> playing{0};
    std::atomic<std::uint64_t> frames{0};
    std::atomic<std::uint64_t> dropped{0};
    /// frame_clock(): a sequence lock written by the audio thread (odd while writing)
    std::atomic<std::uint64_t> clock_seq{0}, clock_frame{0};
    std::atomic<std::int64_t> clock_ns{0};
    /// request_state()/take_state(): 1 requested (control side), then 2 copied
    /// or 3 not copied (audio thread); 0 idle. `state_buf` is sized before 1.
    std::atomic<int> state_phase{0};
    std::vector<std::byte> state_buf;
    std::uint64_t state_frame = 0, state_generation = 0;
    std::size_t state_size = 0;
    std::mutex state_mutex;                            ///< one request at a time
    std::map<std::uint64_t, VersionUi> state_versions; ///< live versions when requested

    // ---- control side (control thread and worker), under `mutex`
    std::mutex mutex;
    std::condition_variable changed;
    std::uint64_t next_generation = 1;
    std::map<std::uint64_t, SwapReport> reports;
    std::vector<std::uint64_t> report_order; ///< generations whose report changed
    std::set<std::uint64_t> finished;        ///< prepared and queued, or failed
    struct Prepared {
        std::uint64_t generation = 0;
        std::shared_ptr<const Factory> factory;
        std::shared_ptr<ControlValues> values;
        std::vector<std::uint64_t> tables;
        bool remote = false;
    } last; ///< the last version queued for the audio thread
    std::size_t live_slots = 0;
    std::map<std::uint64_t, VersionUi> live;    ///< every version not freed yet
    std::map<const Slot*, Slot*> checked_slots; ///< check_migrations: slots whose commit is awaited
    /// The last version compiled from source: for classifying the next edit
    bool have_previous_text = false;
    std::string previous_text;
    std::uint64_t previous_libraries = 0;
    std::mutex
        submit_mutex; ///< one producer of `incoming`, one consumer of `retired` and `commits`

    // ---- service thread
    std::mutex service_mutex;
    std::condition_variable service_wake;
    bool service_stopping = false;
    std::uint64_t ui_seen = 0; ///< the playing generation last looked at
    bool ui_announced = false;
    std::string
        ui_notified_json; ///< the UI last announced (a copy: the version may be freed since)
    std::atomic<std::uint64_t> ui_change_count{0};
    std::mutex listeners_mutex; ///< held while listeners run: removal waits for them
    std::map<int, UiListener> listeners;
    int next_listener = 1;
    std::thread service;

    // ---- worker
    std::deque<Request> requests;
    bool stopping = false;
    std::thread worker;

    // ---- tier thread (tiered start): one job waits at most, the newest
    std::optional<TierJob> tier_job;
    std::thread tier_thread;
    bool tier_busy = false; ///< the tier thread compiles a version's LLVM code (under `mutex`)
    /// The slot thread: a version's code with constant slots (TierJob::slots),
    /// made after its LLVM code, on a thread of its own so that it never delays
    /// the next version's LLVM code (a zitaRev's slot code takes as long as
    /// its LLVM code); one job waits at most, the newest
    std::optional<TierJob> slot_job;
    std::thread slot_thread;
    /// The last slot code the tier thread made (under `mutex`): a new version
    /// that differs from its loop IR only in real constants plays on it at once
    std::shared_ptr<const ConstantSlotCode> slot_code;

    explicit Impl(const EngineOptions& o)
        : opt(o), sample_bytes(o.double_precision ? 8 : 4),
          params(std::max<std::size_t>(o.queue_capacity, 2)) {
        pending_capacity = params.capacity();
        pending = std::make_unique<ParameterChange[]>(pending_capacity);
        fade_len = std::uint32_t(
            std::max(0.0, std::floor(opt.crossfade_ms * 1e-3 * opt.sample_rate + 0.5)));
        fade_out_gain.resize(fade_len + 1);
        fade_in_gain.resize(fade_len + 1);
        for (std::uint32_t i = 0; i <= fade_len; ++i) {
            double t = fade_len == 0 ? 1.0 : double(i) / fade_len;
            fade_out_gain[i] = float(std::cos(t * std::numbers::pi / 2));
            fade_in_gain[i] = float(std::sin(t * std::numbers::pi / 2));
        }
        zeros.assign(std::size_t(opt.max_block) * sample_bytes, std::byte{0});
        if (opt.output_tap_frames > 0) {
            tap = std::make_unique<engine::OutputTap>(opt.output_tap_frames, opt.outputs,
                                                      std::size_t(opt.max_block));
        }
        worker = std::thread([this] { work(); });
        service = std::thread([this] { serve(); });
        tier_thread = std::thread([this] { tier_work(); });
        slot_thread = std::thread([this] { slot_work(); });
    }

    ~Impl() {
        {
            std::lock_guard<std::mutex> l(service_mutex);
            service_stopping = true;
        }
        service_wake.notify_all();
        service.join();
        {
            std::lock_guard<std::mutex> l(mutex);
            stopping = true;
        }
        changed.notify_all();
        worker.join();
        tier_thread.join();
        slot_thread.join();
        tier_job.reset();
        slot_job.reset();
        // the audio thread is gone: everything left is ours to free
        Slot* s = nullptr;
        while (incoming.pop(s)) {
            delete s;
        }
        while (retired.pop(s)) {
            delete s;
        }
        delete fading;
        delete current;
    }

    // ------------------------------------------------------------------ control side

    void record(const SwapReport& r) {
        // mutex held
        reports[r.generation] = r;
        report_order.push_back(r.generation);
        finished.insert(r.generation);
        changed.notify_all();
    }

    /// Frees what the audio thread gave back and collects its commit events.
    void collect_locked() {
        // commits first: a slot is retired only after its commit event was queued,
        // so a slot whose migration is to be checked is still alive here
        CommitEvent e;
        while (commits.pop(e)) {
            std::lock_guard<std::mutex> l(mutex);
            auto it = reports.find(e.generation);
            if (it != reports.end()) {
                SwapReport& r = it->second;
                if (e.tier_move) {
                    r.tier_moved = true;
                    r.tier_frame = e.frame;
                    r.tier_commit_us = e.commit_us;
                    r.tier_at = e.at;
                    r.tier_exact = r.tier_exact && e.migrated && !e.crossfade;
                } else {
                    r.committed = true;
                    r.commit_frame = e.frame;
                    r.commit_us = e.commit_us;
                    r.committed_at = e.at;
                    r.crossfade = e.crossfade;
                }
                if (auto c = checked_slots.find(e.slot); c != checked_slots.end()) {
                    const Slot& s = *c->second;
                    if (e.migrated) {
                        std::vector<std::string> errors = engine::verify_migration(
                            s.plan, *s.factory, s.check_from.data(), s.check_to.data());
                        for (std::string& m : errors) {
                            r.migration_errors.push_back(e.tier_move ? "tier move: " + m
                                                                     : std::move(m));
                        }
                        r.migration_checked = true;
                    }
                    checked_slots.erase(c);
                }
                report_order.push_back(e.generation);
            }
            changed.notify_all();
        }
        Slot* s = nullptr;
        while (retired.pop(s)) {
            std::lock_guard<std::mutex> l(mutex);
            // a version's interpreter tier leaves the entry to its LLVM tier
            if (auto v = live.find(s->generation);
                v != live.end() && v->second.factory == s->factory) {
                live.erase(v);
            }
            checked_slots.erase(s); // replaced before it played
            --live_slots;
            delete s;
        }
    }

    std::uint64_t new_generation(const std::string& program) {
        std::lock_guard<std::mutex> l(mutex);
        std::uint64_t g = next_generation++;
        SwapReport r;
        r.generation = g;
        r.program = program;
        reports[g] = r;
        return g;
    }

    /// Any non-audio thread: prepares `factory` as version `generation` and queues it.
    bool prepare(std::uint64_t generation, std::shared_ptr<const Factory> factory,
                 double compile_ms, std::string* error, Tier tier = Tier::Single,
                 const StateSnapshot* foreign = nullptr, bool partial = false) {
        std::lock_guard<std::mutex> submit(submit_mutex);
        auto t0 = Clock::now();
        if (tier == Tier::Llvm) {
            std::lock_guard<std::mutex> l(mutex);
            if (last.generation != generation) { // a newer version was submitted meanwhile
                SwapReport& r = reports[generation];
                r.tier_note = "superseded before its LLVM code was ready";
                report_order.push_back(generation);
                changed.notify_all();
                return false;
            }
        }
        if (factory->double_precision() != opt.double_precision) {
            if (error != nullptr) {
                *error = opt.double_precision
                             ? "the engine runs double precision; the program is single"
                             : "the engine runs single precision; the program is double";
            }
            std::lock_guard<std::mutex> l(mutex);
            SwapReport& r = reports[generation];
            r.compiled = false;
            r.diagnostics.clear();
            record(r);
            return false;
        }
        // bounded number of versions alive at once: wait for the audio thread to give some back
        for (;;) {
            collect_locked();
            {
                std::lock_guard<std::mutex> l(mutex);
                if (live_slots < max_live_slots - 2) {
                    break;
                }
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
        auto slot = std::make_unique<Slot>();
        slot->generation = generation;
        slot->factory = factory;
        if (factory->state_bytes() >= StatePool::min_bytes) {
            StatePool::Block block = state_pool.take(factory->state_bytes());
            slot->instance = factory->create_instance_in(block.data);
            if (slot->instance) {
                slot->pool = &state_pool;
                slot->state_block = block;
            } else {
                state_pool.give(block); // the implementation keeps its state elsewhere
            }
        }
        if (!slot->instance) {
            slot->instance = factory->create_instance();
        }
        // init() but for clear(), which waits for the plan: needless when it carries everything
        slot->instance->instance_constants(opt.sample_rate);
        slot->instance->reset_controls();
        int nin = factory->num_inputs(), nout = factory->num_outputs();
        slot->in_ptrs.assign(std::size_t(nin), nullptr);
        slot->out_buf.assign(std::size_t(std::max(nout, 1)) * std::size_t(opt.max_block) *
                                 sample_bytes,
                             std::byte{0});
        slot->out_ptrs.resize(std::size_t(nout));
        for (int c = 0; c < nout; ++c) {
            slot->out_ptrs[std::size_t(c)] =
                slot->out_buf.data() + std::size_t(c) * std::size_t(opt.max_block) * sample_bytes;
        }
        const std::size_t nparams = factory->parameters().size();
        Prepared prev;
        {
            std::lock_guard<std::mutex> l(mutex);
            prev = last;
        }
        bool needs_clear = true;
        slot->llvm_tier = tier == Tier::Llvm;
        if (slot->llvm_tier && prev.values && prev.values->size() == nparams) {
            slot->values = prev.values; // the same version: its readers keep their values
        } else {
            slot->values = std::make_shared<ControlValues>(generation, nparams);
            for (std::size_t i = 0; i < nparams; ++i) {
                slot->values->store(
                    i, slot->instance->get_parameter(i)); // the init values until it plays
            }
        }
        slot->values_raw = slot->values.get();
        slot->remote = slot->instance->state() == nullptr;
        std::vector<std::uint64_t> tables =
            slot->remote ? std::vector<std::uint64_t>(factory->state_layout().size(), 0)
                         : engine::table_digests(*factory, slot->instance->state());
        if (foreign != nullptr) {
            if (!plan_foreign(*slot, *foreign, prev, tables, partial, error)) {
                std::lock_guard<std::mutex> l(mutex);
                SwapReport& r = reports[generation];
                r.compiled = false;
                r.diagnostics.clear();
                record(r);
                return false;
            }
            needs_clear = !plan_covers_state(*factory, slot->plan);
        } else if (prev.factory) {
            slot->plan = engine::plan_migration(*prev.factory, *factory, prev.tables, tables);
            slot->previous = prev.generation;
            needs_clear = !plan_covers_state(*factory, slot->plan);
            if (slot->remote || prev.remote) {
                // nothing to migrate in this process: a crossfade (the plan
                // still maps the parameters of changes sent just before)
                slot->plan.crossfade = true;
                needs_clear = true;
            }
            if (opt.check_migrations) {
                slot->check_from.assign(prev.factory->state_bytes(), std::byte{0});
                slot->check_to.assign(factory->state_bytes(), std::byte{0});
            }
        }
        if (needs_clear) {
            slot->instance->clear();
        }
        slot->cleared = needs_clear;
        double prepare_ms = ms_since(t0);
        {
            std::lock_guard<std::mutex> l(mutex);
            SwapReport& r = reports[generation];
            if (tier == Tier::Llvm) {
                r.tier_compile_ms = compile_ms;
                r.tier_prepare_ms = prepare_ms;
                const engine::MigrationPlan& p = slot->plan;
                r.tier_exact = !p.crossfade && p.reset == 0 && p.dropped == 0 && p.resized == 0 &&
                               p.rebuilt == 0;
            } else {
                r.compiled = true;
                r.compile_ms = compile_ms;
                r.sources = factory->source_files();
                r.prepare_ms = prepare_ms;
                r.tiered = tier == Tier::Interpreter;
                r.patched = tier == Tier::Patched;
            }
            if (tier == Tier::Llvm) {
                // the report keeps the fields of the version's first swap
            } else if (foreign == nullptr && prev.factory && (slot->remote || prev.remote)) {
                r.fields = engine::fresh_changes(*factory);
                r.reset = int(r.fields.size());
            } else if (prev.factory || foreign != nullptr) {
                r.carried = slot->plan.carried;
                r.resized = slot->plan.resized;
                r.rebuilt = slot->plan.rebuilt;
                r.reset = slot->plan.reset;
                r.dropped = slot->plan.dropped;
                r.fields = slot->plan.changes;
            } else {
                r.fields = engine::fresh_changes(*factory);
                r.reset = int(r.fields.size());
            }
            last.generation = generation;
            last.factory = factory;
            last.values = slot->values;
            last.tables = std::move(tables);
            last.remote = slot->remote;
            live[generation] = VersionUi{generation, factory, slot->values};
            ++live_slots;
            // queued before anyone hears it is prepared (the live_slots bound leaves room)
            Slot* raw = slot.release();
            if (!raw->check_to.empty()) {
                checked_slots[raw] = raw;
            }
            while (!incoming.push(raw)) {
                std::this_thread::yield();
            }
            record(r);
        }
        return true;
    }

    /// submit_state(): the plan from a received state instead of the playing version's.
    bool plan_foreign(Slot& slot, const StateSnapshot& foreign, const Prepared& prev,
                      const std::vector<std::uint64_t>& tables, bool partial, std::string* error) {
        const Factory& from = *foreign.factory;
        if (foreign.bytes.size() != from.state_bytes()) {
            if (error != nullptr) {
                *error = "the state holds " + std::to_string(foreign.bytes.size()) +
                         " bytes, its layout describes " + std::to_string(from.state_bytes());
            }
            return false;
        }
        const Factory& to = *slot.factory;
        if (slot.remote) {
            if (error != nullptr) {
                *error = "the program's state is not in this process (a remote instance): "
                         "give the state to its server";
            }
            return false;
        }
        slot.plan = engine::plan_migration(
            from, to, engine::table_digests(from, foreign.bytes.data()), tables);
        if (slot.plan.crossfade && !partial) {
            if (error != nullptr) {
                std::string what;
                int shown = 0;
                for (const FieldChange& c : slot.plan.changes) {
                    if ((c.action == FieldChange::Action::Reset ||
                         c.action == FieldChange::Action::Dropped) &&
                        c.kind != StateKind::Control && c.kind != StateKind::Constant &&
                        c.kind != StateKind::Table && c.kind != StateKind::Iota && shown < 4) {
                        what += std::string(shown++ == 0 ? "" : ", ") + c.name + " " +
                                to_string(c.action);
                    }
                }
                *error = "the state does not fit " + to.name() + ": " +
                         std::to_string(slot.plan.reset) + " field(s) would be reset and " +
                         std::to_string(slot.plan.dropped) + " dropped (" + what +
                         "); is it another program's?";
            }
            return false;
        }
        // parameter changes sent to the playing version just before the commit
        slot.plan.parameter_map.clear();
        if (prev.factory) {
            const auto& op = prev.factory->parameters();
            const auto& np = to.parameters();
            slot.plan.parameter_map.assign(op.size(), -1);
            for (std::size_t i = 0; i < op.size(); ++i) {
                for (std::size_t j = 0; j < np.size(); ++j) {
                    if (op[i].path == np[j].path) {
                        slot.plan.parameter_map[i] = std::int32_t(j);
                        break;
                    }
                }
            }
        }
        slot.previous = prev.generation;
        slot.has_foreign = true;
        slot.foreign = foreign.bytes;
        if (opt.check_migrations) {
            slot.check_from.assign(from.state_bytes(), std::byte{0});
            slot.check_to.assign(to.state_bytes(), std::byte{0});
        }
        return true;
    }

    void work() {
        for (;;) {
            Request req;
            {
                std::unique_lock<std::mutex> l(mutex);
                changed.wait(l, [&] { return stopping || !requests.empty(); });
                if (stopping) {
                    return;
                }
                req = std::move(requests.front());
                requests.pop_front();
            }
            auto t0 = Clock::now();
            CompileResult cr;
            if (opt.compiler) {
                CompileOptions co = opt.compile;
                co.tiered = opt.tiered && co.backend == Backend::Llvm;
                {
                    std::lock_guard<std::mutex> l(mutex);
                    co.classify_edit = have_previous_text;
                    co.previous_text = previous_text;
                    co.previous_libraries = previous_libraries;
                }
                cr = opt.compiler(ProgramSource{req.is_file, req.path_or_name, req.source}, co);
            } else {
                cr.diagnostics.push_back(Diagnostic{});
                cr.diagnostics.back().id = "no_compiler";
                cr.diagnostics.back().message =
                    "this engine has no compiler (EngineOptions::compiler): submit compiled "
                    "factories";
            }
            double compile_ms = ms_since(t0);
            if (!cr.ok()) {
                std::lock_guard<std::mutex> l(mutex);
                SwapReport& r = reports[req.generation];
                r.compiled = false;
                r.compile_ms = compile_ms;
                r.diagnostics = cr.diagnostics;
                record(r);
                continue;
            }
            {
                std::lock_guard<std::mutex> l(mutex);
                SwapReport& r = reports[req.generation];
                r.diagnostics = cr.diagnostics; // warnings
                r.compiled_at = Clock::now();
                r.edit = cr.edit ? to_string(*cr.edit) : "";
                have_previous_text = true;
                previous_text = cr.program_text;
                previous_libraries = cr.libraries_digest;
            }
            try {
                start(req.generation, std::move(cr), compile_ms, nullptr);
            } catch (const std::exception&
                         e) { // out of memory making the instance: the old version plays on
                std::lock_guard<std::mutex> l(mutex);
                SwapReport& r = reports[req.generation];
                r.compiled = false;
                r.diagnostics.push_back(Diagnostic{});
                r.diagnostics.back().id = "prepare_failed";
                r.diagnostics.back().message =
                    std::string("cannot prepare the new version: ") + e.what();
                record(r);
            }
        }
    }

    /// Whether the interpreter keeps up with a program of `size` instructions
    /// per frame (EngineOptions::tier_max_load).
    bool interpreter_fits(std::size_t size, double* load) const {
        *load = double(size) * opt.interpreter_ns_per_instruction * 1e-9 * opt.sample_rate;
        return *load <= opt.tier_max_load;
    }

    /// Prepares a compilation's result as version `generation`: a tiered one
    /// on the interpreter now, its LLVM code queued for the tier thread (or,
    /// when the interpreter would not keep up, compiled here first).
    bool start(std::uint64_t generation, CompileResult cr, double compile_ms, std::string* error) {
        if (!cr.next_tier) {
            return prepare(generation, cr.factory, compile_ms, error);
        }
        // only numbers changed (or nothing that reaches the loop IR): the slot
        // code of an earlier version with this version's constants, at once
        if (cr.patch_constants) {
            std::shared_ptr<const ConstantSlotCode> code;
            {
                std::lock_guard<std::mutex> l(mutex);
                code = slot_code;
            }
            std::shared_ptr<const Factory> patched;
            if (code) {
                patched = cr.patch_constants(code);
            }
            if (patched) {
                if (!prepare(generation, patched, compile_ms, error, Tier::Patched)) {
                    return false;
                }
                queue_tier(TierJob{generation, std::move(cr.next_tier), {}});
                return true;
            }
        }
        double load = 0;
        if (interpreter_fits(cr.interpreter_size, &load)) {
            if (!prepare(generation, cr.factory, compile_ms, error, Tier::Interpreter)) {
                return false;
            }
            queue_tier(TierJob{generation, std::move(cr.next_tier), std::move(cr.slot_code)});
            return true;
        }
        auto t0 = Clock::now();
        CompileResult fin = cr.next_tier();
        cr.next_tier = nullptr;
        compile_ms += ms_since(t0);
        char note[160];
        std::snprintf(note, sizeof note,
                      "not started on the interpreter: it would take %.0f%% of real time",
                      100 * load);
        {
            std::lock_guard<std::mutex> l(mutex);
            reports[generation].tier_note = note;
        }
        if (!fin.ok()) {
            std::lock_guard<std::mutex> l(mutex);
            SwapReport& r = reports[generation];
            r.compiled = false;
            r.compile_ms = compile_ms;
            r.diagnostics.insert(r.diagnostics.end(), fin.diagnostics.begin(),
                                 fin.diagnostics.end());
            record(r);
            return false;
        }
        if (!prepare(generation, fin.factory, compile_ms, error)) {
            return false;
        }
        if (cr.slot_code) {
            queue_tier(TierJob{generation, nullptr, std::move(cr.slot_code)});
        }
        return true;
    }

    /// Gives the tier thread `job` (replacing the one waiting, which a newer
    /// version supersedes).
    void queue_tier(TierJob job) {
        {
            std::lock_guard<std::mutex> l(mutex);
            if (tier_job && tier_job->finish) {
                SwapReport& old = reports[tier_job->generation];
                old.tier_note = "superseded before its LLVM code was compiled";
                report_order.push_back(tier_job->generation);
            }
            tier_job = std::move(job);
        }
        changed.notify_all();
    }

    /// The calling thread runs below the worker and the audio thread (nice 5):
    /// the tier and slot threads' compilations.
    static void background_priority() {
#if defined(__linux__)
        setpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)), 5);
#endif
    }

    /// The tier thread: compiles the LLVM code of the newest tiered version (at
    /// a lower priority than the worker and the audio thread: the interpreter
    /// already plays it) and queues it as that version's second slot; then
    /// hands its slot code to the slot thread.
    void tier_work() {
        background_priority();
        for (;;) {
            TierJob job;
            {
                std::unique_lock<std::mutex> l(mutex);
                changed.wait(l, [&] { return stopping || tier_job.has_value(); });
                if (stopping) {
                    return;
                }
                job = std::move(*tier_job);
                tier_job.reset();
                tier_busy = job.finish != nullptr;
            }
            if (job.finish) {
                await_first_block(job.generation);
                compile_tier(job);
            }
            {
                std::lock_guard<std::mutex> l(mutex);
                tier_busy = false;
                if (job.slots) {
                    slot_job = std::move(job); // replaces an older one not yet started
                }
            }
            changed.notify_all();
        }
    }

    /// The tier thread, before compiling version `generation`'s LLVM code: waits
    /// (a few blocks at most) until the audio thread began playing it, so that
    /// the compilation does not compete with that first block for the CPU.
    void await_first_block(std::uint64_t generation) {
        const double block_ms = 1e3 * double(opt.max_block) / std::max(1, opt.sample_rate);
        const auto give_up =
            Clock::now() +
            std::chrono::microseconds(std::int64_t(std::min(50.0, 2.0 + 3.0 * block_ms) * 1e3));
        while (playing.load(std::memory_order_acquire) < generation && Clock::now() < give_up) {
            {
                std::lock_guard<std::mutex> l(mutex);
                if (stopping || tier_job.has_value()) {
                    return; // a newer version waits: no reason to wait for this one
                }
            }
            std::this_thread::sleep_for(std::chrono::microseconds(250));
        }
    }

    /// The slot thread: the newest version's code with constant slots, for
    /// patching the next versions; at the tier thread's priority (the next
    /// constant edit waits for it), started only while no version's LLVM code
    /// waits or compiles (they come first; one that comes later compiles
    /// alongside instead of after it).
    void slot_work() {
        background_priority();
        for (;;) {
            TierJob job;
            {
                std::unique_lock<std::mutex> l(mutex);
                changed.wait(l, [&] {
                    return stopping ||
                           (slot_job.has_value() && !tier_busy && !tier_job.has_value());
                });
                if (stopping) {
                    return;
                }
                job = std::move(*slot_job);
                slot_job.reset();
            }
            std::shared_ptr<const ConstantSlotCode> code;
            try {
                code = job.slots();
            } catch (const std::exception&) {
                code = nullptr; // no patching for the versions like this one
            }
            job.slots = nullptr;
            if (code) {
                std::lock_guard<std::mutex> l(mutex);
                slot_code = std::move(code);
            }
        }
    }

    /// The tier thread: a version's LLVM code, queued as its second slot.
    void compile_tier(TierJob& job) {
        {
            auto t0 = Clock::now();
            CompileResult fin;
            try {
                fin = job.finish();
            } catch (const std::exception& e) {
                fin.diagnostics.push_back(Diagnostic{});
                fin.diagnostics.back().message = e.what();
            }
            job.finish = nullptr; // frees the compilation's session
            const double ms = ms_since(t0);
            if (!fin.ok()) {
                std::lock_guard<std::mutex> l(mutex);
                SwapReport& r = reports[job.generation];
                r.tier_note = "its LLVM code failed to compile; the interpreter plays on";
                r.diagnostics.insert(r.diagnostics.end(), fin.diagnostics.begin(),
                                     fin.diagnostics.end());
                report_order.push_back(job.generation);
                changed.notify_all();
                return;
            }
            try {
                prepare(job.generation, fin.factory, ms, nullptr, Tier::Llvm);
            } catch (const std::exception& e) {
                std::lock_guard<std::mutex> l(mutex);
                reports[job.generation].tier_note =
                    std::string("cannot prepare its LLVM code: ") + e.what();
                report_order.push_back(job.generation);
            }
        }
    }

    // ------------------------------------------------------------------ service thread

    /// Frees old versions and records commits on its own, so that no host has to
    /// poll; announces UI changes. Wakes every service_interval_ms (the audio
    /// thread never signals anyone: it only writes atomics and lock-free queues).
    void serve() {
        const auto interval = std::chrono::microseconds(
            std::int64_t(std::max(0.1, opt.service_interval_ms) * 1000.0));
        for (;;) {
            {
                std::unique_lock<std::mutex> l(service_mutex);
                service_wake.wait_for(l, interval, [&] { return service_stopping; });
                if (service_stopping) {
                    return;
                }
            }
            {
                std::lock_guard<std::mutex> s(submit_mutex);
                collect_locked();
            }
            check_ui();
        }
    }

    VersionUi playing_ui() {
        std::lock_guard<std::mutex> l(mutex);
        // read under the mutex: a version is erased from `live` only after the
        // audio thread published its successor in `playing` (then gave it back)
        auto it = live.find(playing.load(std::memory_order_acquire));
        return it != live.end() ? it->second : VersionUi{};
    }

    void check_ui() {
        if (playing.load(std::memory_order_acquire) == ui_seen) {
            return;
        }
        VersionUi ui = playing_ui();
        if (!ui) {
            return;
        }
        ui_seen = ui.generation;
        if (ui_announced && ui_notified_json == ui.factory->json()) {
            return; // another version with the same controls
        }
        ui_announced = true;
        ui_notified_json = ui.factory->json();
        ui_change_count.fetch_add(1, std::memory_order_release);
        std::lock_guard<std::mutex> l(listeners_mutex);
        for (auto& [id, listener] : listeners) {
            try {
                listener(ui);
            } catch (...) { // a listener's failure is its own; the engine goes on
            }
        }
    }

    // ------------------------------------------------------------------ audio thread

    void retire(Slot* s) noexcept {
        if (s != nullptr && !retired.push(s)) {
            // cannot happen (live_slots bound); never free here
            dropped.fetch_add(1, std::memory_order_relaxed);
        }
    }

    /// request_state(): the playing version's state at this block boundary.
    void copy_state(std::uint64_t frame) noexcept {
        if (current == nullptr || current->factory->state_bytes() > state_buf.size()) {
            state_phase.store(3, std::memory_order_release);
            return;
        }
        state_size = current->factory->state_bytes();
        std::memcpy(state_buf.data(), current->instance->state(), state_size);
        state_frame = frame;
        state_generation = current->generation;
        state_phase.store(2, std::memory_order_release);
    }

    void commit_pending(std::uint64_t frame) noexcept {
        Slot* next = nullptr;
        while (incoming.pop(next)) {
            auto t0 = Clock::now();
            bool fade = false;
            const bool migrated =
                next->has_foreign || (current != nullptr && next->previous == current->generation &&
                                      !next->remote && !current->remote);
            if (migrated) {
                const std::byte* from =
                    next->has_foreign ? next->foreign.data() : current->instance->state();
                engine::apply_migration(next->plan, from, next->instance->state());
                if (!next->check_to.empty()) {
                    std::memcpy(next->check_from.data(), from, next->check_from.size());
                    std::memcpy(next->check_to.data(), next->instance->state(),
                                next->check_to.size());
                }
                fade = next->plan.crossfade && fade_len > 0 && current != nullptr;
            } else if (current != nullptr) {
                fade = fade_len > 0; // nothing to migrate from: fade over
            }
            if (!migrated && !next->cleared) {
                next->instance->clear(); // bounded, allocation-free code
            }
            Slot* old = current;
            current = next;
            // published before the old version is given back (see playing_ui())
            playing.store(current->generation, std::memory_order_release);
            if (fade) {
                retire(fading); // a fade in progress ends now
                fading = old;
                fade_pos = 0;
            } else {
                retire(old);
            }
            CommitEvent e;
            e.generation = current->generation;
            e.frame = frame;
            e.at = Clock::now();
            e.commit_us = std::chrono::duration<double, std::micro>(e.at - t0).count();
            e.crossfade = fade;
            e.migrated = migrated;
            e.slot = current;
            e.tier_move = current->llvm_tier;
            if (!commits.push(e)) {
                dropped.fetch_add(1, std::memory_order_relaxed);
            }
        }
    }

    /// Moves the queued changes into `pending`, each at max(its frame, frame0),
    /// after the pending changes at the same frame. When `pending` is full the
    /// rest wait in the queue for a later block.
    void take_changes(std::uint64_t frame0) noexcept {
        ParameterChange c;
        while (pending_count < pending_capacity && params.pop(c)) {
            if (c.frame < std::int64_t(frame0)) {
                c.frame = std::int64_t(frame0);
            }
            std::size_t k = pending_count++;
            while (k > pending_head && pending[k - 1].frame > c.frame) {
                pending[k] = pending[k - 1];
                --k;
            }
            pending[k] = c;
        }
    }

    /// Applies every pending change that lands at or before `frame`.
    void apply_due(std::uint64_t frame) noexcept {
        while (pending_head < pending_count && pending[pending_head].frame <= std::int64_t(frame)) {
            apply(pending[pending_head++], frame);
        }
    }

    void apply(const ParameterChange& m, std::uint64_t frame) noexcept {
        if (m.is_note) {
            if (current == nullptr) {
                commit_pending(frame);
            }
            if (current == nullptr) {
                dropped.fetch_add(1, std::memory_order_relaxed);
            } else {
                current->instance->note(m.note);
                if (opt.change_observer != nullptr) {
                    opt.change_observer->noted(frame, m.note, m.origin);
                }
            }
            return;
        }
        if (current == nullptr || m.generation > current->generation) {
            // meant for a version queued after this block's commits began: take it now
            commit_pending(frame);
        }
        if (current == nullptr) {
            dropped.fetch_add(1, std::memory_order_relaxed);
            return;
        }
        std::int64_t index = -1;
        if (m.generation == current->generation) {
            index = m.index;
        } else if (m.generation == current->previous &&
                   m.index < current->plan.parameter_map.size()) {
            index = current->plan.parameter_map[m.index]; // sent just before the swap
        }
        if (index < 0 || std::size_t(index) >= current->factory->parameters().size()) {
            dropped.fetch_add(1, std::memory_order_relaxed);
            return;
        }
        current->instance->set_parameter(std::size_t(index), m.value);
        if (opt.change_observer != nullptr) {
            opt.change_observer->applied(frame, std::size_t(index), m.value, m.origin);
        }
    }

    void run(Slot* s, int n, const void* const* inputs, std::size_t offset) noexcept {
        for (std::size_t c = 0; c < s->in_ptrs.size(); ++c) {
            s->in_ptrs[c] = int(c) < opt.inputs
                                ? static_cast<const std::byte*>(inputs[c]) + offset * sample_bytes
                                : zeros.data();
        }
        s->instance->compute(n, s->in_ptrs.data(), s->out_ptrs.data());
    }

    template <class T>
    void write_outputs(int n, void* const* outputs, std::size_t offset) noexcept {
        const std::size_t nout = current->out_ptrs.size();
        for (int c = 0; c < opt.outputs; ++c) {
            T* out = static_cast<T*>(outputs[c]) + offset;
            const T* now = std::size_t(c) < nout
                               ? static_cast<const T*>(current->out_ptrs[std::size_t(c)])
                               : nullptr;
            if (fading == nullptr) {
                if (now != nullptr) {
                    std::memcpy(out, now, std::size_t(n) * sizeof(T));
                } else {
                    std::memset(out, 0, std::size_t(n) * sizeof(T));
                }
                continue;
            }
            const std::size_t nold = fading->out_ptrs.size();
            const T* old = std::size_t(c) < nold
                               ? static_cast<const T*>(fading->out_ptrs[std::size_t(c)])
                               : nullptr;
            for (int i = 0; i < n; ++i) {
                std::uint32_t p = std::min<std::uint32_t>(fade_pos + std::uint32_t(i), fade_len);
                T a = old != nullptr ? old[i] : T(0);
                T b = now != nullptr ? now[i] : T(0);
                out[i] = a * T(fade_out_gain[p]) + b * T(fade_in_gain[p]);
            }
        }
    }

    /// Every control's value (inputs after this block's changes, bargraphs as the
    /// program left them) into the version's ControlValues.
    void publish_values(std::uint64_t frame_end) noexcept {
        ControlValues& v = *current->values_raw;
        const std::size_t n = v.size();
        for (std::size_t i = 0; i < n; ++i) {
            v.store(i, current->instance->get_parameter(i));
        }
        v.stored_up_to(frame_end);
    }

    void publish_clock(std::uint64_t frame) noexcept {
        const std::int64_t ns =
            std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
                .count();
        const std::uint64_t s = clock_seq.load(std::memory_order_relaxed);
        clock_seq.store(s + 1, std::memory_order_relaxed);
        std::atomic_thread_fence(std::memory_order_release);
        clock_frame.store(frame, std::memory_order_relaxed);
        clock_ns.store(ns, std::memory_order_relaxed);
        clock_seq.store(s + 2, std::memory_order_release);
    }

    FrameClock read_clock() const {
        for (;;) {
            const std::uint64_t s1 = clock_seq.load(std::memory_order_acquire);
            const std::uint64_t f = clock_frame.load(std::memory_order_relaxed);
            const std::int64_t ns = clock_ns.load(std::memory_order_relaxed);
            std::atomic_thread_fence(std::memory_order_acquire);
            const std::uint64_t s2 = clock_seq.load(std::memory_order_relaxed);
            if (s1 == s2 && (s1 & 1) == 0) {
                FrameClock c;
                c.frame = f;
                c.at = Clock::time_point(std::chrono::nanoseconds(ns));
                return c;
            }
        }
    }

    void process(int n, const void* const* inputs, void* const* outputs,
                 bool compute = true) noexcept {
        rt::AudioSection section;
        engine::ScopedFlushDenormals ftz(opt.flush_denormals);
        const std::uint64_t frame0 = frames.load(std::memory_order_relaxed);
        publish_clock(frame0);
        commit_pending(frame0);
        if (state_phase.load(std::memory_order_acquire) == 1) {
            copy_state(frame0);
        }
        take_changes(frame0);
        if (n == 0) {
            // no frames (a host that does not compute this program now: a
            // moved one, docs/move.md): the changes due are applied all the same
            apply_due(frame0);
        }
        // the block in slices: at every frame where a change lands, and of at
        // most max_block frames (the size the buffers were made for)
        for (int done = 0; done < n;) {
            apply_due(frame0 + std::uint64_t(done));
            int len = std::min(opt.max_block, n - done);
            if (pending_head < pending_count) {
                const std::int64_t until =
                    pending[pending_head].frame - std::int64_t(frame0) - done;
                len = int(std::min<std::int64_t>(len, until)); // > 0: the due ones were applied
            }
            if (compute) {
                process_slice(len, inputs, outputs, std::size_t(done));
            } else {
                frames.store(frames.load(std::memory_order_relaxed) + std::uint64_t(len),
                             std::memory_order_relaxed);
            }
            done += len;
        }
        // the changes still to land to the front (usually none)
        std::size_t left = pending_count - pending_head;
        if (pending_head > 0 && left > 0) {
            std::memmove(static_cast<void*>(pending.get()), pending.get() + pending_head,
                         left * sizeof(ParameterChange));
        }
        pending_head = 0;
        pending_count = left;
        if (tap && compute) {
            if (opt.double_precision) {
                tap->write<double>(std::size_t(n), outputs, std::size_t(opt.outputs));
            } else {
                tap->write<float>(std::size_t(n), outputs, std::size_t(opt.outputs));
            }
        }
        if (current != nullptr) {
            publish_values(frame0 + std::uint64_t(n));
        }
    }

    void process_slice(int n, const void* const* inputs, void* const* outputs,
                       std::size_t offset) noexcept {
        std::uint64_t frame = frames.load(std::memory_order_relaxed);
        if (current == nullptr) {
            for (int c = 0; c < opt.outputs; ++c) {
                std::memset(static_cast<std::byte*>(outputs[c]) + offset * sample_bytes, 0,
                            std::size_t(n) * sample_bytes);
            }
            frames.store(frame + std::uint64_t(n), std::memory_order_relaxed);
            return;
        }
        run(current, n, inputs, offset);
        if (fading != nullptr) {
            run(fading, n, inputs, offset);
        }
        if (opt.double_precision) {
            write_outputs<double>(n, outputs, offset);
        } else {
            write_outputs<float>(n, outputs, offset);
        }
        if (fading != nullptr) {
            fade_pos += std::uint32_t(n);
            if (fade_pos >= fade_len) {
                retire(fading);
                fading = nullptr;
            }
        }
        frames.store(frame + std::uint64_t(n), std::memory_order_relaxed);
    }
};

Engine::Engine(const EngineOptions& options) : impl_(std::make_unique<Impl>(options)) {
}
Engine::~Engine() = default;

const EngineOptions& Engine::options() const {
    return impl_->opt;
}

std::uint64_t Engine::load_file(const std::string& path) {
    std::uint64_t g = impl_->new_generation(path);
    {
        std::lock_guard<std::mutex> l(impl_->mutex);
        impl_->requests.push_back(Request{g, true, path, {}});
    }
    impl_->changed.notify_all();
    return g;
}

std::uint64_t Engine::load_source(const std::string& name, const std::string& source) {
    std::uint64_t g = impl_->new_generation(name);
    {
        std::lock_guard<std::mutex> l(impl_->mutex);
        impl_->requests.push_back(Request{g, false, name, source});
    }
    impl_->changed.notify_all();
    return g;
}

std::uint64_t Engine::submit(std::shared_ptr<const Factory> factory, const std::string& program,
                             std::string* error, double compile_ms) {
    std::uint64_t g = impl_->new_generation(program);
    try {
        return impl_->prepare(g, std::move(factory), compile_ms, error) ? g : 0;
    } catch (const std::exception& e) {
        // making the instance failed (out of memory; a remote instance whose
        // server cannot be reached): the old version plays on
        std::lock_guard<std::mutex> l(impl_->mutex);
        SwapReport& r = impl_->reports[g];
        r.compiled = false;
        r.diagnostics.push_back(Diagnostic{});
        r.diagnostics.back().id = "prepare_failed";
        r.diagnostics.back().message = std::string("cannot prepare the new version: ") + e.what();
        impl_->record(r);
        if (error != nullptr) {
            *error = r.diagnostics.back().message;
        }
        return 0;
    }
}

std::uint64_t Engine::submit(CompileResult result, const std::string& program, std::string* error,
                             double compile_ms) {
    if (!result.ok()) {
        if (error != nullptr) {
            *error = "the compilation failed";
        }
        return 0;
    }
    std::uint64_t g = impl_->new_generation(program);
    {
        std::lock_guard<std::mutex> l(impl_->mutex);
        impl_->reports[g].compiled_at = Clock::now();
        impl_->have_previous_text = true;
        impl_->previous_text = result.program_text;
        impl_->previous_libraries = result.libraries_digest;
    }
    return impl_->start(g, std::move(result), compile_ms, error) ? g : 0;
}

bool Engine::wait_prepared(std::uint64_t generation, std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> l(impl_->mutex);
    auto done = [&] {
        return impl_->finished.count(generation) > 0 || !impl_->reports.count(generation);
    };
    impl_->changed.wait_for(l, timeout, done);
    auto it = impl_->reports.find(generation);
    return it != impl_->reports.end() && it->second.compiled;
}

std::vector<SwapReport> Engine::take_reports() {
    {
        std::lock_guard<std::mutex> s(impl_->submit_mutex);
        impl_->collect_locked();
    }
    std::lock_guard<std::mutex> l(impl_->mutex);
    std::vector<SwapReport> out;
    std::vector<std::uint64_t> seen;
    for (std::uint64_t g : impl_->report_order) {
        if (std::find(seen.begin(), seen.end(), g) != seen.end()) {
            continue;
        }
        seen.push_back(g);
        out.push_back(impl_->reports[g]);
    }
    impl_->report_order.clear();
    return out;
}

ControlValues::ControlValues(std::uint64_t generation, std::size_t count)
    : generation_(generation), count_(count),
      values_(std::make_unique<std::atomic<double>[]>(count)) {
}

bool Engine::set_parameter(const std::string& path_or_label, double value) {
    return set_parameter_at(ParameterChange::now, path_or_label, value);
}

bool Engine::set_parameter_at(std::int64_t frame, const std::string& path_or_label, double value) {
    std::shared_ptr<const Factory> f;
    std::uint64_t g;
    {
        std::lock_guard<std::mutex> l(impl_->mutex);
        g = impl_->last.generation;
        f = impl_->last.factory;
    }
    if (!f) {
        return false;
    }
    bool found = false;
    const auto& ps = f->parameters();
    for (std::size_t i = 0; i < ps.size(); ++i) {
        if (ps[i].named(path_or_label)) {
            found = true;
            if (!push(ParameterChange{g, std::uint32_t(i), value, frame})) {
                return false;
            }
        }
    }
    return found;
}

bool Engine::push(const ParameterChange& change) {
    if (!impl_->params.push(change)) {
        impl_->dropped.fetch_add(1, std::memory_order_relaxed);
        return false;
    }
    return true;
}

VersionUi Engine::playing_ui() const {
    return impl_->playing_ui();
}

VersionUi Engine::submitted_ui() const {
    std::lock_guard<std::mutex> l(impl_->mutex);
    return impl_->last.factory
               ? VersionUi{impl_->last.generation, impl_->last.factory, impl_->last.values}
               : VersionUi{};
}

std::optional<double> Engine::control_value(const std::string& path_or_label) const {
    VersionUi ui = playing_ui();
    if (!ui) {
        return std::nullopt;
    }
    const auto& ps = ui.factory->parameters();
    for (std::size_t i = 0; i < ps.size(); ++i) {
        if (ps[i].named(path_or_label)) {
            return ui.values->value(i);
        }
    }
    return std::nullopt;
}

std::vector<MeterValue> Engine::meters() const {
    VersionUi ui = playing_ui();
    std::vector<MeterValue> out;
    if (!ui || ui.values->frame() == 0) {
        return out;
    }
    const auto& ps = ui.factory->parameters();
    for (std::size_t i = 0; i < ps.size(); ++i) {
        if (ps[i].kind == Parameter::Kind::VBargraph || ps[i].kind == Parameter::Kind::HBargraph) {
            out.push_back(MeterValue{ui.generation, i, ui.values->value(i)});
        }
    }
    return out;
}

int Engine::add_ui_listener(UiListener listener) {
    std::lock_guard<std::mutex> l(impl_->listeners_mutex);
    int id = impl_->next_listener++;
    impl_->listeners.emplace(id, std::move(listener));
    return id;
}

void Engine::remove_ui_listener(int id) {
    std::lock_guard<std::mutex> l(impl_->listeners_mutex);
    impl_->listeners.erase(id);
}

std::uint64_t Engine::ui_changes() const {
    return impl_->ui_change_count.load(std::memory_order_acquire);
}

void Engine::collect() {
    std::lock_guard<std::mutex> s(impl_->submit_mutex);
    impl_->collect_locked();
}

void Engine::process(int frames, const void* const* inputs, void* const* outputs) noexcept {
    impl_->process(frames, inputs, outputs);
}

void Engine::skip(int frames) noexcept {
    impl_->process(std::max(frames, 0), nullptr, nullptr, false);
}

bool Engine::request_state() {
    Impl& m = *impl_;
    std::lock_guard<std::mutex> sl(m.state_mutex);
    if (m.state_phase.load(std::memory_order_acquire) == 1) {
        return false;
    }
    std::size_t most = 0;
    {
        std::lock_guard<std::mutex> l(m.mutex);
        m.state_versions = m.live;
        for (const auto& [g, ui] : m.live) {
            most = std::max<std::size_t>(most, ui.factory->state_bytes());
        }
    }
    if (m.state_buf.size() < most) {
        m.state_buf.assign(most, std::byte{0});
    }
    m.state_phase.store(1, std::memory_order_release);
    return true;
}

std::optional<StateSnapshot> Engine::take_state(std::chrono::milliseconds timeout,
                                                std::string* error) {
    Impl& m = *impl_;
    std::lock_guard<std::mutex> sl(m.state_mutex);
    auto fail = [&](const char* why) -> std::optional<StateSnapshot> {
        if (error != nullptr) {
            *error = why;
        }
        return std::nullopt;
    };
    const auto until = std::chrono::steady_clock::now() + timeout;
    int phase = m.state_phase.load(std::memory_order_acquire);
    while (phase == 1 && std::chrono::steady_clock::now() < until) {
        std::this_thread::sleep_for(std::chrono::microseconds(200));
        phase = m.state_phase.load(std::memory_order_acquire);
    }
    if (phase == 0) {
        return fail("no state was requested");
    }
    if (phase == 1) {
        return fail("the audio thread did not reach a block boundary in time (is it running?)");
    }
    m.state_phase.store(0, std::memory_order_release);
    if (phase == 3) {
        return fail("nothing was playing, or a version larger than prepared for began");
    }
    StateSnapshot out;
    out.generation = m.state_generation;
    out.frame = m.state_frame;
    {
        std::lock_guard<std::mutex> l(m.mutex);
        if (auto it = m.live.find(out.generation); it != m.live.end()) {
            out.factory = it->second.factory;
        }
    }
    if (!out.factory) {
        if (auto it = m.state_versions.find(out.generation); it != m.state_versions.end()) {
            out.factory = it->second.factory;
        }
    }
    m.state_versions.clear();
    if (!out.factory || out.factory->state_bytes() != m.state_size) {
        return fail("the version whose state was copied is gone");
    }
    out.bytes.assign(m.state_buf.begin(), m.state_buf.begin() + std::ptrdiff_t(m.state_size));
    return out;
}

std::uint64_t Engine::submit_state(const StateSnapshot& state,
                                   std::shared_ptr<const Factory> factory, std::string* error,
                                   bool partial) {
    if (!state.factory) {
        if (error != nullptr) {
            *error = "the state has no layout";
        }
        return 0;
    }
    if (!factory) {
        std::lock_guard<std::mutex> l(impl_->mutex);
        factory = impl_->last.factory;
    }
    if (!factory) {
        if (error != nullptr) {
            *error = "no program to take the state in (submit one first)";
        }
        return 0;
    }
    std::uint64_t g = impl_->new_generation("state of " + factory->name());
    {
        std::lock_guard<std::mutex> l(impl_->mutex);
        impl_->reports[g].compiled_at = Clock::now(); // nothing to compile: ready now
    }
    return impl_->prepare(g, std::move(factory), 0, error, Tier::Single, &state, partial) ? g : 0;
}

std::uint64_t Engine::playing_generation() const {
    return impl_->playing.load(std::memory_order_acquire);
}
std::uint64_t Engine::frames_processed() const {
    return impl_->frames.load(std::memory_order_relaxed);
}
FrameClock Engine::frame_clock() const {
    return impl_->read_clock();
}
std::size_t Engine::read_output(std::uint64_t* cursor, float* out, std::size_t max_frames) const {
    return impl_->tap ? impl_->tap->read(cursor, out, max_frames) : 0;
}
std::uint64_t Engine::dropped_messages() const {
    return impl_->dropped.load(std::memory_order_relaxed);
}

} // namespace tutti
