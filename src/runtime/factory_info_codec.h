// SPDX-License-Identifier: MIT
/** \file
 * A binary form of `FactoryInfo` (tutti/runtime.h), every field included (the
 * parameters with their state offsets, the UI walk, the state layout with its
 * identities), for the compiled-code cache (src/cache) and for factories that
 * cross a wire (the compile server, a thin client).
 *
 * Layout (little-endian): magic "TFI\x01", u32 format version, u64 payload
 * length, the payload, u64 checksum64 of the payload. Strings are a u32 length and
 * the bytes; lists a u32 count and the elements; reals the eight bytes of a
 * double. The decoder checks every length and count against the bytes left (so
 * it never allocates more than a small multiple of its input), every enum
 * against its range, every offset against the state block and every UI widget's
 * parameter index; it rejects what is left over. It never throws on bad input.
 *
 * The container of `MachineCode` (tutti/machine_code.h: encode_machine_code,
 * decode_machine_code) is here too, with the same conventions.
 */
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "tutti/runtime.h"

namespace tutti {

/// A fast 64-bit checksum of bytes (four lanes of 64-bit words, then a
/// mixer): detects corruption and truncation, not an attacker.
std::uint64_t checksum64(std::string_view bytes);

/// The current format version (the second header word).
inline constexpr std::uint32_t factory_info_format_version = 1;

std::string encode_factory_info(const FactoryInfo& info);

/// The info, or nullopt and `error` (when given) set to what is wrong and at
/// which byte.
std::optional<FactoryInfo> decode_factory_info(std::string_view bytes, std::string* error);

} // namespace tutti
