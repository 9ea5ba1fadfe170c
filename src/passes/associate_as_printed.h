// SPDX-License-Identifier: MIT
/** \file
 * The association of sums and products that the reference's C++ text gives
 * them, applied to the normal form (normalize.h). The reference prints a real
 * `a + (b + c)` as `a + b + c` and `a * (b * c)` as `a * b * c`, leaving out the
 * parentheses of a right operand with the same operator; the C++ compiler then
 * computes `(a + b) + c`, and that is what the reference's samples are made of.
 * The right operand's own left spine of `+ -` (or `* /`) is read the same way
 * (`a + ((p - q) + s)` is `((a + p) - q) + s`). This happens only when the
 * operand is written inline: used once, computed at the same rate (otherwise it
 * is a variable of its own); `a + (b - c)` and `a * (b / c)` keep their
 * parentheses (checked with faust 2.54.9).
 */
#pragma once

#include <span>
#include <vector>

#include "signals/signal.h"

namespace tutti::passes {

std::vector<const sig::Signal*> associate_as_printed(std::span<const sig::Signal* const> outputs,
                                                     sig::SignalContext& sc);

} // namespace tutti::passes
