// SPDX-License-Identifier: MIT
#include "frontend/import/search_path.h"

#include <system_error>

namespace tutti::frontend {

namespace fs = std::filesystem;

namespace {
bool is_file(const fs::path& p) {
    std::error_code ec;
    return fs::is_regular_file(p, ec);
}
} // namespace

std::vector<fs::path> installed_faust_library_dirs() {
    std::vector<fs::path> out;
    for (const char* d : {"/usr/share/faust", "/usr/local/share/faust"}) {
        if (is_file(fs::path(d) / "stdfaust.lib")) {
            out.emplace_back(d);
            break;
        }
    }
    return out;
}

SearchPath SearchPath::make(const fs::path& program_dir,
                            const std::vector<std::string>& include_dirs, const char* env_value,
                            bool with_installed) {
    SearchPath sp;
    sp.dirs_.push_back(program_dir.empty() ? fs::path(".") : program_dir);
    for (const auto& d : include_dirs) {
        sp.dirs_.emplace_back(d);
    }
    if (env_value != nullptr) {
        std::string_view v(env_value);
        while (!v.empty()) {
            std::size_t colon = v.find(':');
            std::string_view part = v.substr(0, colon);
            if (!part.empty()) {
                sp.dirs_.emplace_back(std::string(part));
            }
            if (colon == std::string_view::npos) {
                break;
            }
            v.remove_prefix(colon + 1);
        }
    }
    if (with_installed) {
        for (auto& d : installed_faust_library_dirs()) {
            sp.dirs_.push_back(d);
        }
    }
    return sp;
}

std::optional<fs::path> SearchPath::find(std::string_view name, const fs::path* first_dir) const {
    if (name.empty()) {
        return std::nullopt;
    }
    fs::path n{std::string(name)};
    if (n.is_absolute()) {
        if (is_file(n)) {
            return n;
        }
        return std::nullopt;
    }
    if (first_dir != nullptr) {
        fs::path p = *first_dir / n;
        if (is_file(p)) {
            return p;
        }
    }
    for (const auto& d : dirs_) {
        fs::path p = d / n;
        if (is_file(p)) {
            return p;
        }
    }
    return std::nullopt;
}

std::string SearchPath::describe() const {
    std::string s;
    for (const auto& d : dirs_) {
        if (!s.empty()) {
            s += ", ";
        }
        s += d.string();
    }
    return s;
}

} // namespace tutti::frontend
