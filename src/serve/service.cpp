// SPDX-License-Identifier: MIT
// The compile server's factories, compile pool and instances (service.h).
#include "serve/service.h"

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "cache/code_cache.h"
#include "control/control_hub.h"
#include "frontend/frontend_session.h"
#include "frontend/import/search_path.h"
#include "http/json_scan.h"
#include "http/server.h"
#include "netjack/netjack_driver.h"
#include "netjack/remote_processor.h"
#include "netjack/slave_driver.h"
#include "remote/bundle.h"
#include "runtime/factory_info_codec.h"
#include "runtime/state_image.h"
#include "serve/compile_worker.h"
#include "support/content_hash.h"
#include "tutti/compiler.h"
#include "tutti/driver.h"
#include "tutti/engine.h"
#include "tutti/engine_callback.h"
#include "tutti/machine_code.h"
#include "tutti/version.h"

namespace tutti::serve {

namespace fs = std::filesystem;
using http::json_number;
using http::json_quote;

namespace {

std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

/// The steady clock in ms (instances' activity).
std::int64_t steady_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

std::uint64_t fnv1a(std::string_view a, std::string_view b) {
    std::uint64_t h = 1469598103934665603ull;
    for (std::string_view s : {a, std::string_view("\0", 1), b}) {
        for (unsigned char c : s) {
            h = (h ^ c) * 1099511628211ull;
        }
    }
    return h;
}

Reply json_reply(int status, std::string body) {
    Reply r;
    r.status = status;
    r.body = std::move(body);
    return r;
}
Reply error_reply(int status, std::string_view message) {
    return json_reply(status, error_json(message));
}

/// Whether `p` is `dir` or inside it (both canonical).
bool inside(const fs::path& p, const fs::path& dir) {
    auto d = dir.begin();
    auto q = p.begin();
    for (; d != dir.end(); ++d, ++q) {
        if (q == p.end() || *q != *d) {
            return false;
        }
    }
    return true;
}

/// `json` (an object) with how the cache answered: "cached" (true for a hit,
/// or a factory the server had already) and "cache" (known, memory, disk, miss,
/// off, uncacheable), and "answer_ms", the time since t0.
std::string with_cache(std::string json, std::string_view how,
                       std::chrono::steady_clock::time_point t0) {
    const bool hit = how == "known" || how == "memory" || how == "disk";
    json.pop_back();
    json +=
        std::string(",\"cached\":") + (hit ? "true" : "false") + ",\"cache\":" + json_quote(how) +
        ",\"answer_ms\":" +
        json_number(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0)
                        .count()) +
        "}";
    return json;
}

/// Writes `text` to `path` unless it holds it already (its time then stays,
/// which the cache's file checks rely on); written to a temporary file and
/// renamed, so a reader sees a whole file.
bool write_bundle_file(const fs::path& path, const std::string& text) {
    std::error_code ec;
    fs::create_directories(path.parent_path(), ec);
    if (fs::is_regular_file(path, ec) && fs::file_size(path, ec) == text.size()) {
        std::ifstream in(path, std::ios::binary);
        std::string old(text.size(), '\0');
        if (in.read(old.data(), std::streamsize(old.size())) && old == text) {
            return true;
        }
    }
    static std::atomic<unsigned> serial{0};
    const fs::path tmp = path.string() + ".tmp-" + std::to_string(::getpid()) + "-" +
                         std::to_string(serial.fetch_add(1));
    {
        std::ofstream out(tmp, std::ios::binary);
        out.write(text.data(), std::streamsize(text.size()));
        if (!out) {
            fs::remove(tmp, ec);
            return false;
        }
    }
    fs::rename(tmp, path, ec);
    if (ec) {
        fs::remove(tmp, ec);
        return false;
    }
    return true;
}

/// How the cache answered, as "cache" in an answer.
const char* cache_name(cache::Outcome o) {
    switch (o) {
    case cache::Outcome::Disabled:
        return "off";
    case cache::Outcome::Uncacheable:
        return "uncacheable";
    case cache::Outcome::MemoryHit:
        return "memory";
    case cache::Outcome::DiskHit:
        return "disk";
    case cache::Outcome::Miss:
        return "miss";
    }
    return "off";
}

/// A private temporary folder, removed with this object.
class TempDir {
public:
    TempDir() {
        std::string templ = (fs::temp_directory_path() / "tutti-serve-XXXXXX").string();
        if (::mkdtemp(templ.data()) != nullptr) {
            path_ = templ;
        }
    }
    ~TempDir() {
        std::error_code ec;
        if (!path_.empty()) {
            fs::remove_all(path_, ec);
        }
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const fs::path& path() const {
        return path_;
    }

private:
    fs::path path_;
};

} // namespace

struct FactoryEntry {
    std::shared_ptr<const Factory> factory;
    std::string key, name;
    FactoryOptions options;
    std::uint64_t digest = 0; ///< of the bundle and options it was compiled from
    double compile_ms = 0;
    std::atomic<std::int64_t> last_use{0};
    std::atomic<int> users{0};           ///< instances playing it
    std::vector<Diagnostic> diagnostics; ///< its compilation's warnings
};

/// The server's end of an instance's NetJack link: the control changes the
/// client's RemoteProcessor sends, pushed into the engine at their frame of
/// the cycle (sample-accurate: the sink runs just before that cycle's
/// process()). Refreshes of the link's state sweep are taken only for
/// controls the client has set at least once (the sweep's initial zeros are
/// not values).
class LinkSink final : public netjack::ControlSink {
public:
    LinkSink(Engine& engine, int controls)
        : engine_(engine), set_(std::make_unique<bool[]>(std::size_t(std::max(controls, 1)))),
          count_(std::size_t(controls)) {
    }
    void controls(const netjack::ControlChange* changes, int count) noexcept override {
        const std::uint64_t base = engine_.frames_processed();
        const std::uint64_t g = generation.load(std::memory_order_acquire);
        for (int i = 0; i < count; ++i) {
            const netjack::ControlChange& c = changes[i];
            if (c.index >= count_) {
                continue;
            }
            if (!c.refresh) {
                set_[c.index] = true;
            } else if (!set_[c.index]) {
                continue;
            }
            ParameterChange p;
            p.generation = g;
            p.index = c.index;
            p.value = c.value;
            p.frame = std::int64_t(base + c.frame);
            engine_.push(p);
        }
    }
    std::atomic<std::uint64_t> generation{0};

private:
    Engine& engine_;
    std::unique_ptr<bool[]> set_;
    std::size_t count_;
};

/// The bargraphs of the playing version, for an instance's link (MeterFeed):
/// their indices and the engine's live values.
struct MeterFeed {
    std::shared_ptr<const ControlValues> values;
    std::vector<std::uint32_t> bargraphs;
    std::uint64_t generation = 0;
};

/// The callback of an instance's netjack-slave driver: the engine's block,
/// then the playing version's bargraphs sent back through the link's control
/// channel (each at most every `every` cycles, when it changed, and once in a
/// while anyway), so that the client reads its meters without a request.
/// The feed is handed over by the control side through an atomic pointer;
/// the audio thread allocates, locks and waits for nothing.
class LinkCallback final : public AudioCallback {
public:
    LinkCallback(Engine& engine, netjack::SlaveDriver* driver, std::size_t controls, int every)
        : engine_(engine), driver_(driver), controls_(controls), every_(std::max(every, 1)),
          last_(std::make_unique<float[]>(std::max<std::size_t>(controls, 1))) {
    }
    void process(int frames, const float* const* inputs, float* const* outputs) noexcept override {
        engine_.process(frames, reinterpret_cast<const void* const*>(inputs),
                        reinterpret_cast<void* const*>(outputs));
        const MeterFeed* f = feed.load(std::memory_order_acquire);
        if (f == nullptr || driver_ == nullptr || ++cycle_ % std::uint64_t(every_) != 0) {
            return;
        }
        const bool all = cycle_ % (std::uint64_t(every_) * 16) == 0; // a repeat now and then
        for (std::uint32_t i : f->bargraphs) {
            if (i >= controls_ || i >= f->values->size()) {
                continue;
            }
            const float v = float(f->values->value(i));
            if (all || v != last_[i]) {
                if (driver_->send_control(0, i, v)) {
                    last_[i] = v;
                }
            }
        }
    }
    std::atomic<const MeterFeed*> feed{nullptr};

private:
    Engine& engine_;
    netjack::SlaveDriver* driver_;
    std::size_t controls_;
    int every_;
    std::unique_ptr<float[]> last_;
    std::uint64_t cycle_ = 0;
};

struct InstanceSlot {
    std::string id;
    std::mutex m;
    std::shared_ptr<FactoryEntry> entry;
    std::unique_ptr<Engine> engine;
    std::unique_ptr<Driver> driver;
    std::unique_ptr<EngineCallback> callback;
    /// Started with a link: the netjack-slave driver that runs the engine
    /// instead of `driver`, its control sink, and its description (JSON).
    std::unique_ptr<Driver> link;
    std::unique_ptr<LinkSink> sink;
    std::unique_ptr<LinkCallback> link_callback;
    /// The feeds handed to link_callback: the current one last; older ones are
    /// freed once the driver ran two more callbacks (the audio thread let go).
    std::vector<std::pair<std::unique_ptr<MeterFeed>, std::uint64_t>> feeds;
    std::string link_json = "null";
    std::uint64_t link_frame0 = 0; ///< the engine's frame when the link's slave started
    /// Control side: the link's bargraph feed follows the playing version.
    void refresh_meters() {
        if (!link || !link_callback) {
            return;
        }
        VersionUi ui = engine->playing_ui();
        if (!ui.values) {
            ui = engine->submitted_ui(); // not played yet: the version about to play
        }
        const MeterFeed* now = link_callback->feed.load(std::memory_order_acquire);
        if (!ui.values || !ui.factory || (now != nullptr && now->generation == ui.generation)) {
            return;
        }
        auto f = std::make_unique<MeterFeed>();
        f->values = ui.values;
        f->generation = ui.generation;
        const auto& ps = ui.factory->parameters();
        for (std::size_t i = 0; i < ps.size(); ++i) {
            if (ps[i].kind == Parameter::Kind::VBargraph ||
                ps[i].kind == Parameter::Kind::HBargraph) {
                f->bargraphs.push_back(std::uint32_t(i));
            }
        }
        link_callback->feed.store(f.get(), std::memory_order_release);
        const std::uint64_t at = link->callbacks();
        if (!feeds.empty()) {
            feeds.back().second = at; // retired now
        }
        feeds.emplace_back(std::move(f), 0);
        for (auto it = feeds.begin(); it + 1 < feeds.end();) {
            it = at >= it->second + 2 ? feeds.erase(it) : it + 1;
        }
    }
    std::unique_ptr<http::Server> control;
    control::ControlHub* hub = nullptr;
    int program_id = -1;
    bool running = false;
    int sample_rate = 48000, block = 64;
    std::int64_t created = 0;
    /// Steady ms of its last activity (a request, a WebSocket, its link's master).
    std::atomic<std::int64_t> last_active{steady_ms()};
    void touch() {
        last_active.store(steady_ms(), std::memory_order_relaxed);
    }
    /// What the API last set, per parameter of the submitted version, and the
    /// engine frame then: a read before the engine played that frame gives it.
    std::uint64_t generation = 0;
    std::vector<double> set_values;
    std::vector<std::uint64_t> set_frames;

