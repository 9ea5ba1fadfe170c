// SPDX-License-Identifier: MIT
/** \file
 * Marks the code that runs on the audio thread, so that a test build can catch
 * any allocation, lock, wait or system call made there: tests link an
 * interposer (tests/support/rt_interposer.cpp) that asks
 * tutti_rt_audio_section() from inside malloc, free, pthread_mutex_lock, futex
 * waits, sched_yield, mmap, file I/O... and records a violation when it returns
 * non-zero. The engine's process() and the drivers' callbacks (JACK's process
 * callback, the null driver's block) are audio sections.
 *
 * Header-only, in the support layer, so that the drivers and the engine mark
 * their sections without depending on each other; the counter is one
 * thread-local integer for the whole program (an inline variable). In the
 * product the mark costs two thread-local increments per block.
 */
#pragma once

#include <atomic>

namespace tutti::rt {
/// Per thread by nature: how deep the calling thread is inside audio sections.
inline thread_local int audio_depth = 0;
} // namespace tutti::rt

extern "C" {
/// Non-zero while the calling thread is inside an AudioSection.
inline int tutti_rt_audio_section(void) noexcept {
    return tutti::rt::audio_depth;
}
}

namespace tutti::rt {

class AudioSection {
public:
    // The compiler barriers keep the count from being moved across the calls
    // made inside the section (GCC assumes malloc and free do not read it, and
    // would otherwise fold an increment and decrement around them away).
    AudioSection() noexcept {
        ++audio_depth;
        std::atomic_signal_fence(std::memory_order_seq_cst);
    }
    ~AudioSection() {
        std::atomic_signal_fence(std::memory_order_seq_cst);
        --audio_depth;
    }
    AudioSection(const AudioSection&) = delete;
    AudioSection& operator=(const AudioSection&) = delete;
};

} // namespace tutti::rt
