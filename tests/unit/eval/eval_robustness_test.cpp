// SPDX-License-Identifier: MIT
// Robustness: mutated programs (numbers, operators, identifiers swapped, tokens
// dropped) that still parse must evaluate to a box or to diagnostics, never
// crash, hang or throw; a program gets a process box exactly when it gets no
// error. Deterministic (fixed seed).
#include <gtest/gtest.h>

#include <random>
#include <regex>

#include "boxes/box.h"
#include "eval/evaluate.h"
#include "frontend/frontend_session.h"

namespace {

const char* const seeds[] = {
    "import(\"stdfaust.lib\");\n"
    "f(x, y) = x * y + 1;\n"
    "g(0) = 1; g(n) = n * g(n - 1);\n"
    "N = 4;\n"
    "process = par(i, N, _ * hslider(\"g %i\", 0.5, 0, 1, 0.01)) :> fi.lowpass(2, 1000) "
    ": *(g(3)) <: f(2), (_ ~ *(0.5));\n",
    "import(\"stdfaust.lib\");\n"
    "process = os.osc(440) * en.adsr(0.1, 0.2, 0.5, 0.3, button(\"gate\")) "
    "<: re.zita_rev1_stereo(0, 200, 6000, 3, 2, 48000);\n",
    "e = environment { a = 1; b(x) = x + a; };\n"
    "count((x, xs)) = 1 + count(xs); count(x) = 1;\n"
    "process = route(2, 2, (1, 2), (2, 1)) : (e.b, e[a = 3;].b(count((1, 2, 3)))) "
    "letrec { 'z = z + 1; };\n",
    "import(\"stdfaust.lib\");\n"
    "process = ba.selector(1, 3), ro.interleave(2, 2), seq(i, 3, +(i)), sum(i, 3, i), "
    "waveform{1, 2, 3}, si.bus(2) : par(i, 10, !);\n",
};

const char* const replacements[] = {"0", "1",  "-1", "2.5", "1000000", "_", "!", "+", ":",
                                    ",", "<:", ":>", "~",   "f",       "x", "(", ")", ""};

std::string mutate(const std::string& src, std::mt19937& rng) {
    static const std::regex token(R"([A-Za-z_][A-Za-z0-9_.]*|[0-9]+(\.[0-9]*)?|<:|:>|[-+*/:,~()])");
    std::vector<std::pair<std::size_t, std::size_t>> spans;
    for (auto it = std::sregex_iterator(src.begin(), src.end(), token);
         it != std::sregex_iterator(); ++it) {
        spans.emplace_back(std::size_t(it->position()), std::size_t(it->length()));
    }
    std::string out = src;
    int edits = 1 + int(rng() % 4 == 0);
    for (int k = 0; k < edits && !spans.empty(); ++k) {
        auto [pos, len] = spans[rng() % spans.size()];
        if (pos + len > out.size()) {
            continue;
        }
        const char* r = replacements[rng() % (sizeof replacements / sizeof replacements[0])];
        out.replace(pos, len, r);
        spans.clear();
        for (auto it = std::sregex_iterator(out.begin(), out.end(), token);
             it != std::sregex_iterator(); ++it) {
            spans.emplace_back(std::size_t(it->position()), std::size_t(it->length()));
        }
    }
    return out;
}

TEST(EvalRobustness, MutatedProgramsNeverCrash) {
    std::mt19937 rng(12345);
    int evaluated = 0, with_box = 0;
    for (int round = 0; round < 50; ++round) {
        for (const char* seed : seeds) {
            std::string text = mutate(seed, rng);
            tutti::frontend::FrontendOptions fo;
            fo.use_environment = false;
            tutti::frontend::FrontendSession s(fo);
            const auto* pf = s.parse_program_text("mutant.dsp", text);
            if (pf == nullptr || s.diagnostics().has_errors()) {
                continue;
            }
            tutti::boxes::BoxContext boxes(s.interner());
            tutti::eval::EvalOptions o;
            o.max_steps = 2000000;
            tutti::eval::Program p = tutti::eval::evaluate_program(s, *pf, boxes, o);
            ++evaluated;
            with_box += p.process != nullptr ? 1 : 0;
            EXPECT_EQ(p.process == nullptr, s.diagnostics().has_errors()) << text;
            for (const auto& d : s.resolved_diagnostics()) {
                EXPECT_NE(d.id, "internal_error") << text << "\n" << d.message;
                EXPECT_GT(d.line, 0u) << text;
            }
        }
    }
    // the mutants must exercise both outcomes
    EXPECT_GE(evaluated, 40);
    EXPECT_GE(with_box, 10);
    EXPECT_LT(with_box, evaluated);
}

} // namespace
