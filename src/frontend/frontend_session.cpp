// SPDX-License-Identifier: MIT
#include "frontend/frontend_session.h"

#include <sys/stat.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <system_error>

#include "frontend/lexer/lexer.h"
#include "support/fast_hash.h"

namespace tutti::frontend {

namespace fs = std::filesystem;
using ast::Node;
using ast::NodeKind;

namespace {

/// The stamp of a regular file (nullopt for anything else or an error).
std::optional<LibraryCache::FileStamp> stamp_of(const fs::path& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
        return std::nullopt;
    }
    auto ns = [](const timespec& t) {
        return std::uint64_t(t.tv_sec) * 1'000'000'000u + std::uint64_t(t.tv_nsec);
    };
    LibraryCache::FileStamp s;
    s.size = std::uint64_t(st.st_size);
    s.mtime_ns = ns(st.st_mtim);
    s.ctime_ns = ns(st.st_ctim);
    s.inode = std::uint64_t(st.st_ino);
    s.device = std::uint64_t(st.st_dev);
    return s;
}

std::uint64_t wall_clock_ns() {
    return std::uint64_t(std::chrono::duration_cast<std::chrono::nanoseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count());
}

} // namespace

FrontendSession::FrontendSession(FrontendOptions options) : options_(std::move(options)) {
    if (options_.library_cache) {
        generation_ = options_.library_cache->current();
        interner_ = &generation_->interner;
    }
}

const ParsedFile* FrontendSession::add_and_parse(std::string display, std::string text,
                                                 fs::path path) {
    diag::FileId id = sources_.add(std::move(display), std::move(text));
    ParseContext ctx{arena_, *interner_, diags_, options_.parse};
    auto pf = std::make_unique<ParsedFile>();
    pf->id = id;
    pf->path = std::move(path);
    try {
        pf->root = parse_source(ctx, id, sources_.text(id), interner_->intern(sources_.path(id)));
    } catch (const std::exception& e) {
        // Nothing escapes the front end: a bug or an exhausted resource becomes a diagnostic.
        diags_.add(diag::diags::internal_error(diag::SourceRange{{id, 0}, {id, 0}}, e.what()));
        pf->root = arena_.make<Node>();
        pf->root->kind = NodeKind::File;
    }
    files_.push_back(std::move(pf));
    return files_.back().get();
}

const ParsedFile* FrontendSession::load_file(const fs::path& path, diag::SourceRange from,
                                             bool library) {
    std::error_code ec;
    fs::path canon = fs::weakly_canonical(path, ec);
    std::string key = ec ? path.string() : canon.string();
    if (auto it = by_path_.find(key); it != by_path_.end()) {
        return it->second;
    }
    if (files_.size() >= options_.max_files) {
        diags_.add(diag::diags::too_many_files(from, options_.max_files));
        by_path_[key] = nullptr;
        return nullptr;
    }
    // a library the cache holds, unchanged since (its stamp): not read again
    std::optional<LibraryCache::FileStamp> stamp;
    std::uint64_t read_at = 0;
    if (library && generation_) {
        read_at = wall_clock_ns();
        stamp = stamp_of(path);
    }
    auto use_cached = [&](std::shared_ptr<const LibraryCache::Entry> e) {
        sources_.add_shared(e->id, e->file);
        hashes_[e->id] = e->hash;
        auto cached = std::make_unique<ParsedFile>();
        cached->id = e->id;
        cached->path = path;
        cached->root = e->root;
        cached->references = &e->references;
        cached->declares = &e->declares;
        held_.push_back(std::move(e));
        files_.push_back(std::move(cached));
        by_path_[key] = files_.back().get();
        return files_.back().get();
    };
    if (stamp && stamp->size <= options_.max_file_bytes &&
        sources_.total_bytes() + stamp->size <= options_.max_total_bytes) {
        if (auto e = options_.library_cache->unchanged(*generation_, key, path.string(), *stamp)) {
            return use_cached(std::move(e));
        }
    }
    auto size = fs::file_size(path, ec);
    if (ec) {
        if (std::error_code ec2; from.begin.file == 0 && !fs::exists(path, ec2)) {
            diags_.add(diag::diags::input_not_found(from, path.string()));
        } else {
            diags_.add(diag::diags::file_read_error(from, path.string(), ec.message()));
        }
        by_path_[key] = nullptr;
        return nullptr;
    }
    if (size > options_.max_file_bytes) {
        diags_.add(diag::diags::file_too_large(from, size, options_.max_file_bytes));
        by_path_[key] = nullptr;
        return nullptr;
    }
    if (sources_.total_bytes() + size > options_.max_total_bytes) {
        if (!total_limit_reported_) {
            diags_.add(diag::diags::session_too_large(from, options_.max_total_bytes));
            total_limit_reported_ = true;
        }
        by_path_[key] = nullptr;
        return nullptr;
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        diags_.add(diag::diags::file_read_error(from, path.string(), std::strerror(errno)));
        by_path_[key] = nullptr;
        return nullptr;
    }
    std::string text(static_cast<std::size_t>(size), '\0');
    in.read(text.data(), static_cast<std::streamsize>(size));
    text.resize(static_cast<std::size_t>(in.gcount()));
    if (library && generation_) {
        const std::uint64_t hash = support::fast_hash64(text);
        std::shared_ptr<const LibraryCache::Entry> e =
            options_.library_cache->get(*generation_, key, path.string(), text, hash,
                                        options_.parse, stamp ? &*stamp : nullptr, read_at);
        if (e) {
            return use_cached(std::move(e));
        }
    }
    const ParsedFile* pf = add_and_parse(path.string(), std::move(text), path);
    by_path_[key] = pf;
    return pf;
}

