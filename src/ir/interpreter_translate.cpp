// SPDX-License-Identifier: MIT
#include "ir/interpreter_translate.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <span>
#include <utility>

#include "ir/math_functions.h"

namespace tutti::ir {

namespace {

using namespace vm;
using Value = Interpreter::Value;

constexpr std::uint32_t kNone = ~0u;

class Translator {
public:
    Translator(const Module& m, const Function& f, Interpreter::Program& p) : m_(m), f_(f), p_(p) {
    }

    void run() {
        // Registers: the fixed two, the constants, the locals, For variables and
        // bounds, then the temporaries.
        collect(f_.body);
        first_local_ = kFixedRegs + static_cast<std::uint32_t>(p_.constants.size());
        next_fixed_ = first_local_ + static_cast<std::uint32_t>(f_.locals.size());
        temp_base_ = next_fixed_ + 2 * count_loops(f_.body);
        p_.registers = temp_base_;
        p_.temp_base = temp_base_;
        block(f_.body);
        emit({Code::Halt});
    }

private:
    // ---- constants

    /// Gives every distinct constant of the function its register.
    void collect(std::span<const Stmt* const> body) {
        for (const Stmt* s : body) {
            collect(s->element);
            collect(s->value);
            collect(s->to);
            collect(s->cond);
            collect(s->body);
            collect(s->else_body);
        }
    }

    void collect(const Expr* e) {
        if (e == nullptr) {
            return;
        }
        if (e->kind == ExprKind::Const) {
            Value v;
            auto [it, added] = constants_.try_emplace(
                constant_key(e, &v), kFixedRegs + static_cast<std::uint32_t>(p_.constants.size()));
            if (added) {
                p_.constants.push_back(v);
            }
            return;
        }
        for (const Expr* a : e->a) {
            collect(a);
        }
    }

    std::uint32_t constant_register(const Expr* e) const {
        Value v;
        return constants_.at(constant_key(e, &v));
    }

    /// The value of the constant `e` in `v` (unused bytes zero) and its key: (type, bits).
    static std::pair<int, std::uint64_t> constant_key(const Expr* e, Value* v) {
        std::memset(static_cast<void*>(v), 0, sizeof *v);
        if (e->type == Type::I32) {
            v->i = e->ival;
        } else if (e->type == Type::F32) {
            v->f = static_cast<float>(e->rval);
        } else {
            v->d = e->rval;
        }
        std::uint64_t bits = 0;
        std::memcpy(&bits, v, sizeof bits);
        return {static_cast<int>(e->type), bits};
    }

    // ---- emission

    static std::uint32_t count_loops(std::span<const Stmt* const> body) {
        std::uint32_t n = 0;
        for (const Stmt* s : body) {
            if (s->kind == StmtKind::For) {
                ++n;
            }
            n += count_loops(s->body) + count_loops(s->else_body);
        }
        return n;
    }

    std::uint32_t emit(Instr in) {
        p_.code.push_back(in);
        return static_cast<std::uint32_t>(p_.code.size() - 1);
    }

    std::uint32_t here() const {
        return static_cast<std::uint32_t>(p_.code.size());
    }

    void patch(std::uint32_t at, std::uint32_t target) {
        p_.code[at].k.u = target;
    }

    std::uint32_t temp(std::uint32_t& next) {
        std::uint32_t r = next++;
        p_.registers = std::max(p_.registers, next);
        return r;
    }

    /// The byte offset of `field[element]` (of the field itself if `element` is
    /// null) if it is known at translation time.
    bool fixed_offset(const Field& f, const Expr* element, std::uint32_t* offset) const {
        if (element == nullptr) {
            *offset = f.offset;
            return true;
        }
        if (element->kind != ExprKind::Const || element->ival < 0 ||
            std::uint32_t(element->ival) >= f.count) {
            return false;
        }
        *offset = f.offset + std::uint32_t(element->ival) * type_size(f.type);
        return true;
    }

    void block(std::span<const Stmt* const> body) {
        for (const Stmt* s : body) {
            stmt(s);
        }
    }

