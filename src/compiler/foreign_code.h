// SPDX-License-Identifier: MIT
/** \file
 * Foreign functions (`ffunction` of a C/C++ header next to the program): the
 * header is compiled by the host's C++ compiler into a shared object with two
 * entry points per function (the typed one that JIT-compiled code calls, and one
 * with double arguments for the interpreter), cached by content in
 * ~/.cache/tutti/ffi (XDG_CACHE_HOME), and loaded into the process.
 */
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "ir/loop_ir.h"

namespace tutti::compiler {

struct ForeignBuild {
    bool ok = false;
    std::string error; ///< why not (the compiler's first error lines, or what is missing)
    std::size_t failed_entry = 0; ///< which module->foreign entry the error is about
};

/// Finds each function's header (in `search`, in order), builds or reuses the
/// shared object, loads it and fills ForeignFunction::symbol and ::uniform.
/// `dbl`: the program's precision (a `float` in a signature is its real type).
ForeignBuild build_foreign_code(ir::Module& module,
                                const std::vector<std::filesystem::path>& search);

} // namespace tutti::compiler
