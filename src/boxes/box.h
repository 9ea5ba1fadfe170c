// SPDX-License-Identifier: MIT
/** \file
 * Boxes: block diagrams in normal form, the result of evaluating a Faust program
 * and the input of propagation (boxes -> signals).
 *
 * Boxes are immutable and hash-consed in a `BoxContext` owned by one compilation:
 * two structurally equal boxes are the same pointer, so propagation can memoise
 * on pointers. Each box knows its number of inputs and outputs, computed when it
 * is made; `make_*` functions do NOT check composition rules (the evaluator checks
 * them first, because only it knows the source location to report).
 *
 * Semantics (Faust 2.54.9): see box_kinds.def for each kind's fields and arity.
 * Widget labels keep their metadata (`"freq [unit:Hz]"`) and path prefixes
 * (`"h:Osc/freq"`); `%i` substitution has already been done by the evaluator.
 */
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <unordered_set>
#include <vector>

#include "diag/source_manager.h"
#include "frontend/ast/ast.h"
#include "support/arena.h"
#include "support/interner.h"

namespace tutti::boxes {

enum class BoxKind : std::uint8_t {
#define BOX(kind, name, layout) kind,
#include "boxes/box_kinds.def"
#undef BOX
    Count
};

std::string_view kind_name(BoxKind k);

/// The signature of a foreign function: `float sinhf|sinh|sinhl(float)`.
struct FFunSignature {
    ast::ValueType result = ast::ValueType::Float;
    Symbol names[3]; ///< single, double, quad precision names (repeated when fewer were given)
    std::span<const ast::ValueType> args;
    Symbol include; ///< as written: <math.h> or "file.h"
    Symbol library;
};

struct Box {
    BoxKind kind{};
    std::uint8_t op = 0;      ///< PrimOp for Prim, ValueType for FConst/FVar
    std::uint32_t id = 0;     ///< dense, in creation order: deterministic iteration
    std::uint32_t inputs = 0; ///< number of inputs
    std::uint32_t outputs = 0;
    std::int32_t ival = 0;
    double rval = 0;
    Symbol label; ///< widget/group label, FConst/FVar name
    Symbol text;  ///< FConst/FVar include file
    std::span<const Box* const> kids;
    std::span<const double> nums;
    const FFunSignature* ffun = nullptr;

    ast::PrimOp prim() const {
        return static_cast<ast::PrimOp>(op);
    }
    const Box* kid(std::size_t i) const {
        return kids[i];
    }
};

/// Owns and hash-conses the boxes of one compilation session.
class BoxContext {
public:
    explicit BoxContext(Interner& interner) : interner_(interner) {
    }
    BoxContext(const BoxContext&) = delete;
    BoxContext& operator=(const BoxContext&) = delete;

    const Box* make_int(std::int32_t v);
    const Box* make_real(double v);
    const Box* make_wire();
    const Box* make_cut();
    const Box* make_prim(ast::PrimOp op);
    const Box* make_ffun(const FFunSignature& sig);
    const Box* make_fconst(ast::ValueType t, Symbol name, Symbol include);
    const Box* make_fvar(ast::ValueType t, Symbol name, Symbol include);
    /// Seq, Par, Split, Merge, Rec.
    const Box* make_binary(BoxKind k, const Box* x, const Box* y);
    const Box* make_button(Symbol label);
    const Box* make_checkbox(Symbol label);
    /// VSlider, HSlider, NEntry.
    const Box* make_slider(BoxKind k, Symbol label, double init, double min, double max,
                           double step);
    /// VBargraph, HBargraph.
    const Box* make_bargraph(BoxKind k, Symbol label, double min, double max);
    /// VGroup, HGroup, TGroup.
    const Box* make_group(BoxKind k, Symbol label, const Box* body);
    const Box* make_soundfile(Symbol label, std::int32_t channels);
    const Box* make_waveform(std::span<const Box* const> values);
    const Box* make_route(std::int32_t ins, std::int32_t outs, std::span<const double> pairs);
    const Box* make_slot(std::int32_t n);
    const Box* make_symbolic(const Box* slot, const Box* body);

    /// A slot number never used before in this context.
    std::int32_t fresh_slot() {
        return next_slot_++;
    }

    /// Where a box was first made (for diagnostics); empty when unknown.
    void set_origin(const Box* b, diag::SourceRange r);
    diag::SourceRange origin(const Box* b) const;

    std::size_t size() const {
        return boxes_.size();
    }
    Interner& interner() {
        return interner_;
    }

private:
    const Box* intern(Box&& proto);

    struct Hash {
        std::size_t operator()(const Box* b) const;
    };
    struct Eq {
        bool operator()(const Box* a, const Box* b) const;
    };

    Interner& interner_;
    Arena arena_;
    std::unordered_set<const Box*, Hash, Eq> table_;
    std::vector<const Box*> boxes_;
    std::vector<diag::SourceRange> origins_;
    std::int32_t next_slot_ = 1;
};

/// Faust-like notation, deterministic: `(_,_ : +)`, `hslider("f",440,20,2e4,1)`.
std::string print(const Box* b);

} // namespace tutti::boxes
