// SPDX-License-Identifier: MIT
/** \file
 * Structural identities of state (delay lines, recursions, tables, controls),
 * so that a new version of a program can take over the state of the old one
 * where the program's structure did not change (see docs/state-identity.md).
 *
 * Two keys, both independent of signal addresses, of the order of compilation,
 * of definition names and of every numeric constant:
 *  - the position: the path from the outputs down to the state, as the kinds of
 *    the nodes passed and the input index taken at each (first path found by a
 *    depth-first walk from output 0, 1, ...); a stage inserted or changed
 *    upstream does not move what lies downstream of it;
 *  - the shape (recursions only): the structure of what depends on the
 *    recursion's own feedback in its body; constants, inputs and everything
 *    computed upstream are abstracted, so neither an edit upstream nor one
 *    downstream changes it. Other state has no shape of its own.
 * Identity string: "<kind>:<position hash>:<shape hash>"; controls use their UI
 * path instead ("control:<path>").
 */
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <unordered_map>

#include "signals/signal.h"

namespace tutti::lower {

class StateIdentities {
public:
    StateIdentities(std::span<const sig::Signal* const> outputs, sig::SignalContext& sc);

    /// The delay line (or recursion memory) of signal x (recursion projections in
    /// their Proj(i, RecVar(id)) form).
    std::string line(const sig::Signal* x) const;
    /// A table or waveform created for signal s.
    std::string table(const sig::Signal* s) const;
    /// Any other per-signal state (prefix flag, waveform counter).
    std::string other(const char* kind, const sig::Signal* s) const;
    /// The constant factor by which the program reads signal x at its position:
    /// multiplications by a number are passed through when positions are given
    /// (the normal form moves them across delays: `(k*x)@d` is computed as
    /// `k*(x@d)`), so that a line holding x and a line holding k*x read at the
    /// same place have the same position; the engine scales what it carries
    /// from one to the other by the ratio of their factors.
    double scale(const sig::Signal* x) const;

private:
    std::uint64_t position(const sig::Signal* s) const;
    std::uint64_t shape(const sig::Signal* s) const;
    std::uint64_t body_shape(const sig::Signal* body, int group) const;

    sig::SignalContext& sc_;
    std::unordered_map<const sig::Signal*, std::uint64_t> position_;
    std::unordered_map<const sig::Signal*, double> scale_;
    std::unordered_map<int, const sig::Signal*> groups_;
    mutable std::unordered_map<const sig::Signal*, std::uint64_t> shape_;
};

} // namespace tutti::lower
