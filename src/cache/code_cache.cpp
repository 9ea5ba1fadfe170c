// SPDX-License-Identifier: MIT
#include "cache/code_cache.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <link.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <sstream>

#include "jit/jit_engine.h"
#include "runtime/constants_memo.h"
#include "runtime/factory_info_codec.h"
#include "support/content_hash.h"
#include "tutti/version.h"

namespace tutti::cache {

namespace fs = std::filesystem;

namespace {

constexpr const char* manifest_magic = "tutti-code-manifest 1";
constexpr std::uint64_t max_manifest_bytes = 1 << 20;
constexpr std::uint64_t max_object_bytes = std::uint64_t(256) << 20;

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t0) {
    return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

// ------------------------------------------------------------------ files

/// The whole file, at most `limit` bytes (nullopt: absent, unreadable or larger).
std::optional<std::string> read_file(const std::string& path, std::uint64_t limit,
                                     struct stat* st_out = nullptr) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return std::nullopt;
    }
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || std::uint64_t(st.st_size) > limit) {
        ::close(fd);
        return std::nullopt;
    }
    std::string data(std::size_t(st.st_size), '\0');
    std::size_t got = 0;
    while (got < data.size()) {
        const ssize_t n = ::read(fd, data.data() + got, data.size() - got);
        if (n <= 0) {
            break;
        }
        got += std::size_t(n);
    }
    ::close(fd);
    if (got != data.size()) {
        return std::nullopt;
    }
    if (st_out != nullptr) {
        *st_out = st;
    }
    return data;
}

