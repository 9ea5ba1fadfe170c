// SPDX-License-Identifier: MIT
/** \file
 * Normalisation of real products, as Faust's mterm normal form does it (so that
 * the values, and the truncations that follow them, are those of the reference):
 * a tree of real `*` and `/` becomes one coefficient, folded in double, times the
 * other factors, divided by the non-constant divisors. Division by a constant is
 * multiplication by its reciprocal: `1617 * SR / 44100` is
 * `0.036666666666666667 * SR`, which `int()` truncates like Faust does.
 * Integer products are left alone.
 */
#pragma once

#include <span>
#include <vector>

#include "signals/signal.h"

namespace tutti::passes {

std::vector<const sig::Signal*> normalize_products(std::span<const sig::Signal* const> outputs,
                                                   sig::SignalContext& sc);

} // namespace tutti::passes
