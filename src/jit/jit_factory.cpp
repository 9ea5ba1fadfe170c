// SPDX-License-Identifier: MIT
#include "jit/jit_factory.h"

namespace tutti::jit {

namespace {

class JitFactory final : public Factory {
public:
    JitFactory(FactoryInfo info, std::unique_ptr<CompiledModule> code, EntryPoints entry,
               std::shared_ptr<const ir::Module> module, runtime::SoundSlots sounds,
               const char* implementation)
        : Factory(std::move(info)), code_(std::move(code)), entry_(entry),
          module_(std::move(module)), sounds_(std::move(sounds)), implementation_(implementation) {
    }
    const char* implementation() const override {
        return implementation_;
    }

protected:
    std::unique_ptr<Instance> make_instance(std::shared_ptr<const Factory> self) const override;
    std::unique_ptr<Instance> make_instance_in(std::shared_ptr<const Factory> self,
                                               std::byte* state) const override;

private:
    std::unique_ptr<CompiledModule> code_;
    EntryPoints entry_;
    std::shared_ptr<const ir::Module> module_;
    runtime::SoundSlots sounds_;
    const char* implementation_;
};

class JitInstance final : public runtime::LocalInstance {
public:
    JitInstance(std::shared_ptr<const Factory> self, const EntryPoints& entry,
                const runtime::SoundSlots& sounds)
        : LocalInstance(std::move(self), sounds), entry_(entry) {
    }
    JitInstance(std::shared_ptr<const Factory> self, const EntryPoints& entry,
                const runtime::SoundSlots& sounds, std::byte* state)
        : LocalInstance(std::move(self), sounds, state), entry_(entry) {
    }
    void compute_constants(int sample_rate) override {
        entry_.init_constants(state(), sample_rate);
    }
    void reset_controls() override {
        entry_.reset_controls(state());
    }
    void clear() override {
        entry_.clear_state(state());
    }
    void compute(int frames, const void* const* inputs, void* const* outputs) override {
        entry_.compute(state(), frames, inputs, outputs);
    }

private:
    EntryPoints entry_;
};

std::unique_ptr<Instance> JitFactory::make_instance(std::shared_ptr<const Factory> self) const {
    return std::make_unique<JitInstance>(std::move(self), entry_, sounds_);
}
std::unique_ptr<Instance> JitFactory::make_instance_in(std::shared_ptr<const Factory> self,
                                                       std::byte* state) const {
    return std::make_unique<JitInstance>(std::move(self), entry_, sounds_, state);
}

} // namespace

std::shared_ptr<const Factory>
make_jit_factory(FactoryInfo info, std::unique_ptr<CompiledModule> code, EntryPoints entry,
                 std::shared_ptr<const ir::Module> module, runtime::SoundSlots sounds) {
    return std::make_shared<JitFactory>(std::move(info), std::move(code), entry, std::move(module),
                                        std::move(sounds), "llvm-jit");
}

std::shared_ptr<const Factory>
make_object_factory(FactoryInfo info, std::unique_ptr<CompiledModule> code, EntryPoints entry) {
    return std::make_shared<JitFactory>(std::move(info), std::move(code), entry, nullptr,
                                        runtime::SoundSlots{}, "llvm-object");
}

} // namespace tutti::jit
