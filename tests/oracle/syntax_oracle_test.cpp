// SPDX-License-Identifier: MIT
// Differential test of what is a syntax error: for every program of
// syntax_cases.txt, and for mutants of them (one token deleted, inserted,
// swapped or replaced, from a fixed seed), our parser reports a diagnostic
// exactly when the reference faust reports "syntax error". Programs on which
// faust crashes are skipped (it crashes on some, e.g. `x letrec { } ]`).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "frontend/lexer/lexer.h"
#include "oracle/oracle_support.h"
#include "tools/test_support.h"

namespace fs = std::filesystem;

namespace {

struct Verdicts {
    bool faust_syntax_error = false;
    bool faust_crashed = false;
    bool ours_error = false;
};

Verdicts judge(const std::string& program) {
    fs::path dsp =
        fs::temp_directory_path() / ("tutti-syntax-" + std::to_string(getpid()) + ".dsp");
    std::ofstream(dsp) << program << "\n";
    auto r = tutti::test::run_command("faust -lang cpp -o /dev/null " + dsp.string());
    fs::remove(dsp);
    Verdicts v;
    v.faust_crashed = r.crashed;
    v.faust_syntax_error = r.output.find("syntax error") != std::string::npos;
    v.ours_error = !tutti::test::parse_text(program).diags.empty();
    return v;
}

std::vector<std::string> cases() {
    std::ifstream in(tutti::test::source_dir() / "tests/oracle/syntax_cases.txt");
    std::vector<std::string> out;
    std::string line;
    while (std::getline(in, line)) {
        if (!line.empty()) {
            out.push_back(line);
        }
    }
    return out;
}

std::vector<std::string> tokens_of(const std::string& s) {
    tutti::diag::DiagnosticList d;
    std::vector<std::string> out;
    for (const auto& t : tutti::frontend::lex(s, 1, d)) {
        if (t.kind != tutti::frontend::Tok::Eof) {
            out.push_back(s.substr(t.offset, t.length));
        }
    }
    return out;
}

TEST(SyntaxOracle, HandWrittenCasesAgreeWithFaust) {
    ASSERT_TRUE(tutti::test::faust_available()) << "install faust (make setup)";
    auto all = cases();
    ASSERT_GE(all.size(), 60u);
    std::size_t errors = 0, compared = 0;
    for (const auto& p : all) {
        Verdicts v = judge(p);
        if (v.faust_crashed) {
            continue;
        }
        ++compared;
        errors += v.faust_syntax_error ? 1 : 0;
        EXPECT_EQ(v.ours_error, v.faust_syntax_error) << p;
    }
    // the list holds both valid and invalid programs
    EXPECT_GE(errors, 5u);
    EXPECT_GE(compared - errors, 40u);
}

TEST(SyntaxOracle, MutantsAgreeWithFaust) {
    ASSERT_TRUE(tutti::test::faust_available()) << "install faust (make setup)";
    static const char* extra[] = {
        ",", ":",  ";", "(", ")",    "{",           "}",     "[",    "]",  "+",     "-",
        "~", "'",  "@", "=", "with", "letrec",      "where", "case", "=>", "_",     "!",
        ".", "\\", "x", "1", "par",  "environment", "<:",    ":>",   "^",  "route", "waveform"};
    auto all = cases();
    std::mt19937 rng(4242);
    auto pick = [&](std::size_t n) {
        return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng);
    };
    std::size_t compared = 0, disagreements = 0;
    for (int i = 0; i < 150; ++i) {
        auto toks = tokens_of(all[pick(all.size())]);
        std::size_t k = pick(toks.size());
        switch (pick(4)) {
        case 0:
            if (toks.size() > 1) {
                toks.erase(toks.begin() + long(k));
            }
            break;
        case 1:
            toks.insert(toks.begin() + long(k), extra[pick(std::size(extra))]);
            break;
        case 2:
            if (k + 1 < toks.size()) {
                std::swap(toks[k], toks[k + 1]);
            }
            break;
        default:
            toks[k] = extra[pick(std::size(extra))];
        }
        std::string program;
        for (const auto& t : toks) {
            program += (program.empty() ? "" : " ") + t;
        }
        Verdicts v = judge(program);
        if (v.faust_crashed) {
            continue;
        }
        ++compared;
        if (v.ours_error != v.faust_syntax_error) {
            ++disagreements;
            ADD_FAILURE() << "faust " << (v.faust_syntax_error ? "rejects" : "accepts") << ", we "
                          << (v.ours_error ? "reject" : "accept") << ": " << program;
        }
    }
    EXPECT_GE(compared, 100u);
    EXPECT_EQ(disagreements, 0u);
}

} // namespace
