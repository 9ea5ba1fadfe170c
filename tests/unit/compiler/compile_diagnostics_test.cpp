// SPDX-License-Identifier: MIT
// Diagnostics of the stages after evaluation (signals, lowering, foreign code):
// every NAME.dsp in tests/unit/compiler/diagnostics is compiled in full and must
// report exactly the diagnostics its `// expect-error: L:C: id: message start`
// lines name, at that line and column, with the catalogue id; the message must
// start with the given text. Nothing else may be reported.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "tutti/compiler.h"

namespace {

namespace fs = std::filesystem;

struct Expect {
    unsigned line, column;
    std::string id, message;
};

std::vector<std::string> programs() {
    std::vector<std::string> names;
    for (const auto& e :
         fs::directory_iterator(TUTTI_SOURCE_DIR "/tests/unit/compiler/diagnostics")) {
        if (e.path().extension() == ".dsp") {
            names.push_back(e.path().stem().string());
        }
    }
    std::sort(names.begin(), names.end());
    return names;
}

class CompileDiagnostics : public ::testing::TestWithParam<std::string> {};

TEST_P(CompileDiagnostics, MatchExpectations) {
    fs::path file =
        fs::path(TUTTI_SOURCE_DIR "/tests/unit/compiler/diagnostics") / (GetParam() + ".dsp");
    std::ifstream in(file);
    std::vector<Expect> want;
    std::regex line_re(R"(^// expect-error: (\d+):(\d+): (\w+): (.*)$)");
    for (std::string line; std::getline(in, line);) {
        std::smatch m;
        if (std::regex_match(line, m, line_re)) {
            want.push_back({unsigned(std::stoul(m[1])), unsigned(std::stoul(m[2])), m[3], m[4]});
        }
    }
    ASSERT_FALSE(want.empty()) << "no expectation in " << file;
    auto r = tutti::compile_file(file.string(), tutti::CompileOptions{});
    std::vector<tutti::Diagnostic> got;
    for (const auto& d : r.diagnostics) {
        if (d.severity != tutti::Severity::Note) {
            got.push_back(d);
        }
    }
    std::string all;
    for (const auto& d : got) {
        all += tutti::to_text(d);
    }
    ASSERT_EQ(got.size(), want.size()) << all;
    for (std::size_t i = 0; i < want.size(); ++i) {
        EXPECT_EQ(got[i].id, want[i].id) << all;
        EXPECT_EQ(got[i].line, want[i].line) << all;
        EXPECT_EQ(got[i].column, want[i].column) << all;
        EXPECT_EQ(got[i].message.rfind(want[i].message, 0), 0u) << all;
        EXPECT_FALSE(got[i].file.empty()) << all;
    }
}

INSTANTIATE_TEST_SUITE_P(Files, CompileDiagnostics, ::testing::ValuesIn(programs()),
                         [](const auto& p) { return p.param; });

} // namespace
