// SPDX-License-Identifier: MIT
#include "passes/normalize.h"

#include <unordered_map>

#include "passes/infer_types.h"

namespace tutti::passes {

using ast::PrimOp;
using sig::SigKind;
using sig::Signal;

namespace {

class Normalizer {
public:
    Normalizer(std::span<const Signal* const> outputs, sig::SignalContext& sc)
        : sc_(sc), types_(infer_types(outputs)) {
    }

    /// Iterative post-order rewrite: children first, then the node.
    const Signal* run(const Signal* root) {
        std::vector<std::pair<const Signal*, bool>> stack{{root, false}};
        while (!stack.empty()) {
            auto [s, expanded] = stack.back();
            stack.pop_back();
            if (done_.count(s)) {
                continue;
            }
            if (!expanded) {
                stack.push_back({s, true});
                for (const Signal* k : s->kids) {
                    if (!done_.count(k)) {
                        stack.push_back({k, false});
                    }
                }
                continue;
            }
            done_[s] = rewrite(s);
        }
        return done_.at(root);
    }

private:
    bool is_real_product(const Signal* s) const {
        if (s->kind != SigKind::Bin) {
            return false;
        }
        if (s->prim() == PrimOp::Div) {
            return true;
        }
        return s->prim() == PrimOp::Mul && types_.of(s).nature == Nature::Real;
    }

    const Signal* rewrite(const Signal* s) {
        if (is_real_product(s)) {
            return product(s);
        }
        bool changed = false;
        std::vector<const Signal*> kids;
        kids.reserve(s->kids.size());
        for (const Signal* k : s->kids) {
            kids.push_back(done_.at(k));
            changed = changed || kids.back() != k;
        }
        return changed ? sc_.make_like(s, kids) : s;
    }

    /// Collects the factors of a real product tree (of the original signals).
    void collect(const Signal* s, bool numerator, double& coef, std::vector<const Signal*>& num,
                 std::vector<const Signal*>& den, bool& all_int, int depth = 0) {
        if (is_real_product(s) && depth < 1000) {
            bool div = s->prim() == PrimOp::Div;
            collect(s->kid(0), numerator, coef, num, den, all_int, depth + 1);
            collect(s->kid(1), div ? !numerator : numerator, coef, num, den, all_int, depth + 1);
            return;
        }
        if (s->kind == SigKind::Int || s->kind == SigKind::Real) {
            double v = s->kind == SigKind::Int ? double(s->ival) : s->rval;
            coef = numerator ? coef * v : coef / v;
            return;
        }
        all_int = all_int && types_.of(s).nature == Nature::Int;
        (numerator ? num : den).push_back(done_.at(s));
    }

    const Signal* product(const Signal* s) {
        double coef = 1.0;
        std::vector<const Signal*> num, den;
        bool all_int = true;
        collect(s, true, coef, num, den, all_int);
        if (coef == 1.0 && den.empty() && !num.empty() && all_int) {
            // int factors only: keep the product real, as it was
            const Signal* k[1] = {num[0]};
            num[0] = sc_.make(SigKind::FloatCast, k);
        }
        const Signal* r = nullptr;
        if (coef != 1.0 || num.empty()) {
            r = sc_.make_real(coef);
        }
        for (const Signal* f : num) {
            r = r == nullptr ? f : sc_.make_bin(PrimOp::Mul, r, f);
        }
        if (!den.empty()) {
            const Signal* d = den[0];
            for (std::size_t i = 1; i < den.size(); ++i) {
                d = sc_.make_bin(PrimOp::Mul, d, den[i]);
            }
            r = sc_.make_bin(PrimOp::Div, r, d);
        }
        return r;
    }

    sig::SignalContext& sc_;
    TypeTable types_;
    std::unordered_map<const Signal*, const Signal*> done_;
};

} // namespace

std::vector<const Signal*> normalize_products(std::span<const Signal* const> outputs, sig::SignalContext& sc) {
    Normalizer n(outputs, sc);
    std::vector<const Signal*> out;
    for (const Signal* o : outputs) {
        out.push_back(n.run(o));
    }
    return out;
}

} // namespace tutti::passes
