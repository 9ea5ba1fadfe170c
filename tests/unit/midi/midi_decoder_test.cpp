// SPDX-License-Identifier: MIT
// The MIDI byte decoder (src/midi/midi_decoder.h), against the MIDI 1.0 rules
// and Faust's midi_handler (midi.h): running status, real-time bytes inside
// messages, system exclusive skipped, note-on velocity 0 as note-off, (N)RPN.
#include <gtest/gtest.h>

#include <vector>

#include "midi/midi_decoder.h"

namespace tutti::midi {
namespace {

using T = MidiMessage::Type;

std::vector<MidiMessage> decode(const std::vector<std::uint8_t>& bytes, MidiDecoder* d = nullptr) {
    MidiDecoder local;
    MidiDecoder& dec = d ? *d : local;
    std::vector<MidiMessage> out;
    dec.feed(bytes.data(), bytes.size(), [&](const MidiMessage& m) { out.push_back(m); });
    return out;
}

TEST(MidiDecoder, NotesOnAndOff) {
    auto m = decode({0x90, 60, 100, 0x81, 60, 64, 0x92, 62, 0});
    ASSERT_EQ(m.size(), 3u);
    EXPECT_EQ(m[0].type, T::NoteOn);
    EXPECT_EQ(m[0].channel, 0);
    EXPECT_EQ(m[0].data1, 60);
    EXPECT_EQ(m[0].data2, 100);
    EXPECT_EQ(m[1].type, T::NoteOff);
    EXPECT_EQ(m[1].channel, 1);
    EXPECT_EQ(m[1].data2, 64);
    EXPECT_EQ(m[2].type, T::NoteOff) << "note-on with velocity 0 is a note-off";
    EXPECT_EQ(m[2].channel, 2);
}

TEST(MidiDecoder, RunningStatusAndRealTimeInside) {
    // note-on, then two more under running status, a clock between two data bytes
    auto m = decode({0x90, 60, 100, 64, 0xF8, 90, 67, 0});
    ASSERT_EQ(m.size(), 4u);
    EXPECT_EQ(m[0].type, T::NoteOn);
    EXPECT_EQ(m[1].type, T::Clock);
    EXPECT_EQ(m[2].type, T::NoteOn);
    EXPECT_EQ(m[2].data1, 64);
    EXPECT_EQ(m[2].data2, 90);
    EXPECT_EQ(m[3].type, T::NoteOff);
    EXPECT_EQ(m[3].data1, 67);
}

TEST(MidiDecoder, OneDataByteMessagesAndPitchBend) {
    auto m = decode({0xC3, 5, 0xD4, 77, 0xE5, 0x00, 0x40, 0xE5, 0x7F, 0x7F, 0xA1, 60, 33});
    ASSERT_EQ(m.size(), 5u);
    EXPECT_EQ(m[0].type, T::Program);
    EXPECT_EQ(m[0].channel, 3);
    EXPECT_EQ(m[0].data1, 5);
    EXPECT_EQ(m[1].type, T::ChannelPressure);
    EXPECT_EQ(m[1].data1, 77);
    EXPECT_EQ(m[2].type, T::PitchBend);
    EXPECT_EQ(m[2].value, 8192);
    EXPECT_EQ(m[3].value, 16383);
    EXPECT_EQ(m[4].type, T::KeyPressure);
    EXPECT_EQ(m[4].data2, 33);
}

TEST(MidiDecoder, SysexAndSystemCommonAreSkipped) {
    auto m = decode({0xF0, 0x7E, 0x90, 0x01, 0xF7, 0xF2, 0x10, 0x20, 0xB0, 7, 100, 0xFA, 0xFC});
    ASSERT_EQ(m.size(), 3u);
    EXPECT_EQ(m[0].type, T::Control);
    EXPECT_EQ(m[0].data1, 7);
    EXPECT_EQ(m[0].data2, 100);
    EXPECT_EQ(m[1].type, T::Start);
    EXPECT_EQ(m[2].type, T::Stop);
}

TEST(MidiDecoder, StrayDataBytesAreCountedNotDecoded) {
    MidiDecoder d;
    auto m = decode({1, 2, 3, 0x90, 60, 1}, &d);
    ASSERT_EQ(m.size(), 1u);
    EXPECT_EQ(d.stray_bytes(), 3u);
}

TEST(MidiDecoder, MessageCutBetweenTwoEvents) {
    MidiDecoder d;
    EXPECT_TRUE(decode({0x90, 60}, &d).empty());
    auto m = decode({100}, &d);
    ASSERT_EQ(m.size(), 1u);
    EXPECT_EQ(m[0].data2, 100);
}

TEST(MidiDecoder, RegisteredParameterAsFaustGathersIt) {
    // RPN 0 (pitch-bend range) = 12 semitones: 101 0, 100 0, 6 12, 38 0
    auto m = decode({0xB0, 101, 0, 100, 0, 6, 12, 38, 0, 7, 99});
    ASSERT_EQ(m.size(), 2u);
    EXPECT_EQ(m[0].type, T::Parameter);
    EXPECT_EQ(m[0].value14, 0);
    EXPECT_EQ(m[0].value, 12 * 128);
    EXPECT_EQ(m[1].type, T::Control) << "other controllers pass";
    EXPECT_EQ(m[1].data1, 7);
    // data entry without a parameter selected is a plain controller 6
    auto plain = decode({0xB0, 6, 5});
    ASSERT_EQ(plain.size(), 1u);
    EXPECT_EQ(plain[0].type, T::Control);
    EXPECT_EQ(plain[0].data1, 6);
}

TEST(MidiDecoder, AnyBytesAreBounded) {
    // every byte value, in a long pseudo-random stream: no crash, every message well formed
    std::vector<std::uint8_t> bytes;
    std::uint32_t x = 12345;
    for (int i = 0; i < 200000; ++i) {
        x = x * 1664525u + 1013904223u;
        bytes.push_back(std::uint8_t(x >> 24));
    }
    MidiDecoder d;
    std::size_t n = 0;
    d.feed(bytes.data(), bytes.size(), [&](const MidiMessage& m) {
        ++n;
        EXPECT_LT(m.channel, 16);
        EXPECT_LT(m.data1, 128);
        EXPECT_LT(m.data2, 128);
        EXPECT_LT(m.value, 16384);
    });
    EXPECT_GT(n, 0u);
}

} // namespace
} // namespace tutti::midi
