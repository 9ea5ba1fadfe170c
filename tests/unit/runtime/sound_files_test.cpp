// SPDX-License-Identifier: MIT
// The sound loader (runtime/sound_files.h) against the reference's layout
// (faust/gui/Soundfile.h): parts, silent parts, shared channels, search folders.
#include <gtest/gtest.h>
#include <sndfile.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "runtime/sound_files.h"

namespace {

using tutti::runtime::load_sound;
using tutti::runtime::SoundProblem;

/// A 16-bit stereo WAV of `frames` frames at 8000 Hz: left n/8, right -n/8 (exact in float).
std::filesystem::path write_stereo(const std::filesystem::path& dir, const char* name, int frames) {
    std::filesystem::create_directories(dir);
    std::filesystem::path p = dir / name;
    SF_INFO info{};
    info.samplerate = 8000;
    info.channels = 2;
    info.format = SF_FORMAT_WAV | SF_FORMAT_PCM_16;
    SNDFILE* f = sf_open(p.c_str(), SFM_WRITE, &info);
    std::vector<short> data;
    for (int n = 0; n < frames; ++n) {
        data.push_back(short(n * 4096));
        data.push_back(short(-n * 4096));
    }
    sf_writef_short(f, data.data(), frames);
    sf_close(f);
    return p;
}

std::filesystem::path temp_dir(const char* name) {
    auto d = std::filesystem::temp_directory_path() /
             ("tutti_sound_test_" + std::string(name) + "_" + std::to_string(::getpid()));
    std::filesystem::remove_all(d);
    return d;
}

TEST(SoundUrl, SplitsTheReferenceList) {
    bool ok = false;
    EXPECT_EQ(tutti::runtime::split_sound_url("{'a.wav';'b c.wav'}", &ok),
              (std::vector<std::string>{"a.wav", "b c.wav"}));
    EXPECT_TRUE(ok);
    EXPECT_EQ(tutti::runtime::split_sound_url("{a.wav}", &ok),
              (std::vector<std::string>{"{a.wav}"}));
    EXPECT_FALSE(ok);
}

TEST(SoundFiles, SilentSoundIsTheReferenceDefault) {
    auto s = tutti::runtime::silent_sound(false, 2);
    EXPECT_EQ(s->data.channels, 1);
    for (int part : {0, 1, 255}) {
        EXPECT_EQ(s->data.info[part], 1024);
        EXPECT_EQ(s->data.info[256 + part], 44100);
        EXPECT_EQ(s->data.info[512 + part], part * 1024);
    }
    EXPECT_EQ(s->channel_pointers.size(), 64u);
    EXPECT_EQ(s->data.buffers[63], s->data.buffers[0]);
    EXPECT_EQ(static_cast<const float*>(s->data.buffers[0])[1000], 0.0f);
}

TEST(SoundFiles, PartsOffsetsSilentPartsAndSharedChannels) {
    auto dir = temp_dir("parts");
    write_stereo(dir, "st.wav", 3);
    // found in the search folder, not as written; the second part is missing
    auto load = load_sound("{'st.wav';'nothere.wav'}", {dir.string()}, true, 3);
    ASSERT_EQ(load.problems.size(), 1u);
    EXPECT_EQ(load.problems[0].kind, SoundProblem::Kind::NotLoaded);
    EXPECT_EQ(load.problems[0].file, "nothere.wav");
    const auto& d = load.sound->data;
    EXPECT_EQ(d.channels, 2);
    EXPECT_EQ(d.info[0], 3);
    EXPECT_EQ(d.info[256], 8000);
    EXPECT_EQ(d.info[512], 0);
    EXPECT_EQ(d.info[1], 1024); // the missing file: a silent part
    EXPECT_EQ(d.info[257], 44100);
    EXPECT_EQ(d.info[513], 3);
    EXPECT_EQ(d.info[514], 3 + 1024);
    const auto* left = static_cast<const double*>(d.buffers[0]);
    const auto* right = static_cast<const double*>(d.buffers[1]);
    EXPECT_EQ(left[2], 2 * 4096 / 32768.0);
    EXPECT_EQ(right[2], -2 * 4096 / 32768.0);
    EXPECT_EQ(left[3], 0.0);
    EXPECT_EQ(d.buffers[2], d.buffers[0]); // channel 2 of a 2-channel sound is channel 0
    std::filesystem::remove_all(dir);
}

TEST(SoundFiles, UnreadableFileAndBadUrlAreReported) {
    auto dir = temp_dir("bad");
    std::filesystem::create_directories(dir);
    std::filesystem::path text = dir / "text.wav";
    FILE* f = std::fopen(text.c_str(), "w");
    std::fputs("not a sound\n", f);
    std::fclose(f);
    auto load = load_sound(text.string(), {}, false, 1);
    ASSERT_EQ(load.problems.size(), 2u);
    EXPECT_EQ(load.problems[0].kind, SoundProblem::Kind::BadUrl);
    EXPECT_EQ(load.problems[1].kind, SoundProblem::Kind::NotLoaded);
    EXPECT_NE(load.problems[1].reason.find("Format"), std::string::npos) << load.problems[1].reason;
    EXPECT_EQ(load.sound->data.info[0], 1024);
    std::filesystem::remove_all(dir);
}

} // namespace
