// SPDX-License-Identifier: MIT
/** \file
 * A bump allocator owned by one compilation session. Objects allocated here
 * are never destroyed individually: the arena frees all its blocks at once.
 * Only trivially destructible objects may live in it (checked at compile time),
 * so forgetting a destructor can never leak a resource.
 */
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <new>
#include <string_view>
#include <type_traits>
#include <vector>

namespace tutti {

class Arena {
public:
    Arena() = default;
    Arena(const Arena&) = delete;
    Arena& operator=(const Arena&) = delete;

    /// Raw storage, aligned to `align` (a power of two, at most alignof(max_align_t)).
    void* allocate(std::size_t bytes, std::size_t align = alignof(std::max_align_t)) {
        std::uintptr_t p = (reinterpret_cast<std::uintptr_t>(cur_) + (align - 1)) & ~(align - 1);
        if (cur_ == nullptr || p + bytes > reinterpret_cast<std::uintptr_t>(end_)) {
            grow(bytes + align);
            p = (reinterpret_cast<std::uintptr_t>(cur_) + (align - 1)) & ~(align - 1);
        }
        cur_ = reinterpret_cast<char*>(p + bytes);
        used_ += bytes;
        return reinterpret_cast<void*>(p);
    }

    template <class T, class... Args> T* make(Args&&... args) {
        static_assert(std::is_trivially_destructible_v<T>, "arena objects are never destroyed");
        return new (allocate(sizeof(T), alignof(T))) T(std::forward<Args>(args)...);
    }

    /// An uninitialised array of n T (T trivially destructible).
    template <class T> T* make_array(std::size_t n) {
        static_assert(std::is_trivially_destructible_v<T>, "arena objects are never destroyed");
        if (n == 0) {
            return nullptr;
        }
        return static_cast<T*>(allocate(sizeof(T) * n, alignof(T)));
    }

    /// Copies a string into the arena; the view stays valid as long as the arena.
    std::string_view copy(std::string_view s) {
        if (s.empty()) {
            return {};
        }
        char* p = static_cast<char*>(allocate(s.size(), 1));
        std::memcpy(p, s.data(), s.size());
        return {p, s.size()};
    }

    /// Bytes handed out so far (for the session's memory limit).
    std::size_t bytes_used() const {
        return used_;
    }

private:
    void grow(std::size_t at_least) {
        std::size_t size = next_block_;
        if (size < at_least) {
            size = at_least;
        }
        if (next_block_ < (std::size_t(1) << 24)) {
            next_block_ *= 2;
        }
        blocks_.emplace_back(new char[size]);
        cur_ = blocks_.back().get();
        end_ = cur_ + size;
    }

    std::vector<std::unique_ptr<char[]>> blocks_;
    char* cur_ = nullptr;
    char* end_ = nullptr;
    std::size_t next_block_ = 64 * 1024;
    std::size_t used_ = 0;
};

} // namespace tutti
