// SPDX-License-Identifier: MIT
/** \file
 * Parsed library files shared by the compilations of a process
 * (tutti::LibraryCache, declared in tutti/compiler.h). A session that has a
 * cache (FrontendOptions::library_cache) takes the syntax tree of each library
 * it reads from it, instead of parsing the file again, when the file's content
 * hash is the one the tree was parsed from; otherwise the cache parses it (once).
 *
 * What makes a tree shareable: its identifiers and strings are `Symbol`s of the
 * cache's interner, which every session holding the cache interns into (under
 * its lock), so a symbol of the program and one of a cached library compare
 * equal as in one session; its source ranges name file ids of the cache's own
 * range (diag::SourceManager::shared_base), which each session registers with
 * the cached text. Trees and texts are never changed once published.
 *
 * Generations: a session keeps the generation it started with. A generation
 * whose arenas grew past a bound (files edited many times over a long live
 * session) is replaced by a fresh one; sessions still holding the old one keep
 * it alive.
 */
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "diag/source_manager.h"
#include "frontend/ast/ast.h"
#include "frontend/parser/parser.h"
#include "support/arena.h"
#include "support/interner.h"

namespace tutti {

class LibraryCache {
public:
    /// What stat() says of a file: equal stamps, same file, unless it was
    /// written again within the file system's timestamp granularity; so a stamp
    /// is trusted only when the file was older than `settled_ns` when it was
    /// read (Entry::stamp_trusted), like git's racily clean index entries.
    struct FileStamp {
        std::uint64_t size = 0, mtime_ns = 0, ctime_ns = 0, inode = 0, device = 0;
        bool operator==(const FileStamp&) const = default;
    };
    static constexpr std::uint64_t settled_ns = 2'000'000'000;

    /// One parsed library file; immutable once published.
    struct Entry {
        std::string display; ///< the path as opened (how diagnostics name it)
        std::uint64_t hash = 0;
        /// The file's stamp when it was read, and whether a file with this stamp
        /// may be taken as this content without reading it (it had not changed
        /// for settled_ns when it was read).
        FileStamp stamp;
        bool stamp_trusted = false;
        diag::FileId id = 0; ///< >= SourceManager::shared_base
        std::shared_ptr<const diag::SourceManager::File> file;
        ast::Node* root = nullptr;
        /// Its import, library and component nodes, in the order a walk of the tree meets them.
        std::vector<const ast::Node*> references;
        /// Its file-level declare nodes (`declare name "text";`, those inside an
        /// environment too), in the order a walk of the tree meets them.
        std::vector<const ast::Node*> declares;
    };

    struct Generation {
        std::mutex intern_mutex;
        Arena intern_arena;
        Interner interner{intern_arena, &intern_mutex};
        std::mutex mutex; ///< entries, arena, next_id
        Arena arena;      ///< syntax trees
        std::unordered_map<std::string, std::shared_ptr<const Entry>> entries;
        diag::FileId next_id = diag::SourceManager::shared_base;
    };

    /// The generation a new session uses.
    std::shared_ptr<Generation> current();

    /// The tree of the file whose canonical path is `key`, opened as `display`,
    /// with content `text` (hash `hash`): the cached one when it was parsed from
    /// the same content, else parsed now into `g`; nullptr when it does not parse
    /// without a diagnostic (the session then parses it itself and reports them).
    /// `stamp` (when given): the file's stamp before it was read, and the wall
    /// clock then (`read_at_ns`), kept with the entry for unchanged().
    std::shared_ptr<const Entry> get(Generation& g, const std::string& key,
                                     const std::string& display, const std::string& text,
                                     std::uint64_t hash, const frontend::ParseOptions& options,
                                     const FileStamp* stamp = nullptr,
                                     std::uint64_t read_at_ns = 0);
    /// The entry of `key` opened as `display` when its stamp is trusted and
    /// equal to `stamp` (the file need not be read: its content is the one the
    /// tree was parsed from); nullptr otherwise.
    std::shared_ptr<const Entry> unchanged(Generation& g, const std::string& key,
                                           const std::string& display, const FileStamp& stamp);

    std::uint64_t hits() const {
        return hits_.load(std::memory_order_relaxed);
    }
    std::uint64_t misses() const {
        return misses_.load(std::memory_order_relaxed);
    }
    std::uint64_t files() const;

private:
    mutable std::mutex mutex_;
    std::shared_ptr<Generation> current_;
    std::atomic<std::uint64_t> hits_{0}, misses_{0};
};

namespace frontend {

/// The file-level declare nodes of a parsed file (`declare name "text";`, those
/// inside an environment too), in source order: its metadata.
std::vector<const ast::Node*> file_declares_of(const ast::Node* root);

} // namespace frontend
} // namespace tutti
