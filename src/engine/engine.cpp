// SPDX-License-Identifier: MIT
/** \file
 * The live engine (include/tutti/engine.h). One `Slot` per program version:
 * made and prepared off the audio thread (instance initialised, migration plan
 * from the previously submitted version, output buffers), handed to the audio
 * thread through `incoming`, given back through `retired` and freed by the
 * control thread. The audio thread owns `current` (and `fading` during a
 * crossfade); nothing it touches is ever allocated or freed by it.
 */
#include "tutti/engine.h"

#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <numbers>
#include <set>
#include <thread>

#include "engine/migration.h"
#include "engine/rt_guard.h"
#include "engine/spsc_queue.h"

namespace tutti {

namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t0) {
    return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

/// A program version, from preparation to being freed.
struct Slot {
    std::uint64_t generation = 0;
    std::uint64_t previous = 0; ///< generation the plan migrates from (0: none)
    std::shared_ptr<const Factory> factory;
    std::unique_ptr<Instance> instance;
    engine::MigrationPlan plan;
    std::vector<const void*> in_ptrs; ///< per program input, filled by the audio thread
    std::vector<void*> out_ptrs;      ///< per program output, into out_buf
    std::vector<std::byte> out_buf;   ///< outputs x max_block samples
    std::vector<std::size_t> bargraphs;
    std::vector<double> last_meter;   ///< last value sent per bargraph
    /// EngineOptions::check_migrations: the old state and the migrated one, copied
    /// by the audio thread at the swap (sized when prepared; empty otherwise)
    std::vector<std::byte> check_from, check_to;
};

struct ParamMessage {
    std::uint64_t generation = 0;
    std::uint32_t index = 0;
    double value = 0;
};

struct CommitEvent {
    std::uint64_t generation = 0;
    std::uint64_t frame = 0;
    double commit_us = 0;
    Clock::time_point at{};
    bool crossfade = false;
    bool migrated = false; ///< the state was migrated from the version before
};

struct Request {
    std::uint64_t generation = 0;
    bool is_file = true;
    std::string path_or_name;
    std::string source;
};

constexpr std::size_t max_live_slots = 32;

} // namespace

struct Engine::Impl {
    EngineOptions opt;
    std::size_t sample_bytes;

    // ---- audio thread only
    Slot* current = nullptr;
    Slot* fading = nullptr; ///< the old version during a crossfade
    std::uint32_t fade_pos = 0;
    std::vector<float> fade_out_gain, fade_in_gain; ///< equal power, fade_len + 1 points
    std::uint32_t fade_len = 0;
    std::vector<std::byte> zeros; ///< silent input for programs with more inputs than the driver

