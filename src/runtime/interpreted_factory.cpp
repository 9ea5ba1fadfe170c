// SPDX-License-Identifier: MIT
#include "runtime/interpreted_factory.h"

#include "ir/interpreter.h"
#include "runtime/local_instance.h"

namespace tutti::runtime {

namespace {

class InterpretedFactory final : public Factory {
public:
    InterpretedFactory(FactoryInfo info, std::shared_ptr<const ir::Module> module,
                       SoundSlots sounds)
        : Factory(std::move(info)), module_(std::move(module)), interpreter_(*module_),
          sounds_(std::move(sounds)) {
    }
    const char* implementation() const override {
        return "interpreter";
    }
    const ir::Interpreter& interpreter() const {
        return interpreter_;
    }

protected:
    std::unique_ptr<Instance> make_instance(std::shared_ptr<const Factory> self) const override;
    std::unique_ptr<Instance> make_instance_in(std::shared_ptr<const Factory> self,
                                               std::byte* state) const override;

private:
    std::shared_ptr<const ir::Module> module_;
    ir::Interpreter interpreter_;
    SoundSlots sounds_;
};

class InterpretedInstance final : public LocalInstance {
public:
    InterpretedInstance(std::shared_ptr<const Factory> self, const ir::Interpreter& code,
                        const SoundSlots& sounds)
        : LocalInstance(std::move(self), sounds), code_(code) {
    }
    InterpretedInstance(std::shared_ptr<const Factory> self, const ir::Interpreter& code,
                        const SoundSlots& sounds, std::byte* state)
        : LocalInstance(std::move(self), sounds, state), code_(code) {
    }
    void compute_constants(int sample_rate) override {
        code_.init_constants(state(), sample_rate);
    }
    void reset_controls() override {
        code_.reset_controls(state());
    }
    void clear() override {
        code_.clear_state(state());
    }
    void compute(int frames, const void* const* inputs, void* const* outputs) override {
        code_.compute(state(), frames, inputs, outputs);
    }

private:
    const ir::Interpreter& code_;
};

std::unique_ptr<Instance>
InterpretedFactory::make_instance(std::shared_ptr<const Factory> self) const {
    return std::make_unique<InterpretedInstance>(std::move(self), interpreter_, sounds_);
}
std::unique_ptr<Instance> InterpretedFactory::make_instance_in(std::shared_ptr<const Factory> self,
                                                               std::byte* state) const {
    return std::make_unique<InterpretedInstance>(std::move(self), interpreter_, sounds_, state);
}

} // namespace

std::shared_ptr<const Factory> make_interpreted_factory(FactoryInfo info,
                                                        std::shared_ptr<const ir::Module> module,
                                                        SoundSlots sounds) {
    return std::make_shared<InterpretedFactory>(std::move(info), std::move(module),
                                                std::move(sounds));
}

std::size_t interpreted_compute_size(const Factory& factory) {
    const auto* f = dynamic_cast<const InterpretedFactory*>(&factory);
    return f != nullptr ? f->interpreter().compute_size() : 0;
}

} // namespace tutti::runtime
