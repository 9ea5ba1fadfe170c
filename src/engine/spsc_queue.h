// SPDX-License-Identifier: MIT
/** \file
 * A bounded single-producer single-consumer queue: storage allocated once at
 * construction, push and pop are wait-free (two atomics, acquire/release), so
 * the audio thread can be either end. Full: push() returns false; empty: pop()
 * returns false. One thread pushes, one thread pops.
 */
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <new>
#include <utility>

namespace tutti::engine {

template <class T> class SpscQueue {
public:
    /// capacity is rounded up to a power of two (at least 2).
    explicit SpscQueue(std::size_t capacity) {
        std::size_t n = 2;
        while (n < capacity) {
            n <<= 1;
        }
        mask_ = n - 1;
        slots_ = std::make_unique<T[]>(n);
    }
    SpscQueue(const SpscQueue&) = delete;
    SpscQueue& operator=(const SpscQueue&) = delete;

    /// Producer thread.
    bool push(T value) noexcept {
        std::size_t tail = tail_.load(std::memory_order_relaxed);
        if (tail - head_cache_ > mask_) {
            head_cache_ = head_.load(std::memory_order_acquire);
            if (tail - head_cache_ > mask_) {
                return false;
            }
        }
        slots_[tail & mask_] = std::move(value);
        tail_.store(tail + 1, std::memory_order_release);
        return true;
    }

    /// Consumer thread.
    bool pop(T& out) noexcept {
        std::size_t head = head_.load(std::memory_order_relaxed);
        if (head == tail_cache_) {
            tail_cache_ = tail_.load(std::memory_order_acquire);
            if (head == tail_cache_) {
                return false;
            }
        }
        out = std::move(slots_[head & mask_]);
        head_.store(head + 1, std::memory_order_release);
        return true;
    }

    /// Consumer thread: is there anything to pop?
    bool empty() const noexcept {
        return head_.load(std::memory_order_relaxed) == tail_.load(std::memory_order_acquire);
    }

    std::size_t capacity() const noexcept {
        return mask_ + 1;
    }

private:
    static constexpr std::size_t line = 64;
    std::unique_ptr<T[]> slots_;
    std::size_t mask_ = 0;
    alignas(line) std::atomic<std::size_t> head_{0}; ///< written by the consumer
    std::size_t tail_cache_ = 0;                     ///< consumer's view of tail_
    alignas(line) std::atomic<std::size_t> tail_{0}; ///< written by the producer
    std::size_t head_cache_ = 0;                     ///< producer's view of head_
};

} // namespace tutti::engine
