// SPDX-License-Identifier: MIT
// Polyphony (runtime/poly_factory.h) and MIDI input (midi/midi_input.h),
// rendered offline through the engine: notes at given frames.
//  - one voice against the reference faust rendering the voice program with
//    freq/gate/gain set as a key-on and a key-off set them (differential);
//  - two voices against the sum of each alone;
//  - Faust's allocation: stealing, release after 0.5 s and silence;
//  - MIDI bytes handed to MidiInput land at their frame, on the audio thread,
//    without allocating or locking (the real-time checker);
//  - a hot swap carries a held note.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>

#include "midi/midi_input.h"
#include "oracle/oracle_support.h"
#include "runtime/poly_factory.h"
#include "tools/test_support.h"
#include "tutti/compiler.h"
#include "tutti/engine.h"
#include "unit/engine/engine_harness.h"

namespace tutti::test {
namespace {

const std::string kVoice = (source_dir() / "tests/midi/voice.dsp").string();

std::shared_ptr<const Factory> instrument(const ProgramSource& p, int voices) {
    CompileOptions o;
    o.double_precision = true;
    CompileResult r = compile_instrument(p, o, voices);
    if (!r.ok()) {
        ADD_FAILURE() << (r.diagnostics.empty() ? "?" : to_text(r.diagnostics[0]));
    }
    return r.factory;
}
std::shared_ptr<const Factory> instrument_file(const std::string& path, int voices) {
    return instrument(ProgramSource{true, path, {}}, voices);
}

struct NoteAt {
    long frame;
    NoteEvent::Type type;
    int key;
    int velocity;
};

/// Queues every note at its frame.
void push_notes(Engine& engine, const std::vector<NoteAt>& notes) {
    for (const NoteAt& n : notes) {
        ParameterChange c;
        c.is_note = true;
        c.note = NoteEvent{n.type, 0, std::uint8_t(n.key), std::uint8_t(n.velocity)};
        c.frame = n.frame;
        EXPECT_TRUE(engine.push(c));
    }
}

/// Renders `frames` frames of channel 0 (double precision, 44.1 kHz, blocks of 64).
std::vector<double> play(std::shared_ptr<const Factory> f, long frames,
                         const std::vector<NoteAt>& notes, long swap_frame = -1,
                         std::shared_ptr<const Factory> next = nullptr,
                         SwapReport* report = nullptr) {
    EngineOptions eo;
    eo.sample_rate = 44100;
    eo.max_block = 64;
    eo.inputs = 0;
    eo.outputs = f->num_outputs();
    eo.double_precision = true;
    Engine engine(eo);
    engine.submit(f, "poly");
    push_notes(engine, notes);
    std::vector<std::vector<double>> out(std::size_t(eo.outputs), std::vector<double>(64));
    std::vector<void*> ptrs;
    ptrs.reserve(out.size());
    for (auto& o : out) {
        ptrs.push_back(o.data());
    }
    std::vector<double> all;
    bool swapped = false;
    for (long done = 0; done < frames; done += 64) {
        if (!swapped && swap_frame >= 0 && done >= swap_frame) {
            std::uint64_t g = engine.submit(next, "poly2");
            EXPECT_TRUE(engine.wait_prepared(g));
            swapped = true;
        }
        engine.process(64, nullptr, ptrs.data());
        all.insert(all.end(), out[0].begin(), out[0].end());
    }
    if (report != nullptr) {
        for (const SwapReport& r : engine.take_reports()) {
            if (r.generation == 2 && r.committed) {
                *report = r;
            }
        }
    }
    all.resize(std::size_t(frames));
    return all;
}

double freq_of(int key) {
    return 440.0 * std::pow(2.0, (key - 69.0) / 12.0);
}

class Poly : public RtChecked {};

TEST_F(Poly, OneVoiceMatchesTheReferenceWithFreqGateGainSet) {
    ASSERT_TRUE(faust_available()) << "install faust (make setup)";
    const long frames = 16384, on = 1024, off = 8192; // block boundaries (the reference's)
    auto poly = instrument_file(kVoice, 4);
    ASSERT_TRUE(poly);
    EXPECT_EQ(poly->info().voices, 4);
    auto ours = play(poly, frames,
                     {{on, NoteEvent::Type::On, 60, 100}, {off, NoteEvent::Type::Off, 60, 0}});
    char sets[512];
    std::snprintf(sets, sizeof sets,
                  "--set-at %ld:/voice/freq=%.17g --set-at %ld:/voice/gain=%.17g "
                  "--set-at %ld:/voice/gate=1 --set-at %ld:/voice/gate=0",
                  on, freq_of(60), on, 100 / 127.0, on, off);
    std::string cmd = "TUTTI_REFERENCE_CACHE=" + std::string(TUTTI_BINARY_DIR) +
                      "/reference-cache " +
                      (source_dir() / "tools/reference/reference_render.sh").string() + " " +
                      kVoice + " -o - --double --frames " + std::to_string(frames) + " " + sets;
    auto r = run_command(cmd);
    ASSERT_EQ(r.exit_code, 0) << r.output;
    std::istringstream in(r.output);
    std::string line;
    std::vector<double> ref;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#') {
            continue;
        }
        std::istringstream ls(line);
        long n;
        double a;
        ls >> n >> a;
        ref.push_back(a);
    }
    ASSERT_EQ(ref.size(), std::size_t(frames));
    double worst = 0, peak = 0;
    for (long n = 0; n < frames; ++n) {
        worst = std::max(worst, std::fabs(ref[std::size_t(n)] - ours[std::size_t(n)]));
        peak = std::max(peak, std::fabs(ours[std::size_t(n)]));
    }
    std::printf("one voice vs faust: %ld frames, peak %.6f, max difference %.3g\n", frames, peak,
                worst);
    EXPECT_GT(peak, 0.5) << "the note is heard";
    EXPECT_LT(worst, 1e-9);
}

