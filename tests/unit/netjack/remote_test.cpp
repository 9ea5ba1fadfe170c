// SPDX-License-Identifier: MIT
/** \file
 * Remote processing (netjack/remote_processor.h), in-process on 127.0.0.1
 * (the test's own network namespace, ports 25200-25299): a caller without
 * JACK pushes blocks at its own pace into a RemoteProcessor; a tutti slave
 * runs the "remote DSP" (a gain, a control of the link); every block comes
 * back processed exactly `latency` calls later, and a gain change sent at a
 * given frame of a given block applies from that frame on.
 */
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "netjack/remote_processor.h"
#include "netjack/slave_driver.h"

namespace tutti::netjack {
namespace {

constexpr int kPeriod = 128;

/// The remote DSP: out = gain * in, the gain a control (index 0) that
/// changes at the frame its change names.
class GainDsp final : public AudioCallback, public ControlSink {
public:
    void controls(const ControlChange* changes, int n) noexcept override {
        for (int i = 0; i < n && count_ < 16; ++i) {
            if (changes[i].index == 0) {
                pending_[count_++] = changes[i];
            }
        }
    }
    void process(int frames, const float* const* in, float* const* out) noexcept override {
        int next = 0;
        for (int i = 0; i < frames; ++i) {
            while (next < count_ && static_cast<int>(pending_[next].frame) <= i) {
                gain_ = pending_[next++].value;
            }
            out[0][i] = gain_ * in[0][i];
        }
        count_ = 0;
    }

private:
    ControlChange pending_[16];
    int count_ = 0;
    float gain_ = 1.0f;
};

float input_at(long t) {
    return static_cast<float>(0.25 * std::sin(static_cast<double>(t) * 0.0731) + 0.001 * (t % 7));
}

TEST(NetJackRemote, BlocksComeBackProcessedLatencyCallsLaterWithControls) {
    RemoteProcessor remote;
    RemoteProcessor::Options ro;
    ro.listen = "127.0.0.1:25201";
    ro.sends = 1;
    ro.returns = 1;
    ro.period = kPeriod;
    ro.controls = 4;
    std::string error;
    ASSERT_TRUE(remote.open(ro, &error)) << error;

    GainDsp dsp;
    NetOptions snet;
    snet.address = ro.listen;
    snet.latency = 2;
    snet.controls = 4;
    snet.control_sink = &dsp;
    SlaveDriver slave(snet);
    DriverOptions sopt;
    sopt.inputs = 1;
    sopt.outputs = 1;
    // The slave's handshake needs the master's listener, which runs already.
    std::thread joiner([&] {
        std::string e;
        if (slave.open(sopt, &e)) {
            slave.start(&dsp, &e);
        }
    });

    constexpr long kBlocks = 900;
    constexpr long kChangeBlock = 600;
    constexpr std::uint32_t kChangeFrame = 50;
    std::vector<float> in(kPeriod), out(kPeriod);
    const float* in_view[1] = {in.data()};
    float* out_view[1] = {out.data()};
    std::vector<std::vector<float>> results;
    const auto period = std::chrono::nanoseconds(1'000'000'000LL * kPeriod / 48000);
    auto next = std::chrono::steady_clock::now();
    for (long b = 0; b < kBlocks; ++b) {
        for (int i = 0; i < kPeriod; ++i) {
            in[static_cast<std::size_t>(i)] = input_at(b * kPeriod + i);
        }
        if (b % 50 == 0 && b < kChangeBlock) {
            remote.send_control(0, 0, 1.0f); // the state: gain 1 (from the first block)
        }
        if (b == kChangeBlock) {
            ASSERT_TRUE(remote.send_control(kChangeFrame, 0, 3.0f));
        }
        remote.process(in_view, out_view);
        results.push_back(out);
        next += period;
        std::this_thread::sleep_until(next);
    }
    joiner.join();
    const int latency = remote.latency();
    const LinkCounters& c = remote.counters();
    const auto concealed = c.cycles_concealed.load();
    slave.stop();
    remote.close();

    ASSERT_EQ(latency, 2);
    // Find the first answered block, then compare every later one.
    long first = -1, wrong_blocks = 0, compared = 0;
    bool change_seen = false;
    for (long k = latency; k < kBlocks; ++k) {
        const long j = k - latency; // the block this call answers
        int wrong = 0;
        for (int i = 0; i < kPeriod; ++i) {
            const float gain =
                (j > kChangeBlock || (j == kChangeBlock && i >= static_cast<int>(kChangeFrame)))
                    ? 3.0f
                    : 1.0f;
            const float want = gain * input_at(j * kPeriod + i);
            wrong += results[static_cast<std::size_t>(k)][static_cast<std::size_t>(i)] != want;
        }
        if (first < 0) {
            if (wrong == 0) {
                first = k;
            }
            continue;
        }
        ++compared;
        wrong_blocks += wrong > 0;
        if (j == kChangeBlock && wrong == 0) {
            change_seen = true;
        }
    }
    std::printf("netjack remote: latency %d blocks of %d frames; first answer at call %ld; %ld "
                "blocks compared, %ld wrong; the gain change landed on frame %u of block %ld: "
                "%s; concealed %llu\n",
                latency, kPeriod, first, compared, wrong_blocks, kChangeFrame, kChangeBlock,
                change_seen ? "yes" : "no", static_cast<unsigned long long>(concealed));
    ASSERT_GE(first, 0) << "no block came back processed";
    EXPECT_GT(compared, 500);
    EXPECT_TRUE(change_seen);
    // A block lost to scheduling on the shared machine is concealed (and
    // counted); nothing else may differ.
    EXPECT_LE(static_cast<std::uint64_t>(wrong_blocks), 2 * concealed);
}

} // namespace
} // namespace tutti::netjack
