// SPDX-License-Identifier: MIT
/** \file
 * libFuzzer target for the TXT record of a `_tutti._tcp` service (src/discovery):
 * any host on the link can publish one. The input is TXT RDATA as it travels
 * (length-prefixed strings); its entries go through parse_txt, the facts
 * through the listing's JSON and text. Traps when a port or the core count is
 * out of range, the load is not finite, a string is longer than its bound or
 * not printable ASCII, or the facts do not survive make_txt -> parse_txt.
 */
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "discovery/txt_record.h"
#include "fuzz_target.h"

namespace {

void check(bool ok) {
    if (!ok) {
        __builtin_trap();
    }
}

bool printable(const std::string& s, std::size_t max) {
    if (s.size() > max) {
        return false;
    }
    for (char c : s) {
        if (c < 0x20 || c > 0x7e) {
            return false;
        }
    }
    return true;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size > 65535) { // the most a DNS record holds
        return -1;
    }
    namespace d = tutti::discovery;
    std::vector<std::string> entries;
    std::size_t i = 0;
    while (i < size) {
        std::size_t n = data[i++];
        n = std::min(n, size - i);
        entries.emplace_back(reinterpret_cast<const char*>(data + i), n);
        i += n;
    }
    d::ServerFacts f = d::parse_txt(entries);
    check(printable(f.version, 64) && printable(f.cpu, 64) && printable(f.api, 128));
    check(f.load < 0 || (std::isfinite(f.load) && f.load >= 0));
    check(f.cores <= (1U << 16));

    d::ServerFacts g = d::parse_txt(d::make_txt(f));
    check(g.version == f.version && g.cpu == f.cpu && g.api == f.api);
    check(g.cores == f.cores && g.osc_port == f.osc_port && g.http_port == f.http_port);
    check((f.load < 0) == (g.load < 0));
    check(f.load < 0 || d::format_load(g.load) == d::format_load(f.load));

    d::ServerInfo s;
    s.name = entries.empty() ? "" : entries[0];
    s.facts = f;
    s.txt = entries;
    check(!d::to_json({s}).empty());
    check(!d::to_table({s}).empty());
    return 0;
}