    ~InstanceSlot() {
        if (entry) {
            entry->users.fetch_sub(1);
        }
        if (control) {
            control->stop();
        }
        if (program_id >= 0) {
            hub->remove_program(program_id);
        }
        if (link) {
            link->stop();
        } else if (driver && running) {
            driver->stop();
        }
        link.reset();
        link_callback.reset();
        feeds.clear();
        control.reset();
        driver.reset();
        engine.reset();
    }
};

struct Service::Impl {
    ServiceOptions opt;
    control::ControlHub hub;
    std::vector<fs::path> library_dirs;
    /// The compiled-code cache (ServiceOptions::use_cache) and where bundles are
    /// written for it (a folder per bundle content), with a lock per folder.
    std::unique_ptr<cache::CodeCache> cache;
    fs::path bundle_base;
    bool own_bundle_base = false; ///< a temporary one, removed with the service
    std::map<std::string, std::shared_ptr<std::mutex>> folder_locks;
    std::size_t cache_hits = 0, cache_misses = 0; ///< compilations answered by the cache, or not

    mutable std::mutex m; ///< factories, instances, the queue
    std::map<std::string, std::shared_ptr<FactoryEntry>> factories;
    std::map<std::uint64_t, std::string> by_digest;
    std::map<std::string, std::shared_ptr<InstanceSlot>> instances;

    struct Job {
        std::string bundle;
        FactoryOptions options;
        std::function<void(Reply)> done;
        bool machine_code = false;
        std::optional<MachineTarget> target; ///< machine code: the CPU (absent: this one)
        bool render = false;                 ///< POST /v1/render: `bundle` is the whole body
    };
    void enqueue(Job job);
    std::deque<Job> queue;
    std::condition_variable wake;
    bool stopping = false;
    std::size_t running = 0, compiled = 0, failed = 0, reused = 0, expired = 0;
    std::vector<std::thread> workers;
    /// Deletes the instances idle for ServiceOptions::instance_idle_s.
    std::thread reaper;
    std::condition_variable reaper_wake;
    void reap();
    /// Compilations in child processes (ServiceOptions::compile_worker).
    Children children;
    std::size_t spawned = 0, died = 0;
    long child_peak_kb = 0;
    WorkerResult compile_in_child(const fs::path& program, const FactoryOptions& fo,
                                  const std::optional<MachineTarget>& target,
                                  const std::string& name);

    explicit Impl(ServiceOptions o)
        : opt(std::move(o)), hub([&] {
              control::ControlHub::Options h;
              h.token = opt.token;
              return h;
          }()) {
        if (opt.use_cache) {
            cache::CacheSettings cs = cache::settings_from_environment();
            if (!opt.cache_dir.empty()) {
                cs.dir = opt.cache_dir;
            }
            if (cs.enabled) {
                cache = std::make_unique<cache::CodeCache>(cs);
                if (!cs.dir.empty()) {
                    bundle_base = cs.dir / "bundles";
                    remove_stale_bundles();
                } else {
                    bundle_base = fs::temp_directory_path() /
                                  ("tutti-serve-bundles-" + std::to_string(::getpid()));
                    own_bundle_base = true;
                }
            }
        }
        for (const fs::path& d : frontend::installed_faust_library_dirs()) {
            std::error_code ec;
            fs::path c = fs::canonical(d, ec);
            if (!ec) {
                library_dirs.push_back(c);
            }
        }
    }

