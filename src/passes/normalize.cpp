// SPDX-License-Identifier: MIT
#include "passes/normalize.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <map>
#include <memory>
#include <unordered_map>
#include <unordered_set>

#include "passes/constant_fold.h"
#include "passes/infer_types.h"
#include "signals/rewriter.h"

namespace tutti::passes {

using ast::PrimOp;
using sig::SigKind;
using sig::Signal;

namespace {

// ------------------------------------------------------------------ numbers

/// A numeric constant as the reference's compile-time arithmetic sees it: an
/// int32 (wrapping) or a double; int op int stays int, anything else is double.
struct Num {
    bool is_int = true;
    std::int32_t i = 0;
    double r = 0;

    double value() const {
        return is_int ? double(i) : r;
    }
    static Num of_int(std::int32_t v) {
        return {true, v, 0};
    }
    static Num of_real(double v) {
        return {false, 0, v};
    }
};

std::int32_t wrap(std::int64_t v) {
    return static_cast<std::int32_t>(static_cast<std::uint32_t>(static_cast<std::uint64_t>(v)));
}
bool is_num(const Signal* s) {
    return s->kind == SigKind::Int || s->kind == SigKind::Real;
}
Num num_of(const Signal* s) {
    return s->kind == SigKind::Int ? Num::of_int(s->ival) : Num::of_real(s->rval);
}
/// |a| == |b|: two monomials share their coefficient up to the sign.
bool same_magnitude(Num a, Num b) {
    return std::fabs(a.value()) == std::fabs(b.value());
}
Num add(Num a, Num b) {
    return a.is_int && b.is_int ? Num::of_int(wrap(std::int64_t(a.i) + b.i))
                                : Num::of_real(a.value() + b.value());
}
Num sub(Num a, Num b) {
    return a.is_int && b.is_int ? Num::of_int(wrap(std::int64_t(a.i) - b.i))
                                : Num::of_real(a.value() - b.value());
}
Num mul(Num a, Num b) {
    return a.is_int && b.is_int ? Num::of_int(wrap(std::int64_t(a.i) * b.i))
                                : Num::of_real(a.value() * b.value());
}
Num neg(Num a) {
    return sub(Num::of_int(0), a);
}
/// Division that stays int when it is exact (b is not zero).
Num div_exact(Num a, Num b) {
    if (a.is_int && b.is_int && a.i % b.i == 0 && !(a.i == INT32_MIN && b.i == -1)) {
        return Num::of_int(a.i / b.i);
    }
    return Num::of_real(a.value() / b.value());
}
bool is_zero(Num a) {
    return a.value() == 0;
}
bool is_one(Num a) {
    return a.value() == 1;
}
bool is_minus_one(Num a) {
    return a.value() == -1;
}
bool is_zero(const Signal* s) {
    return is_num(s) && is_zero(num_of(s));
}
bool is_one(const Signal* s) {
    return is_num(s) && is_one(num_of(s));
}

bool is_arith(const Signal* s) {
    if (s->kind != SigKind::Bin) {
        return false;
    }
    PrimOp op = s->prim();
    return op == PrimOp::Add || op == PrimOp::Sub || op == PrimOp::Mul || op == PrimOp::Div;
}
bool is_bin(const Signal* s, PrimOp op) {
    return s->kind == SigKind::Bin && s->prim() == op;
}
/// x ^ n with a constant int n.
bool is_int_power(const Signal* s) {
    return s->kind == SigKind::Math && s->prim() == PrimOp::Pow && s->kid(1)->kind == SigKind::Int;
}

/// The order in which the reference's maps of trees (the factors of a product,
/// the terms of a sum) keep their keys: the address of a tree, that is, nearly,
/// the time it was made. A signal's rank is that time here: its id (creation
/// order), except for the nodes that the reference makes again while it
/// simplifies although this compiler already has them (`renew`): a delay by a
/// constant `x'` is a node of its own kind there (`sigDelay1`) until the
/// simplification turns it into `x@1`, a new tree made when the simplification
/// reaches it. The order of the factors of a product decides the order of the
/// multiplications, hence the rounding: `k * smoo * y'` and `k * y' * smoo`
/// differ in the last bit.
class Ranks {
public:
    /// Whether a is ordered before b.
    bool before(const Signal* a, const Signal* b) const {
        std::uint64_t ta = time(a);
        std::uint64_t tb = time(b);
        return ta != tb ? ta < tb : a->id < b->id;
    }
    /// Nodes made before this are the reference's older trees: they can be renewed.
    void set_renewable_below(std::size_t id) {
        renewable_below_ = id;
    }
    /// s (made before this pass) is made again now, before the node with id `next`.
    void renew(const Signal* s, std::size_t next) {
        if (s->id < renewable_below_) {
            set(s, 2 * std::uint64_t(next));
        }
        key(s);
    }
    /// `made` is the reference's tree `of` (the same tree there, a new node here).
    void inherit(const Signal* made, const Signal* of) {
        set(made, time(of));
    }
    /// s is ordered from now on (a key of a map, or compared): its rank is fixed.
    void key(const Signal* s) {
        grow(s);
        keyed_[s->id] = true;
    }

private:
    std::uint64_t time(const Signal* s) const {
        if (s->id < time_.size() && time_[s->id] != 0) {
            return time_[s->id];
        }
        return 2 * std::uint64_t(s->id) + 1;
    }
    void set(const Signal* s, std::uint64_t t) {
        grow(s);
        if (!keyed_[s->id] && time_[s->id] == 0) {
            time_[s->id] = t;
        }
    }
    void grow(const Signal* s) {
        if (s->id >= time_.size()) {
            time_.resize(std::size_t(s->id) + 1 + time_.size() / 2, 0);
            keyed_.resize(time_.size(), false);
        }
    }

