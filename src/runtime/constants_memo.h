// SPDX-License-Identifier: MIT
/** \file
 * What a program's init_constants leaves in an instance's state (its
 * sample-rate constants, its tables and their generators' own state), kept
 * after the factory's first instance computed it at a sample rate and copied
 * into the factory's later instances instead of computed again: osc's sine
 * table of 65536 entries takes ~1.3 ms to compute and ~20 us to copy, so a
 * code-cache hit gives a ready instance well within 1 ms (issue 13), and a
 * polyphonic program's voices fill their tables once.
 *
 * init_constants reads only the sample rate and what the factory fixes (its
 * code, its constants, its sounds' pointers, the same in every instance), so
 * what it writes is a function of the factory and the rate. Which fields it
 * writes: every Constant and Table field, and the fields a table generator
 * runs on (recursions and delays of `rdtable`'s content signal, cleared and
 * run inside init_constants), found as the fields a fresh instance's first
 * call changed. Fields it leaves at zero in a fresh instance are never read
 * after it (a generator's state is the generator's alone).
 *
 * Only programs with tables use it (without one, init_constants is a few
 * assignments). Never on the audio thread: instances are initialised where
 * they are made. Thread-safe (a mutex: several threads may make instances
 * of one factory).
 */
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tutti/runtime.h"

namespace tutti::runtime {

class ConstantsMemo {
public:
    ConstantsMemo(const std::vector<StateField>& layout, std::size_t state_bytes);

    /// Whether the program has tables (the memo is used).
    bool enabled() const {
        return enabled_;
    }
    /// Non-audio thread. Sets `state`'s constants for `sample_rate`: copied
    /// from the memo when it holds that rate, else by `compute()`, recorded
    /// when the instance is `fresh` (its first call: the state as made).
    void fill(std::byte* state, int sample_rate, bool fresh, const std::function<void()>& compute);

    /// What the memo holds (tests): the rate (0: nothing yet) and the bytes.
    std::pair<int, std::size_t> held() const;

    using Range = std::pair<std::uint32_t, std::uint32_t>; ///< offset, bytes
    /// The memo as data (kept on disk next to the code by the code cache, so
    /// an instance of a program loaded in a new process copies its tables).
    struct Image {
        int sample_rate = 0;
        std::vector<Range> ranges;
        std::vector<std::byte> bytes; ///< the ranges' bytes, one after another
    };
    /// Takes in an image (of this factory's code, at some rate): false, and
    /// nothing changed, when it does not fit the state layout.
    bool adopt(Image image);
    /// Called (outside the lock) with the image each time one is recorded.
    void on_record(std::function<void(const Image&)> callback);

private:
    const std::vector<StateField>* layout_;
    std::size_t state_bytes_ = 0;
    bool enabled_ = false;
    mutable std::mutex mutex_;
    Image image_;
    std::function<void(const Image&)> on_record_;
};

/// The image as bytes, in the sealed container of factory_info_codec.h (magic
/// "TCI\x01", version, length, payload, checksum; payload: u32 rate, u32 count,
/// the ranges as u32 offset and length, u64 size, the bytes), and back:
/// nullopt for anything damaged or not one (defined in factory_info_codec.cpp).
std::string encode_constants_image(const ConstantsMemo::Image& image);
std::optional<ConstantsMemo::Image> decode_constants_image(std::string_view bytes);

} // namespace tutti::runtime
