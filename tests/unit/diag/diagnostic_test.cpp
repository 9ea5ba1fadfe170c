// SPDX-License-Identifier: MIT
#include <gtest/gtest.h>

#include "diag/diagnostic.h"
#include "diag/source_manager.h"

namespace {

using namespace tutti;

TEST(SourceManager, LineAndColumnAreOneBased) {
    diag::SourceManager sm;
    diag::FileId f = sm.add("a.dsp", "ab\ncd\r\n\nxyz");
    EXPECT_EQ(sm.line_col({f, 0}).line, 1u);
    EXPECT_EQ(sm.line_col({f, 0}).column, 1u);
    EXPECT_EQ(sm.line_col({f, 4}).line, 2u);
    EXPECT_EQ(sm.line_col({f, 4}).column, 2u);
    EXPECT_EQ(sm.line_col({f, 9}).line, 4u);
    EXPECT_EQ(sm.line_col({f, 9}).column, 2u);
    EXPECT_EQ(sm.line_text(f, 2), "cd");
    EXPECT_EQ(sm.line_text(f, 3), "");
    EXPECT_EQ(sm.line_text(f, 4), "xyz");
    EXPECT_EQ(sm.line_text(f, 5), "");
}

TEST(Diagnostics, FactoriesFormatTheCatalogueText) {
    diag::Diag d = diag::diags::unexpected_token({}, "'+'", "an expression");
    EXPECT_EQ(d.id, diag::DiagId::unexpected_token);
    EXPECT_EQ(d.message, "unexpected '+', expected an expression");
    EXPECT_EQ(diag::diag_name(d.id), "unexpected_token");
    EXPECT_EQ(diag::diags::nesting_too_deep({}, 256).message,
              "expression nested too deeply (the limit is 256 levels)");
}

TEST(Diagnostics, TextFormHasLocationSourceLineAndCaret) {
    diag::SourceManager sm;
    diag::FileId f = sm.add("dir/x.dsp", "process = 1 +;\n\tfoo bar;\n");
    diag::DiagnosticList list;
    list.add(diag::diags::unexpected_token({{f, 13}, {f, 14}}, "';'", "an expression"));
    list.add(diag::diags::invalid_character({{f, 20}, {f, 23}}, "'x'"));
    auto out = list.resolve(sm);
    ASSERT_EQ(out.size(), 2u);
    EXPECT_EQ(to_text(out[0]), "dir/x.dsp:1:14: error: unexpected ';', expected an expression\n"
                               "process = 1 +;\n"
                               "             ^\n");
    // a tab before the error is kept so the caret lines up; a range gets tildes
    EXPECT_EQ(to_text(out[1]), "dir/x.dsp:2:6: error: invalid character 'x'\n"
                               "\tfoo bar;\n"
                               "\t    ^~~\n");
    EXPECT_TRUE(list.has_errors());
    EXPECT_TRUE(has_errors(out));
}

TEST(Diagnostics, JsonFormEscapesText) {
    Diagnostic d;
    d.id = "x";
    d.message = "a \"quoted\"\\ \n\x01";
    d.file = "f.dsp";
    d.line = 3;
    d.column = 4;
    d.end_line = 3;
    d.end_column = 6;
    EXPECT_EQ(to_json(d), "{\"id\":\"x\",\"severity\":\"error\",\"message\":\"a \\\"quoted\\\"\\\\ "
                          "\\n\\u0001\",\"file\":\"f.dsp\",\"line\":3,\"column\":4,\"end_line\":3,"
                          "\"end_column\":6,\"source_line\":\"\"}");
    EXPECT_EQ(to_json(std::vector<Diagnostic>{}), "[]");
}

TEST(Diagnostics, NotesDoNotCountAsErrors) {
    diag::DiagnosticList list;
    list.add(diag::diags::searched_in({}, "/usr/share/faust"));
    EXPECT_FALSE(list.has_errors());
    EXPECT_EQ(list.size(), 1u);
}

} // namespace

namespace {
TEST(Diagnostics, ListIsCappedButCountsEveryError) {
    tutti::diag::DiagnosticList list;
    for (int i = 0; i < 5000; ++i) {
        list.add(tutti::diag::diags::multiple_definitions({}, "x"));
    }
    EXPECT_EQ(list.error_count(), 5000u);
    ASSERT_EQ(list.size(), tutti::diag::DiagnosticList::max_entries + 1);
    EXPECT_EQ(list.entries().back().id, tutti::diag::DiagId::too_many_diagnostics);
}
} // namespace
