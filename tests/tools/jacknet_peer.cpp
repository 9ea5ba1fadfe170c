// SPDX-License-Identifier: MIT
/** \file
 * jack2's libjacknet as a NetJack peer for the tests (never linked into
 * tutti). Runs in a child process: libjacknet crashes for some settings
 * (issue 12) and must not take the test down.
 *
 *   jacknet_peer slave IP PORT CHANNELS ENCODER LATENCY SECONDS
 *       a libjacknet slave that echoes its CHANNELS inputs to its outputs
 *   jacknet_peer master IP PORT CHANNELS PERIOD ENCODER SECONDS
 *       a libjacknet master (48000 Hz, paced by clock_nanosleep) that sends
 *       the test signal on every channel and checks the slave's echo (the
 *       slave chooses the encoder; ENCODER sets the check's tolerance)
 *   jacknet_peer pair PORT CHANNELS PERIOD ENCODER LATENCY SECONDS
 *       both in this process, on 127.0.0.1
 * ENCODER: 0 float, 1 int16. The master sends and receives with the _slice
 * calls and the period as frame count: with the plain calls libjacknet's
 * int16 codec converts no sample (it is told -1 frames).
 * The master prints one line:
 *   jacknet master: locked L checked N wrong W cycles C errors E
 * where a received sample is wrong when it differs from what was sent
 * LATENCY x PERIOD frames earlier (float: exactly; int16: by more than one
 * step of 1/32767, as libjacknet truncates); counted from the first block
 * that matches entirely.
 */
#include <jack/net.h>
#include <unistd.h>

#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <thread>
#include <vector>

