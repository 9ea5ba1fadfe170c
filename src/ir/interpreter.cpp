// SPDX-License-Identifier: MIT
#include "ir/interpreter.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <utility>

#include "ir/ir_verifier.h"
#include "ir/math_functions.h"
#include "ir/sound_data.h"

namespace tutti::ir {

namespace {

using Value = Interpreter::Value;

// Instructions of the register machine. Suffix I, F, D: the operand type
// (i32, f32, f64). Registers are numbered: r0 = the argument (sample rate or
// count), r1 = the frame variable, then locals, then For variables and bounds,
// then temporaries.
// An X-macro list: clang-format-14 re-indents it at every run.
// clang-format off
#define TUTTI_VM_TYPED(X)                                                                          \
    X(Const) X(Load) X(LoadAt) X(Store) X(StoreAt) X(Neg) X(Add) X(Sub) X(Mul) X(Div) X(Rem)       \
        X(Min) X(Max) X(Lt) X(Le) X(Gt) X(Ge) X(Eq) X(Ne) X(Fill)
// clang-format on

enum class Code : std::uint8_t {
#define TUTTI_VM_DECLARE(name) name##I, name##F, name##D,
    TUTTI_VM_TYPED(TUTTI_VM_DECLARE)
#undef TUTTI_VM_DECLARE
        InputF,
    InputD,
    OutputF,
    OutputD,
    FtoIF,
    FtoID,
    ItoFF,
    ItoFD,
    FExt,
    FTrunc,
    And,
    Or,
    Xor,
    Shl,
    Shr,
    Move,   ///< d = a
    Select, ///< d = a.i != 0 ? b : c
    CallF_F,
    CallF_FF,
    CallF_FI,
    CallI_F,
    CallD_D,
    CallD_DD,
    CallD_DI,
    CallI_D,
    CallD_ID,
    ForeignArgI,
    ForeignArgF,
    ForeignArgD,  ///< foreign argument c (as double) = a
    CallForeign,  ///< d = k.fn(foreign arguments) (uniform entry point), c: the result type (0 I, 1
                  ///< F, 2 D)
    Jump,         ///< goto k.u
    JumpIfNot,    ///< if (a.i == 0) goto k.u
    LoopTest,     ///< if (!(a.i < b.i)) goto k.u
    Increment,    ///< a.i += 1
    SoundInfo,    ///< d.i = sound at state + k.u: info[c * 256 + a.i]
    SoundSampleF, ///< d.f = sound at state + k.u: channel c of float samples, at a.i
    SoundSampleD, ///< d.d = the same, double samples
    Halt,
};

Code typed(Code base_i, Type t) {
    // The three variants of a typed code follow each other: I, F, D.
    int offset = t == Type::I32 ? 0 : t == Type::F32 ? 1 : 2;
    return static_cast<Code>(static_cast<int>(base_i) + offset);
}

struct Instr {
    Code code = Code::Halt;
    std::uint32_t d = 0, a = 0, b = 0, c = 0;
    union {
        std::int32_t i;
        float f;
        double d;
        std::uint32_t u; ///< byte offset, channel or jump target
        void (*fn)();
    } k{};
};

constexpr std::uint32_t kArgReg = 0;
constexpr std::uint32_t kFrameReg = 1;
constexpr std::uint32_t kFixedRegs = 2;

// Integer semantics of the IR (loop_ir.h): wrapping, no traps.
std::int32_t wrap_add(std::int32_t a, std::int32_t b) {
    return static_cast<std::int32_t>(static_cast<std::uint32_t>(a) + static_cast<std::uint32_t>(b));
}
std::int32_t wrap_sub(std::int32_t a, std::int32_t b) {
    return static_cast<std::int32_t>(static_cast<std::uint32_t>(a) - static_cast<std::uint32_t>(b));
}
std::int32_t wrap_mul(std::int32_t a, std::int32_t b) {
    return static_cast<std::int32_t>(static_cast<std::uint32_t>(a) * static_cast<std::uint32_t>(b));
}
bool div_undefined(std::int32_t a, std::int32_t b) {
    return b == 0 || (a == std::numeric_limits<std::int32_t>::min() && b == -1);
}
std::int32_t safe_div(std::int32_t a, std::int32_t b) {
    return div_undefined(a, b) ? 0 : a / b;
}
std::int32_t safe_rem(std::int32_t a, std::int32_t b) {
    return div_undefined(a, b) ? 0 : a % b;
}
std::int32_t shl(std::int32_t a, std::int32_t b) {
    return static_cast<std::int32_t>(static_cast<std::uint32_t>(a) << (b & 31));
}
std::int32_t shr(std::int32_t a, std::int32_t b) {
    return a >> (b & 31); // arithmetic in C++20
}
template <class T> std::int32_t float_to_int(T x) {
    // In range iff -2^31 <= x < 2^31 (both bounds exact in float and double);
    // NaN fails both comparisons.
    if (x >= T(-2147483648.0) && x < T(2147483648.0)) {
        return static_cast<std::int32_t>(x);
    }
    return std::numeric_limits<std::int32_t>::min();
}
template <class T> T min_of(T a, T b) {
    return b < a ? b : a;
}
template <class T> T max_of(T a, T b) {
    return a < b ? b : a;
}
template <class T> T real_rem(T a, T b) {
    if constexpr (sizeof(T) == 4) {
        return ::fmodf(a, b);
    } else {
        return ::fmod(a, b);
    }
}

} // namespace

struct Interpreter::Program {
    std::vector<Instr> code;
    std::uint32_t registers = kFixedRegs; ///< registers this program uses
    std::uint32_t first_local = kFixedRegs;
    std::uint32_t num_locals = 0;
};

namespace {

/// Translates one verified function into a register program.
class Translator {
public:
    Translator(const Module& m, const Function& f, Interpreter::Program& p) : m_(m), f_(f), p_(p) {
    }