    std::vector<std::uint64_t> time_;
    std::vector<bool> keyed_;
    std::size_t renewable_below_ = 0;
};

struct ByRank {
    const Ranks* ranks = nullptr;
    bool operator()(const Signal* a, const Signal* b) const {
        return ranks->before(a, b);
    }
};

/// A product: a coefficient times factors raised to int powers (factors in rank order).
struct Monomial {
    explicit Monomial(ByRank order) : factors(order) {
    }
    Num coef = Num::of_int(1);
    std::map<const Signal*, int, ByRank> factors;
};

/// A sum of monomials, keyed by their signature (the product without coefficient).
using Polynomial = std::map<const Signal*, Monomial, ByRank>;

/// Thrown when a product divides by a constant 0: the node is left as it is
/// (the division happens at run time).
struct NoNormalForm {};

/// Iterations of the factorisation of a sum, at most (each one takes out a
/// common divisor; the reference has no bound, real programs need a handful).
constexpr int max_factorisations = 256;

// ------------------------------------------------------------------ the pass

class Normalizer {
public:
    Normalizer(sig::SignalContext& sc, const TypeTable& types, Budget* budget)
        : sc_(sc), budget_(budget), types_(types), promoted_(sc), done_(sc) {
    }

    std::vector<const Signal*> run(std::span<const Signal* const> outputs) {
        // the casts first, in a pass of their own (as the reference does): they
        // are older than every node of the normal form, which orders sums
        std::vector<const Signal*> cast = promoted_.run(outputs, [&](const Signal* s) {
            check(s);
            return promote(rebuild(s, promoted_));
        });
        ranks_.set_renewable_below(sc_.size());
        count_users(sig::post_order(cast), cast);
        return done_.run(cast, [&](const Signal* s) {
            check(s);
            const Signal* r = rewrite(s);
            order(r);
            keep_chain(s, r);
            return r;
        });
    }

private:
    // -------------------------------------------------------------- chains of sums
    //
    // A chain of sums (sum(i, n, E), a merge of n signals: `((e0 + e1) + e2) + ...`)
    // has n prefixes, each normalised in turn as the reference does: prefix k
    // flattens the normal form of prefix k-1 (k terms), looks for common
    // divisors among them and builds its tree again (k nodes to look up), so the
    // chain took n^2 time. When a prefix is used only as the left operand of the
    // next sum, its polynomial and its tree are kept instead (Chain): the next
    // prefix adds the terms of its right operand to the polynomial, checks only
    // the new terms for a common divisor with the others (an index by factor
    // and by coefficient), and builds only the nodes of its tree that change
    // (the partial sums after the new terms; the new term is usually the last).
    // The nodes made, and the order they are made in, are those of the full
    // computation. This holds while the normal form of a prefix, flattened
    // again, gives back its polynomial: no alike terms (a coefficient summed),
    // no common divisor (a prefix factorised), every term's tree flattens to
    // itself, the sum is not negated as a whole, and no cast is added; a prefix
    // where any of this fails is normalised in full, as before.

    static bool is_sum(const Signal* s) {
        return is_bin(s, PrimOp::Add) || is_bin(s, PrimOp::Sub);
    }

    /// One term of a kept tree: its tree, its partial sum, and which of the
    /// sums of the tree it is in (order * 2 + negative).
    struct Entry {
        const Signal* tree = nullptr;
        const Signal* partial = nullptr;
        int sum = 0;
    };

    /// The polynomial of the normal form of a prefix and what its tree is made of.
    struct Chain {
        using Partials = std::map<const Signal*, const Signal*, ByRank>;
        explicit Chain(ByRank order)
            : p(order), entries(order), partials{Partials(order), Partials(order), Partials(order),
                                                 Partials(order), Partials(order), Partials(order),
                                                 Partials(order), Partials(order)} {
        }
        Polynomial p;
        std::map<const Signal*, Entry, ByRank> entries; ///< by signature, as p
        std::array<Partials, 8> partials;               ///< per sum: signature -> partial
        std::unordered_map<const Signal*, std::pair<std::uint32_t, std::uint32_t>>
            factor_signs;                      ///< terms with f^+, f^-
        std::unordered_set<double> magnitudes; ///< |coefficient| of the terms, but 1
    };

    void count_users(const std::vector<const Signal*>& nodes,
                     const std::vector<const Signal*>& outputs) {
        for (const Signal* s : outputs) {
            users_[s] += 2; // an output is never only a prefix
        }
        for (const Signal* s : nodes) {
            for (const Signal* k : s->kids) {
                if (++users_[k] == 1) {
                    user_[k] = s;
                }
            }
        }
    }

    /// s is used only as the left operand of a sum.
    bool is_prefix(const Signal* s) {
        if (!is_sum(s) || users_[s] != 1) {
            return false;
        }
        const Signal* u = user_[s];
        return is_sum(u) && u->kid(0) == s && u->kid(1) != s;
    }

    /// After s was normalised to n: keeps the chain of s when s is a prefix.
    void keep_chain(const Signal* s, const Signal* n) {
        std::unique_ptr<Chain> made = std::move(chain_);
        if (!is_prefix(s)) {
            last_sum_.reset();
            return;
        }
        if (made != nullptr && chain_tree_ == n) {
            chains_[s] = std::move(made); // made by normal_sum_chained for s
            last_sum_.reset();
            return;
        }
        if (last_sum_ == nullptr || last_sum_tree_ != n || last_sum_node_ != done_input_) {
            last_sum_.reset();
            return;
        }
        // made by normal_sum: the entries of its tree, looked up again (nothing is made)
        auto c = std::make_unique<Chain>(order_by_rank());
        c->p = std::move(*last_sum_);
        last_sum_.reset();
        for (const auto& [signature, m] : c->p) {
            if (!transparent(m) || !index(*c, m, false)) {
                return;
            }
        }
        std::size_t before = sc_.size();
        for (auto& [signature, m] : c->p) {
            c->entries.emplace(signature, Entry{});
        }
        const Signal* t = build(*c, c->p.begin()->first, {});
        if (sc_.size() != before || t != n) {
            return;
        }
        chains_[s] = std::move(c);
    }

