// SPDX-License-Identifier: MIT
#include "ir/interpreter.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "ir/interpreter_fuse.h"
#include "ir/interpreter_program.h"
#include "ir/interpreter_translate.h"
#include "ir/ir_verifier.h"
#include "ir/sound_data.h"

namespace tutti::ir {

namespace {

using namespace vm;

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
        translate(m, *fns[i], *programs_[i]);
        fuse(*programs_[i]);
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

// The dispatch is direct: each instruction's code indexes a table of label
// addresses (GCC's and Clang's `&&label`), and every handler ends with its own
// indirect jump to the next one, which the CPU predicts per handler.
#define TUTTI_VM_LABEL_TYPED(name) &&do_##name##I, &&do_##name##F, &&do_##name##D,
#define TUTTI_VM_LABEL(name) &&do_##name,
#define DISPATCH() goto* labels[static_cast<int>(ip->code)]
#define NEXT()                                                                                     \
    do {                                                                                           \
        ++ip;                                                                                      \
        DISPATCH();                                                                                \
    } while (0)
#define RD r[ip->d]
#define RA r[ip->a]
#define RB r[ip->b]
#define RC r[ip->c]

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
    if (!p.constants.empty()) {
        std::memcpy(static_cast<void*>(r + kFixedRegs), p.constants.data(),
                    sizeof(Value) * p.constants.size());
    }
    r[kArgReg].i = arg;

