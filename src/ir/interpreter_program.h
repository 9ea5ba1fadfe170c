// SPDX-License-Identifier: MIT
/** \file
 * The register program the interpreter runs (internal to ir/interpreter.cpp,
 * ir/interpreter_translate.cpp and ir/interpreter_fuse.cpp): its instruction set
 * and one translated function.
 *
 * Registers are numbered: r0 = the argument (sample rate or count), r1 = the
 * frame variable, then the program's constants (loaded before the first
 * instruction, so that a constant operand costs no instruction), then locals,
 * then For variables and bounds, then temporaries.
 */
#pragma once

#include <cstdint>
#include <vector>

#include "ir/interpreter.h"

namespace tutti::ir::vm {

// Instructions with three variants, suffix I, F, D: the operand type (i32, f32, f64).
// An X-macro list: clang-format-14 re-indents it at every run.
// clang-format off
#define TUTTI_VM_TYPED(X)                                                                          \
    X(Const) X(Load) X(LoadAt) X(Store) X(StoreAt) X(Copy) X(Neg) X(Add) X(Sub) X(Mul) X(Div) X(Rem)        \
        X(Min) X(Max) X(Lt) X(Le) X(Gt) X(Ge) X(Eq) X(Ne) X(Fill)                                 \
        X(FieldAdd) X(AddField) X(FieldSub) X(SubField)                                            \
        X(FieldMul) X(MulField) X(FieldDiv) X(DivField)                                            \
        X(FieldAddField) X(FieldSubField) X(FieldMulField) X(FieldDivField)

// The other instructions; the comments say what they do (d, a, b, c: registers
// unless said otherwise; k: the immediate).
#define TUTTI_VM_UNTYPED(X)                                                                        \
    X(InputF) X(InputD) X(OutputF) X(OutputD)                                                      \
    X(FtoIF) X(FtoID) X(ItoFF) X(ItoFD) X(FExt) X(FTrunc)                                          \
    X(And) X(Or) X(Xor) X(Shl) X(Shr)                                                              \
    X(FieldAnd)    /* d.i = field(k.u).i & b.i */                                                  \
    X(Move)        /* d = a */                                                                     \
    X(Select)      /* d = a.i != 0 ? b : c */                                                      \
    X(CallF_F) X(CallF_FF) X(CallF_FI) X(CallI_F)                                                  \
    X(CallD_D) X(CallD_DD) X(CallD_DI) X(CallI_D) X(CallD_ID)                                      \
    X(ForeignArgI) X(ForeignArgF)                                                                  \
    X(ForeignArgD) /* foreign argument c (as double) = a */                                        \
    X(CallForeign) /* d = k.fn(foreign arguments), c: the result type (0 I, 1 F, 2 D) */          \
    X(Jump)        /* goto k.u */                                                                  \
    X(JumpIfNot)   /* if (a.i == 0) goto k.u */                                                    \
    X(LoopTest)    /* if (!(a.i < b.i)) goto k.u */                                                \
    X(LoopNext)    /* a.i += 1; if (a.i < b.i) goto k.u */                                         \
    X(SoundInfo)   /* d.i = sound at state + k.u: info[c * 256 + a.i] */                           \
    X(SoundSampleF) /* d.f = sound at state + k.u: channel c of float samples, at a.i */           \
    X(SoundSampleD) /* d.d = the same, double samples */                                           \
    X(Halt)
// clang-format on

enum class Code : std::uint8_t {
#define TUTTI_VM_DECLARE_TYPED(name) name##I, name##F, name##D,
#define TUTTI_VM_DECLARE(name) name,
    TUTTI_VM_TYPED(TUTTI_VM_DECLARE_TYPED) TUTTI_VM_UNTYPED(TUTTI_VM_DECLARE)
#undef TUTTI_VM_DECLARE_TYPED
#undef TUTTI_VM_DECLARE
};

/// The variant of a typed code (given as its I variant) for type `t`.
inline Code typed(Code base_i, Type t) {
    // The three variants of a typed code follow each other: I, F, D.
    int offset = t == Type::I32 ? 0 : t == Type::F32 ? 1 : 2;
    return static_cast<Code>(static_cast<int>(base_i) + offset);
}

/// Const: d = k. Load, Store, Copy: the field at byte offset k.u (Copy: from byte offset c).
/// LoadAt, StoreAt: element a (load) or b (store) of the array at k.u.
/// Fill: elements d..a-1 of the array at k.u = b.
/// FieldAdd...FieldDiv: d = field(k.u) op b; AddField...DivField: d = a op field(k.u), where
/// field(k.u) is the field at byte offset k.u (a Load fused with its user, ir/interpreter_fuse.h);
/// FieldAddField...FieldDivField: d = field(k.u) op field(c).
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

} // namespace tutti::ir::vm

namespace tutti::ir {

struct Interpreter::Program {
    std::vector<vm::Instr> code;
    std::uint32_t registers = vm::kFixedRegs; ///< registers this program uses
    /// The first temporary: a register from here on holds an operand of one
    /// instruction, read once by the instruction that uses it.
    std::uint32_t temp_base = vm::kFixedRegs;
    /// The values of registers kFixedRegs.. (the program's constants), set before each run;
    /// the registers after them (locals, loops, temporaries) start at zero.
    std::vector<Value> constants;
};

} // namespace tutti::ir
