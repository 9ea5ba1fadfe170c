// SPDX-License-Identifier: MIT
// Moving a running program to a server and back (issue 13, docs/move.md): the
// state image codec; the engine's state taken at a block boundary and taken in
// by its migration; GET/PUT .../state and POST .../process on a server
// in-process (127.0.0.1, ports 28500-28599, 29610, 31000-31499); and the move, rendered offline,
// compared sample by sample with a render that did not move.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "move/block_link.h"
#include "move/control_forward.h"
#include "move/mover.h"
#include "netjack/protocol.h"
#include "remote/bundle.h"
#include "remote/client.h"
#include "runtime/state_image.h"
#include "serve/api.h"
#include "serve/served.h"
#include "serve/server.h"
#include "serve/service.h"
#include "support/rt_interposer.h"
#include "tools/udp_relay.h"
#include "tutti/compiler.h"
#include "tutti/engine.h"

namespace {

using namespace tutti;

/// State that shows a reset: a running phase, a counter, and a feedback delay
/// line of 2000 samples fed with one impulse (its echoes go on for seconds).
const char* moving_program = "phase = (+(0.01) : \\(x).(x - int(x))) ~ _;\n"
                             "impulse = 1 - 1';\n"
                             "echoes = impulse : (+ : @(1999)) ~ *(0.8);\n"
                             "count = 1 : +~_;\n"
                             "process = phase * 0.5 + echoes, count * 0.0001;\n";
const char* other_program = "process = _ : (+ : @(100)) ~ *(0.5);\n";
/// moving_program with a gain (parameter 0) on both outputs.
const char* gain_program = "phase = (+(0.01) : \\(x).(x - int(x))) ~ _;\n"
                           "impulse = 1 - 1';\n"
                           "echoes = impulse : (+ : @(1999)) ~ *(0.8);\n"
                           "count = 1 : +~_;\n"
                           "gain = hslider(\"gain\", 1, 0, 2, 0.01);\n"
                           "process = (phase * 0.5 + echoes) * gain, count * 0.0001 * gain;\n";

constexpr int block = 64;
constexpr int rate = 48000;

std::shared_ptr<const Factory> compile_local(const char* text) {
    CompileResult r = compile_program(ProgramSource{false, "move.dsp", text});
    EXPECT_TRUE(r.ok());
    return r.factory;
}

EngineOptions engine_options(int inputs, int outputs) {
    EngineOptions eo;
    eo.sample_rate = rate;
    eo.max_block = block;
    eo.inputs = inputs;
    eo.outputs = outputs;
    eo.check_migrations = true;
    return eo;
}

/// Renders `blocks` blocks of silence-in through `step` (the engine's or the
/// mover's process), interleaving nothing: one vector per output channel.
template <class Step>
std::vector<std::vector<float>> render(int outputs, int blocks, Step&& step,
                                       const std::function<void(int)>& before = {}) {
    std::vector<std::vector<float>> out(std::size_t(outputs),
                                        std::vector<float>(std::size_t(blocks * block)));
    std::vector<float> in(block, 0.0f);
    std::vector<const float*> ins(1, in.data());
    std::vector<float*> outs(static_cast<std::size_t>(outputs));
    for (int b = 0; b < blocks; ++b) {
        if (before) {
            before(b);
        }
        for (int c = 0; c < outputs; ++c) {
            outs[std::size_t(c)] = out[std::size_t(c)].data() + std::size_t(b) * block;
        }
        step(ins.data(), outs.data());
    }
    return out;
}

/// A control change stamped at an engine frame.
struct Stamped {
    std::int64_t frame = 0;
    std::uint32_t index = 0;
    double value = 0;
};

std::vector<std::vector<float>> render_engine(const std::shared_ptr<const Factory>& f, int blocks,
                                              const std::vector<Stamped>& changes = {}) {
    Engine e(engine_options(1, 2));
    std::string error;
    std::uint64_t g = e.submit(f, "move.dsp", &error);
    EXPECT_NE(g, 0u) << error;
    EXPECT_TRUE(e.wait_prepared(g));
    return render(
        2, blocks,
        [&](const float* const* in, float* const* out) {
            e.process(block, reinterpret_cast<const void* const*>(in),
                      reinterpret_cast<void* const*>(out));
        },
        [&](int b) {
            for (const Stamped& c : changes) {
                if (b == 1) { // each lands at its frame
                    ParameterChange pc;
                    pc.generation = g;
                    pc.index = c.index;
                    pc.value = c.value;
                    pc.frame = c.frame;
                    e.push(pc);
                }
            }
        });
}

double max_diff(const std::vector<std::vector<float>>& a, std::size_t a0,
                const std::vector<std::vector<float>>& b, std::size_t b0, std::size_t n) {
    double d = 0;
    for (std::size_t c = 0; c < a.size(); ++c) {
        for (std::size_t i = 0; i < n; ++i) {
            d = std::max(d, std::fabs(double(a[c][a0 + i]) - double(b[c][b0 + i])));
        }
    }
    return d;
}

// ---- the state image codec ----

TEST(StateImage, RoundTripAndEveryTruncationIsAnError) {
    auto f = compile_local(moving_program);
    ASSERT_TRUE(f);
    StateImage image;
    image.frame = 12345;
    image.generation = 7;
    image.linked = true; // taken under a NetJack link
    image.link_cycle = 4000000001u;
    image.link_concealed = 3;
    image.layout = f->info();
    image.bytes.assign(f->state_bytes(), std::byte{0});
    for (std::size_t i = 0; i < image.bytes.size(); ++i) {
        image.bytes[i] = std::byte(i * 7 + 3);
    }
    const std::string enc = encode_state_image(image);
    if (const char* seed = std::getenv("TUTTI_WRITE_STATE_SEED")) {
        // the fuzz corpus's seed (tests/fuzz/corpus/factory_info/state-*): 0x04 + the image
        std::FILE* file = std::fopen(seed, "wb");
        ASSERT_NE(file, nullptr);
        std::fputc(4, file);
        std::fwrite(enc.data(), 1, enc.size(), file);
        std::fclose(file);
    }
    std::string error;
    auto d = decode_state_image(enc, &error);
    ASSERT_TRUE(d) << error;
    EXPECT_EQ(d->frame, 12345u);
    EXPECT_EQ(d->generation, 7u);
    EXPECT_TRUE(d->linked);
    EXPECT_EQ(d->link_cycle, 4000000001u);
    EXPECT_EQ(d->link_concealed, 3u);
    EXPECT_EQ(d->bytes, image.bytes);
    ASSERT_EQ(d->layout.state_layout.size(), f->state_layout().size());
    for (std::size_t i = 0; i < f->state_layout().size(); ++i) {
        EXPECT_EQ(d->layout.state_layout[i].identity, f->state_layout()[i].identity);
    }
    EXPECT_TRUE(d->layout.json.empty()); // only what a migration reads travels
    for (std::size_t n = 0; n < enc.size(); n += 1 + n / 16) {
        EXPECT_FALSE(decode_state_image(enc.substr(0, n), &error)) << n;
        EXPECT_FALSE(error.empty());
    }
    std::string flipped = enc;
    flipped[40] ^= 1;
    EXPECT_FALSE(decode_state_image(flipped, &error));
    EXPECT_NE(error.find("checksum"), std::string::npos) << error;
    // a layout that would make a copy read outside its field
    StateImage bad = image;
    bad.layout.state_layout[0].elements = 0;
    EXPECT_FALSE(decode_state_image(encode_state_image(bad), &error));
    EXPECT_NE(error.find("no element"), std::string::npos) << error;
    bad = image;
    for (StateField& sf : bad.layout.state_layout) {
        if (sf.ring) {
            sf.elements = 3;
            sf.bytes = 3 * size_of(sf.type);
            break;
        }
    }
    EXPECT_FALSE(decode_state_image(encode_state_image(bad), &error));
    bad = image;
    bad.bytes.pop_back();
    EXPECT_FALSE(decode_state_image(encode_state_image(bad), &error));
    EXPECT_NE(error.find("describes"), std::string::npos) << error;
}

// ---- the engine: a state taken at a boundary, taken in by the migration ----

TEST(EngineState, TakenAtABoundaryAndTakenInByAnotherEngine) {
    auto f = compile_local(moving_program);
    ASSERT_TRUE(f);
    const int blocks = 100, k = 37;
    auto unmoved = render_engine(f, blocks);

    Engine a(engine_options(1, 2)), b(engine_options(1, 2));
    std::string error;
    ASSERT_TRUE(a.wait_prepared(a.submit(f, "a", &error)));
    // b plays another compilation of the same program (same identities)
    auto f2 = compile_local(moving_program);
    ASSERT_TRUE(b.wait_prepared(b.submit(f2, "b", &error)));
    std::optional<StateSnapshot> snap;
    auto out = render(
        2, blocks,
        [&](const float* const* in, float* const* o) {
            auto* iv = reinterpret_cast<const void* const*>(in);
            auto* ov = reinterpret_cast<void* const*>(o);
            if (!snap) {
                a.process(block, iv, ov);
            } else {
                b.process(block, iv, ov);
            }
        },
        [&](int blk) {
            if (blk == k - 1) {
                ASSERT_TRUE(a.request_state());
            }
            if (blk == k) {
                // a copied its state at the start of the call after the request
                // (block k-1's): take it now; b plays from block k on
                snap = a.take_state(std::chrono::seconds(1), &error);
                ASSERT_TRUE(snap) << error;
                const std::uint64_t g = b.submit_state(*snap, nullptr, &error);
                ASSERT_NE(g, 0u) << error;
                ASSERT_TRUE(b.wait_prepared(g));
            }
        });
    ASSERT_TRUE(snap);
    // the state was copied at frame (k-1)*block, before block k-1 was computed;
    // b starts from it at block k: b's output is the program delayed by a block
    EXPECT_EQ(snap->frame, std::uint64_t((k - 1) * block));
    const std::size_t from = std::size_t(k) * block;
    const double before = max_diff(out, 0, unmoved, 0, from);
    const double after = max_diff(out, from, unmoved, from - block, out[0].size() - from);
    std::printf("engine state: taken at frame %llu, %zu bytes; max |diff| before %g, after "
                "(shifted by %d frames) %g\n",
                static_cast<unsigned long long>(snap->frame), snap->bytes.size(), before, block,
                after);
    EXPECT_EQ(before, 0.0);
    EXPECT_EQ(after, 0.0);
    bool checked = false;
    for (const SwapReport& r : b.take_reports()) {
        if (r.program.rfind("state of", 0) == 0) {
            EXPECT_TRUE(r.committed);
            EXPECT_FALSE(r.crossfade);
            EXPECT_EQ(r.reset, 0);
            EXPECT_TRUE(r.migration_errors.empty()) << r.migration_errors.front();
            checked = r.migration_checked;
        }
    }
    EXPECT_TRUE(checked);

    // another program's state is refused (nothing of it fits), unless partial
    auto other = compile_local(other_program);
    ASSERT_TRUE(other);
    StateSnapshot foreign;
    foreign.factory = other;
    foreign.bytes.assign(other->state_bytes(), std::byte{0});
    EXPECT_EQ(b.submit_state(foreign, nullptr, &error), 0u);
    EXPECT_NE(error.find("does not fit"), std::string::npos) << error;
    EXPECT_NE(b.submit_state(foreign, nullptr, &error, true), 0u) << error;
}

// ---- the server: GET/PUT .../state, POST .../process ----

/// A server on 127.0.0.1:port with one compile worker and the server's
/// default rate limits (the HTTP block path's requests have their own bucket).
struct Served : test::Served {
    explicit Served(int port) : test::Served(port, one_worker(), serve::ServerOptions{}) {
    }
    static serve::ServiceOptions one_worker() {
        serve::ServiceOptions vo;
        vo.jobs = 1;
        return vo;
    }
};

std::shared_ptr<const remote::RemoteFactory> remote_factory(const remote::Endpoint& e,
                                                            const char* text) {
    auto c = remote::RemoteFactory::create(e, test::bundle_of("move.dsp", text));
    EXPECT_TRUE(c.ok());
    return c.factory;
}

void remote_blocks(remote::RemoteInstance& r, int blocks, std::vector<std::vector<float>>* out) {
    std::vector<float> in(block, 0.0f), l(block), rr(block);
    const float* ins[1] = {in.data()};
    float* outs[2] = {l.data(), rr.data()};
    for (int b = 0; b < blocks; ++b) {
        r.process_block(block, ins, outs);
        if (out != nullptr) {
            (*out)[0].insert((*out)[0].end(), l.begin(), l.end());
            (*out)[1].insert((*out)[1].end(), rr.begin(), rr.end());
        }
    }
}

TEST(ServeState, GetAndPutCarryTheStateBetweenInstances) {
    Served s(28510);
    ASSERT_TRUE(s.started);
    auto f = remote_factory(s.endpoint, moving_program);
    ASSERT_TRUE(f);
    auto a = f->create_remote_instance(rate, block);
    auto b = f->create_remote_instance(rate, block);
    remote_blocks(*a, 50, nullptr);
    StateImage image = a->read_state_image();
    EXPECT_EQ(image.frame, std::uint64_t(50 * block)); // the server engine's frame
    EXPECT_EQ(image.bytes.size(), f->state_bytes());
    const std::uint64_t committed = b->write_state_image(image);
    EXPECT_EQ(committed, 0u); // b had computed nothing yet
    std::vector<std::vector<float>> oa(2), ob(2);
    remote_blocks(*a, 20, &oa);
    remote_blocks(*b, 20, &ob);
    EXPECT_EQ(max_diff(oa, 0, ob, 0, oa[0].size()), 0.0);
    EXPECT_GT(max_diff(oa, 0, std::vector<std::vector<float>>(2, std::vector<float>(oa[0].size())),
                       0, oa[0].size()),
              0.1); // not silence

    // the Instance interface: read_state/write_state of raw blocks
    std::vector<std::byte> raw(f->state_bytes());
    a->read_state(raw);
    b->write_state(raw);
    oa.assign(2, {});
    ob.assign(2, {});
    remote_blocks(*a, 5, &oa);
    remote_blocks(*b, 5, &ob);
    EXPECT_EQ(max_diff(oa, 0, ob, 0, oa[0].size()), 0.0);
    std::vector<std::byte> small(3);
    EXPECT_THROW(a->read_state(small), remote::RemoteError);

    // malformed and mismatched states are 4xx with a message; the server goes on
    remote::Client client(s.endpoint);
    remote::Response r = client.request("PUT", "/v1/instances/" + b->id() + "/state", "garbage",
                                        "application/x-tutti-state");
    EXPECT_EQ(r.status, 400);
    EXPECT_NE(r.body.find("state image"), std::string::npos) << r.body;
    std::string enc = encode_state_image(image);
    r = client.request("PUT", "/v1/instances/" + b->id() + "/state", enc.substr(0, enc.size() / 2),
                       "application/x-tutti-state");
    EXPECT_EQ(r.status, 400) << r.body;
    auto other = remote_factory(s.endpoint, other_program);
    ASSERT_TRUE(other);
    StateImage foreign;
    foreign.layout = other->info();
    foreign.bytes.assign(other->state_bytes(), std::byte{0});
    try {
        b->write_state_image(foreign);
        ADD_FAILURE() << "another program's state was taken";
    } catch (const remote::RemoteError& e) {
        EXPECT_EQ(e.status(), 409);
        EXPECT_NE(std::string(e.what()).find("does not fit"), std::string::npos) << e.what();
    }
    r = client.request("POST", "/v1/instances/" + b->id() + "/process?frames=64", "x");
    EXPECT_EQ(r.status, 400) << r.body;
    r = client.request("POST", "/v1/instances/" + b->id() + "/process", "");
    EXPECT_EQ(r.status, 400) << r.body;
    b->start();
    r = client.request("POST", "/v1/instances/" + b->id() + "/process?frames=64",
                       std::string(64 * 4, '\0'));
    EXPECT_EQ(r.status, 409) << r.body;
    // a running instance's state is read at one of its engine's boundaries
    StateImage running = b->read_state_image();
    EXPECT_GE(running.frame, std::uint64_t(25 * block));
    b->stop();
    EXPECT_EQ(client.request("GET", "/v1/health").status, 200);
}

// ---- the move ----

TEST(Move, ToTheServerAndBackContinuesTheUnmovedRender) {
    Served s(28520);
    ASSERT_TRUE(s.started);
    auto local = compile_local(moving_program);
    auto rf = remote_factory(s.endpoint, moving_program);
    ASSERT_TRUE(local && rf);
    const int blocks = 240, k = 40, m = 160, latency_blocks = 3;
    const int latency = latency_blocks * block;
    auto unmoved = render_engine(local, blocks);

    Engine engine(engine_options(1, 2));
    std::string error;
    ASSERT_TRUE(engine.wait_prepared(engine.submit(local, "move.dsp", &error)));
    move::MoverOptions mo;
    mo.inputs = 1;
    mo.outputs = 2;
    mo.max_block = block;
    mo.sample_rate = rate;
    mo.crossfade_ms = 2; // 96 frames
    move::Mover mover(engine, mo);
    auto remote = rf->create_remote_instance(rate, block);
    move::OfflineLink link(*remote, 1, 2, latency, block);
    move::MoveResult out, back;
    auto moved = render(
        2, blocks, [&](const float* const* in, float* const* o) { mover.process(block, in, o); },
        [&](int b) {
            if (b == k) {
                out = mover.move_out(*remote, link, true);
                ASSERT_TRUE(out.ok) << out.error;
            }
            if (b == m) {
                ASSERT_EQ(mover.where(), move::Mover::Where::Remote);
                back = mover.move_back(*remote, true);
                ASSERT_TRUE(back.ok) << back.error;
            }
        });
    ASSERT_TRUE(out.ok && back.ok);
    EXPECT_EQ(mover.where(), move::Mover::Where::Local);
    EXPECT_EQ(link.failures(), 0u) << link.last_error();
    const std::size_t fade = std::size_t(std::lround(mo.crossfade_ms * 1e-3 * rate));
    const std::size_t kf = std::size_t(k) * block, mf = std::size_t(m) * block;
    EXPECT_EQ(out.state_frame, kf);
    EXPECT_EQ(out.switch_frame, kf + std::size_t(latency));
    EXPECT_EQ(back.state_frame, mf);
    // before the move: the program itself
    const double before = max_diff(moved, 0, unmoved, 0, kf + latency);
    // on the server, after the crossfade: the program delayed by the latency
    const std::size_t r0 = kf + std::size_t(latency) + fade;
    const double remote_part = max_diff(moved, r0, unmoved, r0 - std::size_t(latency), mf - r0);
    // back, after the crossfade: the program itself again (the latency taken back)
    const std::size_t l0 = mf + fade;
    const double after = max_diff(moved, l0, unmoved, l0, moved[0].size() - l0);
    // what a reset would have given: the unmoved render against the moved one unshifted
    const double unshifted = max_diff(moved, r0, unmoved, r0, mf - r0);
    std::printf("move: state %.0f bytes; out at frame %zu (block %d), link latency %d frames "
                "(%d blocks of %d), crossfade %zu frames, switched at frame %llu; back at frame "
                "%zu (block %d), caught up %d frames\n",
                out.state_bytes, kf, k, latency, latency_blocks, block, fade,
                static_cast<unsigned long long>(out.switch_frame), mf, m, back.catch_up_frames);
    std::printf("move: max |diff| before the move %g; on the server vs unmoved delayed by %d "
                "frames %g (%zu frames); back home vs unmoved %g (%zu frames); on the server vs "
                "unmoved not delayed %g\n",
                before, latency, remote_part, mf - r0, after, moved[0].size() - l0, unshifted);
    EXPECT_EQ(before, 0.0);
    EXPECT_EQ(remote_part, 0.0);
    EXPECT_EQ(after, 0.0);
    EXPECT_GT(unshifted, 0.01); // the comparison sees a shift (and would see a reset)
    // the crossfades stay within the signal's range (no click from silence)
    for (std::size_t i = kf; i < l0; ++i) {
        EXPECT_LE(std::fabs(moved[0][i]), 2.0f) << i;
    }
}

/// A polyphonic program (declare nvoices): each voice a phase at its key's
/// frequency through an envelope that follows its gate, and a feedback delay
/// line of 1000 samples excited by the gate's onset: state per voice that a
/// reset, a lost voice or a voice moved to another slot shows.
const char* poly_program = "declare nvoices \"4\";\n"
                           "freq = hslider(\"freq\", 440, 20, 4000, 1);\n"
                           "gate = button(\"gate\");\n"
                           "gain = hslider(\"gain\", 0.5, 0, 1, 0.01);\n"
                           "phase = (+(freq / 48000) : \\(x).(x - int(x))) ~ _;\n"
                           "env = gate : *(0.01) : + ~ *(0.99);\n"
                           "onset = gate - gate' : max(0);\n"
                           "ring = onset : (+ : @(999)) ~ *(0.9);\n"
                           "voice = (phase - 0.5) * env * gain + ring * gain;\n"
                           "process = voice <: _, *(0.5);\n";

TEST(Move, APolyphonicProgramMovesWithItsVoicesAndAllocator) {
    // voices playing and one releasing when it moves; a key-on after the move
    // back must steal the voice the allocator says (its dates came back too)
    Served s(31030);
    ASSERT_TRUE(s.started);
    CompileResult lc = compile_instrument(ProgramSource{false, "poly.dsp", poly_program});
    ASSERT_TRUE(lc.ok());
    auto local = lc.factory;
    ASSERT_EQ(local->info().voices, 4);
    remote::RemoteCompileOptions co;
    co.voices = 0; // as the program declares
    auto created =
        remote::RemoteFactory::create(s.endpoint, test::bundle_of("poly.dsp", poly_program), co);
    ASSERT_TRUE(created.ok());
    auto rf = created.factory;
    EXPECT_EQ(rf->info().voices, 4);
    EXPECT_EQ(rf->state_bytes(), local->state_bytes());
    const int blocks = 240, k = 40, m = 160, latency = 3 * block;
    // notes: 3 keys on, one off before the move; after the move back, 3 more
    // keys on (4 voices: the last steals by the allocator's dates)
    auto notes = [](int b, const std::function<void(NoteEvent)>& play) {
        auto on = [&](int key) { play(NoteEvent{NoteEvent::Type::On, 0, std::uint8_t(key), 100}); };
        if (b == 5) {
            on(60);
            on(64);
        }
        if (b == 12) {
            on(67);
        }
        if (b == 30) {
            play(NoteEvent{NoteEvent::Type::Off, 0, 64, 0});
        }
        if (b == 200) {
            on(72);
            on(76);
        }
        if (b == 210) {
            on(79);
        }
    };
    auto note_change = [](NoteEvent n) {
        ParameterChange pc;
        pc.is_note = true;
        pc.note = n;
        return pc;
    };
    std::vector<std::vector<float>> unmoved;
    {
        Engine e(engine_options(1, 2));
        std::string error;
        ASSERT_TRUE(e.wait_prepared(e.submit(local, "poly.dsp", &error))) << error;
        unmoved = render(
            2, blocks,
            [&](const float* const* in, float* const* out) {
                e.process(block, reinterpret_cast<const void* const*>(in),
                          reinterpret_cast<void* const*>(out));
            },
            [&](int b) {
                notes(b, [&](NoteEvent n) { e.push(note_change(n)); });
                // played while the program is on the server: there at the
                // start of the next block (sent by the control thread)
                if (b == 101) {
                    e.push(note_change(NoteEvent{NoteEvent::Type::On, 0, 84, 90}));
                }
                if (b == 121) {
                    e.push(note_change(NoteEvent{NoteEvent::Type::Off, 0, 60, 0}));
                }
            });
    }
    move::ControlForward fwd;
    EngineOptions eo = engine_options(1, 2);
    eo.change_observer = &fwd;
    Engine engine(eo);
    std::string error;
    ASSERT_TRUE(engine.wait_prepared(engine.submit(local, "poly.dsp", &error))) << error;
    std::size_t notes_sent = 0;
    move::MoverOptions mo;
    mo.inputs = 1;
    mo.outputs = 2;
    mo.max_block = block;
    mo.sample_rate = rate;
    mo.crossfade_ms = 2;
    move::Mover mover(engine, mo);
    auto remote = rf->create_remote_instance(rate, block);
    move::OfflineLink link(*remote, 1, 2, latency, block);
    move::MoveResult out, back;
    auto moved = render(
        2, blocks, [&](const float* const* in, float* const* o) { mover.process(block, in, o); },
        [&](int b) {
            notes(b, [&](NoteEvent n) { engine.push(note_change(n)); });
            if (b == 100) { // played here while it is on the server
                engine.push(note_change(NoteEvent{NoteEvent::Type::On, 0, 84, 90}));
            }
            if (b == 120) {
                engine.push(note_change(NoteEvent{NoteEvent::Type::Off, 0, 60, 0}));
            }
            if (b == 101 || b == 121) { // the control thread: to the server
                for (const auto& c : fwd.drain()) {
                    ASSERT_TRUE(c.is_note);
                    remote->send_note(c.note);
                    ++notes_sent;
                }
            }
            if (b == k) {
                fwd.arm(true);
                out = mover.move_out(*remote, link, true);
                ASSERT_TRUE(out.ok) << out.error;
            }
            if (b == m) {
                fwd.arm(false);
                back = mover.move_back(*remote, true);
                ASSERT_TRUE(back.ok) << back.error;
            }
        });
    ASSERT_TRUE(out.ok && back.ok);
    EXPECT_EQ(notes_sent, 2u);
    EXPECT_EQ(link.failures(), 0u) << link.last_error();
    const std::size_t fade = std::size_t(std::lround(mo.crossfade_ms * 1e-3 * rate));
    const std::size_t kf = std::size_t(k) * block, mf = std::size_t(m) * block;
    const double before = max_diff(moved, 0, unmoved, 0, kf + latency);
    const std::size_t r0 = kf + std::size_t(latency) + fade;
    const double remote_part = max_diff(moved, r0, unmoved, r0 - std::size_t(latency), mf - r0);
    const std::size_t l0 = mf + fade;
    const double after = max_diff(moved, l0, unmoved, l0, moved[0].size() - l0);
    const double unshifted = max_diff(moved, r0, unmoved, r0, mf - r0);
    double peak = 0;
    for (std::size_t i = r0; i < mf; ++i) {
        peak = std::max(peak, std::fabs(double(moved[0][i])));
    }
    std::printf("move poly: %d voices, state %.0f bytes (voices, their controls and the "
                "allocator); max |diff| before 0 %g; on the server vs unmoved delayed by %d "
                "frames %g (peak %.3f; a key-on and a key-off played here while there, sent "
                "there); back home vs unmoved %g (%zu frames, with 3 key-ons after it, one "
                "stealing); not delayed %g\n",
                local->info().voices, out.state_bytes, before, latency, remote_part, peak, after,
                moved[0].size() - l0, unshifted);
    EXPECT_EQ(before, 0.0);
    EXPECT_EQ(remote_part, 0.0);
    EXPECT_EQ(after, 0.0);
    EXPECT_GT(peak, 0.05); // voices sound on the server
    EXPECT_GT(unshifted, 0.01);
    // POST .../note: bad notes are 400; a program without voices 409
    remote::Client client(s.endpoint);
    const std::string at = "/v1/instances/" + remote->id() + "/note";
    EXPECT_EQ(client.request("POST", at + "?type=up&key=60").status, 400);
    EXPECT_EQ(client.request("POST", at + "?type=on&key=128").status, 400);
    EXPECT_EQ(client.request("POST", at + "?type=on&key=60&channel=16").status, 400);
    EXPECT_EQ(client.request("GET", at + "?type=on&key=60").status, 405);
    auto mono = remote_factory(s.endpoint, moving_program)->create_remote_instance(rate, block);
    remote::Response r =
        client.request("POST", "/v1/instances/" + mono->id() + "/note?type=on&key=60");
    EXPECT_EQ(r.status, 409) << r.body;
    EXPECT_NE(r.body.find("not a polyphonic program"), std::string::npos) << r.body;
}

/// The real-time way: an audio thread paced at the block period calls the
/// mover; this thread moves the program out and back through the path
/// `make_path` makes. `ready` (may be empty): the audio thread waits until it
/// is true before a block while the path is in use (outside its audio
/// section), so that a loaded machine cannot make an answer late.
void move_while_playing(
    int port, const char* name,
    const std::function<std::unique_ptr<move::RemotePath>(remote::RemoteInstance&)>& make_path,
    const std::function<bool(const move::RemotePath&)>& ready,
    move::MoveResult* back_result = nullptr, const char* program = moving_program,
    const std::vector<Stamped>& changes = {}) {
    Served s(port);
    ASSERT_TRUE(s.started);
    auto local = compile_local(program);
    auto rf = remote_factory(s.endpoint, program);
    ASSERT_TRUE(local && rf);
    const int blocks = 480;
    auto unmoved = render_engine(local, blocks, changes);
    // the changes, set here while the program is on the server (stamped at
    // their frame: they go through the path at it)
    move::ControlForward fwd;
    EngineOptions eo = engine_options(1, 2);
    eo.change_observer = &fwd;
    Engine engine(eo);
    std::string error;
    const std::uint64_t generation = engine.submit(local, "move.dsp", &error);
    ASSERT_TRUE(engine.wait_prepared(generation));
    move::MoverOptions mo;
    mo.inputs = 1;
    mo.outputs = 2;
    mo.max_block = block;
    mo.sample_rate = rate;
    mo.crossfade_ms = 2;
    move::Mover mover(engine, mo);
    auto remote = rf->create_remote_instance(rate, block);
    std::unique_ptr<move::RemotePath> path = make_path(*remote);
    std::vector<std::vector<float>> moved(2, std::vector<float>(std::size_t(blocks) * block));
    std::atomic<int> waits_failed{0};
    std::thread audio([&] {
        std::vector<float> in(block, 0.0f);
        const float* ins[1] = {in.data()};
        auto next = std::chrono::steady_clock::now();
        for (int b = 0; b < blocks; ++b) {
            next += std::chrono::microseconds(1333);
            std::this_thread::sleep_until(next);
            if (ready && (mover.where() != move::Mover::Where::Local || mover.moving())) {
                const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
                while (!ready(*path) && std::chrono::steady_clock::now() < until) {
                    std::this_thread::sleep_for(std::chrono::microseconds(50));
                }
                if (!ready(*path)) {
                    waits_failed.fetch_add(1);
                }
            }
            float* outs[2] = {moved[0].data() + std::size_t(b) * block,
                              moved[1].data() + std::size_t(b) * block};
            mover.process(block, ins, outs);
        }
    });
    auto wait_frames = [&](std::uint64_t f) {
        while (mover.frames() < f) {
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
    };
    wait_frames(60 * block);
    fwd.route(&mover);
    fwd.arm(true);
    move::MoveResult out = mover.move_out(*remote, *path);
    for (const Stamped& c : changes) {
        ParameterChange pc;
        pc.generation = generation;
        pc.index = c.index;
        pc.value = c.value;
        pc.frame = c.frame;
        engine.push(pc);
    }
    wait_frames(300 * block);
    move::MoveResult back;
    bool home = false;
    if (out.ok) {
        while (mover.where() != move::Mover::Where::Remote) {
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
        back = mover.move_back(*remote);
        home = back.ok && mover.wait_local(std::chrono::seconds(5));
    }
    audio.join();
    fwd.route(nullptr);
    EXPECT_TRUE(fwd.drain().empty()); // none went the untimed way
    const std::uint64_t timed_sent = mover.timed_sent();
    const int path_latency = path->latency_frames();
    path->close();
    ASSERT_TRUE(out.ok) << out.error;
    ASSERT_TRUE(back.ok) << back.error;
    EXPECT_TRUE(home);
    EXPECT_EQ(waits_failed.load(), 0);
    EXPECT_EQ(tutti_rt_violations(), 0) << tutti_rt_first_violation();
    EXPECT_EQ(tutti_rt_checking(), 1); // the checker is in (not a TSan build)
    const std::size_t fade = std::size_t(std::lround(mo.crossfade_ms * 1e-3 * rate));
    const std::size_t n = moved[0].size();
    const std::size_t lat = std::size_t(out.latency_frames);
    const std::size_t s1 = out.switch_frame, s2 = back.switch_frame;
    ASSERT_LT(s1 + fade, s2);
    ASSERT_LT(s2 + fade, n);
    const double before = max_diff(moved, 0, unmoved, 0, s1);
    const double remote_part = max_diff(moved, s1 + fade, unmoved, s1 + fade - lat, s2 - s1 - fade);
    const double after = max_diff(moved, s2 + fade, unmoved, s2 + fade, n - s2 - fade);
    std::printf("move while playing (%s): state taken at frame %llu, hand-over %.2f ms, switched "
                "at frame %zu: latency %zu frames (path %d + hand-over %zu); back: server state "
                "at input frame %llu, caught up %d frames in one block, hand-over %.2f ms, "
                "switched at frame %zu\n",
                name, static_cast<unsigned long long>(out.state_frame), out.handoff_ms, s1, lat,
                path_latency, lat - std::size_t(path_latency),
                static_cast<unsigned long long>(back.state_frame), back.catch_up_frames,
                back.handoff_ms, s2);
    std::printf("move while playing (%s): max |diff| before %g; on the server vs unmoved delayed "
                "by %zu frames %g; back vs unmoved %g; the server's state identified by the "
                "link's cycle: %s, blocks concealed there %llu, skipped %lld frames\n",
                name, before, lat, remote_part, after, back.block_identified ? "yes" : "no",
                static_cast<unsigned long long>(back.concealed_blocks),
                static_cast<long long>(back.skipped_frames));
    if (back_result != nullptr) {
        *back_result = back;
    }
    if (!changes.empty()) {
        std::printf("move while playing (%s): %zu changes set here while away, %llu sent through "
                    "the link at their frame\n",
                    name, changes.size(), static_cast<unsigned long long>(timed_sent));
    }
    EXPECT_EQ(before, 0.0);
    EXPECT_EQ(remote_part, 0.0);
    EXPECT_EQ(after, 0.0);
}

TEST(Move, WhileAnAudioThreadPlaysThroughTheHttpBlockLink) {
    move_while_playing(
        28540, "http blocks",
        [](remote::RemoteInstance& r) {
            return std::make_unique<move::BlockLink>(r, 1, 2, block, 4);
        },
        [](const move::RemotePath& p) {
            return static_cast<const move::BlockLink&>(p).answer_ready();
        });
}

// The HTTP block link in real time at 64-frame blocks (750 a second), for 2 s,
// the audio thread never waiting for an answer: the blocks go in batched
// requests (under 1000 a second) that the server takes from the instance's own
// bucket, not the per-peer limit of 200 a second: no request is refused (before,
// every block beyond the burst of 400 was a 429 and silence), and every block
// answered in time equals the local render delayed by the link's latency (the
// blocks late under load are counted).
TEST(Move, HttpBlockLinkAt64FramesKeepsUpInRealTime) {
    Served s(28545);
    ASSERT_TRUE(s.started);
    auto local = compile_local(moving_program);
    auto rf = remote_factory(s.endpoint, moving_program);
    ASSERT_TRUE(local && rf);
    const int blocks = 1500, latency = 4;
    auto unmoved = render_engine(local, blocks);
    auto remote = rf->create_remote_instance(rate, block);
    move::BlockLink link(*remote, 1, 2, block, latency);
    link.start();
    std::vector<std::vector<float>> got(2, std::vector<float>(std::size_t(blocks) * block));
    std::vector<char> late(std::size_t(blocks), 0);
    std::vector<float> in(block, 0.0f);
    const float* ins[1] = {in.data()};
    auto next = std::chrono::steady_clock::now();
    for (int b = 0; b < blocks; ++b) {
        next += std::chrono::microseconds(1333);
        std::this_thread::sleep_until(next);
        float* outs[2] = {got[0].data() + std::size_t(b) * block,
                          got[1].data() + std::size_t(b) * block};
        const std::uint64_t before = link.late();
        link.process(block, ins, outs);
        late[std::size_t(b)] = link.late() != before;
    }
    link.stop();
    std::size_t late_blocks = 0, compared = 0;
    double diff = 0;
    for (int b = latency; b < blocks; ++b) {
        if (late[std::size_t(b)] != 0) {
            ++late_blocks;
            continue;
        }
        ++compared;
        diff = std::max(diff, max_diff(got, std::size_t(b) * block, unmoved,
                                       std::size_t(b - latency) * block, block));
    }
    std::printf("http block link at %d frames, %d blocks in real time (%.2f s): %llu requests "
                "(%.2f blocks each), %llu refused or failed, %zu late (silent), %llu dropped; "
                "%zu answered blocks vs the local render delayed by %d blocks: max |diff| %g\n",
                block, blocks, blocks * double(block) / rate,
                static_cast<unsigned long long>(link.requests()),
                double(blocks) / double(std::max<std::uint64_t>(link.requests(), 1)),
                static_cast<unsigned long long>(link.failures()), late_blocks,
                static_cast<unsigned long long>(link.dropped()), compared, latency, diff);
    // refused requests were the failure (429 beyond the per-peer burst); late
    // answers depend on the machine's load (a real-time deadline of 4 blocks,
    // 5.3 ms): counted and printed, not asserted
    EXPECT_EQ(link.failures(), 0u) << link.last_error();
    EXPECT_EQ(link.dropped(), 0u);
    EXPECT_GT(compared, std::size_t(blocks / 2));
    EXPECT_EQ(diff, 0.0);
    EXPECT_EQ(s.server->stats().rate_limited, 0u);
}

TEST(Move, WhileAnAudioThreadPlaysThroughTheNetJackLink) {
    move_while_playing(28550, "netjack",
                       [](remote::RemoteInstance& r) {
                           remote::LinkOptions lo;
                           lo.latency = 2;
                           lo.listen = "127.0.0.1:28650";
                           lo.reply_wait_ms = 500; // a loaded machine: wait rather than conceal
                           return std::make_unique<move::InstanceLink>(r, lo);
                       },
                       {});
}

TEST(Move, LostPacketsTowardTheServerKeepTheBlocksInStep) {
    // the NetJack link through a relay that loses every packet of the first
    // block the mover sends and of a block in the middle, on the way to the
    // server: the server's slave conceals them (computes them without their
    // input) rather than skipping them, so its blocks stay those the mover
    // sent; the state read on the way back says at which link cycle it was
    // taken, which agrees with the server's frame count, and how many blocks
    // were concealed (the program has no input: they change nothing)
    test::UdpRelay relay;
    std::atomic<int> lost_cycles{0};
    relay.drop = [&](const std::uint8_t* data, std::size_t size, bool to_master) {
        netjack::PacketHeader h;
        const char* why = nullptr;
        if (to_master || !netjack::decode_header(data, size, &h, &why)) {
            return false;
        }
        if (h.cycle == 1 || h.cycle == 40) {
            if (h.sub_cycle == 0) {
                lost_cycles.fetch_add(1);
            }
            return true;
        }
        return false;
    };
    ASSERT_TRUE(relay.start(31021, 31020, 0, 0));
    move::MoveResult back;
    move_while_playing(
        31010, "netjack, 2 blocks lost toward the server",
        [](remote::RemoteInstance& r) {
            remote::LinkOptions lo;
            lo.latency = 2;
            lo.listen = "127.0.0.1:31020";
            lo.master = "127.0.0.1:31021"; // the relay
            lo.reply_wait_ms = 500;
            return std::make_unique<move::InstanceLink>(r, lo);
        },
        {}, &back);
    relay.stop();
    EXPECT_GE(relay.dropped.load(), 2u);
    EXPECT_TRUE(back.block_identified) << back.skipped_frames;
    EXPECT_EQ(back.skipped_frames, 0);
    EXPECT_EQ(back.concealed_blocks, 2u);
}

TEST(MoveControls, StampedWhileOnTheServerLandOnTheirFrameThroughTheNetJackLink) {
    // gain changes stamped at frames inside blocks, set here while the
    // program plays on the server: they go through the link's controls at
    // their frame, so that the output equals the unmoved render with the same
    // changes, delayed by the latency, sample for sample
    const std::vector<Stamped> changes = {
        {200 * block + 37, 0, 0.25},
        {230 * block + 5, 0, 1.5},
        {250 * block + 63, 0, 0.6},
        // just before the move back: after the block the server's state is
        // taken at (not in it), set again here for the catch-up
        {298 * block + 10, 0, 0.9},
        {300 * block + 30, 0, 0.7}};
    move::MoveResult back;
    move_while_playing(
        31040, "netjack, gain changes inside blocks",
        [](remote::RemoteInstance& r) {
            remote::LinkOptions lo;
            lo.latency = 2;
            lo.listen = "127.0.0.1:31041";
            lo.reply_wait_ms = 500;
            return std::make_unique<move::InstanceLink>(r, lo);
        },
        {}, &back, gain_program, changes);
}

TEST(MoveControls, StampedWhileOnTheServerLandOnTheirFrameOffline) {
    // the same offline (OfflineLink: the block split at the change's frame),
    // and against the change at the start of its block (what the control
    // thread's forwarding gave): the frame matters
    Served s(31050);
    ASSERT_TRUE(s.started);
    auto local = compile_local(gain_program);
    auto rf = remote_factory(s.endpoint, gain_program);
    ASSERT_TRUE(local && rf);
    const int blocks = 240, k = 40, m = 160, latency = 3 * block;
    const std::vector<Stamped> changes = {{100 * block + 37, 0, 0.25}, {130 * block + 1, 0, 1.5}};
    std::vector<Stamped> at_block_start = changes;
    for (Stamped& c : at_block_start) {
        c.frame -= c.frame % block;
    }
    auto unmoved = render_engine(local, blocks, changes);
    auto unmoved_block_start = render_engine(local, blocks, at_block_start);
    move::ControlForward fwd;
    EngineOptions eo = engine_options(1, 2);
    eo.change_observer = &fwd;
    Engine engine(eo);
    std::string error;
    const std::uint64_t g = engine.submit(local, "move.dsp", &error);
    ASSERT_TRUE(engine.wait_prepared(g)) << error;
    move::MoverOptions mo;
    mo.inputs = 1;
    mo.outputs = 2;
    mo.max_block = block;
    mo.sample_rate = rate;
    mo.crossfade_ms = 2;
    move::Mover mover(engine, mo);
    fwd.route(&mover);
    auto remote = rf->create_remote_instance(rate, block);
    move::OfflineLink link(*remote, 1, 2, latency, block);
    auto moved = render(
        2, blocks, [&](const float* const* in, float* const* o) { mover.process(block, in, o); },
        [&](int b) {
            if (b == k) {
                fwd.arm(true);
                ASSERT_TRUE(mover.move_out(*remote, link, true).ok);
                for (const Stamped& c : changes) { // set here, stamped at their frame
                    ParameterChange pc;
                    pc.generation = g;
                    pc.index = c.index;
                    pc.value = c.value;
                    pc.frame = c.frame;
                    engine.push(pc);
                }
            }
            if (b == m) {
                fwd.arm(false);
                ASSERT_TRUE(mover.move_back(*remote, true).ok);
            }
        });
    fwd.route(nullptr);
    EXPECT_EQ(link.failures(), 0u) << link.last_error();
    EXPECT_EQ(mover.timed_sent(), changes.size());
    EXPECT_TRUE(fwd.drain().empty());
    const std::size_t fade = std::size_t(std::lround(mo.crossfade_ms * 1e-3 * rate));
    const std::size_t kf = std::size_t(k) * block, mf = std::size_t(m) * block;
    const std::size_t r0 = kf + std::size_t(latency) + fade;
    const double remote_part = max_diff(moved, r0, unmoved, r0 - std::size_t(latency), mf - r0);
    const double remote_block_start =
        max_diff(moved, r0, unmoved_block_start, r0 - std::size_t(latency), mf - r0);
    const std::size_t l0 = mf + fade;
    const double after = max_diff(moved, l0, unmoved, l0, moved[0].size() - l0);
    std::printf("move controls offline: gain 0.25 at frame %lld (block %d + 37), 1.5 at frame %lld "
                "(block %d + 1), set here while on the server; on the server vs unmoved with them, "
                "delayed by %d frames: max |diff| %g (%zu frames); vs unmoved with them at their "
                "block's start %g; back home vs unmoved %g, gain %g\n",
                static_cast<long long>(changes[0].frame), 100,
                static_cast<long long>(changes[1].frame), 130, latency, remote_part, mf - r0,
                remote_block_start, after, engine.playing_ui().values->value(0));
    EXPECT_EQ(remote_part, 0.0);
    EXPECT_GT(remote_block_start, 1e-3);
    EXPECT_EQ(after, 0.0);
    EXPECT_NEAR(engine.playing_ui().values->value(0), 1.5, 1e-6);
}

TEST(Move, RefusedMovesSayWhy) {
    Served s(28530);
    ASSERT_TRUE(s.started);
    auto local = compile_local(moving_program);
    auto rf = remote_factory(s.endpoint, other_program);
    ASSERT_TRUE(local && rf);
    Engine engine(engine_options(1, 2));
    std::string error;
    ASSERT_TRUE(engine.wait_prepared(engine.submit(local, "move.dsp", &error)));
    move::MoverOptions mo;
    mo.inputs = 1;
    mo.outputs = 2;
    mo.max_block = block;
    mo.sample_rate = rate;
    move::Mover mover(engine, mo);
    auto remote = rf->create_remote_instance(rate, block);
    move::OfflineLink link(*remote, 1, 1, block, block);
    render(2, 4, [&](const float* const* in, float* const* o) { mover.process(block, in, o); });
    move::MoveResult r = mover.move_back(*remote, true);
    EXPECT_FALSE(r.ok);
    EXPECT_NE(r.error.find("not playing on the server"), std::string::npos) << r.error;
    r = mover.move_out(*remote, link, true); // another program on the server
    EXPECT_FALSE(r.ok);
    EXPECT_NE(r.error.find("does not fit"), std::string::npos) << r.error;
    EXPECT_EQ(mover.where(), move::Mover::Where::Local);
}

TEST(MoveControls, AppliedWithoutComputingAndHandedToTheControlThread) {
    // a moved program's engine is not computed (the mover calls its process()
    // with 0 frames): the controls set meanwhile land all the same, and the
    // forwarder hands the armed ones to the control thread, nothing allocated
    auto f = compile_local("process = _ * hslider(\"gain\", 1, 0, 2, 0.01) * "
                           "hslider(\"pan\", 0.5, 0, 1, 0.01);\n");
    ASSERT_TRUE(f);
    move::ControlForward fwd(4);
    EngineOptions eo = engine_options(1, 1);
    eo.change_observer = &fwd;
    Engine engine(eo);
    std::string error;
    const std::uint64_t g = engine.submit(f, "gain.dsp", &error);
    ASSERT_TRUE(engine.wait_prepared(g)) << error;
    float in = 0, out = 0;
    const void* ins[1] = {&in};
    void* outs[1] = {&out};
    engine.process(1, ins, outs); // commits
    ASSERT_EQ(engine.playing_generation(), g);
    auto push = [&](std::uint32_t index, double value, std::uint32_t origin = 0) {
        ParameterChange c;
        c.generation = g;
        c.index = index;
        c.value = value;
        c.origin = origin;
        ASSERT_TRUE(engine.push(c));
    };
    push(0, 0.75); // not armed: applied, not kept
    engine.process(0, ins, outs);
    EXPECT_NEAR(engine.playing_ui().values->value(0), 0.75, 1e-6);
    fwd.arm(true);
    push(0, 0.5);
    push(1, 0.25);
    push(0, 0.3);
    push(1, 0.9, move::kMoveOrigin); // pushed back by the forwarder: not kept
    const std::uint64_t frames = engine.frames_processed();
    tutti_rt_reset();
    engine.process(0, ins, outs);
    EXPECT_EQ(tutti_rt_violations(), 0) << tutti_rt_first_violation();
    EXPECT_EQ(engine.frames_processed(), frames); // nothing computed
    auto values = engine.playing_ui().values;
    ASSERT_TRUE(values);
    const double gain = values->value(0), pan = values->value(1); // floats in the program
    EXPECT_NEAR(gain, 0.3, 1e-6);
    EXPECT_NEAR(pan, 0.9, 1e-6);
    auto changes = fwd.drain(); // the last value of each, in the order of the last change
    ASSERT_EQ(changes.size(), 2u);
    EXPECT_EQ(changes[0].index, 1u);
    EXPECT_DOUBLE_EQ(changes[0].value, 0.25);
    EXPECT_EQ(changes[1].index, 0u);
    EXPECT_DOUBLE_EQ(changes[1].value, 0.3);
    EXPECT_TRUE(fwd.drain().empty());
    for (int i = 0; i < 6; ++i) { // a full ring counts the rest as dropped
        push(0, 0.1 * i);
    }
    engine.process(0, ins, outs);
    EXPECT_EQ(fwd.dropped(), 2u);
    changes = fwd.drain();
    ASSERT_EQ(changes.size(), 1u);
    EXPECT_DOUBLE_EQ(changes[0].value, 0.1 * 3);
    std::printf("move controls: 2 changes applied with 0 frames computed (gain %.2f, pan %.2f), "
                "2 kept for the server; a ring of 4 with 6 changes dropped %llu\n",
                gain, pan, static_cast<unsigned long long>(fwd.dropped()));
}

TEST(MoveControls, SetWhileOnTheServerIsHeardThereAndComesBack) {
    // a control set in the local engine while the program is on the server
    // (what tutti play's OSC/HTTP/--set do) goes there through the forwarder:
    // the output on the server is the unmoved render with the same change,
    // delayed by the link; back home, the value is the one set
    const std::string head(moving_program, std::strstr(moving_program, "process"));
    const std::string program = head +
                                "gain = hslider(\"gain\", 1, 0, 2, 0.01);\n"
                                "process = (phase * 0.5 + echoes) * gain, count * 0.0001 * gain;\n";
    Served s(29610);
    ASSERT_TRUE(s.started);
    auto local = compile_local(program.c_str());
    auto rf = remote_factory(s.endpoint, program.c_str());
    ASSERT_TRUE(local && rf);
    const int blocks = 240, k = 40, c = 100, m = 160, latency = 3 * block;
    // the unmoved render, gain set to 0.25 at the frame the server takes it
    std::vector<std::vector<float>> unmoved;
    {
        Engine e(engine_options(1, 2));
        std::string error;
        const std::uint64_t g = e.submit(local, "move.dsp", &error);
        ASSERT_TRUE(e.wait_prepared(g)) << error;
        unmoved = render(
            2, blocks,
            [&](const float* const* in, float* const* out) {
                e.process(block, reinterpret_cast<const void* const*>(in),
                          reinterpret_cast<void* const*>(out));
            },
            [&](int b) {
                if (b == c + 1) {
                    ParameterChange pc;
                    pc.generation = g;
                    pc.index = 0;
                    pc.value = 0.25;
                    e.push(pc);
                }
            });
    }
    move::ControlForward fwd;
    EngineOptions eo = engine_options(1, 2);
    eo.change_observer = &fwd;
    Engine engine(eo);
    std::string error;
    const std::uint64_t g = engine.submit(local, "move.dsp", &error);
    ASSERT_TRUE(engine.wait_prepared(g)) << error;
    move::MoverOptions mo;
    mo.inputs = 1;
    mo.outputs = 2;
    mo.max_block = block;
    mo.sample_rate = rate;
    mo.crossfade_ms = 2;
    move::Mover mover(engine, mo);
    auto remote = rf->create_remote_instance(rate, block);
    move::OfflineLink link(*remote, 1, 2, latency, block);
    double on_server = -1;
    auto moved = render(
        2, blocks, [&](const float* const* in, float* const* o) { mover.process(block, in, o); },
        [&](int b) {
            if (b == k) {
                fwd.arm(true);
                ASSERT_TRUE(mover.move_out(*remote, link, true).ok);
            }
            if (b == c) { // set here (the engine is not computed: it lands all the same)
                ASSERT_EQ(mover.where(), move::Mover::Where::Remote);
                ParameterChange pc;
                pc.generation = engine.playing_generation();
                pc.index = 0;
                pc.value = 0.25;
                engine.push(pc);
            }
            if (b == c + 1) { // the control thread: to the server (its next block)
                for (const auto& ch : fwd.drain()) {
                    // the server answers 503 until its control plane knows the
                    // version the state made: play retries at its next poll
                    for (int attempt = 0;; ++attempt) {
                        try {
                            remote->set_parameter(ch.index, ch.value);
                            break;
                        } catch (const std::exception& x) {
                            ASSERT_LT(attempt, 200) << x.what();
                            std::this_thread::sleep_for(std::chrono::milliseconds(5));
                        }
                    }
                }
                on_server = remote->get_parameter(0);
            }
            if (b == m) {
                fwd.arm(false);
                ASSERT_TRUE(mover.move_back(*remote, true).ok);
            }
        });
    EXPECT_EQ(link.failures(), 0u) << link.last_error();
    EXPECT_EQ(mover.where(), move::Mover::Where::Local);
    const std::size_t fade = std::size_t(std::lround(mo.crossfade_ms * 1e-3 * rate));
    const std::size_t kf = std::size_t(k) * block, mf = std::size_t(m) * block;
    const std::size_t r0 = kf + std::size_t(latency) + fade;
    const double remote_part = max_diff(moved, r0, unmoved, r0 - std::size_t(latency), mf - r0);
    const std::size_t l0 = mf + fade;
    const double after = max_diff(moved, l0, unmoved, l0, moved[0].size() - l0);
    const double local_gain = engine.playing_ui().values->value(0);
    // the change is heard: against the unmoved render without it, they differ
    const std::size_t cf = std::size_t(c + 1) * block + std::size_t(latency);
    double unchanged_peak = 0, changed_peak = 0;
    for (std::size_t i = cf; i < mf; ++i) {
        changed_peak = std::max(changed_peak, std::fabs(double(moved[0][i])));
    }
    for (std::size_t i = r0; i < std::size_t(c) * block; ++i) {
        unchanged_peak = std::max(unchanged_peak, std::fabs(double(moved[0][i])));
    }
    std::printf("move controls: gain 0.25 set here at block %d while on the server; the server's "
                "value %g; on the server vs unmoved with the change, delayed by %d frames: max "
                "|diff| %g (%zu frames); peak before the change %.3f, after %.3f; back home: gain "
                "%g, vs unmoved %g (%zu frames)\n",
                c, on_server, latency, remote_part, mf - r0, unchanged_peak, changed_peak,
                local_gain, after, moved[0].size() - l0);
    EXPECT_EQ(on_server, 0.25);
    EXPECT_EQ(remote_part, 0.0);
    EXPECT_EQ(after, 0.0);
    EXPECT_NEAR(local_gain, 0.25, 1e-6);
    EXPECT_LT(changed_peak, 0.5 * unchanged_peak);
}

} // namespace
