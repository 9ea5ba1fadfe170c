// SPDX-License-Identifier: MIT
#include "web/assets.h"

#include <algorithm>

#include "web/asset_table.h"

namespace tutti::web {

const Asset* assets_begin() {
    return detail::asset_table;
}
const Asset* assets_end() {
    return detail::asset_table + detail::asset_count;
}

const Asset* find_asset(std::string_view path) {
    if (auto cut = path.find_first_of("?#"); cut != std::string_view::npos) {
        path = path.substr(0, cut);
    }
    if (path.empty() || path == "/") {
        path = "/index.html";
    }
    // The table is sorted by path (the generator sorts it).
    const Asset* first = assets_begin();
    const Asset* last = assets_end();
    const Asset* it = std::lower_bound(
        first, last, path, [](const Asset& a, std::string_view p) { return a.path < p; });
    if (it == last || it->path != path) {
        return nullptr;
    }
    return it;
}

} // namespace tutti::web
