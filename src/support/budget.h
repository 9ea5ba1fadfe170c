// SPDX-License-Identifier: MIT
/** \file
 * The hard limits of one compilation: memory and time (CompileOptions
 * max_memory_bytes, max_seconds). The passes that can grow with the program
 * (evaluation, propagation, normalisation, lowering) call `check(where)` at
 * their checkpoints; past a limit it throws `BudgetExceeded` with the source
 * place that was being expanded (the last checkpoint's place that had one),
 * which the compiler turns into a diagnostic.
 *
 * Memory is measured as the growth of the process's resident set since the
 * compilation started (/proc/self/statm, read every `rss_period` checks): it
 * counts everything the compilation touches (arenas, containers, LLVM), and
 * nothing it reserves without touching. Several compilations running at once
 * in one process see each other's growth: the limit is then on their sum.
 * Time is wall-clock time since the compilation started (steady clock).
 * A Budget belongs to one compilation: it is not shared between threads.
 */
#pragma once

#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

#include "diag/diagnostic.h"
#include "diag/source_manager.h"

namespace tutti {

struct BudgetExceeded {
    enum class Kind { Memory, Time } kind;
    diag::SourceRange where; ///< the place being expanded (may be empty)
    std::uint64_t used = 0;  ///< bytes for Memory, milliseconds for Time
};

class Budget {
public:
    /// 0 for either limit: no limit of that kind.
    Budget(std::uint64_t max_bytes, double max_seconds)
        : max_bytes_(max_bytes), start_(std::chrono::steady_clock::now()),
          deadline_(max_seconds > 0
                        ? start_ + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                       std::chrono::duration<double>(max_seconds))
                        : std::chrono::steady_clock::time_point::max()),
          max_seconds_(max_seconds), base_rss_(resident_bytes()) {
    }

    /// Throws BudgetExceeded when a limit is passed. Cheap: the clock is read
    /// every 64 calls, the resident set every 1024.
    void check(diag::SourceRange where) {
        if (where.begin.file != 0) {
            last_ = where;
        }
        ++calls_;
        if ((calls_ & 63u) != 0) {
            return;
        }
        measure(where, (calls_ & 1023u) == 0);
    }

    /// The same, reading the clock and the resident set now (between phases).
    void check_now(diag::SourceRange where) {
        measure(where, true);
    }

    std::uint64_t max_bytes() const {
        return max_bytes_;
    }
    /// The last place a check was at (empty before any): where an allocation
    /// that failed (std::bad_alloc) was most likely being made.
    diag::SourceRange last_place() const {
        return last_;
    }
    double max_seconds() const {
        return max_seconds_;
    }

    /// The diagnostic of a passed limit, at the place that was being expanded.
    diag::Diag diagnostic(const BudgetExceeded& e) const {
        auto fixed = [](double v, int decimals) {
            char buf[64];
            std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
            return std::string(buf);
        };
        if (e.kind == BudgetExceeded::Kind::Memory) {
            return diag::diags::compile_memory_limit(
                e.where, std::to_string(e.used >> 20),
                fixed(double(max_bytes_) / double(1 << 20), 1));
        }
        return diag::diags::compile_time_limit(e.where, fixed(double(e.used) / 1000.0, 3),
                                               fixed(max_seconds_, 3));
    }

    /// The resident set of this process in bytes (0 when it cannot be read).
    static std::uint64_t resident_bytes() {
        std::FILE* f = std::fopen("/proc/self/statm", "r");
        if (f == nullptr) {
            return 0;
        }
        unsigned long long size = 0, resident = 0;
        int n = std::fscanf(f, "%llu %llu", &size, &resident);
        std::fclose(f);
        return n == 2 ? std::uint64_t(resident) * std::uint64_t(sysconf(_SC_PAGESIZE)) : 0;
    }

private:
    void measure(diag::SourceRange where, bool read_rss) {
        if (where.begin.file == 0) {
            where = last_; // a signal made by the compiler: the last place with a location
        }
        auto now = std::chrono::steady_clock::now();
        if (now > deadline_) {
            throw BudgetExceeded{
                BudgetExceeded::Kind::Time, where,
                std::uint64_t(
                    std::chrono::duration_cast<std::chrono::milliseconds>(now - start_).count())};
        }
        if (max_bytes_ != 0 && read_rss) {
            std::uint64_t rss = resident_bytes();
            std::uint64_t grown = rss > base_rss_ ? rss - base_rss_ : 0;
            if (grown > max_bytes_) {
                throw BudgetExceeded{BudgetExceeded::Kind::Memory, where, grown};
            }
        }
    }

    std::uint64_t max_bytes_;
    std::chrono::steady_clock::time_point start_;
    std::chrono::steady_clock::time_point deadline_;
    double max_seconds_;
    std::uint64_t base_rss_;
    std::uint64_t calls_ = 0;
    diag::SourceRange last_{};
};

} // namespace tutti
