// SPDX-License-Identifier: MIT
#include "eval/numeric.h"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>

namespace tutti::eval {

using boxes::Box;
using boxes::BoxKind;

std::int32_t Num::to_int() const {
    if (is_int) {
        return i;
    }
    // C's (int) conversion as x86 performs it: NaN and out-of-range give INT_MIN.
    if (std::isnan(r) || r >= 2147483648.0 || r <= -2147483649.0) {
        return std::numeric_limits<std::int32_t>::min();
    }
    return static_cast<std::int32_t>(r);
}

bool Num::operator==(const Num& o) const {
    if (is_int != o.is_int) {
        return false;
    }
    if (is_int) {
        return i == o.i;
    }
    std::uint64_t a, b;
    std::memcpy(&a, &r, sizeof a);
    std::memcpy(&b, &o.r, sizeof b);
    return a == b;
}

std::string Num::str() const {
    if (is_int) {
        return std::to_string(i);
    }
    char buf[40];
    std::snprintf(buf, sizeof buf, "%g", r);
    return buf;
}

namespace {

using ast::PrimOp;

std::int32_t wrap(std::int64_t v) {
    return static_cast<std::int32_t>(static_cast<std::uint32_t>(static_cast<std::uint64_t>(v)));
}

bool is_zero(const Num& n) {
    return n.is_int ? n.i == 0 : n.r == 0.0;
}

std::int32_t ipow(std::int32_t x, std::int32_t n) {
    std::uint32_t result = 1, base = static_cast<std::uint32_t>(x);
    while (n > 0) {
        if (n & 1) {
            result *= base;
        }
        base *= base;
        n >>= 1;
    }
    return static_cast<std::int32_t>(result);
}

[[noreturn]] void fault(NumericFault::Kind k, std::string what) {
    throw NumericFault{k, std::move(what)};
}

std::string call(const char* f, const Num& x) {
    return std::string(f) + "(" + x.str() + ")";
}

Num real_fn(PrimOp op, const Num& x) {
    double v = x.real();
    switch (op) {
    case PrimOp::Acos:
        if (v < -1 || v > 1) {
            fault(NumericFault::Kind::OutOfDomain, call("acos", x));
        }
        return Num::of_real(std::acos(v));
    case PrimOp::Asin:
        if (v < -1 || v > 1) {
            fault(NumericFault::Kind::OutOfDomain, call("asin", x));
        }
        return Num::of_real(std::asin(v));
    case PrimOp::Atan:
        return Num::of_real(std::atan(v));
    case PrimOp::Cos:
        return Num::of_real(std::cos(v));
    case PrimOp::Sin:
        return Num::of_real(std::sin(v));
    case PrimOp::Tan:
        return Num::of_real(std::tan(v));
    case PrimOp::Exp:
        return Num::of_real(std::exp(v));
    case PrimOp::Log:
        if (v < 0) {
            fault(NumericFault::Kind::OutOfDomain, call("log", x));
        }
        return Num::of_real(std::log(v));
    case PrimOp::Log10:
        if (v < 0) {
            fault(NumericFault::Kind::OutOfDomain, call("log10", x));
        }
        return Num::of_real(std::log10(v));
    case PrimOp::Sqrt:
        if (v < 0) {
            fault(NumericFault::Kind::OutOfDomain, call("sqrt", x));
        }
        return Num::of_real(std::sqrt(v));
    case PrimOp::Floor:
        return Num::of_real(std::floor(v));
    case PrimOp::Ceil:
        return Num::of_real(std::ceil(v));
    case PrimOp::Rint:
        return Num::of_real(std::rint(v));
    default:
        return x;
    }
}

MaybeNum fold_binary(PrimOp op, const Num& a, const Num& b) {
    bool ints = a.is_int && b.is_int;
    auto what = [&](const char* sym) { return a.str() + " " + sym + " " + b.str(); };
    switch (op) {
    case PrimOp::Add:
        return ints ? Num::of_int(wrap(std::int64_t(a.i) + b.i))
                    : Num::of_real(a.real() + b.real());
    case PrimOp::Sub:
        return ints ? Num::of_int(wrap(std::int64_t(a.i) - b.i))
                    : Num::of_real(a.real() - b.real());
    case PrimOp::Mul:
        return ints ? Num::of_int(wrap(std::int64_t(a.i) * b.i))
                    : Num::of_real(a.real() * b.real());
    case PrimOp::Div:
        if (is_zero(b)) {
            fault(NumericFault::Kind::DivisionByZero, what("/"));
        }
        if (ints && !(a.i == std::numeric_limits<std::int32_t>::min() && b.i == -1) &&
            a.i % b.i == 0) {
            return Num::of_int(a.i / b.i);
        }
        return Num::of_real(a.real() / b.real());
    case PrimOp::Mod: {
        std::int32_t x = a.to_int(), y = b.to_int();
        if (y == 0) {
            fault(NumericFault::Kind::RemainderByZero, what("%"));
        }
        if (y == -1) {
            return Num::of_int(0);
        }
        return Num::of_int(x % y);
    }
    case PrimOp::Pow:
        if (ints && b.i > 0) {
            return Num::of_int(ipow(a.i, b.i));
        }
        return Num::of_real(std::pow(a.real(), b.real()));
    case PrimOp::And:
        return Num::of_int(a.to_int() & b.to_int());
    case PrimOp::Or:
        return Num::of_int(a.to_int() | b.to_int());
    case PrimOp::Xor:
        return Num::of_int(a.to_int() ^ b.to_int());
    case PrimOp::Lsh:
        return Num::of_int(
            static_cast<std::int32_t>(static_cast<std::uint32_t>(a.to_int()) << (b.to_int() & 31)));
    case PrimOp::Rsh:
        return Num::of_int(a.to_int() >> (b.to_int() & 31));
    case PrimOp::Lt:
        return Num::of_int(ints ? a.i < b.i : a.real() < b.real());
    case PrimOp::Le:
        return Num::of_int(ints ? a.i <= b.i : a.real() <= b.real());
    case PrimOp::Gt:
        return Num::of_int(ints ? a.i > b.i : a.real() > b.real());
    case PrimOp::Ge:
        return Num::of_int(ints ? a.i >= b.i : a.real() >= b.real());
    case PrimOp::Eq:
        return Num::of_int(ints ? a.i == b.i : a.real() == b.real());
    case PrimOp::Ne:
        return Num::of_int(ints ? a.i != b.i : a.real() != b.real());
    case PrimOp::Min:
        return ints ? Num::of_int(std::min(a.i, b.i)) : Num::of_real(std::min(a.real(), b.real()));
    case PrimOp::Max:
        return ints ? Num::of_int(std::max(a.i, b.i)) : Num::of_real(std::max(a.real(), b.real()));
    case PrimOp::Fmod:
        if (is_zero(b)) {
            fault(NumericFault::Kind::RemainderByZero, what("%"));
        }
        return Num::of_real(std::fmod(a.real(), b.real()));
    case PrimOp::Remainder:
        if (is_zero(b)) {
            fault(NumericFault::Kind::RemainderByZero, what("%"));
        }
        return Num::of_real(std::remainder(a.real(), b.real()));
    case PrimOp::Atan2:
        return Num::of_real(std::atan2(a.real(), b.real()));
    default:
        return std::nullopt;
    }
}

} // namespace

MaybeNum fold_prim(PrimOp op, std::span<const MaybeNum> args) {
    switch (op) {
    // Identities that decide constness even with an unknown operand.
    case PrimOp::Mul:
        if (args[0] && is_zero(*args[0]) && !args[1]) {
            return args[0];
        }
        if (args[1] && is_zero(*args[1]) && !args[0]) {
            return args[1];
        }
        break;
    case PrimOp::Delay:
        if (args[1] && is_zero(*args[1])) {
            return args[0];
        }
        return std::nullopt;
    case PrimOp::Select2:
        if (args[0]) {
            return is_zero(*args[0]) ? args[1] : args[2];
        }
        return std::nullopt;
    case PrimOp::Select3:
        if (args[0]) {
            const Num& s = *args[0];
            bool zero = s.is_int ? s.i == 0 : s.r == 0.0;
            bool one = s.is_int ? s.i == 1 : s.r == 1.0;
            return zero ? args[1] : one ? args[2] : args[3];
        }
        return std::nullopt;
    // Never constant at compile time.
    case PrimOp::Mem:
    case PrimOp::Prefix:
    case PrimOp::Rdtable:
    case PrimOp::Rwtable:
    case PrimOp::Attach:
    case PrimOp::Enable:
    case PrimOp::Control:
    case PrimOp::Assertbounds:
    case PrimOp::Lowest:
    case PrimOp::Highest:
        return std::nullopt;
    default:
        break;
    }
    for (const MaybeNum& a : args) {
        if (!a) {
            return std::nullopt;
        }
    }
    switch (op) {
    case PrimOp::IntCast:
        return Num::of_int(args[0]->to_int());
    case PrimOp::FloatCast:
        return Num::of_real(args[0]->real());
    case PrimOp::Abs: {
        const Num& x = *args[0];
        if (x.is_int) {
            return Num::of_int(x.i < 0 ? wrap(-std::int64_t(x.i)) : x.i);
        }
        return Num::of_real(std::fabs(x.r));
    }
    default:
        break;
    }
    if (ast::prim_inputs(op) == 1) {
        return real_fn(op, *args[0]);
    }
    return fold_binary(op, *args[0], *args[1]);
}

MaybeNum NumericEvaluator::constant(const Box* b) {
    if (b->kind == BoxKind::Int) {
        return Num::of_int(b->ival);
    }
    if (b->kind == BoxKind::Real) {
        return Num::of_real(b->rval);
    }
    if (b->inputs != 0 || b->outputs != 1) {
        return std::nullopt;
    }
    auto it = constants_.find(b);
    if (it != constants_.end()) {
        return it->second;
    }
    MaybeNum out;
    propagate(b, {}, std::span<MaybeNum>(&out, 1));
    constants_.emplace(b, out);
    return out;
}

std::vector<MaybeNum> NumericEvaluator::outputs(const Box* b, std::span<const MaybeNum> inputs) {
    std::vector<MaybeNum> out(b->outputs);
    propagate(b, inputs, out);
    return out;
}

void NumericEvaluator::propagate(const Box* b, std::span<const MaybeNum> in,
                                 std::span<MaybeNum> out) {
    if (++steps_ > max_steps_) {
        throw NumericFault{NumericFault::Kind::TooManySteps, {}};
    }
    bool stack_low = false;
    if (stack_base_ != nullptr) {
        const char* here = static_cast<const char*>(__builtin_frame_address(0));
        stack_low = std::size_t(stack_base_ - here) > stack_usable_;
    }
    if (depth_ >= max_depth_ || stack_low) {
        throw NumericFault{NumericFault::Kind::TooDeep, {}};
    }
    bool all_unknown = slots_.empty();
    for (const MaybeNum& v : in) {
        all_unknown = all_unknown && !v;
    }
    if (all_unknown) {
        if (unknown_cache_.size() <= b->id) {
            unknown_cache_.resize(std::size_t(b->id) + 1);
        }
        if (auto& cached = unknown_cache_[b->id]) {
            std::copy(cached->begin(), cached->end(), out.begin());
            return;
        }
    }
    ++depth_;
    try {
        propagate_uncached(b, in, out);
    } catch (...) {
        --depth_;
        throw;
    }
    --depth_;
    if (all_unknown) {
        unknown_cache_[b->id] = std::make_unique<std::vector<MaybeNum>>(out.begin(), out.end());
    }
}

void NumericEvaluator::propagate_uncached(const Box* b, std::span<const MaybeNum> in,
                                          std::span<MaybeNum> out) {
    auto unknown = [&] {
        for (MaybeNum& o : out) {
            o.reset();
        }
    };
    switch (b->kind) {
    case BoxKind::Int:
        out[0] = Num::of_int(b->ival);
        return;
    case BoxKind::Real:
        out[0] = Num::of_real(b->rval);
        return;
    case BoxKind::Wire:
        out[0] = in[0];
        return;
    case BoxKind::Cut:
        return;
    case BoxKind::Prim:
        out[0] = fold_prim(b->prim(), in);
        return;
    case BoxKind::Seq: {
        std::vector<MaybeNum> mid(b->kid(0)->outputs);
        propagate(b->kid(0), in, mid);
        propagate(b->kid(1), mid, out);
        return;
    }
    case BoxKind::Par: {
        const Box* x = b->kid(0);
        const Box* y = b->kid(1);
        propagate(x, in.subspan(0, x->inputs), out.subspan(0, x->outputs));
        propagate(y, in.subspan(x->inputs, y->inputs), out.subspan(x->outputs, y->outputs));
        return;
    }
    case BoxKind::Split: {
        const Box* x = b->kid(0);
        const Box* y = b->kid(1);
        std::vector<MaybeNum> mid(x->outputs);
        propagate(x, in, mid);
        std::vector<MaybeNum> yin(y->inputs);
        for (std::size_t j = 0; j < yin.size() && !mid.empty(); ++j) {
            yin[j] = mid[j % mid.size()];
        }
        propagate(y, yin, out);
        return;
    }
    case BoxKind::Merge: {
        const Box* x = b->kid(0);
        const Box* y = b->kid(1);
        std::vector<MaybeNum> mid(x->outputs);
        propagate(x, in, mid);
        std::vector<MaybeNum> yin(y->inputs);
        for (std::size_t j = 0; j < yin.size(); ++j) {
            MaybeNum acc;
            bool first = true;
            for (std::size_t k = j; k < mid.size(); k += yin.size()) {
                if (first) {
                    acc = mid[k];
                    first = false;
                } else {
                    MaybeNum args[2] = {acc, mid[k]};
                    acc = fold_prim(PrimOp::Add, args);
                }
            }
            yin[j] = acc;
        }
        propagate(y, yin, out);
        return;
    }
    case BoxKind::VGroup:
    case BoxKind::HGroup:
    case BoxKind::TGroup:
        propagate(b->kid(0), in, out);
        return;
    case BoxKind::Waveform:
        out[0] = Num::of_int(static_cast<std::int32_t>(b->kids.size()));
        out[1].reset();
        return;
    case BoxKind::Route: {
        for (MaybeNum& o : out) {
            o = Num::of_int(0);
        }
        std::vector<bool> connected(out.size(), false);
        for (std::size_t p = 0; p + 1 < b->nums.size(); p += 2) {
            long src = static_cast<long>(b->nums[p]) - 1;
            long dst = static_cast<long>(b->nums[p + 1]) - 1;
            if (src < 0 || dst < 0 || std::size_t(src) >= in.size() ||
                std::size_t(dst) >= out.size()) {
                continue;
            }
            if (!connected[std::size_t(dst)]) {
                out[std::size_t(dst)] = in[std::size_t(src)];
                connected[std::size_t(dst)] = true;
            } else {
                MaybeNum args[2] = {out[std::size_t(dst)], in[std::size_t(src)]};
                out[std::size_t(dst)] = fold_prim(PrimOp::Add, args);
            }
        }
        return;
    }
    case BoxKind::Slot:
        for (std::size_t k = slots_.size(); k-- > 0;) {
            if (slots_[k].first == b->ival) {
                out[0] = slots_[k].second;
                return;
            }
        }
        out[0].reset();
        return;
    case BoxKind::Symbolic: {
        slots_.emplace_back(b->kid(0)->ival, in.empty() ? MaybeNum() : in[0]);
        try {
            propagate(b->kid(1), in.subspan(in.empty() ? 0 : 1), out);
        } catch (...) {
            slots_.pop_back();
            throw;
        }
        slots_.pop_back();
        return;
    }
    case BoxKind::Rec:
    case BoxKind::FFun:
    case BoxKind::FConst:
    case BoxKind::FVar:
    case BoxKind::Button:
    case BoxKind::Checkbox:
    case BoxKind::VSlider:
    case BoxKind::HSlider:
    case BoxKind::NEntry:
    case BoxKind::VBargraph:
    case BoxKind::HBargraph:
    case BoxKind::Soundfile:
    case BoxKind::Count:
        unknown();
        return;
    }
    unknown();
}

} // namespace tutti::eval
