// SPDX-License-Identifier: MIT
/** \file
 * A real-time path to a server instance over its HTTP API (POST
 * .../process?blocks=K: the blocks queued, in one request), for moving a program (mover.h) where
 * the network audio link of issue 12 (netjack::RemoteProcessor) is not used:
 * the audio thread hands each block to a network thread through preallocated
 * lock-free queues and takes back the answer to the block it sent
 * `latency_blocks` calls earlier. An answer not back in time is silence
 * (counted in late(); the link never waits), and is dropped when it arrives.
 * The server computes every block sent, in order, so its engine's frames
 * follow the blocks sent (what Mover::move_back relies on); a block that
 * cannot be queued (the network thread far behind) is counted in dropped()
 * and breaks that correspondence.
 *
 * Requests: the network thread sends every block queued since its last
 * request in one (at most kMaxBatch), and at most one request per
 * kMinInterval: at 64-frame blocks (750 a second at 48 kHz) a request carries
 * about one block when the server answers within a block, several when it is
 * slower, and the request rate stays under 1000 a second whatever the block
 * (the server bounds an instance's block requests by a bucket of their own,
 * 2000 a second, not the general per-peer limit). The latency stays
 * `latency_blocks` x `block`: a block leaves at most kMinInterval (or the
 * request in flight) after it was queued, and its answer is due
 * `latency_blocks` calls later; one not back by then is silence (late()).
 *
 * The server's instance must be stopped (its engine computes only what the
 * link sends). Blocks are all `block` frames (a driver's period).
 */
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "engine/spsc_queue.h"
#include "move/mover.h"
#include "remote/client.h"

namespace tutti::move {

class BlockLink final : public RemotePath {
public:
    /// `capacity_blocks`: blocks in flight at most (at least latency_blocks + 2).
    BlockLink(remote::RemoteInstance& remote, int inputs, int outputs, int block,
              int latency_blocks, int capacity_blocks = 64);
    ~BlockLink() override;
    BlockLink(const BlockLink&) = delete;
    BlockLink& operator=(const BlockLink&) = delete;

    /// Control thread: starts / stops the network thread.
    void start();
    void stop();
    void open() override {
        start();
    }
    void close() override {
        stop();
    }

    int latency_frames() const override {
        return latency_blocks_ * block_;
    }
    /// Audio thread: `frames` must be the block size (else silence, counted late).
    void process(int frames, const float* const* inputs, float* const* outputs) noexcept override;

    /// Any thread: whether the answer the next process() returns has arrived
    /// (tests pace an audio thread by it).
    bool answer_ready() const;
    std::uint64_t sent() const {
        return sent_.load(std::memory_order_acquire);
    }
    std::uint64_t late() const {
        return late_.load(std::memory_order_relaxed);
    }
    std::uint64_t dropped() const {
        return dropped_.load(std::memory_order_relaxed);
    }
    std::uint64_t failures() const {
        return failures_.load(std::memory_order_relaxed);
    }
    /// Requests sent (each carrying one or more blocks).
    std::uint64_t requests() const {
        return requests_.load(std::memory_order_relaxed);
    }
    static constexpr std::size_t kMaxBatch = 32;
    static constexpr std::chrono::microseconds kMinInterval{1000};
    /// The last request's error (read after stop()).
    const std::string& last_error() const {
        return last_error_;
    }

private:
    struct Slot {
        std::uint64_t seq = 0;
        std::vector<float> samples; ///< channels x block
    };
    void run();

    remote::RemoteInstance& remote_;
    int inputs_, outputs_, block_, latency_blocks_;
    std::vector<Slot> in_slots_, out_slots_;
    engine::SpscQueue<std::uint32_t> in_free_, to_net_, to_audio_, out_free_;
    std::int64_t held_ = -1; ///< audio thread: an answer popped early, kept for its call
    std::atomic<std::uint64_t> sent_{0}, answered_{0}, late_{0}, dropped_{0}, failures_{0},
        requests_{0};
    std::atomic<bool> stopping_{false};
    std::thread thread_;
    std::string last_error_;
};

} // namespace tutti::move