std::int64_t mtime_ns(const struct stat& st) {
    return std::int64_t(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
}

/// Writes `data` to a new file in `tmp` and renames it to `to`: readers see
/// the old file or the whole new one.
bool write_atomically(const fs::path& tmp, const fs::path& to, const std::string& data) {
    static std::atomic<std::uint64_t> serial{0};
    thread_local std::mt19937_64 random{std::random_device{}()};
    const fs::path t = tmp / (to.filename().string() + "." + std::to_string(::getpid()) + "." +
                              std::to_string(serial++) + "." + std::to_string(random() & 0xffff));
    const int fd = ::open(t.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) {
        return false;
    }
    std::size_t put = 0;
    while (put < data.size()) {
        const ssize_t n = ::write(fd, data.data() + put, data.size() - put);
        if (n <= 0) {
            break;
        }
        put += std::size_t(n);
    }
    const bool ok = put == data.size() && ::close(fd) == 0;
    if (!ok || ::rename(t.c_str(), to.c_str()) != 0) {
        ::unlink(t.c_str());
        return false;
    }
    return true;
}

/// The constants image of a program's code (runtime/constants_memo.h) next
/// to its object: read into a factory loaded from disk, written when one of
/// the factory's instances records it.
fs::path constants_path(const fs::path& dir, const std::string& content_key) {
    return dir / "objects" / (content_key + ".constants");
}
/// `loaded`: the factory comes from disk, where its image may be (a fresh
/// compilation's was removed with its older code by disk_store()).
void keep_constants(const fs::path& dir, const Factory& factory, bool loaded) {
    runtime::ConstantsMemo& memo = factory.constants_memo();
    if (dir.empty() || !memo.enabled()) {
        return;
    }
    if (auto text = loaded ? read_file(constants_path(dir, factory.content_key()).string(),
                                       max_object_bytes)
                           : std::nullopt) {
        if (auto image = runtime::decode_constants_image(*text)) {
            memo.adopt(std::move(*image));
        }
    }
    memo.on_record([dir, key = factory.content_key()](const runtime::ConstantsMemo::Image& image) {
        write_atomically(dir / "tmp", constants_path(dir, key),
                         runtime::encode_constants_image(image));
    });
}

void touch(const fs::path& p) {
    ::utimensat(AT_FDCWD, p.c_str(), nullptr, 0); // now: recently used
}

// ------------------------------------------------------------------ manifests

struct Manifest {
    std::string content_key;
    std::vector<CodeCache::Dependency> deps;
};

std::string encode_manifest(const Manifest& m) {
    std::string s = std::string(manifest_magic) + "\n";
    s += "key " + m.content_key + "\n";
    for (const auto& d : m.deps) {
        s += "dep " + std::to_string(d.size) + " " + std::to_string(d.mtime_ns) + " " +
             support::hex64(d.hash) + " " + d.path + "\n";
    }
    s += "sum " + support::hex64(checksum64(s)) + "\n";
    return s;
}

std::optional<Manifest> decode_manifest(const std::string& s) {
    // the last line is the checksum of everything before it
    if (s.size() < 22 || s.back() != '\n') {
        return std::nullopt;
    }
    const std::size_t last = s.rfind('\n', s.size() - 2);
    if (last == std::string::npos || s.compare(last + 1, 4, "sum ") != 0) {
        return std::nullopt;
    }
    const std::string body = s.substr(0, last + 1);
    if (s.substr(last + 5, s.size() - last - 6) != support::hex64(checksum64(body))) {
        return std::nullopt;
    }
    std::istringstream in(body);
    std::string line;
    if (!std::getline(in, line) || line != manifest_magic) {
        return std::nullopt;
    }
    Manifest m;
    if (!std::getline(in, line) || line.rfind("key ", 0) != 0 || line.size() != 4 + 32) {
        return std::nullopt;
    }
    m.content_key = line.substr(4);
    if (m.content_key.find_first_not_of("0123456789abcdef") != std::string::npos) {
        return std::nullopt; // it names a file
    }
    while (std::getline(in, line)) {
        if (line.rfind("dep ", 0) != 0) {
            return std::nullopt;
        }
        CodeCache::Dependency d;
        char hash[17] = {};
        int used = 0;
        unsigned long long size = 0;
        long long mtime = 0;
        if (std::sscanf(line.c_str() + 4, "%llu %lld %16s%n", &size, &mtime, hash, &used) != 3 ||
            used <= 0 || std::size_t(used) + 5 > line.size() ||
            line[4 + std::size_t(used)] != ' ') {
            return std::nullopt;
        }
        d.size = size;
        d.mtime_ns = mtime;
        d.hash = std::strtoull(hash, nullptr, 16);
        d.path = line.substr(5 + std::size_t(used)); // after one space: the path as it is
        m.deps.push_back(std::move(d));
    }
    return m;
}

/// Whether every listed file still has the content it had. A file whose size
/// and time are unchanged is not read; one whose time changed but whose
/// content did not is still current (`restamped` says so, with the new stat).
bool dependencies_current(std::vector<CodeCache::Dependency>& deps, bool* restamped) {
    for (auto& d : deps) {
        struct stat st {};
        if (::stat(d.path.c_str(), &st) != 0) {
            return false;
        }
        if (std::uint64_t(st.st_size) == d.size && mtime_ns(st) == d.mtime_ns) {
            continue;
        }
        if (std::uint64_t(st.st_size) != d.size) {
            return false;
        }
        auto text = read_file(d.path, max_object_bytes, &st);
        if (!text || checksum64(*text) != d.hash) {
            return false;
        }
        d.mtime_ns = mtime_ns(st);
        if (restamped != nullptr) {
            *restamped = true;
        }
    }
    return true;
}

// ------------------------------------------------------------------ keys

/// The key of what a compilation is asked for; nullopt when the program
/// file cannot be read (the compiler reports that).
std::optional<std::string> request_key(const ProgramSource& program, const CompileOptions& o) {
    static const std::string cpu = jit::host_cpu_description();
    support::Hash128 h;
    h.text("tutti-code-cache 1");
    h.text(tutti::version);
    h.text(build_identity());
    h.text(cpu);
    h.word(program.is_file ? 1 : 0);
    h.text(program.path_or_name);
    if (program.is_file) {
        auto text = read_file(program.path_or_name, max_object_bytes);
        if (!text) {
            return std::nullopt;
        }
        h.word(checksum64(*text));
        h.word(text->size());
    } else {
        h.word(checksum64(program.text));
        h.word(program.text.size());
    }
    if (fs::path(program.path_or_name).is_relative()) {
        std::error_code ec;
        h.text(fs::current_path(ec).string()); // relative imports resolve from here
    }
    h.word(o.double_precision ? 1 : 0);
    h.word(std::uint64_t(o.backend));
    h.word(std::uint64_t(o.opt_level));
    h.word(std::uint64_t(o.math)); // exact or fast: different code
    h.word(o.allow_foreign_code ? 1 : 0);
    h.text(o.entry);
    h.word(o.include_dirs.size());
    for (const auto& d : o.include_dirs) {
        h.text(d);
    }
    const char* lib = std::getenv("TUTTI_LIBRARY_PATH");
    h.text(lib != nullptr ? lib : "");
    return h.hex();
}

/// The files a compilation read, with the checksums of the texts it compiled
/// (`compiled`); nullopt when one cannot be read or no longer has that text
/// (edited during the compilation): then nothing is stored.
std::optional<std::vector<CodeCache::Dependency>>
dependencies_of(const FactoryInfo& info, const ProgramSource& program,
                const std::vector<std::uint64_t>& compiled) {
    std::vector<CodeCache::Dependency> deps;
    if (compiled.size() != info.source_files.size()) {
        return std::nullopt;
    }
    for (std::size_t i = 0; i < info.source_files.size(); ++i) {
        const std::string& path = info.source_files[i];
        if (!program.is_file && i == 0 && path == program.path_or_name) {
            continue; // the source text: its content is in the key
        }
        if (path.find('\n') != std::string::npos) {
            return std::nullopt;
        }
        struct stat st {};
        auto text = read_file(path, max_object_bytes, &st);
        if (!text || checksum64(*text) != compiled[i]) {
            return std::nullopt;
        }
        CodeCache::Dependency d;
        d.path = path;
        d.size = text->size();
        d.mtime_ns = mtime_ns(st);
        d.hash = compiled[i];
        deps.push_back(std::move(d));
    }
    return deps;
}

bool cacheable_request(const CompileOptions& o) {
    return o.backend == Backend::Llvm && o.dump_after.empty() && !o.dump;
}

int module_build_id(dl_phdr_info* info, std::size_t, void* data) {
    auto* want = static_cast<std::pair<std::uintptr_t, std::string>*>(data);
    bool mine = false;
    for (int i = 0; i < info->dlpi_phnum; ++i) {
        const ElfW(Phdr)& ph = info->dlpi_phdr[i];
        const std::uintptr_t start = info->dlpi_addr + ph.p_vaddr;
        if (ph.p_type == PT_LOAD && want->first >= start && want->first < start + ph.p_memsz) {
            mine = true;
        }
    }
    if (!mine) {
        return 0;
    }
    for (int i = 0; i < info->dlpi_phnum; ++i) {
        const ElfW(Phdr)& ph = info->dlpi_phdr[i];
        if (ph.p_type != PT_NOTE) {
            continue;
        }
        const auto* p = reinterpret_cast<const unsigned char*>(info->dlpi_addr + ph.p_vaddr);
        const unsigned char* end = p + ph.p_memsz;
        while (p + sizeof(ElfW(Nhdr)) <= end) {
            ElfW(Nhdr) n;
            std::memcpy(&n, p, sizeof n);
            const unsigned char* name = p + sizeof n;
            const unsigned char* desc = name + ((n.n_namesz + 3) & ~3u);
            if (n.n_type == NT_GNU_BUILD_ID && n.n_namesz == 4 &&
                std::memcmp(name, "GNU", 4) == 0 && desc + n.n_descsz <= end) {
                for (std::size_t k = 0; k < n.n_descsz; ++k) {
                    char hex[3];
                    std::snprintf(hex, sizeof hex, "%02x", desc[k]);
                    want->second += hex;
                }
                return 1;
            }
            p = desc + ((n.n_descsz + 3) & ~3u);
        }
    }
    return 1;
}

} // namespace