TEST_F(Poly, TwoVoicesAreTheSumOfEachAlone) {
    auto poly = instrument_file(kVoice, 4);
    ASSERT_TRUE(poly);
    const long frames = 12000;
    auto a = play(poly, frames,
                  {{100, NoteEvent::Type::On, 60, 90}, {6000, NoteEvent::Type::Off, 60, 0}});
    auto b = play(poly, frames,
                  {{2000, NoteEvent::Type::On, 67, 40}, {9000, NoteEvent::Type::Off, 67, 0}});
    auto both = play(poly, frames,
                     {{100, NoteEvent::Type::On, 60, 90},
                      {2000, NoteEvent::Type::On, 67, 40},
                      {6000, NoteEvent::Type::Off, 60, 0},
                      {9000, NoteEvent::Type::Off, 67, 0}});
    double worst = 0;
    for (long n = 0; n < frames; ++n) {
        worst = std::max(worst,
                         std::fabs(both[std::size_t(n)] - a[std::size_t(n)] - b[std::size_t(n)]));
    }
    std::printf("two voices vs the sum: max difference %.3g\n", worst);
    EXPECT_LT(worst, 1e-12);
    EXPECT_EQ(a[99], 0.0);
    EXPECT_NE(a[100], 0.0) << "the note starts at its frame, inside a block";
}

/// The allocation table of an instance: the `poly.note[k]` fields.
std::vector<int> notes_of(const Instance& in) {
    std::vector<int> notes;
    for (const StateField& f : in.factory().state_layout()) {
        if (f.name.rfind("poly.note[", 0) == 0) {
            std::int32_t v;
            std::memcpy(&v, in.state() + f.offset, 4);
            notes.push_back(v);
        }
    }
    return notes;
}

