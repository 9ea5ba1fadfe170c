// SPDX-License-Identifier: MIT
/** \file
 * The loop IR: a small typed imperative language that a compiled Faust program
 * becomes before it is executed, by the interpreter (ir/interpreter.h) or by
 * LLVM (codegen/llvm). It mirrors the structure of the reference compiler's
 * generated C++ class, split into the phases a host calls:
 *
 *   init_constants(state, sample_rate)  computes sample-rate constants and fills
 *                                       tables (Faust's classInit + instanceConstants)
 *   reset_controls(state)               every control to its initial value
 *   clear_state(state)                  delay lines, recursions, IOTA to zero
 *   compute(state, count, in, out)      per-block control code, then the per-frame loop
 *
 * State lives in one block of memory described by `fields` (name, type, element
 * count, kind, structural identity); `layout()` gives each field its byte offset.
 * Inputs and outputs are arrays of `count` samples of the module's real type.
 *
 * Semantics (both executors must agree bit for bit):
 * - I32 arithmetic wraps (two's complement, no UB; `Div`/`Rem` on I32 truncate toward
 *   zero like C; a zero divisor or INT_MIN/-1 gives 0 rather than trapping).
 * - F32/F64 arithmetic is IEEE, no fast-math, no FMA contraction, no flush-to-zero.
 *   F32 operations round to float after each operation (like C++ `float`).
 * - `FtoI` truncates toward zero; out-of-range inputs give INT_MIN (x86 cvttss2si).
 * - Comparisons give I32 0/1. `Shr` is arithmetic. Shift counts are masked to 0..31.
 * - `Call` invokes the C math library function named in `callee` (sinf, pow, fmodf...),
 *   with the operand and result types given by the node.
 * - `Select` evaluates both operands (they have no side effects) and picks one.
 * - Array field indexes are I32 and must be in range: lowering guarantees it (masks,
 *   clamps); executors may assume it.
 */
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "diag/source_manager.h"
#include "support/arena.h"

