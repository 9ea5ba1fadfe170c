// SPDX-License-Identifier: MIT
// The evaluator's semantics on small programs: the printed box of `process`
// (boxes::print notation: `(a,b)`, `(a : b)`, `\(#1).(...)` for a function used
// as a block) or its arity, as Faust 2.54.9's rules give them. Expectations were
// checked against the installed faust where the print form is not ours
// (`faust -e`, getNumInputs/getNumOutputs).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "eval_test_support.h"
#include "tools/temp_dir_test.h"
#include "tools/test_support.h"

namespace fs = std::filesystem;
using tutti::test::box_of;
using tutti::test::evaluate_text;

namespace {

std::string arity(const std::string& source) {
    auto e = evaluate_text(source);
    if (!e.diags.empty()) {
        return "ERROR " + e.first_error();
    }
    return std::to_string(e.inputs) + "->" + std::to_string(e.outputs);
}

// ---------------------------------------------------------------- primitives, infix

TEST(EvalSemantics, PrimitivesAndWires) {
    EXPECT_EQ(box_of("process = _;"), "_");
    EXPECT_EQ(box_of("process = !;"), "!");
    EXPECT_EQ(box_of("process = +;"), "+");
    EXPECT_EQ(box_of("process = _,_ : *;"), "((_,_) : *)");
    EXPECT_EQ(box_of("process = _ <: _,_ :> _;"), "(_ <: ((_,_) :> _))");
    EXPECT_EQ(box_of("process = + ~ _;"), "(+ ~ _)");
}

TEST(EvalSemantics, InfixIsParallelThenPrimitive) {
    EXPECT_EQ(box_of("process = _ + 1;"), "((_,1) : +)");
    EXPECT_EQ(box_of("process = _ * _;"), "((_,_) : *)");
    EXPECT_EQ(box_of("process = _';"), "(_ : mem)");
    EXPECT_EQ(box_of("process = _ @ 3;"), "((_,3) : @)");
    EXPECT_EQ(box_of("x = _; process = -x;"), "((0,_) : -)");
}

TEST(EvalSemantics, NumbersFoldInSequenceWithAPrimitive) {
    // As Faust's eval: (numbers):P folds when P is a wire or a 1-2 input primitive.
    EXPECT_EQ(box_of("process = 2 + 3;"), "5");
    EXPECT_EQ(box_of("process = (2,3) : max;"), "3");
    EXPECT_EQ(box_of("process = 4 / 2;"), "2");
    EXPECT_EQ(box_of("process = 7 / 2;"), "3.5");
    EXPECT_EQ(box_of("process = 7.5 % 2;"), "1");
    EXPECT_EQ(box_of("process = 1 : sin;"), "0.8414709848078965");
    EXPECT_EQ(box_of("process = 2147483647 + 1;"), "-2147483648");
    EXPECT_EQ(box_of("process = 2 ^ 31;"), "-2147483648");
    EXPECT_EQ(box_of("process = 4 : _;"), "4");
    EXPECT_EQ(box_of("x = 3; process = -x;"), "-3");
    // ... but not through application, select2, or delays
    EXPECT_EQ(box_of("process = +(2,3);"), "((2,3) : +)");
    EXPECT_EQ(box_of("process = sin(1);"), "(1 : sin)");
    EXPECT_EQ(box_of("process = (1,2,3) : select2;"), "((1,(2,3)) : select2)");
    EXPECT_EQ(box_of("process = 1';"), "(1 : mem)");
}

// ---------------------------------------------------------------- application

TEST(EvalSemantics, PartialApplicationOfPrimitives) {
    EXPECT_EQ(box_of("process = -(1);"), "((_,1) : -)"); // _ - 1
    EXPECT_EQ(box_of("process = /(2);"), "((_,2) : /)");
    EXPECT_EQ(box_of("process = @(3);"), "((_,3) : @)");
    EXPECT_EQ(box_of("process = ^(3);"), "((_,3) : ^)");
    EXPECT_EQ(box_of("process = pow(3);"), "((_,3) : ^)");
    EXPECT_EQ(box_of("process = max(2);"), "((2,_) : max)"); // max(2,_)
    EXPECT_EQ(box_of("process = fmod(7);"), "((7,_) : fmod)");
    EXPECT_EQ(box_of("process = atan2(1);"), "((1,_) : atan2)");
    EXPECT_EQ(box_of("process = prefix(3);"), "((3,_) : prefix)");
    EXPECT_EQ(box_of("process = select2(1);"), "((1,(_,_)) : select2)");
    EXPECT_EQ(box_of("process = *(0.5);"), "((_,0.5) : *)");
}

TEST(EvalSemantics, ApplicationOfBlockDiagrams) {
    EXPECT_EQ(box_of("process = sin(_);"), "(_ : sin)");
    EXPECT_EQ(box_of("process = max((1,2));"), "((1,2) : max)");
    EXPECT_EQ(box_of("process = (_,_)(1);"), "((1,_) : (_,_))");
    EXPECT_EQ(arity("process = +(1)(2);"), "0->1");
    EXPECT_EQ(box_of("process = +(1,2,3);"),
              "ERROR 1:11: too_many_arguments: too many arguments: + has 2 inputs but the "
              "arguments have 3 outputs");
}

TEST(EvalSemantics, ClosuresBindFirstParameters) {
    EXPECT_EQ(box_of("f(x,y) = x - y; process = f(1);"), "\\(#1).(((1,#1) : -))"); // 1 - _
    EXPECT_EQ(box_of("f(x,y) = x - y; process = f(5, 2);"), "3");
    EXPECT_EQ(box_of("f(x,y,z) = x + y + z; process = f(1)(2)(3);"), "6");
    EXPECT_EQ(box_of("f = \\(x).(x * 2); process = f(21);"), "42");
    EXPECT_EQ(arity("f(x,y) = x - y; process = _ : f(1);"), "1->1");
}

TEST(EvalSemantics, ArgumentsAreSimplifiedToNumbers) {
    EXPECT_EQ(box_of("f(x) = x; process = f(sin(1));"), "0.8414709848078965");
    EXPECT_EQ(box_of("f(x) = x; process = f(int(7.9));"), "7");
    EXPECT_EQ(box_of("f(x) = x; process = f(hslider(\"a\",0,0,1,0.1) * 0);"), "0");
    EXPECT_EQ(box_of("f(x) = x; process = f(select2(0, 2, 3));"), "2");
    EXPECT_EQ(box_of("f(x) = x; process = f(1 : mem);"), "(1 : mem)");
}

TEST(EvalSemantics, FunctionsUsedAsBlocksBecomeSymbolicBoxes) {
    EXPECT_EQ(box_of("process = \\(x,y).(y,x);"), "\\(#1).(\\(#2).((#2,#1)))");
    EXPECT_EQ(arity("process = \\(x,y).(y,x);"), "2->2");
    EXPECT_EQ(arity("f(x) = x + 1; process = f;"), "1->1");
    // a function converted twice is one box
    auto e = evaluate_text("f = \\(x).(x + 1); process = f, f;");
    ASSERT_TRUE(e.diags.empty());
    EXPECT_EQ(e.box, "(\\(#1).(((#1,1) : +)),\\(#1).(((#1,1) : +)))");
    // a function as the argument of a function
    EXPECT_EQ(arity("f = \\(x).(x + 1); process = f(f);"), "1->1");
    EXPECT_EQ(arity("twice(g) = g : g; process = twice(*(2));"), "1->1");
    EXPECT_EQ(arity("apply(g, x) = g(x); process = apply(+(1), 2);"), "0->1");
    // As in Faust, a pattern-matching function passed to a closure is turned into
    // a block (applied to a slot) to see whether it is a number: when no rule
    // takes the slot, that fails, even though g would only apply it to 1.
    EXPECT_EQ(box_of("g(h) = h(1); f(0) = 10; f(1) = 20; process = g(f);"),
              "ERROR 1:46: pattern_match_failed: pattern matching failed: no rule of 'f' "
              "matches the arguments (#1)");
    // ... which pattern matching does not do
    EXPECT_EQ(box_of("g((a,b)) = a(1) + b(0); f(0) = 10; f(1) = 20; process = g((f,f));"), "30");
}

// ---------------------------------------------------------------- pattern matching

TEST(EvalSemantics, PatternMatching) {
    EXPECT_EQ(box_of("fact(0) = 1; fact(n) = n * fact(n - 1); process = fact(3);"), "6");
    // N-1 is simplified to a number so that it matches the rule for 1
    EXPECT_EQ(box_of("f(1) = 10; f(n) = f(n - 1); process = f(5);"), "10");
    // parallel lists are right-associative: (1,2,3,4) is (1,(2,(3,4)))
    EXPECT_EQ(box_of("count((x,xs)) = 1 + count(xs); count(x) = 1; "
                     "process = count((1,2,3,4));"),
              "4");
    EXPECT_EQ(box_of("last((x,xs)) = last(xs); last(x) = x; process = last((1,2,3));"), "3");
    // rules are tried in order
    EXPECT_EQ(box_of("f(x) = 1; f(0) = 2; process = f(0);"), "1");
    // a variable met twice must bind equal values
    EXPECT_EQ(box_of("eq(x, x) = 1; eq(x, y) = 0; process = eq(3, 3), eq(3, 4);"), "(1,0)");
    // composition patterns
    EXPECT_EQ(box_of("g(a:b) = b; process = g(sin : cos);"), "cos");
    EXPECT_EQ(box_of("g(a+b) = b; process = g(_ + 3);"), "3");
    // case expressions, and a pattern function used as a block
    EXPECT_EQ(box_of("process = case { (0) => 1; (x) => x * 2; }(5);"), "10");
    EXPECT_EQ(box_of("f(0, y) = y; f(x, y) = x; process = f(0);"), "\\(#1).(#1)");
    EXPECT_EQ(arity("f(0) = _; f(x) = !; process = f;"), "2->0");
    // int and real constants are different patterns
    EXPECT_EQ(box_of("f(0) = 1; f(x) = 2; process = f(0.0);"), "2");
    EXPECT_EQ(box_of("f(0) = 1; process = f(2);"),
              "ERROR 1:21: pattern_match_failed: pattern matching failed: no rule of 'f' "
              "matches the arguments (2)");
}

// ---------------------------------------------------------------- scopes

TEST(EvalSemantics, WithAndLexicalClosures) {
    EXPECT_EQ(box_of("process = f with { f = g + 1; g = 2; };"), "3");
    EXPECT_EQ(box_of("k = 1; f(x) = x + k; process = f(2) with { k = 10; };"), "3");
    EXPECT_EQ(box_of("f(x) = g with { g = x * 2; }; process = f(4);"), "8");
    EXPECT_EQ(box_of("x = x + 1; process = x;"),
              "ERROR 1:5: recursive_definition: recursive definition of 'x' (its evaluation "
              "needs itself)");
}

TEST(EvalSemantics, Letrec) {
    EXPECT_EQ(box_of("process = x letrec { 'x = x + 1; };"), "((\\(#1).(((#1,1) : +)) ~ _) : _)");
    EXPECT_EQ(arity("process = x letrec { 'x = x + 1; };"), "0->1");
    EXPECT_EQ(arity("process = x, y letrec { 'x = y + 1; 'y = x * _; };"), "2->2");
    EXPECT_EQ(arity("process = x letrec { 'x = f(x); where f(u) = u + _; };"), "1->1");
    // Faust lists the equations in reverse order: y is the first recursive output
    EXPECT_EQ(box_of("process = x, y letrec { 'x = y + 1; 'y = x * 2; };"),
              "(((\\(#1).(\\(#2).((((#2,2) : *),((#1,1) : +)))) ~ (_,_)) : (!,_)),"
              "((\\(#1).(\\(#2).((((#2,2) : *),((#1,1) : +)))) ~ (_,_)) : (_,!)))");
}

TEST(EvalSemantics, Environments) {
    EXPECT_EQ(box_of("e = environment { a = 1; b = a + 1; }; process = e.b;"), "2");
    // an environment sees the scope it was written in
    EXPECT_EQ(box_of("k = 5; e = environment { a = k; }; process = e.a;"), "5");
    // functions returning environments
    EXPECT_EQ(box_of("n(s) = environment { v = s * 2; }; process = n(4).v;"), "8");
    // explicit substitution re-closes the definitions over the new ones
    EXPECT_EQ(box_of("e = environment { a = 1; b = a * 10; }; process = e[a = 2;].b;"), "20");
    EXPECT_EQ(box_of("e = environment { a = 1; }; process = e[c = 3;].c;"), "3");
    EXPECT_EQ(box_of("process = library(\"maths.lib\").PI;"), "3.1415926535897931");
    EXPECT_EQ(box_of("e = environment { a = 1; }; process = e.b;"),
              "ERROR 1:39: undefined_symbol: undefined symbol 'b'");
}

TEST(EvalSemantics, StandardLibraries) {
    EXPECT_EQ(arity("import(\"stdfaust.lib\"); process = os.osc(440);"), "0->1");
    EXPECT_EQ(arity("import(\"stdfaust.lib\"); process = fi.lowpass(2, 1000);"), "1->1");
    EXPECT_EQ(
        arity("import(\"stdfaust.lib\"); process = re.zita_rev1_stereo(0,200,6000,3,2,48000);"),
        "2->2");
    EXPECT_EQ(arity("import(\"stdfaust.lib\"); process = no.noise : si.smoo;"), "0->1");
    EXPECT_EQ(arity("import(\"stdfaust.lib\"); process = ro.interleave(2,3);"), "6->6");
}

TEST(EvalSemantics, PrecisionVariants) {
    const char* src = "singleprecision e = 1; doubleprecision e = 2; process = e;";
    EXPECT_EQ(box_of(src), "1");
    tutti::eval::EvalOptions d;
    d.double_precision = true;
    EXPECT_EQ(evaluate_text(src, d).box, "2");
    EXPECT_EQ(box_of("import(\"stdfaust.lib\"); process = ma.EPSILON;"), "1.1920928960000001e-07");
    EXPECT_EQ(evaluate_text("import(\"stdfaust.lib\"); process = ma.EPSILON;", d).box,
              "2.2204460492503131e-16");
}

// ---------------------------------------------------------------- iterations, route...

TEST(EvalSemantics, Iterations) {
    EXPECT_EQ(box_of("process = par(i,3,_*i);"), "(((_,0) : *),(((_,1) : *),((_,2) : *)))");
    EXPECT_EQ(box_of("process = seq(i,2,+(i));"), "(((_,0) : +) : ((_,1) : +))");
    EXPECT_EQ(box_of("process = sum(i,3,i);"), "((((0,1) : +),2) : +)");
    EXPECT_EQ(box_of("process = prod(i,3,i+1);"), "((((1,2) : *),3) : *)");
    EXPECT_EQ(arity("process = par(i, 2.5, _);"), "2->2");  // truncated
    EXPECT_EQ(arity("process = 1, par(i, 0, _);"), "0->1"); // empty diagram
    EXPECT_EQ(arity("process = 1, sum(i, 0, _);"), "0->1");
    EXPECT_EQ(arity("process = seq(i, 0, (_,_));"), "2->2"); // a bus
    EXPECT_EQ(arity("N = 4; process = par(i, N - 1, _);"), "3->3");
    EXPECT_EQ(arity("process = par(i, inputs(+), _);"), "2->2");
}

TEST(EvalSemantics, RouteWaveformInputsOutputs) {
    EXPECT_EQ(box_of("process = route(2,2,1,2,2,1);"), "route(2,2,1,2,2,1)");
    EXPECT_EQ(box_of("process = route(2,2,(1,2),(2,1));"), "route(2,2,1,2,2,1)");
    EXPECT_EQ(box_of("process = route(3,1,par(i,3,(i+1,1)));"), "route(3,1,1,1,2,1,3,1)");
    EXPECT_EQ(box_of("process = route(2,2);"), "route(2,2)");
    EXPECT_EQ(box_of("process = waveform{1,2.5,-3};"), "waveform{1,2.5,-3}");
    EXPECT_EQ(arity("process = waveform{1,2.5,-3};"), "0->2");
    EXPECT_EQ(box_of("process = inputs(+), outputs(+);"), "(2,1)");
}

TEST(EvalSemantics, WidgetsAndLabels) {
    EXPECT_EQ(box_of("process = hslider(\"f [unit:Hz]\", 440, 20, 2e4, 1);"),
              "hslider(\"f [unit:Hz]\",440,20,20000,1)");
    EXPECT_EQ(box_of("process = hgroup(\"g\", button(\"b\"));"), "hgroup(\"g\", button(\"b\"))");
    EXPECT_EQ(box_of("process = _ : vbargraph(\"m\", -70, 0);"), "(_ : vbargraph(\"m\",-70,0))");
    EXPECT_EQ(box_of("process = par(i,2,hslider(\"a %2i %% %{i} %j\",0,0,1,0.1)) with {j=7;};"),
              "(hslider(\"a  0 %% 0 7\",0,0,1,0.10000000000000001),"
              "hslider(\"a  1 %% 1 7\",0,0,1,0.10000000000000001))");
    EXPECT_EQ(box_of("process = button(\"a %5i|%0i|%02i\") with {i = 3;};"),
              "button(\"a    3|3| 3\")");
    EXPECT_EQ(box_of("process = button(\"100% %-i %3\");"), "button(\"100% %-i %3\")");
    EXPECT_EQ(box_of("process = button(\"a %{i tail\") with {i = 3;};"), "button(\"a %\")");
    EXPECT_EQ(box_of("process = button(\"%i\") with {i = -3.9;};"), "button(\"-3\")");
    EXPECT_EQ(box_of("f(n) = button(\"b%n\"); process = f(4);"), "button(\"b4\")");
    EXPECT_EQ(box_of("process = hslider(\"a\", 1 + 1, 0, 2 * 2, 1);"), "hslider(\"a\",2,0,4,1)");
    EXPECT_EQ(arity("process = soundfile(\"s\", 2);"), "2->4");
}

TEST(EvalSemantics, ForeignElements) {
    EXPECT_EQ(box_of("process = ffunction(float sinhf|sinh(float), <math.h>, \"\");"),
              "ffunction(sinhf)");
    EXPECT_EQ(arity("process = ffunction(int f(int, float), \"f.h\", \"\");"), "2->1");
    EXPECT_EQ(box_of("process = fconstant(int fSamplingFreq, <math.h>);"),
              "fconstant(fSamplingFreq)");
    EXPECT_EQ(arity("process = fvariable(int count, <math.h>);"), "0->1");
}

// ---------------------------------------------------------------- metadata

TEST(EvalSemantics, Metadata) {
    auto e = evaluate_text("declare name \"bee\";\ndeclare f author \"me\";\n"
                           "import(\"stdfaust.lib\");\ndeclare aaa \"zz\";\n"
                           "f = _;\nprocess = f : *(ma.PI);\n");
    ASSERT_TRUE(e.diags.empty());
    ASSERT_GE(e.metadata.size(), 4u);
    EXPECT_EQ(e.metadata[0], (std::pair<std::string, std::string>{"name", "bee"}));
    EXPECT_EQ(e.metadata[1], (std::pair<std::string, std::string>{"aaa", "zz"}));
    auto has = [&](const std::string& k, const std::string& v) {
        for (const auto& m : e.metadata) {
            if (m.first == k && m.second == v) {
                return true;
            }
        }
        return false;
    };
    EXPECT_TRUE(has("test.dsp/f:author", "me"));
    EXPECT_TRUE(has("maths.lib/name", "Faust Math Library"));
    EXPECT_FALSE(has("filters.lib/name", "Faust Filters Library")); // not used
}

TEST(EvalSemantics, MetadataDeclaredInsideAnEnvironmentCounts) {
    // Faust records a declaration as it parses it, wherever it is (faust -json,
    // 2.54.9, lists "inner" for this program).
    auto e =
        evaluate_text("declare name \"bee\";\nenv = environment { declare inner \"x\"; a = 1; };\n"
                      "process = 0;\n");
    ASSERT_TRUE(e.diags.empty());
    ASSERT_EQ(e.metadata.size(), 2u);
    EXPECT_EQ(e.metadata[1], (std::pair<std::string, std::string>{"inner", "x"}));
}

TEST(EvalSemantics, NothingToEvaluateAfterASyntaxError) {
    auto e = evaluate_text("process = _ :;\n");
    EXPECT_EQ(e.box, "");
    ASSERT_EQ(e.diags.size(), 1u); // only the parser's
    EXPECT_EQ(e.diags[0].id, "unexpected_token");
}

TEST(EvalSemantics, LimitsAreDiagnostics) {
    tutti::eval::EvalOptions o;
    o.max_depth = 50;
    auto deep = evaluate_text("f(0) = 0; f(n) = 1 + f(n - 1); process = f(100);", o);
    ASSERT_EQ(deep.diags.size(), 1u);
    EXPECT_EQ(deep.diags[0].id, "eval_too_deep");
    EXPECT_EQ(evaluate_text("f(0) = 0; f(n) = 1 + f(n - 1); process = f(100);").box, "100");
    o = {};
    o.max_steps = 10000;
    auto slow = evaluate_text("f(0) = 0; f(n) = f(n - 1) + f(n - 1); process = f(20);", o);
    ASSERT_EQ(slow.diags.size(), 1u);
    EXPECT_EQ(slow.diags[0].id, "eval_too_many_steps");
    // far past the nesting limit the stack guard still answers with a diagnostic
    o = {};
    o.max_depth = 100000000;
    auto endless = evaluate_text("f(x) = f(x + 1); process = f(0);", o);
    ASSERT_EQ(endless.diags.size(), 1u);
    EXPECT_EQ(endless.diags[0].id, "eval_too_deep");
}

// ---------------------------------------------------------------- files

class EvalFiles : public tutti::test::TempDirTest {
protected:
    std::string eval_file(const fs::path& main) {
        tutti::frontend::FrontendOptions fo;
        fo.use_environment = false;
        tutti::frontend::FrontendSession s(fo);
        const auto* pf = s.parse_program(main);
        if (pf == nullptr) {
            return "NO FILE";
        }
        tutti::boxes::BoxContext boxes(s.interner());
        auto p = tutti::eval::evaluate_program(s, *pf, boxes);
        auto d = s.resolved_diagnostics();
        if (!d.empty()) {
            return fs::path(d[0].file).filename().string() + ":" + std::to_string(d[0].line) + ":" +
                   std::to_string(d[0].column) + ": " + d[0].id;
        }
        return tutti::boxes::print(p.process);
    }
};

TEST_F(EvalFiles, ComponentIsTheProcessOfAFile) {
    write("sub/gain.dsp", "g = 2;\nprocess = *(g);\n");
    auto main = write("main.dsp",
                      "process = component(\"sub/gain.dsp\"), component(\"sub/gain.dsp\").g;\n");
    EXPECT_EQ(eval_file(main), "(((_,2) : *),2)");
}

TEST_F(EvalFiles, ImportMergesDefinitionsAndRefusesRedefinitions) {
    write("a.lib", "import(\"b.lib\");\nx = 1;\n");
    write("b.lib", "import(\"a.lib\");\ny = x + 1;\n");
    EXPECT_EQ(eval_file(write("ok.dsp", "import(\"a.lib\");\nprocess = y;\n")), "2");
    EXPECT_EQ(eval_file(write("bad.dsp", "import(\"a.lib\");\nx = 3;\nprocess = x;\n")),
              "bad.dsp:2:1: redefinition");
    // the same text in two files is the same definition
    write("c.lib", "x = 1;\n");
    EXPECT_EQ(
        eval_file(write("same.dsp", "import(\"a.lib\");\nimport(\"c.lib\");\nprocess = x;\n")),
        "1");
}

TEST_F(EvalFiles, ErrorsInLibrariesAreReportedAtTheUsersCall) {
    auto main = write("m.dsp", "import(\"stdfaust.lib\");\nprocess =\n  ba.take(5, (1,2));\n");
    EXPECT_EQ(eval_file(main), "m.dsp:3:3: pattern_match_failed");
}

} // namespace
