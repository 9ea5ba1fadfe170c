// SPDX-License-Identifier: MIT
// The client half of the two-host test (remote_two_hosts.sh; issue 13), run on
// host B against a `tutti serve` on host A:
//   link_client HOST:PORT TOKEN
// creates a factory from a bundle (printed: key, compile time), lists the
// server's factories, makes an instance, links its audio (NetJack, float) and
// plays an impulse and a sine through it, comparing every sample with a local
// render of the same program shifted by the link's latency; moves a control
// at a frame inside a block (the local render moves it at the same frame);
// then swaps in an edit on the server while blocks flow (a second thread
// asks for the swap) and checks that the counter and the delay line went on
// (state carried there). One line per step ("transcript"); exit 0 when every
// check held, 1 otherwise.
#include <atomic>
#include <cmath>
#include <cstdio>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "remote/bundle.h"
#include "remote/client.h"
#include "tutti/compiler.h"

using namespace tutti;

namespace {

// channel 0: a delay line and a gain (state + control); channel 1: a counter
const char* kV1 = "process = _ <: (@(37) : *(hslider(\"gain\", 0.5, 0, 1, 0.01))),\n"
                  "               (_ * 0 + (+(1) ~ _));\n";
// the edit: the counter doubled, channel 0 the same
const char* kV2 = "process = _ <: (@(37) : *(hslider(\"gain\", 0.5, 0, 1, 0.01))),\n"
                  "               ((_ * 0 + (+(1) ~ _)) * 2);\n";

std::shared_ptr<const Factory> local(const char* text) {
    ProgramSource p;
    p.is_file = false;
    p.path_or_name = "prog.dsp";
    p.text = text;
    CompileResult r = compile_program(p);
    if (!r.factory) {
        std::fprintf(stderr, "local compile failed\n");
        std::exit(1);
    }
    return r.factory;
}

remote::Bundle bundle(const char* text) {
    std::string error;
    auto b = remote::expand_source("prog.dsp", text, ".", {}, &error);
    if (!b) {
        std::fprintf(stderr, "bundle: %s\n", error.c_str());
        std::exit(1);
    }
    return *b;
}

float input_at(int i) {
    if (i == 3) {
        return 1.0f; // the impulse
    }
    return i >= 2000 ? float(0.5 * std::sin(2 * M_PI * 441.0 * i / 48000.0)) : 0.0f;
}

} // namespace

