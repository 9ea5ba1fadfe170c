// SPDX-License-Identifier: MIT
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "frontend/lexer/lexer.h"

namespace {

using tutti::frontend::lex;
using tutti::frontend::Tok;
using tutti::frontend::Token;

struct Lexed {
    std::vector<Token> toks;
    tutti::diag::DiagnosticList diags;
};

Lexed run(const std::string& s) {
    Lexed l;
    l.toks = lex(s, 1, l.diags);
    return l;
}

std::vector<Tok> kinds(const std::string& s) {
    std::vector<Tok> k;
    for (const Token& t : run(s).toks) {
        k.push_back(t.kind);
    }
    return k;
}

TEST(Lexer, Operators) {
    EXPECT_EQ(kinds(": , <: :> +> ~ + - * / % ^ @ ' & | << >> < <= > >= == != _ ! ; = ( ) { } [ ] "
                    "\\ . =>"),
              (std::vector<Tok>{Tok::Seq,    Tok::Par,    Tok::Split,    Tok::Merge,    Tok::Merge,
                                Tok::Rec,    Tok::Add,    Tok::Sub,      Tok::Mul,      Tok::Div,
                                Tok::Mod,    Tok::Pow,    Tok::Delay,    Tok::Delay1,   Tok::And,
                                Tok::Or,     Tok::Lsh,    Tok::Rsh,      Tok::Lt,       Tok::Le,
                                Tok::Gt,     Tok::Ge,     Tok::Eq,       Tok::Ne,       Tok::Wire,
                                Tok::Cut,    Tok::Semi,   Tok::Def,      Tok::LParen,   Tok::RParen,
                                Tok::LBrace, Tok::RBrace, Tok::LBracket, Tok::RBracket, Tok::Lambda,
                                Tok::Dot,    Tok::Arrow,  Tok::Eof}));
}

TEST(Lexer, KeywordsAndIdentifiers) {
    EXPECT_EQ(kinds("sin sinus with without xor letrec where _x __y x_1 a::b ::c"),
              (std::vector<Tok>{Tok::KwSin, Tok::Ident, Tok::KwWith, Tok::Ident, Tok::KwXor,
                                Tok::KwLetrec, Tok::KwWhere, Tok::Ident, Tok::Ident, Tok::Ident,
                                Tok::Ident, Tok::Ident, Tok::Eof}));
    // a lone underscore, or underscores before a digit, are wires
    EXPECT_EQ(kinds("_ __ _1"),
              (std::vector<Tok>{Tok::Wire, Tok::Wire, Tok::Wire, Tok::Wire, Tok::Int, Tok::Eof}));
}

TEST(Lexer, QualifiedNamesNeedANameAfterEachColonPair) {
    EXPECT_EQ(kinds("a::_b ::_1 a::_1 a::"),
              (std::vector<Tok>{Tok::Ident, Tok::Seq, Tok::Seq, Tok::Wire, Tok::Int, Tok::Ident,
                                Tok::Seq, Tok::Seq, Tok::Wire, Tok::Int, Tok::Ident, Tok::Seq,
                                Tok::Seq, Tok::Eof}));
}

TEST(Lexer, IntegersWrapLikeStr2int) {
    Lexed l = run("0 42 2147483647 2147483648 4294967297");
    ASSERT_EQ(l.toks.size(), 6u);
    EXPECT_EQ(l.toks[0].ival, 0);
    EXPECT_EQ(l.toks[1].ival, 42);
    EXPECT_EQ(l.toks[2].ival, 2147483647);
    EXPECT_EQ(l.toks[3].ival, -2147483647 - 1);
    EXPECT_EQ(l.toks[4].ival, 1);
}

TEST(Lexer, FloatForms) {
    Lexed l = run("1. 1.5 .5 5f 1.5f 1e3 1e-3 1.e3 1.5e+2f .5e1 1e999");
    std::vector<double> want = {1, 1.5, 0.5, 5, 1.5, 1000, 0.001, 1000, 150, 5, HUGE_VAL};
    ASSERT_EQ(l.toks.size(), want.size() + 1);
    for (std::size_t i = 0; i < want.size(); ++i) {
        EXPECT_EQ(l.toks[i].kind, Tok::Float) << i;
        EXPECT_EQ(l.toks[i].rval, want[i]) << i;
    }
    EXPECT_FALSE(l.diags.has_errors());
}

TEST(Lexer, UppercaseExponentIsAnError) {
    Lexed l = run("1E3");
    ASSERT_EQ(l.diags.size(), 1u);
    EXPECT_EQ(l.diags.entries()[0].id, tutti::diag::DiagId::uppercase_exponent);
}

TEST(Lexer, DotAfterIdentifierIsAccess) {
    EXPECT_EQ(kinds("ma.PI x.5"), (std::vector<Tok>{Tok::Ident, Tok::Dot, Tok::Ident, Tok::Ident,
                                                    Tok::Float, Tok::Eof}));
}

TEST(Lexer, FileNamesFollowFlexLongestMatch) {
    // <math.h> is a file name; so is <b> in a<b>c (a syntax error in Faust too)
    EXPECT_EQ(kinds("<math.h> a<b>c a < b"),
              (std::vector<Tok>{Tok::FString, Tok::Ident, Tok::FString, Tok::Ident, Tok::Ident,
                                Tok::Lt, Tok::Ident, Tok::Eof}));
}

TEST(Lexer, CommentsAndStrings) {
    Lexed l = run("a // comment \"x\n/* multi\nline */ \"str\ning\" b");
    ASSERT_EQ(l.toks.size(), 4u);
    EXPECT_EQ(l.toks[1].kind, Tok::String);
    EXPECT_EQ(l.toks[1].length, 9u);
    EXPECT_EQ(l.toks[2].kind, Tok::Ident);
}

TEST(Lexer, UnterminatedCommentAndString) {
    Lexed c = run("a /* never closed");
    ASSERT_EQ(c.diags.size(), 1u);
    EXPECT_EQ(c.diags.entries()[0].id, tutti::diag::DiagId::unterminated_comment);
    EXPECT_EQ(c.diags.entries()[0].range.begin.offset, 2u);
    Lexed s = run("a \"never closed");
    ASSERT_EQ(s.diags.size(), 1u);
    EXPECT_EQ(s.diags.entries()[0].id, tutti::diag::DiagId::unterminated_string);
    EXPECT_EQ(s.toks.back().kind, Tok::Eof);
}

TEST(Lexer, InvalidCharactersBecomeErrorTokens) {
    // One Error token per bad character (a whole UTF-8 sequence): the parser
    // stays silent on them, so each is reported once.
    EXPECT_EQ(kinds("a $ b \xC3\xA9 c"), (std::vector<Tok>{Tok::Ident, Tok::Error, Tok::Ident,
                                                           Tok::Error, Tok::Ident, Tok::Eof}));
    Lexed l = run("a $ b \xC3\xA9 c");
    ASSERT_EQ(l.diags.size(), 2u);
    EXPECT_EQ(l.diags.entries()[0].message, "invalid character '$'");
    EXPECT_EQ(l.diags.entries()[1].message, "invalid character '\xC3\xA9' (0xC3...)");
}

TEST(Lexer, DocumentationBlocks) {
    EXPECT_EQ(kinds("<mdoc> text <equation>x + 1</equation> more <notice/> <listing a=\"1\"/> "
                    "<metadata>name</metadata></mdoc> y"),
              (std::vector<Tok>{Tok::DocBegin, Tok::DocText, Tok::DocEqnBegin, Tok::Ident, Tok::Add,
                                Tok::Int, Tok::DocEqnEnd, Tok::DocText, Tok::DocNotice,
                                Tok::DocText, Tok::DocListing, Tok::DocText, Tok::DocMetaBegin,
                                Tok::Ident, Tok::DocMetaEnd, Tok::DocEnd, Tok::Ident, Tok::Eof}));
    Lexed l = run("<mdoc> never closed");
    ASSERT_EQ(l.diags.size(), 1u);
    EXPECT_EQ(l.diags.entries()[0].id, tutti::diag::DiagId::unterminated_doc);
}

TEST(Lexer, TokenOffsets) {
    Lexed l = run("ab  <:\n  12.5");
    ASSERT_EQ(l.toks.size(), 4u);
    EXPECT_EQ(l.toks[1].offset, 4u);
    EXPECT_EQ(l.toks[1].length, 2u);
    EXPECT_EQ(l.toks[2].offset, 9u);
    EXPECT_EQ(l.toks[2].length, 4u);
    EXPECT_EQ(l.toks[3].offset, 13u);
}

} // namespace
