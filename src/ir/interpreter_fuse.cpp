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

} // namespace

void fuse(Interpreter::Program& p) {
    std::vector<Instr>& code = p.code;
    std::vector<bool> target(code.size() + 1, false);
    // reads of each register, over-counted: a, b and c of every instruction (unused
    // ones are 0 or a channel), d of a Fill
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
    // new_index[i]: where instruction i (or the fused pair it starts) ends up
    std::vector<std::uint32_t> new_index(code.size() + 1, 0);
    std::vector<Instr> out;
    out.reserve(code.size());
    for (std::size_t i = 0; i < code.size(); ++i) {
        new_index[i] = static_cast<std::uint32_t>(out.size());
        const Instr& load = code[i];
        // a temporary is read by one instruction only (the one that follows, if it
        // reads it); a local may be read once in the whole function
        const bool read_once = load.d >= p.temp_base || reads[load.d] == 1;
        if (in_family(load.code, Code::LoadI) && read_once && i + 1 < code.size() &&
            !target[i + 1]) {
            const Instr& user = code[i + 1];
            const bool as_a = user.a == load.d, as_b = user.b == load.d;
            if (as_a != as_b) {
                if (Code c = fused(load.code, user.code, as_a); c != Code::Halt) {
                    Instr in = user;
                    in.code = c;
                    in.k.u = load.k.u;
                    if (c == Code::FieldAnd && as_b) {
                        in.b = user.a;
                    }
                    out.push_back(in);
                    new_index[i + 1] = new_index[i];
                    ++i;
                    continue;
                }
            }
        }
        out.push_back(load);
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
