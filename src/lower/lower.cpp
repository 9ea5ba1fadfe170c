// SPDX-License-Identifier: MIT
#include "lower/lower.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <tuple>
#include <unordered_map>
#include <unordered_set>

#include "ir/builder.h"
#include "ir/math_functions.h"
#include "ir/sound_data.h"
#include "lower/c_constants.h"
#include "lower/conditions.h"
#include "lower/state_identity.h"
#include "passes/infer_intervals.h"
#include "passes/infer_types.h"
#include "support/stack_limit.h"

namespace tutti::lower {

using ast::PrimOp;
using ir::Expr;
using ir::Op;
using ir::Stmt;
using ir::Type;
using passes::Nature;
using passes::Variability;
using sig::SigKind;
using sig::Signal;

namespace {

struct LowerError {
    std::string what;
    const Signal* at;
    LowerErrorKind kind = LowerErrorKind::Internal;
    std::string detail = {};
};

/// Below this maximum delay a line is a shifted array (Faust's -mcd 16).
constexpr std::uint32_t max_copy_delay = 16;
/// Delay lines and tables larger than this are refused (2^24 samples).
constexpr std::uint32_t max_line = 1u << 24;
constexpr std::uint64_t max_state_bytes = std::uint64_t(1) << 30;

std::uint32_t pow2_above(std::uint32_t n) {
    std::uint32_t p = 1;
    while (p < n) {
        p <<= 1;
    }
    return p;
}

/// Where a sample-rate computation runs: the frames of compute(), or the loop
/// that fills a table at init (with its own state).
struct SampleCtx {
    ir::Function* fn = nullptr;
    bool is_table = false;
    std::vector<const Stmt*> body;
    std::vector<const Stmt*> post;
    std::unordered_map<const Signal*, const Expr*> memo;
    struct Line {
        std::uint32_t field = 0;
        std::uint32_t size = 0;
        bool ring = false;
        bool written = false;
        const Guard* guard = nullptr; // written (and shifted) only under this condition
    };
    std::unordered_map<const Guard*, const Expr*>
        guard_conds; // each guard's condition, computed once
    std::unordered_map<const Signal*, std::uint32_t> max_delay; // line source -> max delay
    std::unordered_map<const Signal*, std::pair<diag::SourceRange, diag::SourceRange>>
        origins; // where delayed
    std::unordered_map<const Signal*, Line> lines;
    std::vector<const Signal*> line_order; // deterministic
    std::map<int, const Signal*> groups;   // recursion groups reached
    std::unordered_set<int> forced, forcing;
    std::int64_t iota = -1;
    std::vector<std::uint32_t> state_fields; // to clear
};

class Lowerer {
public:
    Lowerer(sig::SignalContext& sc, passes::TypeTable types, passes::IntervalTable intervals,
            bool dbl, Budget* budget)
        : sc_(sc), budget_(budget), types_(std::move(types)), intervals_(std::move(intervals)) {
        m_ = std::make_unique<ir::Module>();
        m_->real = dbl ? Type::F64 : Type::F32;
        b_ = std::make_unique<ir::Builder>(*m_);
    }