    /// A term whose tree, flattened again, is itself.
    bool transparent(const Monomial& m) {
        if (is_zero(m.coef)) {
            return false;
        }
        bool unit = is_one(m.coef) || is_minus_one(m.coef);
        if (unit && !m.coef.is_int && !m.factors.empty()) {
            return false; // a real 1 is left out of the tree
        }
        for (const auto& [f, q] : m.factors) {
            if (order(f) == 0 || (unit && q < 0)) {
                return false; // a number in disguise; 1.0 / x
            }
        }
        // False when the tree is a sum.
        return !(unit && m.factors.size() == 1 && m.factors.begin()->second == 1 &&
                 is_sum(m.factors.begin()->first));
    }

    /// Adds m to the index of c; false when m has a common divisor with a
    /// term already there (when `check`).
    static bool index(Chain& c, const Monomial& m, bool check) {
        double mag = std::fabs(m.coef.value());
        bool counted = !(is_one(m.coef) || is_minus_one(m.coef) || std::isnan(mag));
        if (check) {
            if (counted && c.magnitudes.count(mag) != 0) {
                return false;
            }
            for (const auto& [f, q] : m.factors) {
                auto it = c.factor_signs.find(f);
                if (it != c.factor_signs.end() &&
                    (q > 0 ? it->second.first : it->second.second) != 0) {
                    return false;
                }
            }
        }
        if (counted) {
            c.magnitudes.insert(mag);
        }
        for (const auto& [f, q] : m.factors) {
            auto& n = c.factor_signs[f];
            (q > 0 ? n.first : n.second) += 1;
        }
        return true;
    }

    /// The trees and partial sums of the entries of c from `from` on (the new
    /// ones, and the partial sums after them in the sums they are in), made in
    /// the order tree(Polynomial) makes them; returns the tree of the sum.
    const Signal* build(Chain& c, const Signal* from,
                        const std::unordered_set<const Signal*>& fresh) {
        std::array<bool, 8> dirty{};
        bool all = fresh.empty();
        for (auto it = c.entries.find(from); it != c.entries.end(); ++it) {
            Entry& e = it->second;
            if (all || fresh.count(it->first) != 0) {
                const Monomial& m = c.p.at(it->first);
                bool negative = !(m.coef.value() >= 0);
                e.tree = tree(m, false, negative);
                e.sum = order(e.tree) * 2 + (negative ? 1 : 0);
                dirty[std::size_t(e.sum)] = true;
            }
            if (!dirty[std::size_t(e.sum)]) {
                continue;
            }
            auto& partials = c.partials[std::size_t(e.sum)];
            auto at = partials.lower_bound(it->first);
            const Signal* prev = at == partials.begin() ? sc_.make_int(0) : std::prev(at)->second;
            e.partial = add_in_order(prev, e.tree);
            partials[it->first] = e.partial;
        }
        const Signal* pos[4];
        const Signal* negs[4];
        for (int o = 0; o < 4; ++o) {
            pos[o] = negs[o] = sc_.make_int(0);
            if (!c.partials[std::size_t(o) * 2].empty()) {
                pos[o] = c.partials[std::size_t(o) * 2].rbegin()->second;
            }
            if (!c.partials[std::size_t(o) * 2 + 1].empty()) {
                negs[o] = c.partials[std::size_t(o) * 2 + 1].rbegin()->second;
            }
        }
        bool positive = true;
        const Signal* t = assemble(pos, negs, positive);
        return positive ? t : nullptr;
    }

    /// The normal form of r = (normal form of the prefix s) + e with the kept
    /// chain of s; null (and the chain dropped) when it cannot be used.
    const Signal* normal_sum_chained(const Signal* r, std::unique_ptr<Chain> c) {
        Polynomial& p = c->p;
        std::vector<const Signal*> added;
        adding_ = &added;
        bool alike = false;
        alike_ = &alike;
        try {
            add_tree(p, r->kid(1), r->prim() == PrimOp::Sub);
        } catch (const NoNormalForm&) {
            adding_ = nullptr;
            alike_ = nullptr;
            return nullptr;
        }
        adding_ = nullptr;
        alike_ = nullptr;
        if (alike || added.empty()) {
            return nullptr;
        }
        for (const Signal* signature : added) {
            const Monomial& m = p.at(signature);
            if (!transparent(m) || !index(*c, m, true)) {
                return nullptr;
            }
        }
        const Signal* from = added.front();
        for (const Signal* signature : added) {
            c->entries.emplace(signature, Entry{});
            if (ranks_.before(signature, from)) {
                from = signature;
            }
        }
        std::unordered_set<const Signal*> fresh(added.begin(), added.end());
        const Signal* t = nullptr;
        try {
            t = build(*c, from, fresh);
        } catch (const NoNormalForm&) {
            return nullptr;
        }
        if (t == nullptr) {
            return nullptr;
        }
        chain_ = std::move(c);
        chain_tree_ = t;
        return t;
    }

    void check(const Signal* s) {
        if (budget_ != nullptr) {
            diag::SourceRange own = sc_.program_origin(s);
            budget_->check(own.begin.file != 0 ? own : sc_.origin(s));
        }
    }

    // -------------------------------------------------------------- order, nature