    double fargs[ir::max_foreign_arguments] = {}; // arguments of a foreign call
    static const void* const labels[] = {TUTTI_VM_TYPED(TUTTI_VM_LABEL_TYPED)
                                             TUTTI_VM_UNTYPED(TUTTI_VM_LABEL)};
    const Instr* const code = p.code.data();
    const Instr* ip = code;
    DISPATCH();

do_ConstI:
    RD.i = ip->k.i;
    NEXT();
do_ConstF:
    RD.f = ip->k.f;
    NEXT();
do_ConstD:
    RD.d = ip->k.d;
    NEXT();
do_LoadI:
    RD.i = *at<std::int32_t>(state, ip->k.u);
    NEXT();
do_LoadF:
    RD.f = *at<float>(state, ip->k.u);
    NEXT();
do_LoadD:
    RD.d = *at<double>(state, ip->k.u);
    NEXT();
do_LoadAtI:
    RD.i = at<std::int32_t>(state, ip->k.u)[RA.i];
    NEXT();
do_LoadAtF:
    RD.f = at<float>(state, ip->k.u)[RA.i];
    NEXT();
do_LoadAtD:
    RD.d = at<double>(state, ip->k.u)[RA.i];
    NEXT();
do_StoreI:
    *at<std::int32_t>(state, ip->k.u) = RA.i;
    NEXT();
do_StoreF:
    *at<float>(state, ip->k.u) = RA.f;
    NEXT();
do_StoreD:
    *at<double>(state, ip->k.u) = RA.d;
    NEXT();
do_StoreAtI:
    at<std::int32_t>(state, ip->k.u)[RB.i] = RA.i;
    NEXT();
do_StoreAtF:
    at<float>(state, ip->k.u)[RB.i] = RA.f;
    NEXT();
do_StoreAtD:
    at<double>(state, ip->k.u)[RB.i] = RA.d;
    NEXT();
do_CopyI:
    *at<std::int32_t>(state, ip->k.u) = *at<std::int32_t>(state, ip->c);
    NEXT();
do_CopyF:
    *at<float>(state, ip->k.u) = *at<float>(state, ip->c);
    NEXT();
do_CopyD:
    *at<double>(state, ip->k.u) = *at<double>(state, ip->c);
    NEXT();
do_SoundInfo:
    RD.i = (*at<const ir::SoundData*>(state, ip->k.u))
               ->info[ip->c * std::uint32_t(ir::sound_parts) + std::uint32_t(RA.i)];
    NEXT();
do_SoundSampleF:
    RD.f = static_cast<const float*>(
        (*at<const ir::SoundData*>(state, ip->k.u))->buffers[ip->c])[RA.i];
    NEXT();
do_SoundSampleD:
    RD.d = static_cast<const double*>(
        (*at<const ir::SoundData*>(state, ip->k.u))->buffers[ip->c])[RA.i];
    NEXT();
do_InputF:
    RD.f = static_cast<const float*>(inputs[ip->k.u])[r[kFrameReg].i];
    NEXT();
do_InputD:
    RD.d = static_cast<const double*>(inputs[ip->k.u])[r[kFrameReg].i];
    NEXT();
do_OutputF:
    static_cast<float*>(outputs[ip->k.u])[r[kFrameReg].i] = RA.f;
    NEXT();
do_OutputD:
    static_cast<double*>(outputs[ip->k.u])[r[kFrameReg].i] = RA.d;
    NEXT();
do_NegI:
    RD.i = wrap_sub(0, RA.i);
    NEXT();
do_NegF:
    RD.f = -RA.f;
    NEXT();
do_NegD:
    RD.d = -RA.d;
    NEXT();
do_FtoIF:
    RD.i = float_to_int(RA.f);
    NEXT();
do_FtoID:
    RD.i = float_to_int(RA.d);
    NEXT();
do_ItoFF:
    RD.f = static_cast<float>(RA.i);
    NEXT();
do_ItoFD:
    RD.d = static_cast<double>(RA.i);
    NEXT();
do_FExt:
    RD.d = static_cast<double>(RA.f);
    NEXT();
do_FTrunc:
    RD.f = static_cast<float>(RA.d);
    NEXT();
do_AddI:
    RD.i = wrap_add(RA.i, RB.i);
    NEXT();
do_AddF:
    RD.f = RA.f + RB.f;
    NEXT();
do_AddD:
    RD.d = RA.d + RB.d;
    NEXT();
do_SubI:
    RD.i = wrap_sub(RA.i, RB.i);
    NEXT();
do_SubF:
    RD.f = RA.f - RB.f;
    NEXT();
do_SubD:
    RD.d = RA.d - RB.d;
    NEXT();
do_MulI:
    RD.i = wrap_mul(RA.i, RB.i);
    NEXT();
do_MulF:
    RD.f = RA.f * RB.f;
    NEXT();
do_MulD:
    RD.d = RA.d * RB.d;
    NEXT();
do_DivI:
    RD.i = safe_div(RA.i, RB.i);
    NEXT();
do_DivF:
    RD.f = RA.f / RB.f;
    NEXT();
do_DivD:
    RD.d = RA.d / RB.d;
    NEXT();
do_RemI:
    RD.i = safe_rem(RA.i, RB.i);
    NEXT();
do_RemF:
    RD.f = real_rem(RA.f, RB.f);
    NEXT();
do_RemD:
    RD.d = real_rem(RA.d, RB.d);
    NEXT();
do_MinI:
    RD.i = min_of(RA.i, RB.i);
    NEXT();
do_MinF:
    RD.f = min_of(RA.f, RB.f);
    NEXT();
do_MinD:
    RD.d = min_of(RA.d, RB.d);
    NEXT();
do_MaxI:
    RD.i = max_of(RA.i, RB.i);
    NEXT();
do_MaxF:
    RD.f = max_of(RA.f, RB.f);
    NEXT();
do_MaxD:
    RD.d = max_of(RA.d, RB.d);
    NEXT();
do_LtI:
    RD.i = RA.i < RB.i;
    NEXT();
do_LtF:
    RD.i = RA.f < RB.f;
    NEXT();
do_LtD:
    RD.i = RA.d < RB.d;
    NEXT();
do_LeI:
    RD.i = RA.i <= RB.i;
    NEXT();
do_LeF:
    RD.i = RA.f <= RB.f;
    NEXT();
do_LeD:
    RD.i = RA.d <= RB.d;
    NEXT();
do_GtI:
    RD.i = RA.i > RB.i;
    NEXT();
do_GtF:
    RD.i = RA.f > RB.f;
    NEXT();
do_GtD:
    RD.i = RA.d > RB.d;
    NEXT();
do_GeI:
    RD.i = RA.i >= RB.i;
    NEXT();
do_GeF:
    RD.i = RA.f >= RB.f;
    NEXT();
do_GeD:
    RD.i = RA.d >= RB.d;
    NEXT();
do_EqI:
    RD.i = RA.i == RB.i;
    NEXT();
do_EqF:
    RD.i = RA.f == RB.f;
    NEXT();
do_EqD:
    RD.i = RA.d == RB.d;
    NEXT();
do_NeI:
    RD.i = RA.i != RB.i;
    NEXT();
do_NeF:
    RD.i = RA.f != RB.f;
    NEXT();
do_NeD:
    RD.i = RA.d != RB.d;
    NEXT();
do_And:
    RD.i = RA.i & RB.i;
    NEXT();
do_Or:
    RD.i = RA.i | RB.i;
    NEXT();
do_Xor:
    RD.i = RA.i ^ RB.i;
    NEXT();
do_Shl:
    RD.i = shl(RA.i, RB.i);
    NEXT();
do_Shr:
    RD.i = shr(RA.i, RB.i);
    NEXT();
do_Move:
    RD = RA;
    NEXT();
do_Select:
    RD = RA.i != 0 ? RB : RC;
    NEXT();
do_CallF_F:
    RD.f = reinterpret_cast<float (*)(float)>(ip->k.fn)(RA.f);
    NEXT();
do_CallF_FF:
    RD.f = reinterpret_cast<float (*)(float, float)>(ip->k.fn)(RA.f, RB.f);
    NEXT();
do_CallF_FI:
    RD.f = reinterpret_cast<float (*)(float, int)>(ip->k.fn)(RA.f, RB.i);
    NEXT();
do_CallI_F:
    RD.i = reinterpret_cast<int (*)(float)>(ip->k.fn)(RA.f);
    NEXT();
do_CallD_D:
    RD.d = reinterpret_cast<double (*)(double)>(ip->k.fn)(RA.d);
    NEXT();
do_CallD_DD:
    RD.d = reinterpret_cast<double (*)(double, double)>(ip->k.fn)(RA.d, RB.d);
    NEXT();
do_CallD_DI:
    RD.d = reinterpret_cast<double (*)(double, int)>(ip->k.fn)(RA.d, RB.i);
    NEXT();
do_CallI_D:
    RD.i = reinterpret_cast<int (*)(double)>(ip->k.fn)(RA.d);
    NEXT();
do_CallD_ID:
    RD.d = reinterpret_cast<double (*)(int, double)>(ip->k.fn)(RA.i, RB.d);
    NEXT();
do_ForeignArgI:
    fargs[ip->c] = RA.i;
    NEXT();
do_ForeignArgF:
    fargs[ip->c] = RA.f;
    NEXT();
do_ForeignArgD:
    fargs[ip->c] = RA.d;
    NEXT();
do_CallForeign : {
    double v = 0;
    if (ip->k.fn != nullptr) {
        reinterpret_cast<void (*)(const double*, double*)>(ip->k.fn)(fargs, &v);
    }
    if (ip->c == 0) {
        RD.i = static_cast<std::int32_t>(v);
    } else if (ip->c == 1) {
        RD.f = static_cast<float>(v);
    } else {
        RD.d = v;
    }
    NEXT();
}
do_Jump:
    ip = code + ip->k.u;
    DISPATCH();
do_JumpIfNot:
    ip = RA.i == 0 ? code + ip->k.u : ip + 1;
    DISPATCH();
do_FillI:
    for (std::int32_t i = RD.i; i < RA.i; ++i) {
        at<std::int32_t>(state, ip->k.u)[i] = RB.i;
    }
    NEXT();
do_FillF:
    for (std::int32_t i = RD.i; i < RA.i; ++i) {
        at<float>(state, ip->k.u)[i] = RB.f;
    }
    NEXT();
do_FillD:
    for (std::int32_t i = RD.i; i < RA.i; ++i) {
        at<double>(state, ip->k.u)[i] = RB.d;
    }
    NEXT();
// Superinstructions (ir/interpreter_fuse.h): a field read fused with its user.
do_FieldAddI:
    RD.i = wrap_add(*at<std::int32_t>(state, ip->k.u), RB.i);
    NEXT();
do_FieldAddF:
    RD.f = *at<float>(state, ip->k.u) + RB.f;
    NEXT();
do_FieldAddD:
    RD.d = *at<double>(state, ip->k.u) + RB.d;
    NEXT();
do_AddFieldI:
    RD.i = wrap_add(RA.i, *at<std::int32_t>(state, ip->k.u));
    NEXT();
do_AddFieldF:
    RD.f = RA.f + *at<float>(state, ip->k.u);
    NEXT();
do_AddFieldD:
    RD.d = RA.d + *at<double>(state, ip->k.u);
    NEXT();
do_FieldSubI:
    RD.i = wrap_sub(*at<std::int32_t>(state, ip->k.u), RB.i);
    NEXT();
do_FieldSubF:
    RD.f = *at<float>(state, ip->k.u) - RB.f;
    NEXT();
do_FieldSubD:
    RD.d = *at<double>(state, ip->k.u) - RB.d;
    NEXT();
do_SubFieldI:
    RD.i = wrap_sub(RA.i, *at<std::int32_t>(state, ip->k.u));
    NEXT();
do_SubFieldF:
    RD.f = RA.f - *at<float>(state, ip->k.u);
    NEXT();
do_SubFieldD:
    RD.d = RA.d - *at<double>(state, ip->k.u);
    NEXT();
do_FieldMulI:
    RD.i = wrap_mul(*at<std::int32_t>(state, ip->k.u), RB.i);
    NEXT();
do_FieldMulF:
    RD.f = *at<float>(state, ip->k.u) * RB.f;
    NEXT();
do_FieldMulD:
    RD.d = *at<double>(state, ip->k.u) * RB.d;
    NEXT();
do_MulFieldI:
    RD.i = wrap_mul(RA.i, *at<std::int32_t>(state, ip->k.u));
    NEXT();
do_MulFieldF:
    RD.f = RA.f * *at<float>(state, ip->k.u);
    NEXT();
do_MulFieldD:
    RD.d = RA.d * *at<double>(state, ip->k.u);
    NEXT();
do_FieldDivI:
    RD.i = safe_div(*at<std::int32_t>(state, ip->k.u), RB.i);
    NEXT();
do_FieldDivF:
    RD.f = *at<float>(state, ip->k.u) / RB.f;
    NEXT();
do_FieldDivD:
    RD.d = *at<double>(state, ip->k.u) / RB.d;
    NEXT();
do_DivFieldI:
    RD.i = safe_div(RA.i, *at<std::int32_t>(state, ip->k.u));
    NEXT();
do_DivFieldF:
    RD.f = RA.f / *at<float>(state, ip->k.u);
    NEXT();
do_DivFieldD:
    RD.d = RA.d / *at<double>(state, ip->k.u);
    NEXT();
do_FieldAddFieldI:
    RD.i = wrap_add(*at<std::int32_t>(state, ip->k.u), *at<std::int32_t>(state, ip->c));
    NEXT();
do_FieldAddFieldF:
    RD.f = *at<float>(state, ip->k.u) + *at<float>(state, ip->c);
    NEXT();
do_FieldAddFieldD:
    RD.d = *at<double>(state, ip->k.u) + *at<double>(state, ip->c);
    NEXT();
do_FieldSubFieldI:
    RD.i = wrap_sub(*at<std::int32_t>(state, ip->k.u), *at<std::int32_t>(state, ip->c));
    NEXT();
do_FieldSubFieldF:
    RD.f = *at<float>(state, ip->k.u) - *at<float>(state, ip->c);
    NEXT();
do_FieldSubFieldD:
    RD.d = *at<double>(state, ip->k.u) - *at<double>(state, ip->c);
    NEXT();
do_FieldMulFieldI:
    RD.i = wrap_mul(*at<std::int32_t>(state, ip->k.u), *at<std::int32_t>(state, ip->c));
    NEXT();
do_FieldMulFieldF:
    RD.f = *at<float>(state, ip->k.u) * *at<float>(state, ip->c);
    NEXT();
do_FieldMulFieldD:
    RD.d = *at<double>(state, ip->k.u) * *at<double>(state, ip->c);
    NEXT();
do_FieldDivFieldI:
    RD.i = safe_div(*at<std::int32_t>(state, ip->k.u), *at<std::int32_t>(state, ip->c));
    NEXT();
do_FieldDivFieldF:
    RD.f = *at<float>(state, ip->k.u) / *at<float>(state, ip->c);
    NEXT();
do_FieldDivFieldD:
    RD.d = *at<double>(state, ip->k.u) / *at<double>(state, ip->c);
    NEXT();
do_FieldAnd:
    RD.i = *at<std::int32_t>(state, ip->k.u) & RB.i;
    NEXT();
do_LoopTest:
    ip = !(RA.i < RB.i) ? code + ip->k.u : ip + 1;
    DISPATCH();
do_LoopNext:
    RA.i += 1; // a < bound <= INT_MAX before: no overflow
    ip = RA.i < RB.i ? code + ip->k.u : ip + 1;
    DISPATCH();
do_Halt:
    if (own) {
        busy_.store(false, std::memory_order_release);
    }
}

#undef TUTTI_VM_LABEL_TYPED
#undef TUTTI_VM_LABEL
#undef DISPATCH
#undef NEXT
#undef RD
#undef RA
#undef RB
#undef RC

} // namespace tutti::ir
