// SPDX-License-Identifier: MIT
// Structure of parsed expressions. The precedences and associativities are those
// of the reference grammar (faustparser.y); where a case was checked against the
// installed faust 2.54.9 the comment says what faust computes for it (see also
// precedence_oracle_test.cpp, which checks random expressions against faust).
#include <gtest/gtest.h>

#include "tools/test_support.h"

using tutti::test::process_of;

namespace {

TEST(Parser, CompositionBindsLooserThanArithmetic) {
    EXPECT_EQ(process_of("process = a : b + c;"), "(seq (ident a) (infix + (ident b) (ident c)))");
    EXPECT_EQ(process_of("process = _ <: _*0.5 + _*0.25;"),
              "(split (_) (infix + (infix * (_) (real 0.5)) (infix * (_) (real 0.25))))");
}

TEST(Parser, CompositionPriorities) {
    // , binds tighter than :, which binds tighter than <: and :>; ~ binds tightest.
    EXPECT_EQ(process_of("process = a, b : c, d;"),
              "(seq (par (ident a) (ident b)) (par (ident c) (ident d)))");
    EXPECT_EQ(process_of("process = a : b <: c :> d;"),
              "(split (seq (ident a) (ident b)) (merge (ident c) (ident d)))");
    EXPECT_EQ(process_of("process = a ~ b, c;"), "(par (rec (ident a) (ident b)) (ident c))");
    EXPECT_EQ(process_of("process = a +> b;"), "(merge (ident a) (ident b))");
}

TEST(Parser, RightAssociativeChainsPrintFlat) {
    EXPECT_EQ(process_of("process = a, b, c, d;"), "(par (ident a) (ident b) (ident c) (ident d))");
    EXPECT_EQ(process_of("process = (a, b), c;"), "(par (par (ident a) (ident b)) (ident c))");
    EXPECT_EQ(process_of("process = a : b : c;"), "(seq (ident a) (ident b) (ident c))");
}

TEST(Parser, RecursionIsLeftAssociative) {
    EXPECT_EQ(process_of("process = a ~ b ~ c;"), "(rec (rec (ident a) (ident b)) (ident c))");
}

TEST(Parser, PowerIsLeftAssociative) {
    // faust: 2^3^2 = 64
    EXPECT_EQ(process_of("process = 2^3^2;"), "(infix ^ (infix ^ (int 2) (int 3)) (int 2))");
}

TEST(Parser, UnaryMinusOnIdentifierBindsTightest) {
    // faust: -x^2 with x=3 is 9
    EXPECT_EQ(process_of("process = -x^2;"), "(infix ^ (neg (ident x)) (int 2))");
    // -f(x) applies (0-f) to x, and -ma.PI accesses PI in (0-ma) (faust: "no environment")
    EXPECT_EQ(process_of("process = -f(x);"), "(apply (neg (ident f)) (ident x))");
    EXPECT_EQ(process_of("process = -ma.PI;"), "(access PI (neg (ident ma)))");
}

TEST(Parser, SignedLiterals) {
    EXPECT_EQ(process_of("process = -1, +2, -2.5, 1 - 1;"),
              "(par (int -1) (int 2) (real -2.5) (infix - (int 1) (int 1)))");
    EXPECT_EQ(process_of("process = -2147483648;"), "(int -2147483648)");
    EXPECT_EQ(process_of("process = 2147483648;"), "(int -2147483648)"); // str2int wraps
}

TEST(Parser, OperatorsAsBoxesAndPartialApplication) {
    EXPECT_EQ(process_of("process = *(0.5);"), "(apply (prim *) (real 0.5))");
    EXPECT_EQ(process_of("process = -(1);"), "(apply (prim -) (int 1))");
    EXPECT_EQ(process_of("process = _,_ : +;"), "(seq (par (_) (_)) (prim +))");
    EXPECT_EQ(process_of("process = @(3), pow(2), ^(2), max(1);"),
              "(par (apply (prim @) (int 3)) (apply (prim ^) (int 2)) (apply (prim ^) (int 2)) "
              "(apply (prim max) (int 1)))");
    EXPECT_EQ(process_of("process = sin, mem, int, float, rdtable, select3, attach;"),
              "(par (prim sin) (prim mem) (prim int) (prim float) (prim rdtable) (prim select3) "
              "(prim attach))");
}

TEST(Parser, InfixPriorities) {
    EXPECT_EQ(process_of("process = a < b + c * d ^ e @ f';"),
              "(infix < (ident a) (infix + (ident b) (infix * (ident c) (infix ^ (ident d) "
              "(infix @ (ident e) (delay1 (ident f)))))))");
    EXPECT_EQ(process_of("process = a | b & c xor d << e >> f;"),
              "(infix | (ident a) (infix >> (infix << (infix xor (infix & (ident b) (ident c)) "
              "(ident d)) (ident e)) (ident f)))");
    EXPECT_EQ(process_of("process = x @ n';"), "(infix @ (ident x) (delay1 (ident n)))");
    EXPECT_EQ(process_of("process = a == b != c <= d >= e > f;"),
              "(infix > (infix >= (infix <= (infix != (infix == (ident a) (ident b)) (ident c)) "
              "(ident d)) (ident e)) (ident f))");
}

TEST(Parser, PostfixChains) {
    EXPECT_EQ(process_of("process = f(1)(2).x[y = 1;]'';"),
              "(delay1 (delay1 (modify (access x (apply (apply (ident f) (int 1)) (int 2))) "
              "(def y (int 1)))))");
}

TEST(Parser, ArgumentsAllowCompositionButNotComma) {
    EXPECT_EQ(process_of("process = f(a : b, c ~ d, e <: f);"),
              "(apply (ident f) (seq (ident a) (ident b)) (rec (ident c) (ident d)) "
              "(split (ident e) (ident f)))");
    EXPECT_EQ(process_of("process = f((a, b));"), "(apply (ident f) (par (ident a) (ident b)))");
}

TEST(Parser, WithAndLetrec) {
    EXPECT_EQ(process_of("process = a : b with { b = 2; };"),
              "(with (seq (ident a) (ident b)) (def b (int 2)))");
    EXPECT_EQ(process_of("process = x letrec { 'x = x + 1; };"),
              "(letrec 1 (ident x) (recdef x (infix + (ident x) (int 1))))");
    EXPECT_EQ(process_of("process = x, y letrec { 'x = y; 'y = x; where z = 1; };"),
              "(letrec 2 (par (ident x) (ident y)) (recdef x (ident y)) (recdef y (ident x)) "
              "(def z (int 1)))");
    EXPECT_EQ(process_of("process = a with { f(x) = x; } with { a = 1; };"),
              "(with (with (ident a) (def f (params) (ident x) (ident x))) (def a (int 1)))");
}

TEST(Parser, InfixAfterWithIsASyntaxError) {
    // faust: "syntax error, unexpected ADD"
    EXPECT_EQ(process_of("process = 1 with { x = 1; } + 3;"),
              "DIAG 1:29: unexpected '+', expected ';' to end 'process'");
}

TEST(Parser, LambdaCaseIterations) {
    EXPECT_EQ(process_of("process = \\(x, y).(y, x);"),
              "(lambda (ident x) (ident y) (par (ident y) (ident x)))");
    EXPECT_EQ(process_of("process = case { (0) => 1; (n) => n; };"),
              "(case (rule (int 0) (int 1)) (rule (ident n) (ident n)))");
    EXPECT_EQ(process_of("process = par(i, 3, _ * i), sum(j, N - 1, j);"),
              "(par (iter par (ident i) (int 3) (infix * (_) (ident i))) (iter sum (ident j) "
              "(infix - (ident N) (int 1)) (ident j)))");
    // the body of an iteration is a full expression: commas included
    EXPECT_EQ(process_of("process = seq(i, 2, a, b);"),
              "(iter seq (ident i) (int 2) (par (ident a) (ident b)))");
}

TEST(Parser, UserInterface) {
    EXPECT_EQ(process_of("process = hslider(\"freq [unit:Hz]\", 440, 20, 20000, 1);"),
              "(hslider \"freq [unit:Hz]\" (int 440) (int 20) (int 20000) (int 1))");
    EXPECT_EQ(process_of("process = vgroup(\"v\", button(\"b\"), checkbox(\"c\"));"),
              "(vgroup \"v\" (par (button \"b\") (checkbox \"c\")))");
    EXPECT_EQ(process_of("process = hbargraph(\"m\", -1, 1), soundfile(\"s\", 2);"),
              "(par (hbargraph \"m\" (int -1) (int 1)) (soundfile \"s\" (int 2)))");
    // a label spanning lines: newlines become spaces, as in Faust's unquote()
    EXPECT_EQ(process_of("process = button(\"a\nb\");"), "(button \"a b\")");
}

TEST(Parser, ForeignFunctionsAndConstants) {
    EXPECT_EQ(process_of("process = ffunction(float sinhf|sinh|sinhl(float), <math.h>, \"\");"),
              "(ffunction float \"<math.h>\" \"\" (ident sinhf) (ident sinh) (ident sinhl) "
              "(type float))");
    EXPECT_EQ(process_of("process = ffunction(int rand(), \"stdlib.h\", \"m\");"),
              "(ffunction int \"\\\"stdlib.h\\\"\" \"m\" (ident rand))");
    EXPECT_EQ(
        process_of("process = fconstant(int fSamplingFreq, <math.h>), "
                   "fvariable(int count, <math.h>);"),
        "(par (fconstant int fSamplingFreq \"<math.h>\") (fvariable int count \"<math.h>\"))");
}

TEST(Parser, EnvironmentsAndFiles) {
    EXPECT_EQ(process_of("process = environment { import(\"a.lib\"); declare k \"v\"; x = 1; }.x;"),
              "(access x (environment\n    (import \"a.lib\")\n    (declare k \"v\")\n"
              "    (def x (int 1))))");
    EXPECT_EQ(process_of("process = library(\"maths.lib\").PI, component(\"x.dsp\");"),
              "(par (access PI (library \"maths.lib\")) (component \"x.dsp\"))");
}

TEST(Parser, WaveformRouteInputsOutputs) {
    EXPECT_EQ(process_of("process = waveform{0, -1, 2.5, +3, 1e3};"),
              "(waveform (int 0) (int -1) (real 2.5) (int 3) (real 1000))");
    EXPECT_EQ(process_of("process = route(2, 2, 1, 2, 2, 1), route(1, 1);"),
              "(par (route (int 2) (int 2) (par (int 1) (int 2) (int 2) (int 1))) "
              "(route (int 1) (int 1)))");
    EXPECT_EQ(process_of("process = inputs(f), outputs(a, b);"),
              "(par (inputs (ident f)) (outputs (par (ident a) (ident b))))");
}

TEST(Parser, NamespacedIdentifiersAndWires) {
    EXPECT_EQ(process_of("process = a::b, ::c, _x, _;"),
              "(par (ident a::b) (ident ::c) (ident _x) (_))");
    // `__` is two wires side by side, a syntax error as in Faust
    EXPECT_EQ(process_of("process = __;"),
              "DIAG 1:12: unexpected '_', expected ';' to end 'process'");
}

TEST(Parser, StatementsAndDefinitions) {
    auto p = tutti::test::parse_text(
        "declare name \"n\";\ndeclare f author \"me\";\nimport(\"stdfaust.lib\");\n"
        "singleprecision doubleprecision e = 1;\nquadprecision e = 2;\n"
        "f(0) = 1;\nf(n) = n;\n");
    ASSERT_TRUE(p.diags.empty()) << tutti::to_text(p.diags[0]);
    EXPECT_EQ(p.dump, "(file \"test.dsp\"\n"
                      "  (declare name \"n\")\n"
                      "  (declare author \"me\" (ident f))\n"
                      "  (import \"stdfaust.lib\")\n"
                      "  (def e [single double] (int 1))\n"
                      "  (def e [quad] (int 2))\n"
                      "  (def f (params) (int 0) (int 1))\n"
                      "  (def f (params) (ident n) (ident n)))\n");
}

TEST(Parser, DocumentationBlocks) {
    auto p = tutti::test::parse_text("<mdoc>Hello <equation>process</equation><notice/>"
                                     "<metadata>name</metadata><listing dependencies=\"false\"/>"
                                     "</mdoc>\nprocess = _;\n");
    ASSERT_TRUE(p.diags.empty()) << tutti::to_text(p.diags[0]);
    EXPECT_EQ(p.dump, "(file \"test.dsp\"\n"
                      "  (mdoc (text \"Hello \") (equation (ident process)) (notice) "
                      "(metadata name) (listing \" dependencies=\\\"false\\\"\"))\n"
                      "  (def process (_)))\n");
}

TEST(Parser, LongListsDoNotRecurse) {
    std::string src = "process = 0";
    for (int i = 1; i < 200000; ++i) {
        src += ", " + std::to_string(i % 10);
    }
    src += ";";
    auto p = tutti::test::parse_text(src);
    EXPECT_TRUE(p.diags.empty());
    EXPECT_NE(p.dump.find("(par (int 0) (int 1) (int 2)"), std::string::npos);
}

TEST(Parser, DeepNestingIsADiagnostic) {
    std::string src =
        "process = " + std::string(100000, '(') + "1" + std::string(100000, ')') + ";";
    auto p = tutti::test::parse_text(src);
    ASSERT_FALSE(p.diags.empty());
    EXPECT_EQ(p.diags[0].id, "nesting_too_deep");
    EXPECT_EQ(p.diags[0].line, 1u);
    EXPECT_EQ(p.diags[0].column, 11u + 256u); // the 257th '(' opens level 257
}

TEST(Parser, RecoversAtTheNextStatement) {
    auto p = tutti::test::parse_text("a = 1 +;\nb = (2;\nc = 3;\nd = ];\n");
    ASSERT_EQ(p.diags.size(), 3u);
    EXPECT_EQ(p.diags[0].line, 1u);
    EXPECT_EQ(p.diags[1].line, 2u);
    EXPECT_EQ(p.diags[2].line, 4u);
    EXPECT_NE(p.dump.find("(def c (int 3))"), std::string::npos);
}

} // namespace
