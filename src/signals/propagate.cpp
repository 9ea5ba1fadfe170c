// SPDX-License-Identifier: MIT
#include "signals/propagate.h"

#include <span>
#include <unordered_map>

#include "signals/same_recursions.h"
#include "support/budget.h"
#include "support/stack_limit.h"

namespace tutti::sig {

using ast::PrimOp;
using boxes::Box;
using boxes::BoxKind;

namespace {

struct Unsupported {
    std::string what;
    const Box* box;
    bool too_deep = false;
    bool internal = false;
};

/// The signals on the inputs of a box: a view into its caller's list (a chain
/// of n compositions over n signals copies nothing).
using Signals = std::span<const Signal* const>;

struct SlotEnv {
    std::int32_t slot;
    const Signal* value;
    const SlotEnv* next;
};

class Propagator {
public:
    Propagator(SignalContext& sc, std::uint32_t max_depth, const boxes::BoxContext* bc,
               Budget* budget)
        : sc_(sc), max_depth_(max_depth), bc_(bc), budget_(budget) {
    }

    std::vector<const Signal*> run(const Box* b, Symbol path, const SlotEnv* env, Signals in) {
        if (++depth_ > max_depth_ || stack_.exhausted()) {
            throw Unsupported{stack_.exhausted()
                                  ? "out of stack space at " + std::to_string(depth_) + " levels"
                                  : "the limit is " + std::to_string(max_depth_) + " levels",
                              b, true};
        }
        struct Leave {
            std::uint32_t& d;
            ~Leave() {
                --d;
            }
        } leave{depth_};
        if (budget_ != nullptr) {
            budget_->check(origin(b));
        }

        bool memo = memoised(b, in.size());
        Key key{b, path.key(), env,
                memo ? std::vector<const Signal*>(in.begin(), in.end())
                     : std::vector<const Signal*>{}};
        if (memo) {
            if (auto it = memo_.find(key); it != memo_.end()) {
                return it->second;
            }
        }
        std::vector<const Signal*> out = compute(b, path, env, in);
        if (bc_ != nullptr) {
            diag::SourceRange r = bc_->origin(b);
            for (const Signal* s : out) {
                sc_.set_origin(s, r); // inner diagrams ran first: the most precise origin wins
            }
        }
        if (memo) {
            memo_.emplace(std::move(key), out);
        }
        return out;
    }

private:
    diag::SourceRange origin(const Box* b) const {
        return bc_ != nullptr ? bc_->origin(b) : diag::SourceRange{};
    }

    /// Which results are kept. A recursion (it makes a fresh group) and an
    /// abstraction used as a box (it makes a fresh slot binding) must give the
    /// same signals when met again with the same inputs: always kept. Anything
    /// else gives the same hash-consed signals when computed again, so keeping
    /// it only saves time: compositions over few signals are kept (a diagram
    /// that duplicates a sub-diagram computes it once), wide ones are not (a
    /// chain of n compositions over n signals, as par(i, n, _) or sum(i, n, E),
    /// would keep n^2 signals).
    static bool memoised(const Box* b, std::size_t inputs) {
        switch (b->kind) {
        case BoxKind::Rec:
        case BoxKind::Symbolic:
            return true;
        case BoxKind::Seq:
        case BoxKind::Par:
        case BoxKind::Split:
        case BoxKind::Merge:
        case BoxKind::VGroup:
        case BoxKind::HGroup:
        case BoxKind::TGroup:
            return inputs + b->outputs <= max_memoised_width;
        default:
            return false; // leaves: computing them again is as cheap as looking them up
        }
    }
    static constexpr std::size_t max_memoised_width = 64;

