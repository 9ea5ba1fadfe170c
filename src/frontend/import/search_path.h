// SPDX-License-Identifier: MIT
/** \file
 * Where `import("f")`, `library("f")` and `component("f")` look for files, in
 * order: the folder of the program being compiled, each `-I DIR`, each folder of
 * the `TUTTI_LIBRARY_PATH` environment variable (colon-separated), then the
 * installed Faust libraries (found at run time: the first of /usr/share/faust and
 * /usr/local/share/faust that holds stdfaust.lib). As in Faust, an `import` inside
 * a library does not search that library's own folder; `component` paths are tried
 * relative to the file that names them first.
 */
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tutti::frontend {

/// Folders holding an installed stdfaust.lib (normally just /usr/share/faust).
std::vector<std::filesystem::path> installed_faust_library_dirs();

class SearchPath {
public:
    SearchPath() = default;

    /// `env_value` is the value of TUTTI_LIBRARY_PATH (nullptr when unset).
    static SearchPath make(const std::filesystem::path& program_dir,
                           const std::vector<std::string>& include_dirs, const char* env_value,
                           bool with_installed);

    /// The first regular file named `name` in `first_dir` (if given) then in the
    /// search folders; an absolute name is taken as is.
    std::optional<std::filesystem::path>
    find(std::string_view name, const std::filesystem::path* first_dir = nullptr) const;

    const std::vector<std::filesystem::path>& dirs() const {
        return dirs_;
    }
    /// "a, b, c" for diagnostics.
    std::string describe() const;

private:
    std::vector<std::filesystem::path> dirs_;
};

} // namespace tutti::frontend
