// SPDX-License-Identifier: MIT
/** \file
 * The algebraic normal form of signals, with the rules of the reference compiler
 * (faust-semantics.md 2.3), so that the operations, hence the float roundings,
 * are those of the code `faust` generates. Applied bottom-up to every node:
 *
 * - constants fold (constant_fold.h); `0 - x` is `-1 * x`; neutral and absorbing
 *   elements of `+ - * /` go (`x + 0`, `x * 1`, `x * 0`, `0 / x`...);
 * - `select2` with a constant selector is the selected branch;
 * - sums of products become a polynomial: the products (monomials) are a
 *   numeric coefficient, folded in double, times powers of factors (division by
 *   a constant is multiplication by its reciprocal, `x * x` is `x ^ 2`); like
 *   monomials are added up (`1 - (1 - a)` is `a`); a divisor common to several
 *   monomials is factored out (`2*a + 2*b` is `2 * (a + b)`);
 * - the rebuilt trees group factors by *order* (0 numbers, 1 sample-rate
 *   constants, 2 controls, 3 samples): a monomial is
 *   `((k * A1/B1) * A2/B2) * A3/B3` (so `f / SR` is `(1 / SR) * f`, whose first
 *   factor is computed once at init), a sum adds the terms of order 3 innermost,
 *   then 2 and 1, the positive ones before subtracting the negative ones;
 * - fixed delays move inward through constant factors: `(k * x)@n` is
 *   `k * (x@n)`, `(x / k)@n` is `(x@n) / k` (the reference also merges
 *   `(x@n)@m` into `x@(n+m)`, which changes no value; not done here, so that the
 *   state keeps the layout the program wrote).
 *
 * Ties are ordered by node id, the creation order, as the reference orders its
 * trees by creation serial. A real node whose normal form would be an int (as
 * `i * 1.0`) keeps its nature through a float cast.
 */
#pragma once

#include <span>
#include <vector>

#include "passes/infer_types.h"
#include "signals/signal.h"
#include "support/budget.h"

namespace tutti::passes {

/// `types`: the types of the signals reachable from `outputs` (infer_types.h).
std::vector<const sig::Signal*> normalize(std::span<const sig::Signal* const> outputs,
                                          sig::SignalContext& sc, const TypeTable& types,
                                          Budget* budget = nullptr);

} // namespace tutti::passes
