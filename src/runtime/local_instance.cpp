// SPDX-License-Identifier: MIT
#include "runtime/local_instance.h"

#include <algorithm>
#include <cstring>
#include <new>

namespace tutti::runtime {

LocalInstance::LocalInstance(std::shared_ptr<const Factory> factory, const SoundSlots& sounds)
    : Instance(factory), bytes_(std::max<std::size_t>(factory->state_bytes(), 16)),
      double_(factory->double_precision()) {
    state_ = static_cast<std::byte*>(::operator new(bytes_, std::align_val_t(64)));
    std::memset(state_, 0, bytes_);
    for (const auto& [offset, sound] : sounds) {
        const ir::SoundData* p = &sound->data;
        // NOLINTNEXTLINE(bugprone-sizeof-expression): the field holds the pointer itself
        std::memcpy(state_ + offset, &p, sizeof p);
    }
}

LocalInstance::LocalInstance(std::shared_ptr<const Factory> factory, const SoundSlots& sounds,
                             std::byte* state)
    : Instance(factory), state_(state), bytes_(std::max<std::size_t>(factory->state_bytes(), 16)),
      double_(factory->double_precision()), owned_(false) {
    for (const auto& [offset, sound] : sounds) {
        const ir::SoundData* p = &sound->data;
        // NOLINTNEXTLINE(bugprone-sizeof-expression): the field holds the pointer itself
        std::memcpy(state_ + offset, &p, sizeof p);
    }
}

LocalInstance::~LocalInstance() {
    if (owned_) {
        ::operator delete(state_, std::align_val_t(64));
    }
}

void LocalInstance::set_parameter(std::size_t index, double value) {
    std::byte* p = state_ + parameters()[index].offset;
    if (double_) {
        std::memcpy(p, &value, sizeof value);
    } else {
        float v = float(value);
        std::memcpy(p, &v, sizeof v);
    }
}

double LocalInstance::get_parameter(std::size_t index) const {
    const std::byte* p = state_ + parameters()[index].offset;
    if (double_) {
        double v;
        std::memcpy(&v, p, sizeof v);
        return v;
    }
    float v;
    std::memcpy(&v, p, sizeof v);
    return v;
}

void LocalInstance::instance_constants(int sample_rate) {
    const bool fresh = !constants_set_;
    constants_set_ = true;
    factory().constants_memo().fill(state_, sample_rate, fresh,
                                    [&] { compute_constants(sample_rate); });
}

void LocalInstance::read_state(std::span<std::byte> to) const {
    std::memcpy(to.data(), state_, std::min(to.size(), bytes_));
}

void LocalInstance::write_state(std::span<const std::byte> from) {
    std::memcpy(state_, from.data(), std::min(from.size(), bytes_));
}

} // namespace tutti::runtime