TEST(PolyAllocation, StealsAndReleasesAsMydspPoly) {
    auto poly = instrument_file(kVoice, 2);
    ASSERT_TRUE(poly);
    auto in = poly->create_instance();
    in->init(44100);
    std::vector<double> l(64), r(64);
    void* outs[2] = {l.data(), r.data()};
    auto block = [&](int n = 1) {
        for (int i = 0; i < n; ++i) {
            in->compute(64, nullptr, outs);
        }
    };
    EXPECT_EQ(notes_of(*in), (std::vector<int>{-1, -1})) << "free";
    in->note({NoteEvent::Type::On, 0, 60, 100});
    in->note({NoteEvent::Type::On, 0, 62, 100});
    EXPECT_EQ(notes_of(*in), (std::vector<int>{60, 62}));
    block();
    // a third key steals: both voices have date 1, the first such is taken,
    // plays its old note closed and faded for half a block, then the new one
    in->note({NoteEvent::Type::On, 0, 64, 100});
    EXPECT_EQ(notes_of(*in), (std::vector<int>{-3, 62})) << "legato";
    block();
    EXPECT_EQ(notes_of(*in), (std::vector<int>{64, 62}));
    // key-off: releasing (-2), freed after 0.5 s once quiet
    in->note({NoteEvent::Type::Off, 0, 62, 0});
    EXPECT_EQ(notes_of(*in), (std::vector<int>{64, -2}));
    block(300); // 0.435 s
    EXPECT_EQ(notes_of(*in)[1], -2);
    block(60); // 0.52 s
    EXPECT_EQ(notes_of(*in)[1], -1);
    // a releasing voice is stolen before a playing one
    in->note({NoteEvent::Type::Off, 0, 64, 0});
    in->note({NoteEvent::Type::On, 0, 65, 100});
    EXPECT_EQ(notes_of(*in), (std::vector<int>{-2, 65})) << "the free voice first";
    in->note({NoteEvent::Type::On, 0, 67, 100});
    EXPECT_EQ(notes_of(*in), (std::vector<int>{-3, 65})) << "then the releasing one";
    in->note({NoteEvent::Type::AllOff, 0, 0, 0});
    block();
    EXPECT_EQ(notes_of(*in), (std::vector<int>{-2, -2}));
}

TEST_F(Poly, MidiInputLandsAtItsFrame) {
    // gate * gain: the output is the gain from the key-on's frame on
    ProgramSource src{false, "gg.dsp",
                      R"(declare nvoices "2";
                         process = button("gate") * hslider("gain", 0.5, 0, 1, 0.001)
                                 * (hslider("level[midi:ctrl 7]", 1, 0, 2, 0.001)) : _;)"};
    auto poly = instrument(src, 0);
    ASSERT_TRUE(poly);
    EngineOptions eo;
    eo.sample_rate = 44100;
    eo.max_block = 64;
    eo.inputs = 0;
    eo.outputs = 1;
    eo.double_precision = true;
    Engine engine(eo);
    engine.submit(poly, "gg");
    std::vector<double> out(64);
    void* outs[1] = {out.data()};
    engine.process(64, nullptr, outs); // frame 64: the version plays
    midi::MidiInput input(engine);
    input.refresh();
    const std::uint8_t on[3] = {0x90, 60, 127};
    const std::uint8_t cc[3] = {0xB0, 7, 127};
    const std::uint8_t off[3] = {0x80, 60, 0};
    MidiEvent events[3] = {{10, 3, on}, {20, 3, cc}, {40, 3, off}};
    input.midi(64, events, 3);
    engine.process(64, nullptr, outs);
    EXPECT_EQ(input.messages(), 3u);
    EXPECT_EQ(input.pushed(), 3u);
    EXPECT_EQ(out[9], 0.0);
    EXPECT_DOUBLE_EQ(out[10], 1.0) << "gain 127/127 at frame 10";
    EXPECT_DOUBLE_EQ(out[19], 1.0);
    EXPECT_NEAR(out[20], 2.0, 1e-6) << "controller 7 at frame 20: level 2";
    EXPECT_EQ(out[40], 0.0) << "gate 0 at frame 40";
}

TEST_F(Poly, HotSwapCarriesAHeldNote) {
    auto v1 = instrument_file(kVoice, 3);
    std::string src = read_file(kVoice);
    // the same voices, halved downstream
    src.replace(src.find("<: _, _;"), 8, "<: _, _ : par(i, 2, *(0.5));");
    auto v2 =
        instrument(ProgramSource{false, (source_dir() / "tests/midi/voice2.dsp").string(), src}, 3);
    ASSERT_TRUE(v1 && v2);
    const long frames = 16384, swap = 8192;
    std::vector<NoteAt> notes = {{512, NoteEvent::Type::On, 57, 127},
                                 {700, NoteEvent::Type::On, 64, 80}};
    auto alone = play(v1, frames, notes);
    SwapReport report;
    auto swapped = play(v1, frames, notes, swap, v2, &report);
    ASSERT_TRUE(report.committed);
    EXPECT_FALSE(report.crossfade);
    std::printf("swap: carried %d, reset %d, dropped %d, commit frame %llu\n", report.carried,
                report.reset, report.dropped, static_cast<unsigned long long>(report.commit_frame));
    double worst = 0, peak = 0;
    for (long n = long(report.commit_frame); n < frames; ++n) {
        worst = std::max(worst, std::fabs(swapped[std::size_t(n)] - 0.5 * alone[std::size_t(n)]));
        peak = std::max(peak, std::fabs(alone[std::size_t(n)]));
    }
    std::printf("held notes across the swap: peak %.4f, max difference %.3g\n", peak, worst);
    EXPECT_GT(peak, 0.5);
    EXPECT_LT(worst, 1e-9);
}

