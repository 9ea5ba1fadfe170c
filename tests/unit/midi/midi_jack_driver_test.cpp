// SPDX-License-Identifier: MIT
// The JACK driver's MIDI input on a private jackd (dummy backend, 64-frame
// periods), with the real-time checker: a helper client writes a note-on and a
// controller at given offsets of one cycle into tutti's midi_in; the driver
// hands them to MidiInput, which stamps them into the engine; a second helper
// records tutti's output. The note is heard from its offset in that very cycle
// (frame-exact), and nothing in the driver's callback, MidiInput::midi() or the
// engine allocated, locked or waited.
#include <gtest/gtest.h>
#include <jack/jack.h>
#include <jack/midiport.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <thread>
#include <vector>

#include "midi/midi_input.h"
#include "support/rt_interposer.h"
#include "tools/jack_server.h"
#include "tutti/compiler.h"
#include "tutti/driver.h"
#include "tutti/engine.h"
#include "tutti/engine_callback.h"

namespace tutti::test {
namespace {

/// Two helper clients in one: a MIDI sender and an audio recorder.
struct Helper {
    jack_client_t* client = nullptr;
    jack_port_t* midi_out = nullptr;
    jack_port_t* audio_in = nullptr;
    std::atomic<bool> armed{false}, sent{false};
    std::atomic<jack_nframes_t> sent_frame{0};
    // recording: the first `capacity` frames from arming on, with their frame times
    static constexpr std::size_t capacity = 48000;
    std::vector<float> samples = std::vector<float>(capacity);
    std::atomic<std::size_t> recorded{0};
    jack_nframes_t record_start = 0;

    static int process(jack_nframes_t n, void* arg) {
        auto* h = static_cast<Helper*>(arg);
        void* mbuf = jack_port_get_buffer(h->midi_out, n);
        jack_midi_clear_buffer(mbuf);
        const float* in = static_cast<const float*>(jack_port_get_buffer(h->audio_in, n));
        if (!h->armed.load()) {
            return 0;
        }
        const jack_nframes_t now = jack_last_frame_time(h->client);
        if (!h->sent.load()) {
            const std::uint8_t on[3] = {0x90, 60, 127};
            const std::uint8_t cc[3] = {0xB0, 7, 127};
            jack_midi_event_write(mbuf, 17, on, 3);
            jack_midi_event_write(mbuf, 40, cc, 3);
            h->sent_frame.store(now);
            h->record_start = now;
            h->sent.store(true);
        }
        std::size_t r = h->recorded.load();
        for (jack_nframes_t i = 0; i < n && r < capacity; ++i) {
            h->samples[r++] = in[i];
        }
        h->recorded.store(r);
        return 0;
    }
};

using MidiOnJack = JackServerTest;

TEST_F(MidiOnJack, NotesLandAtTheirFrameWithoutRealTimeViolations) {
    // gate * gain * level: 1 from the key-on's frame, 2 from controller 7's
    ProgramSource src{false, "gg.dsp",
                      R"(declare nvoices "2";
                         process = button("gate") * hslider("gain", 0.5, 0, 1, 0.001)
                                 * hslider("level[midi:ctrl 7]", 1, 0, 2, 0.001);)"};
    CompileResult compiled = compile_instrument(src);
    ASSERT_TRUE(compiled.ok());

    EngineOptions eo;
    eo.sample_rate = 48000;
    eo.max_block = 64;
    eo.inputs = 0;
    eo.outputs = 1;
    Engine engine(eo);
    std::uint64_t g = engine.submit(compiled.factory, "gg");
    ASSERT_TRUE(engine.wait_prepared(g));
    midi::MidiInput input(engine);

    std::unique_ptr<Driver> driver = make_driver("jack");
    DriverOptions dopt;
    dopt.server_name = server_.name();
    dopt.client_name = "tutti-midi";
    dopt.inputs = 0;
    dopt.outputs = 1;
    dopt.midi = &input;
    std::string error;
    ASSERT_TRUE(driver->open(dopt, &error)) << error;
    ASSERT_EQ(driver->block_size(), 64);
    EngineCallback cb(engine);
    tutti_rt_reset();
    ASSERT_TRUE(driver->start(&cb, &error)) << error;

    Helper h;
    jack_status_t st{};
    h.client =
        jack_client_open("helper", static_cast<jack_options_t>(JackServerName | JackNoStartServer),
                         &st, server_.name().c_str());
    ASSERT_NE(h.client, nullptr);
    h.midi_out = jack_port_register(h.client, "out", JACK_DEFAULT_MIDI_TYPE, JackPortIsOutput, 0);
    h.audio_in = jack_port_register(h.client, "in", JACK_DEFAULT_AUDIO_TYPE, JackPortIsInput, 0);
    ASSERT_TRUE(h.midi_out && h.audio_in);
    jack_set_process_callback(h.client, &Helper::process, &h);
    ASSERT_EQ(jack_activate(h.client), 0);
    ASSERT_EQ(jack_connect(h.client, "helper:out", "tutti-midi:midi_in"), 0);
    ASSERT_EQ(jack_connect(h.client, "tutti-midi:out_1", "helper:in"), 0);
    // the version plays and MidiInput has its bindings
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (engine.playing_generation() != g && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    input.refresh();
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    h.armed.store(true);
    while (h.recorded.load() < 4800 && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    jack_deactivate(h.client);
    jack_client_close(h.client);
    driver->stop();
    EXPECT_EQ(tutti_rt_violations(), 0)
        << "first real-time violation on the audio thread: " << tutti_rt_first_violation();
    ASSERT_GE(h.recorded.load(), 4800u);
    EXPECT_EQ(input.messages(), 2u);
    EXPECT_EQ(input.pushed(), 2u) << "the note and the level";
    // the helper both feeds tutti and records it: JACK runs it first in each
    // cycle, so it records tutti's output one period late. The note starts at
    // offset 17 of a period, the level 23 frames later: frame-exact
    const auto& s = h.samples;
    std::size_t first = 0;
    while (first < 4800 && s[first] == 0.0f) {
        ++first;
    }
    ASSERT_LT(first, 4800u) << "no sound";
    std::printf("note heard at recorded frame %zu (period offset %zu)\n", first, first % 64);
    EXPECT_EQ(first % 64, 17u) << "the note from offset 17";
    EXPECT_EQ(s[first], 1.0f);
    EXPECT_EQ(s[first + 22], 1.0f);
    EXPECT_NEAR(s[first + 23], 2.0f, 1e-6) << "controller 7 from offset 40";
    EXPECT_NEAR(s[4000], 2.0f, 1e-6);
}

} // namespace
} // namespace tutti::test
