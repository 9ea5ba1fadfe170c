// SPDX-License-Identifier: MIT
/** \file
 * The browser page's files (web/public/ at the repository root), embedded in
 * the binary at build time: cmake/EmbedWebAssets.cmake turns every file into a
 * byte array of a generated source (build/src/web/web_assets.cpp), so nothing
 * is read from disk at run time and the HTTP server serves only these.
 *
 * Paths are absolute URL paths ("/", "/index.html", "/js/app.js", ...);
 * "/" is the page itself (index.html). A query string or fragment in the
 * argument is ignored. Anything else (no file, "..", a folder) gives nullptr.
 * The table is static: the pointers live as long as the program.
 */
#pragma once

#include <cstddef>
#include <string_view>

namespace tutti::web {

struct Asset {
    std::string_view path;         ///< "/index.html"
    std::string_view content_type; ///< "text/html; charset=utf-8"
    std::string_view body;         ///< the file's bytes
};

/// The embedded file served at `path`, or nullptr.
const Asset* find_asset(std::string_view path);

/// Every embedded file, in path order (for listings and tests).
const Asset* assets_begin();
const Asset* assets_end();

} // namespace tutti::web
