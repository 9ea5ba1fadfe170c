// SPDX-License-Identifier: MIT
/** \file
 * The C math library functions a loop-IR `Call` may name: the one table that the
 * verifier (operand and result types), the interpreter (addresses) and the LLVM
 * code generator (declarations, resolved by the JIT against the same process
 * libm) share. A name that is not here is a verifier error, never a call through
 * a bad pointer.
 *
 * The table holds the float and double variants of Faust's math primitives
 * (sin, cos, tan, exp, log, log10, sqrt, pow, fmod, remainder, floor, ceil, rint,
 * round, atan2, asin, acos, atan, fabs) and of the foreign functions that
 * maths.lib declares with simple signatures (cbrt, hypot, ldexp, scalbn, log1p,
 * logb, ilogb, expm1, acosh, asinh, atanh, sinh, cosh, tanh, erf, erfc, tgamma,
 * lgamma, copysign, nextafter; j0, j1, jn, y0, y1, yn in double only).
 * `isnan`/`isinf` are C macros, not functions: lowering expresses them with
 * comparisons.
 */
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "ir/loop_ir.h"

namespace tutti::ir {

/// Result and parameter types: F = float, D = double, I = int32.
enum class MathSignature : std::uint8_t { F_F, F_FF, F_FI, I_F, D_D, D_DD, D_DI, I_D, D_ID };

struct MathFunction {
    std::string_view name;
    MathSignature signature;
    void (*address)(); ///< the libm function; cast to its real type (see signature) to call
};

/// The entry for `name`, or nullptr.
const MathFunction* find_math_function(std::string_view name);

/// Every entry, in a fixed order.
std::span<const MathFunction> math_functions();

Type math_result_type(MathSignature s);
std::uint32_t math_arity(MathSignature s);
Type math_param_type(MathSignature s, std::uint32_t i);

} // namespace tutti::ir