namespace tutti::ir {

enum class Type : std::uint8_t { I32, F32, F64 };

/// What a state field is for (the engine migrates state by kind and identity).
enum class FieldKind : std::uint8_t {
    Control,   ///< a UI zone (slider, button, checkbox, nentry, bargraph)
    Constant,  ///< computed in init_constants (sample-rate dependent)
    Table,     ///< rdtable/rwtable/waveform contents
    Delay,     ///< a delay line (scalar, shifted array or power-of-two ring buffer)
    Recursion, ///< the memory of a `~` recursion
    Iota,      ///< the ring-buffer write index
    Other,
    Sound, ///< a soundfile: 8 bytes holding a `const SoundData*` (ir/sound_data.h), set by the host
           ///< before init; type I32, count 2, 8-byte aligned by layout()
};

struct Field {
    std::string name; ///< fRec0, fVec1, fHslider0... (printing, debugging)
    Type type = Type::F32;
    std::uint32_t count = 1; ///< elements (1: scalar)
    FieldKind kind = FieldKind::Other;
    std::string identity;     ///< stable structural identity (see lower/), empty if none
    std::uint32_t offset = 0; ///< bytes, set by layout()
    bool ring =
        false; ///< a ring buffer written at IOTA & (count-1); otherwise [k] is k samples ago
    double scale =
        1; ///< lines: the program reads the line's signal times this number at its position
    diag::SourceRange origin; ///< where the state comes from in the source (empty if unknown)
    diag::SourceRange program_origin; ///< the same, in the program's own file
};

enum class ExprKind : std::uint8_t {
    Const,       ///< ival (I32) or rval (F32/F64)
    Local,       ///< index = local number
    Field,       ///< index = field number; a[0] = element index (I32) for arrays, none for scalars
    Input,       ///< index = channel; the sample of the current frame (loop variable of compute)
    SampleRate,  ///< I32, only in init_constants
    Count,       ///< I32, the block size, only in compute
    FrameIndex,  ///< I32, the frame loop variable, only inside the frame loop of compute
    LoopVar,     ///< I32, index = loop nesting id of an enclosing For statement
    Unary,       ///< op: Neg, FtoI, ItoF, FExt (F32->F64), FTrunc (F64->F32); a[0]
    Binary,      ///< op; a[0], a[1]; operand types equal (both I32, or both the real type)
    Call,        ///< callee; args a[...]
    Select,      ///< a[0] (I32 condition, non-zero -> a[1]) ? a[1] : a[2]
    SoundInfo,   ///< I32; index = Sound field; ival = 0 length, 1 rate, 2 offset; a[0] = part (I32,
                 ///< 0..255)
    SoundSample, ///< real type; index = Sound field; ival = channel; a[0] = frame in the sound's
                 ///< buffer (I32)
};

enum class Op : std::uint8_t {
    None,
    // unary
    Neg,
    FtoI,
    ItoF,
    FExt,
    FTrunc,
    // binary arithmetic (I32 or real)
    Add,
    Sub,
    Mul,
    Div,
    Rem,
    Min,
    Max,
    // I32 only
    And,
    Or,
    Xor,
    Shl,
    Shr,
    // comparisons (result I32)
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
};

struct Expr {
    ExprKind kind{};
    Op op = Op::None;
    Type type = Type::F32; ///< result type
    std::uint32_t index = 0;
    std::int32_t ival = 0;
    double rval = 0;
    const char* callee = nullptr; ///< Call: C function name (interned, lives in the module arena)
    std::span<const Expr* const> a;
};

enum class StmtKind : std::uint8_t {
    SetLocal,  ///< index = local; value
    SetField,  ///< index = field; element (I32, null for scalars); value
    SetOutput, ///< index = channel; value (the current frame of compute's loop)
    For,       ///< loop_id; from..to (I32, exclusive); body -- `LoopVar(loop_id)` inside
    FrameLoop, ///< compute only: body runs for frame = 0..count-1
    If,        ///< cond (I32); body (then), else_body
};

struct Stmt {
    StmtKind kind{};
    std::uint32_t index = 0;
    std::uint32_t loop_id = 0;
    const Expr* element = nullptr;
    const Expr* value = nullptr; ///< also For: from
    const Expr* to = nullptr;    ///< For: to
    const Expr* cond = nullptr;
    std::span<const Stmt* const> body;
    std::span<const Stmt* const> else_body;
};

struct Local {
    std::string name;
    Type type = Type::F32;
};

struct Function {
    std::vector<Local> locals;
    std::vector<const Stmt*> body;
};

/// A function of a C/C++ header named by `ffunction` (not a C math function):
/// compiled by the host's C++ compiler into a shared object (compiler/foreign_code)
/// before the module runs. A Call whose callee is `name` calls it.
constexpr std::size_t max_foreign_arguments = 16;

struct ForeignFunction {
    std::string name;    ///< the C name, as the program wrote it for this precision
    std::string include; ///< "<file.h>" or "\"file.h\"", as written
    Type result = Type::F32;
    std::vector<Type> params;
    std::string symbol; ///< the typed entry point in the shared object (set when built)
    /// The same function with every argument and the result as double (the
    /// interpreter's way in); set when built.
    void (*uniform)(const double* args, double* result) = nullptr;
};

struct Module {
    Type real =
        Type::F32; ///< the program's real type (F32 single, F64 double); also the I/O sample type
    std::uint32_t num_inputs = 0;
    std::uint32_t num_outputs = 0;
    std::vector<Field> fields;
    Function init_constants; ///< may use SampleRate
    Function reset_controls;
    Function clear_state;
    Function compute; ///< may use Count, Input/SetOutput/FrameIndex inside its FrameLoop
    std::vector<ForeignFunction> foreign; ///< functions of headers the program names (ffunction)
    std::uint32_t state_bytes = 0;        ///< set by layout()
    Arena arena;                          ///< owns the Expr and Stmt nodes
};

/// Assigns field offsets (natural alignment) and state_bytes.
void layout(Module& m);

std::uint32_t type_size(Type t);
const char* type_name(Type t);

} // namespace tutti::ir
