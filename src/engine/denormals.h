// SPDX-License-Identifier: MIT
/** \file
 * Denormal numbers flushed to zero on the calling thread for the lifetime of a
 * scope, as Faust's architectures do around compute() (AVOIDDENORMALS): a
 * recursive filter decaying towards zero would otherwise run through denormals,
 * which cost up to a hundred times a normal operation on x86. The previous mode
 * is restored on exit, so a host thread that calls the engine keeps its own.
 *  - x86-64: MXCSR's FTZ (results) and DAZ (operands) bits, for SSE/AVX code
 *    (what the JIT emits; x87 has no such mode and is not used for float/double);
 *  - AArch64: FPCR's FZ bit;
 *  - elsewhere: nothing.
 * Reading and writing the control register is a register operation: no system
 * call, allowed on the audio thread.
 */
#pragma once

#include <cstdint>

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
#endif

namespace tutti::engine {

class ScopedFlushDenormals {
public:
    /// enable false: does nothing (EngineOptions::flush_denormals off).
    explicit ScopedFlushDenormals(bool enable = true) noexcept : enabled_(enable) {
        if (!enabled_) {
            return;
        }
#if defined(__x86_64__) || defined(_M_X64)
        saved_ = _mm_getcsr();
        _mm_setcsr(saved_ | kFtz | kDaz);
#elif defined(__aarch64__)
        std::uint64_t fpcr = 0;
        __asm__ __volatile__("mrs %0, fpcr" : "=r"(fpcr));
        saved_ = fpcr;
        fpcr |= kFz;
        __asm__ __volatile__("msr fpcr, %0" : : "r"(fpcr));
#endif
    }
    ~ScopedFlushDenormals() {
        if (!enabled_) {
            return;
        }
#if defined(__x86_64__) || defined(_M_X64)
        _mm_setcsr(static_cast<unsigned>(saved_));
#elif defined(__aarch64__)
        __asm__ __volatile__("msr fpcr, %0" : : "r"(saved_));
#endif
    }
    ScopedFlushDenormals(const ScopedFlushDenormals&) = delete;
    ScopedFlushDenormals& operator=(const ScopedFlushDenormals&) = delete;

private:
#if defined(__x86_64__) || defined(_M_X64)
    static constexpr unsigned kFtz = 0x8000; ///< MXCSR bit 15: flush denormal results to zero
    static constexpr unsigned kDaz = 0x0040; ///< MXCSR bit 6: denormal operands are zero
#elif defined(__aarch64__)
    static constexpr std::uint64_t kFz = std::uint64_t(1) << 24; ///< FPCR.FZ
#endif
    bool enabled_;
    std::uint64_t saved_ = 0;
};

} // namespace tutti::engine
