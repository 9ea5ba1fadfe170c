// SPDX-License-Identifier: MIT
/** \file
 * State migration between two versions of a program: a plan made off the audio
 * thread from the two state layouts (plan_migration), applied on the audio
 * thread at the swap (apply_migration: no allocation, a loop over the steps).
 *
 * Matching (docs/state-identity.md, docs/hot-swap.md):
 *  - controls by UI path, the value clamped into the new range;
 *  - every other field by its structural identity (the k-th field with an
 *    identity takes the k-th old field with the same identity);
 *  - the past of a delayed signal by where it is read, whatever holds it (a delay
 *    line, or the ring of the recursion making the signal), scaled when the two
 *    versions read it with different constant factors;
 *  - a recursion or line left unmatched takes an unmatched old one of the same
 *    shape when exactly one old and one new field have that shape (it moved);
 *    a delay line may also take an old line already carried elsewhere;
 *  - delay lines and recursion memories are copied sample by sample ("the value
 *    k samples ago") when their length, type or layout changed (resized);
 *  - read-only tables are never copied (the new version computed its own);
 *    writable tables are;
 *  - the ring-buffer index (IOTA) is carried first, so that equal rings copy as
 *    bytes.
 * The plan says whether anything could not be matched: then the engine
 * crossfades from the old version to the new one.
 */
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "tutti/compiler.h"
#include "tutti/engine.h"

namespace tutti::engine {

using ElemType = ValueType;

struct CopyStep {
    enum class Op : std::uint8_t {
        Bytes,   ///< same type and layout: memcpy
        Value,   ///< element-wise with conversion (scalars, writable tables)
        History, ///< the last min(n_old, n_new) samples of a line, by age
        Control, ///< one real value, clamped into [lo, hi]
    };
    Op op = Op::Bytes;
    ElemType src_type = ElemType::F32, dst_type = ElemType::F32;
    bool src_ring = false, dst_ring = false;
    std::uint32_t src_offset = 0, dst_offset = 0; ///< bytes into the state blocks
    std::uint32_t src_count = 1, dst_count = 1;   ///< elements
    std::uint32_t dst_field = 0;                  ///< index in the new layout (for messages)
    double lo = 0, hi = 0;                        ///< Control only
    /// Value/History: the old program reads the source times src_scale, the new one the
    /// destination times dst_scale (the past of a signal carried to storage read at
    /// another scale); the copy keeps what is read the same.
    double src_scale = 1, dst_scale = 1;
};

struct MigrationPlan {
    std::vector<CopyStep> steps;
    std::int64_t src_iota = -1, dst_iota = -1; ///< byte offsets of the IOTA fields (-1: none)
    std::vector<FieldChange> changes;        ///< for the report (new fields, then dropped old ones)
    std::vector<std::int32_t> parameter_map; ///< old parameter index -> new one, or -1
    bool crossfade = false;                  ///< some state could not be carried
    int carried = 0, resized = 0, rebuilt = 0, reset = 0, dropped = 0;
};

/// A digest of each read-only table's content in an initialised instance (by
/// field index; 0 for other fields): lets a plan tell kept tables from rebuilt ones.
std::vector<std::uint64_t> table_digests(const Factory& factory, const std::byte* state);

/// Any thread but the audio thread. `from_tables`/`to_tables`: table_digests()
/// of the two versions (may be empty: every table is then reported rebuilt).
MigrationPlan plan_migration(const Factory& from, const Factory& to,
                             const std::vector<std::uint64_t>& from_tables,
                             const std::vector<std::uint64_t>& to_tables);

/// The report of a first version (nothing to migrate from): every field reset.
std::vector<FieldChange> fresh_changes(const Factory& factory);

/// Audio thread (real-time safe). `to` is an initialised state of the new
/// version; `from` the state of the old one, as it is at a block boundary.
void apply_migration(const MigrationPlan& plan, const std::byte* from, std::byte* to) noexcept;

/// Tests (any thread but the audio thread): after apply_migration(plan, from, to),
/// reads every field the plan carries as the new version will read it (a line:
/// the value of every age it holds, through the ring index when it is a ring)
/// and compares it with the same age of the old field, with its own reader of
/// the layouts (not the copy's). Also checks that every field the report calls
/// carried, moved, resized or clamped has a copy. One line per disagreement.
std::vector<std::string> verify_migration(const MigrationPlan& plan, const Factory& to,
                                          const std::byte* from, const std::byte* migrated);

} // namespace tutti::engine
