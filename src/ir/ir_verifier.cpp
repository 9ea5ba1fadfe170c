// SPDX-License-Identifier: MIT
#include "ir/ir_verifier.h"

#include <algorithm>
#include <string_view>

#include "ir/ir_printer.h"
#include "ir/math_functions.h"

namespace tutti::ir {

namespace {

enum class Phase { InitConstants, ResetControls, ClearState, Compute };

const char* phase_name(Phase p) {
    switch (p) {
    case Phase::InitConstants:
        return "init_constants";
    case Phase::ResetControls:
        return "reset_controls";
    case Phase::ClearState:
        return "clear_state";
    case Phase::Compute:
        return "compute";
    }
    return "?";
}

bool valid_type(Type t) {
    return t == Type::I32 || t == Type::F32 || t == Type::F64;
}

std::string tn(Type t) {
    return valid_type(t) ? type_name(t) : "<bad type " + std::to_string(int(t)) + ">";
}

class Verifier {
public:
    Verifier(const Module& m, std::vector<std::string>& errors) : m_(m), errors_(errors) {
    }

    void module() {
        if (m_.real != Type::F32 && m_.real != Type::F64) {
            report("module: the real type is " + tn(m_.real) + ", not f32 or f64");
        }
        fields();
        function(Phase::InitConstants, m_.init_constants);
        function(Phase::ResetControls, m_.reset_controls);
        function(Phase::ClearState, m_.clear_state);
        function(Phase::Compute, m_.compute);
    }

private:
    void report(std::string msg) {
        if (errors_.size() < kMaxErrors) {
            errors_.push_back(std::move(msg));
        } else if (errors_.size() == kMaxErrors) {
            errors_.emplace_back("more errors were not reported");
        }
    }

    void error(const std::string& msg) {
        std::string s = phase_name(phase_);
        s += ": ";
        if (path_.empty()) {
            s += "locals";
        } else {
            s += "stmt ";
            for (std::size_t i = 0; i < path_.size(); ++i) {
                if (i > 0) {
                    s += '.';
                }
                s += std::to_string(path_[i]);
            }
            s += " (" + what_ + ")";
        }
        s += ": " + msg;
        report(std::move(s));
    }

    void fields() {
        struct Span {
            std::uint64_t begin, end;
            std::size_t field;
        };
        std::vector<Span> spans;
        for (std::size_t i = 0; i < m_.fields.size(); ++i) {
            const Field& f = m_.fields[i];
            std::string name = "field " + std::to_string(i) + " (" + f.name + ")";
            if (!valid_type(f.type)) {
                report(name + ": bad type " + tn(f.type));
                continue;
            }
            if (f.count == 0) {
                report(name + ": count is 0");
                continue;
            }
            std::uint64_t size = std::uint64_t(type_size(f.type)) * f.count;
            if (f.offset % type_size(f.type) != 0) {
                report(name + ": offset " + std::to_string(f.offset) + " is not aligned");
            }
            if (f.offset + size > m_.state_bytes) {
                report(name + ": bytes " + std::to_string(f.offset) + ".." +
                       std::to_string(f.offset + size) + " lie outside the state (" +
                       std::to_string(m_.state_bytes) + " bytes; was layout() called?)");
            }
            spans.push_back({f.offset, f.offset + size, i});
        }
        std::sort(spans.begin(), spans.end(),
                  [](const Span& a, const Span& b) { return a.begin < b.begin; });
        for (std::size_t i = 1; i < spans.size(); ++i) {
            if (spans[i].begin < spans[i - 1].end) {
                report("field " + std::to_string(spans[i].field) + " overlaps field " +
                       std::to_string(spans[i - 1].field) + " (was layout() called?)");
            }
        }
    }

    void function(Phase p, const Function& f) {
        phase_ = p;
        fn_ = &f;
        loops_.clear();
        in_frame_loop_ = false;
        path_.clear();
        for (std::size_t i = 0; i < f.locals.size(); ++i) {
            if (!valid_type(f.locals[i].type)) {
                error("local " + std::to_string(i) + " has a bad type " + tn(f.locals[i].type));
            }
        }
        block(f.body, 0);
    }

    void block(std::span<const Stmt* const> body, std::uint32_t depth) {
        path_.push_back(0);
        for (std::size_t i = 0; i < body.size(); ++i) {
            path_.back() = static_cast<std::uint32_t>(i);
            stmt(body[i], depth);
        }
        path_.pop_back();
    }

    std::string field_name(std::uint32_t i) const {
        return i < m_.fields.size() ? m_.fields[i].name : "#" + std::to_string(i);
    }

