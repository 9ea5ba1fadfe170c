// SPDX-License-Identifier: MIT
/** \file
 * Owns the text of every source file of a session. A `SourceLoc` is a file id and
 * a byte offset (two 32-bit numbers); line and column are computed on demand from
 * a per-file table of line starts, built the first time a location in that file
 * is resolved. File id 0 means "no location".
 */
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace tutti::diag {

using FileId = std::uint32_t;

struct SourceLoc {
    FileId file = 0;
    std::uint32_t offset = 0;
};

/// [begin, end): end is one past the last byte covered.
struct SourceRange {
    SourceLoc begin;
    SourceLoc end;
    static SourceRange join(SourceRange a, SourceRange b) {
        return {a.begin, b.end};
    }
};

struct LineCol {
    std::uint32_t line = 0;   ///< 1-based
    std::uint32_t column = 0; ///< 1-based, in bytes
};

class SourceManager {
public:
    struct File {
        std::string path;
        std::string text;
        mutable std::vector<std::uint32_t> line_starts; // built lazily
    };
    /// File ids from here on name files shared between sessions (the library
    /// cache, frontend/library_cache.h): the same id in every session.
    static constexpr FileId shared_base = 0x40000000;

    SourceManager() = default;
    SourceManager(const SourceManager&) = delete;
    SourceManager& operator=(const SourceManager&) = delete;

    /// Takes ownership of `text`; `path` is how the file is named in diagnostics.
    FileId add(std::string path, std::string text);
    /// A file that several sessions read at once: its line table is built here,
    /// so that nothing writes it afterwards.
    static std::shared_ptr<const File> make_shared_file(std::string path, std::string text);
    /// Adds a shared file under its own id (>= shared_base).
    void add_shared(FileId id, std::shared_ptr<const File> file);
    /// Every file's id, in the order they were added.
    const std::vector<FileId>& ids() const {
        return order_;
    }

    std::string_view text(FileId id) const;
    const std::string& path(FileId id) const;
    std::size_t file_count() const {
        return order_.size();
    }
    std::size_t total_bytes() const {
        return total_bytes_;
    }

    LineCol line_col(SourceLoc loc) const;
    /// The text of a 1-based line, without its end-of-line characters.
    std::string_view line_text(FileId id, std::uint32_t line) const;

private:
    const File& file(FileId id) const;
    static void index_lines(const File& f);

    std::vector<std::unique_ptr<File>> files_;
    std::unordered_map<FileId, std::shared_ptr<const File>> shared_;
    std::vector<FileId> order_;
    std::size_t total_bytes_ = 0;
};

} // namespace tutti::diag
