// SPDX-License-Identifier: MIT
#include "lower/c_constants.h"

#include <cfloat>
#include <climits>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <utility>

namespace tutti::lower {

namespace {

struct Constant {
    std::string_view name;
    double value;
};

#define C_CONSTANT(name)                                                                           \
    Constant {                                                                                     \
#name, static_cast < double>(name)                                                         \
    }

// long double values are converted to double here, as FAUSTFLOAT(LDBL_MIN) is
// in the reference's double output (LDBL_MIN underflows to 0, LDBL_MAX is inf)
constexpr Constant constants[] = {
    // <float.h>
    C_CONSTANT(FLT_MIN),
    C_CONSTANT(FLT_MAX),
    C_CONSTANT(FLT_EPSILON),
    C_CONSTANT(FLT_TRUE_MIN),
    C_CONSTANT(FLT_DIG),
    C_CONSTANT(FLT_MANT_DIG),
    C_CONSTANT(FLT_MIN_EXP),
    C_CONSTANT(FLT_MAX_EXP),
    C_CONSTANT(FLT_MIN_10_EXP),
    C_CONSTANT(FLT_MAX_10_EXP),
    C_CONSTANT(FLT_RADIX),
    C_CONSTANT(DBL_MIN),
    C_CONSTANT(DBL_MAX),
    C_CONSTANT(DBL_EPSILON),
    C_CONSTANT(DBL_TRUE_MIN),
    C_CONSTANT(DBL_DIG),
    C_CONSTANT(DBL_MANT_DIG),
    C_CONSTANT(DBL_MIN_EXP),
    C_CONSTANT(DBL_MAX_EXP),
    C_CONSTANT(DBL_MIN_10_EXP),
    C_CONSTANT(DBL_MAX_10_EXP),
    C_CONSTANT(LDBL_MIN),
    C_CONSTANT(LDBL_MAX),
    C_CONSTANT(LDBL_EPSILON),
    C_CONSTANT(LDBL_TRUE_MIN),
    C_CONSTANT(LDBL_DIG),
    C_CONSTANT(LDBL_MANT_DIG),
    C_CONSTANT(LDBL_MIN_EXP),
    C_CONSTANT(LDBL_MAX_EXP),
    C_CONSTANT(DECIMAL_DIG),
    // <limits.h>
    C_CONSTANT(CHAR_BIT),
    C_CONSTANT(CHAR_MIN),
    C_CONSTANT(CHAR_MAX),
    C_CONSTANT(SCHAR_MIN),
    C_CONSTANT(SCHAR_MAX),
    C_CONSTANT(UCHAR_MAX),
    C_CONSTANT(SHRT_MIN),
    C_CONSTANT(SHRT_MAX),
    C_CONSTANT(USHRT_MAX),
    C_CONSTANT(INT_MIN),
    C_CONSTANT(INT_MAX),
    C_CONSTANT(UINT_MAX),
    C_CONSTANT(LONG_MIN),
    C_CONSTANT(LONG_MAX),
    C_CONSTANT(ULONG_MAX),
    C_CONSTANT(LLONG_MIN),
    C_CONSTANT(LLONG_MAX),
    C_CONSTANT(ULLONG_MAX),
    // <stdint.h>
    C_CONSTANT(INT8_MIN),
    C_CONSTANT(INT8_MAX),
    C_CONSTANT(UINT8_MAX),
    C_CONSTANT(INT16_MIN),
    C_CONSTANT(INT16_MAX),
    C_CONSTANT(UINT16_MAX),
    C_CONSTANT(INT32_MIN),
    C_CONSTANT(INT32_MAX),
    C_CONSTANT(UINT32_MAX),
    C_CONSTANT(INT64_MIN),
    C_CONSTANT(INT64_MAX),
    C_CONSTANT(UINT64_MAX),
    // <math.h>
    C_CONSTANT(M_E),
    C_CONSTANT(M_LOG2E),
    C_CONSTANT(M_LOG10E),
    C_CONSTANT(M_LN2),
    C_CONSTANT(M_LN10),
    C_CONSTANT(M_PI),
    C_CONSTANT(M_PI_2),
    C_CONSTANT(M_PI_4),
    C_CONSTANT(M_1_PI),
    C_CONSTANT(M_2_PI),
    C_CONSTANT(M_2_SQRTPI),
    C_CONSTANT(M_SQRT2),
    C_CONSTANT(M_SQRT1_2),
    C_CONSTANT(HUGE_VAL),
    C_CONSTANT(HUGE_VALF),
    C_CONSTANT(INFINITY),
    C_CONSTANT(NAN),
    // <stdlib.h>, <stdio.h>
    C_CONSTANT(RAND_MAX),
    C_CONSTANT(EXIT_SUCCESS),
    C_CONSTANT(EXIT_FAILURE),
    C_CONSTANT(EOF),
    C_CONSTANT(BUFSIZ),
};

#undef C_CONSTANT

} // namespace

std::optional<double> c_header_constant(std::string_view name) {
    for (const Constant& c : constants) {
        if (c.name == name) {
            return c.value;
        }
    }
    return std::nullopt;
}

} // namespace tutti::lower
