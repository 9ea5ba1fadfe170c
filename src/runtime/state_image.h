// SPDX-License-Identifier: MIT
/** \file
 * A state block that travels: an instance's state bytes with the layout that
 * describes them (every field's kind, type, place and structural identity, and
 * the parameters' addresses), so that another process, another machine or a
 * later version of the program can take it in by the engine's state migration
 * (fields matched by identity, controls by address: docs/state-identity.md).
 * What moves a playing program to a compile server and back (issue 13,
 * docs/move.md).
 *
 * Binary form (the conventions of factory_info_codec.h): magic "TSI\x01", u32
 * format version, u64 payload length, the payload, u64 checksum64 of it. The
 * payload: u64 frame, u64 generation, u64 link flags (bit 0: linked), u64 link
 * cycle, u64 cycles concealed (format 2), the layout as an encoded FactoryInfo (its
 * JSON, UI walk, metadata and source files left out), the state bytes. The
 * decoder checks everything the codec checks, and what copying the state by
 * its layout relies on: the bytes are exactly state_bytes long, every field
 * holds elements x size-of-type bytes (at least one element), a ring's length
 * is a power of two, the ring index is an i32. It never throws on bad input.
 */
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tutti/runtime.h"

namespace tutti {

struct StateImage {
    /// Engine frame of the block boundary at which it was taken: the state
    /// before that frame was computed (0 when unknown).
    std::uint64_t frame = 0;
    std::uint64_t generation = 0; ///< the version it was taken from (0: unknown)
    /// Taken by an engine that a network audio link drives (docs/move.md, the
    /// way back): the link's cycle number (the master's) whose block was the
    /// next to compute, and how many of the cycles computed since the link
    /// began were concealed (computed without all their input: packets lost
    /// on the way to it). Unset for any other engine.
    bool linked = false;
    std::uint32_t link_cycle = 0;
    std::uint64_t link_concealed = 0;
    FactoryInfo layout;           ///< state_layout, state_bytes, parameters, name, precision
    std::vector<std::byte> bytes; ///< layout.state_bytes bytes
};

inline constexpr std::uint32_t state_image_format_version = 2;
/// The largest state block a decoder accepts (a zita reverb is ~0.4 MB).
inline constexpr std::size_t max_state_image_bytes = std::size_t(256) << 20;

/// Only what a state migration reads of `info`: name, channels, precision,
/// parameters, state layout and size, content key.
FactoryInfo state_layout_of(const FactoryInfo& info);

std::string encode_state_image(const StateImage& image);
/// The image, or nullopt and `error` (when given) set to what is wrong.
std::optional<StateImage> decode_state_image(std::string_view bytes, std::string* error);
/// What decode_state_image checks beyond the codec (empty: fine).
std::string check_state_layout(const FactoryInfo& layout);

/// A factory that only describes a state block (no code: create_instance()
/// gives nullptr): what the engine migrates a received state from.
std::shared_ptr<const Factory> make_layout_factory(FactoryInfo layout);

} // namespace tutti
