// SPDX-License-Identifier: MIT
// Golden dumps: every NAME.dsp under tests/golden/stages is compiled (single
// precision) and the output of the pipeline's passes printed: boxes
// (evaluate), signals (propagate), typed signals (type), normal form
// (normalize), final signals with types and intervals (intervals), loop IR
// (lower); each must equal NAME.boxes / .sig / .types / .normal / .intervals /
// .ir. scripts/update_goldens.sh re-blesses them.
#include <gtest/gtest.h>

#include "compiler/stage_dump.h"
#include "tools/test_support.h"

namespace {

std::vector<std::string> cases() {
    return tutti::test::stems_in(tutti::test::source_dir() / "tests/golden/stages", ".dsp");
}

class StageGolden : public ::testing::TestWithParam<std::string> {};

TEST_P(StageGolden, MatchesExpectedDumps) {
    auto dir = tutti::test::source_dir() / "tests/golden/stages";
    auto d = tutti::compiler::dump_stages(
        GetParam() + ".dsp", tutti::test::read_file(dir / (GetParam() + ".dsp")), false);
    ASSERT_TRUE(d.diagnostics.empty()) << tutti::to_text(d.diagnostics[0]);
    EXPECT_EQ(d.boxes, tutti::test::read_file(dir / (GetParam() + ".boxes")));
    EXPECT_EQ(d.signals, tutti::test::read_file(dir / (GetParam() + ".sig")));
    EXPECT_EQ(d.types, tutti::test::read_file(dir / (GetParam() + ".types")));
    EXPECT_EQ(d.normal, tutti::test::read_file(dir / (GetParam() + ".normal")));
    EXPECT_EQ(d.intervals, tutti::test::read_file(dir / (GetParam() + ".intervals")));
    EXPECT_EQ(d.ir, tutti::test::read_file(dir / (GetParam() + ".ir")));
}

INSTANTIATE_TEST_SUITE_P(Files, StageGolden, ::testing::ValuesIn(cases()),
                         [](const auto& param_info) { return param_info.param; });

} // namespace