    /// 0 numbers, 1 constants computed at init, 2 controls, 3 samples (the
    /// reference's signal order, which is not the variability: a select2 or a
    /// table read is 3 whatever its arguments).
    int order(const Signal* s) {
        if (auto it = order_.find(s); it != order_.end()) {
            return it->second;
        }
        auto max_of = [&](std::size_t from, std::size_t to, int floor) {
            int o = floor;
            for (std::size_t i = from; i < to && i < s->kids.size(); ++i) {
                o = std::max(o, order(s->kid(i)));
            }
            return o;
        };
        int o = 3;
        switch (s->kind) {
        case SigKind::Int:
        case SigKind::Real:
            o = 0;
            break;
        case SigKind::FConst:
            o = 1;
            break;
        case SigKind::SoundLength:
        case SigKind::SoundRate:
        case SigKind::FVar:
        case SigKind::Button:
        case SigKind::Checkbox:
        case SigKind::VSlider:
        case SigKind::HSlider:
        case SigKind::NEntry:
            o = 2;
            break;
        case SigKind::VBargraph:
        case SigKind::HBargraph:
            o = max_of(0, 1, 2);
            break;
        case SigKind::Bin:
        case SigKind::Math:
        case SigKind::IntCast:
        case SigKind::FloatCast:
        case SigKind::Enable:
        case SigKind::Control:
        case SigKind::AssertBounds:
        case SigKind::Lowest:
        case SigKind::Highest:
            o = max_of(0, s->kids.size(), 0);
            break;
        case SigKind::FFun:
            o = s->kids.empty() ? 3 : max_of(0, s->kids.size(), 1);
            break;
        case SigKind::Attach:
            o = max_of(0, 1, 1);
            break;
        default:
            o = 3;
            break;
        }
        order_[s] = o;
        return o;
    }

    Nature nature(const Signal* s) {
        if (auto it = nature_.find(s); it != nature_.end()) {
            return it->second;
        }
        auto all_int = [&] {
            for (const Signal* k : s->kids) {
                if (nature(k) != Nature::Int) {
                    return false;
                }
            }
            return true;
        };
        Nature n = types_.of(s).nature;
        switch (s->kind) {
        case SigKind::Int:
        case SigKind::IntCast:
            n = Nature::Int;
            break;
        case SigKind::Real:
        case SigKind::FloatCast:
            n = Nature::Real;
            break;
        case SigKind::Delay:
            n = nature(s->kid(0));
            break;
        case SigKind::Bin:
            switch (s->prim()) {
            case PrimOp::Div:
                n = Nature::Real;
                break;
            case PrimOp::Add:
            case PrimOp::Sub:
            case PrimOp::Mul:
            case PrimOp::Mod:
                n = all_int() ? Nature::Int : Nature::Real;
                break;
            default:
                n = Nature::Int;
                break;
            }
            break;
        case SigKind::Math:
            if (is_int_power(s)) {
                n = nature(s->kid(0)) == Nature::Int && s->kid(1)->ival > 0 ? Nature::Int
                                                                            : Nature::Real;
            }
            break;
        default:
            break;
        }
        nature_[s] = n;
        return n;
    }

    // -------------------------------------------------------------- one node

    /// s with the children given by `done`; a new node keeps the nature of s.
    const Signal* rebuild(const Signal* s, sig::Rewriter& done) {
        const Signal* r = done.with_new_kids(s);
        if (r != s && s->kind == SigKind::Proj) {
            ranks_.inherit(r, s); // the reference keeps the recursion's tree (and its projections)
        }
        if (!nature_.count(r)) {
            nature_[r] = nature(s);
        }
        return r;
    }

    const Signal* rewrite(const Signal* s) {
        const Signal* r = rebuild(s, done_);
        done_input_ = r;
        last_sum_.reset();
        chain_.reset();
        const Signal* n = nullptr;
        if (is_sum(s)) {
            if (auto it = chains_.find(s->kid(0)); it != chains_.end()) {
                std::unique_ptr<Chain> c = std::move(it->second);
                chains_.erase(it);
                if (!is_num(r->kid(0)) && !is_num(r->kid(1))) {
                    n = normal_sum_chained(r, std::move(c));
                }
            }
        }
        if (n == nullptr) {
            n = simplify(r);
        }
        if (nature(s) == Nature::Real && nature(n) == Nature::Int) {
            // `i * 1.0` is `i`: keep the node real, as its users expect it
            if (is_num(n)) {
                n = sc_.make_real(num_of(n).value());
            } else {
                const Signal* k[1] = {n};
                n = sc_.make(SigKind::FloatCast, k);
            }
        }
        // the normal form comes from where the node came from (the first origin wins)
        sc_.set_origin(n, sc_.origin(s));
        sc_.set_origin(n, sc_.program_origin(s));
        return n;
    }

    /// The int operands of a real `+ - *` or of a `/` made real, as the reference
    /// does before simplifying: an int sub-expression is then one factor, and
    /// its constants are reals (`(1 - 1') + x` keeps `float(1 - 1')`).
    const Signal* promote(const Signal* s) {
        if (!is_arith(s)) {
            return s;
        }
        const Signal* a = s->kid(0);
        const Signal* b = s->kid(1);
        bool real = s->prim() == PrimOp::Div || nature(a) != nature(b);
        if (!real) {
            return s;
        }
        auto to_real = [&](const Signal* x) {
            if (nature(x) == Nature::Real) {
                return x;
            }
            if (is_num(x)) {
                return sc_.make_real(num_of(x).value());
            }
            const Signal* k[1] = {x};
            return sc_.make(SigKind::FloatCast, k);
        };
        const Signal* pa = to_real(a);
        const Signal* pb = to_real(b);
        return pa == a && pb == b ? s : sc_.make_bin(s->prim(), pa, pb);
    }

    const Signal* simplify(const Signal* s) {
        if (const Signal* f = fold_constant(s, sc_)) {
            return f;
        }
        switch (s->kind) {
        case SigKind::Bin:
            return simplify_bin(s);
        case SigKind::Math:
            return s->prim() == PrimOp::Pow ? normal_sum(s) : s;
        case SigKind::Delay:
            if (s->kid(1)->kind == SigKind::Int) {
                return fixed_delay(s->kid(0), s->kid(1)->ival);
            }
            return s;
        case SigKind::Select2: {
            const Signal* sel = s->kid(0);
            if (is_num(sel)) {
                bool first = sel->kind == SigKind::Int ? sel->ival == 0
                                                       : static_cast<std::int64_t>(sel->rval) == 0;
                return first ? s->kid(1) : s->kid(2);
            }
            return s->kid(1) == s->kid(2) ? s->kid(1) : s;
        }
        default:
            return s;
        }
    }