namespace {

constexpr int kRate = 48000;

/// The same signal as tests/unit/netjack/loopback_test.cpp.
float signal(int c, unsigned long long t) {
    return static_cast<float>(
               static_cast<int>((t * 7 + static_cast<unsigned long long>(c) * 1013) % 32767)) /
           32767.0f;
}

int echo(jack_nframes_t n, int ain, float** in, int, void**, int aout, float** out, int, void**,
         void*) {
    for (int c = 0; c < aout; ++c) {
        if (c < ain) {
            std::memcpy(out[c], in[c], n * sizeof(float));
        } else {
            std::memset(out[c], 0, n * sizeof(float));
        }
    }
    return 0;
}

int restart(void*) {
    return 1; // stop on the master's loss
}

jack_net_slave_t* open_slave(const char* ip, int port, int channels, int encoder, int latency) {
    jack_slave_t request{};
    request.audio_input = channels;
    request.audio_output = channels;
    request.mtu = DEFAULT_MTU;
    request.time_out = 5;
    request.encoder = encoder;
    request.kbps = 64;
    request.latency = latency;
    jack_master_t result{};
    jack_net_slave_t* net = jack_net_slave_open(ip, port, "jacknet_peer", &request, &result);
    if (!net) {
        std::fprintf(stderr, "jacknet slave: open failed\n");
        return nullptr;
    }
    jack_set_net_slave_process_callback(net, echo, nullptr);
    jack_set_net_slave_restart_callback(net, restart, nullptr);
    if (jack_net_slave_activate(net) != 0) {
        std::fprintf(stderr, "jacknet slave: activate failed\n");
        return nullptr;
    }
    return net;
}

int run_master(const char* ip, int port, int channels, int period, int encoder, double seconds) {
    jack_master_t request{};
    request.audio_input = -1;
    request.audio_output = -1;
    request.midi_input = 0;
    request.midi_output = 0;
    request.buffer_size = static_cast<jack_nframes_t>(period);
    request.sample_rate = kRate;
    std::snprintf(request.master_name, sizeof request.master_name, "jacknet_peer");
    request.time_out = 5;
    jack_slave_t result{};
    jack_net_master_t* net = jack_net_master_open(ip, port, &request, &result);
    if (!net) {
        std::printf("jacknet master: open failed\n");
        return 1;
    }
    const int send = result.audio_input, receive = result.audio_output;
    const int latency = result.latency + (std::getenv("JACKNET_PEER_EXTRA_CYCLES")
                                              ? std::atoi(std::getenv("JACKNET_PEER_EXTRA_CYCLES"))
                                              : 0);
    std::vector<std::vector<float>> sbuf(static_cast<std::size_t>(send),
                                         std::vector<float>(static_cast<std::size_t>(period))),
        rbuf(static_cast<std::size_t>(receive),
             std::vector<float>(static_cast<std::size_t>(period)));
    std::vector<float*> sp, rp;
    for (auto& b : sbuf) {
        sp.push_back(b.data());
    }
    for (auto& b : rbuf) {
        rp.push_back(b.data());
    }
    const long cycles = static_cast<long>(seconds * kRate / period);
    const long period_ns = 1000000000L * period / kRate;
    // libjacknet truncates (short(x * 32767)): one step of 1/32767 may go.
    // (result.encoder is not filled in by jack_net_master_open: the caller says.)
    const float tolerance = encoder == JackIntEncoder ? 1.01f / 32767.0f : 0.0f;
    timespec next{};
    clock_gettime(CLOCK_MONOTONIC, &next);
    bool locked = false;
    unsigned long long checked = 0, wrong = 0;
    long blocks = 0, touched = 0;
    double touched_signal = 0, touched_error = 0;
    long errors = 0;
    for (long k = 0; k < cycles; ++k) {
        const unsigned long long t0 = static_cast<unsigned long long>(k) * period;
        for (int c = 0; c < send; ++c) {
            for (int i = 0; i < period; ++i) {
                sbuf[c][i] = signal(c, t0 + i);
            }
        }
        if (jack_net_master_send_slice(net, send, sp.data(), 0, nullptr, period) < 0) {
            ++errors;
        }
        if (jack_net_master_recv_slice(net, receive, rp.data(), 0, nullptr, period) < 0) {
            ++errors;
        }
        unsigned long long bad = 0;
        double block_signal = 0, block_error = 0;
        for (int c = 0; c < std::min(send, receive); ++c) {
            for (int i = 0; i < period; ++i) {
                const long long t =
                    static_cast<long long>(t0) + i - static_cast<long long>(latency) * period;
                const float want = t >= 0 ? signal(c, static_cast<unsigned long long>(t)) : 0.0f;
                bad += std::fabs(rbuf[c][i] - want) > tolerance;
                const double d = static_cast<double>(rbuf[c][i]) - static_cast<double>(want);
                block_signal += static_cast<double>(want) * static_cast<double>(want);
                block_error += d * d;
            }
        }
        if (locked) {
            ++blocks;
            if (bad > 0) {
                ++touched;
                touched_signal += block_signal;
                touched_error += block_error;
            }
        }
        if (std::getenv("JACKNET_PEER_DEBUG") && k == 50 && receive > 0) {
            int shown = 0;
            for (int i = 0; i < period && shown < 4; ++i) {
                const float want =
                    signal(0, t0 + i - static_cast<unsigned long long>(latency) * period);
                if (std::fabs(rbuf[0][i] - want) > tolerance) {
                    std::printf("debug: frame %d got %.7f want %.7f\n", i, rbuf[0][i], want);
                    ++shown;
                }
            }
        }
        if (!locked) {
            locked = bad == 0 && t0 >= static_cast<unsigned long long>(latency) * period;
        } else {
            checked += static_cast<unsigned long long>(period) * std::min(send, receive);
            wrong += bad;
        }
        next.tv_nsec += period_ns;
        while (next.tv_nsec >= 1000000000L) {
            next.tv_nsec -= 1000000000L;
            ++next.tv_sec;
        }
        clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, nullptr);
    }
    std::printf("jacknet master: locked %d checked %llu wrong %llu cycles %ld errors %ld blocks "
                "%ld touched %ld touched-snr %.1f dB\n",
                locked ? 1 : 0, checked, wrong, cycles, errors, blocks, touched,
                touched_error > 0 ? 10.0 * std::log10(touched_signal / touched_error) : 999.0);
    std::fflush(stdout);
    jack_net_master_close(net);
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    if (argc == 8 && std::strcmp(argv[1], "slave") == 0) {
        jack_net_slave_t* net = open_slave(argv[2], std::atoi(argv[3]), std::atoi(argv[4]),
                                           std::atoi(argv[5]), std::atoi(argv[6]));
        if (!net) {
            return 1;
        }
        usleep(static_cast<useconds_t>(std::atof(argv[7]) * 1e6));
        jack_net_slave_deactivate(net);
        jack_net_slave_close(net);
        return 0;
    }
    if (argc == 8 && std::strcmp(argv[1], "master") == 0) {
        return run_master(argv[2], std::atoi(argv[3]), std::atoi(argv[4]), std::atoi(argv[5]),
                          std::atoi(argv[6]), std::atof(argv[7]));
    }
    if (argc == 8 && std::strcmp(argv[1], "pair") == 0) {
        const int port = std::atoi(argv[2]), channels = std::atoi(argv[3]);
        const int period = std::atoi(argv[4]), encoder = std::atoi(argv[5]);
        const int latency = std::atoi(argv[6]);
        const double seconds = std::atof(argv[7]);
        int rc = 0;
        std::thread master(
            [&] { rc = run_master("127.0.0.1", port, channels, period, encoder, seconds); });
        usleep(100000);
        jack_net_slave_t* net = open_slave("127.0.0.1", port, channels, encoder, latency);
        master.join();
        if (net) {
            jack_net_slave_deactivate(net);
            jack_net_slave_close(net);
        }
        return net ? rc : 1;
    }
    std::fprintf(stderr, "usage: see tests/tools/jacknet_peer.cpp\n");
    return 2;
}
