// SPDX-License-Identifier: MIT
/** \file
 * The constants of the standard C headers that `fconstant` may name
 * (`fconstant(int INT_MAX, <limits.h>)`, `fconstant(float FLT_EPSILON, <float.h>)`,
 * `fconstant(float M_PI, <math.h>)`...). The reference compiler writes the name
 * into its C++ output, so the program gets the value the platform's headers give
 * it; these are the values of the headers this compiler was built with (the
 * same platform), converted to double as the program's double code would.
 */
#pragma once

#include <optional>
#include <string_view>

namespace tutti::lower {

/// The value of a constant of <float.h>, <limits.h>, <stdint.h>, <math.h>,
/// <stdlib.h> or <stdio.h>, or nothing when the name is not one of them.
std::optional<double> c_header_constant(std::string_view name);

} // namespace tutti::lower
