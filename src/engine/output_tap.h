// SPDX-License-Identifier: MIT
/** \file
 * The last frames the engine played, for readers off the audio thread (a level
 * meter, an oscilloscope, a spectrum): a ring of `capacity` frames written by
 * the audio thread at the end of every block and read by any thread at its own
 * pace.
 *
 * The audio thread only stores samples (relaxed atomics, one per sample) and
 * then publishes how many frames it has written (release); it never waits for a
 * reader and never allocates (the ring is made with the engine). A reader copies
 * the frames it has not seen yet and checks afterwards (seqlock style) that the
 * writer did not come round and overwrite them meanwhile; it drops the ones it
 * may have lost, so a slow reader skips frames but never reads torn ones. The
 * frames kept are those at least one block (`guard`) away from being
 * overwritten, as the writer may be in the middle of a block.
 */
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <memory>

namespace tutti::engine {

class OutputTap {
public:
    /// Control thread. `frames` is rounded up to a power of two; `guard` is the
    /// largest block the writer is given.
    OutputTap(std::size_t frames, int channels, std::size_t guard)
        : channels_(std::size_t(std::max(channels, 1))), guard_(guard) {
        capacity_ = 1;
        while (capacity_ < frames + 2 * guard) {
            capacity_ <<= 1;
        }
        data_ = std::make_unique<std::atomic<float>[]>(capacity_ * channels_);
    }
    std::size_t channels() const {
        return channels_;
    }
    std::size_t capacity() const {
        return capacity_ - 2 * guard_;
    }
    std::uint64_t written() const {
        return written_.load(std::memory_order_acquire);
    }

    /// Audio thread: appends `n` frames of `channels()` arrays (float or double).
    template <typename T>
    void write(std::size_t n, const void* const* outputs, std::size_t channels) noexcept {
        const std::uint64_t w = written_.load(std::memory_order_relaxed);
        const std::size_t mask = capacity_ - 1;
        for (std::size_t c = 0; c < channels_; ++c) {
            const T* src = c < channels ? static_cast<const T*>(outputs[c]) : nullptr;
            for (std::size_t i = 0; i < n; ++i) {
                const std::size_t at = std::size_t((w + i) & mask) * channels_ + c;
                data_[at].store(src != nullptr ? float(src[i]) : 0.0f, std::memory_order_relaxed);
            }
        }
        written_.store(w + n, std::memory_order_release);
    }

    /// Any thread. Copies up to `max_frames` frames from engine frame `*cursor`
    /// on, interleaved (`channels()` floats per frame), into `out`; advances
    /// `*cursor` past them and returns how many. Frames the ring no longer holds
    /// are skipped (the cursor jumps to the oldest one kept).
    std::size_t read(std::uint64_t* cursor, float* out, std::size_t max_frames) const {
        const std::uint64_t w = written_.load(std::memory_order_acquire);
        const std::uint64_t keep = capacity_ - 2 * guard_;
        std::uint64_t from = *cursor;
        if (from > w) {
            from = w; // a cursor from another engine: start at the present
        }
        if (w - from > keep) {
            from = w - keep;
        }
        std::size_t n = std::size_t(std::min<std::uint64_t>(w - from, max_frames));
        const std::size_t mask = capacity_ - 1;
        for (std::size_t i = 0; i < n; ++i) {
            const std::size_t at = std::size_t((from + i) & mask) * channels_;
            for (std::size_t c = 0; c < channels_; ++c) {
                out[i * channels_ + c] = data_[at + c].load(std::memory_order_relaxed);
            }
        }
        std::atomic_thread_fence(std::memory_order_acquire);
        // the writer may have overwritten the oldest frames while they were copied
        const std::uint64_t w2 = written_.load(std::memory_order_relaxed);
        const std::uint64_t unsafe_below = w2 + guard_ > capacity_ ? w2 + guard_ - capacity_ : 0;
        if (from < unsafe_below) {
            const std::size_t lost = std::size_t(std::min<std::uint64_t>(unsafe_below - from, n));
            std::memmove(out, out + lost * channels_, (n - lost) * channels_ * sizeof(float));
            n -= lost;
            from += lost;
        }
        *cursor = from + n;
        return n;
    }

private:
    std::size_t channels_;
    std::size_t guard_;
    std::size_t capacity_ = 0;
    std::unique_ptr<std::atomic<float>[]> data_;
    std::atomic<std::uint64_t> written_{0};
};

} // namespace tutti::engine
