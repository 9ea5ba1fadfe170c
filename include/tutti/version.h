// SPDX-License-Identifier: MIT
/** \file Version of the tutti library and of the Faust language it implements. */
#pragma once

namespace tutti {
inline constexpr const char* version = "0.1.0";
inline constexpr const char* faust_language_version = "2.54.9";
} // namespace tutti
