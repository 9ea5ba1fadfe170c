// SPDX-License-Identifier: MIT
// Golden syntax trees: every NAME.dsp under tests/golden/ast is parsed alone
// (imports not followed) and printed; the result must equal NAME.ast.
// scripts/update_goldens.sh rewrites the .ast files; review the diff before
// committing it (re-blessing).
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "tools/test_support.h"

namespace fs = std::filesystem;

namespace {

std::vector<std::string> golden_files() {
    return tutti::test::stems_in(tutti::test::source_dir() / "tests/golden/ast", ".dsp");
}

class GoldenAst : public ::testing::TestWithParam<std::string> {};

TEST_P(GoldenAst, MatchesExpectedDump) {
    fs::path dir = tutti::test::source_dir() / "tests/golden/ast";
    fs::path dsp = dir / (GetParam() + ".dsp");
    fs::path expected = dir / (GetParam() + ".ast");
    ASSERT_TRUE(fs::exists(expected))
        << "missing " << expected << " (run scripts/update_goldens.sh)";
    tutti::frontend::FrontendOptions opts;
    opts.follow_imports = false;
    tutti::frontend::FrontendSession s(opts);
    const auto* pf = s.parse_program_text(GetParam() + ".dsp", tutti::test::read_file(dsp));
    ASSERT_TRUE(s.resolved_diagnostics().empty());
    EXPECT_EQ(tutti::ast::print(pf->root), tutti::test::read_file(expected));
}

INSTANTIATE_TEST_SUITE_P(Files, GoldenAst, ::testing::ValuesIn(golden_files()),
                         [](const auto& param_info) { return param_info.param; });

} // namespace
