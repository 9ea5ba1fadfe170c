// SPDX-License-Identifier: MIT
#include "jit/slot_factory.h"

#include "runtime/local_instance.h"

namespace tutti::jit {

namespace {

const runtime::SoundSlots no_sounds{}; // programs with soundfiles get no slot code

class SlotFactory final : public Factory {
public:
    SlotFactory(FactoryInfo info, std::shared_ptr<const ConstantSlotCode> code,
                std::vector<std::byte> constants)
        : Factory(std::move(info)), code_(std::move(code)), constants_(std::move(constants)) {
    }
    const char* implementation() const override {
        return "llvm-jit-slots";
    }

protected:
    std::unique_ptr<Instance> make_instance(std::shared_ptr<const Factory> self) const override;
    std::unique_ptr<Instance> make_instance_in(std::shared_ptr<const Factory> self,
                                               std::byte* state) const override;

private:
    std::shared_ptr<const ConstantSlotCode> code_;
    std::vector<std::byte> constants_;
};

class SlotInstance final : public runtime::LocalInstance {
public:
    SlotInstance(std::shared_ptr<const Factory> self, const ConstantSlotCode& code,
                 const std::byte* constants)
        : LocalInstance(std::move(self), no_sounds), code_(code), constants_(constants) {
    }
    SlotInstance(std::shared_ptr<const Factory> self, const ConstantSlotCode& code,
                 const std::byte* constants, std::byte* state)
        : LocalInstance(std::move(self), no_sounds, state), code_(code), constants_(constants) {
    }
    void compute_constants(int sample_rate) override {
        code_.init_constants(state(), sample_rate, constants_);
    }
    void reset_controls() override {
        code_.reset_controls(state(), constants_);
    }
    void clear() override {
        code_.clear_state(state(), constants_);
    }
    void compute(int frames, const void* const* inputs, void* const* outputs) override {
        code_.compute(state(), frames, inputs, outputs, constants_);
    }

private:
    const ConstantSlotCode& code_; ///< kept alive by the factory the instance holds
    const std::byte* constants_;
};

std::unique_ptr<Instance> SlotFactory::make_instance(std::shared_ptr<const Factory> self) const {
    return std::make_unique<SlotInstance>(std::move(self), *code_, constants_.data());
}
std::unique_ptr<Instance> SlotFactory::make_instance_in(std::shared_ptr<const Factory> self,
                                                        std::byte* state) const {
    return std::make_unique<SlotInstance>(std::move(self), *code_, constants_.data(), state);
}

} // namespace

std::shared_ptr<const Factory> make_slot_factory(FactoryInfo info,
                                                 std::shared_ptr<const ConstantSlotCode> code,
                                                 std::vector<std::byte> constants) {
    return std::make_shared<SlotFactory>(std::move(info), std::move(code), std::move(constants));
}

} // namespace tutti::jit
