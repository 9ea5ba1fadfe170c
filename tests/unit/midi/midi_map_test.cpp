// SPDX-License-Identifier: MIT
// A program's MIDI bindings (src/midi/midi_map.h): Faust's metadata and value
// mappings (MidiUI.h, ValueConverter.h of Faust 2.54).
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "midi/midi_map.h"
#include "tutti/compiler.h"

namespace tutti::midi {
namespace {

std::shared_ptr<const Factory> compile(const std::string& src) {
    CompileOptions o;
    o.double_precision = true;
    CompileResult r = compile_source("map.dsp", src, o);
    EXPECT_TRUE(r.ok()) << (r.diagnostics.empty() ? "" : to_text(r.diagnostics[0]));
    return r.factory;
}

std::vector<ParameterChange> run(MidiMap& map, std::vector<std::uint8_t> bytes) {
    MidiDecoder d;
    std::vector<ParameterChange> out;
    d.feed(bytes.data(), bytes.size(), [&](const MidiMessage& m) {
        map.apply(m, 1000, [&](const ParameterChange& c) { out.push_back(c); });
    });
    return out;
}

std::size_t index_of(const Factory& f, const std::string& label) {
    for (std::size_t i = 0; i < f.parameters().size(); ++i) {
        if (f.parameters()[i].label == label) {
            return i;
        }
    }
    ADD_FAILURE() << "no " << label;
    return 0;
}

TEST(MidiMap, ControllersOnTheirChannelMappedOntoTheRange) {
    auto f = compile(R"(process = hslider("a[midi:ctrl 7]", 100, 100, 300, 1),
                                  hslider("b[midi:ctrl 7 2]", 0, 0, 1, 0.01),
                                  hslider("c[midi:ctrl 1][scale:log]", 10, 10, 1000, 1),
                                  checkbox("d[midi:ctrl 64]");)");
    MidiMap map(*f, 7);
    EXPECT_EQ(map.bindings(), 4u);
    // controller 7 = 127 on channel 1 (0): a only; on channel 2 (1): a and b
    auto c = run(map, {0xB0, 7, 127});
    ASSERT_EQ(c.size(), 1u);
    EXPECT_EQ(c[0].index, index_of(*f, "a"));
    EXPECT_EQ(c[0].generation, 7u);
    EXPECT_EQ(c[0].frame, 1000);
    EXPECT_DOUBLE_EQ(c[0].value, 300);
    c = run(map, {0xB1, 7, 0});
    ASSERT_EQ(c.size(), 2u);
    EXPECT_DOUBLE_EQ(c[0].value, 100);
    EXPECT_DOUBLE_EQ(c[1].value, 0);
    // 63.5 is the middle: linear 64 -> 100 + 200*64/127
    c = run(map, {0xB0, 7, 64});
    EXPECT_DOUBLE_EQ(c[0].value, 100 + 200 * 64 / 127.0);
    // log scale: exp of the linear map between the logs
    c = run(map, {0xB0, 1, 64});
    ASSERT_EQ(c.size(), 1u);
    EXPECT_NEAR(c[0].value,
                std::exp(std::log(10.0) + (std::log(1000.0) - std::log(10.0)) * 64 / 127), 1e-9);
    // checkbox: 0..127 onto 0..1
    c = run(map, {0xB0, 64, 127});
    ASSERT_EQ(c.size(), 1u);
    EXPECT_DOUBLE_EQ(c[0].value, 1);
}

TEST(MidiMap, KeysProgramPressureAndWheel) {
    auto f = compile(R"(process = button("on[midi:keyon 60]"), button("off[midi:keyoff 60]"),
                                  button("k[midi:key 62]"), nentry("p[midi:pgm]", 0, 0, 10, 1),
                                  hslider("cp[midi:chanpress]", 0, 0, 1, 0.01),
                                  hslider("bend[midi:pitchwheel]", 0, -2, 2, 0.01);)");
    MidiMap map(*f, 1);
    EXPECT_EQ(map.voices(), 0);
    auto c = run(map, {0x90, 60, 127});
    ASSERT_EQ(c.size(), 1u) << "no notes for a program without voices";
    EXPECT_EQ(c[0].index, index_of(*f, "on"));
    EXPECT_DOUBLE_EQ(c[0].value, 1);
    c = run(map, {0x80, 60, 127});
    ASSERT_EQ(c.size(), 1u);
    EXPECT_EQ(c[0].index, index_of(*f, "off"));
    c = run(map, {0x90, 62, 127, 0x90, 62, 0});
    ASSERT_EQ(c.size(), 2u);
    EXPECT_DOUBLE_EQ(c[0].value, 1);
    EXPECT_DOUBLE_EQ(c[1].value, 0) << "key: 0 on key-off";
    c = run(map, {0xC0, 3, 0xC0, 11});
    ASSERT_EQ(c.size(), 1u) << "a program out of [min, max] is ignored";
    EXPECT_DOUBLE_EQ(c[0].value, 3);
    c = run(map, {0xD0, 127});
    ASSERT_EQ(c.size(), 1u);
    EXPECT_DOUBLE_EQ(c[0].value, 1);
    // wheel: 0 -> min, 8191 -> 0, 16383 -> max
    c = run(map, {0xE0, 0, 0, 0xE0, 0x7F, 0x3F, 0xE0, 0x7F, 0x7F});
    ASSERT_EQ(c.size(), 3u);
    EXPECT_DOUBLE_EQ(c[0].value, -2);
    EXPECT_DOUBLE_EQ(c[1].value, 0);
    EXPECT_DOUBLE_EQ(c[2].value, 2);
    // pitch-bend range RPN: 12 semitones
    c = run(map, {0xB0, 101, 0, 100, 0, 6, 12, 38, 0, 0xE0, 0x7F, 0x7F});
    ASSERT_EQ(c.size(), 1u);
    EXPECT_DOUBLE_EQ(c[0].value, 12);
}

TEST(MidiMap, StartStopAndClock) {
    auto f = compile(
        R"(process = checkbox("run[midi:start][midi:stop]"), checkbox("tick[midi:clock]");)");
    MidiMap map(*f, 1);
    EXPECT_EQ(map.bindings(), 3u);
    auto c = run(map, {0xFA, 0xF8, 0xF8, 0xFC, 0xFB});
    ASSERT_EQ(c.size(), 5u);
    EXPECT_EQ(c[0].index, index_of(*f, "run"));
    EXPECT_DOUBLE_EQ(c[0].value, 1);
    EXPECT_EQ(c[1].index, index_of(*f, "tick"));
    EXPECT_DOUBLE_EQ(c[1].value, 1);
    EXPECT_DOUBLE_EQ(c[2].value, 0) << "each clock toggles";
    EXPECT_DOUBLE_EQ(c[3].value, 0) << "stop";
    EXPECT_DOUBLE_EQ(c[4].value, 1) << "continue starts";
}

TEST(MidiMap, PolyphonicProgramsGetNotes) {
    CompileOptions o;
    o.double_precision = true;
    ProgramSource src{false, "poly.dsp",
                      R"(declare nvoices "3"; process = hslider("freq", 440, 20, 2000, 1) *
                         hslider("gain", 0.5, 0, 1, 0.01) * button("gate");)"};
    CompileResult r = compile_instrument(src, o);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r.factory->info().voices, 3);
    MidiMap map(*r.factory, 2);
    auto c = run(map, {0x91, 60, 100, 0x81, 60, 0, 0xB1, 123, 0});
    ASSERT_EQ(c.size(), 3u);
    EXPECT_TRUE(c[0].is_note);
    EXPECT_EQ(c[0].note.type, NoteEvent::Type::On);
    EXPECT_EQ(c[0].note.channel, 1);
    EXPECT_EQ(c[0].note.key, 60);
    EXPECT_EQ(c[0].note.velocity, 100);
    EXPECT_EQ(c[1].note.type, NoteEvent::Type::Off);
    EXPECT_EQ(c[2].note.type, NoteEvent::Type::AllOff);
}

} // namespace
} // namespace tutti::midi