    LowerResult run(std::span<const Signal* const> outputs, std::uint32_t num_inputs) {
        LowerResult r;
        m_->num_inputs = num_inputs;
        m_->num_outputs = static_cast<std::uint32_t>(outputs.size());
        ids_ = std::make_unique<StateIdentities>(outputs, sc_);
        conds_ = std::make_unique<Conditions>(outputs, sc_);

        register_controls_in_order(outputs);
        SampleCtx main;
        main.fn = &m_->compute;
        prepass(main, outputs);
        std::vector<const Expr*> outs;
        for (const Signal* o : outputs) {
            outs.push_back(as_real(gen(o, main)));
        }
        for (std::size_t i = 0; i < outs.size(); ++i) {
            main.body.push_back(b_->set_output(std::uint32_t(i), outs[i]));
        }
        finish_frame(main);
        std::vector<const Stmt*> frame = main.body;
        frame.insert(frame.end(), main.post.begin(), main.post.end());
        m_->compute.body = block_;
        m_->compute.body.push_back(b_->frame_loop(frame));
        m_->init_constants.body = init_;
        for (std::uint32_t f : main.state_fields) {
            append_clear(m_->clear_state, f);
        }
        std::uint64_t bytes = 0;
        for (const ir::Field& f : m_->fields) {
            bytes += std::uint64_t(ir::type_size(f.type)) * f.count;
        }
        if (bytes > max_state_bytes) {
            // Each line and table is bounded (max_line), their number is not: the total
            // must fit the 32-bit offsets of the layout.
            throw LowerError{"the state of the program is too large: " + std::to_string(bytes) +
                                 " bytes of delay lines, tables and variables (at most " +
                                 std::to_string(max_state_bytes) + ")",
                             nullptr, LowerErrorKind::StateTooLarge};
        }
        ir::layout(*m_);
        r.module = std::move(m_);
        r.controls = std::move(controls_);
        r.sounds = std::move(sounds_);
        r.foreign_signals = std::move(foreign_origins_);
        return r;
    }

private:
    // ------------------------------------------------------------------ helpers
    Type type_of(const Signal* s) const {
        return types_.of(s).nature == Nature::Int ? Type::I32 : m_->real;
    }
    Variability var_of(const Signal* s) const {
        return types_.of(s).var;
    }
    const Expr* as_real(const Expr* e) {
        return e->type == Type::I32 ? b_->to_real(e, m_->real) : e;
    }
    const Expr* as_int(const Expr* e) {
        return e->type == Type::I32 ? e : b_->unary(Op::FtoI, e);
    }
    const Expr* as_type(const Expr* e, Type t) {
        return t == Type::I32 ? as_int(e) : as_real(e);
    }
    /// The call of an `ffunction` named `name`, its arguments `args` converted to
    /// the types it is declared with. A function of the C math library is called
    /// as the reference's C++ calls it (fuzz finding
    /// ffunction-declared-types-differ-from-c: the declared types made invalid IR
    /// when they were not the C ones): a Faust math primitive as the overloaded
    /// std::name, chosen by the type of its argument (sinf on a double is
    /// std::sin), any other function as C converts its arguments and result.
    /// Another function is called as declared.
    const Expr* foreign_call(const Signal* s, const std::string& name, Type t,
                             std::vector<const Expr*> args) {
        const ir::MathFunction* f = ir::find_math_function(name);
        if (f == nullptr) {
            return call(name, t, args);
        }
        if (args.size() != ir::math_arity(f->signature)) {
            throw LowerError{"foreign function '" + name + "' is declared with " +
                                 std::to_string(args.size()) + " arguments, the C function takes " +
                                 std::to_string(ir::math_arity(f->signature)),
                             s, LowerErrorKind::ForeignArity};
        }
        if (const ir::MathFunction* g = overload_for(name, args[0]->type)) {
            f = g;
        }
        for (std::size_t i = 0; i < args.size(); ++i) {
            args[i] = convert(args[i], ir::math_param_type(f->signature, std::uint32_t(i)));
        }
        return convert(call(std::string(f->name), ir::math_result_type(f->signature), args), t);
    }
    /// `e` as type `t`, as C converts it (real to int truncates).
    const Expr* convert(const Expr* e, Type t) {
        if (e->type == t) {
            return e;
        }
        if (t == Type::I32) {
            return b_->unary(Op::FtoI, e);
        }
        if (e->type == Type::I32) {
            return b_->to_real(e, t);
        }
        return b_->unary(t == Type::F64 ? Op::FExt : Op::FTrunc, e);
    }
    /// For a Faust math primitive named in either precision (sin, sinf): the
    /// variant std::name picks for an argument of type `arg` (an int goes to the
    /// double one); nullptr for any other name.
    static const ir::MathFunction* overload_for(std::string_view name, Type arg) {
        static constexpr std::string_view primitives[] = {
            "sin",   "cos",  "tan",  "exp",   "log",   "log10", "sqrt", "pow",  "fmod", "remainder",
            "floor", "ceil", "rint", "round", "atan2", "asin",  "acos", "atan", "fabs"};
        auto known = [&](std::string_view n) {
            return std::find(std::begin(primitives), std::end(primitives), n) !=
                   std::end(primitives);
        };
        std::string_view base = name;
        if (!known(base) && base.size() > 1 && base.back() == 'f') {
            base.remove_suffix(1);
        }
        if (!known(base)) {
            return nullptr;
        }
        return ir::find_math_function(arg == Type::F32 ? std::string(base) + "f"
                                                       : std::string(base));
    }
    std::string math_name(const std::string& base) const {
        return m_->real == Type::F64 ? base : base + "f";
    }
    std::uint32_t new_field(const char* prefix_f, const char* prefix_i, Type t, std::uint32_t count,
                            ir::FieldKind kind) {
        const char* prefix = t == Type::I32 ? prefix_i : prefix_f;
        std::uint32_t n = counters_[prefix]++;
        return b_->add_field(std::string(prefix) + std::to_string(n), t, count, kind);
    }
    std::uint32_t new_local(ir::Function& fn, Type t) {
        return ir::Builder::add_local(
            fn, (t == Type::I32 ? "iTemp" : "fTemp") + std::to_string(fn.locals.size()), t);
    }
    static bool trivial(const Expr* e) {
        return e->kind == ir::ExprKind::Const || e->kind == ir::ExprKind::Local ||
               e->kind == ir::ExprKind::Input || e->kind == ir::ExprKind::SampleRate ||
               e->kind == ir::ExprKind::Count || (e->kind == ir::ExprKind::Field && e->a.empty());
    }
    std::int32_t constant_int(const Signal* s, const char* what) {
        passes::Interval i = intervals_.of(s);
        if (!i.point() || !std::isfinite(i.lo)) {
            throw LowerError{std::string(what) + " must be a constant", s,
                             LowerErrorKind::NotConstant, what};
        }
        return static_cast<std::int32_t>(i.lo);
    }
    void append_clear(ir::Function& fn, std::uint32_t field) {
        const ir::Field& f = m_->fields[field];
        const Expr* zero = b_->constant(f.type, 0);
        if (f.count == 1) {
            fn.body.push_back(b_->set_field(field, nullptr, zero));
        } else {
            std::uint32_t loop = next_loop_++;
            fn.body.push_back(b_->for_loop(loop, b_->i32(0), b_->i32(std::int32_t(f.count)),
                                           {b_->set_field(field, b_->loop_var(loop), zero)}));
        }
    }

    /// UI elements in the order a left-to-right walk from the outputs meets them
    /// (close to the order Faust builds its UI in), whatever order code is made in.
    void register_controls_in_order(std::span<const Signal* const> outputs) {
        std::unordered_set<const Signal*> seen;
        std::unordered_map<int, const Signal*> groups;
        std::vector<const Signal*> stack(outputs.rbegin(), outputs.rend());
        while (!stack.empty()) {
            const Signal* s = stack.back();
            stack.pop_back();
            if (!seen.insert(s).second) {
                continue;
            }
            switch (s->kind) {
            case SigKind::Button:
            case SigKind::Checkbox:
            case SigKind::VSlider:
            case SigKind::HSlider:
            case SigKind::NEntry:
            case SigKind::VBargraph:
            case SigKind::HBargraph:
                control(s);
                break;
            case SigKind::Soundfile:
                sound(s);
                break;
            default:
                break;
            }
            for (std::size_t i = s->kids.size(); i-- > 0;) {
                stack.push_back(s->kid(i));
            }
        }
    }