    void stmt(const Stmt* s) {
        std::uint32_t next = temp_base_;
        switch (s->kind) {
        case StmtKind::SetLocal:
            expr(s->value, next, first_local_ + s->index);
            return;
        case StmtKind::SetField:
            set_field(s, next);
            return;
        case StmtKind::SetOutput: {
            Instr in{m_.real == Type::F32 ? Code::OutputF : Code::OutputD};
            in.a = expr(s->value, next);
            in.k.u = s->index;
            emit(in);
            return;
        }
        case StmtKind::For: {
            std::uint32_t var = next_fixed_++;
            std::uint32_t bound = next_fixed_++;
            // The bounds are evaluated once, before the first iteration.
            expr(s->value, next, var);
            next = temp_base_;
            expr(s->to, next, bound);
            if (const Stmt* b = s->body.size() == 1 ? s->body[0] : nullptr;
                b != nullptr && b->kind == StmtKind::SetField && b->element != nullptr &&
                b->element->kind == ExprKind::LoopVar && b->element->index == s->loop_id &&
                b->value->kind == ExprKind::Const) {
                // `for (i = from; i < to; i++) field[i] = constant` (clearing a delay line,
                // a recursion's memory): one instruction instead of a loop
                const Field& f = m_.fields[b->index];
                next = temp_base_;
                Instr fill{typed(Code::FillI, f.type)};
                fill.d = var;
                fill.a = bound;
                fill.b = expr(b->value, next);
                fill.k.u = f.offset;
                emit(fill);
                return;
            }
            loops_.emplace_back(s->loop_id, var);
            loop(var, bound, s->body);
            loops_.pop_back();
            return;
        }
        case StmtKind::FrameLoop: {
            Instr zero{Code::ConstI};
            zero.d = kFrameReg;
            zero.k.i = 0;
            emit(zero);
            loop(kFrameReg, kArgReg, s->body);
            return;
        }
        case StmtKind::If: {
            Instr test{Code::JumpIfNot};
            test.a = expr(s->cond, next);
            std::uint32_t to_else = emit(test);
            block(s->body);
            if (s->else_body.empty()) {
                patch(to_else, here());
                return;
            }
            std::uint32_t to_end = emit({Code::Jump});
            patch(to_else, here());
            block(s->else_body);
            patch(to_end, here());
            return;
        }
        }
    }

    void set_field(const Stmt* s, std::uint32_t& next) {
        const Field& f = m_.fields[s->index];
        std::uint32_t to = 0;
        const bool fixed = fixed_offset(f, s->element, &to);
        if (const Expr* v = s->value; fixed && v->kind == ExprKind::Field) {
            // `x[1] = x[0]`, `fRec0[1] = fRec0[0]`: a copy between fixed places
            const Field& g = m_.fields[v->index];
            std::uint32_t from = 0;
            if (g.type == f.type && fixed_offset(g, v->a.empty() ? nullptr : v->a[0], &from)) {
                Instr in{typed(Code::CopyI, f.type)};
                in.k.u = to;
                in.c = from;
                emit(in);
                return;
            }
        }
        Instr in;
        in.a = expr(s->value, next);
        if (fixed) {
            in.code = typed(Code::StoreI, f.type);
            in.k.u = to;
        } else {
            in.code = typed(Code::StoreAtI, f.type);
            in.k.u = f.offset;
            in.b = expr(s->element, next);
        }
        emit(in);
    }

    /// var < bound ? { do { body; var += 1; } while (var < bound); }
    void loop(std::uint32_t var, std::uint32_t bound, std::span<const Stmt* const> body) {
        Instr test{Code::LoopTest};
        test.a = var;
        test.b = bound;
        std::uint32_t skip = emit(test);
        std::uint32_t head = here();
        block(body);
        Instr next{Code::LoopNext};
        next.a = var;
        next.b = bound;
        next.k.u = head;
        emit(next);
        patch(skip, here());
    }

    /// The register of `e` if it is one already (a local, a constant, a loop
    /// variable...), otherwise kNone.
    std::uint32_t register_of(const Expr* e) const {
        switch (e->kind) {
        case ExprKind::Const:
            return constant_register(e);
        case ExprKind::Local:
            return first_local_ + e->index;
        case ExprKind::SampleRate:
        case ExprKind::Count:
            return kArgReg;
        case ExprKind::FrameIndex:
            return kFrameReg;
        case ExprKind::LoopVar:
            for (auto it = loops_.rbegin(); it != loops_.rend(); ++it) {
                if (it->first == e->index) {
                    return it->second;
                }
            }
            return kArgReg; // unreachable for a verified module
        default:
            return kNone;
        }
    }