    /// A chain of parallel compositions a,(b,(c,...)) (par(i, n, E) builds one):
    /// the operands run one after the other, without recursing down the chain.
    /// The inner compositions of the chain give their outputs their origin as
    /// if each had run on its own (deepest first, the first origin set wins).
    std::vector<const Signal*> par_chain(const Box* b, Symbol path, const SlotEnv* env,
                                         Signals in) {
        std::vector<const Box*> levels{b};
        for (const Box* x = b->kid(1); x->kind == BoxKind::Par && !memoised(x, x->inputs);
             x = x->kid(1)) {
            levels.push_back(x);
        }
        std::vector<const Signal*> out;
        std::vector<std::size_t> leaf_end; // out.size() after each operand
        std::size_t pos = 0;
        for (std::size_t k = 0; k <= levels.size(); ++k) {
            bool last = k == levels.size();
            const Box* leaf = last ? levels.back()->kid(1) : levels[k]->kid(0);
            std::size_t n =
                last ? in.size() - pos : std::min<std::size_t>(leaf->inputs, in.size() - pos);
            Signals li = in.subspan(pos, n);
            pos += n;
            std::vector<const Signal*> lo = run(leaf, path, env, li);
            out.insert(out.end(), lo.begin(), lo.end());
            leaf_end.push_back(out.size());
        }
        if (bc_ != nullptr && levels.size() > 1) {
            // operand k is under the inner levels 1..min(k, L-1): the first origin
            // set on its outputs is that of the deepest of them that has one,
            // and likewise for an origin in the program's file
            std::size_t L = levels.size();
            std::vector<diag::SourceRange> any(L), own(L);
            for (std::size_t j = 1; j < L; ++j) {
                diag::SourceRange r = bc_->origin(levels[j]);
                any[j] = r.begin.file != 0 ? r : any[j - 1];
                own[j] = r.begin.file != 0 && r.begin.file == sc_.program_file() ? r : own[j - 1];
            }
            for (std::size_t k = L + 1; k-- > 1;) {
                std::size_t j = std::min(k, L - 1);
                for (std::size_t i = leaf_end[k - 1]; i < leaf_end[k]; ++i) {
                    sc_.set_origin(out[i], any[j]);
                    sc_.set_origin(out[i], own[j]);
                }
            }
        }
        return out;
    }

    struct Key {
        const Box* box;
        const void* path;
        const SlotEnv* env;
        std::vector<const Signal*> in;
        bool operator==(const Key& o) const {
            return box == o.box && path == o.path && env == o.env && in == o.in;
        }
    };
    struct KeyHash {
        std::size_t operator()(const Key& k) const {
            std::size_t h = std::hash<const void*>()(k.box) ^
                            (std::hash<const void*>()(k.path) << 1) ^
                            (std::hash<const void*>()(k.env) << 2);
            for (const Signal* s : k.in) {
                h = h * 1000003u ^ s->id;
            }
            return h;
        }
    };

    std::vector<const Signal*> compute(const Box* b, Symbol path, const SlotEnv* env, Signals in) {
        switch (b->kind) {
        case BoxKind::Int:
            return {sc_.make_int(b->ival)};
        case BoxKind::Real:
            return {sc_.make_real(b->rval)};
        case BoxKind::Wire:
            return {in[0]};
        case BoxKind::Cut:
            return {};
        case BoxKind::Prim:
            return {prim(b, in)};
        case BoxKind::FFun:
            return {sc_.make_ffun(b->ffun, in)};
        case BoxKind::FConst:
            return {sc_.make_fconst(SigKind::FConst, static_cast<ast::ValueType>(b->op), b->label,
                                    b->text)};
        case BoxKind::FVar:
            return {sc_.make_fconst(SigKind::FVar, static_cast<ast::ValueType>(b->op), b->label,
                                    b->text)};
        case BoxKind::Seq:
            return run(b->kid(1), path, env, run(b->kid(0), path, env, in));
        case BoxKind::Par:
            return par_chain(b, path, env, in);
        case BoxKind::Split: {
            std::vector<const Signal*> a = run(b->kid(0), path, env, in);
            std::vector<const Signal*> ib;
            for (std::uint32_t k = 0; k < b->kid(1)->inputs; ++k) {
                ib.push_back(a.empty() ? sc_.make_int(0) : a[k % a.size()]);
            }
            return run(b->kid(1), path, env, ib);
        }
        case BoxKind::Merge: {
            std::vector<const Signal*> a = run(b->kid(0), path, env, in);
            std::uint32_t m = b->kid(1)->inputs;
            std::vector<const Signal*> ib;
            for (std::uint32_t k = 0; k < m; ++k) {
                const Signal* t = k < a.size() ? a[k] : sc_.make_int(0);
                for (std::size_t i = k + m; i < a.size(); i += m) {
                    t = sc_.make_bin(PrimOp::Add, t, a[i]);
                }
                ib.push_back(t);
            }
            return run(b->kid(1), path, env, ib);
        }
        case BoxKind::Rec:
            return recursion(b, path, env, in);
        case BoxKind::Button:
        case BoxKind::Checkbox:
            return {
                sc_.make_widget(b->kind == BoxKind::Button ? SigKind::Button : SigKind::Checkbox,
                                widget_path(path, b->label), {})};
        case BoxKind::VSlider:
        case BoxKind::HSlider:
        case BoxKind::NEntry: {
            SigKind k = b->kind == BoxKind::VSlider   ? SigKind::VSlider
                        : b->kind == BoxKind::HSlider ? SigKind::HSlider
                                                      : SigKind::NEntry;
            return {sc_.make_widget(k, widget_path(path, b->label), b->nums)};
        }
        case BoxKind::VBargraph:
        case BoxKind::HBargraph:
            return {sc_.make_widget(b->kind == BoxKind::VBargraph ? SigKind::VBargraph
                                                                  : SigKind::HBargraph,
                                    widget_path(path, b->label), b->nums, in[0])};
        case BoxKind::VGroup:
        case BoxKind::HGroup:
        case BoxKind::TGroup: {
            char kind = b->kind == BoxKind::VGroup ? 'v' : b->kind == BoxKind::HGroup ? 'h' : 't';
            Symbol p = sc_.interner().intern(resolve_label_path(path.str(), b->label.str(), kind));
            return run(b->kid(0), p, env, in);
        }
        case BoxKind::Soundfile:
            return soundfile(b, path, in);
        case BoxKind::Waveform: {
            std::vector<const Signal*> values;
            for (const Box* v : b->kids) {
                values.push_back(v->kind == BoxKind::Int ? sc_.make_int(v->ival)
                                                         : sc_.make_real(v->rval));
            }
            return {sc_.make_int(static_cast<std::int32_t>(values.size())),
                    sc_.make(SigKind::Waveform, values)};
        }
        case BoxKind::Route: {
            std::int32_t outs = static_cast<std::int32_t>(b->rval);
            std::vector<const Signal*> out(static_cast<std::size_t>(outs), nullptr);
            for (std::size_t i = 0; i + 1 < b->nums.size(); i += 2) {
                auto from = static_cast<std::int64_t>(b->nums[i]) - 1;
                auto to = static_cast<std::int64_t>(b->nums[i + 1]) - 1;
                if (from < 0 || to < 0 || from >= std::int64_t(in.size()) || to >= outs) {
                    continue;
                }
                const Signal* s = in[std::size_t(from)];
                out[std::size_t(to)] =
                    out[std::size_t(to)] ? sc_.make_bin(PrimOp::Add, out[std::size_t(to)], s) : s;
            }
            for (auto& s : out) {
                if (s == nullptr) {
                    s = sc_.make_int(0);
                }
            }
            return out;
        }
        case BoxKind::Slot:
            for (const SlotEnv* e = env; e != nullptr; e = e->next) {
                if (e->slot == b->ival) {
                    return {e->value};
                }
            }
            throw Unsupported{"unbound slot", b, false, true};
        case BoxKind::Symbolic: {
            auto* e = arena_.make<SlotEnv>(SlotEnv{b->kid(0)->ival, in[0], env});
            return run(b->kid(1), path, e, in.subspan(1));
        }
        case BoxKind::Count:
            break;
        }
        throw Unsupported{"unknown box", b, false, true};
    }

