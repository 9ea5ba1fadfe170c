// SPDX-License-Identifier: MIT
/** \file
 * Constant slots (issue 14, edits of numbers only): the real (F32/F64)
 * constants of a module, each given a slot in a block of memory that code made
 * with slots (codegen::compile_native_with_slots) reads at run time instead of
 * an immediate. A later version of the program whose loop IR is the same but
 * for the values of real constants runs on that code with its own block: its
 * constants are written into the slots, nothing is compiled.
 *
 * Integer constants (delay lengths, table sizes, indexes, masks) are structure:
 * they stay immediates, and a version that changes one is not patchable.
 *
 * Slots are numbered in a fixed walk of the module (fields, then the four
 * functions in order, statements and expressions depth first); a node shared
 * by several parents (the IR is a DAG) has one slot. The block holds 8 bytes
 * per slot: a double, or a float in its first 4 bytes.
 */
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <unordered_map>
#include <vector>

#include "ir/loop_ir.h"

namespace tutti::ir {

struct ConstantSlots {
    std::unordered_map<const Expr*, std::uint32_t> slot; ///< a real Const node -> its slot
    std::vector<Type> types;                             ///< per slot: F32 or F64
    std::vector<double> values;                          ///< per slot, as the module has them
};

/// The slots of `m`'s real constants.
ConstantSlots constant_slots(const Module& m);

/// When `b` is `a` (whose slots are `slots`) but for the values of real
/// constants: b's values, per slot of `a`. nullopt when anything else differs
/// (fields, locals, statements, operations, integer constants, callees...), or
/// when two uses of one shared node of `a` hold different values in `b`.
std::optional<std::vector<double>> constants_as_slots(const Module& a, const ConstantSlots& slots,
                                                      const Module& b);

/// The block of memory code with slots reads: 8 bytes per slot.
std::vector<std::byte> slot_block(const ConstantSlots& slots, const std::vector<double>& values);

} // namespace tutti::ir