    // ------------------------------------------------------------------ prepass
    /// Collects, for one sample context, the maximum delay of every delayed
    /// signal and the recursion groups, without entering table contents.
    void prepass(SampleCtx& ctx, std::span<const Signal* const> roots) {
        std::unordered_set<const Signal*> seen;
        std::vector<const Signal*> stack(roots.begin(), roots.end());
        while (!stack.empty()) {
            const Signal* s = stack.back();
            stack.pop_back();
            if (!seen.insert(s).second) {
                continue;
            }
            if (s->kind == SigKind::Delay) {
                need_line(ctx, canonical(s->kid(0)), max_delay_of(s->kid(1)), origin_of(s));
            } else if (s->kind == SigKind::Prefix) {
                need_line(ctx, canonical(s->kid(1)), 1, origin_of(s));
            } else if (s->kind == SigKind::RecGroup) {
                ctx.groups[s->ival] = s;
            }
            for (std::size_t i = 0; i < s->kids.size(); ++i) {
                bool table_init =
                    (s->kind == SigKind::Rdtable || s->kind == SigKind::Rwtable) && i == 1;
                if (!table_init) {
                    stack.push_back(s->kid(i));
                }
            }
        }
        for (const Signal* x : ctx.line_order) {
            std::uint32_t d = ctx.max_delay[x];
            if (d == 0) {
                continue; // x @ 0 is x: no storage
            }
            SampleCtx::Line line;
            Type t = type_of(x);
            if (d < max_copy_delay) {
                line.size = d + 1;
                line.ring = false;
            } else {
                line.size = pow2_above(d + 1);
                line.ring = true;
                if (ctx.iota < 0) {
                    ctx.iota =
                        b_->add_field("IOTA" + std::to_string(counters_["IOTA"]++), Type::I32, 1,
                                      ir::FieldKind::Iota, ctx.is_table ? "" : "iota");
                    ctx.state_fields.push_back(std::uint32_t(ctx.iota));
                }
            }
            bool rec = x->kind == SigKind::Proj;
            line.field = new_field(rec ? "fRec" : "fVec", rec ? "iRec" : "iVec", t, line.size,
                                   rec ? ir::FieldKind::Recursion : ir::FieldKind::Delay);
            m_->fields[line.field].ring = line.ring;
            m_->fields[line.field].origin = ctx.origins[x].first;
            m_->fields[line.field].program_origin = ctx.origins[x].second;
            if (!ctx.is_table) {
                line.guard = rec ? conds_->group_guard(x->kid(0)->ival) : conds_->guard(x);
                m_->fields[line.field].identity = ids_->line(x);
                m_->fields[line.field].scale = ids_->scale(x);
            }
            ctx.state_fields.push_back(line.field);
            ctx.lines[x] = line;
        }
    }

    /// Recursion projections are keyed by (group, index) whatever refers to them.
    const Signal* canonical(const Signal* x) {
        if (x->kind == SigKind::Proj && x->kid(0)->kind == SigKind::RecGroup) {
            const Signal* c = sc_.make_proj(x->ival, sc_.make_recvar(x->kid(0)->ival));
            types_.set(c, types_.of(x));
            return c;
        }
        return x;
    }

    /// The signal's own origin, else the one of what it is made of; first the
    /// innermost anywhere, second the innermost in the program's file.
    std::pair<diag::SourceRange, diag::SourceRange> origin_of(const Signal* s) const {
        auto pick = [&](diag::SourceRange (sig::SignalContext::*get)(const Signal*) const) {
            diag::SourceRange r = (sc_.*get)(s);
            for (std::size_t i = 0; r.begin.file == 0 && i < s->kids.size(); ++i) {
                r = (sc_.*get)(s->kid(i));
            }
            return r;
        };
        return {pick(&sig::SignalContext::origin), pick(&sig::SignalContext::program_origin)};
    }

    void need_line(SampleCtx& ctx, const Signal* x, std::uint32_t d,
                   std::pair<diag::SourceRange, diag::SourceRange> origin) {
        auto& o = ctx.origins[x];
        if (o.first.begin.file == 0) {
            o.first = origin.first;
        }
        if (o.second.begin.file == 0) {
            o.second = origin.second;
        }
        auto it = ctx.max_delay.find(x);
        if (it == ctx.max_delay.end()) {
            ctx.max_delay[x] = d;
            ctx.line_order.push_back(x);
        } else {
            it->second = std::max(it->second, d);
        }
    }

    std::uint32_t max_delay_of(const Signal* d) {
        passes::Interval i = intervals_.of(d);
        if (!i.bounded()) {
            throw LowerError{
                "can't compute the min and max values of a delay (probably a recursive signal)", d,
                LowerErrorKind::UnboundedDelay};
        }
        if (i.lo < 0) {
            throw LowerError{"possible negative values of a delay", d,
                             LowerErrorKind::NegativeDelay};
        }
        double hi = std::floor(i.hi + 0.5);
        if (hi > double(max_line)) {
            throw LowerError{"delay too large", d, LowerErrorKind::DelayTooLarge,
                             std::to_string(static_cast<long long>(hi))};
        }
        return static_cast<std::uint32_t>(hi);
    }

    // ------------------------------------------------------------------ generation
    const Expr* gen(const Signal* s, SampleCtx& ctx) {
        Variability v = var_of(s);
        if (v <= Variability::Init && !is_sample_only(s)) {
            return gen_init(s, ctx);
        }
        if (v == Variability::Block && !is_sample_only(s)) {
            if (ctx.is_table) {
                throw LowerError{"a table's content must be computable at init time", s,
                                 LowerErrorKind::TableNotAtInit};
            }
            return gen_block(s, ctx);
        }
        return gen_sample(s, ctx);
    }

    static bool is_sample_only(const Signal* s) {
        switch (s->kind) {
        case SigKind::Delay:
        case SigKind::Prefix:
        case SigKind::Rwtable:
        case SigKind::Waveform:
        case SigKind::Proj:
        case SigKind::RecGroup:
        case SigKind::VBargraph:
        case SigKind::HBargraph:
        case SigKind::Input:
        case SigKind::FFun:
        case SigKind::Enable:
        case SigKind::Control:
        case SigKind::Attach:
            return true;
        default:
            return false;
        }
    }

    const Expr* gen_init(const Signal* s, SampleCtx& ctx) {
        if (auto it = init_memo_.find(s); it != init_memo_.end()) {
            return it->second;
        }
        const Expr* e = build(s, ctx);
        if (!trivial(e) || e->kind == ir::ExprKind::SampleRate) { // SampleRate exists only at init
            Type t = e->type;
            std::uint32_t f = new_field("fConst", "iConst", t, 1, ir::FieldKind::Constant);
            init_.push_back(b_->set_field(f, nullptr, e));
            e = b_->field(f);
        }
        init_memo_[s] = e;
        return e;
    }

