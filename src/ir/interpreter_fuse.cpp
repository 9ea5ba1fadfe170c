// SPDX-License-Identifier: MIT
#include "ir/interpreter_fuse.h"

#include <cstddef>
#include <utility>
#include <vector>

namespace tutti::ir {

namespace {

using namespace vm;

bool is_jump(Code c) {
    return c == Code::Jump || c == Code::JumpIfNot || c == Code::LoopTest || c == Code::LoopNext;
}

/// The type (0 I, 1 F, 2 D) of a typed code, given the I variant of its family.
int variant(Code c, Code base_i) {
    return static_cast<int>(c) - static_cast<int>(base_i);
}

bool in_family(Code c, Code base_i) {
    int v = variant(c, base_i);
    return v >= 0 && v < 3;
}

/// The fused code of `load` followed by `user`, which reads the loaded value as
/// its operand a (`as_a`) or b; Code::Halt if there is none.
Code fused(Code load, Code user, bool as_a) {
    const int t = variant(load, Code::LoadI);
    struct Family {
        Code op, field_op, op_field;
    };
    static constexpr Family families[] = {
        {Code::AddI, Code::FieldAddI, Code::AddFieldI},
        {Code::SubI, Code::FieldSubI, Code::SubFieldI},
        {Code::MulI, Code::FieldMulI, Code::MulFieldI},
        {Code::DivI, Code::FieldDivI, Code::DivFieldI},
    };
    for (const Family& f : families) {
        if (in_family(user, f.op) && variant(user, f.op) == t) {
            Code base = as_a ? f.field_op : f.op_field;
            return static_cast<Code>(static_cast<int>(base) + t);
        }
    }
    if (user == Code::And && load == Code::LoadI) {
        return Code::FieldAnd; // bitwise and commutes exactly: the field may be either operand
    }
    return Code::Halt;
}

/// `user` with a field operand of the same type read by `load` instead of the
/// register operand it has (FieldOp: b, OpField: a): FieldOpField, both
/// operands fields; Code::Halt if `user` is neither.
Code both_fields(Code load, Code user) {
    const int t = variant(load, Code::LoadI);
    struct Family {
        Code field_op, op_field, field_op_field;
    };
    static constexpr Family families[] = {
        {Code::FieldAddI, Code::AddFieldI, Code::FieldAddFieldI},
        {Code::FieldSubI, Code::SubFieldI, Code::FieldSubFieldI},
        {Code::FieldMulI, Code::MulFieldI, Code::FieldMulFieldI},
        {Code::FieldDivI, Code::DivFieldI, Code::FieldDivFieldI},
    };
    for (const Family& f : families) {
        if ((in_family(user, f.field_op) && variant(user, f.field_op) == t) ||
            (in_family(user, f.op_field) && variant(user, f.op_field) == t)) {
            return static_cast<Code>(static_cast<int>(f.field_op_field) + t);
        }
    }
    return Code::Halt;
}

/// Fuses `load` (a Load whose value is read once, by `user` if at all) with `user`.
bool fuse_pair(const Instr& load, const Instr& user, Instr* out) {
    const bool as_a = user.a == load.d, as_b = user.b == load.d;
    if (as_a == as_b) {
        return false;
    }
    if (Code c = fused(load.code, user.code, as_a); c != Code::Halt) {
        *out = user;
        out->code = c;
        out->k.u = load.k.u;
        if (c == Code::FieldAnd && as_b) {
            out->b = user.a;
        }
        // the operand that became a field reads no register any more
        (as_a || c == Code::FieldAnd ? out->a : out->b) = kArgReg;
        return true;
    }
    if (Code c = both_fields(load.code, user.code); c != Code::Halt) {
        // FieldOp: field(k.u) op b, b loaded; OpField: a op field(k.u), a loaded
        const bool field_op =
            in_family(user.code, Code::FieldAddI) || in_family(user.code, Code::FieldSubI) ||
            in_family(user.code, Code::FieldMulI) || in_family(user.code, Code::FieldDivI);
        if (field_op != as_b) {
            return false; // the loaded value is not the register operand
        }
        *out = user;
        out->code = c;
        out->k.u = field_op ? user.k.u : load.k.u; // a's field
        out->c = field_op ? load.k.u : user.k.u;   // b's field
        out->a = out->b = kArgReg;
        return true;
    }
    return false;
}

} // namespace

void fuse(Interpreter::Program& p) {
    std::vector<Instr>& code = p.code;
    std::vector<bool> target(code.size() + 1, false);
    // reads of each register, over-counted: a, b and c of every instruction (unused
    // ones are 0, an offset or a channel), d of a Fill
    std::vector<std::uint32_t> reads(p.registers, 0);
    auto count = [&](std::uint32_t r) {
        if (r < reads.size()) {
            ++reads[r];
        }
    };
    for (const Instr& in : code) {
        if (is_jump(in.code)) {
            target[in.k.u] = true;
        }
        count(in.a);
        count(in.b);
        count(in.c);
        if (in_family(in.code, Code::FillI)) {
            count(in.d);
        }
    }
    // A temporary is read by one instruction only (the next one that reads its
    // register); a local may be read once in the whole function.
    auto read_once = [&](const Instr& in) {
        return in_family(in.code, Code::LoadI) && (in.d >= p.temp_base || reads[in.d] == 1);
    };
    // The output is a stack: each instruction is pushed, then fused with the one
    // before it while a rule applies (a Load, then its user); never into an
    // instruction that a jump reaches.
    std::vector<std::uint32_t> new_index(code.size() + 1, 0); ///< jump targets
    std::vector<Instr> out;
    std::vector<bool> out_target; ///< out[k] starts at a jump target
    out.reserve(code.size());
    for (std::size_t i = 0; i < code.size(); ++i) {
        new_index[i] = static_cast<std::uint32_t>(out.size());
        out.push_back(code[i]);
        out_target.push_back(target[i]);
        Instr merged;
        while (out.size() >= 2 && !out_target.back() && read_once(out[out.size() - 2]) &&
               fuse_pair(out[out.size() - 2], out.back(), &merged)) {
            out.pop_back();
            out_target.pop_back();
            out.back() = merged;
        }
    }
    new_index[code.size()] = static_cast<std::uint32_t>(out.size());
    for (Instr& in : out) {
        if (is_jump(in.code)) {
            in.k.u = new_index[in.k.u];
        }
    }
    code = std::move(out);
}

} // namespace tutti::ir