    void stmt(const Stmt* s, std::uint32_t depth) {
        if (s == nullptr) {
            what_ = "null";
            error("null statement");
            return;
        }
        what_ = stmt_kind_name(s->kind);
        if (depth > kMaxNesting) {
            error("statements nested deeper than " + std::to_string(kMaxNesting));
            return;
        }
        switch (s->kind) {
        case StmtKind::SetLocal: {
            what_ += " " + std::to_string(s->index);
            Type t = expr(s->value, depth + 1, "value");
            if (s->index >= fn_->locals.size()) {
                error("local " + std::to_string(s->index) + " does not exist (" +
                      std::to_string(fn_->locals.size()) + " locals)");
            } else if (t_ok(t) && t != fn_->locals[s->index].type) {
                error("value is " + tn(t) + ", the local is " + tn(fn_->locals[s->index].type));
            }
            break;
        }
        case StmtKind::SetField: {
            what_ += " " + field_name(s->index);
            Type t = expr(s->value, depth + 1, "value");
            if (s->index >= m_.fields.size()) {
                error("field " + std::to_string(s->index) + " does not exist (" +
                      std::to_string(m_.fields.size()) + " fields)");
                break;
            }
            const Field& f = m_.fields[s->index];
            element(f, s->element, depth + 1);
            if (t_ok(t) && t != f.type) {
                error("value is " + tn(t) + ", the field is " + tn(f.type));
            }
            break;
        }
        case StmtKind::SetOutput: {
            what_ += " " + std::to_string(s->index);
            Type t = expr(s->value, depth + 1, "value");
            if (phase_ != Phase::Compute || !in_frame_loop_) {
                error("SetOutput outside compute's FrameLoop");
            }
            if (s->index >= m_.num_outputs) {
                error("output " + std::to_string(s->index) + " does not exist (" +
                      std::to_string(m_.num_outputs) + " outputs)");
            }
            if (t_ok(t) && t != m_.real) {
                error("value is " + tn(t) + ", outputs are " + tn(m_.real));
            }
            break;
        }
        case StmtKind::For: {
            what_ += " " + std::to_string(s->loop_id);
            // The bounds are outside the loop's scope.
            expect_i32(expr(s->value, depth + 1, "from"), "from");
            expect_i32(expr(s->to, depth + 1, "to"), "to");
            if (std::find(loops_.begin(), loops_.end(), s->loop_id) != loops_.end()) {
                error("loop id " + std::to_string(s->loop_id) +
                      " is already used by an enclosing For");
            }
            loops_.push_back(s->loop_id);
            block(s->body, depth + 1);
            loops_.pop_back();
            if (!s->else_body.empty()) {
                what_ = "For";
                error("a For has no else body");
            }
            break;
        }
        case StmtKind::FrameLoop: {
            if (phase_ != Phase::Compute) {
                error("FrameLoop outside compute");
            }
            if (in_frame_loop_) {
                error("FrameLoop inside a FrameLoop");
            }
            bool outer = in_frame_loop_;
            in_frame_loop_ = true;
            block(s->body, depth + 1);
            in_frame_loop_ = outer;
            break;
        }
        case StmtKind::If: {
            expect_i32(expr(s->cond, depth + 1, "condition"), "condition");
            block(s->body, depth + 1);
            block(s->else_body, depth + 1);
            break;
        }
        default:
            error("unknown statement kind " + std::to_string(int(s->kind)));
            break;
        }
    }

    // Element index of a field access: required (I32) for arrays, absent for scalars.
    void element(const Field& f, const Expr* e, std::uint32_t depth) {
        if (f.count > 1) {
            if (e == nullptr) {
                error("array field " + f.name + " accessed without an element index");
                return;
            }
            expect_i32(expr(e, depth, "element"), "element index");
        } else if (e != nullptr) {
            error("scalar field " + f.name + " accessed with an element index");
        }
    }

    static bool t_ok(Type t) {
        return valid_type(t);
    }

    void expect_i32(Type t, const char* what) {
        if (t_ok(t) && t != Type::I32) {
            error(std::string(what) + " is " + tn(t) + ", not i32");
        }
    }

    static constexpr Type kBad = static_cast<Type>(255);

    bool arity(const Expr* e, std::size_t n) {
        if (e->a.size() != n) {
            error(std::string(expr_kind_name(e->kind)) + " has " + std::to_string(e->a.size()) +
                  " operands, not " + std::to_string(n));
            return false;
        }
        return true;
    }

    void result(const Expr* e, Type expected) {
        if (t_ok(expected) && e->type != expected) {
            error(std::string(expr_kind_name(e->kind)) +
                  (e->op != Op::None ? std::string(" ") + op_name(e->op) : std::string()) +
                  " has type " + tn(e->type) + ", expected " + tn(expected));
        }
    }