    const Signal* simplify_bin(const Signal* s) {
        const Signal* a = s->kid(0);
        const Signal* b = s->kid(1);
        PrimOp op = s->prim();
        if (op == PrimOp::Sub && is_zero(a)) {
            return sc_.make_bin(PrimOp::Mul, sc_.make_int(-1), b);
        }
        if (!is_arith(s)) {
            return s;
        }
        // neutral and absorbing elements, left then right
        if ((op == PrimOp::Add && is_zero(a)) || (op == PrimOp::Mul && is_one(a))) {
            return b;
        }
        if ((op == PrimOp::Mul || op == PrimOp::Div) && is_zero(a)) {
            return a;
        }
        if (((op == PrimOp::Add || op == PrimOp::Sub) && is_zero(b)) ||
            ((op == PrimOp::Mul || op == PrimOp::Div) && is_one(b))) {
            return a;
        }
        if (op == PrimOp::Mul && is_zero(b)) {
            return b;
        }
        return normal_sum(s);
    }

    /// x@n with a constant n: through constant factors.
    const Signal* fixed_delay(const Signal* x, std::int32_t n) {
        if (n == 0 && x->kind != SigKind::Proj) {
            return x;
        }
        if (is_zero(x)) {
            return x;
        }
        if (is_bin(x, PrimOp::Mul)) {
            if (order(x->kid(0)) < 2) {
                return sc_.make_bin(PrimOp::Mul, x->kid(0), fixed_delay(x->kid(1), n));
            }
            if (order(x->kid(1)) < 2) {
                return sc_.make_bin(PrimOp::Mul, x->kid(1), fixed_delay(x->kid(0), n));
            }
        } else if (is_bin(x, PrimOp::Div)) {
            if (order(x->kid(1)) < 2) {
                return sc_.make_bin(PrimOp::Div, fixed_delay(x->kid(0), n), x->kid(1));
            }
        }
        // (x@m)@n is x@(m+n), as the reference merges it: one line (and the same
        // rounding downstream in single precision)
        if (x->kind == SigKind::Delay && x->kid(1)->kind == SigKind::Int && x->kid(1)->ival >= 0 &&
            std::int64_t(x->kid(1)->ival) + n <= std::int64_t(1) << 30) {
            return fixed_delay(x->kid(0), n + x->kid(1)->ival);
        }
        std::size_t next = sc_.size();
        const Signal* d = sc_.make_delay(x, sc_.make_int(n));
        if (!sc_.is_explicit_delay(d)) {
            ranks_.renew(d, next); // the reference's `x@n` is made now, from its `x'`
        }
        return d;
    }

    // -------------------------------------------------------------- monomials

    /// m *= t (or m /= t), going down through the products and quotients of t,
    /// left operand first.
    void multiply(Monomial& m, const Signal* t, bool divide) {
        std::vector<std::pair<const Signal*, bool>> stack{{t, divide}};
        while (!stack.empty()) {
            auto [x, div] = stack.back();
            stack.pop_back();
            if (is_num(x)) {
                if (!div) {
                    m.coef = mul(m.coef, num_of(x));
                } else if (is_zero(num_of(x))) {
                    throw NoNormalForm{};
                } else {
                    m.coef = div_exact(m.coef, num_of(x));
                }
            } else if (is_bin(x, PrimOp::Mul) || is_bin(x, PrimOp::Div)) {
                bool inverse = x->prim() == PrimOp::Div;
                stack.emplace_back(x->kid(1), inverse ? !div : div);
                stack.emplace_back(x->kid(0), div);
            } else if (is_int_power(x) && own_powers_.count(x)) {
                int q = x->kid(1)->ival;
                ranks_.key(x->kid(0));
                m.factors[x->kid(0)] += div ? -q : q;
            } else {
                ranks_.key(x);
                m.factors[x] += div ? -1 : 1;
            }
        }
    }

    static void cleanup(Monomial& m) {
        if (is_zero(m.coef)) {
            m.factors.clear();
            return;
        }
        for (auto it = m.factors.begin(); it != m.factors.end();) {
            it = it->second == 0 ? m.factors.erase(it) : std::next(it);
        }
    }

    /// m1 * m2 (sign = 1) or m1 / m2 (sign = -1).
    static Monomial combine(const Monomial& m1, const Monomial& m2, int sign) {
        Monomial r = m1;
        r.coef = sign > 0 ? mul(m1.coef, m2.coef) : div_exact(m1.coef, m2.coef);
        for (const auto& [f, q] : m2.factors) {
            r.factors[f] += sign * q;
        }
        cleanup(r);
        return r;
    }

    /// into += m (sign = 1) or into -= m (sign = -1), for monomials of one signature.
    static void accumulate(Monomial& into, const Monomial& m, int sign) {
        if (is_zero(m.coef)) {
            // nothing to add
        } else if (is_zero(into.coef)) {
            into.coef = sign > 0 ? m.coef : neg(m.coef);
            into.factors = m.factors;
        } else {
            into.coef = sign > 0 ? add(into.coef, m.coef) : sub(into.coef, m.coef);
        }
        cleanup(into);
    }

    int complexity(const Monomial& m) {
        int c = is_one(m.coef) || is_minus_one(m.coef) ? 0 : 1;
        for (const auto& [f, q] : m.factors) {
            c += (1 + order(f)) * std::abs(q);
        }
        return c;
    }

