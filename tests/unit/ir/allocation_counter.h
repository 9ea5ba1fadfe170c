// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>

namespace tutti::ir::test_support {
/// Calls of the global operator new so far (the test binary's, see allocation_counter.cpp).
std::size_t allocation_count();
} // namespace tutti::ir::test_support