    /// soundfile(label, n): (part, index) -> length, rate, n channels, as the
    /// reference builds them: the read index is int(max(0, min(index, length - 1))).
    std::vector<const Signal*> soundfile(const Box* b, Symbol path, Signals in) {
        const Signal* sf = sc_.make_soundfile(widget_path(path, b->label), b->ival);
        const Signal* part = in[0];
        const Signal* length_kids[2] = {sf, part};
        const Signal* length = sc_.make(SigKind::SoundLength, length_kids);
        std::vector<const Signal*> out{length, sc_.make(SigKind::SoundRate, length_kids)};
        const Signal* last = sc_.make_bin(PrimOp::Sub, length, sc_.make_int(1));
        const Signal* lo_args[2] = {in[1], last};
        const Signal* hi_args[2] = {sc_.make_int(0), sc_.make_math(PrimOp::Min, lo_args)};
        const Signal* idx = sc_.make_math(PrimOp::Max, hi_args);
        for (std::int32_t c = 0; c < b->ival; ++c) {
            const Signal* kids[4] = {sf, sc_.make_int(c), part, idx};
            out.push_back(sc_.make(SigKind::SoundBuffer, kids));
        }
        return out;
    }

    Symbol widget_path(Symbol path, Symbol label) {
        return sc_.interner().intern(resolve_label_path(path.str(), label.str(), 0));
    }

