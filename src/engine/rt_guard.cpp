// SPDX-License-Identifier: MIT
#include "engine/rt_guard.h"

namespace {
// Per thread by nature: which thread is inside the audio callback.
thread_local int audio_depth = 0;
} // namespace

extern "C" int tutti_rt_audio_section(void) noexcept {
    return audio_depth;
}

namespace tutti::rt {

AudioSection::AudioSection() noexcept {
    ++audio_depth;
}
AudioSection::~AudioSection() {
    --audio_depth;
}

} // namespace tutti::rt
