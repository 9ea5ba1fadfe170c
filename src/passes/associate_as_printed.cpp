// SPDX-License-Identifier: MIT
#include "passes/associate_as_printed.h"

#include <unordered_map>

#include "passes/infer_types.h"
#include "signals/post_order.h"
#include "signals/rewriter.h"

namespace tutti::passes {

using ast::PrimOp;
using sig::SigKind;
using sig::Signal;

namespace {

bool is_bin(const Signal* s, PrimOp op) {
    return s->kind == SigKind::Bin && s->prim() == op;
}

class PrintedAssociation {
public:
    PrintedAssociation(std::span<const Signal* const> outputs, sig::SignalContext& sc)
        : types_(infer_types(outputs)), rw_(sc), sc_(sc) {
        for (const Signal* s : sig::post_order(outputs)) {
            for (const Signal* k : s->kids) {
                ++uses_[k];
            }
        }
        for (const Signal* o : outputs) {
            ++uses_[o];
        }
    }

    std::vector<const Signal*> run(std::span<const Signal* const> outputs) {
        return rw_.run(outputs, [&](const Signal* s) { return rewrite(s); });
    }

private:
    static bool additive(const Signal* s) {
        return is_bin(s, PrimOp::Add) || is_bin(s, PrimOp::Sub);
    }
    static bool multiplicative(const Signal* s) {
        return is_bin(s, PrimOp::Mul) || is_bin(s, PrimOp::Div);
    }

    /// s (an original node) is printed inside its user's text.
    bool inline_in(const Signal* s, const Signal* user) const {
        auto it = uses_.find(s);
        return it != uses_.end() && it->second == 1 && types_.of(s).var == types_.of(user).var &&
               types_.of(s).nature == Nature::Real;
    }

    /// `a op <x>` re-read by a C++ parser: a joins the leftmost operand of x's
    /// inline left spine (x original, its rewritten form in done_).
    const Signal* glue(PrimOp op, const Signal* a, const Signal* x, const Signal* user) {
        bool same_level = op == PrimOp::Add ? additive(x) : multiplicative(x);
        if (!same_level || !inline_in(x, user)) {
            return sc_.make_bin(op, a, rw_.rewritten(x));
        }
        const Signal* left = glue(op, a, x->kid(0), x);
        return sc_.make_bin(x->prim(), left, rw_.rewritten(x->kid(1)));
    }

    const Signal* rewrite(const Signal* s) {
        const Signal* r = rw_.with_new_kids(s);
        bool real = types_.of(s).nature == Nature::Real;
        if (!real || !(is_bin(s, PrimOp::Add) || is_bin(s, PrimOp::Mul))) {
            return r;
        }
        const Signal* b = s->kid(1);
        if (b->kind != SigKind::Bin || b->prim() != s->prim() || !inline_in(b, s)) {
            return r;
        }
        return glue(s->prim(), rw_.rewritten(s->kid(0)), b, s);
    }

    TypeTable types_;
    std::unordered_map<const Signal*, int> uses_;
    sig::Rewriter rw_;
    sig::SignalContext& sc_;
};

} // namespace

std::vector<const Signal*> associate_as_printed(std::span<const Signal* const> outputs,
                                                sig::SignalContext& sc) {
    return PrintedAssociation(outputs, sc).run(outputs);
}

} // namespace tutti::passes