    const Expr* gen_block(const Signal* s, SampleCtx& ctx) {
        if (auto it = block_memo_.find(s); it != block_memo_.end()) {
            return it->second;
        }
        const Expr* e = build(s, ctx);
        if (!trivial(e)) {
            std::uint32_t l = new_local(m_->compute, e->type);
            block_.push_back(b_->set_local(l, e));
            e = b_->local(l, e->type);
        }
        block_memo_[s] = e;
        return e;
    }

    const Expr* gen_sample(const Signal* s, SampleCtx& ctx) {
        if (auto it = ctx.memo.find(s); it != ctx.memo.end()) {
            return it->second;
        }
        if (++depth_ > 20000 || stack_.exhausted()) {
            throw LowerError{"signal graph too deep", s, LowerErrorKind::TooDeep};
        }
        if (budget_ != nullptr) {
            diag::SourceRange own = sc_.program_origin(s);
            budget_->check(own.begin.file != 0 ? own : sc_.origin(s));
        }
        const Guard* g = ctx.is_table ? nullptr : conds_->guard(s);
        if (g != nullptr) {
            guard_cond(ctx, g); // the condition is known before anything it guards
        }
        guard_stack_.push_back(g);
        const Expr* e = build(s, ctx);
        guard_stack_.pop_back();
        --depth_;
        const bool read_only = e->kind == ir::ExprKind::Const || e->kind == ir::ExprKind::Local ||
                               e->kind == ir::ExprKind::Input ||
                               (e->kind == ir::ExprKind::Field &&
                                (e->a.empty() || e->a[0]->kind == ir::ExprKind::Const));
        if (g != nullptr && !read_only) {
            // computed only under its condition: the value lives in the state, and
            // keeps its last value while the condition is false (across blocks too).
            // A plain read (a variable, an input, a fixed element of a shifted delay
            // line) is not computed: the reference inlines it where it is used, under
            // that place's condition (a ring buffer read at a computed index is not).
            std::uint32_t f = new_field("fHeld", "iHeld", e->type, 1, ir::FieldKind::Other);
            m_->fields[f].identity = ids_->other("held", s);
            ctx.state_fields.push_back(f);
            emit(ctx, ctx.body, b_->set_field(f, nullptr, e), g);
            e = b_->field(f);
        } else if (!trivial(e)) {
            std::uint32_t l = new_local(*ctx.fn, e->type);
            ctx.body.push_back(b_->set_local(l, e));
            e = b_->local(l, e->type);
        }
        ctx.memo[s] = e;
        // a delayed signal is written to its line as soon as it is known
        auto line = ctx.lines.find(s);
        if (line != ctx.lines.end() && !line->second.written) {
            write_line(ctx, line->second, e);
        }
        return e;
    }

    void write_line(SampleCtx& ctx, SampleCtx::Line& line, const Expr* v) {
        line.written = true;
        Type t = m_->fields[line.field].type;
        const Expr* idx = line.ring ? b_->binary(Op::And, b_->field(std::uint32_t(ctx.iota)),
                                                 b_->i32(std::int32_t(line.size - 1)))
                                    : b_->i32(0);
        emit(ctx, ctx.body, b_->set_field(line.field, idx, as_type(v, t)), line.guard);
    }

    /// The guard of the signal being built (nullptr: always).
    const Guard* current_guard() const {
        return guard_stack_.empty() ? nullptr : guard_stack_.back();
    }

    /// Appends st to `to`, inside `if (condition)` when it has a guard.
    void emit(SampleCtx& ctx, std::vector<const Stmt*>& to, const Stmt* st, const Guard* g) {
        if (g == nullptr) {
            to.push_back(st);
            return;
        }
        const Expr* c = guard_cond(ctx, g);
        to.push_back(b_->if_else(c, {st}));
    }

    /// The I32 condition of a guard: OR of ANDs of (c != 0), in a local of the
    /// frame computed (always) before its first use.
    const Expr* guard_cond(SampleCtx& ctx, const Guard* g) {
        if (auto it = ctx.guard_conds.find(g); it != ctx.guard_conds.end()) {
            return it->second;
        }
        const Expr* any = nullptr;
        for (const auto& conj : *g) {
            const Expr* all = nullptr;
            for (const Signal* c : conj) {
                const Expr* v = gen(c, ctx);
                const Expr* t = v->type == Type::I32
                                    ? b_->binary(Op::Ne, v, b_->i32(0))
                                    : b_->binary(Op::Ne, v, b_->constant(v->type, 0));
                all = all == nullptr ? t : b_->binary(Op::And, all, t);
            }
            any = any == nullptr ? all : b_->binary(Op::Or, any, all);
        }
        std::uint32_t l = new_local(*ctx.fn, Type::I32);
        ctx.body.push_back(b_->set_local(l, any));
        const Expr* e = b_->local(l, Type::I32);
        ctx.guard_conds[g] = e;
        return e;
    }

    /// Makes sure the line of x holds x's value of the current frame.
    void ensure_written(SampleCtx& ctx, const Signal* x) {
        auto it = ctx.lines.find(x);
        if (it == ctx.lines.end() || it->second.written) {
            return;
        }
        if (x->kind == SigKind::Proj) {
            force_group(ctx, x->kid(0)->ival);
            return;
        }
        const Expr* v = gen(x, ctx);
        it = ctx.lines.find(x);
        if (!it->second.written) {
            write_line(ctx, it->second, v);
        }
    }

    const Expr* read_line(SampleCtx& ctx, const Signal* x, const Signal* d) {
        auto it = ctx.lines.find(x);
        if (it == ctx.lines.end()) {
            throw LowerError{"internal error: no delay line", x};
        }
        const Expr* delay;
        bool constant = d->kind == SigKind::Int;
        if (constant) {
            delay = b_->i32(d->ival);
        } else {
            delay = as_int(gen(d, ctx));
        }
        bool may_be_zero = !constant || d->ival == 0;
        // x @ 0 reads the current sample: write it first. A recursion's output
        // is written once its group is computed, which can be forced from
        // outside the group (e.g. `+ ~ f : @(int(hslider(...)))` with the
        // slider at 0); inside its own group it cannot, and the read sees the
        // line as it was, as in the reference.
        if (may_be_zero && (x->kind != SigKind::Proj || !ctx.forcing.count(x->kid(0)->ival))) {
            ensure_written(ctx, x);
        }
        it = ctx.lines.find(x);
        const SampleCtx::Line& l = it->second;
        if (l.ring) {
            const Expr* idx =
                b_->binary(Op::And, b_->binary(Op::Sub, b_->field(std::uint32_t(ctx.iota)), delay),
                           b_->i32(std::int32_t(l.size - 1)));
            return b_->field(l.field, idx);
        }
        if (!constant) {
            delay = b_->binary(Op::Max, b_->i32(0),
                               b_->binary(Op::Min, delay, b_->i32(std::int32_t(l.size - 1))));
        }
        return b_->field(l.field, delay);
    }