// Tiered start of an instrument (issue 14): the voices and the effect play on
// the interpreter at once and move to their LLVM code while a chord is held;
// the output is bit for bit the LLVM instrument's played from the start.
TEST_F(Poly, TieredStartMovesAHeldChordToLlvmExactly) {
    CompileOptions o;
    o.double_precision = true;
    o.tiered = true;
    CompileResult tiered = compile_instrument(ProgramSource{true, kVoice, {}}, o, 3);
    ASSERT_TRUE(tiered.ok());
    ASSERT_TRUE(tiered.next_tier) << "an instrument is tiered";
    EXPECT_GT(tiered.interpreter_size, 0u);
    auto llvm = instrument_file(kVoice, 3);
    ASSERT_TRUE(llvm);
    const long frames = 16384;
    std::vector<NoteAt> notes = {{100, NoteEvent::Type::On, 57, 127},
                                 {300, NoteEvent::Type::On, 64, 80},
                                 {9000, NoteEvent::Type::Off, 57, 0}};
    const auto alone = play(llvm, frames, notes);

    EngineOptions eo;
    eo.sample_rate = 44100;
    eo.max_block = 64;
    eo.inputs = 0;
    eo.outputs = tiered.factory->num_outputs();
    eo.double_precision = true;
    eo.check_migrations = true;
    Engine engine(eo);
    const std::uint64_t g = engine.submit(std::move(tiered), "poly");
    ASSERT_NE(g, 0u);
    push_notes(engine, notes);
    std::vector<std::vector<double>> out(std::size_t(eo.outputs), std::vector<double>(64));
    std::vector<void*> ptrs;
    for (auto& c : out) {
        ptrs.push_back(c.data());
    }
    std::vector<double> all;
    SwapReport report;
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    for (long done = 0, blocks = 0; done < frames; done += 64, ++blocks) {
        if (blocks == 40) { // the chord is held: wait for the LLVM code, the next block takes it
            while (report.tier_prepare_ms == 0 && report.tier_note.empty() &&
                   std::chrono::steady_clock::now() < give_up) {
                std::this_thread::sleep_for(std::chrono::milliseconds(2));
                for (SwapReport& r : engine.take_reports()) {
                    report = r;
                }
            }
        }
        engine.process(64, nullptr, ptrs.data());
        all.insert(all.end(), out[0].begin(), out[0].end());
        for (SwapReport& r : engine.take_reports()) {
            report = r;
        }
    }
    ASSERT_TRUE(report.tiered) << report.tier_note;
    ASSERT_TRUE(report.tier_moved) << "the LLVM code never took over: " << report.tier_note;
    EXPECT_GE(report.tier_frame, 40u * 64) << "blocks played on the interpreter";
    EXPECT_TRUE(report.tier_exact);
    for (const std::string& e : report.migration_errors) {
        ADD_FAILURE() << e;
    }
    double peak = 0;
    long differ = 0;
    for (long n = 0; n < frames; ++n) {
        peak = std::max(peak, std::fabs(alone[std::size_t(n)]));
        differ += all[std::size_t(n)] != alone[std::size_t(n)] ? 1 : 0;
    }
    std::printf("tiered instrument: interpreter until frame %llu, then LLVM; %ld of %ld frames "
                "differ from the LLVM instrument alone (peak %.3f)\n",
                static_cast<unsigned long long>(report.tier_frame), differ, frames, peak);
    EXPECT_GT(peak, 0.3) << "the chord is heard";
    EXPECT_EQ(differ, 0);
}

} // namespace
} // namespace tutti::test
