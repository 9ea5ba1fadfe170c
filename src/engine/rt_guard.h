// SPDX-License-Identifier: MIT
/** \file
 * Marks the code that runs on the audio thread, so that a test build can catch
 * any allocation, lock or blocking call made there: tests link an interposer
 * (tests/support/rt_interposer.cpp) that asks tutti_rt_audio_section() from
 * inside malloc, free, pthread_mutex_lock, nanosleep... and records a violation
 * when it returns non-zero. In the product the mark costs two thread-local
 * increments per block.
 */
#pragma once

extern "C" {
/// Non-zero while the calling thread is inside an AudioSection.
int tutti_rt_audio_section(void) noexcept;
}

namespace tutti::rt {

class AudioSection {
public:
    AudioSection() noexcept;
    ~AudioSection();
    AudioSection(const AudioSection&) = delete;
    AudioSection& operator=(const AudioSection&) = delete;
};

} // namespace tutti::rt