    void force_group(SampleCtx& ctx, int id) {
        if (ctx.forced.count(id)) {
            return;
        }
        if (ctx.forcing.count(id)) {
            throw LowerError{"internal error: non-causal recursion", nullptr};
        }
        auto g = ctx.groups.find(id);
        if (g == ctx.groups.end()) {
            throw LowerError{"internal error: unknown recursion group", nullptr};
        }
        ctx.forcing.insert(id);
        const Signal* group = g->second;
        std::vector<const Expr*> values;
        for (const Signal* body : group->kids) {
            values.push_back(gen(body, ctx));
        }
        for (std::size_t i = 0; i < values.size(); ++i) {
            const Signal* p = sc_.make_proj(std::int32_t(i), sc_.make_recvar(id));
            const Expr* v = values[i];
            auto line = ctx.lines.find(p);
            if (line != ctx.lines.end() && !line->second.written) {
                write_line(ctx, line->second, v);
            }
            ctx.memo[sc_.make_proj(std::int32_t(i), group)] = v;
        }
        ctx.forcing.erase(id);
        ctx.forced.insert(id);
    }

    void finish_frame(SampleCtx& ctx) {
        for (auto& [id, group] : ctx.groups) {
            force_group(ctx, id);
        }
        for (const Signal* x : ctx.line_order) {
            ensure_written(ctx, x);
        }
        for (const Signal* x : ctx.line_order) {
            auto found = ctx.lines.find(x);
            if (found == ctx.lines.end()) {
                continue;
            }
            const SampleCtx::Line& l = found->second;
            if (l.ring) {
                continue;
            }
            for (std::uint32_t k = l.size - 1; k >= 1; --k) {
                emit(ctx, ctx.post,
                     b_->set_field(l.field, b_->i32(std::int32_t(k)),
                                   b_->field(l.field, b_->i32(std::int32_t(k - 1)))),
                     l.guard);
            }
        }
        if (ctx.iota >= 0) {
            auto f = std::uint32_t(ctx.iota);
            ctx.post.push_back(
                b_->set_field(f, nullptr, b_->binary(Op::Add, b_->field(f), b_->i32(1))));
        }
    }

