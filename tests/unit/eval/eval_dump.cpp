// SPDX-License-Identifier: MIT
// Developer tool (not a test): evaluates programs and prints, for each, the
// arity of `process`, the evaluation time and either the box (-p) or the
// diagnostics; -f prints the box as a Faust program instead (round-trip checks).
// Usage: tutti_eval_dump [-p|-f] [-d] [--max-depth N] [--max-steps N] [-I dir]... file.dsp...
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "boxes/box.h"
#include "eval/evaluate.h"
#include "faust_syntax.h"
#include "frontend/frontend_session.h"

int main(int argc, char** argv) {
    bool print = false, faust = false;
    tutti::eval::EvalOptions eo;
    std::vector<std::string> includes, files;
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "-p") == 0) {
            print = true;
        } else if (std::strcmp(argv[i], "-f") == 0) {
            faust = true;
        } else if (std::strcmp(argv[i], "-d") == 0) {
            eo.double_precision = true;
        } else if (std::strcmp(argv[i], "--max-depth") == 0 && i + 1 < argc) {
            eo.max_depth = static_cast<std::uint32_t>(std::stoul(argv[++i]));
        } else if (std::strcmp(argv[i], "--max-steps") == 0 && i + 1 < argc) {
            eo.max_steps = std::stoull(argv[++i]);
        } else if (std::strcmp(argv[i], "-I") == 0 && i + 1 < argc) {
            includes.emplace_back(argv[++i]);
        } else {
            files.emplace_back(argv[i]);
        }
    }
    int status = 0;
    for (const std::string& f : files) {
        tutti::frontend::FrontendOptions fo;
        fo.include_dirs = includes;
        tutti::frontend::FrontendSession s(fo);
        auto t0 = std::chrono::steady_clock::now();
        const tutti::frontend::ParsedFile* pf = s.parse_program(f);
        auto t1 = std::chrono::steady_clock::now();
        const tutti::boxes::Box* b = nullptr;
        tutti::boxes::BoxContext boxes(s.interner());
        if (pf != nullptr) {
            b = tutti::eval::evaluate_program(s, *pf, boxes, eo).process;
        }
        auto t2 = std::chrono::steady_clock::now();
        double parse_ms = std::chrono::duration<double, std::milli>(t1 - t0).count();
        double eval_ms = std::chrono::duration<double, std::milli>(t2 - t1).count();
        if (b != nullptr && faust) {
            std::printf("%s", tutti::test::faust_program(b).c_str());
        } else if (b != nullptr) {
            std::printf("%s %u %u (parse %.1f ms, eval %.1f ms, %zu boxes)\n", f.c_str(), b->inputs,
                        b->outputs, parse_ms, eval_ms, boxes.size());
            if (print) {
                std::printf("%s\n", tutti::boxes::print(b).c_str());
            }
        } else {
            std::printf("%s ERROR\n", f.c_str());
            status = 1;
        }
        for (const auto& d : s.resolved_diagnostics()) {
            std::printf("  %s", tutti::to_text(d, false).c_str());
        }
    }
    return status;
}
