// SPDX-License-Identifier: MIT
/** \file
 * The embedded files' table, defined by the source that cmake/EmbedWebAssets.cmake
 * generates at build time (sorted by path). Only assets.cpp reads it.
 */
#pragma once

#include <cstddef>

#include "web/assets.h"

namespace tutti::web::detail {

extern const Asset asset_table[];
extern const std::size_t asset_count;

} // namespace tutti::web::detail
