// SPDX-License-Identifier: MIT
/** \file
 * The one child-rebuilding loop of the passes that rebuild signals (Halide's
 * IRMutator, Faust's treeTransform): a memoised post-order walk. Each node is
 * visited once, after its children; `with_new_kids(s)` is `s` over the
 * rewritten forms of its children (the node itself when none changed, so
 * untouched subgraphs keep their identity), and what the pass returns for `s`
 * becomes its rewritten form. Iterative (post_order.h), so deep graphs do not
 * use the call stack.
 *
 *     sig::Rewriter rw(sc);
 *     auto out = rw.run(outputs, [&](const Signal* s) { return fold(rw.with_new_kids(s)); });
 *
 * A pass that needs the rewritten form of a node other than the one it is
 * visiting (a child's, a grandchild's) asks `rewritten(x)`: every node below
 * the one being visited is already done.
 */
#pragma once

#include <algorithm>
#include <span>
#include <stdexcept>
#include <vector>

#include "signals/post_order.h"
#include "signals/signal.h"

namespace tutti::sig {

class Rewriter {
public:
    explicit Rewriter(SignalContext& sc) : sc_(sc) {
    }

    /// Visits every node reachable from `roots`, children first, and records
    /// `visit(s)` as its rewritten form; returns the rewritten roots.
    template <class Visit>
    std::vector<const Signal*> run(std::span<const Signal* const> roots, Visit&& visit) {
        for (const Signal* s : post_order(roots)) {
            const Signal* r = visit(s);
            set(s, r);
        }
        std::vector<const Signal*> out;
        out.reserve(roots.size());
        for (const Signal* r : roots) {
            out.push_back(at(r));
        }
        return out;
    }

    /// `s` over the rewritten forms of its children; `s` itself when they are all unchanged.
    const Signal* with_new_kids(const Signal* s) {
        bool changed = false;
        kids_.clear();
        for (const Signal* k : s->kids) {
            kids_.push_back(at(k));
            changed = changed || kids_.back() != k;
        }
        return changed ? sc_.make_like(s, kids_) : s;
    }

    /// The rewritten form of a node already visited.
    const Signal* rewritten(const Signal* s) const {
        return at(s);
    }

private:
    const Signal* at(const Signal* s) const {
        if (s->id >= done_.size() || done_[s->id] == nullptr) {
            throw std::out_of_range("Rewriter: a signal not visited yet");
        }
        return done_[s->id];
    }
    void set(const Signal* s, const Signal* r) {
        if (s->id >= done_.size()) {
            done_.resize(
                std::max<std::size_t>({std::size_t(s->id) + 1, 2 * done_.size(), sc_.size()}),
                nullptr);
        }
        done_[s->id] = r;
    }

    SignalContext& sc_;
    /// The rewritten form of each visited node, by its dense id (a vector, not a
    /// hash map: issue 14)
    std::vector<const Signal*> done_;
    std::vector<const Signal*> kids_; ///< scratch, reused across nodes
};

} // namespace tutti::sig