    // ------------------------------------------------------------------ one signal
    const Expr* build(const Signal* s, SampleCtx& ctx) {
        Type t = type_of(s);
        auto kid = [&](std::size_t i) { return gen(s->kid(i), ctx); };
        switch (s->kind) {
        case SigKind::Int:
            return b_->i32(s->ival);
        case SigKind::Real:
            return b_->real(s->rval);
        case SigKind::Input:
            if (ctx.is_table) {
                throw LowerError{"a table's content cannot depend on the inputs", s,
                                 LowerErrorKind::TableUsesInputs};
            }
            return b_->input(std::uint32_t(s->ival));
        case SigKind::Delay: {
            const Signal* d = s->kid(1);
            if (d->kind == SigKind::Int && d->ival == 0) {
                return kid(0);
            }
            const Signal* x = canonical(s->kid(0));
            if (ctx.max_delay[x] == 0) {
                return gen(x, ctx);
            }
            return read_line(ctx, x, d);
        }
        case SigKind::Prefix: {
            std::uint32_t started =
                new_field("fStarted", "iStarted", Type::I32, 1, ir::FieldKind::Recursion);
            if (!ctx.is_table) {
                m_->fields[started].identity = ids_->other("prefix", s);
            }
            ctx.state_fields.push_back(started);
            const Expr* init = as_type(kid(0), t);
            const Expr* prev = as_type(read_line(ctx, canonical(s->kid(1)), sc_.make_int(1)), t);
            emit(ctx, ctx.post, b_->set_field(started, nullptr, b_->i32(1)), current_guard());
            return b_->select(b_->field(started), prev, init);
        }
        case SigKind::Bin:
            return binary(s, t, kid(0), kid(1));
        case SigKind::Math:
            return math(s, t, ctx);
        case SigKind::IntCast:
            return as_int(kid(0));
        case SigKind::FloatCast:
            return as_real(kid(0));
        case SigKind::Select2: {
            const Expr* c = b_->binary(Op::Ne, as_int(kid(0)), b_->i32(0));
            return b_->select(c, as_type(kid(2), t), as_type(kid(1), t));
        }
        case SigKind::Rdtable: {
            std::int32_t size = constant_int(s->kid(0), "the size of a table");
            std::uint32_t table = make_table(s, size, s->kid(1), false);
            return b_->field(table, clamp_index(as_int(kid(2)), size));
        }
        case SigKind::Rwtable: {
            std::int32_t size = constant_int(s->kid(0), "the size of a table");
            std::uint32_t table = make_table(s, size, s->kid(1), true);
            Type tt = m_->fields[table].type;
            const Expr* w = clamp_index(as_int(kid(2)), size);
            const Expr* x = as_type(kid(3), tt);
            emit(ctx, ctx.body, b_->set_field(table, w, x), current_guard());
            return b_->field(table, clamp_index(as_int(kid(4)), size));
        }
        case SigKind::Waveform:
            return waveform(s, t, ctx);
        case SigKind::FFun: {
            std::vector<const Expr*> args;
            for (std::size_t i = 0; i < s->kids.size(); ++i) {
                ast::ValueType at =
                    i < s->ffun->args.size() ? s->ffun->args[i] : ast::ValueType::Float;
                const Expr* a = kid(i);
                args.push_back(at == ast::ValueType::Int     ? as_int(a)
                               : at == ast::ValueType::Float ? as_real(a)
                                                             : a);
            }
            std::string name(s->ffun->names[m_->real == Type::F64 ? 1 : 0].str());
            if (ir::find_math_function(name) == nullptr) {
                // a function of the program's own header: built before the module runs
                auto& ff = m_->foreign;
                auto known = std::find_if(ff.begin(), ff.end(),
                                          [&](const auto& f) { return f.name == name; });
                if (known == ff.end()) {
                    ir::ForeignFunction f;
                    f.name = name;
                    f.include = std::string(s->ffun->include.str());
                    f.result = t;
                    for (const Expr* a : args) {
                        f.params.push_back(a->type);
                    }
                    ff.push_back(std::move(f));
                    foreign_origins_.push_back(s);
                }
            }
            return foreign_call(s, name, t, std::move(args));
        }
        case SigKind::FConst:
            if (s->label.str() == "fSamplingFreq") {
                return as_type(b_->sample_rate(), t);
            }
            if (std::optional<double> v = c_header_constant(s->label.str())) {
                if (t == Type::I32) {
                    // the C conversion to int: truncation, out of range gives INT_MIN (x86)
                    double x = std::trunc(*v);
                    bool fits = x >= -2147483648.0 && x <= 2147483647.0;
                    return b_->constant(t, fits ? x : -2147483648.0);
                }
                return b_->constant(t, *v);
            }
            throw LowerError{"unknown foreign constant '" + std::string(s->label.str()) + "'", s,
                             LowerErrorKind::UnknownForeign,
                             "constant '" + std::string(s->label.str()) + "'"};
        case SigKind::FVar:
            if (s->label.str() == "count") {
                return as_type(b_->count(), t);
            }
            throw LowerError{"unknown foreign variable '" + std::string(s->label.str()) + "'", s,
                             LowerErrorKind::UnknownForeign,
                             "variable '" + std::string(s->label.str()) + "'"};
        case SigKind::Button:
        case SigKind::Checkbox:
        case SigKind::VSlider:
        case SigKind::HSlider:
        case SigKind::NEntry:
            return b_->field(control(s));
        case SigKind::VBargraph:
        case SigKind::HBargraph: {
            const Expr* x = kid(0);
            std::uint32_t f = control(s);
            emit(ctx, ctx.body, b_->set_field(f, nullptr, as_real(x)), current_guard());
            return x;
        }
        case SigKind::Soundfile:
            throw LowerError{"a soundfile read as a signal", s, LowerErrorKind::Internal};
        case SigKind::SoundLength:
        case SigKind::SoundRate:
            return b_->sound_info(sound(s->kid(0)), s->kind == SigKind::SoundLength ? 0 : 1,
                                  sound_part(s, s->kid(1), ctx));
        case SigKind::SoundBuffer: {
            // the reference: buffers[chan][offset[part] + int(idx)], idx clamped by propagation
            std::uint32_t f = sound(s->kid(0));
            const Expr* offset = b_->sound_info(f, 2, sound_part(s, s->kid(2), ctx));
            const Expr* at = b_->binary(Op::Add, offset, as_int(kid(3)));
            return b_->sound_sample(f, s->kid(1)->ival, at);
        }
        case SigKind::Attach:
            kid(1);
            return kid(0);
        case SigKind::Enable: {
            // enable(x, c) = x * c, computed only while c != 0 (conditions.h): the
            // output is held while c == 0
            const Expr* c = kid(1);
            return b_->binary(Op::Mul, as_type(kid(0), t), as_type(c, t));
        }
        case SigKind::Control:
            return kid(0);
        case SigKind::AssertBounds:
            return kid(2);
        case SigKind::Lowest:
        case SigKind::Highest: {
            passes::Interval i = intervals_.of(s->kid(0));
            double v = s->kind == SigKind::Lowest ? i.lo : i.hi;
            return b_->constant(t, v);
        }
        case SigKind::Proj: {
            force_group(ctx, s->kid(0)->ival);
            auto it = ctx.memo.find(s);
            if (it == ctx.memo.end()) {
                throw LowerError{"internal error: recursion projection without value", s};
            }
            return it->second;
        }
        case SigKind::RecVar:
        case SigKind::RecGroup:
        case SigKind::Count:
            break;
        }
        throw LowerError{"internal error: unexpected signal", s};
    }

    const Expr* clamp_index(const Expr* i, std::int32_t size) {
        return b_->binary(Op::Max, b_->i32(0), b_->binary(Op::Min, i, b_->i32(size - 1)));
    }

    const Expr* call(const std::string& name, Type t, const std::vector<const Expr*>& args) {
        Expr* e = const_cast<Expr*>(b_->call(name.c_str(), t, {}));
        auto* arr = m_->arena.make_array<const Expr*>(args.size());
        std::copy(args.begin(), args.end(), arr);
        e->a = {arr, args.size()};
        return e;
    }

    const Expr* binary(const Signal* s, Type t, const Expr* a, const Expr* b) {
        switch (s->prim()) {
        case PrimOp::Add:
            return b_->binary(Op::Add, as_type(a, t), as_type(b, t));
        case PrimOp::Sub:
            return b_->binary(Op::Sub, as_type(a, t), as_type(b, t));
        case PrimOp::Mul:
            return b_->binary(Op::Mul, as_type(a, t), as_type(b, t));
        case PrimOp::Div:
            return b_->binary(Op::Div, as_real(a), as_real(b));
        case PrimOp::Mod:
            if (t == Type::I32) {
                return b_->binary(Op::Rem, a, b);
            }
            return call(math_name("fmod"), t, {as_real(a), as_real(b)});
        case PrimOp::And:
            return b_->binary(Op::And, as_int(a), as_int(b));
        case PrimOp::Or:
            return b_->binary(Op::Or, as_int(a), as_int(b));
        case PrimOp::Xor:
            return b_->binary(Op::Xor, as_int(a), as_int(b));
        case PrimOp::Lsh:
            return b_->binary(Op::Shl, as_int(a), as_int(b));
        case PrimOp::Rsh:
            return b_->binary(Op::Shr, as_int(a), as_int(b));
        default: {
            Op op = s->prim() == PrimOp::Lt   ? Op::Lt
                    : s->prim() == PrimOp::Le ? Op::Le
                    : s->prim() == PrimOp::Gt ? Op::Gt
                    : s->prim() == PrimOp::Ge ? Op::Ge
                    : s->prim() == PrimOp::Eq ? Op::Eq
                                              : Op::Ne;
            if (a->type == Type::I32 && b->type == Type::I32) {
                return b_->binary(op, a, b);
            }
            return b_->binary(op, as_real(a), as_real(b));
        }
        }
    }

