// SPDX-License-Identifier: MIT
/** \file
 * The compiled-code cache (issue 13): a compilation's machine code
 * (tutti/machine_code.h) kept in memory and on disk, so that compiling a
 * program again gives a ready factory without parsing or evaluating it.
 *
 * Two levels, as a build system's:
 * - the *manifest*, keyed by a hash of what the compilation was asked for (the
 *   program's text and name, the options, the library path, the compiler's
 *   build and the CPU), lists every file the compilation read with its size,
 *   modification time and content hash, and names the code by the factory's
 *   content key. A lookup re-checks the listed files (stat first; when size or
 *   time differ, the content decides), so an edit in an imported library is a
 *   miss;
 * - the *object*, keyed by the content key: the MachineCode container
 *   (FactoryInfo, target CPU, relocatable object, checksummed).
 *
 * In memory: the last factories made or loaded (LRU, `memory_entries`), shared
 * by every compile of the process. On disk (`dir`, default
 * $XDG_CACHE_HOME/tutti/code or ~/.cache/tutti/code): manifests/, objects/,
 * written to tmp/ and renamed into place (readers never see a partial file and
 * take no lock; several processes may fill the cache at once), bounded to
 * `max_bytes` (least recently used files removed first; a hit refreshes a
 * file's time). A file that does not decode (truncated, flipped bytes: the
 * containers' lengths and checksums) is removed and the program compiled and
 * stored again.
 *
 * Not cached (compiled each time, as without the cache): the interpreter
 * backend, compilations that dump passes, that end with diagnostics (warnings
 * included, so that they are printed each time), programs with foreign
 * functions or sound files (machine code does not carry them, and the files
 * they read are not listed), and a compilation during which a file it read
 * changed (its text differs from the one compiled).
 *
 * The compiler's build is identified by the GNU build id of the binary that
 * holds this code (a rebuilt compiler never reuses older code).
 */
#pragma once

#include <cstdint>
#include <filesystem>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "tutti/compiler.h"

namespace tutti::cache {

struct CacheSettings {
    bool enabled = true;                                ///< TUTTI_CACHE=0 turns the cache off
    std::filesystem::path dir;                          ///< empty: memory only
    std::uint64_t max_bytes = std::uint64_t(512) << 20; ///< on disk; TUTTI_CACHE_MAX_MB
    std::size_t memory_entries = 32;
};

/// TUTTI_CACHE (0: off), TUTTI_CACHE_DIR (the folder itself), XDG_CACHE_HOME
/// and HOME (the default folder), TUTTI_CACHE_MAX_MB.
CacheSettings settings_from_environment();

struct CacheStats {
    std::filesystem::path dir;
    std::uint64_t max_bytes = 0;
    std::size_t objects = 0;                      ///< on disk
    std::size_t manifests = 0;                    ///< on disk
    std::uint64_t bytes = 0;                      ///< on disk, both kinds
    std::uint64_t disk_hits = 0, disk_misses = 0; ///< counted by every process using `dir`
    // this process
    std::uint64_t memory_hits = 0, loads = 0, misses = 0, stored = 0, corrupt = 0, uncacheable = 0;
    std::size_t memory_entries = 0;
};

/// How a compile through the cache was answered.
enum class Outcome { Disabled, Uncacheable, MemoryHit, DiskHit, Miss };
const char* to_string(Outcome outcome);

class CodeCache {
public:
    explicit CodeCache(CacheSettings settings);
    ~CodeCache();
    CodeCache(const CodeCache&) = delete;
    CodeCache& operator=(const CodeCache&) = delete;

    /// compile_program through the cache. On a hit the result's timings hold one
    /// entry, "cache", with the lookup's time; on a miss the compilation's passes
    /// and "cache-store". Thread-safe.
    CompileResult compile(const ProgramSource& program, const CompileOptions& options,
                          Outcome* outcome = nullptr);

