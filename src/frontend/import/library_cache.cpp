// SPDX-License-Identifier: MIT
#include "frontend/import/library_cache.h"

#include "tutti/compiler.h"

namespace tutti {

namespace {

/// Past these sizes a generation is replaced by a fresh one.
constexpr std::size_t max_tree_bytes = std::size_t(512) << 20;
constexpr std::size_t max_symbols = std::size_t(4) << 20;

/// The reference nodes of a tree in the order FrontendSession::follow meets them
/// (preorder, children in order, not below a reference).
std::vector<const ast::Node*> references_of(const ast::Node* root) {
    std::vector<const ast::Node*> out;
    std::vector<const ast::Node*> stack{root};
    while (!stack.empty()) {
        const ast::Node* n = stack.back();
        stack.pop_back();
        if (n == nullptr) {
            continue;
        }
        if (n->kind == ast::NodeKind::Import || n->kind == ast::NodeKind::Library ||
            n->kind == ast::NodeKind::Component) {
            out.push_back(n);
            continue;
        }
        for (std::uint32_t i = n->count; i-- > 0;) {
            stack.push_back(n->kids[i]);
        }
    }
    return out;
}

} // namespace

std::vector<const ast::Node*> frontend::file_declares_of(const ast::Node* root) {
    std::vector<const ast::Node*> out;
    std::vector<const ast::Node*> todo;
    if (root != nullptr) {
        todo.assign(root->children().rbegin(), root->children().rend());
    }
    while (!todo.empty()) {
        const ast::Node* st = todo.back();
        todo.pop_back();
        if (st == nullptr) {
            continue;
        }
        if (st->kind == ast::NodeKind::Declare) {
            if (st->count == 0) {
                out.push_back(st);
            }
            continue;
        }
        for (std::uint32_t k = st->count; k-- > 0;) {
            todo.push_back(st->kids[k]);
        }
    }
    return out;
}

std::shared_ptr<LibraryCache::Generation> LibraryCache::current() {
    std::lock_guard<std::mutex> l(mutex_);
    bool stale = false;
    if (current_) {
        std::lock_guard<std::mutex> g(current_->mutex);
        stale = current_->arena.bytes_used() > max_tree_bytes ||
                current_->interner.size() > max_symbols;
    }
    if (!current_ || stale) {
        current_ = std::make_shared<Generation>();
    }
    return current_;
}

std::shared_ptr<const LibraryCache::Entry> LibraryCache::unchanged(Generation& g,
                                                                   const std::string& key,
                                                                   const std::string& display,
                                                                   const FileStamp& stamp) {
    std::lock_guard<std::mutex> l(g.mutex);
    auto it = g.entries.find(key);
    if (it != g.entries.end() && it->second->stamp_trusted && it->second->stamp == stamp &&
        it->second->display == display) {
        hits_.fetch_add(1, std::memory_order_relaxed);
        return it->second;
    }
    return nullptr;
}

std::shared_ptr<const LibraryCache::Entry>
LibraryCache::get(Generation& g, const std::string& key, const std::string& display,
                  const std::string& text, std::uint64_t hash,
                  const frontend::ParseOptions& options, const FileStamp* stamp,
                  std::uint64_t read_at_ns) {
    auto trusted = [&] {
        return stamp != nullptr && read_at_ns > stamp->mtime_ns + settled_ns &&
               read_at_ns > stamp->ctime_ns + settled_ns;
    };
    std::lock_guard<std::mutex> l(g.mutex);
    auto it = g.entries.find(key);
    if (it != g.entries.end() && it->second->hash == hash && it->second->display == display &&
        it->second->file->text.size() == text.size()) {
        hits_.fetch_add(1, std::memory_order_relaxed);
        if (stamp != nullptr && (it->second->stamp != *stamp || !it->second->stamp_trusted) &&
            trusted()) {
            // the same content under a new stamp (touched, copied back): a copy
            // of the entry with it, so that the next sessions need not read it
            auto e = std::make_shared<Entry>(*it->second);
            e->stamp = *stamp;
            e->stamp_trusted = true;
            it->second = e;
        }
        return it->second;
    }
    misses_.fetch_add(1, std::memory_order_relaxed);
    auto e = std::make_shared<Entry>();
    e->display = display;
    e->hash = hash;
    if (stamp != nullptr) {
        e->stamp = *stamp;
        e->stamp_trusted = trusted();
    }
    e->id = g.next_id++;
    e->file = diag::SourceManager::make_shared_file(display, text);
    diag::DiagnosticList diags;
    frontend::ParseContext ctx{g.arena, g.interner, diags, options};
    try {
        e->root = frontend::parse_source(ctx, e->id, e->file->text, g.interner.intern(display));
    } catch (const std::exception&) {
        return nullptr;
    }
    if (diags.size() > 0 || e->root == nullptr) {
        return nullptr; // the session parses it and reports what it says
    }
    e->references = references_of(e->root);
    e->declares = frontend::file_declares_of(e->root);
    std::shared_ptr<const Entry> published = e;
    g.entries[key] = published;
    return published;
}

std::uint64_t LibraryCache::files() const {
    std::shared_ptr<Generation> g;
    {
        std::lock_guard<std::mutex> l(mutex_);
        g = current_;
    }
    if (!g) {
        return 0;
    }
    std::lock_guard<std::mutex> l(g->mutex);
    return g->entries.size();
}

std::shared_ptr<LibraryCache> make_library_cache() {
    return std::make_shared<LibraryCache>();
}

LibraryCacheStats library_cache_stats(const LibraryCache& cache) {
    LibraryCacheStats s;
    s.hits = cache.hits();
    s.misses = cache.misses();
    s.files = cache.files();
    return s;
}

} // namespace tutti