    ~Impl() {
        std::error_code ec;
        if (own_bundle_base) {
            fs::remove_all(bundle_base, ec);
        }
    }
    /// Bundle folders nobody used for a day (this or another server's).
    void remove_stale_bundles() {
        std::error_code ec;
        const auto now = fs::file_time_type::clock::now();
        for (const auto& e : fs::directory_iterator(bundle_base, ec)) {
            std::error_code e2;
            if (e.is_directory(e2) && now - e.last_write_time(e2) > std::chrono::hours(24)) {
                fs::remove_all(e.path(), e2);
            }
        }
    }
    /// At most `max_bundle_folders` bundle folders: the least recently used go
    /// (never one a compilation of this process holds); the locks of folders
    /// nobody holds are forgotten. Called with no lock held, after a compilation.
    static constexpr std::size_t max_bundle_folders = 256;
    void bound_bundles() {
        std::error_code ec;
        std::vector<std::pair<fs::file_time_type, fs::path>> folders;
        for (const auto& e : fs::directory_iterator(bundle_base, ec)) {
            std::error_code e2;
            if (e.is_directory(e2)) {
                folders.emplace_back(e.last_write_time(e2), e.path());
            }
        }
        std::lock_guard lock(m);
        for (auto it = folder_locks.begin(); it != folder_locks.end();) {
            it = it->second.use_count() == 1 ? folder_locks.erase(it) : std::next(it);
        }
        if (folders.size() <= max_bundle_folders) {
            return;
        }
        std::sort(folders.begin(), folders.end());
        for (std::size_t i = 0; i + max_bundle_folders < folders.size(); ++i) {
            const std::string name = folders[i].second.filename().string();
            if (folder_locks.count(name) == 0) { // not being compiled here
                fs::remove_all(folders[i].second, ec);
            }
        }
    }
    /// {"dir","hits","misses"} of the compilations since the start, or null.
    std::string cache_json() const {
        if (!cache) {
            return "null";
        }
        std::lock_guard lock(m);
        return "{\"dir\":" + json_quote(cache->settings().dir.string()) +
               ",\"hits\":" + std::to_string(cache_hits) +
               ",\"misses\":" + std::to_string(cache_misses) + "}";
    }
    void work();
    Reply compile_now(const std::string& text, const FactoryOptions& options,
                      const Job* machine = nullptr, std::shared_ptr<FactoryEntry>* made = nullptr);
    Reply render_now(const std::string& body, const FactoryOptions& options);
    std::string factory_json(const FactoryEntry& e, bool with_ui) const;
    std::string instance_json(const InstanceSlot& s) const;
    std::shared_ptr<FactoryEntry> find_factory(const std::string& key) const;
    std::shared_ptr<InstanceSlot> find_instance(const std::string& id) const;
    Reply create_instance(const Call& c);
    Reply start_link(InstanceSlot& s, const Call& c);
    Reply instance_call(InstanceSlot& s, const Call& c);
    Reply state_call(InstanceSlot& s, const Call& c);
};

std::string Service::Impl::factory_json(const FactoryEntry& e, bool with_ui) const {
    const int users = e.users.load();
    const FactoryInfo& info = e.factory->info();
    std::string out = "{\"key\":" + json_quote(e.key);
    out += ",\"name\":" + json_quote(e.name);
    out += ",\"options\":" + json_quote(to_string(e.options));
    out += ",\"last_use\":" + std::to_string(e.last_use.load());
    out += ",\"compile_ms\":" + json_number(e.compile_ms);
    out += ",\"inputs\":" + std::to_string(info.inputs);
    out += ",\"outputs\":" + std::to_string(info.outputs);
    out += ",\"instances\":" + std::to_string(users);
    if (with_ui) {
        out += ",\"json\":" + (info.json.empty() ? std::string("null") : info.json);
    }
    out += "}";
    return out;
}

std::string Service::Impl::instance_json(const InstanceSlot& s) const {
    std::string out = "{\"id\":" + json_quote(s.id);
    out += ",\"factory\":" + json_quote(s.entry->key);
    out += ",\"name\":" + json_quote(s.entry->name);
    out += std::string(",\"running\":") + (s.running ? "true" : "false");
    out += ",\"sample_rate\":" + std::to_string(s.sample_rate);
    out += ",\"block\":" + std::to_string(s.block);
    out += ",\"frames\":" + std::to_string(s.engine->frames_processed());
    out += ",\"generation\":" + std::to_string(s.engine->playing_generation());
    out += ",\"created\":" + std::to_string(s.created);
    out += ",\"ws\":" + json_quote("/v1/instances/" + s.id + "/ws");
    out += ",\"link\":" + s.link_json;
    out += ",\"idle_timeout\":" + json_number(std::max(opt.instance_idle_s, 0.0));
    out += "}";
    return out;
}

std::shared_ptr<FactoryEntry> Service::Impl::find_factory(const std::string& key) const {
    std::lock_guard lock(m);
    auto it = factories.find(key);
    return it == factories.end() ? nullptr : it->second;
}

std::shared_ptr<InstanceSlot> Service::Impl::find_instance(const std::string& id) const {
    std::lock_guard lock(m);
    auto it = instances.find(id);
    return it == instances.end() ? nullptr : it->second;
}

Reply Service::Impl::compile_now(const std::string& text, const FactoryOptions& fo,
                                 const Job* machine, std::shared_ptr<FactoryEntry>* made) {
    const auto t0 = std::chrono::steady_clock::now();
    std::string error;
    remote::BundleLimits limits;
    std::optional<remote::Bundle> bundle = remote::decode_bundle(text, &error, limits);
    if (!bundle) {
        return error_reply(400, error);
    }
    for (const remote::BundleFile& f : bundle->files) {
        if (f.text.size() > opt.max_file_bytes) {
            return error_reply(413, "bundle: '" + f.name + "' is larger than " +
                                        std::to_string(opt.max_file_bytes) + " bytes");
        }
    }
    if (bundle->files[0].name.find('/') != std::string::npos) {
        return error_reply(400, "bundle: the program's name must be a plain file name");
    }
    const std::uint64_t digest = fnv1a(text, to_string(fo));
    if (machine == nullptr) {
        std::lock_guard lock(m);
        auto d = by_digest.find(digest);
        if (d != by_digest.end()) {
            auto f = factories.find(d->second);
            if (f != factories.end()) {
                f->second->last_use = now_ms();
                ++reused;
                if (made != nullptr) {
                    *made = f->second;
                }
                return json_reply(200, with_cache(factory_json(*f->second, true), "known", t0));
            }
        }
    }
    // The bundle's files: with the cache, in a folder named by the bundle's
    // content (the same path each time, which the cache's keys and file lists
    // name), kept while this process uses it; else in a private temporary one.
    std::optional<TempDir> temp;
    std::shared_ptr<std::mutex> folder_lock;
    std::unique_lock<std::mutex> folder_held;
    fs::path root;
    std::error_code ec;
    if (cache) {
        support::Hash128 h;
        h.text("tutti-serve-bundle 1");
        h.text(text);
        const std::string name = h.hex();
        {
            std::lock_guard lock(m);
            auto& l = folder_locks[name];
            if (!l) {
                l = std::make_shared<std::mutex>();
            }
            folder_lock = l;
        }
        folder_held = std::unique_lock(*folder_lock);
        fs::create_directories(bundle_base / name, ec);
        root = fs::canonical(bundle_base / name, ec);
        if (ec) {
            return error_reply(500, "cannot make the bundle's folder: " + ec.message());
        }
        fs::last_write_time(root, fs::file_time_type::clock::now(), ec); // in use: not stale
    } else {
        temp.emplace();
        if (temp->path().empty()) {
            return error_reply(500, "cannot make a temporary folder");
        }
        root = fs::canonical(temp->path());
    }
    for (const remote::BundleFile& f : bundle->files) {
        if (!write_bundle_file(root / f.name, f.text)) {
            return error_reply(500, "cannot write the bundle's files");
        }
    }
    const fs::path program = root / bundle->files[0].name;
    ProgramSource source;
    source.path_or_name = program.string();
    cache::Outcome outcome = cache::Outcome::Disabled;
    // Every file the program reads must come from the bundle or the installed
    // Faust libraries: nothing else of the server's is read. A cache hit was
    // checked when it was compiled; the files it read are checked again.
    auto allowed = [&](const fs::path& path) {
        std::error_code e;
        fs::path c = fs::canonical(path, e);
        bool ok = !e && inside(c, root);
        for (const fs::path& lib : library_dirs) {
            ok = ok || (!e && inside(c, lib));
        }
        return ok;
    };
    std::shared_ptr<const Factory> hit;
    {
        CompileOptions lo;
        lo.backend = fo.interpreter ? Backend::Interpreter : Backend::Llvm;
        lo.double_precision = fo.double_precision;
        lo.opt_level = fo.opt_level;
        lo.math = fo.fast_math ? MathMode::Fast : MathMode::Exact;
        lo.allow_foreign_code = false;
        if (cache && machine == nullptr) {
            hit = cache->lookup(source, lo, &outcome);
        }
        if (hit) {
            for (const std::string& f : hit->source_files()) {
                if (!allowed(f)) {
                    hit = nullptr;
                    outcome = cache::Outcome::Miss;
                    break;
                }
            }
        }
    }
    if (!hit) {
        frontend::FrontendOptions fopt;
        fopt.use_environment = false;
        fopt.max_file_bytes = opt.max_file_bytes;
        frontend::FrontendSession session(fopt);
        session.parse_program(program);
        for (const auto& f : session.files()) {
            if (!allowed(f->path)) {
                std::lock_guard lock(m);
                ++failed;
                return error_reply(403, "the program reads '" + f->requested +
                                            "', which is neither in the bundle nor an "
                                            "installed Faust library");
            }
        }
    }
    CompileOptions co;
    co.backend = fo.interpreter ? Backend::Interpreter : Backend::Llvm;
    co.double_precision = fo.double_precision;
    co.opt_level = fo.opt_level;
    co.math = fo.fast_math ? MathMode::Fast : MathMode::Exact;
    co.allow_foreign_code = false;
    co.max_memory_bytes = opt.max_memory_bytes;
    co.max_seconds = opt.max_seconds;
    if (machine != nullptr && fo.voices >= 0) {
        return error_reply(400, "machine code carries one program: a client makes the voices of "
                                "a polyphonic one itself (leave out voices)");
    }
    const bool in_child = !opt.compile_worker.empty();
    if (machine != nullptr) {
        MachineCodeResult mc;
        bool compiled_here = !in_child;
        if (in_child) {
            std::optional<MachineCode> code =
                cache ? cache->lookup_machine_code(source, co, machine->target, &outcome)
                      : std::nullopt;
            if (code) {
                mc.code = std::move(code);
            } else {
                WorkerResult w =
                    compile_in_child(program, fo, machine->target, bundle->files[0].name);
                if (w.stopped) {
                    return error_reply(503, "the server is stopping");
                }
                compiled_here = w.status == WorkerResult::Status::SpawnFailed;
                mc.code = std::move(w.code);
                mc.diagnostics = std::move(w.diagnostics);
                mc.refused = std::move(w.refused);
                if (cache && mc.code && mc.diagnostics.empty()) {
                    cache->store_machine_code(source, co, machine->target, *mc.code,
                                              w.source_checksums);
                }
            }
        }
        if (compiled_here) {
            mc = cache ? cache->compile_machine_code(source, co, machine->target, &outcome)
                       : tutti::compile_machine_code(source, co, machine->target);
        }
        if (mc.ok()) {
            std::lock_guard lock(m);
            ++compiled;
            Reply out;
            out.content_type = "application/octet-stream";
            out.body = encode_machine_code(*mc.code);
            ++(outcome == cache::Outcome::DiskHit ? cache_hits : cache_misses);
            return out;
        }
        std::lock_guard lock(m);
        ++failed;
        if (!mc.refused.empty()) {
            return error_reply(409, "no machine code for this program: " + mc.refused);
        }
        const std::string prefix = root.string() + "/";
        for (Diagnostic& d : mc.diagnostics) {
            if (d.file.rfind(prefix, 0) == 0) {
                d.file.erase(0, prefix.size());
            }
        }
        return json_reply(422, "{\"error\":" +
                                   json_quote(mc.diagnostics.empty()
                                                  ? std::string("compilation failed")
                                                  : to_text(mc.diagnostics[0], false)) +
                                   ",\"diagnostics\":" + to_json(mc.diagnostics) + "}");
    }
    CompileResult r;
    bool compiled_here = !in_child || fo.interpreter; // machine code is LLVM's
    if (fo.voices >= 0) {
        // a polyphonic program (as tutti play --voices/--midi makes it): two
        // compilations, each through the cache when there is one (in this
        // process: a compiler process returns one program's machine code)
        r = compile_instrument(
            source, co, fo.voices, [&](const ProgramSource& p, const CompileOptions& o) {
                return cache ? cache->compile(p, o, &outcome) : compile_program(p, o);
            });
        compiled_here = false;
    } else if (hit) {
        r.factory = hit;
        compiled_here = false;
    } else if (!compiled_here) {
        WorkerResult w = compile_in_child(program, fo, std::nullopt, bundle->files[0].name);
        if (w.stopped) {
            return error_reply(503, "the server is stopping");
        }
        r.diagnostics = std::move(w.diagnostics);
        if (w.status == WorkerResult::Status::Ok) {
            std::string why;
            r.factory = load_machine_code(*w.code, &why);
            if (!r.factory) {
                Diagnostic d;
                d.id = "internal_error";
                d.severity = Severity::Internal;
                d.message = why;
                d.file = bundle->files[0].name;
                r.diagnostics.push_back(std::move(d));
            } else if (cache && r.diagnostics.empty()) {
                cache->store(source, co, *w.code, w.source_checksums, r.factory);
            }
        } else if (w.status == WorkerResult::Status::Refused ||
                   w.status == WorkerResult::Status::SpawnFailed) {
            r.diagnostics.clear(); // sound files, or no child: in this process
            compiled_here = true;
        }
    }
    if (compiled_here) {
        r = cache ? cache->compile(source, co, &outcome) : compile_file(program.string(), co);
    }
    const double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    if (cache) {
        std::lock_guard lock(m);
        ++(hit ? cache_hits : cache_misses);
    }
    // the bundle's names, not the server's folder, in what the client reads
    const std::string prefix = root.string() + "/";
    for (Diagnostic& d : r.diagnostics) {
        if (d.file.rfind(prefix, 0) == 0) {
            d.file.erase(0, prefix.size());
        }
        for (std::size_t at; (at = d.message.find(prefix)) != std::string::npos;) {
            d.message.erase(at, prefix.size());
        }
    }
    if (!r.ok()) {
        std::lock_guard lock(m);
        ++failed;
        std::string first =
            r.diagnostics.empty() ? "compilation failed" : to_text(r.diagnostics[0], false);
        if (!first.empty() && first.back() == '\n') {
            first.pop_back();
        }
        return json_reply(422, "{\"error\":" + json_quote(first) +
                                   ",\"compile_ms\":" + json_number(ms) +
                                   ",\"diagnostics\":" + to_json(r.diagnostics) + "}");
    }
    auto entry = std::make_shared<FactoryEntry>();
    entry->factory = r.factory;
    entry->key = r.factory->content_key();
    entry->name = r.factory->name();
    entry->options = fo;
    entry->digest = digest;
    entry->compile_ms = ms;
    entry->last_use = now_ms();
    entry->diagnostics = std::move(r.diagnostics); // warnings
    std::lock_guard lock(m);
    ++compiled;
    auto it = factories.find(entry->key);
    if (it != factories.end()) {
        it->second->last_use = now_ms(); // the same program from another bundle
        by_digest[digest] = entry->key;
        if (made != nullptr) {
            *made = it->second;
        }
        return json_reply(200,
                          with_cache(factory_json(*it->second, true), cache_name(outcome), t0));
    }
    if (made != nullptr) {
        *made = entry;
    }
    if (factories.size() >= opt.max_factories) {
        // the least recently used one goes (its instances keep its code)
        auto lru =
            std::min_element(factories.begin(), factories.end(), [](const auto& a, const auto& b) {
                return a.second->last_use < b.second->last_use;
            });
        by_digest.erase(lru->second->digest);
        factories.erase(lru);
    }
    factories[entry->key] = entry;
    by_digest[digest] = entry->key;
    return json_reply(201, with_cache(factory_json(*entry, true), cache_name(outcome), t0));
}

WorkerResult Service::Impl::compile_in_child(const fs::path& program, const FactoryOptions& fo,
                                             const std::optional<MachineTarget>& target,
                                             const std::string& name) {
    WorkerArgs a;
    a.program = program.string();
    a.double_precision = fo.double_precision;
    a.opt_level = fo.opt_level;
    a.fast_math = fo.fast_math;
    a.memory_mb = double(opt.max_memory_bytes) / double(1 << 20);
    a.seconds = opt.max_seconds;
    if (target) {
        a.triple = target->triple;
        a.cpu = target->cpu;
        a.features = target->features;
    }
    WorkerResult w = run_compile_worker(opt.compile_worker, a, children, name);
    std::lock_guard lock(m);
    if (w.status == WorkerResult::Status::SpawnFailed) {
        std::fprintf(stderr, "tutti serve: %s; compiling in this process\n", w.error.c_str());
        return w;
    }
    ++spawned;
    died += w.status == WorkerResult::Status::Died ? 1 : 0;
    child_peak_kb = std::max(child_peak_kb, w.peak_rss_kb);
    return w;
}

void Service::Impl::work() {
    for (;;) {
        Job job;
        {
            std::unique_lock lock(m);
            wake.wait(lock, [&] { return stopping || !queue.empty(); });
            if (stopping) {
                return;
            }
            job = std::move(queue.front());
            queue.pop_front();
            ++running;
        }
        Reply r;
        try {
            r = job.render
                    ? render_now(job.bundle, job.options)
                    : compile_now(job.bundle, job.options, job.machine_code ? &job : nullptr);
        } catch (const std::exception& e) {
            r = error_reply(500, std::string("internal error: ") + e.what());
        }
        if (cache) {
            bound_bundles(); // the bundle folders: bounded
        }
        {
            std::lock_guard lock(m);
            --running;
        }
        job.done(std::move(r));
    }
}

Reply Service::Impl::render_now(const std::string& body, const FactoryOptions& fo) {
    auto parsed = parse_render_body(body);
    if (auto* e = std::get_if<ApiError>(&parsed)) {
        return error_reply(e->status, e->message);
    }
    const RenderBody& rb = std::get<RenderBody>(parsed);
    if (!opt.render) {
        return error_reply(501, "this server does not render");
    }
    const auto t0 = std::chrono::steady_clock::now();
    std::shared_ptr<FactoryEntry> entry;
    Reply answer = compile_now(std::string(rb.bundle), fo, nullptr, &entry);
    if (!entry) {
        return answer; // 422 with the diagnostics, 403, 400...
    }
    const double compile_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    const FactoryInfo& info = entry->factory->info();
    const std::size_t sample = fo.double_precision ? sizeof(double) : sizeof(float);
    // the render holds its inputs and outputs, each `frames` samples long
    if (std::size_t(std::max(info.inputs + info.outputs, 1)) * std::size_t(rb.request.frames) *
            sample >
        opt.max_render_bytes) {
        return error_reply(413, "render: " + std::to_string(rb.request.frames) + " frames of " +
                                    std::to_string(info.inputs) + " inputs and " +
                                    std::to_string(info.outputs) +
                                    " outputs exceed the "
                                    "server's limit of " +
                                    std::to_string(opt.max_render_bytes >> 20) + " MiB");
    }
    RenderJob job;
    job.program = entry->factory;
    job.request = &rb.request;
    job.options = fo;
    job.input = rb.input;
    job.max_seconds = opt.max_seconds;
    const auto t1 = std::chrono::steady_clock::now();
    RenderResult result = opt.render(job);
    const double render_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t1).count();
    if (result.exit != 0) {
        std::string first = result.log.substr(0, result.log.find('\n'));
        return json_reply(422, "{\"error\":" + json_quote(first.empty() ? "render failed" : first) +
                                   ",\"exit\":" + std::to_string(result.exit) +
                                   ",\"log\":" + json_quote(result.log) +
                                   ",\"diagnostics\":" + to_json(entry->diagnostics) + "}");
    }
    std::string head =
        "{\"exit\":0,\"inputs\":" + std::to_string(result.inputs) +
        ",\"outputs\":" + std::to_string(result.outputs) +
        ",\"frames\":" + std::to_string(result.frames) +
        ",\"double\":" + (result.double_precision ? "true" : "false") +
        ",\"key\":" + json_quote(entry->key) + ",\"compile_ms\":" + json_number(compile_ms) +
        ",\"render_ms\":" + json_number(render_ms) + ",\"log\":" + json_quote(result.log) +
        ",\"diagnostics\":" + to_json(entry->diagnostics) + "}";
    Reply out;
    out.content_type = "application/x-tutti-render";
    out.body = "tutti-rendered 1\n" + std::to_string(head.size()) + "\n" + head + "\n";
    out.body += result.samples;
    return out;
}

