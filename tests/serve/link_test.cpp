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

#include <chrono>
#include <cmath>
#include <thread>
#include <vector>

#include "remote/bundle.h"
#include "remote/client.h"
#include "serve/server.h"
#include "serve/service.h"
#include "tutti/compiler.h"
#include "tutti/engine.h"

namespace {

using namespace tutti;

struct Served {
    explicit Served(int port) {
        serve::ServiceOptions vo;
        vo.jobs = 1;
        service = std::make_unique<serve::Service>(vo);
        serve::ServerOptions so;
        so.port = port;
        server = std::make_unique<serve::Server>(*service, so);
        std::string error;
        started = server->start(&error);
        EXPECT_TRUE(started) << error;
        endpoint.port = port;
        endpoint.token = server->token();
    }
    ~Served() {
        server->stop();
        service.reset();
        server.reset();
    }
    std::unique_ptr<serve::Service> service;
    std::unique_ptr<serve::Server> server;
    remote::Endpoint endpoint;
    bool started = false;
};

remote::Bundle bundle_of(const std::string& name, const std::string& text) {
    std::string error;
    auto b = remote::expand_source(name, text, ".", {}, &error);
    EXPECT_TRUE(b) << error;
    return b ? *b : remote::Bundle{};
}

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
    lo.reply_wait_ms = 200; // an offline render: wait for every answer
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
    lo.reply_wait_ms = 200;
    inst->connect_audio(lo);
    std::vector<float> in(64, 0.0f), out(64);
    const float* ip[] = {in.data()};
    float* op[] = {out.data()};
    auto block = [&] {
        inst->compute(64, reinterpret_cast<const void* const*>(ip),
                      reinterpret_cast<void* const*>(op));
    };
    for (int k = 0; k < 50; ++k) {
        block();
    }
    const float before = out[63];
    EXPECT_EQ(before, float((50 - 3) * 64)); // the counter, 3 blocks late
    const std::string report = inst->swap(b.factory);
    EXPECT_NE(report.find("\"committed\":false"), std::string::npos) << report; // not played yet
    // the server's engine runs only when blocks come: the swap commits at the next one
    std::vector<float> seen;
    for (int k = 0; k < 10; ++k) {
        block();
        seen.push_back(out[63]);
    }
    // continuous: the old version for the blocks in flight, then twice the count
    bool doubled = false;
    for (float v : seen) {
        doubled = doubled || v > float(2 * 50 * 64);
    }
    EXPECT_TRUE(doubled);
    EXPECT_EQ(seen.back(), float(2 * (60 - 3) * 64)) << report;
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
    lo.reply_wait_ms = 200;
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

} // namespace
