// SPDX-License-Identifier: MIT
/** \file
 * An instance whose state block lives in this process's memory (64-byte
 * aligned, zeroed, never resized): the base of the interpreted and the
 * JIT-compiled instances. Parameters are read and written in the block at the
 * offsets the factory's parameters give.
 */
#pragma once

#include "tutti/runtime.h"

namespace tutti::runtime {

class LocalInstance : public Instance {
public:
    explicit LocalInstance(std::shared_ptr<const Factory> factory);
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

private:
    std::byte* state_ = nullptr;
    std::size_t bytes_ = 0;
    bool double_ = false;
};

} // namespace tutti::runtime
