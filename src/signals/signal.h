// SPDX-License-Identifier: MIT
/** \file
 * Signals: the meaning of a Faust program as a graph of functions of time,
 * produced by propagation (boxes -> signals) and consumed by the passes and the
 * lowering. Immutable and hash-consed in a `SignalContext` owned by one
 * compilation (pointer equality = structural equality; two compilations on two
 * threads never share a table). Kinds and fields: signal_kinds.def.
 *
 * Recursion: `Rec(A,B)` propagates to a group `RecGroup(id, bodies)` whose bodies
 * refer to the group's own outputs through `Proj(i, RecVar(id))`, always delayed
 * by at least one sample (`Delay(Proj(i, RecVar(id)), 1)`); the outputs of the
 * whole are `Proj(i, RecGroup(id, ...))`. Group ids come from the context.
 *
 * Widget signals carry their full UI path as a label: groups from the root as
 * `kind:label` (kind v, h or t) joined by '/', then the widget's label with its
 * metadata, e.g. `h:Osc/freq [unit:Hz]`; '\' and '/' inside a label are
 * escaped by a '\' (signals/ui_path.h).
 */
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "boxes/box.h"
#include "frontend/ast/ast.h"
#include "support/arena.h"
#include "support/interner.h"

namespace tutti::sig {

enum class SigKind : std::uint8_t {
#define SIG(kind, name, layout) kind,
#include "signals/signal_kinds.def"
#undef SIG
    Count
};

std::string_view kind_name(SigKind k);

struct Signal {
    SigKind kind{};
    std::uint8_t op = 0;
    std::uint32_t id = 0; ///< dense, creation order
    std::int32_t ival = 0;
    double rval = 0;
    Symbol label;
    Symbol text;
    std::span<const Signal* const> kids;
    std::span<const double> nums;
    const boxes::FFunSignature* ffun = nullptr; ///< owned by the BoxContext

    ast::PrimOp prim() const {
        return static_cast<ast::PrimOp>(op);
    }
    const Signal* kid(std::size_t i) const {
        return kids[i];
    }
};

class SignalContext {
public:
    explicit SignalContext(Interner& interner) : interner_(interner) {
    }
    SignalContext(const SignalContext&) = delete;
    SignalContext& operator=(const SignalContext&) = delete;

    const Signal* make_int(std::int32_t v);
    const Signal* make_real(double v);
    const Signal* make_input(std::int32_t channel);
    const Signal* make_delay(const Signal* x, const Signal* d);
    const Signal* make_delay1(const Signal* x) {
        return make_delay(x, make_int(1));
    }
    const Signal* make_bin(ast::PrimOp op, const Signal* a, const Signal* b);
    const Signal* make_math(ast::PrimOp op, std::span<const Signal* const> args);
    /// Kinds with only children: Prefix, IntCast, FloatCast, Select2, Rdtable, Rwtable,
    /// Waveform, Attach, Enable, Control, AssertBounds, Lowest, Highest, SoundLength,
    /// SoundRate, SoundBuffer.
    const Signal* make(SigKind k, std::span<const Signal* const> kids);
    const Signal* make_ffun(const boxes::FFunSignature* sig, std::span<const Signal* const> args);
    const Signal* make_fconst(SigKind k, ast::ValueType t, Symbol name, Symbol include);
    /// Button, Checkbox (nums empty), sliders (init min max step), bargraphs (min max; kids x).
    const Signal* make_widget(SigKind k, Symbol path, std::span<const double> nums,
                              const Signal* input = nullptr);
    /// A sound (SigKind::Soundfile): its UI path and the number of channels read.
    const Signal* make_soundfile(Symbol path, std::int32_t channels);
    const Signal* make_recvar(std::int32_t group);
    const Signal* make_recgroup(std::int32_t group, std::span<const Signal* const> bodies);
    const Signal* make_proj(std::int32_t index, const Signal* group_or_var);
    /// A copy of `s` with other children (for rewriting passes).
    const Signal* make_like(const Signal* s, std::span<const Signal* const> kids);

    std::int32_t fresh_group() {
        return next_group_++;
    }

    /// Where in the source a signal was first made (the innermost block diagram
    /// with a known location); the first origin set wins. make_like() passes it on.
    /// The program's own file (set by propagation): origins in it are also kept
    /// apart, so a state made deep in a library can be shown at the user's line.
    void set_program_file(diag::FileId f) {
        program_file_ = f;
    }
    diag::FileId program_file() const {
        return program_file_;
    }
    void set_origin(const Signal* s, diag::SourceRange r) {
        if (r.begin.file != 0) {
            set_first(origins_, s, r);
            if (r.begin.file == program_file_) {
                set_first(program_origins_, s, r);
            }
        }
    }
    diag::SourceRange origin(const Signal* s) const {
        return s->id < origins_.size() ? origins_[s->id] : diag::SourceRange{};
    }
    /// Gives every signal below `roots` without an origin in the program's file the
    /// one of the nearest signal above it that has one (the user's line that pulled
    /// a library's internals in). Depth-first from the roots, first path wins.
    void inherit_program_origins(std::span<const Signal* const> roots);
    /// The innermost origin in the program's own file.
    diag::SourceRange program_origin(const Signal* s) const {
        return s->id < program_origins_.size() ? program_origins_[s->id] : diag::SourceRange{};
    }
    std::size_t size() const {
        return all_.size();
    }
    /// `x @ n` with a literal n, as the program wrote it (not `x'`, `mem` or a
    /// recursion's feedback, which are the same node here): the reference makes
    /// the two at different times, which decides where it orders them in a
    /// product (passes/normalize.cpp).
    void mark_explicit_delay(const Signal* s) {
        if (s->id >= explicit_delays_.size()) {
            explicit_delays_.resize(std::size_t(s->id) + 1 + explicit_delays_.size(), 0);
        }
        explicit_delays_[s->id] = 1;
    }
    bool is_explicit_delay(const Signal* s) const {
        return s->id < explicit_delays_.size() && explicit_delays_[s->id] != 0;
    }
    Interner& interner() {
        return interner_;
    }

private:
    const Signal* intern(Signal&& proto);
    struct Hash {
        std::size_t operator()(const Signal* s) const;
    };
    struct Eq {
        bool operator()(const Signal* a, const Signal* b) const;
    };

    Interner& interner_;
    Arena arena_;
    std::unordered_set<const Signal*, Hash, Eq> table_;
    std::vector<const Signal*> all_;
    std::int32_t next_group_ = 0;
    /// Sets `r` as `s`'s range in `by_id` unless it has one (begin.file != 0).
    static void set_first(std::vector<diag::SourceRange>& by_id, const Signal* s,
                          diag::SourceRange r) {
        if (s->id >= by_id.size()) {
            by_id.resize(std::size_t(s->id) + 1 + by_id.size());
        }
        if (by_id[s->id].begin.file == 0) {
            by_id[s->id] = r;
        }
    }

    // by the signals' dense ids (vectors, not hash maps: issue 14); a range
    // with begin.file 0 is none
    std::vector<diag::SourceRange> origins_;
    std::vector<diag::SourceRange> program_origins_;
    std::vector<std::uint8_t> explicit_delays_;
    diag::FileId program_file_ = 0;
};

/// Readable, deterministic text of a signal graph (shared nodes printed once, as
/// numbered definitions), for golden tests and debugging. `note` (optional):
/// text appended to each definition after " ; " (its type, its interval).
std::string print(std::span<const Signal* const> outputs,
                  const std::function<std::string(const Signal*)>& note = {});

} // namespace tutti::sig
