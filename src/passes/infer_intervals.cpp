// SPDX-License-Identifier: MIT
#include "passes/infer_intervals.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "signals/post_order.h"

namespace tutti::passes {

using ast::PrimOp;
using sig::SigKind;
using sig::Signal;

namespace {

constexpr double inf = std::numeric_limits<double>::infinity();

Interval hull(Interval a, Interval b) {
    return {std::min(a.lo, b.lo), std::max(a.hi, b.hi)};
}

Interval mul(Interval a, Interval b) {
    // the products of the bounds, half-open intervals included ([3, inf] * 0.5 is
    // [1.5, inf]); a bound of 0 times an infinite one is 0 (no value is infinite)
    auto p = [](double x, double y) { return x == 0 || y == 0 ? 0.0 : x * y; };
    double c[4] = {p(a.lo, b.lo), p(a.lo, b.hi), p(a.hi, b.lo), p(a.hi, b.hi)};
    return {*std::min_element(c, c + 4), *std::max_element(c, c + 4)};
}

Interval apply(const Signal* s, const IntervalTable& t) {
    auto k = [&](std::size_t i) { return t.of(s->kid(i)); };
    switch (s->kind) {
    case SigKind::Int:
        return {double(s->ival), double(s->ival)};
    case SigKind::Real:
        return {s->rval, s->rval};
    case SigKind::Button:
    case SigKind::Checkbox:
        return {0, 1};
    case SigKind::Input:
        return {-1, 1}; // audio inputs, as the reference assumes them (lowest(_) is -1)
    case SigKind::VSlider:
    case SigKind::HSlider:
    case SigKind::NEntry:
        return {std::min(s->nums[1], s->nums[2]), std::max(s->nums[1], s->nums[2])};
    case SigKind::VBargraph:
    case SigKind::HBargraph:
    case SigKind::Attach:
    case SigKind::AssertBounds:
        return s->kind == SigKind::AssertBounds ? Interval{k(0).lo, k(1).hi} : k(0);
    case SigKind::Delay:
        return hull(k(0), {0, 0});
    case SigKind::Prefix:
        return hull(k(0), k(1));
    case SigKind::IntCast: {
        Interval x = k(0);
        return {std::trunc(x.lo), std::trunc(x.hi)};
    }
    case SigKind::FloatCast:
        return k(0);
    case SigKind::Select2:
        return hull(k(1), k(2));
    case SigKind::Waveform: {
        Interval r{inf, -inf};
        for (const Signal* v : s->kids) {
            r = hull(r, t.of(v));
        }
        return r;
    }
    case SigKind::Rdtable:
        return k(1);
    case SigKind::Rwtable:
        return hull(k(1), k(3));
    case SigKind::Bin: {
        Interval a = k(0), b = k(1);
        switch (s->prim()) {
        case PrimOp::Add:
            return {a.lo + b.lo, a.hi + b.hi};
        case PrimOp::Sub:
            return {a.lo - b.hi, a.hi - b.lo};
        case PrimOp::Mul:
            return mul(a, b);
        case PrimOp::Div:
            if (b.bounded() && (b.lo > 0 || b.hi < 0)) {
                return mul(a, {1 / b.hi, 1 / b.lo});
            }
            return {};
        case PrimOp::Mod:
            if (b.bounded()) {
                double m = std::max(std::abs(b.lo), std::abs(b.hi));
                double lo = a.lo >= 0 ? 0 : -m;
                double hi = a.hi <= 0 ? 0 : m;
                if (a.bounded()) {
                    lo = std::max(lo, std::min(a.lo, 0.0));
                    hi = std::min(hi, std::max(a.hi, 0.0));
                }
                return {lo, hi};
            }
            return {};
        case PrimOp::Lt:
        case PrimOp::Le:
        case PrimOp::Gt:
        case PrimOp::Ge:
        case PrimOp::Eq:
        case PrimOp::Ne:
            return {0, 1};
        case PrimOp::Rsh:
        case PrimOp::Lsh:
            // by a constant shift: a division or multiplication by a power of two
            if (a.bounded() && b.point() && b.lo >= 0 && b.lo < 31) {
                double f = std::ldexp(1.0, int(b.lo));
                if (s->prim() == PrimOp::Rsh) {
                    return {std::floor(a.lo / f), std::floor(a.hi / f)};
                }
                if (std::max(std::abs(a.lo), std::abs(a.hi)) * f < 2147483648.0) {
                    return {a.lo * f, a.hi * f};
                }
            }
            return {};
        case PrimOp::Or:
        case PrimOp::Xor:
            if (a.bounded() && b.bounded() && a.lo >= 0 && b.lo >= 0) {
                // no bit above the highest of either
                double m = std::max(a.hi, b.hi);
                double p = 1;
                while (p <= m && p < 2147483648.0) {
                    p *= 2;
                }
                return {0, p - 1};
            }
            return {};
        case PrimOp::And:
            if (a.lo >= 0 && b.lo >= 0) {
                return {0, std::min(a.hi, b.hi)};
            }
            if (b.lo >= 0) {
                return {0, b.hi};
            }
            if (a.lo >= 0) {
                return {0, a.hi};
            }
            return {};
        default:
            return {};
        }
    }
    case SigKind::Math: {
        switch (s->prim()) {
        case PrimOp::Min:
            return {std::min(k(0).lo, k(1).lo), std::min(k(0).hi, k(1).hi)};
        case PrimOp::Max:
            return {std::max(k(0).lo, k(1).lo), std::max(k(0).hi, k(1).hi)};
        case PrimOp::Abs: {
            Interval x = k(0);
            if (x.lo >= 0) {
                return x;
            }
            if (x.hi <= 0) {
                return {-x.hi, -x.lo};
            }
            return {0, std::max(-x.lo, x.hi)};
        }
        case PrimOp::Floor:
            return {std::floor(k(0).lo), std::floor(k(0).hi)};
        case PrimOp::Ceil:
            return {std::ceil(k(0).lo), std::ceil(k(0).hi)};
        case PrimOp::Rint:
            return {std::rint(k(0).lo), std::rint(k(0).hi)};
        case PrimOp::Sin:
        case PrimOp::Cos:
            return {-1, 1};
        case PrimOp::Sqrt:
            return {0, std::sqrt(std::max(0.0, k(0).hi))};
        case PrimOp::Exp:
            return {std::exp(k(0).lo), std::exp(k(0).hi)};
        case PrimOp::Pow: {
            Interval a = k(0), b = k(1);
            if (a.bounded() && b.point() && a.lo >= 0) {
                double x = std::pow(a.lo, b.lo), y = std::pow(a.hi, b.lo);
                return {std::min(x, y), std::max(x, y)};
            }
            if (a.bounded() && b.bounded() && a.lo > 0) {
                // a positive base: monotonic in each argument, the extremes are at the corners
                double c[4] = {std::pow(a.lo, b.lo), std::pow(a.lo, b.hi), std::pow(a.hi, b.lo),
                               std::pow(a.hi, b.hi)};
                return {*std::min_element(c, c + 4), *std::max_element(c, c + 4)};
            }
            return {};
        }
        case PrimOp::Log:
        case PrimOp::Log10: {
            Interval x = k(0);
            double (*f)(double) = s->prim() == PrimOp::Log
                                      ? static_cast<double (*)(double)>(std::log)
                                      : static_cast<double (*)(double)>(std::log10);
            if (x.hi <= 0) {
                return {};
            }
            return {x.lo > 0 ? f(x.lo) : -std::numeric_limits<double>::infinity(), f(x.hi)};
        }
        case PrimOp::Atan:
            return {std::atan(k(0).lo), std::atan(k(0).hi)};
        case PrimOp::Asin:
            return {std::asin(std::max(-1.0, k(0).lo)), std::asin(std::min(1.0, k(0).hi))};
        case PrimOp::Acos:
            return {std::acos(std::min(1.0, k(0).hi)), std::acos(std::max(-1.0, k(0).lo))};
        case PrimOp::Atan2:
            return {-3.141592653589793, 3.141592653589793};
        case PrimOp::Remainder:
            if (k(1).bounded()) {
                double m = std::max(std::abs(k(1).lo), std::abs(k(1).hi)) / 2;
                return {-m, m};
            }
            return {};
        default:
            return {};
        }
    }
    case SigKind::Lowest:
    case SigKind::Highest:
        return k(0);
    case SigKind::Soundfile:
    case SigKind::SoundLength:
    case SigKind::SoundRate:
        return {0, 2147483647.0}; // as the reference types them
    default:
        return {};
    }
}

} // namespace

IntervalTable infer_intervals(std::span<const Signal* const> roots) {
    IntervalTable t;
    for (const Signal* s : sig::post_order(roots)) {
        Interval v = apply(s, t);
        if (std::isnan(v.lo) || std::isnan(v.hi)) {
            v = {};
        }
        t.set(s, v);
    }
    return t;
}

} // namespace tutti::passes
