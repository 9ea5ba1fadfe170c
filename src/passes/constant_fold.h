// SPDX-License-Identifier: MIT
/** \file
 * Constant folding with the reference compiler's rules (faust-semantics.md 2.2):
 * real arithmetic in double (the result is rounded to the program's precision
 * only when it is used), int32 arithmetic wrapping, `/` of ints exact or real,
 * `%` folded as int(x) % int(y) even for reals, comparisons to int 0/1, casts,
 * libm functions in double, int^int with a non-negative exponent by repeated
 * multiplication. Division or remainder by a constant 0 is left to run time.
 */
#pragma once

#include <span>
#include <vector>

#include "signals/signal.h"

namespace tutti::passes {

/// The folded form of `s` when all its children are constants, or null (the
/// rule of one node; `fold_constants` applies it bottom-up).
const sig::Signal* fold_constant(const sig::Signal* s, sig::SignalContext& sc);

std::vector<const sig::Signal*> fold_constants(std::span<const sig::Signal* const> outputs,
                                               sig::SignalContext& sc);

} // namespace tutti::passes
