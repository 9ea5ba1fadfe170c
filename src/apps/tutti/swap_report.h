// SPDX-License-Identifier: MIT
/** \file How `tutti render --swap-at` and `tutti play --watch` print a swap. */
#pragma once

#include <string>

#include "tutti/engine.h"

namespace tutti::app {

/// "swap 2 reverb2.dsp at frame 4096: compile 120.3 ms, prepare 2.1 ms, commit 14.2 us,
///  carried 31, resized 0, rebuilt 0, reset 0, dropped 0, no crossfade"
std::string swap_line(const SwapReport& r);
/// One line per state field: "  carried  fRec0 (recursion rec:...) from fRec0".
std::string swap_fields(const SwapReport& r);

} // namespace tutti::app
