// SPDX-License-Identifier: MIT
/** \file
 * How much of the calling thread's stack a recursive pass may still use.
 * Made on the thread that recurses; `exhausted()` compares the current frame
 * with the thread's stack bottom plus a margin, so a pass can end with a
 * diagnostic instead of overflowing, whatever the thread's stack size (8 MB
 * for a main thread or a std::thread, less in some servers).
 */
#pragma once

#include <pthread.h>

#include <cstddef>
#include <cstdint>

namespace tutti {

class StackLimit {
public:
    /// `margin`: bytes kept free for the code that runs after the check
    /// (diagnostics, destructors, the allocator); a quarter of the stack when
    /// that is less.
    explicit StackLimit(std::size_t margin = std::size_t(256) << 10) {
        pthread_attr_t attr;
        if (pthread_getattr_np(pthread_self(), &attr) != 0) {
            return;
        }
        void* addr = nullptr;
        std::size_t size = 0;
        if (pthread_attr_getstack(&attr, &addr, &size) == 0 && addr != nullptr && size > 0) {
            if (size < 4 * margin) {
                margin = size / 4; // a small stack: keep a quarter of it
            }
            // the stack grows down from addr + size to addr
            limit_ = reinterpret_cast<std::uintptr_t>(addr) + margin;
            top_ = reinterpret_cast<std::uintptr_t>(addr) + size;
        }
        pthread_attr_destroy(&attr);
    }

    /// True when the caller's frame is within the margin of the stack's end.
    bool exhausted() const {
        auto here = reinterpret_cast<std::uintptr_t>(__builtin_frame_address(0));
        return limit_ != 0 && here < limit_;
    }

    /// Bytes between the caller's frame and the margin (0 when unknown or past it).
    std::size_t left() const {
        auto here = reinterpret_cast<std::uintptr_t>(__builtin_frame_address(0));
        return limit_ != 0 && here > limit_ ? here - limit_ : 0;
    }

private:
    std::uintptr_t limit_ = 0;
    std::uintptr_t top_ = 0;
};

} // namespace tutti