    /// Checks `e` and returns its type (kBad when it is too broken to have one).
    Type expr(const Expr* e, std::uint32_t depth, const char* role) {
        if (e == nullptr) {
            error(std::string("null expression (") + role + ")");
            return kBad;
        }
        if (depth > kMaxNesting) {
            error("expression nested deeper than " + std::to_string(kMaxNesting));
            return kBad;
        }
        if (!valid_type(e->type)) {
            error(std::string(expr_kind_name(e->kind)) + " has a bad type " + tn(e->type));
            return kBad;
        }
        switch (e->kind) {
        case ExprKind::Const:
            arity(e, 0);
            break;
        case ExprKind::Local:
            arity(e, 0);
            if (e->index >= fn_->locals.size()) {
                error("local " + std::to_string(e->index) + " does not exist (" +
                      std::to_string(fn_->locals.size()) + " locals)");
            } else {
                result(e, fn_->locals[e->index].type);
            }
            break;
        case ExprKind::Field: {
            if (e->index >= m_.fields.size()) {
                error("field " + std::to_string(e->index) + " does not exist (" +
                      std::to_string(m_.fields.size()) + " fields)");
                break;
            }
            const Field& f = m_.fields[e->index];
            if (e->a.size() > 1) {
                error("field read of " + f.name + " has " + std::to_string(e->a.size()) +
                      " element indices");
                break;
            }
            element(f, e->a.empty() ? nullptr : e->a[0], depth + 1);
            result(e, f.type);
            break;
        }
        case ExprKind::Input:
            arity(e, 0);
            if (phase_ != Phase::Compute || !in_frame_loop_) {
                error("Input outside compute's FrameLoop");
            }
            if (e->index >= m_.num_inputs) {
                error("input " + std::to_string(e->index) + " does not exist (" +
                      std::to_string(m_.num_inputs) + " inputs)");
            }
            result(e, m_.real);
            break;
        case ExprKind::SampleRate:
            arity(e, 0);
            if (phase_ != Phase::InitConstants) {
                error("SampleRate outside init_constants");
            }
            result(e, Type::I32);
            break;
        case ExprKind::Count:
            arity(e, 0);
            if (phase_ != Phase::Compute) {
                error("Count outside compute");
            }
            result(e, Type::I32);
            break;
        case ExprKind::FrameIndex:
            arity(e, 0);
            if (phase_ != Phase::Compute || !in_frame_loop_) {
                error("FrameIndex outside compute's FrameLoop");
            }
            result(e, Type::I32);
            break;
        case ExprKind::LoopVar:
            arity(e, 0);
            if (std::find(loops_.begin(), loops_.end(), e->index) == loops_.end()) {
                error("LoopVar " + std::to_string(e->index) + " outside its For");
            }
            result(e, Type::I32);
            break;
        case ExprKind::Unary:
            unary(e, depth);
            break;
        case ExprKind::Binary:
            binary(e, depth);
            break;
        case ExprKind::Call:
            call(e, depth);
            break;
        case ExprKind::SoundInfo:
        case ExprKind::SoundSample: {
            if (!arity(e, 1)) {
                break;
            }
            if (e->index >= m_.fields.size() || m_.fields[e->index].kind != FieldKind::Sound) {
                error("sound read of field " + std::to_string(e->index) + ", which is not a sound");
                break;
            }
            expect_i32(expr(e->a[0], depth + 1, "index"), "sound index");
            if (e->kind == ExprKind::SoundInfo && (e->ival < 0 || e->ival > 2)) {
                error("SoundInfo of an unknown item " + std::to_string(e->ival));
            }
            if (e->kind == ExprKind::SoundSample && e->ival < 0) {
                error("SoundSample of a negative channel");
            }
            result(e, e->kind == ExprKind::SoundInfo ? Type::I32 : m_.real);
            break;
        }
        case ExprKind::Select: {
            if (!arity(e, 3)) {
                break;
            }
            expect_i32(expr(e->a[0], depth + 1, "condition"), "Select condition");
            Type x = expr(e->a[1], depth + 1, "operand");
            Type y = expr(e->a[2], depth + 1, "operand");
            if (t_ok(x) && t_ok(y) && x != y) {
                error("Select branches are " + tn(x) + " and " + tn(y));
            }
            result(e, x);
            break;
        }
        default:
            error("unknown expression kind " + std::to_string(int(e->kind)));
            return kBad;
        }
        return e->type;
    }

    bool arithmetic_type(Type t) const {
        return t == Type::I32 || t == m_.real;
    }