const char* to_string(Outcome outcome) {
    switch (outcome) {
    case Outcome::Disabled:
        return "disabled";
    case Outcome::Uncacheable:
        return "uncacheable";
    case Outcome::MemoryHit:
        return "memory hit";
    case Outcome::DiskHit:
        return "disk hit";
    case Outcome::Miss:
        break;
    }
    return "miss";
}

const std::string& build_identity() {
    static const std::string id = [] {
        std::pair<std::uintptr_t, std::string> want{
            reinterpret_cast<std::uintptr_t>(&module_build_id), {}};
        dl_iterate_phdr(module_build_id, &want);
        if (!want.second.empty()) {
            return "build-id:" + want.second;
        }
        // no build id: the binary's path, size and time
        Dl_info dl{};
        std::string binary = "binary:";
        if (::dladdr(reinterpret_cast<void*>(&module_build_id), &dl) != 0 &&
            dl.dli_fname != nullptr) {
            std::string path = dl.dli_fname;
            std::error_code ec;
            if (path.empty() || !fs::exists(path, ec)) {
                path = fs::read_symlink("/proc/self/exe", ec).string();
            }
            struct stat st {};
            if (::stat(path.c_str(), &st) == 0) {
                binary +=
                    path + ":" + std::to_string(st.st_size) + ":" + std::to_string(mtime_ns(st));
            }
        }
        return binary;
    }();
    return id;
}

