// SPDX-License-Identifier: MIT
// State images (state_image.h): the layout checks and the layout-only factory.
// The codec is in factory_info_codec.cpp, with the conventions it shares.
#include "runtime/state_image.h"

#include <utility>

namespace tutti {

namespace {

class LayoutFactory final : public Factory {
public:
    explicit LayoutFactory(FactoryInfo info) : Factory(std::move(info)) {
    }
    const char* implementation() const override {
        return "state-layout";
    }

protected:
    std::unique_ptr<Instance> make_instance(std::shared_ptr<const Factory>) const override {
        return nullptr;
    }
};

} // namespace

FactoryInfo state_layout_of(const FactoryInfo& info) {
    FactoryInfo out;
    out.name = info.name;
    out.inputs = info.inputs;
    out.outputs = info.outputs;
    out.double_precision = info.double_precision;
    out.parameters = info.parameters;
    out.state_layout = info.state_layout;
    out.state_bytes = info.state_bytes;
    out.content_key = info.content_key;
    out.voices = info.voices;
    return out;
}

std::string check_state_layout(const FactoryInfo& layout) {
    for (const StateField& f : layout.state_layout) {
        if (f.elements == 0) {
            return "state field " + f.name + " has no element";
        }
        if (std::uint64_t(f.elements) * size_of(f.type) != f.bytes) {
            return "state field " + f.name + " holds " + std::to_string(f.bytes) + " bytes, not " +
                   std::to_string(f.elements) + " x " + to_string(f.type);
        }
        if (f.ring && (f.elements & (f.elements - 1)) != 0) {
            return "state field " + f.name + " is a ring of " + std::to_string(f.elements) +
                   " elements (not a power of two)";
        }
        if (f.kind == StateKind::Iota && f.type != ValueType::I32) {
            return "the ring index " + f.name + " is not an i32";
        }
        if (f.kind == StateKind::Sound) {
            return "state field " + f.name + " is a sound file (a pointer): it cannot travel";
        }
    }
    return {};
}

std::shared_ptr<const Factory> make_layout_factory(FactoryInfo layout) {
    return std::make_shared<const LayoutFactory>(std::move(layout));
}

} // namespace tutti
