// SPDX-License-Identifier: MIT
#include <gtest/gtest.h>

#include <cmath>
#include <set>
#include <string>

#include "ir/math_functions.h"

namespace {

using namespace tutti::ir;

TEST(MathFunctions, HoldEveryFaustMathPrimitiveInBothPrecisions) {
    for (const char* base :
         {"sin", "cos", "tan", "exp", "log", "log10", "sqrt", "pow", "fmod", "remainder", "floor",
          "ceil", "rint", "atan2", "asin", "acos", "atan", "fabs"}) {
        const MathFunction* d = find_math_function(base);
        const MathFunction* f = find_math_function(std::string(base) + "f");
        ASSERT_NE(d, nullptr) << base;
        ASSERT_NE(f, nullptr) << base << "f";
        EXPECT_EQ(math_result_type(d->signature), Type::F64) << base;
        EXPECT_EQ(math_result_type(f->signature), Type::F32) << base;
        EXPECT_EQ(math_param_type(d->signature, 0), Type::F64) << base;
        EXPECT_EQ(math_param_type(f->signature, 0), Type::F32) << base;
    }
    EXPECT_EQ(find_math_function("sinus"), nullptr);
    EXPECT_EQ(find_math_function(""), nullptr);
}

TEST(MathFunctions, SignaturesAndAddresses) {
    const MathFunction* p = find_math_function("powf");
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(math_arity(p->signature), 2u);
    EXPECT_EQ(reinterpret_cast<float (*)(float, float)>(p->address)(2.0f, 10.0f), 1024.0f);
    const MathFunction* l = find_math_function("ldexp");
    ASSERT_NE(l, nullptr);
    EXPECT_EQ(l->signature, MathSignature::D_DI);
    EXPECT_EQ(math_param_type(l->signature, 1), Type::I32);
    EXPECT_EQ(reinterpret_cast<double (*)(double, int)>(l->address)(3.0, 4), 48.0);
    const MathFunction* j = find_math_function("jn");
    ASSERT_NE(j, nullptr);
    EXPECT_EQ(math_param_type(j->signature, 0), Type::I32);
    EXPECT_EQ(math_param_type(j->signature, 1), Type::F64);
    const MathFunction* i = find_math_function("ilogbf");
    ASSERT_NE(i, nullptr);
    EXPECT_EQ(math_result_type(i->signature), Type::I32);
    EXPECT_EQ(reinterpret_cast<int (*)(float)>(i->address)(8.0f), 3);
    // Each name once, each address the named function.
    std::set<std::string_view> names;
    for (const MathFunction& f : math_functions()) {
        EXPECT_TRUE(names.insert(f.name).second) << f.name;
        EXPECT_NE(f.address, nullptr) << f.name;
    }
    EXPECT_EQ(reinterpret_cast<void (*)()>(&::cosf), find_math_function("cosf")->address);
    EXPECT_EQ(reinterpret_cast<void (*)()>(static_cast<double (*)(double)>(&::tanh)),
              find_math_function("tanh")->address);
}

} // namespace
