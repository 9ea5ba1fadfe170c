// SPDX-License-Identifier: MIT
/** \file
 * Linked into a test program with the real-time checker (rt_interposer.cpp):
 * the program fails when anything inside an audio section violated the
 * audio thread's rules during its tests (checked when the tests end; ctest
 * runs each test in its own process, so it is checked per test there).
 */
#include <gtest/gtest.h>

#include "support/rt_interposer.h"

namespace {

class RtEnvironment : public ::testing::Environment {
public:
    void SetUp() override {
        tutti_rt_reset();
    }
    void TearDown() override {
        EXPECT_EQ(tutti_rt_violations(), 0)
            << "first real-time violation inside an audio section: " << tutti_rt_first_violation();
    }
};

[[maybe_unused]] ::testing::Environment* const environment =
    ::testing::AddGlobalTestEnvironment(new RtEnvironment);

} // namespace
