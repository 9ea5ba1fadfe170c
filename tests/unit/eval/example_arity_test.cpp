// SPDX-License-Identifier: MIT
// The differential arity test: for every example program the reference faust
// compiles, the (inputs, outputs) of our `process` box equals the reference's
// (getNumInputs/getNumOutputs of `faust -lang cpp`), recorded in
// example_arity.txt by scripts/regenerate_example_arity.sh. Programs the
// reference rejects for having no `process` must be rejected by us too; the
// others it fails on (a crash) must at least not crash us.
//
// Known failures: none. If one is ever added to `known_failures`, its test still
// fails (with the reason) until it is fixed: nothing is hidden.
#include <gtest/gtest.h>

#include <cctype>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "boxes/box.h"
#include "eval/evaluate.h"
#include "frontend/frontend_session.h"
#include "tools/test_support.h"

namespace fs = std::filesystem;

namespace {

struct Example {
    std::string path; ///< relative to the examples folder
    bool reference_ok = false;
    std::uint32_t inputs = 0, outputs = 0;
    std::string failure; ///< the reference's error when !reference_ok
};

/// Examples we knowingly do not match yet: (path, reason). Empty: none.
std::vector<std::pair<std::string, std::string>> known_failures() {
    return {};
}

std::vector<Example> load_examples() {
    std::vector<Example> out;
    std::ifstream in(tutti::test::source_dir() / "tests/unit/eval/example_arity.txt");
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#') {
            continue;
        }
        std::istringstream words(line);
        Example e;
        std::string a, b;
        words >> e.path >> a;
        if (a == "FAIL") {
            std::getline(words, e.failure);
        } else {
            words >> b;
            e.reference_ok = true;
            e.inputs = static_cast<std::uint32_t>(std::stoul(a));
            e.outputs = static_cast<std::uint32_t>(std::stoul(b));
        }
        out.push_back(e);
    }
    return out;
}

fs::path examples_dir() {
    return tutti::test::faust_dir() / "examples";
}

struct Result {
    bool ok = false;
    std::uint32_t inputs = 0, outputs = 0;
    std::vector<tutti::Diagnostic> diags;
    double seconds = 0;
};

Result evaluate_example(const std::string& rel) {
    fs::path file = examples_dir() / rel;
    tutti::frontend::FrontendOptions fo;
    fo.use_environment = false;
    fo.include_dirs.push_back(file.parent_path().string());
    tutti::frontend::FrontendSession s(fo);
    Result r;
    const tutti::frontend::ParsedFile* pf = s.parse_program(file);
    if (pf != nullptr) {
        tutti::boxes::BoxContext boxes(s.interner());
        auto t0 = std::chrono::steady_clock::now();
        tutti::eval::Program p = tutti::eval::evaluate_program(s, *pf, boxes);
        r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        if (p.process != nullptr) {
            r.ok = true;
            r.inputs = p.process->inputs;
            r.outputs = p.process->outputs;
        }
    }
    r.diags = s.resolved_diagnostics();
    return r;
}

std::string test_name(const std::string& path) {
    std::string n;
    for (char c : path) {
        n += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
    }
    return n;
}

class ExampleArity : public ::testing::TestWithParam<Example> {};

TEST_P(ExampleArity, MatchesReference) {
    const Example& ex = GetParam();
    if (!fs::exists(examples_dir() / ex.path)) {
        GTEST_SKIP() << "examples not installed: " << ex.path;
    }
    for (const auto& [path, reason] : known_failures()) {
        if (ex.path == path) {
            ADD_FAILURE() << "known failure (" << reason << ")";
        }
    }
    Result r = evaluate_example(ex.path);
    std::string report;
    for (const auto& d : r.diags) {
        report += "  " + tutti::to_text(d, false);
    }
    if (ex.reference_ok) {
        ASSERT_TRUE(r.ok) << "the reference compiles " << ex.path << ", we report:\n" << report;
        EXPECT_TRUE(r.diags.empty()) << report;
        EXPECT_EQ(r.inputs, ex.inputs) << "inputs of " << ex.path;
        EXPECT_EQ(r.outputs, ex.outputs) << "outputs of " << ex.path;
    } else if (ex.failure.find("undefined symbol : process") != std::string::npos) {
        EXPECT_FALSE(r.ok);
        ASSERT_FALSE(r.diags.empty());
        EXPECT_EQ(r.diags[0].id, "undefined_symbol");
        EXPECT_EQ(r.diags[0].message, "undefined symbol 'process'");
    }
    // other reference failures (faust crashes): evaluating must not crash us
}

std::vector<Example> examples() {
    return load_examples();
}

INSTANTIATE_TEST_SUITE_P(Examples, ExampleArity, ::testing::ValuesIn(examples()),
                         [](const auto& param_info) { return test_name(param_info.param.path); });

TEST(ExampleAritySuite, ReferenceDataCoversTheExamples) {
    auto list = load_examples();
    std::size_t ok = 0;
    for (const auto& e : list) {
        ok += e.reference_ok ? 1 : 0;
    }
    EXPECT_GE(list.size(), 251u);
    EXPECT_GE(ok, 243u);
}

TEST(ExampleAritySuite, LargeReverbsEvaluateQuickly) {
#if defined(NDEBUG) && !defined(__SANITIZE_ADDRESS__)
    const double limit = 1.0;
#else
    const double limit = 10.0; // unoptimised or instrumented builds
#endif
    for (const char* rel : {"reverb/zitaRev.dsp", "reverb/fdnRev.dsp"}) {
        if (!fs::exists(examples_dir() / rel)) {
            GTEST_SKIP() << "examples not installed";
        }
        Result r = evaluate_example(rel);
        EXPECT_TRUE(r.ok) << rel;
        EXPECT_LT(r.seconds, limit) << rel;
    }
}

} // namespace
