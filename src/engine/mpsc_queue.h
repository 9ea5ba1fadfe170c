// SPDX-License-Identifier: MIT
/** \file
 * A bounded multi-producer single-consumer queue (D. Vyukov's bounded queue,
 * one sequence number per cell): storage allocated once at construction; any
 * number of threads push, one thread (the audio thread) pops.
 *
 * push() is lock-free (a compare-and-swap on the tail; a producer that loses
 * the race retries, it never waits for another to finish); pop() is wait-free:
 * it never spins on a cell being written. A producer descheduled between taking
 * its cell and publishing it holds back the cells behind it until it resumes:
 * pop() then reports "empty" and the consumer takes them at its next call (a
 * block later for the engine), nothing is lost. Full: push() returns false.
 */
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>

namespace tutti::engine {

template <class T> class MpscQueue {
public:
    /// capacity is rounded up to a power of two (at least 2).
    explicit MpscQueue(std::size_t capacity) {
        std::size_t n = 2;
        while (n < capacity) {
            n <<= 1;
        }
        mask_ = n - 1;
        cells_ = std::make_unique<Cell[]>(n);
        for (std::size_t i = 0; i < n; ++i) {
            cells_[i].sequence.store(i, std::memory_order_relaxed);
        }
    }
    MpscQueue(const MpscQueue&) = delete;
    MpscQueue& operator=(const MpscQueue&) = delete;

    /// Any thread.
    bool push(const T& value) noexcept {
        std::size_t pos = tail_.load(std::memory_order_relaxed);
        for (;;) {
            Cell& c = cells_[pos & mask_];
            const std::size_t seq = c.sequence.load(std::memory_order_acquire);
            const auto diff = static_cast<std::ptrdiff_t>(seq) - static_cast<std::ptrdiff_t>(pos);
            if (diff == 0) {
                if (tail_.compare_exchange_weak(pos, pos + 1, std::memory_order_relaxed)) {
                    c.value = value;
                    c.sequence.store(pos + 1, std::memory_order_release);
                    return true;
                }
                // pos was reloaded by the failed exchange
            } else if (diff < 0) {
                return false; // the consumer has not freed this cell yet: full
            } else {
                pos = tail_.load(std::memory_order_relaxed);
            }
        }
    }

    /// The consumer thread only.
    bool pop(T& out) noexcept {
        Cell& c = cells_[head_ & mask_];
        const std::size_t seq = c.sequence.load(std::memory_order_acquire);
        if (seq != head_ + 1) {
            return false; // empty, or the next cell is still being written
        }
        out = c.value;
        c.sequence.store(head_ + mask_ + 1, std::memory_order_release);
        ++head_;
        return true;
    }

    std::size_t capacity() const noexcept {
        return mask_ + 1;
    }

private:
    static constexpr std::size_t line = 64;
    struct Cell {
        std::atomic<std::size_t> sequence{0};
        T value{};
    };
    std::unique_ptr<Cell[]> cells_;
    std::size_t mask_ = 0;
    alignas(line) std::atomic<std::size_t> tail_{0}; ///< next cell to claim (producers)
    alignas(line) std::size_t head_ = 0;             ///< next cell to read (consumer only)
};

} // namespace tutti::engine