    const Expr* math(const Signal* s, Type t, SampleCtx& ctx) {
        auto kid = [&](std::size_t i) { return gen(s->kid(i), ctx); };
        PrimOp op = s->prim();
        switch (op) {
        case PrimOp::Min:
        case PrimOp::Max:
            return b_->binary(op == PrimOp::Min ? Op::Min : Op::Max, as_type(kid(0), t),
                              as_type(kid(1), t));
        case PrimOp::Abs:
            if (t == Type::I32) {
                const Expr* x = kid(0);
                return b_->select(b_->binary(Op::Lt, x, b_->i32(0)), b_->unary(Op::Neg, x), x);
            }
            return call(math_name("fabs"), t, {as_real(kid(0))});
        case PrimOp::Pow: {
            const Signal* e = s->kid(1);
            // Faust expands x^n for a constant integer 0 < n <= 8 into multiplications
            if (e->kind == SigKind::Int && e->ival > 0 && (t == Type::I32 || e->ival <= 8)) {
                const Expr* x = as_type(kid(0), t);
                if (!trivial(x)) {
                    std::uint32_t l = new_local(local_fn(ctx, s), x->type);
                    emit_local(ctx, s, b_->set_local(l, x));
                    x = b_->local(l, x->type);
                }
                const Expr* r = x;
                for (std::int32_t i = 1; i < e->ival; ++i) {
                    r = b_->binary(Op::Mul, r, x);
                }
                return r;
            }
            return call(math_name("pow"), t, {as_real(kid(0)), as_real(kid(1))});
        }
        default:
            break;
        }
        static const std::map<PrimOp, const char*> names = {
            {PrimOp::Acos, "acos"},
            {PrimOp::Asin, "asin"},
            {PrimOp::Atan, "atan"},
            {PrimOp::Atan2, "atan2"},
            {PrimOp::Cos, "cos"},
            {PrimOp::Sin, "sin"},
            {PrimOp::Tan, "tan"},
            {PrimOp::Exp, "exp"},
            {PrimOp::Log, "log"},
            {PrimOp::Log10, "log10"},
            {PrimOp::Sqrt, "sqrt"},
            {PrimOp::Fmod, "fmod"},
            {PrimOp::Remainder, "remainder"},
            {PrimOp::Floor, "floor"},
            {PrimOp::Ceil, "ceil"},
            {PrimOp::Rint, "rint"},
        };
        auto it = names.find(op);
        if (it == names.end()) {
            throw LowerError{"unsupported primitive " + std::string(ast::prim_spelling(op)), s,
                             LowerErrorKind::Unsupported, std::string(ast::prim_spelling(op))};
        }
        std::vector<const Expr*> args;
        for (std::size_t i = 0; i < s->kids.size(); ++i) {
            args.push_back(as_real(kid(i)));
        }
        return call(math_name(it->second), m_->real, args);
    }

    /// The function and statement list a helper local of signal s belongs to.
    ir::Function& local_fn(SampleCtx& ctx, const Signal* s) {
        Variability v = var_of(s);
        if (v <= Variability::Init) {
            return m_->init_constants;
        }
        if (v == Variability::Block) {
            return m_->compute;
        }
        return *ctx.fn;
    }
    void emit_local(SampleCtx& ctx, const Signal* s, const Stmt* st) {
        Variability v = var_of(s);
        if (v <= Variability::Init) {
            init_.push_back(st);
        } else if (v == Variability::Block) {
            block_.push_back(st);
        } else {
            emit(ctx, ctx.body, st, current_guard());
        }
    }

    /// The Sound field of a soundfile (its pointer is set by the host, never by the code).
    std::uint32_t sound(const Signal* s) {
        if (auto it = controls_by_sig_.find(s); it != controls_by_sig_.end()) {
            return it->second;
        }
        std::uint32_t f = new_field("fSoundfile", "fSoundfile", Type::I32, 2, ir::FieldKind::Sound);
        sounds_.push_back({std::string(s->label.str()), f, s->ival, s});
        controls_by_sig_[s] = f;
        return f;
    }

    /// The part of a sound read: the reference proves it in 0..255 (an error
    /// otherwise); masked as well, so that no read leaves the sound.
    const Expr* sound_part(const Signal* s, const Signal* part, SampleCtx& ctx) {
        passes::Interval i = intervals_.of(part);
        if (!i.bounded() || i.lo < 0 || i.hi >= double(ir::sound_parts)) {
            auto text = [](double v) {
                char buf[32];
                std::snprintf(buf, sizeof buf, "%f", v);
                return std::string(buf);
            };
            std::string range =
                i.bounded() ? "[" + text(i.lo) + ", " + text(i.hi) + "]" : "unbounded";
            throw LowerError{"out of range soundfile part number (" + range + ")", s,
                             LowerErrorKind::SoundPart, range};
        }
        return b_->binary(Op::And, as_int(gen(part, ctx)), b_->i32(ir::sound_parts - 1));
    }

    std::uint32_t control(const Signal* s) {
        if (auto it = controls_by_sig_.find(s); it != controls_by_sig_.end()) {
            return it->second;
        }
        const char* prefix = "fControl";
        switch (s->kind) {
        case SigKind::Button:
            prefix = "fButton";
            break;
        case SigKind::Checkbox:
            prefix = "fCheckbox";
            break;
        case SigKind::VSlider:
            prefix = "fVslider";
            break;
        case SigKind::HSlider:
            prefix = "fHslider";
            break;
        case SigKind::NEntry:
            prefix = "fEntry";
            break;
        case SigKind::VBargraph:
            prefix = "fVbargraph";
            break;
        case SigKind::HBargraph:
            prefix = "fHbargraph";
            break;
        default:
            break;
        }
        std::uint32_t f = new_field(prefix, prefix, m_->real, 1, ir::FieldKind::Control);
        m_->fields[f].identity = "control:" + std::string(s->label.str());
        Control c;
        c.kind = s->kind;
        c.path = std::string(s->label.str());
        c.field = f;
        c.signal = s;
        if (s->nums.size() == 4) {
            c.init = s->nums[0];
            c.min = s->nums[1];
            c.max = s->nums[2];
            c.step = s->nums[3];
        } else if (s->nums.size() == 2) {
            c.min = s->nums[0];
            c.max = s->nums[1];
        } else if (s->kind == SigKind::Button || s->kind == SigKind::Checkbox) {
            c.max = 1;
            c.step = 1;
        }
        bool is_bargraph = s->kind == SigKind::VBargraph || s->kind == SigKind::HBargraph;
        m_->reset_controls.body.push_back(
            b_->set_field(f, nullptr, b_->real(is_bargraph ? 0.0 : c.init)));
        controls_.push_back(c);
        controls_by_sig_[s] = f;
        return f;
    }