CacheSettings settings_from_environment() {
    CacheSettings s;
    if (const char* on = std::getenv("TUTTI_CACHE"); on != nullptr) {
        const std::string v = on;
        s.enabled = !(v == "0" || v == "off" || v == "no" || v == "false");
    }
    if (const char* d = std::getenv("TUTTI_CACHE_DIR"); d != nullptr && *d != 0) {
        s.dir = d;
    } else if (const char* x = std::getenv("XDG_CACHE_HOME"); x != nullptr && *x != 0) {
        s.dir = fs::path(x) / "tutti" / "code";
    } else if (const char* h = std::getenv("HOME"); h != nullptr && *h != 0) {
        s.dir = fs::path(h) / ".cache" / "tutti" / "code";
    }
    if (const char* mb = std::getenv("TUTTI_CACHE_MAX_MB"); mb != nullptr && *mb != 0) {
        char* end = nullptr;
        const unsigned long long v = std::strtoull(mb, &end, 10);
        if (end != mb && *end == 0) {
            s.max_bytes = std::uint64_t(v) << 20;
        }
    }
    return s;
}

CodeCache::CodeCache(CacheSettings settings) : settings_(std::move(settings)) {
}

CodeCache::~CodeCache() = default;

namespace {

// The disk lookups every process made, shared without a lock held across
// lookups: two little-endian 64-bit counts (hits, misses) in one 16-byte file,
// each increment under flock (a few system calls next to a lookup's reads).
constexpr const char* kCountersFile = "lookups";

bool read_counts(int fd, std::uint64_t counts[2]) {
    unsigned char b[16] = {};
    if (::pread(fd, b, sizeof b, 0) != static_cast<ssize_t>(sizeof b)) {
        return false;
    }
    for (int k = 0; k < 2; ++k) {
        counts[k] = 0;
        for (int i = 7; i >= 0; --i) {
            counts[k] = counts[k] << 8 | b[8 * k + i];
        }
    }
    return true;
}

} // namespace

void CodeCache::count(const char* file) const {
    if (settings_.dir.empty()) {
        return;
    }
    const int which = std::strcmp(file, "hits") == 0 ? 0 : 1;
    const fs::path path = settings_.dir / kCountersFile;
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        std::error_code ec;
        fs::create_directories(settings_.dir, ec);
        fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    }
    if (fd < 0) {
        return;
    }
    if (::flock(fd, LOCK_EX) == 0) {
        std::uint64_t counts[2] = {0, 0};
        if (!read_counts(fd, counts)) {
            counts[0] = counts[1] = 0; // new, or not ours: start again
        }
        ++counts[which];
        unsigned char b[16];
        for (int k = 0; k < 2; ++k) {
            for (int i = 0; i < 8; ++i) {
                b[8 * k + i] = static_cast<unsigned char>(counts[k] >> (8 * i));
            }
        }
        [[maybe_unused]] ssize_t n = ::pwrite(fd, b, sizeof b, 0);
        ::flock(fd, LOCK_UN);
    }
    ::close(fd);
}