    static Monomial common_divisor(const Monomial& m1, const Monomial& m2) {
        Monomial r(m1.factors.key_comp());
        r.coef = same_magnitude(m1.coef, m2.coef) ? m1.coef : Num::of_int(1);
        for (const auto& [f, v1] : m1.factors) {
            auto it = m2.factors.find(f);
            if (it == m2.factors.end()) {
                continue;
            }
            int v2 = it->second;
            int c = v1 > 0 && v2 > 0 ? std::min(v1, v2) : v1 < 0 && v2 < 0 ? std::max(v1, v2) : 0;
            if (c != 0) {
                r.factors[f] = c;
            }
        }
        return r;
    }

    /// d divides m when every factor of d is in m with a power of the same sign,
    /// at least as large; a number divides the monomials of the same magnitude.
    static bool divides(const Monomial& d, const Monomial& m) {
        if (d.factors.empty()) {
            return same_magnitude(d.coef, m.coef);
        }
        for (const auto& [f, v] : d.factors) {
            auto it = m.factors.find(f);
            if (it == m.factors.end()) {
                return false;
            }
            if (v != 0 && it->second / v <= 0) {
                return false;
            }
        }
        return true;
    }

    const Signal* power(const Signal* f, int q) {
        if (q == 1) {
            return f;
        }
        const Signal* args[2] = {f, sc_.make_int(q)};
        const Signal* p = sc_.make_math(PrimOp::Pow, args);
        own_powers_.insert(p);
        return p;
    }
    const Signal* make_num(Num n) {
        return n.is_int ? sc_.make_int(n.i) : sc_.make_real(n.r);
    }

    /// The tree of a monomial: `((k * A1/B1) * A2/B2) * A3/B3`, Ai the factors of
    /// order i with positive powers, Bi those with negative ones. A signature
    /// leaves the coefficient out; `negated` builds the tree of -m.
    const Signal* tree(const Monomial& m, bool signature, bool negated) {
        if (m.factors.empty() || is_zero(m.coef)) {
            if (signature) {
                return sc_.make_int(1);
            }
            return make_num(negated ? neg(m.coef) : m.coef);
        }
        const Signal* num[4] = {};
        const Signal* den[4] = {};
        for (int o = 0; o < 4; ++o) {
            for (const auto& [f, q] : m.factors) {
                if (q == 0 || order(f) != o) {
                    continue;
                }
                const Signal*& side = q > 0 ? num[o] : den[o];
                const Signal* p = power(f, std::abs(q));
                side = side == nullptr ? p : sc_.make_bin(PrimOp::Mul, side, p);
            }
        }
        if (num[0] != nullptr || den[0] != nullptr) {
            throw NoNormalForm{}; // a factor that is a number in disguise
        }
        if (!signature) {
            Num k = negated ? neg(m.coef) : m.coef;
            num[0] = is_one(k) ? nullptr : make_num(k);
        }
        const Signal* r = nullptr;
        for (int o = 0; o < 4; ++o) {
            if (num[o] != nullptr && den[o] != nullptr) {
                const Signal* q = sc_.make_bin(PrimOp::Div, num[o], den[o]);
                r = r == nullptr ? q : sc_.make_bin(PrimOp::Mul, r, q);
            } else if (num[o] != nullptr) {
                r = r == nullptr ? num[o] : sc_.make_bin(PrimOp::Mul, r, num[o]);
            } else if (den[o] != nullptr) {
                r = sc_.make_bin(PrimOp::Div, r == nullptr ? sc_.make_real(1.0) : r, den[o]);
            }
        }
        return r == nullptr ? sc_.make_int(1) : r;
    }

    // -------------------------------------------------------------- polynomials

    void add_monomial(Polynomial& p, const Monomial& m, bool negate) {
        apply(p, tree(m, true, false), m, negate);
    }

    /// p += m (or p -= m) for a monomial whose signature is known.
    void apply(Polynomial& p, const Signal* signature, const Monomial& m, bool negate) {
        ranks_.key(signature);
        auto it = p.find(signature);
        if (adding_ != nullptr) {
            if (it == p.end()) {
                adding_->push_back(signature);
            } else {
                *alike_ = true;
            }
        }
        if (it == p.end()) {
            Monomial minus_one(order_by_rank());
            minus_one.coef = Num::of_int(-1);
            p.emplace(signature, negate ? combine(m, minus_one, 1) : m);
        } else {
            accumulate(it->second, m, negate ? -1 : 1);
        }
    }

    /// One step of the flattening of a sum: the monomial of a term, its
    /// signature and whether it is subtracted.
    struct Term {
        const Signal* signature;
        Monomial m;
        bool negate;
    };

    /// p += t (or p -= t), going down through the sums and differences of t,
    /// left operand first.
    ///
    /// The terms of a sum that is an operand of t are kept (flat_), and when
    /// that sum is met again they are added without going down through it
    /// again (the same steps on p, in the same order, so the same result): a
    /// chain of n sums (sum(i, n, E), a mix of n signals) has its n prefixes
    /// normalised one after the other, each the previous normal form with one
    /// more term, and each normal form is then gone through once, not n times.
    void add_tree(Polynomial& p, const Signal* t, bool negate) {
        struct Item {
            const Signal* x;
            bool negate;
            bool end; ///< the end of the terms of x (an operand of t being kept)
            std::size_t first_term = 0;
            std::size_t powers = 0;
        };
        std::vector<Term> terms; // the steps since the first operand being kept
        std::size_t keeping = 0; // operands of t being kept, still open
        std::vector<Item> stack{{t, negate, false}};
        while (!stack.empty()) {
            Item it = stack.back();
            stack.pop_back();
            const Signal* x = it.x;
            if (it.end) {
                --keeping;
                if (own_powers_.size() == it.powers) {
                    keep(x, it.negate, terms, it.first_term);
                }
                if (keeping == 0) {
                    terms.clear();
                }
                continue;
            }
            bool neg_x = it.negate;
            if (is_bin(x, PrimOp::Add) || is_bin(x, PrimOp::Sub)) {
                if (x != t) {
                    forget_if_stale();
                    if (auto found = flat_.find(x); found != flat_.end()) {
                        for (const Term& k : found->second) {
                            apply(p, k.signature, k.m, k.negate != neg_x);
                            if (keeping > 0) {
                                terms.push_back({k.signature, k.m, k.negate != neg_x});
                            }
                        }
                        continue;
                    }
                }
                if (x != t && is_operand_of(x, t)) {
                    // an operand of t: keep its terms when they are done
                    stack.push_back({x, neg_x, true, terms.size(), own_powers_.size()});
                    ++keeping;
                }
                bool minus = x->prim() == PrimOp::Sub;
                stack.push_back({x->kid(1), minus ? !neg_x : neg_x, false});
                stack.push_back({x->kid(0), neg_x, false});
            } else {
                Monomial m(order_by_rank());
                multiply(m, x, false);
                const Signal* signature = tree(m, true, false);
                apply(p, signature, m, neg_x);
                if (keeping > 0) {
                    terms.push_back({signature, std::move(m), neg_x});
                }
            }
        }
    }

