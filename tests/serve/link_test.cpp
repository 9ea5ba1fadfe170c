// SPDX-License-Identifier: MIT
// The audio link of remote instances (issue 13; docs/serve-api.md, "The audio
// link"): a RemoteInstance's compute() carried over NetJack to the server's
// instance, which runs under a netjack-slave driver joining the client's
// RemoteProcessor. In-process server on 127.0.0.1, ports 28000-28099 (HTTP)
// and 28100-28199 (UDP of the links). The round trip equals a local render of
// the same program shifted by the link's latency, sample by sample (float);
// a control set at a frame lands at that frame; a swap on the server carries
// the state; a link to nobody times out with a clear error; stopping the
// instance stops the link; an Engine plays a linked RemoteFactory's instance
// as a local one.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <future>
#include <thread>
#include <vector>

#include "remote/bundle.h"
#include "remote/client.h"
#include "serve/served.h"
#include "serve/server.h"
#include "serve/service.h"
#include "tutti/compiler.h"
#include "tutti/engine.h"

namespace {

using namespace tutti;

/// A server on 127.0.0.1:port with one compile worker.
struct Served : test::Served {
    explicit Served(int port) : test::Served(port, one_worker()) {
    }
    static serve::ServiceOptions one_worker() {
        serve::ServiceOptions vo;
        vo.jobs = 1;
        return vo;
    }
};

using test::bundle_of;

std::shared_ptr<const Factory> local_factory(const std::string& text) {
    ProgramSource p;
    p.is_file = false;
    p.path_or_name = "prog.dsp";
    p.text = text;
    CompileResult r = compile_program(p);
    EXPECT_TRUE(r.factory) << (r.diagnostics.empty() ? "" : r.diagnostics[0].message);
    return r.factory;
}

// a delay line and a gain: the state and a control
const char* kProgram = "process = _ : @(37) : *(hslider(\"gain\", 0.5, 0, 1, 0.01));\n";

/// Mono input: an impulse at frame 3, then a sine from frame 2000.
std::vector<float> test_input(int frames) {
    std::vector<float> in(std::size_t(frames), 0.0f);
    in[3] = 1.0f;
    for (int i = 2000; i < frames; ++i) {
        in[std::size_t(i)] = float(0.5 * std::sin(2 * M_PI * 441.0 * i / 48000.0));
    }
    return in;
}

TEST(RemoteLink, RoundTripEqualsLocalRenderShifted) {
    Served s(28001);
    ASSERT_TRUE(s.started);
    auto created = remote::RemoteFactory::create(s.endpoint, bundle_of("prog.dsp", kProgram));
    ASSERT_TRUE(created.ok());
    auto inst = created.factory->create_remote_instance(48000, 64);
    remote::LinkOptions lo;
    lo.latency = 2;
    lo.listen = "127.0.0.1:28101";
    lo.reply_wait_ms = 2000; // an offline render: wait for every answer
    inst->connect_audio(lo);
    EXPECT_EQ(inst->latency_frames(), 3 * 64);
    EXPECT_NE(inst->link_json().find("\"period\":64"), std::string::npos) << inst->link_json();
    auto local = local_factory(kProgram)->create_instance();
    local->init(48000);

    const int frames = 64 * 200, latency = inst->latency_frames();
    const int change_at = 5000 + 17; // inside a block, not on a block boundary
    const std::vector<float> in = test_input(frames);
    std::vector<float> got(static_cast<std::size_t>(frames)), want(got.size());
    // uneven blocks: the link assembles its own
    int done = 0;
    for (int k = 0; done < frames; ++k) {
        int n = std::min(frames - done, k % 3 == 0 ? 64 : k % 3 == 1 ? 17 : 111);
        if (done < change_at && done + n > change_at) {
            n = change_at - done;
        }
        if (done == change_at) {
            inst->set_parameter(std::size_t(0), 0.25); // from the audio thread: at this frame
            local->set_parameter(std::size_t(0), 0.25);
        }
        const float* ip[] = {in.data() + done};
        float* op[] = {got.data() + done};
        inst->compute(n, reinterpret_cast<const void* const*>(ip),
                      reinterpret_cast<void* const*>(op));
        float* lp[] = {want.data() + done};
        local->compute(n, reinterpret_cast<const void* const*>(ip),
                       reinterpret_cast<void* const*>(lp));
        done += n;
    }
    double max_diff = 0;
    for (int i = 0; i < frames; ++i) {
        const float w = i >= latency ? want[std::size_t(i - latency)] : 0.0f;
        max_diff = std::max(max_diff, double(std::fabs(got[std::size_t(i)] - w)));
    }
    std::printf("round trip: latency %d frames (%d blocks of %d + 1 of assembly), max |diff| "
                "%g over %d frames, %llu blocks, %llu concealed\n",
                latency, inst->link_latency(), inst->link_period(), max_diff, frames,
                (unsigned long long)inst->link_blocks(),
                (unsigned long long)inst->link_concealed());
    EXPECT_EQ(max_diff, 0.0);
    EXPECT_EQ(inst->link_concealed(), 0u);
    // the impulse came back at 3 + 37 + latency with gain 0.5, the change landed
    EXPECT_EQ(got[std::size_t(3 + 37 + latency)], 0.5f);
    EXPECT_EQ(inst->get_parameter(std::size_t(0)), 0.25);
    // stopping the instance stops the link
    remote::Client client(s.endpoint);
    EXPECT_NE(client.call("GET", "/v1/instances/" + inst->id()).body.find("\"link\":{"),
              std::string::npos);
    inst->disconnect_audio();
    const std::string after = client.call("GET", "/v1/instances/" + inst->id()).body;
    EXPECT_NE(after.find("\"running\":false"), std::string::npos) << after;
    EXPECT_NE(after.find("\"link\":null"), std::string::npos) << after;
}

TEST(RemoteLink, Int16FormatCarriesTheAudioQuantised) {
    Served s(28006);
    ASSERT_TRUE(s.started);
    auto created = remote::RemoteFactory::create(s.endpoint, bundle_of("prog.dsp", kProgram));
    ASSERT_TRUE(created.ok());
    auto inst = created.factory->create_remote_instance(48000, 128);
    remote::LinkOptions lo;
    lo.latency = 1;
    lo.format = "int16";
    lo.listen = "127.0.0.1:28106";
    lo.reply_wait_ms = 2000;
    inst->connect_audio(lo);
    EXPECT_NE(inst->link_json().find("\"format\":\"int16\""), std::string::npos);
    auto local = local_factory(kProgram)->create_instance();
    local->init(48000);
    const int frames = 128 * 60, latency = inst->latency_frames();
    EXPECT_EQ(latency, 2 * 128);
    const std::vector<float> in = test_input(frames);
    std::vector<float> got(static_cast<std::size_t>(frames)), want(got.size());
    const float* ip[] = {in.data()};
    float* op[] = {got.data()};
    float* lp[] = {want.data()};
    for (int done = 0; done < frames; done += 128) {
        const float* i2[] = {ip[0] + done};
        float* o2[] = {op[0] + done};
        float* l2[] = {lp[0] + done};
        inst->compute(128, reinterpret_cast<const void* const*>(i2),
                      reinterpret_cast<void* const*>(o2));
        local->compute(128, reinterpret_cast<const void* const*>(i2),
                       reinterpret_cast<void* const*>(l2));
    }
    double max_diff = 0;
    for (int i = latency; i < frames; ++i) {
        max_diff = std::max(
            max_diff, double(std::fabs(got[std::size_t(i)] - want[std::size_t(i - latency)])));
    }
    std::printf("int16 link: latency %d frames, max |diff| %g (2 quantisations: %g)\n", latency,
                max_diff, 2.0 / 32767);
    EXPECT_LE(max_diff, 2.0 / 32767);
    EXPECT_GT(std::fabs(got[std::size_t(3 + 37 + latency)]), 0.49f); // the impulse came back
}

TEST(RemoteLink, ALinkToNobodyTimesOut) {
    Served s(28002);
    ASSERT_TRUE(s.started);
    auto created = remote::RemoteFactory::create(s.endpoint, bundle_of("prog.dsp", kProgram));
    ASSERT_TRUE(created.ok());
    auto inst = created.factory->create_remote_instance(48000, 64);
    remote::LinkOptions lo;
    lo.listen = "127.0.0.1:28102";
    lo.master = "127.0.0.1:28199"; // nobody there
    lo.timeout_s = 0.5;
    const auto t0 = std::chrono::steady_clock::now();
    try {
        inst->connect_audio(lo);
        FAIL() << "connected to nobody";
    } catch (const remote::RemoteError& e) {
        EXPECT_EQ(e.status(), 504) << e.what();
        EXPECT_NE(std::string(e.what()).find("no NetJack master answered at 127.0.0.1:28199"),
                  std::string::npos)
            << e.what();
    }
    EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(3));
    EXPECT_FALSE(inst->audio_linked());
    // links being made wait on threads of their own: with more of them than the
    // server has network threads (2), it still answers at once
    std::vector<std::future<void>> waiting;
    std::vector<std::unique_ptr<remote::RemoteInstance>> others;
    for (int i = 0; i < 3; ++i) {
        // a factory each: the instances of one share its connection (one request at a time)
        others.push_back(remote::RemoteFactory::lookup(s.endpoint, created.factory->content_key())
                             ->create_remote_instance(48000, 64));
        remote::LinkOptions lw = lo;
        lw.listen = "127.0.0.1:" + std::to_string(28110 + i);
        lw.timeout_s = 1.5;
        waiting.push_back(std::async(std::launch::async, [&, lw, i] {
            EXPECT_THROW(others[std::size_t(i)]->connect_audio(lw), remote::RemoteError);
        }));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    const auto h0 = std::chrono::steady_clock::now();
    remote::Client(s.endpoint).call("GET", "/v1/health");
    const double health_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - h0).count();
    for (auto& w : waiting) {
        w.get();
    }
    std::printf("health answered in %.1f ms while 3 links were being made\n", health_ms);
    EXPECT_LT(health_ms, 1000.0); // not after the links' 1.5 s
    // a bad link request: a clear 400
    remote::Client client(s.endpoint);
    auto r = client.request("POST", "/v1/instances/" + inst->id() + "/start",
                            "{\"link\":{\"latency\":2}}");
    EXPECT_EQ(r.status, 400);
    EXPECT_NE(r.body.find("port"), std::string::npos) << r.body;
    r = client.request("POST", "/v1/instances/" + inst->id() + "/start",
                       "{\"link\":{\"port\":1,\"format\":\"mp3\"}}");
    EXPECT_EQ(r.status, 400) << r.body;
}