std::shared_ptr<const Factory> CodeCache::memory_lookup(const std::string& key) {
    std::vector<Dependency> deps;
    std::shared_ptr<const Factory> factory;
    {
        std::lock_guard lock(mutex_);
        auto it = memory_.find(key);
        if (it == memory_.end()) {
            return nullptr;
        }
        deps = it->second.deps;
        factory = it->second.factory;
    }
    bool restamped = false;
    if (!dependencies_current(deps, &restamped)) {
        std::lock_guard lock(mutex_);
        auto it = memory_.find(key);
        if (it != memory_.end() && it->second.factory == factory) {
            lru_.erase(it->second.lru);
            memory_.erase(it);
        }
        return nullptr;
    }
    std::lock_guard lock(mutex_);
    auto it = memory_.find(key);
    if (it != memory_.end()) {
        lru_.splice(lru_.begin(), lru_, it->second.lru);
        if (restamped) {
            it->second.deps = std::move(deps);
        }
    }
    ++counters_.memory_hits;
    return factory;
}

void CodeCache::memory_store(const std::string& key, std::vector<Dependency> deps,
                             std::shared_ptr<const Factory> factory) {
    if (settings_.memory_entries == 0) {
        return;
    }
    std::lock_guard lock(mutex_);
    auto it = memory_.find(key);
    if (it != memory_.end()) {
        lru_.erase(it->second.lru);
        memory_.erase(it);
    }
    lru_.push_front(key);
    memory_.emplace(key, MemoryEntry{std::move(deps), std::move(factory), lru_.begin()});
    while (memory_.size() > settings_.memory_entries) {
        memory_.erase(lru_.back());
        lru_.pop_back();
    }
}

std::shared_ptr<const Factory> CodeCache::disk_lookup(const std::string& key,
                                                      std::vector<Dependency>& deps) {
    if (settings_.dir.empty()) {
        return nullptr;
    }
    const fs::path manifest_path = settings_.dir / "manifests" / key;
    auto text = read_file(manifest_path.string(), max_manifest_bytes);
    if (!text) {
        return nullptr;
    }
    auto corrupt = [&](const fs::path& p) -> std::shared_ptr<const Factory> {
        ::unlink(p.c_str());
        std::lock_guard lock(mutex_);
        ++counters_.corrupt;
        return nullptr;
    };
    auto manifest = decode_manifest(*text);
    if (!manifest) {
        return corrupt(manifest_path);
    }
    bool restamped = false;
    if (!dependencies_current(manifest->deps, &restamped)) {
        return nullptr; // stale: overwritten once compiled again
    }
    const fs::path object_path = settings_.dir / "objects" / manifest->content_key;
    auto bytes = read_file(object_path.string(), max_object_bytes);
    if (!bytes) {
        return nullptr;
    }
    std::string error;
    auto code = decode_machine_code(*bytes, &error);
    if (!code || code->info.content_key != manifest->content_key) {
        return corrupt(object_path);
    }
    auto factory = load_machine_code(*code, &error);
    if (!factory) {
        return corrupt(object_path);
    }
    keep_constants(settings_.dir, *factory, true);
    if (restamped) {
        write_atomically(settings_.dir / "tmp", manifest_path, encode_manifest(*manifest));
    } else {
        touch(manifest_path);
    }
    touch(object_path);
    deps = std::move(manifest->deps);
    std::lock_guard lock(mutex_);
    ++counters_.loads;
    return factory;
}

void CodeCache::disk_store(const std::string& key, const std::vector<Dependency>& deps,
                           const MachineCode& code) {
    if (settings_.dir.empty()) {
        return;
    }
    std::error_code ec;
    for (const char* sub : {"manifests", "objects", "tmp"}) {
        fs::create_directories(settings_.dir / sub, ec);
    }
    const fs::path tmp = settings_.dir / "tmp";
    // the object first: a manifest never names an object not yet written
    if (!write_atomically(tmp, settings_.dir / "objects" / code.info.content_key,
                          encode_machine_code(code))) {
        return;
    }
    ::unlink(constants_path(settings_.dir, code.info.content_key).c_str()); // of older code
    Manifest m{code.info.content_key, deps};
    if (!write_atomically(tmp, settings_.dir / "manifests" / key, encode_manifest(m))) {
        return;
    }
    {
        std::lock_guard lock(mutex_);
        ++counters_.stored;
    }
    evict();
}