/// One import/library/component reference of a file in `own_dir`: searched,
/// loaded (once: loaded_) and recorded in resolved_ or not_found_; a file
/// parsed for the first time goes on `work` (its own references to follow).
const ParsedFile* FrontendSession::resolve_reference(const Node* n, const fs::path& own_dir,
                                                     std::vector<const ParsedFile*>& work) {
    std::string_view name = n->name.str();
    std::string memo(name);
    if (n->kind == NodeKind::Component) {
        memo = own_dir.string() + '\0' + memo;
    }
    if (auto it = loaded_.find(memo); it != loaded_.end()) {
        resolved_[n] = it->second;
        return it->second;
    }
    std::optional<fs::path> found =
        search_->find(name, n->kind == NodeKind::Component ? &own_dir : nullptr);
    if (!found && n->kind != NodeKind::Import) {
        not_found_[n] = search_->describe(); // an error only if the evaluator needs it
        return nullptr;
    }
    if (!found) {
        diags_.add(diag::diags::file_not_found(n->range, name));
        diags_.add(diag::diags::searched_in(n->range, search_->describe()));
        return nullptr;
    }
    std::size_t before = files_.size();
    const ParsedFile* g = load_file(*found, n->range, true);
    resolved_[n] = g;
    if (g != nullptr) {
        loaded_.emplace(std::move(memo), g);
    }
    if (g != nullptr && files_.size() > before) {
        files_.back()->requested = std::string(name);
        work.push_back(g);
    }
    return g;
}

/// Work list over the files reached from `root`: each AST is walked with an
/// explicit stack (trees can be deep), and every import/library/component
/// reference is resolved and parsed once (with lazy_libraries, library and
/// component references are only noted, for resolve_deferred).
void FrontendSession::follow(const ParsedFile* root) {
    std::vector<const ParsedFile*> work{root};
    std::vector<const Node*> stack;
    while (!work.empty()) {
        const ParsedFile* f = work.back();
        work.pop_back();
        fs::path own_dir = f->path.parent_path();
        stack.assign(1, f->root);
        std::size_t next_reference = 0; // a cached file: its references, in walk order
        while (f->references != nullptr ? next_reference < f->references->size() : !stack.empty()) {
            const Node* n = nullptr;
            if (f->references != nullptr) {
                n = (*f->references)[next_reference++];
            } else {
                n = stack.back();
                stack.pop_back();
            }
            if (n == nullptr) {
                continue;
            }
            if (n->kind == NodeKind::Import || n->kind == NodeKind::Library ||
                n->kind == NodeKind::Component) {
                if (options_.lazy_libraries && n->kind != NodeKind::Import) {
                    deferred_.emplace(n, own_dir);
                } else {
                    resolve_reference(n, own_dir, work);
                }
                continue;
            }
            for (std::uint32_t i = n->count; i-- > 0;) {
                stack.push_back(n->kids[i]);
            }
        }
    }
}

const ParsedFile* FrontendSession::resolve_deferred(const Node* reference) {
    auto it = deferred_.find(reference);
    fs::path own_dir = std::move(it->second);
    deferred_.erase(it);
    std::vector<const ParsedFile*> work;
    const ParsedFile* f = resolve_reference(reference, own_dir, work);
    for (const ParsedFile* g : work) {
        follow(g);
    }
    return f;
}

const ParsedFile* FrontendSession::parse_program(const fs::path& file) {
    const ParsedFile* pf = load_file(file, {}, false);
    if (pf == nullptr || !options_.follow_imports) {
        return pf;
    }
    search_ =
        SearchPath::make(file.parent_path(), options_.include_dirs,
                         options_.use_environment ? std::getenv("TUTTI_LIBRARY_PATH") : nullptr,
                         options_.use_installed_libraries);
    follow(pf);
    return pf;
}

const ParsedFile* FrontendSession::parse_program_text(std::string name, std::string text,
                                                      const fs::path& dir) {
    if (text.size() > options_.max_file_bytes) {
        diags_.add(diag::diags::file_too_large({}, text.size(), options_.max_file_bytes));
        return nullptr;
    }
    fs::path path = dir / name;
    const ParsedFile* pf = add_and_parse(std::move(name), std::move(text), path);
    if (!options_.follow_imports) {
        return pf;
    }
    search_ =
        SearchPath::make(dir, options_.include_dirs,
                         options_.use_environment ? std::getenv("TUTTI_LIBRARY_PATH") : nullptr,
                         options_.use_installed_libraries);
    follow(pf);
    return pf;
}

} // namespace tutti::frontend
