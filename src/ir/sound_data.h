// SPDX-License-Identifier: MIT
/** \file
 * What a soundfile is at run time: the block of memory a `Sound` state field
 * points to (ir/loop_ir.h), read by the interpreter and by the code LLVM
 * generates (the offsets below are part of that contract). It has the
 * reference's shape (faust/gui/Soundfile.h): 256 parts, each with a length, a
 * sample rate and an offset into one buffer per channel; frame `offset + i` of
 * channel c is sample i of that part.
 *
 * The host fills it off the audio thread (runtime/sound_files.h) and keeps it
 * alive as long as any instance points to it; the audio thread only reads it.
 */
#pragma once

#include <cstddef>
#include <cstdint>

namespace tutti::ir {

/// Parts of a sound (Faust's MAX_SOUNDFILE_PARTS); a program's part index is
/// proven to lie in 0..sound_parts-1.
constexpr std::int32_t sound_parts = 256;

struct SoundData {
    /// info[what * sound_parts + part]: what = 0 length (frames), 1 sample rate, 2 offset.
    const std::int32_t* info = nullptr;
    /// channels pointers to float (single precision) or double samples.
    const void* const* buffers = nullptr;
    std::int32_t channels = 0;
};

static_assert(offsetof(SoundData, info) == 0 && offsetof(SoundData, buffers) == 8,
              "the LLVM backend reads these offsets");

} // namespace tutti::ir