    void unary(const Expr* e, std::uint32_t depth) {
        if (!arity(e, 1)) {
            return;
        }
        Type x = expr(e->a[0], depth + 1, "operand");
        if (!t_ok(x)) {
            return;
        }
        auto operand = [&](bool ok, const char* expected) {
            if (!ok) {
                error(std::string(op_name(e->op)) + " operand is " + tn(x) + ", expected " +
                      expected);
            }
        };
        switch (e->op) {
        case Op::Neg:
            operand(arithmetic_type(x), "i32 or the real type");
            result(e, x);
            break;
        case Op::FtoI:
            operand(x == Type::F32 || x == Type::F64, "f32 or f64");
            result(e, Type::I32);
            break;
        case Op::ItoF:
            operand(x == Type::I32, "i32");
            if (e->type == Type::I32) {
                error("ItoF has type i32, expected f32 or f64");
            }
            break;
        case Op::FExt:
            operand(x == Type::F32, "f32");
            result(e, Type::F64);
            break;
        case Op::FTrunc:
            operand(x == Type::F64, "f64");
            result(e, Type::F32);
            break;
        default:
            error(std::string("Unary with the non-unary op ") + op_name(e->op));
            break;
        }
    }

    void binary(const Expr* e, std::uint32_t depth) {
        if (!arity(e, 2)) {
            return;
        }
        Type x = expr(e->a[0], depth + 1, "operand");
        Type y = expr(e->a[1], depth + 1, "operand");
        if (!t_ok(x) || !t_ok(y)) {
            return;
        }
        if (x != y) {
            error(std::string(op_name(e->op)) + " operands are " + tn(x) + " and " + tn(y));
            return;
        }
        switch (e->op) {
        case Op::Add:
        case Op::Sub:
        case Op::Mul:
        case Op::Div:
        case Op::Rem:
        case Op::Min:
        case Op::Max:
            if (!arithmetic_type(x)) {
                error(std::string(op_name(e->op)) + " on " + tn(x) +
                      ", expected i32 or the real type " + tn(m_.real));
            }
            result(e, x);
            break;
        case Op::And:
        case Op::Or:
        case Op::Xor:
        case Op::Shl:
        case Op::Shr:
            if (x != Type::I32) {
                error(std::string(op_name(e->op)) + " on " + tn(x) + ", expected i32");
            }
            result(e, Type::I32);
            break;
        case Op::Lt:
        case Op::Le:
        case Op::Gt:
        case Op::Ge:
        case Op::Eq:
        case Op::Ne:
            if (!arithmetic_type(x)) {
                error(std::string(op_name(e->op)) + " on " + tn(x) +
                      ", expected i32 or the real type " + tn(m_.real));
            }
            result(e, Type::I32);
            break;
        default:
            error(std::string("Binary with the non-binary op ") + op_name(e->op));
            break;
        }
    }

    void call(const Expr* e, std::uint32_t depth) {
        std::vector<Type> args;
        for (const Expr* a : e->a) {
            args.push_back(expr(a, depth + 1, "argument"));
        }
        if (e->callee == nullptr) {
            error("Call without a callee");
            return;
        }
        const MathFunction* f = find_math_function(e->callee);
        if (f == nullptr) {
            for (const ForeignFunction& ff : m_.foreign) {
                if (ff.name == e->callee) {
                    if (args.size() > max_foreign_arguments) {
                        error(std::string("Call of ") + e->callee + " with more than " +
                              std::to_string(max_foreign_arguments) + " arguments");
                        return;
                    }
                    if (args.size() != ff.params.size()) {
                        error(std::string("Call of ") + e->callee + " with " +
                              std::to_string(args.size()) + " arguments, it takes " +
                              std::to_string(ff.params.size()));
                        return;
                    }
                    for (std::size_t i = 0; i < args.size(); ++i) {
                        if (t_ok(args[i]) && args[i] != ff.params[i]) {
                            error(std::string("Call of ") + e->callee + ": argument " +
                                  std::to_string(i) + " is " + tn(args[i]) + ", expected " +
                                  tn(ff.params[i]));
                        }
                    }
                    result(e, ff.result);
                    return;
                }
            }
            error(std::string("Call of the unknown function '") + e->callee + "'");
            return;
        }
        std::uint32_t n = math_arity(f->signature);
        if (args.size() != n) {
            error(std::string("Call of ") + e->callee + " with " + std::to_string(args.size()) +
                  " arguments, it takes " + std::to_string(n));
            return;
        }
        for (std::uint32_t i = 0; i < n; ++i) {
            Type want = math_param_type(f->signature, i);
            if (t_ok(args[i]) && args[i] != want) {
                error(std::string("Call of ") + e->callee + ": argument " + std::to_string(i) +
                      " is " + tn(args[i]) + ", expected " + tn(want));
            }
        }
        result(e, math_result_type(f->signature));
    }

    const Module& m_;
    std::vector<std::string>& errors_;
    Phase phase_ = Phase::InitConstants;
    const Function* fn_ = nullptr;
    std::vector<std::uint32_t> loops_;
    bool in_frame_loop_ = false;
    std::vector<std::uint32_t> path_;
    std::string what_;
};

} // namespace

std::vector<std::string> verify(const Module& m) {
    std::vector<std::string> errors;
    Verifier(m, errors).module();
    return errors;
}

} // namespace tutti::ir
