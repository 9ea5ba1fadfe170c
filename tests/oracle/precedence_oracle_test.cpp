// SPDX-License-Identifier: MIT
// Differential test of operator precedence and associativity against the
// reference compiler: random integer expressions written without the
// parentheses that would fix their structure are compiled by `faust` as the
// outputs of one program (faust folds constant expressions, so each output line
// of the generated C++ is a number), and evaluated here on the tree that our
// parser built. Any difference in precedence or associativity changes a value.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <random>
#include <regex>

#include "oracle/oracle_support.h"
#include "tools/test_support.h"

namespace fs = std::filesystem;
using tutti::ast::Node;
using tutti::ast::NodeKind;
using tutti::ast::PrimOp;

namespace {

// ---------------------------------------------------------------- generator
class Gen {
public:
    explicit Gen(unsigned seed) : rng_(seed) {
    }
    std::string expr(int depth) {
        if (depth == 0 || pick(10) < 3) {
            return atom();
        }
        switch (pick(10)) {
        case 0:
            return "(" + expr(depth - 1) + ")";
        case 1: {
            static const char* cops[] = {"+", "-", "*", "max", "min"};
            return "(" + expr(depth - 1) + ", " + expr(depth - 1) + " : " + cops[pick(5)] + ")";
        }
        case 2:
            return pick(2) ? "(" + expr(depth - 1) + " <: +)"
                           : "(" + expr(depth - 1) + ", " + expr(depth - 1) + " :> _)";
        default: {
            static const char* ops[] = {
                "+", "-", "*", "<", "<=", ">", ">=", "==", "!=", "&", "|", "xor", "<<", ">>", "^"};
            std::string op = ops[pick(15)];
            if (op == "^" || op == "<<" || op == ">>") {
                // small literal right operands keep the values in range
                return expr(depth - 1) + " " + op + " " + std::to_string(pick(4));
            }
            return expr(depth - 1) + " " + op + " " + expr(depth - 1);
        }
        }
    }

private:
    std::string atom() {
        switch (pick(6)) {
        case 0:
            return "x";
        case 1:
            return "-y";
        case 2:
            return "-" + std::to_string(pick(10));
        case 3:
            return "z";
        default:
            return std::to_string(pick(10));
        }
    }
    int pick(int n) {
        return std::uniform_int_distribution<int>(0, n - 1)(rng_);
    }
    std::mt19937 rng_;
};

// ---------------------------------------------------------------- evaluator
// Evaluates the small block diagrams the generator writes; nullopt when a value
// leaves the range where every integer semantics agrees (no overflow, no shift
// past 31 bits), so that only the structure decides the result.
using Values = std::vector<long long>;

std::optional<long long> binop(PrimOp op, long long a, long long b) {
    long long r = 0;
    switch (op) {
    case PrimOp::Add:
        r = a + b;
        break;
    case PrimOp::Sub:
        r = a - b;
        break;
    case PrimOp::Mul:
        r = a * b;
        break;
    case PrimOp::Lt:
        r = a < b;
        break;
    case PrimOp::Le:
        r = a <= b;
        break;
    case PrimOp::Gt:
        r = a > b;
        break;
    case PrimOp::Ge:
        r = a >= b;
        break;
    case PrimOp::Eq:
        r = a == b;
        break;
    case PrimOp::Ne:
        r = a != b;
        break;
    case PrimOp::And:
        r = a & b;
        break;
    case PrimOp::Or:
        r = a | b;
        break;
    case PrimOp::Xor:
        r = a ^ b;
        break;
    case PrimOp::Max:
        r = std::max(a, b);
        break;
    case PrimOp::Min:
        r = std::min(a, b);
        break;
    case PrimOp::Lsh:
        if (b < 0 || b > 20) {
            return std::nullopt;
        }
        r = a * (1LL << b);
        break;
    case PrimOp::Rsh:
        if (b < 0 || b > 20) {
            return std::nullopt;
        }
        r = a >> b; // arithmetic
        break;
    case PrimOp::Pow:
        if (b < 0 || b > 8) {
            return std::nullopt;
        }
        r = 1;
        for (long long i = 0; i < b; ++i) {
            r *= a;
            if (r > (1LL << 40) || r < -(1LL << 40)) {
                return std::nullopt;
            }
        }
        break;
    default:
        return std::nullopt;
    }
    if (r > (1 << 24) || r < -(1 << 24)) {
        return std::nullopt;
    }
    return r;
}

std::optional<Values> eval(const Node* n, const std::map<std::string, long long>& env) {
    auto one = [&](const Node* k) -> std::optional<long long> {
        auto v = eval(k, env);
        if (!v || v->size() != 1) {
            return std::nullopt;
        }
        return (*v)[0];
    };
    switch (n->kind) {
    case NodeKind::Int:
        return Values{n->ival};
    case NodeKind::Ident:
        return Values{env.at(std::string(n->name.str()))};
    case NodeKind::Neg: {
        auto v = one(n->kids[0]);
        return v ? std::optional<Values>(Values{-*v}) : std::nullopt;
    }
    case NodeKind::Infix: {
        auto a = one(n->kids[0]), b = one(n->kids[1]);
        if (!a || !b) {
            return std::nullopt;
        }
        auto r = binop(n->prim(), *a, *b);
        return r ? std::optional<Values>(Values{*r}) : std::nullopt;
    }
    case NodeKind::Par: {
        auto a = eval(n->kids[0], env), b = eval(n->kids[1], env);
        if (!a || !b) {
            return std::nullopt;
        }
        a->insert(a->end(), b->begin(), b->end());
        return a;
    }
    case NodeKind::Seq:
    case NodeKind::Split:
    case NodeKind::Merge: {
        auto a = eval(n->kids[0], env);
        const Node* b = n->kids[1];
        if (!a) {
            return std::nullopt;
        }
        if (n->kind == NodeKind::Split && a->size() == 1) {
            a->push_back((*a)[0]);
        }
        if (n->kind == NodeKind::Merge && b->kind == NodeKind::Wire) {
            long long s = 0;
            for (long long v : *a) {
                s += v;
            }
            return Values{s};
        }
        if (b->kind == NodeKind::Prim && a->size() == 2) {
            auto r = binop(b->prim(), (*a)[0], (*a)[1]);
            return r ? std::optional<Values>(Values{*r}) : std::nullopt;
        }
        return std::nullopt;
    }
    default:
        return std::nullopt;
    }
}

TEST(PrecedenceOracle, RandomExpressionsMatchTheReferenceCompiler) {
    ASSERT_TRUE(tutti::test::faust_available())
        << "the reference faust compiler is not installed (run make setup)";
    const std::map<std::string, long long> env{{"x", 3}, {"y", 2}, {"z", 7}};
    Gen gen(20261120);
    std::vector<std::string> exprs;
    std::vector<long long> ours;
    while (exprs.size() < 1000) {
        std::string e = gen.expr(4);
        auto tree = tutti::test::parse_text("process = " + e + ";");
        ASSERT_TRUE(tree.diags.empty()) << e << "\n" << tutti::to_text(tree.diags[0]);
        // evaluate on our tree
        tutti::frontend::FrontendOptions opts;
        opts.follow_imports = false;
        tutti::frontend::FrontendSession s(opts);
        auto pf = s.parse_program_text("t.dsp", "process = " + e + ";");
        const Node* body = pf->root->kids[0]->kids[0];
        auto v = eval(body, env);
        if (!v || v->size() != 1) {
            continue; // out of the safe range: skip
        }
        exprs.push_back(e);
        ours.push_back((*v)[0]);
    }
    std::string program = "process = ";
    for (std::size_t i = 0; i < exprs.size(); ++i) {
        program += (i ? ",\n  " : "") + exprs[i];
    }
    program += "\nwith { x = 3; y = 2; z = 7; };\n";
    fs::path dsp =
        fs::temp_directory_path() / ("tutti-precedence-" + std::to_string(getpid()) + ".dsp");
    std::ofstream(dsp) << program;
    std::string cpp = tutti::test::run_command("faust -lang cpp " + dsp.string()).output;
    if (!getenv("TUTTI_KEEP_ORACLE_FILES")) {
        fs::remove(dsp);
    }

    // Integer results print as FAUSTFLOAT(64); some (pow with exponent 0) are
    // typed real by faust and print as FAUSTFLOAT(1.0f).
    static const std::regex out_re(R"(output(\d+)\[i0\] = FAUSTFLOAT\((-?\d+(?:\.\d*)?)f?\);)");
    std::map<std::size_t, double> ref;
    for (std::sregex_iterator it(cpp.begin(), cpp.end(), out_re), end; it != end; ++it) {
        ref[std::stoul((*it)[1])] = std::stod((*it)[2]);
    }
    ASSERT_EQ(ref.size(), exprs.size()) << "faust did not fold every output:\n"
                                        << cpp.substr(0, 2000);
    for (std::size_t i = 0; i < exprs.size(); ++i) {
        EXPECT_EQ(double(ours[i]), ref[i]) << "expression " << i << ": " << exprs[i];
    }
}

} // namespace