    static bool is_operand_of(const Signal* x, const Signal* t) {
        return t->kids.size() == 2 && (t->kid(0) == x || t->kid(1) == x);
    }

    /// Keeps the terms of x (terms[from..], as x alone, not negated); only the
    /// last few sums are kept (the next prefix of a chain needs the last one).
    void keep(const Signal* x, bool negated, const std::vector<Term>& terms, std::size_t from) {
        forget_if_stale();
        if (flat_.count(x) != 0) {
            return;
        }
        std::vector<Term> mine(terms.begin() + std::ptrdiff_t(from), terms.end());
        if (negated) {
            for (Term& k : mine) {
                k.negate = !k.negate;
            }
        }
        if (flat_order_.size() >= max_flat) {
            flat_.erase(flat_order_.front());
            flat_order_.erase(flat_order_.begin());
        }
        flat_order_.push_back(x);
        flat_.emplace(x, std::move(mine));
    }
    static constexpr std::size_t max_flat = 8;

    /// A new power of this pass changes how a product splits (multiply): the
    /// terms kept before it are dropped.
    void forget_if_stale() {
        if (own_powers_.size() != flat_powers_) {
            flat_.clear();
            flat_order_.clear();
            flat_powers_ = own_powers_.size();
        }
    }

    const Signal* add_in_order(const Signal* a, const Signal* b) {
        if (is_num(a) && is_num(b)) {
            return make_num(add(num_of(a), num_of(b)));
        }
        if (is_zero(a)) {
            return b;
        }
        if (is_zero(b)) {
            return a;
        }
        ranks_.key(a);
        ranks_.key(b);
        return !ranks_.before(b, a) ? sc_.make_bin(PrimOp::Add, a, b)
                                    : sc_.make_bin(PrimOp::Add, b, a);
    }

    /// (positive?, value) of (p1 ? v1 : -v1) + (p2 ? v2 : -v2).
    std::pair<bool, const Signal*> add_signed(bool p1, const Signal* v1, bool p2,
                                              const Signal* v2) {
        if (is_zero(v1)) {
            return {p2, v2};
        }
        if (is_zero(v2)) {
            return {p1, v1};
        }
        if (p1 && p2) {
            return {true, sc_.make_bin(PrimOp::Add, v1, v2)};
        }
        if (p1) {
            return {true, sc_.make_bin(PrimOp::Sub, v1, v2)};
        }
        if (p2) {
            return {true, sc_.make_bin(PrimOp::Sub, v2, v1)};
        }
        return {false, sc_.make_bin(PrimOp::Add, v1, v2)};
    }

    /// The tree of a sum: the positive and the negated negative monomials summed
    /// per order, then `P1 + ((P2 + ((P3 + (k - N3)) - N2)) - N1)`.
    const Signal* tree(const Polynomial& p) {
        const Signal* pos[4];
        const Signal* negs[4];
        for (int o = 0; o < 4; ++o) {
            pos[o] = negs[o] = sc_.make_int(0);
        }
        for (const auto& [signature, m] : p) {
            bool negative = !(m.coef.value() >= 0);
            const Signal* t = tree(m, false, negative);
            int o = order(t);
            (negative ? negs[o] : pos[o]) = add_in_order(negative ? negs[o] : pos[o], t);
        }
        bool positive = true;
        return assemble(pos, negs, positive);
    }

    /// `P1 + ((P2 + ((P3 + (k - N3)) - N2)) - N1)` from the sums of each order;
    /// `positive` false when it is negated as a whole.
    const Signal* assemble(const Signal* const* pos, const Signal* const* negs, bool& positive) {
        if (!is_num(pos[0]) || !is_num(negs[0])) {
            throw NoNormalForm{};
        }
        const Signal* sum = make_num(sub(num_of(pos[0]), num_of(negs[0])));
        positive = true;
        for (int o = 3; o > 0; --o) {
            std::tie(positive, sum) = add_signed(false, negs[o], positive, sum);
            std::tie(positive, sum) = add_signed(true, pos[o], positive, sum);
        }
        return positive ? sum : sc_.make_bin(PrimOp::Sub, sc_.make_int(0), sum);
    }

