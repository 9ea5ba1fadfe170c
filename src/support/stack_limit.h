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
        const Stack& stack = this_thread_stack();
        void* addr = stack.addr;
        std::size_t size = stack.size;
        if (addr != nullptr && size > 0) {
            if (size < 4 * margin) {
                margin = size / 4; // a small stack: keep a quarter of it
            }
            // the stack grows down from addr + size to addr
            limit_ = reinterpret_cast<std::uintptr_t>(addr) + margin;
            top_ = reinterpret_cast<std::uintptr_t>(addr) + size;
        }
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
    struct Stack {
        void* addr = nullptr;
        std::size_t size = 0;
    };
    /// The calling thread's stack, asked once per thread: on the main thread
    /// glibc finds it by reading /proc/self/maps (hundreds of lines with
    /// libLLVM's), ~0.3 ms at each of the passes that make a StackLimit.
    static const Stack& this_thread_stack() {
        thread_local const Stack stack = [] {
            Stack s;
            pthread_attr_t attr;
            if (pthread_getattr_np(pthread_self(), &attr) != 0) {
                return s;
            }
            if (pthread_attr_getstack(&attr, &s.addr, &s.size) != 0) {
                s = Stack{};
            }
            pthread_attr_destroy(&attr);
            return s;
        }();
        return stack;
    }

    std::uintptr_t limit_ = 0;
    std::uintptr_t top_ = 0;
};

} // namespace tutti
