// SPDX-License-Identifier: MIT
/** \file
 * How long the front end takes to parse the whole closure of stdfaust.lib (every
 * standard library, 35 files, about 1.1 MB), next to anchors measured in the
 * same run on the same files, so that the figures survive a noisy machine:
 *   read   - reading the files into memory (what any front end must do)
 *   scan   - one pass over the bytes counting newlines (memory bandwidth)
 *   lex    - our lexer alone, on the texts in memory
 *   parse  - lexer + parser on the texts in memory
 *   closure- the full job: resolve, read, lex and parse every file (FrontendSession)
 * Each figure is the best of N runs (Wren's benchmark.py convention).
 */
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "frontend/frontend_session.h"
#include "frontend/lexer/lexer.h"
#include "frontend/parser/parser.h"

namespace {

double best_ms(int runs, const std::function<void()>& f) {
    double best = 1e300;
    for (int i = 0; i < runs; ++i) {
        auto t0 = std::chrono::steady_clock::now();
        f();
        auto t1 = std::chrono::steady_clock::now();
        best = std::min(best, std::chrono::duration<double, std::milli>(t1 - t0).count());
    }
    return best;
}

std::string slurp(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

} // namespace

int main(int argc, char** argv) {
    int runs = argc > 1 ? std::atoi(argv[1]) : 30;
    const std::string program = "import(\"stdfaust.lib\");\nprocess = _;\n";

    // The closure, as the session finds it.
    std::vector<std::filesystem::path> paths;
    std::size_t bytes = 0;
    {
        tutti::frontend::FrontendSession s;
        s.parse_program_text("bench.dsp", program);
        if (s.diagnostics().has_errors() || s.files().size() < 30) {
            std::fprintf(stderr, "stdfaust.lib not found or not parsed (run make setup)\n");
            return 1;
        }
        for (std::size_t i = 1; i < s.files().size(); ++i) {
            paths.push_back(s.files()[i]->path);
        }
        bytes = s.sources().total_bytes();
    }
    std::vector<std::string> texts;
    texts.reserve(paths.size());
    for (const auto& p : paths) {
        texts.push_back(slurp(p));
    }

    volatile std::size_t sink = 0;
    double t_read = best_ms(runs, [&] {
        for (const auto& p : paths) {
            sink = sink + slurp(p).size();
        }
    });
    double t_scan = best_ms(runs, [&] {
        std::size_t n = 0;
        for (const auto& t : texts) {
            const char* c = t.data();
            const char* end = c + t.size();
            while ((c = static_cast<const char*>(std::memchr(c, '\n', std::size_t(end - c))))) {
                ++n;
                ++c;
            }
        }
        sink = sink + n;
    });
    double t_lex = best_ms(runs, [&] {
        tutti::diag::DiagnosticList d;
        for (const auto& t : texts) {
            sink = sink + tutti::frontend::lex(t, 1, d).size();
        }
    });
    double t_parse = best_ms(runs, [&] {
        tutti::Arena arena;
        tutti::Interner in(arena);
        tutti::diag::DiagnosticList d;
        tutti::frontend::ParseContext ctx{arena, in, d, {}};
        for (const auto& t : texts) {
            auto* root = tutti::frontend::parse_source(ctx, 1, t, in.intern("f"));
            sink = sink + root->count;
        }
    });
    double t_closure = best_ms(runs, [&] {
        tutti::frontend::FrontendSession s;
        s.parse_program_text("bench.dsp", program);
        sink = sink + s.files().size();
    });

    std::printf("stdfaust.lib closure: %zu files, %zu bytes, best of %d runs\n", paths.size(),
                bytes, runs);
    std::printf("%-8s %10s %10s %12s %12s\n", "step", "ms", "MB/s", "x read", "x scan");
    auto row = [&](const char* name, double ms) {
        std::printf("%-8s %10.3f %10.1f %12.2f %12.2f\n", name, ms, double(bytes) / 1e3 / ms,
                    ms / t_read, ms / t_scan);
    };
    row("read", t_read);
    row("scan", t_scan);
    row("lex", t_lex);
    row("parse", t_parse);
    row("closure", t_closure);
    std::printf("budget: closure < 50 ms: %s\n", t_closure < 50.0 ? "yes" : "NO");
    return 0;
}
