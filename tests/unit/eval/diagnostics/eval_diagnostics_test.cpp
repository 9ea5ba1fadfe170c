// SPDX-License-Identifier: MIT
// Evaluation diagnostics: every NAME.dsp in this folder is parsed and evaluated,
// and states the diagnostics it must produce, in order, as
//     // expect-error: LINE:COL: id: message
//     // expect-note: LINE:COL: id: message
//     // expect-note: other.lib:LINE:COL: id: message     (in another file)
// A message ending in "..." is matched as a prefix. A file with no expectation
// must evaluate cleanly. Nothing else may be reported. A line
//     // eval-options: max_steps=N max_depth=N double
// sets evaluation options. Expectations are written in the files themselves
// (next to the code they are about): see the comments there.
#include <gtest/gtest.h>

#include <filesystem>
#include <regex>
#include <sstream>

#include "boxes/box.h"
#include "eval/evaluate.h"
#include "frontend/frontend_session.h"
#include "tools/test_support.h"

namespace fs = std::filesystem;

namespace {

struct Expect {
    std::string severity, file;
    unsigned line = 0, column = 0;
    std::string id, message;
    std::string show() const {
        return severity + " " + (file.empty() ? "" : file + ":") + std::to_string(line) + ":" +
               std::to_string(column) + ": " + id + ": " + message;
    }
};

std::vector<Expect> expectations(const std::string& text) {
    static const std::regex re(
        R"(//\s*expect-(error|note):\s*(?:([^:\s]+\.(?:lib|dsp)):)?(\d+):(\d+):\s*([a-z_]+):\s*(.*?)\s*$)");
    std::vector<Expect> out;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        std::smatch m;
        if (std::regex_search(line, m, re)) {
            Expect e;
            e.severity = m[1];
            e.file = m[2];
            e.line = unsigned(std::stoul(m[3]));
            e.column = unsigned(std::stoul(m[4]));
            e.id = m[5];
            e.message = m[6];
            out.push_back(e);
        }
    }
    return out;
}

tutti::eval::EvalOptions options_of(const std::string& text) {
    tutti::eval::EvalOptions o;
    static const std::regex line_re(R"(//\s*eval-options:(.*))");
    std::smatch m;
    if (std::regex_search(text, m, line_re)) {
        std::istringstream words(m[1].str());
        std::string w;
        while (words >> w) {
            if (w.rfind("max_steps=", 0) == 0) {
                o.max_steps = std::stoull(w.substr(10));
            } else if (w.rfind("max_depth=", 0) == 0) {
                o.max_depth = static_cast<std::uint32_t>(std::stoul(w.substr(10)));
            } else if (w == "double") {
                o.double_precision = true;
            }
        }
    }
    return o;
}

fs::path folder() {
    return tutti::test::source_dir() / "tests/unit/eval/diagnostics";
}

std::vector<std::string> test_files() {
    return tutti::test::stems_in(folder(), ".dsp");
}

class EvalDiagnostics : public ::testing::TestWithParam<std::string> {};

TEST_P(EvalDiagnostics, MatchExpectations) {
    fs::path file = folder() / (GetParam() + ".dsp");
    std::string text = tutti::test::read_file(file);
    std::vector<Expect> want = expectations(text);

    tutti::frontend::FrontendOptions opts;
    opts.use_environment = false;
    tutti::frontend::FrontendSession s(opts);
    const tutti::frontend::ParsedFile* pf = s.parse_program(file);
    ASSERT_NE(pf, nullptr);
    ASSERT_FALSE(s.diagnostics().has_errors()) << "the test program must parse";
    tutti::boxes::BoxContext boxes(s.interner());
    tutti::eval::Program p = tutti::eval::evaluate_program(s, *pf, boxes, options_of(text));
    std::vector<tutti::Diagnostic> got = s.resolved_diagnostics();
    EXPECT_EQ(p.process == nullptr, !want.empty());

    std::string report;
    for (const auto& d : got) {
        report += "  " + tutti::to_text(d, false);
    }
    ASSERT_EQ(got.size(), want.size()) << "reported:\n" << report;
    for (std::size_t i = 0; i < want.size(); ++i) {
        const Expect& w = want[i];
        const tutti::Diagnostic& d = got[i];
        SCOPED_TRACE("expected " + w.show() + "\nreported:\n" + report);
        EXPECT_EQ(w.severity, tutti::severity_name(d.severity));
        if (w.file.empty()) {
            EXPECT_EQ(fs::path(d.file), file);
        } else {
            EXPECT_EQ(fs::path(d.file).filename(), w.file);
        }
        EXPECT_EQ(d.line, w.line);
        EXPECT_EQ(d.column, w.column);
        EXPECT_EQ(d.id, w.id);
        if (w.message.size() >= 3 && w.message.compare(w.message.size() - 3, 3, "...") == 0) {
            EXPECT_EQ(d.message.substr(0, w.message.size() - 3),
                      w.message.substr(0, w.message.size() - 3));
        } else {
            EXPECT_EQ(d.message, w.message);
        }
    }
}

INSTANTIATE_TEST_SUITE_P(Files, EvalDiagnostics, ::testing::ValuesIn(test_files()),
                         [](const auto& param_info) { return param_info.param; });

TEST(EvalDiagnosticsSuite, HasAtLeast20Cases) {
    std::size_t with_expectations = 0;
    for (const auto& name : test_files()) {
        fs::path f = folder() / (name + ".dsp");
        with_expectations += expectations(tutti::test::read_file(f)).empty() ? 0 : 1;
    }
    EXPECT_GE(with_expectations, 20u);
}

} // namespace
