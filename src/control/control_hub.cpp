// SPDX-License-Identifier: MIT
#include "control/control_hub.h"

#include <arpa/inet.h>

#include <chrono>
#include <cmath>
#include <map>
#include <random>

#include "control/osc_pattern.h"

namespace tutti::control {

using Clock = std::chrono::steady_clock;

struct ControlHub::Subscription {
    int id = 0;
    Clock::duration period{};
    Clock::time_point due{};
    FeedbackFn fn;
    struct Seen {
        std::uint64_t generation = 0;
        std::vector<double> values;
    };
    std::map<int, Seen> seen; ///< by program id
};

const Program* Snapshot::find(int id) const {
    for (const Program& p : programs) {
        if (p.id == id) {
            return &p;
        }
    }
    return nullptr;
}

int set_by_path(Engine& engine, std::string_view path, double value, std::int64_t frame) {
    VersionUi ui = engine.submitted_ui();
    if (!ui) {
        return 0;
    }
    AddressSpace space(ui.factory->info());
    int n = 0;
    for (std::size_t k : space.resolve_parameters(path)) {
        Parameter::Kind kind = space.parameters()[k].kind;
        if (kind == Parameter::Kind::VBargraph || kind == Parameter::Kind::HBargraph) {
            continue;
        }
        ParameterChange c;
        c.generation = ui.generation;
        c.index = static_cast<std::uint32_t>(k);
        c.value = value;
        c.frame = frame;
        n += engine.push(c) ? 1 : 0;
    }
    return n;
}

std::string make_token() {
    std::random_device rd;
    static const char* hex = "0123456789abcdef";
    std::string t;
    for (int i = 0; i < 4; ++i) {
        std::uint32_t r = rd();
        for (int k = 0; k < 8; ++k) {
            t += hex[(r >> (4 * k)) & 0xf];
        }
    }
    return t;
}

ControlHub::ControlHub() : ControlHub(Options{}) {
}

ControlHub::ControlHub(Options options)
    : options_(std::move(options)), token_(options_.token.empty() ? make_token() : options_.token),
      snapshot_(std::make_shared<Snapshot>()) {
    poller_ = std::thread([this] { run(); });
}

ControlHub::~ControlHub() {
    {
        std::lock_guard<std::mutex> lock(wake_mutex_);
        stop_ = true;
    }
    wake_.notify_all();
    poller_.join();
}

int ControlHub::add_status(StatusFn fn) {
    std::lock_guard<std::mutex> lock(status_mutex_);
    const int id = next_status_id_++;
    status_sources_.emplace_back(id, std::move(fn));
    return id;
}

void ControlHub::remove_status(int id) {
    std::lock_guard<std::mutex> lock(status_mutex_);
    std::erase_if(status_sources_, [id](const auto& s) { return s.first == id; });
}

std::vector<StatusEntry> ControlHub::status(std::string_view path) const {
    while (path.size() > 1 && path.back() == '/') {
        path.remove_suffix(1);
    }
    std::vector<StatusEntry> all, out;
    {
        std::lock_guard<std::mutex> lock(status_mutex_);
        for (const auto& [id, fn] : status_sources_) {
            fn(all);
        }
    }
    for (StatusEntry& e : all) {
        const std::string_view a = e.address;
        const bool under =
            path == "/" || a == path ||
            (a.size() > path.size() && a.substr(0, path.size()) == path && a[path.size()] == '/');
        if (!path.empty() && under) {
            out.push_back(std::move(e));
        }
    }
    return out;
}

std::shared_ptr<const Snapshot> ControlHub::snapshot() const {
    std::lock_guard<std::mutex> lock(snapshot_mutex_);
    return snapshot_;
}

void ControlHub::publish(std::shared_ptr<const Snapshot> s) {
    std::lock_guard<std::mutex> lock(snapshot_mutex_);
    snapshot_ = std::move(s);
}

namespace {

VersionUi current_ui(const Engine& e) {
    VersionUi ui = e.playing_ui();
    return ui ? ui : e.submitted_ui();
}

} // namespace

int ControlHub::add_program(Engine& engine, std::string name) {
    std::lock_guard<std::mutex> lock(programs_mutex_);
    auto next = std::make_shared<Snapshot>(*snapshot());
    Program p;
    p.id = next_id_++;
    p.name = std::move(name);
    p.engine = &engine;
    p.ui = current_ui(engine);
    p.space = p.ui ? std::make_shared<const AddressSpace>(p.ui.factory->info())
                   : std::make_shared<const AddressSpace>();
    int id = p.id;
    next->programs.push_back(std::move(p));
    next->serial++;
    publish(std::move(next));
    return id;
}

void ControlHub::remove_program(int id) {
    std::lock_guard<std::mutex> lock(programs_mutex_);
    auto next = std::make_shared<Snapshot>(*snapshot());
    std::erase_if(next->programs, [id](const Program& p) { return p.id == id; });
    next->serial++;
    publish(std::move(next));
}

bool ControlHub::refresh() {
    std::vector<std::size_t> ui_changed;
    std::shared_ptr<Snapshot> next;
    {
        std::lock_guard<std::mutex> lock(programs_mutex_);
        std::shared_ptr<const Snapshot> cur = snapshot();
        for (std::size_t i = 0; i < cur->programs.size(); ++i) {
            const Program& p = cur->programs[i];
            std::uint64_t g = p.engine->playing_generation();
            if (g == p.ui.generation || (g == 0 && p.ui)) {
                continue;
            }
            VersionUi ui = current_ui(*p.engine);
            if (!ui || ui.generation == p.ui.generation) {
                continue;
            }
            if (!next) {
                next = std::make_shared<Snapshot>(*cur);
            }
            Program& q = next->programs[i];
            bool same_ui = p.ui && p.ui.factory->json() == ui.factory->json();
            q.ui = ui;
            if (!same_ui) {
                q.space = std::make_shared<const AddressSpace>(ui.factory->info());
                ui_changed.push_back(i);
            }
        }
        if (!next) {
            return false;
        }
        next->serial++;
        publish(next);
    }
    if (!ui_changed.empty()) {
        std::lock_guard<std::mutex> lock(subs_mutex_);
        for (std::size_t i : ui_changed) {
            for (auto& [id, fn] : ui_listeners_) {
                fn(*next, i);
            }
        }
    }
    return true;
}

void ControlHub::run() {
    auto tick = std::chrono::duration_cast<Clock::duration>(
        std::chrono::duration<double, std::milli>(options_.poll_interval_ms));
    for (;;) {
        {
            std::unique_lock<std::mutex> lock(wake_mutex_);
            if (wake_.wait_for(lock, tick, [this] { return stop_; })) {
                return;
            }
        }
        refresh();
        std::shared_ptr<const Snapshot> s = snapshot();
        auto now = Clock::now();
        std::lock_guard<std::mutex> lock(subs_mutex_);
        for (auto& sub : subs_) {
            if (now < sub->due) {
                continue;
            }
            sub->due = std::max(sub->due + sub->period, now);
            Feedback fb;
            fb.snapshot = s;
            for (std::size_t pi = 0; pi < s->programs.size(); ++pi) {
                const Program& p = s->programs[pi];
                if (!p.ui || !p.ui.values) {
                    continue;
                }
                auto& seen = sub->seen[p.id];
                std::size_t n = p.ui.values->size();
                bool all = seen.generation != p.ui.generation || seen.values.size() != n;
                if (all) {
                    seen.generation = p.ui.generation;
                    seen.values.assign(n, 0);
                }
                for (std::size_t k = 0; k < n; ++k) {
                    double v = p.ui.values->value(k);
                    double& last = seen.values[k];
                    bool same = v == last || (std::isnan(v) && std::isnan(last));
                    if (all || !same) {
                        last = v;
                        fb.changes.push_back({pi, k, v});
                    }
                }
            }
            std::erase_if(sub->seen, [&](const auto& kv) { return s->find(kv.first) == nullptr; });
            if (!fb.changes.empty()) {
                sub->fn(fb);
            }
        }
    }
}

std::vector<Target> ControlHub::resolve(const Snapshot& s, std::string_view path,
                                        ResolveError* error) {
    std::vector<Target> out;
    auto give = [&](ResolveError e) {
        if (error) {
            *error = out.empty() ? e : ResolveError::None;
        }
        return out;
    };
    std::vector<std::string_view> segs = split_path(path);
    std::string norm;
    for (std::string_view sg : segs) {
        norm += "/";
        norm += sg;
    }
    // 1. The JSON address as it is, in any program.
    for (std::size_t i = 0; i < s.programs.size(); ++i) {
        std::vector<AddressSpace::NodeId> ids = s.programs[i].space->at_address(norm);
        if (!ids.empty()) {
            out.push_back({i, std::move(ids)});
        }
    }
    if (!out.empty()) {
        return give(ResolveError::None);
    }
    // 2. "/<instance>/rest".
    if (!segs.empty()) {
        std::string rest;
        for (std::size_t k = 1; k < segs.size(); ++k) {
            rest += "/";
            rest += segs[k];
        }
        for (std::size_t i = 0; i < s.programs.size(); ++i) {
            if (match_segment(segs[0], s.programs[i].name)) {
                auto ids = s.programs[i].space->resolve(rest);
                if (!ids.empty()) {
                    out.push_back({i, std::move(ids)});
                }
            }
        }
        if (!out.empty()) {
            return give(ResolveError::None);
        }
    }
    // 3. Any spelling, in the one program that has it.
    for (std::size_t i = 0; i < s.programs.size(); ++i) {
        auto ids = s.programs[i].space->resolve(path);
        if (!ids.empty()) {
            out.push_back({i, std::move(ids)});
        }
    }
    if (out.size() > 1) {
        out.clear();
        return give(ResolveError::Ambiguous);
    }
    return give(ResolveError::NotFound);
}

bool ControlHub::set(const Program& p, std::size_t parameter, double value, std::int64_t frame) {
    if (!p.ui || !p.space || parameter >= p.space->parameters().size()) {
        return false;
    }
    Parameter::Kind k = p.space->parameters()[parameter].kind;
    if (k == Parameter::Kind::VBargraph || k == Parameter::Kind::HBargraph) {
        return false;
    }
    ParameterChange c;
    c.generation = p.ui.generation;
    c.index = static_cast<std::uint32_t>(parameter);
    c.value = p.space->clip(parameter, value);
    c.frame = frame;
    return p.engine->push(c);
}

int ControlHub::set(std::string_view path, double value, std::int64_t frame) {
    std::shared_ptr<const Snapshot> s = snapshot();
    int n = 0;
    for (const Target& t : resolve(*s, path)) {
        const Program& p = s->programs[t.program];
        for (AddressSpace::NodeId id : t.nodes) {
            for (AddressSpace::NodeId w : p.space->widgets(id)) {
                n += set(p, p.space->node(w).parameter, value, frame) ? 1 : 0;
            }
        }
    }
    return n;
}

int ControlHub::subscribe(double rate_hz, FeedbackFn fn) {
    auto sub = std::make_unique<Subscription>();
    sub->period = std::chrono::duration_cast<Clock::duration>(
        std::chrono::duration<double>(1.0 / std::max(rate_hz, 0.1)));
    sub->due = Clock::now();
    sub->fn = std::move(fn);
    std::lock_guard<std::mutex> lock(subs_mutex_);
    static std::atomic<int> ids{1};
    sub->id = ids++;
    int id = sub->id;
    subs_.push_back(std::move(sub));
    return id;
}

void ControlHub::unsubscribe(int id) {
    std::lock_guard<std::mutex> lock(subs_mutex_);
    std::erase_if(subs_, [id](const auto& s) { return s->id == id; });
}

int ControlHub::add_ui_listener(UiFn fn) {
    std::lock_guard<std::mutex> lock(subs_mutex_);
    static std::atomic<int> ids{1};
    int id = ids++;
    ui_listeners_.emplace_back(id, std::move(fn));
    return id;
}

void ControlHub::remove_ui_listener(int id) {
    std::lock_guard<std::mutex> lock(subs_mutex_);
    std::erase_if(ui_listeners_, [id](const auto& l) { return l.first == id; });
}

bool ControlHub::write_allowed(bool loopback_peer, std::string_view token) const {
    if (loopback_peer) {
        return true;
    }
    // Constant time in the token's length.
    if (token.size() != token_.size()) {
        return false;
    }
    unsigned diff = 0;
    for (std::size_t i = 0; i < token.size(); ++i) {
        diff |= static_cast<unsigned char>(token[i] ^ token_[i]);
    }
    return diff == 0;
}

} // namespace tutti::control
