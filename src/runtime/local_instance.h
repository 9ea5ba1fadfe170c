// SPDX-License-Identifier: MIT
/** \file
 * An instance whose state block lives in this process's memory (64-byte
 * aligned, zeroed, never resized): the base of the interpreted and the
 * JIT-compiled instances. Parameters are read and written in the block at the
 * offsets the factory's parameters give; soundfile fields point to the sounds
 * loaded when the program was compiled.
 */
#pragma once

#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "runtime/constants_memo.h"
#include "runtime/sound_files.h"
#include "tutti/runtime.h"

namespace tutti::runtime {

/// The sounds of a program's soundfiles, each with the byte offset of the state
/// field (StateKind::Sound) that points to it in every instance.
using SoundSlots = std::vector<std::pair<std::uint32_t, std::shared_ptr<const LoadedSound>>>;

class LocalInstance : public Instance {
public:
    /// `sounds` must outlive the instance (its factory keeps them).
    LocalInstance(std::shared_ptr<const Factory> factory, const SoundSlots& sounds);
    /// In a block the caller owns (Factory::create_instance_in), not freed here;
    /// zeroed by the caller, as create_instance_in() requires (a megabyte of
    /// delay lines is not cleared twice on the way to a swap).
    LocalInstance(std::shared_ptr<const Factory> factory, const SoundSlots& sounds,
                  std::byte* state);
    ~LocalInstance() override;

    void set_parameter(std::size_t index, double value) override;
    double get_parameter(std::size_t index) const override;
    using Instance::get_parameter;
    using Instance::set_parameter;

    std::byte* state() override {
        return state_;
    }
    const std::byte* state() const override {
        return state_;
    }
    void read_state(std::span<std::byte> to) const override;
    void write_state(std::span<const std::byte> from) override;

    /// init_constants through the factory's memo (runtime/constants_memo.h).
    void instance_constants(int sample_rate) final;

protected:
    /// The implementation's init_constants.
    virtual void compute_constants(int sample_rate) = 0;

private:
    bool constants_set_ = false; ///< instance_constants ran once (the state is no longer as made)
    std::byte* state_ = nullptr;
    std::size_t bytes_ = 0;
    bool double_ = false;
    bool owned_ = true;
};

} // namespace tutti::runtime
