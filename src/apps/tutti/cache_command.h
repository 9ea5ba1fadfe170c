// SPDX-License-Identifier: MIT
/** \file `tutti cache stats|clear`: the compiled-code cache (cache/code_cache.h). */
#pragma once

#include <string>

namespace tutti::app {

/// `what`: "stats" or "clear". Returns the exit code.
int run_cache(const std::string& what);

} // namespace tutti::app