Reply Service::Impl::create_instance(const Call& c) {
    std::shared_ptr<FactoryEntry> entry = find_factory(c.key);
    if (!entry) {
        return error_reply(404, "no factory " + c.key);
    }
    {
        std::lock_guard lock(m);
        if (instances.size() >= opt.max_instances) {
            return error_reply(503, "too many instances (" + std::to_string(opt.max_instances) +
                                        "); delete one first");
        }
    }
    auto s = std::make_shared<InstanceSlot>();
    s->id = control::make_token();
    s->entry = entry;
    entry->users.fetch_add(1);
    s->hub = &hub;
    s->sample_rate = c.sample_rate;
    s->block = c.block;
    s->created = now_ms();
    const FactoryInfo& info = entry->factory->info();
    if (info.double_precision) {
        return error_reply(409, "a double-precision factory cannot run in the server's engine "
                                "(single precision)");
    }
    EngineOptions eo;
    eo.sample_rate = c.sample_rate;
    eo.max_block = std::max(c.block, 4096); // a link's period is the client's
    eo.inputs = std::max(info.inputs, 1);
    eo.outputs = std::max(info.outputs, 1);
    s->engine = std::make_unique<Engine>(eo);
    std::string error;
    const std::uint64_t g = s->engine->submit(entry->factory, entry->name, &error);
    if (g == 0 || !s->engine->wait_prepared(g)) {
        return error_reply(500, "the engine refused the factory: " + error);
    }
    s->generation = g;
    s->set_values.clear();
    for (const Parameter& p : info.parameters) {
        s->set_values.push_back(p.init);
    }
    s->set_frames.assign(s->set_values.size(), 0);
    s->driver = make_driver("null");
    DriverOptions dopt;
    dopt.inputs = eo.inputs;
    dopt.outputs = eo.outputs;
    dopt.sample_rate = c.sample_rate;
    dopt.block_size = c.block;
    if (!s->driver || !s->driver->open(dopt, &error)) {
        return error_reply(500, "cannot open the null driver: " + error);
    }
    s->callback = std::make_unique<EngineCallback>(*s->engine);
    s->program_id = hub.add_program(*s->engine, s->id);
    http::ServerOptions so;
    so.listen = opt.listen;
    so.bind = false;
    so.token = hub.token();
    s->control = std::make_unique<http::Server>(hub, s->program_id, *s->engine, so);
    if (!s->control->start(&error)) {
        return error_reply(500, "control server: " + error);
    }
    entry->last_use = now_ms();
    std::lock_guard lock(m);
    instances[s->id] = s;
    return json_reply(201, instance_json(*s));
}

