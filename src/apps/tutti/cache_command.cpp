// SPDX-License-Identifier: MIT
#include "apps/tutti/cache_command.h"

#include <cstdio>
#include <iostream>

#include "cache/code_cache.h"

namespace tutti::app {

namespace {

std::string megabytes(std::uint64_t bytes) {
    char buf[32];
    if (bytes < (1u << 20)) {
        std::snprintf(buf, sizeof buf, "%.1f KB", double(bytes) / 1024.0);
    } else {
        std::snprintf(buf, sizeof buf, "%.1f MB", double(bytes) / double(1 << 20));
    }
    return buf;
}

} // namespace

int run_cache(const std::string& what) {
    cache::CodeCache& c = cache::process_cache();
    const cache::CacheSettings& s = c.settings();
    if (s.dir.empty()) {
        std::cerr << "tutti cache: no cache folder (set TUTTI_CACHE_DIR, XDG_CACHE_HOME or HOME)\n";
        return 1;
    }
    if (what == "clear") {
        const std::uint64_t bytes = c.clear();
        std::cout << "cleared " << s.dir.string() << " (" << megabytes(bytes) << ")\n";
        return 0;
    }
    const cache::CacheStats st = c.stats();
    const std::uint64_t lookups = st.disk_hits + st.disk_misses;
    std::cout << "location   " << st.dir.string() << (s.enabled ? "" : "  (off: TUTTI_CACHE=0)")
              << "\n";
    std::cout << "entries    " << st.objects << " programs' code, " << st.manifests
              << " manifests\n";
    std::cout << "size       " << megabytes(st.bytes) << " of " << megabytes(st.max_bytes)
              << " (TUTTI_CACHE_MAX_MB)\n";
    std::cout << "lookups    " << st.disk_hits << " hits, " << st.disk_misses << " misses";
    if (lookups > 0) {
        char pct[32];
        std::snprintf(pct, sizeof pct, " (%.0f%% hits)",
                      100.0 * double(st.disk_hits) / double(lookups));
        std::cout << pct;
    }
    std::cout << ", by every process since the last clear\n";
    std::cout << "compiler   " << cache::build_identity() << "\n";
    return 0;
}

} // namespace tutti::app