TEST(RemoteLink, SwapCarriesStateOnTheServerThroughTheLink) {
    Served s(28003);
    ASSERT_TRUE(s.started);
    // a counter: after the swap it goes on from where it was (x2 in v2)
    const char* v1 = "process = _ * 0 + (+(1) ~ _);\n";
    const char* v2 = "process = _ * 0 + (+(1) ~ _) * 2;\n";
    auto a = remote::RemoteFactory::create(s.endpoint, bundle_of("count.dsp", v1));
    auto b = remote::RemoteFactory::create(s.endpoint, bundle_of("count.dsp", v2));
    ASSERT_TRUE(a.ok() && b.ok());
    auto inst = a.factory->create_remote_instance(48000, 64);
    remote::LinkOptions lo;
    lo.listen = "127.0.0.1:28103";
    lo.reply_wait_ms = 2000;
    inst->connect_audio(lo);
    std::vector<float> in(64, 0.0f), out(64);
    const float* ip[] = {in.data()};
    float* op[] = {out.data()};
    auto block = [&] {
        inst->compute(64, reinterpret_cast<const void* const*>(ip),
                      reinterpret_cast<void* const*>(op));
    };
    // the link comes up with the blocks the caller sends (paced here about as
    // an audio thread of 64-frame blocks would be), and the server's engine
    // answers silence until it joined and its version plays (on a loaded
    // machine, many blocks): count from its first sound on
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    int n = 0; // blocks computed so far
    do {
        block();
        ++n;
        if (out[63] == 0.0f) {
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
    } while (out[63] == 0.0f && std::chrono::steady_clock::now() < give_up);
    ASSERT_NE(out[63], 0.0f) << "the counter never came back through the link";
    const int lag = n - int(out[63]) / 64; // blocks from one sent to its count: 3 when idle
    EXPECT_GE(lag, 3);
    bool counting = true;
    for (int k = 0; k < 50; ++k) {
        block();
        ++n;
        counting = counting && out[63] == float((n - lag) * 64);
    }
    EXPECT_TRUE(counting) << "the counter, " << lag << " blocks late, skipped or repeated";
    // the swap is asked from a control thread while blocks keep flowing (as
    // an audio thread would send them): the server's engine commits it at a
    // block boundary and the counter goes on, doubled, from where it was
    auto swapping = std::async(std::launch::async, [&] { return inst->swap(b.factory); });
    bool single = true, doubled = false, continuous = true;
    while (swapping.wait_for(std::chrono::seconds(0)) != std::future_status::ready && n < 8000) {
        block();
        ++n;
        const float one = float((n - lag) * 64), two = 2 * one;
        continuous = continuous && (out[63] == one || out[63] == two);
        if (out[63] == two) {
            doubled = true;
        } else if (doubled) {
            single = false; // back to the old version after the new one played
        }
    }
    const std::string report = swapping.get();
    EXPECT_NE(report.find("\"carried\":1"), std::string::npos) << report;
    for (int k = 0; k < 10; ++k) { // blocks in flight: the new version's by now
        block();
        ++n;
        const float one = float((n - lag) * 64), two = 2 * one;
        continuous = continuous && (out[63] == one || out[63] == two);
        doubled = doubled || out[63] == two;
    }
    EXPECT_TRUE(continuous) << report; // every block the old or the new version of one count
    EXPECT_TRUE(single) << report;     // once doubled, never back
    EXPECT_TRUE(doubled) << report;
    EXPECT_EQ(out[63], float(2 * (n - lag) * 64)) << report;
}

// Bargraphs come back through the link (ports 30530, UDP 30531): the server
// sends the playing version's bargraph values in the link's control channel,
// so value() and get_parameter() read a remote meter here, without a request.
TEST(RemoteLink, BargraphsComeBackThroughTheLink) {
    Served s(30530);
    ASSERT_TRUE(s.started);
    const char* metered = "g = hslider(\"gain\", 0.5, 0, 1, 0.01);\n"
                          "process = _ * g : hbargraph(\"level\", 0, 2);\n";
    auto created = remote::RemoteFactory::create(s.endpoint, bundle_of("meter.dsp", metered));
    ASSERT_TRUE(created.ok());
    auto inst = created.factory->create_remote_instance(48000, 64);
    remote::LinkOptions lo;
    lo.latency = 2;
    lo.listen = "127.0.0.1:30531";
    lo.reply_wait_ms = 2000;
    inst->connect_audio(lo);
    std::vector<float> in(64, 1.0f), out(64);
    auto run = [&](int blocks) {
        for (int b = 0; b < blocks; ++b) {
            const float* ip[] = {in.data()};
            float* op[] = {out.data()};
            inst->compute(64, reinterpret_cast<const void* const*>(ip),
                          reinterpret_cast<void* const*>(op));
        }
    };
    const auto& ps = created.factory->parameters();
    std::size_t level = 0;
    while (level < ps.size() && !ps[level].named("level")) {
        ++level;
    }
    ASSERT_LT(level, ps.size());
    // until the server joined and its blocks come back
    for (int i = 0; i < 2000 && out[63] != 0.5f; ++i) {
        run(1);
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    ASSERT_EQ(out[63], 0.5f);
    run(50);
    const std::size_t before = s.server->stats().requests;
    EXPECT_FLOAT_EQ(float(inst->value("/meter/level")), 0.5f);
    EXPECT_TRUE(inst->set_parameter("gain", 0.75)); // through the link, no request
    run(50);
    EXPECT_FLOAT_EQ(float(inst->value("level")), 0.75f);
    EXPECT_FLOAT_EQ(float(inst->get_parameter(level)), 0.75f);
    EXPECT_FLOAT_EQ(out[63], 0.75f);
    EXPECT_EQ(s.server->stats().requests, before); // read here: no request
    std::printf("bargraphs through the link: level %g here after gain 0.75 was set, %llu values "
                "received over %llu blocks, %zu requests meanwhile\n",
                inst->value("level"), (unsigned long long)inst->link_meters_received(),
                (unsigned long long)inst->link_blocks(), s.server->stats().requests - before);
    EXPECT_GT(inst->link_meters_received(), 0u);
    EXPECT_LT(inst->link_meters_received(), inst->link_blocks()); // throttled
    inst->disconnect_audio();
}

TEST(RemoteLink, AnEngineRunsALinkedRemoteFactory) {
    Served s(28004);
    ASSERT_TRUE(s.started);
    auto created = remote::RemoteFactory::create(s.endpoint, bundle_of("prog.dsp", kProgram));
    ASSERT_TRUE(created.ok());
    remote::LinkOptions lo;
    lo.period = 64;
    lo.latency = 1;
    lo.listen = "127.0.0.1:28104";
    lo.reply_wait_ms = 2000;
    created.factory->link_instances(lo);
    EngineOptions eo;
    eo.sample_rate = 48000;
    eo.max_block = 64;
    eo.inputs = 1;
    eo.outputs = 1;
    Engine remote_engine(eo), local_engine(eo);
    std::string error;
    const auto g = remote_engine.submit(created.factory, "remote", &error);
    ASSERT_NE(g, 0u) << error;
    ASSERT_TRUE(remote_engine.wait_prepared(g));
    const auto gl = local_engine.submit(local_factory(kProgram), "local", &error);
    ASSERT_TRUE(local_engine.wait_prepared(gl));
    const int frames = 64 * 100, latency = 2 * 64;
    const std::vector<float> in = test_input(frames);
    std::vector<float> got(static_cast<std::size_t>(frames)), want(got.size());
    for (int done = 0; done < frames; done += 64) {
        if (done == 64 * 50) { // a change at a frame inside the block
            remote_engine.set_parameter_at(done + 20, "gain", 0.75);
            local_engine.set_parameter_at(done + 20, "gain", 0.75);
        }
        const float* ip[] = {in.data() + done};
        float* op[] = {got.data() + done};
        float* lp[] = {want.data() + done};
        remote_engine.process(64, reinterpret_cast<const void* const*>(ip),
                              reinterpret_cast<void* const*>(op));
        local_engine.process(64, reinterpret_cast<const void* const*>(ip),
                             reinterpret_cast<void* const*>(lp));
    }
    double max_diff = 0;
    for (int i = latency; i < frames; ++i) {
        max_diff = std::max(
            max_diff, double(std::fabs(got[std::size_t(i)] - want[std::size_t(i - latency)])));
    }
    std::printf("engine over the link: latency %d frames, max |diff| %g\n", latency, max_diff);
    EXPECT_EQ(max_diff, 0.0);
    EXPECT_EQ(*remote_engine.control_value("gain"), 0.75);
}

TEST(RemoteLink, AnEngineRefusesARemoteVersionWhoseLinkCannotBeMade) {
    Served s(28005);
    ASSERT_TRUE(s.started);
    auto created = remote::RemoteFactory::create(s.endpoint, bundle_of("prog.dsp", kProgram));
    ASSERT_TRUE(created.ok());
    remote::LinkOptions lo;
    lo.listen = "127.0.0.1:28105";
    lo.master = "127.0.0.1:28198"; // the server looks for us elsewhere: nobody answers
    lo.timeout_s = 0.3;
    created.factory->link_instances(lo);
    EngineOptions eo;
    eo.sample_rate = 48000;
    eo.inputs = 1;
    eo.outputs = 1;
    Engine engine(eo);
    std::string error;
    EXPECT_EQ(engine.submit(created.factory, "remote", &error), 0u);
    EXPECT_NE(error.find("no NetJack master answered at 127.0.0.1:28198"), std::string::npos)
        << error;
    bool reported = false;
    for (const SwapReport& r : engine.take_reports()) {
        reported = reported || (!r.compiled && !r.diagnostics.empty() &&
                                r.diagnostics[0].id == "prepare_failed");
    }
    EXPECT_TRUE(reported);
    remote::Client client(s.endpoint);
    EXPECT_EQ(client.call("GET", "/v1/instances").body, "{\"instances\":[]}"); // none left
}

TEST(RemoteLink, AKilledServerSilencesTheLinkAndTheClientPlaysOn) {
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        std::freopen("/dev/null", "w", stdout);
        std::freopen("/dev/null", "w", stderr);
        ::execl((std::string(TUTTI_BINARY_DIR) + "/bin/tutti").c_str(), "tutti", "serve", "--port",
                "28020", "--jobs", "1", "--no-advertise", static_cast<char*>(nullptr));
        std::_Exit(127);
    }
    remote::Endpoint e;
    e.port = 28020;
    e.timeout = std::chrono::milliseconds(5000);
    bool up = false;
    for (int i = 0; i < 500 && !up; ++i) {
        try {
            remote::Client(e).call("GET", "/v1/health");
            up = true;
        } catch (const remote::RemoteError&) {
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
    }
    ASSERT_TRUE(up);
    const char* counter = "process = _ * 0 + (+(1) ~ _);\n";
    auto created = remote::RemoteFactory::create(e, bundle_of("count.dsp", counter));
    ASSERT_TRUE(created.ok());
    auto inst = created.factory->create_remote_instance(48000, 64);
    remote::LinkOptions lo;
    lo.listen = "127.0.0.1:28120";
    inst->connect_audio(lo);
    std::vector<float> in(64, 0.0f), out(64);
    const float* ip[] = {in.data()};
    float* op[] = {out.data()};
    // real time: the client's "audio thread" paced by the clock
    auto play = [&](double seconds, double* worst_ms) {
        const auto t0 = std::chrono::steady_clock::now();
        auto next = t0;
        while (std::chrono::steady_clock::now() - t0 < std::chrono::duration<double>(seconds)) {
            const auto c0 = std::chrono::steady_clock::now();
            inst->compute(64, reinterpret_cast<const void* const*>(ip),
                          reinterpret_cast<void* const*>(op));
            *worst_ms = std::max(*worst_ms, std::chrono::duration<double, std::milli>(
                                                std::chrono::steady_clock::now() - c0)
                                                .count());
            next += std::chrono::microseconds(1333);
            std::this_thread::sleep_until(next);
        }
    };
    double worst = 0;
    play(0.5, &worst);
    EXPECT_TRUE(inst->audio_connected());
    EXPECT_GT(out[63], 0.0f); // the counter plays
    ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
    worst = 0;
    const auto killed = std::chrono::steady_clock::now();
    while (inst->audio_connected() &&
           std::chrono::steady_clock::now() - killed < std::chrono::seconds(5)) {
        play(0.1, &worst);
    }
    const double lost_after =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - killed).count();
    EXPECT_FALSE(inst->audio_connected());
    play(0.3, &worst);
    std::printf("killed server: the link noticed after %.2f s; compute() took %.2f ms at worst "
                "(a block is 1.33 ms; the reply wait half of it); %llu blocks concealed\n",
                lost_after, worst, (unsigned long long)inst->link_concealed());
    EXPECT_LT(worst, 250.0);  // no hang: the reply wait (plus a loaded machine), not seconds
    EXPECT_EQ(out[10], 0.0f); // silence after the server went
    try {
        inst->swap(created.factory);
        FAIL() << "a swap reached a killed server";
    } catch (const remote::RemoteError& err) {
        EXPECT_EQ(err.status(), 0);
        EXPECT_NE(std::string(err.what()).find("127.0.0.1:28020"), std::string::npos) << err.what();
    }
    inst.reset(); // no throw, no hang with the server gone
}

} // namespace
