// SPDX-License-Identifier: MIT
#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "support/arena.h"
#include "support/interner.h"

namespace {

TEST(Arena, AlignsAndKeepsObjects) {
    tutti::Arena a;
    for (int i = 0; i < 100000; ++i) {
        auto* d = a.make<double>(i * 0.5);
        EXPECT_EQ(reinterpret_cast<std::uintptr_t>(d) % alignof(double), 0u);
        EXPECT_EQ(*d, i * 0.5);
        a.allocate(3, 1); // misalign the next allocation on purpose
    }
    EXPECT_GE(a.bytes_used(), 100000u * 11u);
}

TEST(Arena, LargeAllocationsGetTheirOwnBlock) {
    tutti::Arena a;
    char* p = static_cast<char*>(a.allocate(10u << 20, 1));
    p[0] = 1;
    p[(10u << 20) - 1] = 2;
    EXPECT_EQ(p[0] + p[(10u << 20) - 1], 3);
}

TEST(Interner, EqualStringsAreOneSymbol) {
    tutti::Arena a;
    tutti::Interner in(a);
    std::string s1 = "freq", s2 = "fr";
    s2 += "eq";
    tutti::Symbol x = in.intern(s1), y = in.intern(s2), z = in.intern("gain");
    EXPECT_EQ(x, y);
    EXPECT_NE(x, z);
    EXPECT_EQ(x.str(), "freq");
    EXPECT_EQ(in.size(), 2u);
    s1[0] = 'X'; // the symbol owns its copy
    EXPECT_EQ(x.str(), "freq");
    EXPECT_TRUE(tutti::Symbol().empty());
    EXPECT_FALSE(in.intern("").empty()); // the empty string is a symbol too
}

} // namespace