    /// Emits the code of `e` and returns the register that holds its value:
    /// `dest` if given, else a temporary or the register `e` already is.
    /// Temporaries are allocated as a stack from `next`; the result may reuse
    /// an operand's register, and `dest` may be an operand (instructions read
    /// their operands first).
    std::uint32_t expr(const Expr* e, std::uint32_t& next, std::uint32_t dest = kNone) {
        if (std::uint32_t r = register_of(e); r != kNone) {
            if (dest == kNone || dest == r) {
                return r;
            }
            Instr move{Code::Move};
            move.d = dest;
            move.a = r;
            emit(move);
            return dest;
        }
        std::uint32_t base = next;
        Instr in;
        switch (e->kind) {
        case ExprKind::Field: {
            const Field& f = m_.fields[e->index];
            std::uint32_t offset = 0;
            if (fixed_offset(f, e->a.empty() ? nullptr : e->a[0], &offset)) {
                in.code = typed(Code::LoadI, f.type);
                in.k.u = offset;
            } else {
                in.code = typed(Code::LoadAtI, f.type);
                in.k.u = f.offset;
                in.a = expr(e->a[0], next);
            }
            break;
        }
        case ExprKind::SoundInfo:
            in.code = Code::SoundInfo;
            in.k.u = m_.fields[e->index].offset;
            in.c = std::uint32_t(e->ival);
            in.a = expr(e->a[0], next);
            break;
        case ExprKind::SoundSample:
            in.code = m_.real == Type::F32 ? Code::SoundSampleF : Code::SoundSampleD;
            in.k.u = m_.fields[e->index].offset;
            in.c = std::uint32_t(e->ival);
            in.a = expr(e->a[0], next);
            break;
        case ExprKind::Input:
            in.code = m_.real == Type::F32 ? Code::InputF : Code::InputD;
            in.k.u = e->index;
            break;
        case ExprKind::Unary: {
            in.a = expr(e->a[0], next);
            Type x = e->a[0]->type;
            switch (e->op) {
            case Op::Neg:
                in.code = typed(Code::NegI, x);
                break;
            case Op::FtoI:
                in.code = x == Type::F32 ? Code::FtoIF : Code::FtoID;
                break;
            case Op::ItoF:
                in.code = e->type == Type::F32 ? Code::ItoFF : Code::ItoFD;
                break;
            case Op::FExt:
                in.code = Code::FExt;
                break;
            default:
                in.code = Code::FTrunc;
                break;
            }
            break;
        }
        case ExprKind::Binary:
            in.a = expr(e->a[0], next);
            in.b = expr(e->a[1], next);
            in.code = binary_code(e->op, e->a[0]->type);
            break;
        case ExprKind::Call:
            call(e, next, in);
            break;
        case ExprKind::Select:
            in.code = Code::Select;
            in.a = expr(e->a[0], next);
            in.b = expr(e->a[1], next);
            in.c = expr(e->a[2], next);
            break;
        default:
            break;
        }
        next = base;
        in.d = dest != kNone ? dest : temp(next);
        emit(in);
        return in.d;
    }

    /// The call instruction of `e` in `in` (a foreign call's arguments emitted before it).
    void call(const Expr* e, std::uint32_t& next, Instr& in) {
        const MathFunction* f = find_math_function(e->callee);
        if (f != nullptr) {
            in.k.fn = f->address;
            in.code =
                static_cast<Code>(static_cast<int>(Code::CallF_F) + static_cast<int>(f->signature));
            in.a = expr(e->a[0], next);
            if (e->a.size() > 1) {
                in.b = expr(e->a[1], next);
            }
            return;
        }
        // a function of the program's header: arguments as doubles, then the call
        const ForeignFunction* ff = nullptr;
        for (const ForeignFunction& x : m_.foreign) {
            ff = x.name == e->callee ? &x : ff;
        }
        std::vector<std::uint32_t> regs;
        for (const Expr* a : e->a) {
            regs.push_back(expr(a, next));
        }
        for (std::size_t k = 0; k < regs.size(); ++k) {
            Instr arg;
            arg.code = typed(Code::ForeignArgI, e->a[k]->type);
            arg.a = regs[k];
            arg.c = std::uint32_t(k);
            emit(arg);
        }
        in.code = Code::CallForeign;
        in.k.fn = reinterpret_cast<void (*)()>(ff != nullptr ? ff->uniform : nullptr);
        in.c = e->type == Type::I32 ? 0 : e->type == Type::F32 ? 1 : 2;
    }

    static Code binary_code(Op op, Type t) {
        switch (op) {
        case Op::Add:
            return typed(Code::AddI, t);
        case Op::Sub:
            return typed(Code::SubI, t);
        case Op::Mul:
            return typed(Code::MulI, t);
        case Op::Div:
            return typed(Code::DivI, t);
        case Op::Rem:
            return typed(Code::RemI, t);
        case Op::Min:
            return typed(Code::MinI, t);
        case Op::Max:
            return typed(Code::MaxI, t);
        case Op::Lt:
            return typed(Code::LtI, t);
        case Op::Le:
            return typed(Code::LeI, t);
        case Op::Gt:
            return typed(Code::GtI, t);
        case Op::Ge:
            return typed(Code::GeI, t);
        case Op::Eq:
            return typed(Code::EqI, t);
        case Op::Ne:
            return typed(Code::NeI, t);
        case Op::And:
            return Code::And;
        case Op::Or:
            return Code::Or;
        case Op::Xor:
            return Code::Xor;
        case Op::Shl:
            return Code::Shl;
        default:
            return Code::Shr;
        }
    }

    const Module& m_;
    const Function& f_;
    Interpreter::Program& p_;
    std::map<std::pair<int, std::uint64_t>, std::uint32_t> constants_; ///< (type, bits) -> register
    std::uint32_t first_local_ = kFixedRegs;
    std::uint32_t next_fixed_ = kFixedRegs;
    std::uint32_t temp_base_ = kFixedRegs;
    std::vector<std::pair<std::uint32_t, std::uint32_t>> loops_; ///< (loop id, register)
};

// The call signatures, in the order of MathSignature.
static_assert(static_cast<int>(Code::CallF_FF) - static_cast<int>(Code::CallF_F) ==
              static_cast<int>(MathSignature::F_FF));
static_assert(static_cast<int>(Code::CallD_ID) - static_cast<int>(Code::CallF_F) ==
              static_cast<int>(MathSignature::D_ID));

} // namespace

void translate(const Module& m, const Function& f, Interpreter::Program& p) {
    Translator(m, f, p).run();
}

} // namespace tutti::ir