namespace {

/// The parameter `c` names (by index or by path) in `info`, or npos.
std::size_t parameter_of(const FactoryInfo& info, const Call& c) {
    if (c.index >= 0) {
        return std::size_t(c.index) < info.parameters.size() ? std::size_t(c.index)
                                                             : std::string::npos;
    }
    for (std::size_t i = 0; i < info.parameters.size(); ++i) {
        if (info.parameters[i].named(c.path)) {
            return i;
        }
    }
    return std::string::npos;
}

std::string report_json(const SwapReport& r) {
    std::string out = "{\"generation\":" + std::to_string(r.generation);
    out += std::string(",\"committed\":") + (r.committed ? "true" : "false");
    out += std::string(",\"crossfade\":") + (r.crossfade ? "true" : "false");
    out += ",\"carried\":" + std::to_string(r.carried);
    out += ",\"resized\":" + std::to_string(r.resized);
    out += ",\"rebuilt\":" + std::to_string(r.rebuilt);
    out += ",\"reset\":" + std::to_string(r.reset);
    out += ",\"dropped\":" + std::to_string(r.dropped);
    out += ",\"prepare_ms\":" + json_number(r.prepare_ms);
    out += ",\"commit_us\":" + json_number(r.commit_us);
    out += ",\"commit_frame\":" + std::to_string(r.commit_frame);
    out += "}";
    return out;
}

/// A stopped instance's engine has no audio thread: this thread plays its part
/// for an empty block (commits what is queued, copies a requested state).
/// The slot's lock is held, so the driver cannot start meanwhile.
void run_boundary(Engine& engine) {
    const EngineOptions& eo = engine.options();
    float none = 0;
    std::vector<const void*> ins(std::size_t(std::max(eo.inputs, 1)), &none);
    std::vector<void*> outs(std::size_t(std::max(eo.outputs, 1)), &none);
    engine.process(0, ins.data(), outs.data());
}

} // namespace