    const Signal* prim(const Box* b, Signals in) {
        PrimOp op = b->prim();
        switch (op) {
        case PrimOp::Add:
        case PrimOp::Sub:
        case PrimOp::Mul:
        case PrimOp::Div:
        case PrimOp::Mod:
        case PrimOp::And:
        case PrimOp::Or:
        case PrimOp::Xor:
        case PrimOp::Lsh:
        case PrimOp::Rsh:
        case PrimOp::Lt:
        case PrimOp::Le:
        case PrimOp::Gt:
        case PrimOp::Ge:
        case PrimOp::Eq:
        case PrimOp::Ne:
            return sc_.make_bin(op, in[0], in[1]);
        case PrimOp::Delay: {
            const Signal* d = sc_.make_delay(in[0], in[1]);
            if (in[1]->kind == SigKind::Int) {
                sc_.mark_explicit_delay(d);
            }
            return d;
        }
        case PrimOp::Mem:
            return sc_.make_delay1(in[0]);
        case PrimOp::Prefix:
            return sc_.make(SigKind::Prefix, in);
        case PrimOp::IntCast:
            return sc_.make(SigKind::IntCast, in);
        case PrimOp::FloatCast:
            return sc_.make(SigKind::FloatCast, in);
        case PrimOp::Rdtable:
            return sc_.make(SigKind::Rdtable, in);
        case PrimOp::Rwtable:
            return sc_.make(SigKind::Rwtable, in);
        case PrimOp::Select2:
            return sc_.make(SigKind::Select2, in);
        case PrimOp::Select3: {
            // select3(s, x0, x1, x2) = select2(s == 0, select2(s == 1, x2, x1), x0)
            const Signal* s = in[0];
            const Signal* inner_kids[3] = {sc_.make_bin(PrimOp::Eq, s, sc_.make_int(1)), in[3],
                                           in[2]};
            const Signal* inner = sc_.make(SigKind::Select2, inner_kids);
            const Signal* outer_kids[3] = {sc_.make_bin(PrimOp::Eq, s, sc_.make_int(0)), inner,
                                           in[1]};
            return sc_.make(SigKind::Select2, outer_kids);
        }
        case PrimOp::Attach:
            return sc_.make(SigKind::Attach, in);
        case PrimOp::Enable:
            return sc_.make(SigKind::Enable, in);
        case PrimOp::Control:
            return sc_.make(SigKind::Control, in);
        case PrimOp::Assertbounds:
            return sc_.make(SigKind::AssertBounds, in);
        case PrimOp::Lowest:
            return sc_.make(SigKind::Lowest, in);
        case PrimOp::Highest:
            return sc_.make(SigKind::Highest, in);
        default:
            return sc_.make_math(op, in); // sin ... pow, atan2, fmod, remainder, min, max, abs
        }
    }

    std::vector<const Signal*> recursion(const Box* b, Symbol path, const SlotEnv* env,
                                         Signals in) {
        const Box* a = b->kid(0);
        const Box* fb = b->kid(1);
        std::int32_t id = sc_.fresh_group();
        const Signal* var = sc_.make_recvar(id);
        std::vector<const Signal*> l0;
        diag::SourceRange where = bc_ != nullptr ? bc_->origin(b) : diag::SourceRange{};
        for (std::uint32_t i = 0; i < fb->inputs; ++i) {
            const Signal* feedback = sc_.make_proj(std::int32_t(i), var);
            sc_.set_origin(feedback, where);
            l0.push_back(sc_.make_delay1(feedback));
            sc_.set_origin(l0.back(), where);
        }
        std::vector<const Signal*> l1 = run(fb, path, env, l0);
        l1.insert(l1.end(), in.begin(), in.end());
        std::vector<const Signal*> bodies = run(a, path, env, l1);
        // a recursion equal to one made before is that one (as in the reference,
        // where recursions are hash-consed trees)
        const Signal* group = same_recursions_.canonical(sc_.make_recgroup(id, bodies));
        std::vector<const Signal*> out;
        for (std::size_t i = 0; i < bodies.size(); ++i) {
            out.push_back(sc_.make_proj(std::int32_t(i), group));
        }
        return out;
    }

    SignalContext& sc_;
    std::uint32_t max_depth_;
    const boxes::BoxContext* bc_;
    Budget* budget_;
    StackLimit stack_;
    std::uint32_t depth_ = 0;
    Arena arena_;
    std::unordered_map<Key, std::vector<const Signal*>, KeyHash> memo_;
    SameRecursions same_recursions_;
};

} // namespace

PropagateResult propagate_process(const boxes::Box* process, SignalContext& signals,
                                  std::uint32_t max_depth, const boxes::BoxContext* boxes,
                                  Budget* budget) {
    PropagateResult r;
    std::vector<const Signal*> in;
    for (std::uint32_t i = 0; i < process->inputs; ++i) {
        in.push_back(signals.make_input(std::int32_t(i)));
    }
    try {
        Propagator p(signals, max_depth, boxes, budget);
        r.outputs = p.run(process, Symbol(), nullptr, in);
    } catch (const Unsupported& u) {
        r.error = u.what;
        r.error_box = u.box;
        r.too_deep = u.too_deep;
        r.internal = u.internal;
        r.outputs.clear();
    }
    return r;
}

} // namespace tutti::sig
