// SPDX-License-Identifier: MIT
// A real-time path to a server instance over its HTTP API (block_link.h).
#include "move/block_link.h"

#include <algorithm>
#include <chrono>
#include <cstring>

#include "support/rt_section.h"

namespace tutti::move {

BlockLink::BlockLink(remote::RemoteInstance& remote, int inputs, int outputs, int block,
                     int latency_blocks, int capacity_blocks)
    : remote_(remote), inputs_(std::max(inputs, 1)), outputs_(std::max(outputs, 1)),
      block_(std::max(block, 1)), latency_blocks_(std::max(latency_blocks, 1)),
      in_free_(std::size_t(std::max(capacity_blocks, latency_blocks + 2))),
      to_net_(in_free_.capacity()), to_audio_(in_free_.capacity()), out_free_(in_free_.capacity()) {
    const std::size_t n = in_free_.capacity();
    in_slots_.resize(n);
    out_slots_.resize(n);
    for (std::size_t i = 0; i < n; ++i) {
        in_slots_[i].samples.assign(std::size_t(inputs_) * std::size_t(block_), 0.0f);
        out_slots_[i].samples.assign(std::size_t(outputs_) * std::size_t(block_), 0.0f);
        in_free_.push(std::uint32_t(i));
        out_free_.push(std::uint32_t(i));
    }
}

BlockLink::~BlockLink() {
    stop();
}

void BlockLink::start() {
    if (!thread_.joinable()) {
        stopping_.store(false);
        thread_ = std::thread([this] { run(); });
    }
}

void BlockLink::stop() {
    stopping_.store(true);
    if (thread_.joinable()) {
        thread_.join();
    }
}

bool BlockLink::answer_ready() const {
    const std::uint64_t seq = sent_.load(std::memory_order_acquire);
    return seq < std::uint64_t(latency_blocks_) ||
           answered_.load(std::memory_order_acquire) > seq - std::uint64_t(latency_blocks_);
}

void BlockLink::process(int frames, const float* const* inputs, float* const* outputs) noexcept {
    rt::AudioSection section;
    const std::size_t n = std::size_t(std::max(frames, 0));
    for (int c = 0; c < outputs_; ++c) {
        std::memset(outputs[c], 0, n * sizeof(float));
    }
    if (frames != block_) {
        late_.fetch_add(1, std::memory_order_relaxed);
        return;
    }
    const std::uint64_t seq = sent_.load(std::memory_order_relaxed);
    std::uint32_t in = 0;
    if (in_free_.pop(in)) {
        Slot& s = in_slots_[in];
        s.seq = seq;
        for (int c = 0; c < inputs_; ++c) {
            std::memcpy(s.samples.data() + std::size_t(c) * n, inputs[c], n * sizeof(float));
        }
        to_net_.push(in); // cannot be full: as many slots as places
    } else {
        dropped_.fetch_add(1, std::memory_order_relaxed);
    }
    sent_.store(seq + 1, std::memory_order_release);
    if (seq < std::uint64_t(latency_blocks_)) {
        return; // no answer due yet
    }
    const std::uint64_t want = seq - std::uint64_t(latency_blocks_);
    for (;;) {
        std::uint32_t a = 0;
        if (held_ >= 0) {
            a = std::uint32_t(held_);
        } else if (!to_audio_.pop(a)) {
            late_.fetch_add(1, std::memory_order_relaxed);
            return;
        }
        Slot& s = out_slots_[a];
        if (s.seq < want) { // too late: dropped
            held_ = -1;
            out_free_.push(a);
            continue;
        }
        if (s.seq > want) { // the wanted one was lost: keep this for its call
            held_ = a;
            late_.fetch_add(1, std::memory_order_relaxed);
            return;
        }
        held_ = -1;
        for (int c = 0; c < outputs_; ++c) {
            std::memcpy(outputs[c], s.samples.data() + std::size_t(c) * n, n * sizeof(float));
        }
        out_free_.push(a);
        return;
    }
}

void BlockLink::run() {
    const std::size_t n = std::size_t(block_);
    const std::size_t in_len = std::size_t(inputs_) * n, out_len = std::size_t(outputs_) * n;
    const std::size_t max_batch = std::min<std::size_t>(in_slots_.size(), kMaxBatch);
    std::vector<float> in_batch(max_batch * in_len), out_batch(max_batch * out_len);
    std::vector<std::uint32_t> taken;
    taken.reserve(max_batch);
    auto last = std::chrono::steady_clock::now() - kMinInterval;
    while (!stopping_.load(std::memory_order_acquire)) {
        std::uint32_t in = 0;
        if (!to_net_.pop(in)) {
            std::this_thread::sleep_for(std::chrono::microseconds(100));
            continue;
        }
        // at most one request per kMinInterval; every block queued meanwhile goes with it
        std::this_thread::sleep_until(last + kMinInterval);
        last = std::chrono::steady_clock::now();
        taken.clear();
        taken.push_back(in);
        while (taken.size() < max_batch && to_net_.pop(in)) {
            taken.push_back(in);
        }
        const std::size_t k = taken.size();
        for (std::size_t i = 0; i < k; ++i) {
            const std::vector<float>& from = in_slots_[taken[i]].samples;
            std::copy(from.begin(), from.end(), in_batch.begin() + std::ptrdiff_t(i * in_len));
        }
        try {
            remote_.process_blocks(block_, int(k), in_batch.data(), out_batch.data());
        } catch (const std::exception& e) {
            failures_.fetch_add(1, std::memory_order_relaxed);
            last_error_ = e.what();
            std::fill(out_batch.begin(), out_batch.begin() + std::ptrdiff_t(k * out_len), 0.0f);
        }
        requests_.fetch_add(1, std::memory_order_relaxed);
        for (std::size_t i = 0; i < k; ++i) {
            const std::uint64_t seq = in_slots_[taken[i]].seq;
            in_free_.push(taken[i]);
            std::uint32_t out = 0;
            if (out_free_.pop(out)) {
                std::copy(out_batch.begin() + std::ptrdiff_t(i * out_len),
                          out_batch.begin() + std::ptrdiff_t((i + 1) * out_len),
                          out_slots_[out].samples.begin());
                out_slots_[out].seq = seq;
                to_audio_.push(out);
            }
            answered_.store(seq + 1, std::memory_order_release);
        }
    }
}

} // namespace tutti::move