    // ---- between threads
    engine::SpscQueue<Slot*> incoming{max_live_slots};
    engine::SpscQueue<Slot*> retired{max_live_slots * 2};
    engine::SpscQueue<ParamMessage> params;
    engine::SpscQueue<MeterValue> meter_queue;
    engine::SpscQueue<CommitEvent> commits{max_live_slots * 2};
    std::atomic<std::uint64_t> playing{0};
    std::atomic<std::uint64_t> frames{0};
    std::atomic<std::uint64_t> dropped{0};
    std::atomic<std::uint64_t> meters_unread{0}; ///< meter values not sent: nobody drained the queue

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
        std::vector<std::uint64_t> tables;
    } last; ///< the last version queued for the audio thread
    std::size_t live_slots = 0;
    std::map<std::uint64_t, std::shared_ptr<const Factory>> live_factories;
    std::map<std::uint64_t, Slot*> checked_slots; ///< check_migrations: slots whose commit is awaited
    std::map<std::pair<std::uint64_t, std::size_t>, double> meter_values;
    std::mutex submit_mutex; ///< one producer of `incoming`, one consumer of `retired`

    // ---- worker
    std::deque<Request> requests;
    bool stopping = false;
    std::thread worker;

    explicit Impl(const EngineOptions& o)
        : opt(o), sample_bytes(o.double_precision ? 8 : 4), params(o.queue_capacity), meter_queue(o.queue_capacity) {
        fade_len = std::uint32_t(std::max(0.0, std::floor(opt.crossfade_ms * 1e-3 * opt.sample_rate + 0.5)));
        fade_out_gain.resize(fade_len + 1);
        fade_in_gain.resize(fade_len + 1);
        for (std::uint32_t i = 0; i <= fade_len; ++i) {
            double t = fade_len == 0 ? 1.0 : double(i) / fade_len;
            fade_out_gain[i] = float(std::cos(t * std::numbers::pi / 2));
            fade_in_gain[i] = float(std::sin(t * std::numbers::pi / 2));
        }
        zeros.assign(std::size_t(opt.max_block) * sample_bytes, std::byte{0});
        worker = std::thread([this] { work(); });
    }

    ~Impl() {
        {
            std::lock_guard<std::mutex> l(mutex);
            stopping = true;
        }
        changed.notify_all();
        worker.join();
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
                it->second.committed = true;
                it->second.commit_frame = e.frame;
                it->second.commit_us = e.commit_us;
                it->second.committed_at = e.at;
                it->second.crossfade = e.crossfade;
                if (auto c = checked_slots.find(e.generation); c != checked_slots.end()) {
                    const Slot& s = *c->second;
                    if (e.migrated) {
                        it->second.migration_errors =
                            engine::verify_migration(s.plan, *s.factory, s.check_from.data(), s.check_to.data());
                        it->second.migration_checked = true;
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
            live_factories.erase(s->generation);
            checked_slots.erase(s->generation); // replaced before it played
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
    bool prepare(std::uint64_t generation, std::shared_ptr<const Factory> factory, double compile_ms,
                 std::string* error) {
        std::lock_guard<std::mutex> submit(submit_mutex);
        auto t0 = Clock::now();
        if (factory->double_precision() != opt.double_precision) {
            if (error != nullptr) {
                *error = opt.double_precision ? "the engine runs double precision; the program is single"
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
        slot->instance = factory->create_instance();
        slot->instance->init(opt.sample_rate);
        int nin = factory->num_inputs(), nout = factory->num_outputs();
        slot->in_ptrs.assign(std::size_t(nin), nullptr);
        slot->out_buf.assign(std::size_t(std::max(nout, 1)) * std::size_t(opt.max_block) * sample_bytes, std::byte{0});
        slot->out_ptrs.resize(std::size_t(nout));
        for (int c = 0; c < nout; ++c) {
            slot->out_ptrs[std::size_t(c)] = slot->out_buf.data() + std::size_t(c) * std::size_t(opt.max_block) * sample_bytes;
        }
        const auto& ps = factory->parameters();
        for (std::size_t i = 0; i < ps.size(); ++i) {
            if (ps[i].kind == Parameter::Kind::VBargraph || ps[i].kind == Parameter::Kind::HBargraph) {
                slot->bargraphs.push_back(i);
            }
        }
        slot->last_meter.assign(slot->bargraphs.size(), std::nan(""));
        std::vector<std::uint64_t> tables = engine::table_digests(*factory, slot->instance->state());
        Prepared prev;
        {
            std::lock_guard<std::mutex> l(mutex);
            prev = last;
        }
        if (prev.factory) {
            slot->plan = engine::plan_migration(*prev.factory, *factory, prev.tables, tables);
            slot->previous = prev.generation;
            if (opt.check_migrations) {
                slot->check_from.assign(prev.factory->state_bytes(), std::byte{0});
                slot->check_to.assign(factory->state_bytes(), std::byte{0});
            }
        }
        double prepare_ms = ms_since(t0);
        {
            std::lock_guard<std::mutex> l(mutex);
            SwapReport& r = reports[generation];
            r.compiled = true;
            r.compile_ms = compile_ms;
            r.sources = factory->source_files();
            r.prepare_ms = prepare_ms;
            if (prev.factory) {
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
            last.tables = std::move(tables);
            live_factories[generation] = factory;
            ++live_slots;
            // queued before anyone hears it is prepared (the live_slots bound leaves room)
            Slot* raw = slot.release();
            if (!raw->check_to.empty()) {
                checked_slots[generation] = raw;
            }
            while (!incoming.push(raw)) {
                std::this_thread::yield();
            }
            record(r);
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
                cr = opt.compiler(ProgramSource{req.is_file, req.path_or_name, req.source}, opt.compile);
            } else {
                cr.diagnostics.push_back(Diagnostic{});
                cr.diagnostics.back().id = "no_compiler";
                cr.diagnostics.back().message = "this engine has no compiler (EngineOptions::compiler): submit compiled factories";
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
                reports[req.generation].diagnostics = cr.diagnostics; // warnings
            }
            try {
                prepare(req.generation, cr.factory, compile_ms, nullptr);
            } catch (const std::exception& e) { // out of memory making the instance: the old version plays on
                std::lock_guard<std::mutex> l(mutex);
                SwapReport& r = reports[req.generation];
                r.compiled = false;
                r.diagnostics.push_back(Diagnostic{});
                r.diagnostics.back().id = "prepare_failed";
                r.diagnostics.back().message = std::string("cannot prepare the new version: ") + e.what();
                record(r);
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

    void commit_pending(std::uint64_t frame) noexcept {
        Slot* next = nullptr;
        while (incoming.pop(next)) {
            auto t0 = Clock::now();
            bool fade = false;
            const bool migrated = current != nullptr && next->previous == current->generation;
            if (migrated) {
                engine::apply_migration(next->plan, current->instance->state(), next->instance->state());
                if (!next->check_to.empty()) {
                    std::memcpy(next->check_from.data(), current->instance->state(), next->check_from.size());
                    std::memcpy(next->check_to.data(), next->instance->state(), next->check_to.size());
                }
                fade = next->plan.crossfade && fade_len > 0;
            } else if (current != nullptr) {
                fade = fade_len > 0; // nothing to migrate from: fade over
            }
            if (fade) {
                retire(fading); // a fade in progress ends now
                fading = current;
                fade_pos = 0;
            } else {
                retire(current);
            }
            current = next;
            playing.store(current->generation, std::memory_order_release);
            CommitEvent e;
            e.generation = current->generation;
            e.frame = frame;
            e.at = Clock::now();
            e.commit_us = std::chrono::duration<double, std::micro>(e.at - t0).count();
            e.crossfade = fade;
            e.migrated = migrated;
            if (!commits.push(e)) {
                dropped.fetch_add(1, std::memory_order_relaxed);
            }
        }
    }

    void apply_parameters(std::uint64_t frame) noexcept {
        ParamMessage m;
        while (params.pop(m)) {
            if (current == nullptr || m.generation > current->generation) {
                // meant for a version queued after this block's commits began: take it now
                commit_pending(frame);
            }
            if (current == nullptr) {
                dropped.fetch_add(1, std::memory_order_relaxed);
                continue;
            }
            std::int64_t index = -1;
            if (m.generation == current->generation) {
                index = m.index;
            } else if (m.generation == current->previous && m.index < current->plan.parameter_map.size()) {
                index = current->plan.parameter_map[m.index]; // sent just before the swap
            }
            if (index < 0 || std::size_t(index) >= current->factory->parameters().size()) {
                dropped.fetch_add(1, std::memory_order_relaxed);
                continue;
            }
            current->instance->set_parameter(std::size_t(index), m.value);
        }
    }

    void run(Slot* s, int n, const void* const* inputs, std::size_t offset) noexcept {
        for (std::size_t c = 0; c < s->in_ptrs.size(); ++c) {
            s->in_ptrs[c] = int(c) < opt.inputs ? static_cast<const std::byte*>(inputs[c]) + offset * sample_bytes
                                                : zeros.data();
        }
        s->instance->compute(n, s->in_ptrs.data(), s->out_ptrs.data());
    }

    template <class T>
    void write_outputs(int n, void* const* outputs, std::size_t offset) noexcept {
        const std::size_t nout = current->out_ptrs.size();
        for (int c = 0; c < opt.outputs; ++c) {
            T* out = static_cast<T*>(outputs[c]) + offset;
            const T* now = std::size_t(c) < nout ? static_cast<const T*>(current->out_ptrs[std::size_t(c)]) : nullptr;
            if (fading == nullptr) {
                if (now != nullptr) {
                    std::memcpy(out, now, std::size_t(n) * sizeof(T));
                } else {
                    std::memset(out, 0, std::size_t(n) * sizeof(T));
                }
                continue;
            }
            const std::size_t nold = fading->out_ptrs.size();
            const T* old = std::size_t(c) < nold ? static_cast<const T*>(fading->out_ptrs[std::size_t(c)]) : nullptr;
            for (int i = 0; i < n; ++i) {
                std::uint32_t p = std::min<std::uint32_t>(fade_pos + std::uint32_t(i), fade_len);
                T a = old != nullptr ? old[i] : T(0);
                T b = now != nullptr ? now[i] : T(0);
                out[i] = a * T(fade_out_gain[p]) + b * T(fade_in_gain[p]);
            }
        }
    }

    void send_meters() noexcept {
        for (std::size_t k = 0; k < current->bargraphs.size(); ++k) {
            double v = current->instance->get_parameter(current->bargraphs[k]);
            if (v == current->last_meter[k]) {
                continue;
            }
            MeterValue m;
            m.generation = current->generation;
            m.index = current->bargraphs[k];
            m.value = v;
            if (meter_queue.push(m)) {
                current->last_meter[k] = v;
            } else {
                meters_unread.fetch_add(1, std::memory_order_relaxed);
            }
        }
    }

    void process(int n, const void* const* inputs, void* const* outputs) noexcept {
        rt::AudioSection section;
        std::uint64_t frame = frames.load(std::memory_order_relaxed);
        commit_pending(frame);
        apply_parameters(frame);
        // more frames than the buffers were made for: in slices of max_block
        for (int done = 0; done < n; done += opt.max_block) {
            process_slice(std::min(opt.max_block, n - done), inputs, outputs, std::size_t(done));
        }
        if (current != nullptr) {
            send_meters();
        }
    }

    void process_slice(int n, const void* const* inputs, void* const* outputs, std::size_t offset) noexcept {
        std::uint64_t frame = frames.load(std::memory_order_relaxed);
        if (current == nullptr) {
            for (int c = 0; c < opt.outputs; ++c) {
                std::memset(static_cast<std::byte*>(outputs[c]) + offset * sample_bytes, 0, std::size_t(n) * sample_bytes);
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

std::uint64_t Engine::submit(std::shared_ptr<const Factory> factory, const std::string& program, std::string* error,
                             double compile_ms) {
    std::uint64_t g = impl_->new_generation(program);
    return impl_->prepare(g, std::move(factory), compile_ms, error) ? g : 0;
}

bool Engine::wait_prepared(std::uint64_t generation, std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> l(impl_->mutex);
    auto done = [&] { return impl_->finished.count(generation) > 0 || !impl_->reports.count(generation); };
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

bool Engine::set_parameter(const std::string& path_or_label, double value) {
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
            if (!impl_->params.push(ParamMessage{g, std::uint32_t(i), value})) {
                impl_->dropped.fetch_add(1, std::memory_order_relaxed);
                return false;
            }
        }
    }
    return found;
}

std::vector<MeterValue> Engine::meters() {
    MeterValue m;
    std::lock_guard<std::mutex> l(impl_->mutex);
    while (impl_->meter_queue.pop(m)) {
        impl_->meter_values[{m.generation, m.index}] = m.value;
    }
    std::uint64_t g = impl_->playing.load(std::memory_order_acquire);
    std::vector<MeterValue> out;
    for (auto it = impl_->meter_values.begin(); it != impl_->meter_values.end();) {
        if (it->first.first < g) {
            it = impl_->meter_values.erase(it);
            continue;
        }
        if (it->first.first == g) {
            out.push_back(MeterValue{g, it->first.second, it->second});
        }
        ++it;
    }
    return out;
}

void Engine::collect() {
    std::lock_guard<std::mutex> s(impl_->submit_mutex);
    impl_->collect_locked();
}

void Engine::process(int frames, const void* const* inputs, void* const* outputs) noexcept {
    impl_->process(frames, inputs, outputs);
}

std::uint64_t Engine::playing_generation() const {
    return impl_->playing.load(std::memory_order_acquire);
}
std::uint64_t Engine::frames_processed() const {
    return impl_->frames.load(std::memory_order_relaxed);
}
std::uint64_t Engine::dropped_messages() const {
    return impl_->dropped.load(std::memory_order_relaxed);
}
std::uint64_t Engine::unread_meter_values() const {
    return impl_->meters_unread.load(std::memory_order_relaxed);
}

} // namespace tutti