int main(int argc, char** argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: link_client HOST:PORT TOKEN\n");
        return 2;
    }
    auto server = remote::parse_endpoint(argv[1]);
    if (!server) {
        return 2;
    }
    server->token = argv[2];
    server->timeout = std::chrono::milliseconds(10000);
    bool ok = true;
    auto check = [&](bool c, const char* what) {
        if (!c) {
            std::printf("CHECK FAILED: %s\n", what);
            ok = false;
        }
    };
    try {
        remote::RemoteFactory::Created a = remote::RemoteFactory::create(*server, bundle(kV1));
        if (!a.ok()) {
            std::printf("CHECK FAILED: the program did not compile on the server\n");
            return 1;
        }
        std::printf("factory: %s compiled on the server in %.1f ms\n",
                    a.factory->content_key().c_str(), a.compile_ms);
        bool listed = false;
        for (const remote::FactorySummary& f : remote::list_factories(*server)) {
            std::printf("listed: %s %s %s\n", f.key.substr(0, 16).c_str(), f.name.c_str(),
                        f.options.c_str());
            listed = listed || f.key == a.factory->content_key();
        }
        check(listed, "the server lists the factory");

        auto inst = a.factory->create_remote_instance(48000, 64);
        remote::LinkOptions lo;
        lo.latency = 2;
        lo.format = "float";
        lo.reply_wait_ms = 500; // every answer waited for: an exact comparison
        inst->connect_audio(lo);
        std::printf("instance %s linked: %s\n", inst->id().c_str(), inst->link_json().c_str());
        auto loc = local(kV1)->create_instance();
        loc->init(48000);
        const int latency = inst->latency_frames();
        const int frames = 64 * 300, change_at = 5017;
        std::vector<float> in(static_cast<std::size_t>(frames)), got0(in.size()), got1(in.size()),
            want0(in.size()), want1(in.size());
        for (int i = 0; i < frames; ++i) {
            in[std::size_t(i)] = input_at(i);
        }
        for (int done = 0; done < frames;) {
            int n = std::min(64, frames - done);
            if (done < change_at && done + n > change_at) {
                n = change_at - done;
            }
            if (done == change_at) {
                inst->set_parameter(std::size_t(0), 0.25); // through the link, at this frame
                loc->set_parameter(std::size_t(0), 0.25);
            }
            const float* ip[] = {in.data() + done};
            float* rp[] = {got0.data() + done, got1.data() + done};
            float* lp[] = {want0.data() + done, want1.data() + done};
            inst->compute(n, reinterpret_cast<const void* const*>(ip),
                          reinterpret_cast<void* const*>(rp));
            loc->compute(n, reinterpret_cast<const void* const*>(ip),
                         reinterpret_cast<void* const*>(lp));
            done += n;
        }
        double max_diff = 0;
        int impulse_at = -1;
        for (int i = 0; i < frames; ++i) {
            const std::size_t k = std::size_t(i);
            const float w0 = i >= latency ? want0[k - std::size_t(latency)] : 0.0f;
            const float w1 = i >= latency ? want1[k - std::size_t(latency)] : 0.0f;
            max_diff = std::max(
                {max_diff, double(std::fabs(got0[k] - w0)), double(std::fabs(got1[k] - w1))});
            if (impulse_at < 0 && got0[k] != 0.0f) {
                impulse_at = i;
            }
        }
        std::printf("round trip: latency %d frames (%d link blocks of %d + 1 block of "
                    "assembly), impulse in at frame 3 out at frame %d (3 + delay 37 + %d), "
                    "max |diff| vs the local render shifted %g over %d frames x 2 channels, "
                    "%llu blocks, %llu concealed\n",
                    latency, inst->link_latency(), inst->link_period(), impulse_at, latency,
                    max_diff, frames, static_cast<unsigned long long>(inst->link_blocks()),
                    static_cast<unsigned long long>(inst->link_concealed()));
        check(max_diff == 0, "the round trip equals the local render shifted");
        check(impulse_at == 3 + 37 + latency, "the impulse's frame");
        check(inst->link_concealed() == 0, "nothing concealed");
        // the control: the sine's samples at the output frame of the change
        const int heard = change_at + latency;
        const float before = got0[std::size_t(heard - 1)] / in[std::size_t(change_at - 1 - 37)];
        const float after = got0[std::size_t(heard)] / in[std::size_t(change_at - 37)];
        std::printf("control: gain 0.5 -> 0.25 sent at frame %d (inside a block); out/in "
                    "(delayed) at output frame %d: %.6f, at %d: %.6f\n",
                    change_at, heard - 1, double(before), heard, double(after));
        check(std::fabs(before - 0.5f) < 1e-6f && std::fabs(after - 0.25f) < 1e-6f,
              "the change landed on its frame");

        // the swap, on the server, while blocks flow
        remote::RemoteFactory::Created b = remote::RemoteFactory::create(*server, bundle(kV2));
        if (!b.ok()) {
            std::printf("CHECK FAILED: the edit did not compile\n");
            return 1;
        }
        std::atomic<bool> swapped{false};
        std::string report;
        std::thread asker([&] {
            report = inst->swap(b.factory);
            swapped.store(true);
        });
        const int base = frames;
        std::vector<float> s0, s1;
        std::vector<float> zeros(64, 0.0f), o0(64), o1(64);
        int blocks_after = 0;
        for (int k = 0; k < 4000 && blocks_after < 20; ++k) {
            std::vector<float> blk(64);
            for (int i = 0; i < 64; ++i) {
                blk[std::size_t(i)] = input_at(base + k * 64 + i);
            }
            const float* ip[] = {blk.data()};
            float* rp[] = {o0.data(), o1.data()};
            inst->compute(64, reinterpret_cast<const void* const*>(ip),
                          reinterpret_cast<void* const*>(rp));
            s0.insert(s0.end(), o0.begin(), o0.end());
            s1.insert(s1.end(), o1.begin(), o1.end());
            if (swapped.load()) {
                ++blocks_after;
            }
            std::this_thread::sleep_for(std::chrono::microseconds(1333)); // about real time
        }
        asker.join();
        // the counter: v1 gives n + 1 at server frame n, v2 2(n + 1): it must go on
        // from where it was (no reset to 1), doubled
        int first_doubled = -1;
        bool counter_ok = true;
        for (std::size_t i = 0; i < s1.size(); ++i) {
            const double n = double(base) + double(i) - latency; // the server's frame
            const double v1 = n + 1, v2 = 2 * (n + 1);
            if (first_doubled < 0 && s1[i] == float(v2)) {
                first_doubled = int(i);
            }
            const double expect = first_doubled < 0 ? v1 : v2;
            counter_ok = counter_ok && s1[i] == float(expect);
        }
        // the delay line: channel 0 across the swap equals the local v1 render (same
        // channel 0 in v2), so its 37 samples were carried
        auto loc2 = local(kV1)->create_instance();
        loc2->init(48000);
        loc2->set_parameter(std::size_t(0), 0.25);
        const int total = base + int(s0.size());
        std::vector<float> all_in(static_cast<std::size_t>(total)), l0(all_in.size()),
            l1(all_in.size());
        for (int i = 0; i < total; ++i) {
            all_in[std::size_t(i)] = input_at(i);
        }
        {
            // the same control history: 0.5 until change_at, then 0.25
            auto loc3 = local(kV1)->create_instance();
            loc3->init(48000);
            const float* ip[] = {all_in.data()};
            float* lp[] = {l0.data(), l1.data()};
            loc3->compute(change_at, reinterpret_cast<const void* const*>(ip),
                          reinterpret_cast<void* const*>(lp));
            loc3->set_parameter(std::size_t(0), 0.25);
            const float* ip2[] = {all_in.data() + change_at};
            float* lp2[] = {l0.data() + change_at, l1.data() + change_at};
            loc3->compute(total - change_at, reinterpret_cast<const void* const*>(ip2),
                          reinterpret_cast<void* const*>(lp2));
        }
        double delay_diff = 0;
        for (std::size_t i = 0; i < s0.size(); ++i) {
            const std::size_t at = std::size_t(base) + i - std::size_t(latency);
            delay_diff = std::max(delay_diff, double(std::fabs(s0[i] - l0[at])));
        }
        const double n_swap = first_doubled < 0 ? -1 : double(base + first_doubled - latency);
        std::printf("swap: %s\n", report.c_str());
        std::printf("swap: the counter went on from %.0f to %.0f (x2) at server frame %.0f, "
                    "no reset; the delay line across the swap: max |diff| vs the local render "
                    "%g over %zu frames\n",
                    n_swap, 2 * (n_swap + 1), n_swap, delay_diff, s0.size());
        check(report.find("\"committed\":true") != std::string::npos, "the swap committed");
        check(report.find("\"carried\":0") == std::string::npos, "state carried");
        check(first_doubled > 0 && counter_ok, "the counter continued, doubled");
        check(delay_diff == 0, "the delay line continued across the swap");
        inst->disconnect_audio();
    } catch (const remote::RemoteError& e) {
        std::printf("CHECK FAILED: %s\n", e.what());
        return 1;
    }
    std::printf(ok ? "link_client: every check held\n" : "link_client: FAILED\n");
    return ok ? 0 : 1;
}