void CodeCache::keep(const std::string& key, const std::vector<Dependency>& deps,
                     std::shared_ptr<const Factory> factory, const MachineCode& code) {
    keep_constants(settings_.dir, *factory, false);
    memory_store(key, deps, std::move(factory));
    disk_store(key, deps, code);
}

void CodeCache::evict() {
    struct File {
        fs::path path;
        std::uint64_t bytes;
        std::int64_t time;
    };
    std::vector<File> files;
    std::uint64_t total = 0;
    std::error_code ec;
    const auto now = fs::file_time_type::clock::now();
    for (const char* sub : {"manifests", "objects", "tmp"}) {
        for (const auto& e : fs::directory_iterator(settings_.dir / sub, ec)) {
            struct stat st {};
            if (::stat(e.path().c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
                continue;
            }
            if (std::strcmp(sub, "tmp") == 0) {
                // a writer that died before its rename
                if (now - e.last_write_time(ec) > std::chrono::hours(1)) {
                    ::unlink(e.path().c_str());
                }
                continue;
            }
            files.push_back({e.path(), std::uint64_t(st.st_size), mtime_ns(st)});
            total += std::uint64_t(st.st_size);
        }
    }
    if (total <= settings_.max_bytes) {
        return;
    }
    std::sort(files.begin(), files.end(),
              [](const File& a, const File& b) { return a.time < b.time; });
    const std::uint64_t target = settings_.max_bytes / 10 * 8;
    for (const File& f : files) {
        if (total <= target) {
            break;
        }
        if (::unlink(f.path.c_str()) == 0) {
            total -= f.bytes;
        }
    }
}

CompileResult CodeCache::compile(const ProgramSource& program, const CompileOptions& options,
                                 Outcome* outcome) {
    auto say = [&](Outcome o) {
        if (outcome != nullptr) {
            *outcome = o;
        }
    };
    if (!settings_.enabled) {
        say(Outcome::Disabled);
        return compile_program(program, options);
    }
    const auto t0 = Clock::now();
    std::optional<std::string> key;
    if (cacheable_request(options)) {
        key = request_key(program, options);
    }
    if (!key) {
        {
            std::lock_guard lock(mutex_);
            ++counters_.uncacheable;
        }
        say(Outcome::Uncacheable);
        return compile_program(program, options);
    }
    if (auto factory = memory_lookup(*key)) {
        CompileResult r;
        r.factory = std::move(factory);
        r.timings.push_back({"cache", ms_since(t0)});
        say(Outcome::MemoryHit);
        return r;
    }
    std::vector<Dependency> deps;
    if (auto factory = disk_lookup(*key, deps)) {
        memory_store(*key, std::move(deps), factory);
        count("hits");
        CompileResult r;
        r.factory = std::move(factory);
        r.timings.push_back({"cache", ms_since(t0)});
        say(Outcome::DiskHit);
        return r;
    }
    say(Outcome::Miss);
    {
        std::lock_guard lock(mutex_);
        ++counters_.misses;
    }
    count("misses");
    if (options.tiered) {
        // a tiered compilation (the engine's tiered start) plays on the
        // interpreter at once and makes its LLVM code later, on the engine's
        // tier thread: not waited for here; stored when it is made, so that
        // the next start of the same program (a cold process) loads it
        CompileOptions o = options;
        o.keep_machine_code = true;
        CompileResult r = compile_program(program, o);
        if (r.next_tier) {
            r.next_tier = [this, finish = std::move(r.next_tier), program, key = *key]() {
                CompileResult fin = finish();
                if (fin.ok() && fin.diagnostics.empty() && fin.machine_code) {
                    auto current =
                        dependencies_of(fin.factory->info(), program, fin.source_checksums);
                    if (current) {
                        keep(key, *current, fin.factory, *fin.machine_code);
                    }
                }
                fin.machine_code.reset();
                return fin;
            };
        }
        return r;
    }
    MachineCodeResult mc = tutti::compile_machine_code(program, options);
    CompileResult r;
    r.factory = mc.factory;
    r.diagnostics = std::move(mc.diagnostics);
    r.timings = std::move(mc.timings);
    if (!r.factory || !r.diagnostics.empty() || !mc.code) {
        // errors, warnings (printed each time), or what machine code does not
        // carry: foreign code and sound files (whose files the manifest does not list)
        std::lock_guard lock(mutex_);
        counters_.uncacheable += r.factory ? 1 : 0;
        return r;
    }
    const auto t1 = Clock::now();
    auto current = dependencies_of(r.factory->info(), program, mc.source_checksums);
    if (current) {
        keep(*key, *current, r.factory, *mc.code);
    }
    r.timings.push_back({"cache-store", ms_since(t1)});
    return r;
}

std::shared_ptr<const Factory> CodeCache::lookup(const ProgramSource& program,
                                                 const CompileOptions& options, Outcome* outcome) {
    auto say = [&](Outcome o) {
        if (outcome != nullptr) {
            *outcome = o;
        }
    };
    std::optional<std::string> key;
    if (settings_.enabled && cacheable_request(options) && !options.tiered) {
        key = request_key(program, options);
    }
    if (!key) {
        say(settings_.enabled ? Outcome::Uncacheable : Outcome::Disabled);
        return nullptr;
    }
    if (auto factory = memory_lookup(*key)) {
        say(Outcome::MemoryHit);
        return factory;
    }
    std::vector<Dependency> deps;
    if (auto factory = disk_lookup(*key, deps)) {
        memory_store(*key, std::move(deps), factory);
        count("hits");
        say(Outcome::DiskHit);
        return factory;
    }
    say(Outcome::Miss);
    return nullptr;
}

std::optional<std::string> CodeCache::machine_code_key(const ProgramSource& program,
                                                       const CompileOptions& options,
                                                       const std::optional<MachineTarget>& target) {
    if (!settings_.enabled || settings_.dir.empty() || !options.dump_after.empty() ||
        options.dump) {
        return std::nullopt;
    }
    CompileOptions llvm = options;
    llvm.backend = Backend::Llvm; // machine code is always LLVM's
    auto k = request_key(program, llvm);
    if (!k) {
        return std::nullopt;
    }
    support::Hash128 h;
    h.text("machine-code");
    h.text(*k);
    h.text(target ? target->triple : "host");
    h.text(target ? target->cpu : "");
    h.text(target ? target->features : "");
    return h.hex();
}

std::optional<MachineCode>
CodeCache::lookup_machine_code(const ProgramSource& program, const CompileOptions& options,
                               const std::optional<MachineTarget>& target, Outcome* outcome) {
    auto say = [&](Outcome o) {
        if (outcome != nullptr) {
            *outcome = o;
        }
    };
    std::optional<std::string> key = machine_code_key(program, options, target);
    if (!key) {
        say(settings_.enabled ? Outcome::Uncacheable : Outcome::Disabled);
        return std::nullopt;
    }
    const fs::path manifest_path = settings_.dir / "manifests" / *key;
    if (auto text = read_file(manifest_path.string(), max_manifest_bytes)) {
        auto manifest = decode_manifest(*text);
        bool restamped = false;
        if (!manifest) {
            ::unlink(manifest_path.c_str());
        } else if (dependencies_current(manifest->deps, &restamped)) {
            const fs::path object_path = settings_.dir / "objects" / manifest->content_key;
            if (auto bytes = read_file(object_path.string(), max_object_bytes)) {
                std::string error;
                auto code = decode_machine_code(*bytes, &error);
                if (code && code->info.content_key == manifest->content_key) {
                    if (restamped) {
                        write_atomically(settings_.dir / "tmp", manifest_path,
                                         encode_manifest(*manifest));
                    } else {
                        touch(manifest_path);
                    }
                    touch(object_path);
                    count("hits");
                    say(Outcome::DiskHit);
                    return code;
                }
                ::unlink(object_path.c_str());
                std::lock_guard lock(mutex_);
                ++counters_.corrupt;
            }
        }
    }
    say(Outcome::Miss);
    {
        std::lock_guard lock(mutex_);
        ++counters_.misses;
    }
    count("misses");
    return std::nullopt;
}

void CodeCache::store_machine_code(const ProgramSource& program, const CompileOptions& options,
                                   const std::optional<MachineTarget>& target,
                                   const MachineCode& code,
                                   const std::vector<std::uint64_t>& source_checksums) {
    std::optional<std::string> key = machine_code_key(program, options, target);
    if (!key) {
        return;
    }
    if (auto current = dependencies_of(code.info, program, source_checksums)) {
        disk_store(*key, *current, code);
    }
}

void CodeCache::store(const ProgramSource& program, const CompileOptions& options,
                      const MachineCode& code, const std::vector<std::uint64_t>& source_checksums,
                      std::shared_ptr<const Factory> factory) {
    if (!settings_.enabled || !cacheable_request(options) || options.tiered) {
        return;
    }
    std::optional<std::string> key = request_key(program, options);
    if (!key) {
        return;
    }
    if (auto current = dependencies_of(code.info, program, source_checksums)) {
        keep(*key, *current, std::move(factory), code);
    }
}

MachineCodeResult CodeCache::compile_machine_code(const ProgramSource& program,
                                                  const CompileOptions& options,
                                                  const std::optional<MachineTarget>& target,
                                                  Outcome* outcome) {
    const auto t0 = Clock::now();
    Outcome how = Outcome::Miss;
    std::optional<MachineCode> hit = lookup_machine_code(program, options, target, &how);
    if (outcome != nullptr) {
        *outcome = how;
    }
    if (hit) {
        MachineCodeResult r;
        r.code = std::move(hit);
        r.timings.push_back({"cache", ms_since(t0)});
        return r;
    }
    MachineCodeResult mc = tutti::compile_machine_code(program, options, target);
    if (how != Outcome::Miss || !mc.code || !mc.diagnostics.empty()) {
        return mc;
    }
    const auto t1 = Clock::now();
    store_machine_code(program, options, target, *mc.code, mc.source_checksums);
    mc.timings.push_back({"cache-store", ms_since(t1)});
    return mc;
}

CacheStats CodeCache::stats() const {
    CacheStats s;
    {
        std::lock_guard lock(mutex_);
        s = counters_;
        s.memory_entries = memory_.size();
    }
    s.dir = settings_.dir;
    s.max_bytes = settings_.max_bytes;
    if (settings_.dir.empty()) {
        return s;
    }
    std::error_code ec;
    for (const char* sub : {"manifests", "objects"}) {
        for (const auto& e : fs::directory_iterator(settings_.dir / sub, ec)) {
            if (!e.is_regular_file(ec)) {
                continue;
            }
            if (e.path().extension() != ".constants") { // (a program's tables, next to it)
                (std::strcmp(sub, "objects") == 0 ? s.objects : s.manifests) += 1;
            }
            s.bytes += e.file_size(ec);
        }
    }
    const int fd = ::open((settings_.dir / kCountersFile).c_str(), O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        std::uint64_t counts[2] = {0, 0};
        if (::flock(fd, LOCK_SH) == 0) {
            if (read_counts(fd, counts)) {
                s.disk_hits = counts[0];
                s.disk_misses = counts[1];
            }
            ::flock(fd, LOCK_UN);
        }
        ::close(fd);
    }
    return s;
}

std::uint64_t CodeCache::clear() {
    {
        std::lock_guard lock(mutex_);
        memory_.clear();
        lru_.clear();
    }
    std::uint64_t bytes = 0;
    if (settings_.dir.empty()) {
        return 0;
    }
    std::error_code ec;
    for (const char* sub : {"manifests", "objects", "tmp"}) {
        for (const auto& e : fs::directory_iterator(settings_.dir / sub, ec)) {
            const std::uint64_t n = e.is_regular_file(ec) ? e.file_size(ec) : 0;
            if (::unlink(e.path().c_str()) == 0) {
                bytes += n;
            }
        }
    }
    for (const char* f : {kCountersFile, "hits", "misses"}) { // (one byte per lookup before)
        ::unlink((settings_.dir / f).c_str());
    }
    return bytes;
}

CodeCache& process_cache() {
    static CodeCache cache(settings_from_environment());
    return cache;
}

CompileResult compile_program_cached(const ProgramSource& program, const CompileOptions& options) {
    return process_cache().compile(program, options);
}

} // namespace tutti::cache