    /// The lookup alone: the factory when `program` with `options` is in the
    /// cache (memory or disk, its files unchanged), else null (nothing is
    /// compiled; *outcome Miss). A compile server checks what a hit read before
    /// it trusts it, and parses a miss before compile() compiles it.
    std::shared_ptr<const Factory>
    lookup(const ProgramSource& program, const CompileOptions& options, Outcome* outcome = nullptr);
    /// tutti::compile_machine_code through the cache (on disk only: the
    /// MachineCode, not loaded) for `target` (this CPU when absent), which goes
    /// into the request's key. Same rules as compile(): what is not cached is
    /// compiled each time.
    MachineCodeResult compile_machine_code(const ProgramSource& program,
                                           const CompileOptions& options,
                                           const std::optional<MachineTarget>& target,
                                           Outcome* outcome = nullptr);

    /// compile_machine_code in two halves, for a compile server that compiles
    /// in another process (serve/compile_worker.h): the lookup alone (nullopt
    /// on a miss, nothing compiled), and the store of code compiled elsewhere
    /// from `program` with `options` (its source_checksums: MachineCodeResult's).
    std::optional<MachineCode> lookup_machine_code(const ProgramSource& program,
                                                   const CompileOptions& options,
                                                   const std::optional<MachineTarget>& target,
                                                   Outcome* outcome = nullptr);
    void store_machine_code(const ProgramSource& program, const CompileOptions& options,
                            const std::optional<MachineTarget>& target, const MachineCode& code,
                            const std::vector<std::uint64_t>& source_checksums);
    /// What compile() stores on a miss, for code compiled elsewhere (for this
    /// CPU) and `factory` loaded from it: a later compile() or lookup() of
    /// `program` with `options` is a hit. Nothing for an uncacheable request.
    void store(const ProgramSource& program, const CompileOptions& options, const MachineCode& code,
               const std::vector<std::uint64_t>& source_checksums,
               std::shared_ptr<const Factory> factory);

    CacheStats stats() const;
    /// Removes every file of the cache folder (and the memory entries); the
    /// bytes removed.
    std::uint64_t clear();
    const CacheSettings& settings() const {
        return settings_;
    }

    struct Dependency {
        std::string path;
        std::uint64_t size = 0;
        std::int64_t mtime_ns = 0;
        std::uint64_t hash = 0; ///< checksum64 of the content
    };

private:
    std::optional<std::string> machine_code_key(const ProgramSource& program,
                                                const CompileOptions& options,
                                                const std::optional<MachineTarget>& target);
    struct MemoryEntry {
        std::vector<Dependency> deps;
        std::shared_ptr<const Factory> factory;
        std::list<std::string>::iterator lru;
    };

    std::shared_ptr<const Factory> memory_lookup(const std::string& key);
    void memory_store(const std::string& key, std::vector<Dependency> deps,
                      std::shared_ptr<const Factory> factory);
    std::shared_ptr<const Factory> disk_lookup(const std::string& key,
                                               std::vector<Dependency>& deps);
    void disk_store(const std::string& key, const std::vector<Dependency>& deps,
                    const MachineCode& code);
    /// A compilation's factory and code, in memory and on disk; the
    /// factory's constants image is written next to the code when recorded.
    void keep(const std::string& key, const std::vector<Dependency>& deps,
              std::shared_ptr<const Factory> factory, const MachineCode& code);
    void evict();
    void count(const char* file) const;

    CacheSettings settings_;
    mutable std::mutex mutex_; ///< the memory entries and the counters
    std::unordered_map<std::string, MemoryEntry> memory_;
    std::list<std::string> lru_; ///< most recent first
    CacheStats counters_;
};

/// The process's cache (settings_from_environment() at its first use).
CodeCache& process_cache();

/// compile_program through process_cache() when it is enabled (an
/// EngineOptions::compiler, a CompileFunction).
CompileResult compile_program_cached(const ProgramSource& program, const CompileOptions& options);

/// The identity of the compiler's build that goes into every key: the GNU
/// build id of the binary holding this code (else its path, size and time).
const std::string& build_identity();

} // namespace tutti::cache
