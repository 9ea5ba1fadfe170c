// SPDX-License-Identifier: MIT
// Diagnostics tests: every NAME.dsp in this folder states the diagnostics it must
// produce, in order, in comments of the form
//     // expect-error: LINE:COL: id: message
//     // expect-note: LINE:COL: id: message
//     // expect-error: other.lib:LINE:COL: id: message     (in another file)
// A message ending in "..." is matched as a prefix. A file with no expectation
// must parse cleanly. Nothing else may be reported.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <regex>
#include <sstream>

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

std::vector<std::string> test_files() {
    return tutti::test::stems_in(tutti::test::source_dir() / "tests/diagnostics", ".dsp");
}

class Diagnostics : public ::testing::TestWithParam<std::string> {};

TEST_P(Diagnostics, MatchExpectations) {
    fs::path file = tutti::test::source_dir() / "tests/diagnostics" / (GetParam() + ".dsp");
    std::vector<Expect> want = expectations(tutti::test::read_file(file));

    tutti::frontend::FrontendOptions opts;
    opts.use_environment = false;
    tutti::frontend::FrontendSession s(opts);
    s.parse_program(file);
    std::vector<tutti::Diagnostic> got = s.resolved_diagnostics();

    std::string report;
    for (const auto& d : got) {
        report += "  " + tutti::to_text(d, false);
    }
    ASSERT_EQ(got.size(), want.size()) << "reported:\n" << report;
    for (std::size_t i = 0; i < want.size(); ++i) {
        const Expect& w = want[i];
        const tutti::Diagnostic& d = got[i];
        SCOPED_TRACE("expected " + w.show());
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

INSTANTIATE_TEST_SUITE_P(Files, Diagnostics, ::testing::ValuesIn(test_files()),
                         [](const auto& param_info) { return param_info.param; });

TEST(DiagnosticsSuite, HasAtLeast25Cases) {
    std::size_t with_expectations = 0;
    for (const auto& name : test_files()) {
        fs::path f = tutti::test::source_dir() / "tests/diagnostics" / (name + ".dsp");
        with_expectations += expectations(tutti::test::read_file(f)).empty() ? 0 : 1;
    }
    EXPECT_GE(with_expectations, 25u);
}

} // namespace
