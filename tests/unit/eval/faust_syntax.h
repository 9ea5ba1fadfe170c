// SPDX-License-Identifier: MIT
/** \file
 * Prints a box as a Faust program (`process = ...;` plus `ID_n = ...;` for the
 * boxes used more than once), so that the reference faust can compile what our
 * evaluator produced: the round-trip check compares its output with the output
 * of the original program. Test/developer helper, not part of the compiler.
 */
#pragma once

#include <string>

#include "boxes/box.h"

namespace tutti::test {

std::string faust_program(const boxes::Box* process);

} // namespace tutti::test
