// SPDX-License-Identifier: MIT
/** \file
 * Loading the sounds of `soundfile` primitives with libsndfile, as the
 * reference's SoundUI + LibsndfileReader do (faust/gui/SoundUI.h,
 * faust/gui/Soundfile.h, 2.54.9): the url `{'a.wav';'b.wav'}` names one file
 * per part; a file is looked for as written, then in each search folder
 * (the program's folder, then the -I folders); a file that is missing or that
 * libsndfile cannot read is a silent part of 1024 frames at 44100 Hz, with a
 * warning; parts after the last file are such silent parts too (256 in all).
 * Samples are read as float (single precision) or double, through libsndfile's
 * own conversion, like the reference. Channels: as many buffers as the widest
 * file has (at least one); a narrower file leaves its part silent in the
 * others; channel c >= that count reads channel c % count (the reference's
 * shared buffers).
 *
 * Runs on a control thread (compilation, instance creation), never on the
 * audio thread: it allocates and reads files.
 */
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "ir/sound_data.h"

namespace tutti::runtime {

/// A loaded sound and the storage behind its SoundData.
struct LoadedSound {
    ir::SoundData data;
    std::vector<std::int32_t> info;
    std::vector<std::vector<float>> floats;
    std::vector<std::vector<double>> doubles;
    std::vector<const void*> channel_pointers;
};

struct SoundProblem {
    enum class Kind { NotLoaded, BadUrl } kind{};
    std::string file;   ///< the file name (NotLoaded) or the url (BadUrl)
    std::string reason; ///< libsndfile's message (NotLoaded)
};

struct SoundLoad {
    std::shared_ptr<const LoadedSound> sound;
    std::vector<SoundProblem> problems;
};

/// The file names of a url as the reference's SoundUI splits it
/// (`{'a.wav';'b.wav'}`); `ok` false when it is not such a list (then the
/// whole url is one name).
std::vector<std::string> split_sound_url(const std::string& url, bool* ok);

/// Loads the files of `url` (see above); `channels`: the channels the program
/// reads (at least that many channel pointers are made).
SoundLoad load_sound(const std::string& url, const std::vector<std::string>& search_dirs,
                     bool double_samples, std::int32_t channels);

/// The reference's default sound (`defaultsound`): 256 silent parts of 1024
/// frames at 44100 Hz, for hosts that run a module without loading its files.
std::shared_ptr<const LoadedSound> silent_sound(bool double_samples, std::int32_t channels);

} // namespace tutti::runtime