    /// The common divisor of two monomials of p with the largest complexity
    /// (the first pair found wins ties, pairs taken in the order of p: (0,1),
    /// (0,2) ... (1,2) ...).
    ///
    /// Only the pairs that share a factor can have a divisor with factors; the
    /// others can only share their coefficient (complexity 1 when it is not
    /// +-1). So the pairs sharing a factor are found through an index of the
    /// monomials by factor, and the first pair of equal coefficients through an
    /// index by magnitude: the cost is that of the pairs that share something,
    /// not n^2 (a mix of 1000 controls is a sum of 1000 unrelated monomials).
    Monomial greatest_divisor(const Polynomial& p) {
        std::vector<const Monomial*> ms;
        ms.reserve(p.size());
        for (const auto& [signature, m] : p) {
            ms.push_back(&m);
        }
        // (factor, position) for every factor of every monomial, grouped by factor
        std::vector<std::pair<std::uint32_t, std::uint32_t>> occurrences;
        for (std::uint32_t i = 0; i < ms.size(); ++i) {
            for (const auto& [f, q] : ms[i]->factors) {
                occurrences.emplace_back(f->id, i);
            }
        }
        std::sort(occurrences.begin(), occurrences.end());
        // the pairs of monomials that share a factor, each once, in order
        std::vector<std::pair<std::uint32_t, std::uint32_t>> candidates;
        for (std::size_t a = 0; a < occurrences.size();) {
            std::size_t b = a;
            while (b < occurrences.size() && occurrences[b].first == occurrences[a].first) {
                ++b;
            }
            for (std::size_t x = a; x < b; ++x) {
                for (std::size_t y = x + 1; y < b; ++y) {
                    candidates.emplace_back(occurrences[x].second, occurrences[y].second);
                }
            }
            a = b;
        }
        std::sort(candidates.begin(), candidates.end());
        candidates.erase(std::unique(candidates.begin(), candidates.end()), candidates.end());
        int best = 0;
        std::pair<std::uint32_t, std::uint32_t> best_pair{0, 0};
        auto consider = [&](std::uint32_t i, std::uint32_t j, int c) {
            if (c > best || (c == best && c > 0 && std::pair(i, j) < best_pair)) {
                best = c;
                best_pair = {i, j};
            }
        };
        for (auto [i, j] : candidates) {
            consider(i, j, complexity(common_divisor(*ms[i], *ms[j])));
        }
        // pairs of the same coefficient magnitude (not 1): complexity at least 1
        if (best <= 1) {
            std::map<double, std::uint32_t> first_of;
            for (std::uint32_t j = 0; j < ms.size(); ++j) {
                Num c = ms[j]->coef;
                double key = std::fabs(c.value());
                if (is_one(c) || is_minus_one(c) || std::isnan(key)) {
                    continue;
                }
                auto [it, fresh] = first_of.try_emplace(key, j);
                if (!fresh) {
                    // (first, j) is the first pair of this magnitude ending at j;
                    // the first pair overall has the smallest first, then j
                    std::uint32_t i = it->second;
                    consider(i, j, complexity(common_divisor(*ms[i], *ms[j])));
                }
            }
        }
        if (best == 0) {
            return Monomial(order_by_rank());
        }
        return common_divisor(*ms[best_pair.first], *ms[best_pair.second]);
    }

    /// p with the monomials that d divides replaced by d * (their sum / d).
    Polynomial factorize(const Polynomial& p, const Monomial& d) {
        Polynomial rest(order_by_rank()), quotient(order_by_rank());
        for (const auto& [signature, m] : p) {
            if (divides(d, m)) {
                add_monomial(quotient, combine(m, d, -1), false);
            } else {
                add_monomial(rest, m, false);
            }
        }
        add_tree(rest, sc_.make_bin(PrimOp::Mul, tree(d, false, false), tree(quotient)), false);
        return rest;
    }

    /// The normal form of an arithmetic tree (a sum of products).
    const Signal* normal_sum(const Signal* s) {
        try {
            last_sum_.reset();
            Polynomial p(order_by_rank());
            add_tree(p, s, false);
            Monomial d = greatest_divisor(p);
            bool factorised = false;
            for (int i = 0; i < max_factorisations && !is_zero(d.coef) && complexity(d) > 0; ++i) {
                p = factorize(p, d);
                d = greatest_divisor(p);
                factorised = true;
            }
            const Signal* t = tree(p);
            if (!factorised && !p.empty() && s == done_input_) {
                last_sum_ = std::make_unique<Polynomial>(std::move(p));
                last_sum_node_ = s;
                last_sum_tree_ = t;
            }
            return t;
        } catch (const NoNormalForm&) {
            return s;
        }
    }

    ByRank order_by_rank() const {
        return ByRank{&ranks_};
    }

    sig::SignalContext& sc_;
    Budget* budget_;
    const TypeTable& types_; ///< of the signals before normalisation (the "type" pass)
    Ranks ranks_;
    sig::Rewriter promoted_; ///< the casts pass
    sig::Rewriter done_;     ///< the normal form
    std::unordered_map<const Signal*, int> order_;
    std::unordered_map<const Signal*, Nature> nature_;
    /// The powers this pass made of repeated factors (x * x is x^2). A power the
    /// program wrote is one factor: the reference gives it a real exponent, so
    /// `pow(x, 3) / x` stays as it is.
    std::unordered_set<const Signal*> own_powers_;
    std::unordered_map<const Signal*, std::vector<Term>> flat_;
    // chains of sums
    std::unordered_map<const Signal*, std::uint32_t> users_;
    std::unordered_map<const Signal*, const Signal*> user_;
    const Signal* done_input_ = nullptr; ///< the node rewrite is normalising (children done)
    std::unique_ptr<Polynomial>
        last_sum_; ///< the polynomial of normal_sum(done_input_), not factorised
    const Signal* last_sum_node_ = nullptr;
    const Signal* last_sum_tree_ = nullptr;
    std::unordered_map<const Signal*, std::unique_ptr<Chain>> chains_; ///< kept, by prefix
    std::unique_ptr<Chain> chain_; ///< made by normal_sum_chained for the node being rewritten
    const Signal* chain_tree_ = nullptr;           ///< its tree
    std::vector<const Signal*>* adding_ = nullptr; ///< new signatures, while a chain is extended
    bool* alike_ = nullptr;
    std::vector<const Signal*> flat_order_;
    std::size_t flat_powers_ = 0;
};

} // namespace

std::vector<const Signal*> normalize(std::span<const Signal* const> outputs, sig::SignalContext& sc,
                                     const TypeTable& types, Budget* budget) {
    return Normalizer(sc, types, budget).run(outputs);
}

} // namespace tutti::passes
