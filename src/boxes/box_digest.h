// SPDX-License-Identifier: MIT
/** \file
 * A digest of a box's whole structure (the expanded program): every node's
 * kind, operator, numbers, labels, foreign signature and children, each shared
 * node hashed once. Two programs with the same structure have the same digest,
 * in time and memory linear in the number of distinct boxes (printing the tree
 * instead grows with the number of paths: gigabytes for programs that share a
 * lot, such as chains of smoothers).
 */
#pragma once

#include <string>

#include "boxes/box.h"

namespace tutti::boxes {

/// 32 hex digits.
std::string digest(const Box* root);

} // namespace tutti::boxes
