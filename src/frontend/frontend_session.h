// SPDX-License-Identifier: MIT
/** \file
 * A front-end session: the source files, AST arena, interned names and
 * diagnostics of one compilation. `parse_program()` parses a program and, through
 * a work list, every file it reaches by `import`, `library` or `component`
 * (transitively, each file once: cycles such as basics.lib <-> filters.lib end
 * there). Nothing is global: two sessions can run on two threads.
 *
 * Limits (each with its own diagnostic): bytes per file, bytes in all, number of
 * files, nesting depth of expressions.
 */
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "diag/diagnostic.h"
#include "diag/source_manager.h"
#include "frontend/ast/ast.h"
#include "frontend/import/library_cache.h"
#include "frontend/import/search_path.h"
#include "frontend/parser/parser.h"
#include "support/arena.h"
#include "support/interner.h"

namespace tutti::frontend {

struct FrontendOptions {
    std::vector<std::string> include_dirs; ///< -I DIR, in order
    bool use_environment = true;           ///< read TUTTI_LIBRARY_PATH
    bool use_installed_libraries = true;   ///< search /usr/share/faust
    bool follow_imports = true;            ///< parse the closure, not just the named file
    ParseOptions parse;
    std::size_t max_file_bytes = 16u << 20;
    std::size_t max_total_bytes = 256u << 20;
    std::size_t max_files = 4096;
    /// `library("x.lib")` and `component("x.dsp")` files are read and parsed
    /// when the evaluator first needs one of their definitions (resolved()),
    /// not with the program: a program that imports stdfaust.lib uses a few of
    /// the 33 libraries it names (osc: 1.7 MB of library text parsed before,
    /// the files it uses after). Like the reference, which reads a library when
    /// it evaluates it: an unused library that does not parse is no error.
    /// `import` files are always parsed with the file that imports them. Off:
    /// the whole closure at once (bundles for a remote server need every file).
    bool lazy_libraries = false;
    /// Library files parsed once for all the sessions that share the cache
    /// (frontend/import/library_cache.h); the program file is always parsed.
    std::shared_ptr<LibraryCache> library_cache{};
};

struct ParsedFile {
    diag::FileId id = 0;
    std::filesystem::path path; ///< as opened
    /// The name it was first asked for by an import, library or component
    /// ("filters.lib", "../dynamic/volume.dsp"); empty for the program.
    std::string requested;
    ast::Node* root = nullptr; ///< File node
    /// A file taken from the library cache: its import/library/component nodes
    /// (the session follows them without walking the tree); nullptr otherwise.
    const std::vector<const ast::Node*>* references = nullptr;
    /// A file taken from the library cache: its file-level declare nodes
    /// (file_declares_of); nullptr otherwise.
    const std::vector<const ast::Node*>* declares = nullptr;
};

class FrontendSession {
public:
    explicit FrontendSession(FrontendOptions options = {});
    FrontendSession(const FrontendSession&) = delete;
    FrontendSession& operator=(const FrontendSession&) = delete;

    /// Parses the program file and (unless disabled) its library closure.
    /// Returns nullptr when the program itself cannot be read.
    const ParsedFile* parse_program(const std::filesystem::path& file);

    /// Same, for a program given as text; `name` is used in diagnostics and
    /// `dir` is the program folder for the search path.
    const ParsedFile* parse_program_text(std::string name, std::string text,
                                         const std::filesystem::path& dir = ".");

    /// The file an `import`, `library` or `component` node of a parsed file refers
    /// to, as resolved by the search path; nullptr when it was not found.
    /// With lazy_libraries, the first call for a library or component reads
    /// and parses its file (and the files that file imports).
    const ParsedFile* resolved(const ast::Node* reference) {
        auto it = resolved_.find(reference);
        if (it != resolved_.end()) {
            return it->second;
        }
        return deferred_.count(reference) > 0 ? resolve_deferred(reference) : nullptr;
    }
    /// For a `library` or `component` whose file was not found: where it was
    /// searched (empty otherwise). Like the reference, a library is only needed
    /// when one of its definitions is used: the evaluator reports it then.
    std::string not_found_in(const ast::Node* reference) const {
        auto it = not_found_.find(reference);
        return it == not_found_.end() ? std::string() : it->second;
    }

    diag::DiagnosticList& diagnostics() {
        return diags_;
    }
    const diag::SourceManager& sources() const {
        return sources_;
    }
    const std::vector<std::unique_ptr<ParsedFile>>& files() const {
        return files_;
    }
    /// Public diagnostics with resolved locations.
    std::vector<Diagnostic> resolved_diagnostics() const {
        return diags_.resolve(sources_);
    }
    Arena& arena() {
        return arena_;
    }
    Interner& interner() {
        return *interner_;
    }
    /// The 64-bit content hash (support::fast_hash64 of its text) of a file the
    /// session took from the library cache; nullopt for the others.
    std::optional<std::uint64_t> content_hash(diag::FileId id) const {
        auto it = hashes_.find(id);
        return it == hashes_.end() ? std::nullopt : std::optional<std::uint64_t>(it->second);
    }
    /// How many library files this session took from the library cache.
    std::size_t cached_files() const {
        return held_.size();
    }

private:
    const ParsedFile* add_and_parse(std::string display, std::string text,
                                    std::filesystem::path path);
    const ParsedFile* load_file(const std::filesystem::path& path, diag::SourceRange from,
                                bool library);
    void follow(const ParsedFile* root);
    const ParsedFile* resolve_reference(const ast::Node* n, const std::filesystem::path& own_dir,
                                        std::vector<const ParsedFile*>& work);
    const ParsedFile* resolve_deferred(const ast::Node* reference);

    FrontendOptions options_;
    diag::SourceManager sources_;
    Arena arena_;
    /// The library cache's generation this session uses from start to end
    /// (its interner is the session's), or none.
    std::shared_ptr<LibraryCache::Generation> generation_;
    Interner own_interner_{arena_};
    Interner* interner_ = &own_interner_;
    std::vector<std::shared_ptr<const LibraryCache::Entry>> held_; ///< the cached files used
    diag::DiagnosticList diags_;
    std::vector<std::unique_ptr<ParsedFile>> files_;
    std::unordered_map<std::string, const ParsedFile*> by_path_;       // canonical path -> file
    std::unordered_map<const ast::Node*, const ParsedFile*> resolved_; // reference -> file
    std::unordered_map<const ast::Node*, std::string> not_found_; // library/component -> searched
    std::unordered_map<diag::FileId, std::uint64_t> hashes_;      ///< cached files: content hash
    std::optional<SearchPath> search_;                            ///< the program's
    /// Names already resolved and loaded (libraries import each other by the
    /// same names, hundreds of times): no search and no canonical path again.
    /// A component is searched in its own file's folder first: keyed by it too.
    std::unordered_map<std::string, const ParsedFile*> loaded_;
    /// lazy_libraries: library/component references not resolved yet -> the
    /// folder of the file they are in
    std::unordered_map<const ast::Node*, std::filesystem::path> deferred_;
    bool total_limit_reported_ = false;
};

} // namespace tutti::frontend
