// SPDX-License-Identifier: MIT
/** \file
 * Interned strings: each distinct string is stored once in an arena, and a
 * `Symbol` is a pointer to that unique copy, so equality is a pointer compare.
 * One interner per session (no global table): two sessions on two threads never
 * share one.
 */
#pragma once

#include <mutex>
#include <string_view>
#include <unordered_set>

#include "support/arena.h"

namespace tutti {

/// An interned string. Default-constructed symbols are "none".
class Symbol {
public:
    Symbol() = default;
    std::string_view str() const {
        return ptr_ ? *ptr_ : std::string_view{};
    }
    bool empty() const {
        return ptr_ == nullptr;
    }
    explicit operator bool() const {
        return ptr_ != nullptr;
    }
    friend bool operator==(Symbol a, Symbol b) {
        return a.ptr_ == b.ptr_;
    }
    friend bool operator!=(Symbol a, Symbol b) {
        return a.ptr_ != b.ptr_;
    }
    const void* key() const {
        return ptr_;
    }

private:
    friend class Interner;
    explicit Symbol(const std::string_view* p) : ptr_(p) {
    }
    const std::string_view* ptr_ = nullptr;
};

class Interner {
public:
    /// `lock`: for an interner shared by sessions on several threads (the
    /// library cache's): taken by every call; nullptr for a session's own.
    explicit Interner(Arena& arena, std::mutex* lock = nullptr) : arena_(arena), lock_(lock) {
    }
    Interner(const Interner&) = delete;
    Interner& operator=(const Interner&) = delete;

    Symbol intern(std::string_view s) {
        if (lock_ != nullptr) {
            std::lock_guard<std::mutex> l(*lock_);
            return intern_unlocked(s);
        }
        return intern_unlocked(s);
    }

    std::size_t size() const {
        if (lock_ != nullptr) {
            std::lock_guard<std::mutex> l(*lock_);
            return table_.size();
        }
        return table_.size();
    }

private:
    Symbol intern_unlocked(std::string_view s) {
        auto it = table_.find(s);
        if (it != table_.end()) {
            return Symbol(&*it);
        }
        auto [ins, _] = table_.insert(arena_.copy(s));
        return Symbol(&*ins);
    }

    Arena& arena_;
    std::mutex* lock_;
    // Node-based set: element addresses are stable, so a Symbol may point at them.
    std::unordered_set<std::string_view> table_;
};

} // namespace tutti

template <> struct std::hash<tutti::Symbol> {
    std::size_t operator()(tutti::Symbol s) const noexcept {
        return std::hash<const void*>()(s.key());
    }
};