    void run() {
        p_.first_local = kFixedRegs;
        p_.num_locals = static_cast<std::uint32_t>(f_.locals.size());
        next_fixed_ = kFixedRegs + p_.num_locals;
        // For variables and bounds are numbered before the temporaries.
        temp_base_ = next_fixed_ + 2 * count_loops(f_.body);
        p_.registers = temp_base_;
        block(f_.body);
        emit({Code::Halt});
    }

private:
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

    void block(std::span<const Stmt* const> body) {
        for (const Stmt* s : body) {
            stmt(s);
        }
    }

    std::uint32_t temp(std::uint32_t& next) {
        std::uint32_t r = next++;
        p_.registers = std::max(p_.registers, next);
        return r;
    }

    void stmt(const Stmt* s) {
        std::uint32_t next = temp_base_;
        switch (s->kind) {
        case StmtKind::SetLocal: {
            std::uint32_t v = expr(s->value, next);
            Instr in{Code::Move};
            in.d = p_.first_local + s->index;
            in.a = v;
            emit(in);
            return;
        }
        case StmtKind::SetField: {
            const Field& f = m_.fields[s->index];
            std::uint32_t v = expr(s->value, next);
            Instr in;
            in.k.u = f.offset;
            in.a = v;
            if (s->element != nullptr) {
                in.code = typed(Code::StoreAtI, f.type);
                in.b = expr(s->element, next);
            } else {
                in.code = typed(Code::StoreI, f.type);
            }
            emit(in);
            return;
        }
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
            Instr from{Code::Move};
            from.d = var;
            from.a = expr(s->value, next);
            emit(from);
            next = temp_base_;
            Instr to{Code::Move};
            to.d = bound;
            to.a = expr(s->to, next);
            emit(to);
            if (const Stmt* b = s->body.size() == 1 ? s->body[0] : nullptr;
                b != nullptr && b->kind == StmtKind::SetField && b->element != nullptr &&
                b->element->kind == ExprKind::LoopVar && b->element->index == s->loop_id &&
                b->value->kind == ExprKind::Const) {
                // `for (i = from; i < to; i++) field[i] = constant` (clearing a delay line,
                // a recursion's memory): one instruction instead of four per element
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

    /// while (var < bound) { body; var += 1; }
    void loop(std::uint32_t var, std::uint32_t bound, std::span<const Stmt* const> body) {
        Instr test{Code::LoopTest};
        test.a = var;
        test.b = bound;
        std::uint32_t head = emit(test);
        block(body);
        Instr inc{Code::Increment};
        inc.a = var;
        emit(inc);
        Instr back{Code::Jump};
        back.k.u = head;
        emit(back);
        patch(head, here());
    }

    /// Emits the code of `e` and returns the register that holds its value.
    /// Temporaries are allocated as a stack from `next`; the result may reuse
    /// an operand's register (instructions read their operands first).
    std::uint32_t expr(const Expr* e, std::uint32_t& next) {
        switch (e->kind) {
        case ExprKind::Local:
            return p_.first_local + e->index;
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
            break;
        }
        std::uint32_t base = next;
        Instr in;
        switch (e->kind) {
        case ExprKind::Const:
            in.code = typed(Code::ConstI, e->type);
            if (e->type == Type::I32) {
                in.k.i = e->ival;
            } else if (e->type == Type::F32) {
                in.k.f = static_cast<float>(e->rval);
            } else {
                in.k.d = e->rval;
            }
            break;
        case ExprKind::Field: {
            const Field& f = m_.fields[e->index];
            in.k.u = f.offset;
            if (!e->a.empty()) {
                in.code = typed(Code::LoadAtI, f.type);
                in.a = expr(e->a[0], next);
            } else {
                in.code = typed(Code::LoadI, f.type);
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
        case ExprKind::Binary: {
            in.a = expr(e->a[0], next);
            in.b = expr(e->a[1], next);
            Type x = e->a[0]->type;
            in.code = binary_code(e->op, x);
            break;
        }
        case ExprKind::Call: {
            const MathFunction* f = find_math_function(e->callee);
            if (f == nullptr) {
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
                break;
            }
            in.k.fn = f->address;
            in.code =
                static_cast<Code>(static_cast<int>(Code::CallF_F) + static_cast<int>(f->signature));
            in.a = expr(e->a[0], next);
            if (e->a.size() > 1) {
                in.b = expr(e->a[1], next);
            }
            break;
        }
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
        in.d = temp(next);
        emit(in);
        return in.d;
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
    std::uint32_t next_fixed_ = kFixedRegs;
    std::uint32_t temp_base_ = kFixedRegs;
    std::vector<std::pair<std::uint32_t, std::uint32_t>> loops_; ///< (loop id, register)
};

// The call signatures, in the order of MathSignature.
static_assert(static_cast<int>(Code::CallF_FF) - static_cast<int>(Code::CallF_F) ==
              static_cast<int>(MathSignature::F_FF));
static_assert(static_cast<int>(Code::CallD_ID) - static_cast<int>(Code::CallF_F) ==
              static_cast<int>(MathSignature::D_ID));

template <class T> T* at(void* state, std::uint32_t offset) {
    return reinterpret_cast<T*>(static_cast<char*>(state) + offset);
}

} // namespace

Interpreter::Interpreter(const Module& m) : m_(m), errors_(verify(m)) {
    if (!errors_.empty()) {
        return;
    }
    const Function* fns[4] = {&m.init_constants, &m.reset_controls, &m.clear_state, &m.compute};
    for (int i = 0; i < 4; ++i) {
        programs_[i] = std::make_unique<Program>();
        Translator(m, *fns[i], *programs_[i]).run();
        registers_ = std::max(registers_, programs_[i]->registers);
    }
    scratch_.resize(registers_);
}

Interpreter::~Interpreter() = default;

std::size_t Interpreter::compute_size() const {
    return programs_[3] ? programs_[3]->code.size() : 0;
}

void Interpreter::init_constants(void* state, int sample_rate) const {
    if (ok()) {
        run(*programs_[0], state, sample_rate, nullptr, nullptr);
    }
}

void Interpreter::reset_controls(void* state) const {
    if (ok()) {
        run(*programs_[1], state, 0, nullptr, nullptr);
    }
}

void Interpreter::clear_state(void* state) const {
    if (ok()) {
        run(*programs_[2], state, 0, nullptr, nullptr);
    }
}

void Interpreter::compute(void* state, int count, const void* const* inputs,
                          void* const* outputs) const {
    if (ok()) {
        run(*programs_[3], state, count, inputs, outputs);
        return;
    }
    for (std::uint32_t c = 0; outputs != nullptr && c < m_.num_outputs && count > 0; ++c) {
        std::memset(outputs[c], 0, std::size_t(count) * type_size(m_.real));
    }
}

void Interpreter::run(const Program& p, void* state, std::int32_t arg, const void* const* inputs,
                      void* const* outputs) const {
    bool expected = false;
    bool own = busy_.compare_exchange_strong(expected, true, std::memory_order_acquire);
    std::vector<Value> spare;
    if (!own) {
        spare.resize(registers_); // a concurrent call: rare, allowed to allocate
    }
    Value* r = own ? scratch_.data() : spare.data();
    // Locals start at zero; a zero Value is 0 in every type.
    std::memset(static_cast<void*>(r), 0, sizeof(Value) * p.registers);
    r[kArgReg].i = arg;

    const Instr* code = p.code.data();
    std::uint32_t pc = 0;
    double fargs[ir::max_foreign_arguments] = {}; // arguments of a foreign call
    for (;;) {
        const Instr& in = code[pc++];
        Value& d = r[in.d];
        const Value& a = r[in.a];
        const Value& b = r[in.b];
        switch (in.code) {
        case Code::ConstI:
            d.i = in.k.i;
            break;
        case Code::ConstF:
            d.f = in.k.f;
            break;
        case Code::ConstD:
            d.d = in.k.d;
            break;
        case Code::LoadI:
            d.i = *at<std::int32_t>(state, in.k.u);
            break;
        case Code::LoadF:
            d.f = *at<float>(state, in.k.u);
            break;
        case Code::LoadD:
            d.d = *at<double>(state, in.k.u);
            break;
        case Code::LoadAtI:
            d.i = at<std::int32_t>(state, in.k.u)[a.i];
            break;
        case Code::SoundInfo:
            d.i = (*at<const ir::SoundData*>(state, in.k.u))
                      ->info[in.c * std::uint32_t(ir::sound_parts) + std::uint32_t(a.i)];
            break;
        case Code::SoundSampleF:
            d.f = static_cast<const float*>(
                (*at<const ir::SoundData*>(state, in.k.u))->buffers[in.c])[a.i];
            break;
        case Code::SoundSampleD:
            d.d = static_cast<const double*>(
                (*at<const ir::SoundData*>(state, in.k.u))->buffers[in.c])[a.i];
            break;
        case Code::LoadAtF:
            d.f = at<float>(state, in.k.u)[a.i];
            break;
        case Code::LoadAtD:
            d.d = at<double>(state, in.k.u)[a.i];
            break;
        case Code::StoreI:
            *at<std::int32_t>(state, in.k.u) = a.i;
            break;
        case Code::StoreF:
            *at<float>(state, in.k.u) = a.f;
            break;
        case Code::StoreD:
            *at<double>(state, in.k.u) = a.d;
            break;
        case Code::StoreAtI:
            at<std::int32_t>(state, in.k.u)[b.i] = a.i;
            break;
        case Code::StoreAtF:
            at<float>(state, in.k.u)[b.i] = a.f;
            break;
        case Code::StoreAtD:
            at<double>(state, in.k.u)[b.i] = a.d;
            break;
        case Code::InputF:
            d.f = static_cast<const float*>(inputs[in.k.u])[r[kFrameReg].i];
            break;
        case Code::InputD:
            d.d = static_cast<const double*>(inputs[in.k.u])[r[kFrameReg].i];
            break;
        case Code::OutputF:
            static_cast<float*>(outputs[in.k.u])[r[kFrameReg].i] = a.f;
            break;
        case Code::OutputD:
            static_cast<double*>(outputs[in.k.u])[r[kFrameReg].i] = a.d;
            break;
        case Code::NegI:
            d.i = wrap_sub(0, a.i);
            break;
        case Code::NegF:
            d.f = -a.f;
            break;
        case Code::NegD:
            d.d = -a.d;
            break;
        case Code::FtoIF:
            d.i = float_to_int(a.f);
            break;
        case Code::FtoID:
            d.i = float_to_int(a.d);
            break;
        case Code::ItoFF:
            d.f = static_cast<float>(a.i);
            break;
        case Code::ItoFD:
            d.d = static_cast<double>(a.i);
            break;
        case Code::FExt:
            d.d = static_cast<double>(a.f);
            break;
        case Code::FTrunc:
            d.f = static_cast<float>(a.d);
            break;
        case Code::AddI:
            d.i = wrap_add(a.i, b.i);
            break;
        case Code::AddF:
            d.f = a.f + b.f;
            break;
        case Code::AddD:
            d.d = a.d + b.d;
            break;
        case Code::SubI:
            d.i = wrap_sub(a.i, b.i);
            break;
        case Code::SubF:
            d.f = a.f - b.f;
            break;
        case Code::SubD:
            d.d = a.d - b.d;
            break;
        case Code::MulI:
            d.i = wrap_mul(a.i, b.i);
            break;
        case Code::MulF:
            d.f = a.f * b.f;
            break;
        case Code::MulD:
            d.d = a.d * b.d;
            break;
        case Code::DivI:
            d.i = safe_div(a.i, b.i);
            break;
        case Code::DivF:
            d.f = a.f / b.f;
            break;
        case Code::DivD:
            d.d = a.d / b.d;
            break;
        case Code::RemI:
            d.i = safe_rem(a.i, b.i);
            break;
        case Code::RemF:
            d.f = real_rem(a.f, b.f);
            break;
        case Code::RemD:
            d.d = real_rem(a.d, b.d);
            break;
        case Code::MinI:
            d.i = min_of(a.i, b.i);
            break;
        case Code::MinF:
            d.f = min_of(a.f, b.f);
            break;
        case Code::MinD:
            d.d = min_of(a.d, b.d);
            break;
        case Code::MaxI:
            d.i = max_of(a.i, b.i);
            break;
        case Code::MaxF:
            d.f = max_of(a.f, b.f);
            break;
        case Code::MaxD:
            d.d = max_of(a.d, b.d);
            break;
        case Code::LtI:
            d.i = a.i < b.i;
            break;
        case Code::LtF:
            d.i = a.f < b.f;
            break;
        case Code::LtD:
            d.i = a.d < b.d;
            break;
        case Code::LeI:
            d.i = a.i <= b.i;
            break;
        case Code::LeF:
            d.i = a.f <= b.f;
            break;
        case Code::LeD:
            d.i = a.d <= b.d;
            break;
        case Code::GtI:
            d.i = a.i > b.i;
            break;
        case Code::GtF:
            d.i = a.f > b.f;
            break;
        case Code::GtD:
            d.i = a.d > b.d;
            break;
        case Code::GeI:
            d.i = a.i >= b.i;
            break;
        case Code::GeF:
            d.i = a.f >= b.f;
            break;
        case Code::GeD:
            d.i = a.d >= b.d;
            break;
        case Code::EqI:
            d.i = a.i == b.i;
            break;
        case Code::EqF:
            d.i = a.f == b.f;
            break;
        case Code::EqD:
            d.i = a.d == b.d;
            break;
        case Code::NeI:
            d.i = a.i != b.i;
            break;
        case Code::NeF:
            d.i = a.f != b.f;
            break;
        case Code::NeD:
            d.i = a.d != b.d;
            break;
        case Code::And:
            d.i = a.i & b.i;
            break;
        case Code::Or:
            d.i = a.i | b.i;
            break;
        case Code::Xor:
            d.i = a.i ^ b.i;
            break;
        case Code::Shl:
            d.i = shl(a.i, b.i);
            break;
        case Code::Shr:
            d.i = shr(a.i, b.i);
            break;
        case Code::Move:
            d = a;
            break;
        case Code::Select:
            d = a.i != 0 ? b : r[in.c];
            break;
        case Code::CallF_F:
            d.f = reinterpret_cast<float (*)(float)>(in.k.fn)(a.f);
            break;
        case Code::CallF_FF:
            d.f = reinterpret_cast<float (*)(float, float)>(in.k.fn)(a.f, b.f);
            break;
        case Code::CallF_FI:
            d.f = reinterpret_cast<float (*)(float, int)>(in.k.fn)(a.f, b.i);
            break;
        case Code::CallI_F:
            d.i = reinterpret_cast<int (*)(float)>(in.k.fn)(a.f);
            break;
        case Code::CallD_D:
            d.d = reinterpret_cast<double (*)(double)>(in.k.fn)(a.d);
            break;
        case Code::CallD_DD:
            d.d = reinterpret_cast<double (*)(double, double)>(in.k.fn)(a.d, b.d);
            break;
        case Code::CallD_DI:
            d.d = reinterpret_cast<double (*)(double, int)>(in.k.fn)(a.d, b.i);
            break;
        case Code::CallI_D:
            d.i = reinterpret_cast<int (*)(double)>(in.k.fn)(a.d);
            break;
        case Code::CallD_ID:
            d.d = reinterpret_cast<double (*)(int, double)>(in.k.fn)(a.i, b.d);
            break;
        case Code::ForeignArgI:
            fargs[in.c] = a.i;
            break;
        case Code::ForeignArgF:
            fargs[in.c] = a.f;
            break;
        case Code::ForeignArgD:
            fargs[in.c] = a.d;
            break;
        case Code::CallForeign: {
            double v = 0;
            if (in.k.fn != nullptr) {
                reinterpret_cast<void (*)(const double*, double*)>(in.k.fn)(fargs, &v);
            }
            if (in.c == 0) {
                d.i = static_cast<std::int32_t>(v);
            } else if (in.c == 1) {
                d.f = static_cast<float>(v);
            } else {
                d.d = v;
            }
            break;
        }
        case Code::Jump:
            pc = in.k.u;
            break;
        case Code::JumpIfNot:
            if (a.i == 0) {
                pc = in.k.u;
            }
            break;
        case Code::FillI:
            for (std::int32_t i = d.i; i < a.i; ++i) {
                at<std::int32_t>(state, in.k.u)[i] = b.i;
            }
            break;
        case Code::FillF:
            for (std::int32_t i = d.i; i < a.i; ++i) {
                at<float>(state, in.k.u)[i] = b.f;
            }
            break;
        case Code::FillD:
            for (std::int32_t i = d.i; i < a.i; ++i) {
                at<double>(state, in.k.u)[i] = b.d;
            }
            break;
        case Code::LoopTest:
            if (!(a.i < b.i)) {
                pc = in.k.u;
            }
            break;
        case Code::Increment:
            r[in.a].i += 1; // a < bound <= INT_MAX: no overflow
            break;
        case Code::Halt:
            if (own) {
                busy_.store(false, std::memory_order_release);
            }
            return;
        }
    }
}

} // namespace tutti::ir