    /// The table of an rdtable/rwtable: filled at init by running its content
    /// signal for t = 0..size-1 with a fresh state of its own.
    std::uint32_t make_table(const Signal* s, std::int32_t size, const Signal* content,
                             bool writable) {
        if (size <= 0 || std::uint32_t(size) > max_line) {
            throw LowerError{"invalid table size " + std::to_string(size), s,
                             LowerErrorKind::TableSize, std::to_string(size)};
        }
        auto key = std::make_tuple(
            writable ? 1 : 0,
            writable ? static_cast<const void*>(s) : static_cast<const void*>(content), size);
        if (auto it = tables_.find(key); it != tables_.end()) {
            return it->second;
        }
        Type t = type_of(content);
        if (writable) {
            t = types_.of(s).nature == Nature::Int ? Type::I32 : m_->real;
        }
        std::uint32_t table =
            new_field("ftbl", "itbl", t, std::uint32_t(size), ir::FieldKind::Table);
        // a read-only table is rebuilt from its generator; a writable one is state
        m_->fields[table].identity = (writable ? "rw" : "") + ids_->table(s);
        std::tie(m_->fields[table].origin, m_->fields[table].program_origin) = origin_of(s);
        tables_[key] = table;

        SampleCtx tctx;
        tctx.fn = &m_->init_constants;
        tctx.is_table = true;
        const Signal* roots[1] = {content};
        prepass(tctx, roots);
        std::uint32_t loop = next_loop_++;
        const Expr* v = as_type(gen(content, tctx), t);
        tctx.body.push_back(b_->set_field(table, b_->loop_var(loop), v));
        finish_frame(tctx);
        // the table's own state starts from zero
        ir::Function clear;
        for (std::uint32_t f : tctx.state_fields) {
            append_clear(clear, f);
        }
        init_.insert(init_.end(), clear.body.begin(), clear.body.end());
        std::vector<const Stmt*> body = tctx.body;
        body.insert(body.end(), tctx.post.begin(), tctx.post.end());
        init_.push_back(b_->for_loop(loop, b_->i32(0), b_->i32(size), body));
        return table;
    }

    const Expr* waveform(const Signal* s, Type t, SampleCtx& ctx) {
        auto n = static_cast<std::int32_t>(s->kids.size());
        auto key = std::make_tuple(2, static_cast<const void*>(s), n);
        std::uint32_t table;
        if (auto it = tables_.find(key); it != tables_.end()) {
            table = it->second;
        } else {
            table = new_field("fWave", "iWave", t, std::uint32_t(n), ir::FieldKind::Table);
            m_->fields[table].identity = ids_->table(s);
            tables_[key] = table;
            for (std::int32_t i = 0; i < n; ++i) {
                const Signal* v = s->kid(std::size_t(i));
                double x = v->kind == SigKind::Int ? double(v->ival) : v->rval;
                init_.push_back(b_->set_field(table, b_->i32(i), b_->constant(t, x)));
            }
        }
        std::uint32_t counter =
            new_field("iWaveIdx", "iWaveIdx", Type::I32, 1, ir::FieldKind::Recursion);
        if (!ctx.is_table) {
            m_->fields[counter].identity = ids_->other("wavepos", s);
        }
        ctx.state_fields.push_back(counter);
        const Expr* value = b_->field(table, b_->field(counter));
        emit(ctx, ctx.post,
             b_->set_field(counter, nullptr,
                           b_->binary(Op::Rem, b_->binary(Op::Add, b_->field(counter), b_->i32(1)),
                                      b_->i32(n))),
             current_guard());
        return value;
    }

    sig::SignalContext& sc_;
    Budget* budget_;
    StackLimit stack_;
    std::unique_ptr<ir::Module> m_;
    std::unique_ptr<ir::Builder> b_;
    passes::TypeTable types_;
    passes::IntervalTable intervals_;
    std::unique_ptr<StateIdentities> ids_;
    std::unique_ptr<Conditions> conds_;
    std::vector<const Signal*> foreign_origins_; ///< the ffunction signal of each foreign function
    std::vector<const Guard*> guard_stack_; ///< guards of the signals being built, innermost last
    std::vector<const Stmt*> init_, block_;
    std::unordered_map<const Signal*, const Expr*> init_memo_, block_memo_;
    std::map<std::string, std::uint32_t> counters_;
    /// (0 rdtable | 1 rwtable | 2 waveform, content or signal, size) -> table field
    std::map<std::tuple<int, const void*, std::int32_t>, std::uint32_t> tables_;
    std::unordered_map<const Signal*, std::uint32_t> controls_by_sig_;
    std::vector<Control> controls_;
    std::vector<Sound> sounds_;
    std::uint32_t next_loop_ = 0;
    std::uint32_t depth_ = 0;
};

} // namespace

LowerResult lower(std::span<const sig::Signal* const> outputs, std::uint32_t num_inputs,
                  sig::SignalContext& signals, passes::TypeTable types,
                  passes::IntervalTable intervals, bool double_precision, Budget* budget) {
    try {
        Lowerer l(signals, std::move(types), std::move(intervals), double_precision, budget);
        return l.run(outputs, num_inputs);
    } catch (const LowerError& e) {
        LowerResult r;
        r.error = e.what;
        r.error_kind = e.kind;
        r.error_detail = e.detail;
        r.error_signal = e.at;
        return r;
    }
}

} // namespace tutti::lower
