// SPDX-License-Identifier: MIT
#include "ir/math_functions.h"

#include <math.h> // NOLINT(modernize-deprecated-headers): the C declarations (::sinf...), not the <cmath> overloads

namespace tutti::ir {

namespace {

using Erased = void (*)();

using FF = float (*)(float);
using FFF = float (*)(float, float);
using FFI = float (*)(float, int);
using IF = int (*)(float);
using DD = double (*)(double);
using DDD = double (*)(double, double);
using DDI = double (*)(double, int);
using ID = int (*)(double);
using DID = double (*)(int, double);

template <class F> Erased erase(F f) {
    return reinterpret_cast<Erased>(f);
}

// The static_casts pick the C function out of any overload set and check its type.
#define TUTTI_MATH_1(n)                                                                            \
    {#n "f", MathSignature::F_F, erase(static_cast<FF>(&::n##f))}, {                               \
#n, MathSignature::D_D, erase(static_cast <DD>(&::n))                                      \
    }
#define TUTTI_MATH_2(n)                                                                            \
    {#n "f", MathSignature::F_FF, erase(static_cast<FFF>(&::n##f))}, {                             \
#n, MathSignature::D_DD, erase(static_cast <DDD>(&::n))                                    \
    }
#define TUTTI_MATH_FI(n)                                                                           \
    {#n "f", MathSignature::F_FI, erase(static_cast<FFI>(&::n##f))}, {                             \
#n, MathSignature::D_DI, erase(static_cast <DDI>(&::n))                                    \
    }
#define TUTTI_MATH_IF(n)                                                                           \
    {#n "f", MathSignature::I_F, erase(static_cast<IF>(&::n##f))}, {                               \
#n, MathSignature::I_D, erase(static_cast <ID>(&::n))                                      \
    }

const MathFunction kFunctions[] = {
    // Faust primitives
    TUTTI_MATH_1(sin),
    TUTTI_MATH_1(cos),
    TUTTI_MATH_1(tan),
    TUTTI_MATH_1(asin),
    TUTTI_MATH_1(acos),
    TUTTI_MATH_1(atan),
    TUTTI_MATH_2(atan2),
    TUTTI_MATH_1(exp),
    TUTTI_MATH_1(log),
    TUTTI_MATH_1(log10),
    TUTTI_MATH_1(sqrt),
    TUTTI_MATH_2(pow),
    TUTTI_MATH_2(fmod),
    TUTTI_MATH_2(remainder),
    TUTTI_MATH_1(floor),
    TUTTI_MATH_1(ceil),
    TUTTI_MATH_1(rint),
    TUTTI_MATH_1(round),
    TUTTI_MATH_1(fabs),
    // maths.lib foreign functions
    TUTTI_MATH_1(cbrt),
    TUTTI_MATH_2(hypot),
    TUTTI_MATH_FI(ldexp),
    TUTTI_MATH_FI(scalbn),
    TUTTI_MATH_1(log1p),
    TUTTI_MATH_1(logb),
    TUTTI_MATH_IF(ilogb),
    TUTTI_MATH_1(expm1),
    TUTTI_MATH_1(acosh),
    TUTTI_MATH_1(asinh),
    TUTTI_MATH_1(atanh),
    TUTTI_MATH_1(sinh),
    TUTTI_MATH_1(cosh),
    TUTTI_MATH_1(tanh),
    TUTTI_MATH_1(erf),
    TUTTI_MATH_1(erfc),
    TUTTI_MATH_1(tgamma),
    TUTTI_MATH_1(lgamma),
    TUTTI_MATH_2(copysign),
    TUTTI_MATH_2(nextafter),
    // Bessel functions: double only
    {"j0", MathSignature::D_D, erase(static_cast<DD>(&::j0))},
    {"j1", MathSignature::D_D, erase(static_cast<DD>(&::j1))},
    {"jn", MathSignature::D_ID, erase(static_cast<DID>(&::jn))},
    {"y0", MathSignature::D_D, erase(static_cast<DD>(&::y0))},
    {"y1", MathSignature::D_D, erase(static_cast<DD>(&::y1))},
    {"yn", MathSignature::D_ID, erase(static_cast<DID>(&::yn))},
};

#undef TUTTI_MATH_1
#undef TUTTI_MATH_2
#undef TUTTI_MATH_FI
#undef TUTTI_MATH_IF

} // namespace

const MathFunction* find_math_function(std::string_view name) {
    for (const MathFunction& f : kFunctions) {
        if (f.name == name) {
            return &f;
        }
    }
    return nullptr;
}

std::span<const MathFunction> math_functions() {
    return kFunctions;
}

Type math_result_type(MathSignature s) {
    switch (s) {
    case MathSignature::F_F:
    case MathSignature::F_FF:
    case MathSignature::F_FI:
        return Type::F32;
    case MathSignature::I_F:
    case MathSignature::I_D:
        return Type::I32;
    case MathSignature::D_D:
    case MathSignature::D_DD:
    case MathSignature::D_DI:
    case MathSignature::D_ID:
        return Type::F64;
    }
    return Type::F64;
}

std::uint32_t math_arity(MathSignature s) {
    switch (s) {
    case MathSignature::F_F:
    case MathSignature::I_F:
    case MathSignature::D_D:
    case MathSignature::I_D:
        return 1;
    case MathSignature::F_FF:
    case MathSignature::F_FI:
    case MathSignature::D_DD:
    case MathSignature::D_DI:
    case MathSignature::D_ID:
        return 2;
    }
    return 0;
}

Type math_param_type(MathSignature s, std::uint32_t i) {
    switch (s) {
    case MathSignature::F_F:
    case MathSignature::F_FF:
    case MathSignature::I_F:
        return Type::F32;
    case MathSignature::F_FI:
        return i == 0 ? Type::F32 : Type::I32;
    case MathSignature::D_D:
    case MathSignature::D_DD:
    case MathSignature::I_D:
        return Type::F64;
    case MathSignature::D_DI:
        return i == 0 ? Type::F64 : Type::I32;
    case MathSignature::D_ID:
        return i == 0 ? Type::I32 : Type::F64;
    }
    return Type::F64;
}

} // namespace tutti::ir
