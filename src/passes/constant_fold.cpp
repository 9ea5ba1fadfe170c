// SPDX-License-Identifier: MIT
#include "passes/constant_fold.h"

#include <cmath>
#include <cstdint>
#include <unordered_map>

#include "signals/rewriter.h"

namespace tutti::passes {

using ast::PrimOp;
using sig::SigKind;
using sig::Signal;

namespace {

bool is_const(const Signal* s) {
    return s->kind == SigKind::Int || s->kind == SigKind::Real;
}
double value(const Signal* s) {
    return s->kind == SigKind::Int ? double(s->ival) : s->rval;
}
std::int32_t wrap(std::int64_t v) {
    return static_cast<std::int32_t>(static_cast<std::uint32_t>(static_cast<std::uint64_t>(v)));
}
std::int32_t to_int(double v) {
    if (!(v >= -2147483648.0 && v < 2147483648.0)) {
        return INT32_MIN;
    }
    return static_cast<std::int32_t>(v);
}

} // namespace

const Signal* fold_constant(const Signal* s, sig::SignalContext& sc) {
    for (const Signal* k : s->kids) {
        if (!is_const(k)) {
            return nullptr;
        }
    }
    if (s->kids.empty()) {
        return nullptr;
    }
    auto all_int = [&] {
        for (const Signal* k : s->kids) {
            if (k->kind != SigKind::Int) {
                return false;
            }
        }
        return true;
    };
    switch (s->kind) {
    case SigKind::IntCast:
        return sc.make_int(s->kid(0)->kind == SigKind::Int ? s->kid(0)->ival
                                                           : to_int(s->kid(0)->rval));
    case SigKind::FloatCast:
        return sc.make_real(value(s->kid(0)));
    case SigKind::Bin: {
        const Signal* a = s->kid(0);
        const Signal* b = s->kid(1);
        bool ints = all_int();
        std::int64_t ia = a->ival, ib = b->ival;
        double x = value(a), y = value(b);
        switch (s->prim()) {
        case PrimOp::Add:
            return ints ? sc.make_int(wrap(ia + ib)) : sc.make_real(x + y);
        case PrimOp::Sub:
            return ints ? sc.make_int(wrap(ia - ib)) : sc.make_real(x - y);
        case PrimOp::Mul:
            return ints ? sc.make_int(wrap(ia * ib)) : sc.make_real(x * y);
        case PrimOp::Div:
            if (y == 0) {
                return nullptr;
            }
            if (ints && ib != 0 && ia % ib == 0 && !(ia == INT32_MIN && ib == -1)) {
                return sc.make_int(wrap(ia / ib));
            }
            return sc.make_real(x / y);
        case PrimOp::Mod: {
            std::int32_t p = ints ? a->ival : to_int(x), q = ints ? b->ival : to_int(y);
            if (q == 0 || (p == INT32_MIN && q == -1)) {
                return nullptr;
            }
            return sc.make_int(p % q); // Faust folds % as int(x) % int(y), even for reals
        }
        case PrimOp::And:
            return sc.make_int(to_int(x) & to_int(y));
        case PrimOp::Or:
            return sc.make_int(to_int(x) | to_int(y));
        case PrimOp::Xor:
            return sc.make_int(to_int(x) ^ to_int(y));
        case PrimOp::Lsh:
            return sc.make_int(
                wrap(std::int64_t(std::uint32_t(std::uint32_t(to_int(x)) << (to_int(y) & 31)))));
        case PrimOp::Rsh:
            return sc.make_int(to_int(x) >> (to_int(y) & 31));
        case PrimOp::Lt:
            return sc.make_int(x < y);
        case PrimOp::Le:
            return sc.make_int(x <= y);
        case PrimOp::Gt:
            return sc.make_int(x > y);
        case PrimOp::Ge:
            return sc.make_int(x >= y);
        case PrimOp::Eq:
            return sc.make_int(x == y);
        case PrimOp::Ne:
            return sc.make_int(x != y);
        default:
            return nullptr;
        }
    }
    case SigKind::Math: {
        double x = value(s->kid(0));
        double y = s->kids.size() > 1 ? value(s->kid(1)) : 0.0;
        switch (s->prim()) {
        case PrimOp::Min:
            return all_int() ? sc.make_int(std::min(s->kid(0)->ival, s->kid(1)->ival))
                             : sc.make_real(std::min(x, y));
        case PrimOp::Max:
            return all_int() ? sc.make_int(std::max(s->kid(0)->ival, s->kid(1)->ival))
                             : sc.make_real(std::max(x, y));
        case PrimOp::Abs:
            return all_int() ? sc.make_int(wrap(std::llabs(s->kid(0)->ival)))
                             : sc.make_real(std::fabs(x));
        case PrimOp::Pow:
            if (all_int() && s->kid(1)->ival > 0) {
                std::int64_t r = 1;
                for (std::int32_t i = 0; i < s->kid(1)->ival && i < 64; ++i) {
                    r = wrap(r * s->kid(0)->ival);
                }
                return sc.make_int(wrap(r));
            }
            return sc.make_real(std::pow(x, y));
        case PrimOp::Sin:
            return sc.make_real(std::sin(x));
        case PrimOp::Cos:
            return sc.make_real(std::cos(x));
        case PrimOp::Tan:
            return sc.make_real(std::tan(x));
        case PrimOp::Exp:
            return sc.make_real(std::exp(x));
        case PrimOp::Log:
            return sc.make_real(std::log(x));
        case PrimOp::Log10:
            return sc.make_real(std::log10(x));
        case PrimOp::Sqrt:
            return x < 0 ? nullptr : sc.make_real(std::sqrt(x));
        case PrimOp::Floor:
            return sc.make_real(std::floor(x));
        case PrimOp::Ceil:
            return sc.make_real(std::ceil(x));
        case PrimOp::Rint:
            return sc.make_real(std::rint(x));
        case PrimOp::Atan2:
            return sc.make_real(std::atan2(x, y));
        case PrimOp::Fmod:
            return y == 0 ? nullptr : sc.make_real(std::fmod(x, y));
        default:
            return nullptr;
        }
    }
    default:
        return nullptr;
    }
}

std::vector<const Signal*> fold_constants(std::span<const Signal* const> outputs,
                                          sig::SignalContext& sc) {
    sig::Rewriter rw(sc);
    return rw.run(outputs, [&](const Signal* s) {
        const Signal* r = rw.with_new_kids(s);
        const Signal* f = fold_constant(r, sc);
        return f != nullptr ? f : r;
    });
}

} // namespace tutti::passes