/// GET/PUT .../state and POST .../process (docs/serve-api.md, docs/move.md).
Reply Service::Impl::state_call(InstanceSlot& s, const Call& c) {
    std::string error;
    switch (c.op) {
    case Op::GetState: {
        if (!s.engine->request_state()) {
            return error_reply(409, "a state read is in progress; try again");
        }
        if (!s.running) {
            run_boundary(*s.engine);
        }
        std::optional<StateSnapshot> snap = s.engine->take_state(std::chrono::seconds(2), &error);
        if (!snap) {
            return error_reply(503, "cannot read the state: " + error);
        }
        StateImage image;
        image.frame = snap->frame;
        image.generation = snap->generation;
        if (auto* slave = dynamic_cast<netjack::SlaveDriver*>(s.link.get())) {
            // the link's cycle whose block was next: the slave runs one
            // callback of a period per cycle, from link_frame0 on
            const std::uint64_t period = std::uint64_t(std::max(slave->block_size(), 1));
            const std::uint64_t since = snap->frame - s.link_frame0;
            std::uint32_t cycle = 0;
            std::uint64_t concealed = 0;
            if (snap->frame >= s.link_frame0 && since % period == 0 &&
                slave->cycle_of(since / period, &cycle, &concealed)) {
                image.linked = true;
                image.link_cycle = cycle;
                image.link_concealed = concealed;
            }
        }
        image.layout = snap->factory->info();
        image.bytes = std::move(snap->bytes);
        Reply r;
        r.content_type = "application/x-tutti-state";
        r.body = encode_state_image(image);
        return r;
    }
    case Op::PutState: {
        std::optional<StateImage> image = decode_state_image(c.payload, &error);
        if (!image) {
            return error_reply(400, error);
        }
        StateSnapshot state;
        state.frame = image->frame;
        state.factory = make_layout_factory(std::move(image->layout));
        state.bytes = std::move(image->bytes);
        (void)s.engine->take_reports(); // earlier stories
        const std::uint64_t g = s.engine->submit_state(state, s.entry->factory, &error, c.partial);
        if (g == 0) {
            return error_reply(409, error);
        }
        s.generation = g;
        if (!s.running) {
            run_boundary(*s.engine);
        }
        SwapReport report;
        report.generation = g;
        const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(2);
        for (;;) {
            for (SwapReport& r : s.engine->take_reports()) {
                if (r.generation == g) {
                    report = std::move(r);
                }
            }
            if (report.committed || std::chrono::steady_clock::now() >= until) {
                break;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
        if (report.committed) {
            s.refresh_meters();
        }
        VersionUi ui = s.engine->playing_ui();
        if (report.committed && ui.generation == g && ui.values) {
            for (std::size_t i = 0; i < s.set_values.size() && i < ui.values->size(); ++i) {
                s.set_values[i] = ui.values->value(i);
            }
        }
        return json_reply(200, "{\"instance\":" + instance_json(s) +
                                   ",\"state\":" + report_json(report) + "}");
    }
    case Op::ProcessBlock: {
        if (s.running) {
            return error_reply(409, "the instance is running on its own driver: stop it to compute "
                                    "blocks through the API");
        }
        const EngineOptions& eo = s.engine->options();
        const std::size_t n = std::size_t(c.frames);
        const std::size_t k = std::size_t(std::max(c.blocks, 1));
        const std::size_t per_block = n * std::size_t(eo.inputs) * sizeof(float);
        const std::size_t need = per_block * k;
        if (c.payload.size() != need) {
            return error_reply(400, "the body holds " + std::to_string(c.payload.size()) +
                                        " bytes; " + std::to_string(k) + " block(s) of " +
                                        std::to_string(c.frames) + " frames of " +
                                        std::to_string(eo.inputs) + " input channel(s) are " +
                                        std::to_string(need) +
                                        " (f32, little-endian, block after block, channel after "
                                        "channel)");
        }
        std::vector<float> in(n * std::size_t(eo.inputs)), out(n * std::size_t(eo.outputs) * k);
        std::vector<const void*> ins(std::size_t(eo.inputs));
        std::vector<void*> outs(std::size_t(eo.outputs));
        for (std::size_t i = 0; i < ins.size(); ++i) {
            ins[i] = in.data() + i * n;
        }
        // block after block, each at its own boundary (as a driver's blocks)
        for (std::size_t b = 0; b < k; ++b) {
            if (per_block > 0) {
                std::memcpy(in.data(), c.payload.data() + b * per_block, per_block);
            }
            for (std::size_t i = 0; i < outs.size(); ++i) {
                outs[i] = out.data() + (b * outs.size() + i) * n;
            }
            s.engine->process(c.frames, ins.data(), outs.data());
        }
        Reply r;
        r.content_type = "application/octet-stream";
        r.body.assign(reinterpret_cast<const char*>(out.data()), out.size() * sizeof(float));
        return r;
    }
    default:
        return error_reply(500, "unexpected call");
    }
}

Reply Service::Impl::start_link(InstanceSlot& s, const Call& c) {
    const LinkRequest& l = c.link;
    std::string address = l.master;
    if (address.empty()) {
        std::string peer = c.peer;
        if (peer.rfind("::ffff:", 0) == 0) {
            peer = peer.substr(7); // IPv4-mapped
        }
        if (peer.empty() || peer.find(':') != std::string::npos) {
            return error_reply(400, "link: the request came from '" + peer +
                                        "', not an IPv4 address: give \"master\"");
        }
        address = peer + ":" + std::to_string(l.port);
    }
    netjack::NetOptions net;
    std::string error;
    if (!netjack::parse_format(l.format, &net.encoder, &net.kbps, &error)) {
        return error_reply(400, "link: " + error);
    }
    // a running instance changes drivers: the old one stops first
    if (s.link) {
        s.link->stop();
        s.link.reset();
        s.sink.reset();
        s.link_callback.reset();
        s.feeds.clear();
        s.link_json = "null";
    } else if (s.running) {
        s.driver->stop();
    }
    s.running = false;
    net.address = address;
    net.latency = l.latency;
    net.name = netjack::remote_slave_name(s.id);
    net.connect_timeout_s = l.timeout_s;
    net.controls = l.controls;
    net.first_cycle = l.first_cycle;
    auto sink = l.controls > 0 ? std::make_unique<LinkSink>(*s.engine, l.controls) : nullptr;
    if (sink) {
        sink->generation.store(s.generation, std::memory_order_release);
    }
    net.control_sink = sink.get();
    std::unique_ptr<Driver> driver = netjack::make_driver("netjack-slave", net);
    DriverOptions dopt;
    dopt.inputs = s.engine->options().inputs;
    dopt.outputs = s.engine->options().outputs;
    dopt.sample_rate = s.sample_rate;
    const auto t0 = std::chrono::steady_clock::now();
    if (!driver->open(dopt, &error)) {
        const bool timed_out = error.find("no NetJack master answered") != std::string::npos;
        return error_reply(timed_out ? 504 : 502, "link: " + error);
    }
    const double connect_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    if (driver->sample_rate() != s.sample_rate) {
        return error_reply(409, "link: the master runs at " +
                                    std::to_string(driver->sample_rate()) +
                                    " Hz, the instance at " + std::to_string(s.sample_rate) +
                                    " Hz (create the instance at the link's rate)");
    }
    if (driver->block_size() > s.engine->options().max_block ||
        (l.period > 0 && driver->block_size() != l.period)) {
        return error_reply(409, "link: the master's period is " +
                                    std::to_string(driver->block_size()) + " frames" +
                                    (l.period > 0 ? ", not " + std::to_string(l.period) : ""));
    }
    s.link_frame0 = s.engine->frames_processed();
    // the bargraphs go back about every 10 ms
    const int every = std::max(1, int(s.sample_rate / 100 / std::max(driver->block_size(), 1)));
    auto callback =
        std::make_unique<LinkCallback>(*s.engine, dynamic_cast<netjack::SlaveDriver*>(driver.get()),
                                       std::size_t(l.controls), every);
    if (!driver->start(callback.get(), &error)) {
        return error_reply(500, "link: cannot start: " + error);
    }
    s.sink = std::move(sink);
    s.link = std::move(driver);
    s.link_callback = std::move(callback);
    s.running = true;
    s.refresh_meters();
    s.link_json = "{\"master\":" + json_quote(address) +
                  ",\"latency\":" + std::to_string(l.latency) +
                  ",\"format\":" + json_quote(l.format) +
                  ",\"period\":" + std::to_string(s.link->block_size()) +
                  ",\"controls\":" + std::to_string(l.controls) +
                  ",\"connect_ms\":" + json_number(connect_ms) + "}";
    return json_reply(200, instance_json(s));
}

Reply Service::Impl::instance_call(InstanceSlot& s, const Call& c) {
    std::lock_guard lock(s.m);
    std::string error;
    switch (c.op) {
    case Op::GetState:
    case Op::PutState:
    case Op::ProcessBlock:
        return state_call(s, c);
    case Op::Note: {
        if (s.entry->factory->info().voices <= 0) {
            return error_reply(409, "not a polyphonic program: no voices to play a note on");
        }
        ParameterChange p;
        p.is_note = true;
        p.note = c.note;
        if (!s.engine->push(p)) {
            return error_reply(503, "the instance's queue is full; try again");
        }
        return json_reply(200, "{\"note\":true}");
    }
    case Op::GetInstance:
        return json_reply(200, instance_json(s));
    case Op::StartInstance:
        if (c.link.on) {
            return start_link(s, c);
        }
        if (!s.running) {
            if (!s.driver->start(s.callback.get(), &error)) {
                return error_reply(500, "cannot start: " + error);
            }
            s.running = true;
        }
        return json_reply(200, instance_json(s));
    case Op::StopInstance:
        if (s.link) {
            s.link->stop(); // the link ends with it
            s.link.reset();
            s.sink.reset();
            s.link_callback.reset();
            s.feeds.clear();
            s.link_json = "null";
        } else if (s.running) {
            s.driver->stop();
        }
        s.running = false;
        return json_reply(200, instance_json(s));
    case Op::SwapInstance: {
        std::shared_ptr<FactoryEntry> entry = find_factory(c.key);
        if (!entry) {
            return error_reply(404, "no factory " + c.key);
        }
        if (entry->factory->double_precision()) {
            return error_reply(409, "a double-precision factory cannot run in the server's engine");
        }
        (void)s.engine->take_reports(); // earlier stories
        const std::uint64_t g = s.engine->submit(entry->factory, entry->name, &error);
        if (g == 0 || !s.engine->wait_prepared(g)) {
            return error_reply(409, "the engine refused the factory: " + error);
        }
        entry->users.fetch_add(1);
        s.entry->users.fetch_sub(1);
        s.entry = entry;
        entry->last_use = now_ms();
        s.generation = g;
        if (s.sink) {
            s.sink->generation.store(g, std::memory_order_release);
        }
        const FactoryInfo& info = entry->factory->info();
        s.set_values.clear();
        for (const Parameter& p : info.parameters) {
            s.set_values.push_back(p.init);
        }
        s.set_frames.assign(s.set_values.size(), 0);
        // running: wait (a little) for the commit, whose report says what was carried
        SwapReport report;
        report.generation = g;
        const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(2);
        while (s.running && !report.committed && std::chrono::steady_clock::now() < until) {
            for (SwapReport& r : s.engine->take_reports()) {
                if (r.generation == g) {
                    report = std::move(r);
                }
            }
            if (!report.committed) {
                std::this_thread::sleep_for(std::chrono::milliseconds(2));
            }
        }
        if (report.committed) {
            s.refresh_meters(); // the link's bargraphs: the new version's
            // what the new version plays with: its controls as carried
            VersionUi ui = s.engine->playing_ui();
            if (ui.generation == g && ui.values) {
                for (std::size_t i = 0; i < s.set_values.size() && i < ui.values->size(); ++i) {
                    s.set_values[i] = ui.values->value(i);
                }
            }
        }
        return json_reply(200, "{\"instance\":" + instance_json(s) +
                                   ",\"swap\":" + report_json(report) + "}");
    }
    case Op::GetControls:
    case Op::GetControl: {
        VersionUi ui = s.engine->submitted_ui();
        const FactoryInfo& info = s.entry->factory->info();
        auto value_of = [&](std::size_t i) {
            if (ui.generation == s.generation && ui.values && i < ui.values->size() &&
                ui.values->frame() > s.set_frames[i] && ui.values->frame() > 0) {
                return ui.values->value(i);
            }
            return s.set_values[i];
        };
        if (c.op == Op::GetControl) {
            const std::size_t i = parameter_of(info, c);
            if (i == std::string::npos) {
                return error_reply(404, "no such control");
            }
            return json_reply(200, "{\"index\":" + std::to_string(i) +
                                       ",\"path\":" + json_quote(info.parameters[i].path) +
                                       ",\"value\":" + json_number(value_of(i)) + "}");
        }
        std::string out = "{\"controls\":[";
        for (std::size_t i = 0; i < info.parameters.size(); ++i) {
            out += i == 0 ? "" : ",";
            out += "{\"index\":" + std::to_string(i) +
                   ",\"path\":" + json_quote(info.parameters[i].path) +
                   ",\"value\":" + json_number(value_of(i)) + "}";
        }
        return json_reply(200, out + "]}");
    }
    case Op::SetControl:
    case Op::ResetControls: {
        std::shared_ptr<const control::Snapshot> snap = hub.snapshot();
        const control::Program* p = snap->find(s.program_id);
        const FactoryInfo& info = s.entry->factory->info();
        if (p == nullptr || p->ui.generation != s.generation) {
            return error_reply(503, "the instance's new version is not ready; try again");
        }
        auto set = [&](std::size_t i, double v) {
            const Parameter& par = info.parameters[i];
            if (par.kind == Parameter::Kind::VBargraph || par.kind == Parameter::Kind::HBargraph) {
                return false;
            }
            v = std::clamp(v, std::min(par.min, par.max), std::max(par.min, par.max));
            if (!control::ControlHub::set(*p, i, v)) {
                return false;
            }
            s.set_values[i] = v;
            s.set_frames[i] = s.engine->frames_processed();
            return true;
        };
        if (c.op == Op::ResetControls) {
            for (std::size_t i = 0; i < info.parameters.size(); ++i) {
                set(i, info.parameters[i].init);
            }
            return json_reply(200, "{}");
        }
        const std::size_t i = parameter_of(info, c);
        if (i == std::string::npos) {
            return error_reply(404, "no such control");
        }
        if (!set(i, c.value)) {
            return error_reply(409, "cannot set this control (a bargraph, or the queue is full)");
        }
        return json_reply(200, "{\"index\":" + std::to_string(i) +
                                   ",\"path\":" + json_quote(info.parameters[i].path) +
                                   ",\"value\":" + json_number(s.set_values[i]) + "}");
    }
    default:
        return error_reply(500, "unexpected call");
    }
}

Service::Service(ServiceOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {
    const int jobs = std::clamp(impl_->opt.jobs, 1, 64);
    for (int i = 0; i < jobs; ++i) {
        impl_->workers.emplace_back([this] { impl_->work(); });
    }
    if (impl_->opt.instance_idle_s > 0) {
        impl_->reaper = std::thread([this] { impl_->reap(); });
    }
}

void Service::Impl::reap() {
    const auto idle_ms = std::int64_t(opt.instance_idle_s * 1000);
    // a few looks per timeout, at most one a second
    const auto step = std::chrono::milliseconds(std::clamp<std::int64_t>(idle_ms / 4, 20, 1000));
    std::unique_lock lock(m);
    while (!stopping) {
        reaper_wake.wait_for(lock, step);
        if (stopping) {
            break;
        }
        std::vector<std::shared_ptr<InstanceSlot>> all;
        for (const auto& [id, slot] : instances) {
            all.push_back(slot);
        }
        lock.unlock();
        const std::int64_t now = steady_ms();
        std::vector<std::shared_ptr<InstanceSlot>> gone;
        for (const std::shared_ptr<InstanceSlot>& slot : all) {
            // activity besides requests: an open WebSocket, the link's master there
            // (read without the slot's lock, which a link's start holds: the
            // driver and server pointers change only under it, and a slot
            // being started is touched when its call ends)
            std::unique_lock sl(slot->m, std::try_to_lock);
            if (sl.owns_lock()) {
                if (slot->control && slot->control->stats().ws_clients > 0) {
                    slot->touch();
                }
                if (auto* link = dynamic_cast<netjack::SlaveDriver*>(slot->link.get());
                    link != nullptr && link->connected()) {
                    slot->touch();
                }
                slot->refresh_meters(); // a version committed after its call's wait
            } else {
                slot->touch(); // a call in progress
            }
            if (now - slot->last_active.load(std::memory_order_relaxed) > idle_ms) {
                gone.push_back(slot);
            }
        }
        lock.lock();
        for (const std::shared_ptr<InstanceSlot>& slot : gone) {
            auto it = instances.find(slot->id);
            if (it != instances.end() && it->second == slot) {
                instances.erase(it);
                ++expired;
            }
        }
        lock.unlock();
        for (std::shared_ptr<InstanceSlot>& slot : gone) {
            if (opt.notice) {
                const double idle_s = double(now - slot->last_active.load()) / 1000.0;
                char line[256];
                std::snprintf(line, sizeof line,
                              "instance %s (%s) expired: no request%s for %.1f s; deleted",
                              slot->id.c_str(), slot->entry->name.c_str(),
                              slot->link ? ", WebSocket or link master" : " or WebSocket", idle_s);
                opt.notice(line);
            }
            std::lock_guard sl(slot->m); // a call that found it before it went ends first
        }
        gone.clear(); // the slots' engines and drivers stop here, without the service's lock
        lock.lock();
    }
}

Service::~Service() {
    {
        std::lock_guard lock(impl_->m);
        impl_->stopping = true;
    }
    impl_->wake.notify_all();
    impl_->reaper_wake.notify_all();
    impl_->children.kill_all(); // their workers reap them and answer
    for (std::thread& t : impl_->workers) {
        t.join();
    }
    if (impl_->reaper.joinable()) {
        impl_->reaper.join();
    }
    for (Impl::Job& j : impl_->queue) {
        j.done(error_reply(503, "the server is stopping"));
    }
    impl_->queue.clear();
    std::map<std::string, std::shared_ptr<InstanceSlot>> instances;
    {
        std::lock_guard lock(impl_->m);
        instances.swap(impl_->instances);
    }
    instances.clear();
}

const ServiceOptions& Service::options() const {
    return impl_->opt;
}

void Service::Impl::enqueue(Job job) {
    {
        std::lock_guard lock(m);
        if (!stopping && queue.size() < opt.max_queued) {
            queue.push_back(std::move(job));
            wake.notify_one();
            return;
        }
    }
    job.done(error_reply(503, "the compile queue is full; try again later"));
}

void Service::compile(std::string bundle, const FactoryOptions& options,
                      std::function<void(Reply)> done) {
    Impl::Job job;
    job.bundle = std::move(bundle);
    job.options = options;
    job.done = std::move(done);
    impl_->enqueue(std::move(job));
}

void Service::compile_machine_code(std::string bundle, const Call& call,
                                   std::function<void(Reply)> done) {
    Impl::Job job;
    job.bundle = std::move(bundle);
    job.options = call.options;
    job.done = std::move(done);
    job.machine_code = true;
    if (!call.triple.empty()) {
        job.target = MachineTarget{call.triple, call.cpu, call.features};
    }
    impl_->enqueue(std::move(job));
}

void Service::render(std::string body, const Call& call, std::function<void(Reply)> done) {
    Impl::Job job;
    job.bundle = std::move(body);
    job.options = call.options;
    job.done = std::move(done);
    job.render = true;
    impl_->enqueue(std::move(job));
}

bool Service::adopt_socket(const std::string& id, int native_socket, std::string request) {
    std::shared_ptr<InstanceSlot> s = impl_->find_instance(id);
    if (!s) {
        return false;
    }
    s->touch();
    std::lock_guard lock(s->m);
    s->control->adopt(native_socket, std::move(request));
    return true;
}

Reply Service::handle(const Call& c) {
    Impl& s = *impl_;
    switch (c.op) {
    case Op::Health: {
        Stats st = stats();
        return json_reply(
            200,
            std::string("{\"server\":\"tutti\",\"version\":\"") + TUTTI_VERSION_STRING +
                "\",\"jobs\":" + std::to_string(s.workers.size()) + ",\"queued\":" +
                std::to_string(st.queued) + ",\"compiling\":" + std::to_string(st.running) +
                ",\"factories\":" + std::to_string(st.factories) +
                ",\"instances\":" + std::to_string(st.instances) + ",\"cache\":" + s.cache_json() +
                ",\"compile_in\":" + (s.opt.compile_worker.empty() ? "\"process\"" : "\"child\"") +
                ",\"children\":{\"running\":" + std::to_string(st.children) + ",\"spawned\":" +
                std::to_string(st.spawned) + ",\"died\":" + std::to_string(st.died) +
                ",\"peak_rss_mb\":" + json_number(double(st.child_peak_rss_kb) / 1024.0) +
                "},\"memory_limit_mb\":" +
                json_number(double(s.opt.max_memory_bytes) / double(1 << 20)) + "}");
    }
    case Op::ListFactories: {
        std::lock_guard lock(s.m);
        std::string out = "{\"factories\":[";
        bool first = true;
        for (const auto& [key, e] : s.factories) {
            out += first ? "" : ",";
            first = false;
            out += s.factory_json(*e, false);
        }
        return json_reply(200, out + "]}");
    }
    case Op::GetFactory:
    case Op::GetFactoryInfo: {
        std::shared_ptr<FactoryEntry> e = s.find_factory(c.key);
        if (!e) {
            return error_reply(404, "no factory " + c.key);
        }
        e->last_use = now_ms();
        if (c.op == Op::GetFactoryInfo) {
            Reply r;
            r.content_type = "application/octet-stream";
            r.body = encode_factory_info(e->factory->info());
            return r;
        }
        std::lock_guard lock(s.m);
        return json_reply(200, s.factory_json(*e, true));
    }
    case Op::DeleteFactory: {
        std::lock_guard lock(s.m);
        auto it = s.factories.find(c.key);
        if (it == s.factories.end()) {
            return error_reply(404, "no factory " + c.key);
        }
        s.by_digest.erase(it->second->digest);
        s.factories.erase(it); // its instances keep its code
        return json_reply(200, "{}");
    }
    case Op::ListInstances: {
        std::vector<std::shared_ptr<InstanceSlot>> list;
        {
            std::lock_guard lock(s.m);
            for (const auto& [id, slot] : s.instances) {
                list.push_back(slot);
            }
        }
        std::string out = "{\"instances\":[";
        for (std::size_t i = 0; i < list.size(); ++i) {
            std::lock_guard lock(list[i]->m);
            out += (i == 0 ? "" : ",") + s.instance_json(*list[i]);
        }
        return json_reply(200, out + "]}");
    }
    case Op::CreateInstance:
        return s.create_instance(c);
    case Op::DeleteInstance: {
        std::shared_ptr<InstanceSlot> slot;
        {
            std::lock_guard lock(s.m);
            auto it = s.instances.find(c.id);
            if (it == s.instances.end()) {
                return error_reply(404, "no instance " + c.id);
            }
            slot = it->second;
            s.instances.erase(it);
        }
        std::lock_guard lock(slot->m); // wait for a call in progress
        return json_reply(200, "{}");
    }
    case Op::GetInstance:
    case Op::StartInstance:
    case Op::StopInstance:
    case Op::SwapInstance:
    case Op::GetControls:
    case Op::GetControl:
    case Op::SetControl:
    case Op::ResetControls:
    case Op::GetState:
    case Op::PutState:
    case Op::ProcessBlock:
    case Op::Note: {
        std::shared_ptr<InstanceSlot> slot = s.find_instance(c.id);
        if (!slot) {
            return error_reply(404, "no instance " + c.id);
        }
        slot->touch(); // its lease renewed
        Reply r = s.instance_call(*slot, c);
        slot->touch(); // a call that waited (a link's start) counts from its end
        return r;
    }
    case Op::CreateFactory:
    case Op::CreateMachineCode:
    case Op::InstanceSocket:
    case Op::Render:
        break;
    }
    return error_reply(500, "this call is not handled here");
}

Service::Stats Service::stats() const {
    std::lock_guard lock(impl_->m);
    Stats st;
    st.factories = impl_->factories.size();
    st.instances = impl_->instances.size();
    st.queued = impl_->queue.size();
    st.running = impl_->running;
    st.compiled = impl_->compiled;
    st.failed = impl_->failed;
    st.reused = impl_->reused;
    st.expired = impl_->expired;
    st.children = impl_->children.running();
    st.spawned = impl_->spawned;
    st.died = impl_->died;
    st.child_peak_rss_kb = impl_->child_peak_kb;
    return st;
}

} // namespace tutti::serve
