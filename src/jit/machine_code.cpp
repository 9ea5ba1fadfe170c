// SPDX-License-Identifier: MIT
/** \file load_machine_code (tutti/machine_code.h): an object file into a JIT of its own. */
#include "tutti/machine_code.h"

#include <algorithm>

#include "jit/jit_engine.h"
#include "jit/jit_factory.h"

namespace tutti {

std::shared_ptr<const Factory> load_machine_code(const MachineCode& code, std::string* error) {
    auto fail = [&](std::string why) -> std::shared_ptr<const Factory> {
        if (error != nullptr) {
            *error = "cannot load the machine code of '" + code.info.name + "': " + std::move(why);
        }
        return nullptr;
    };
    const MachineTarget host = jit::host_machine_target();
    if (std::string why = machine_target_mismatch(code.target, host); !why.empty()) {
        return fail(why);
    }
    if (std::any_of(code.info.state_layout.begin(), code.info.state_layout.end(),
                    [](const StateField& f) { return f.kind == StateKind::Sound; })) {
        return fail("the program reads sound files, which machine code does not carry");
    }
    if (code.info.voices != 0) {
        return fail("a polyphonic program is loaded as its voice and effect programs");
    }
    if (code.object.empty()) {
        return fail("no object code");
    }
    jit::CompileResult loaded = jit::load_object(code.object);
    if (!loaded.module) {
        return fail(loaded.error);
    }
    jit::EntryPoints entry;
    std::string why;
    const jit::CompiledModule& m = *loaded.module;
    entry.init_constants = m.function<decltype(entry.init_constants)>("tutti_init_constants", &why);
    entry.reset_controls = m.function<decltype(entry.reset_controls)>("tutti_reset_controls", &why);
    entry.clear_state = m.function<decltype(entry.clear_state)>("tutti_clear_state", &why);
    entry.compute = m.function<decltype(entry.compute)>("tutti_compute", &why);
    if (entry.init_constants == nullptr || entry.reset_controls == nullptr ||
        entry.clear_state == nullptr || entry.compute == nullptr) {
        return fail("the object does not link or lacks an entry point: " + why);
    }
    return jit::make_object_factory(code.info, std::move(loaded.module), entry);
}

} // namespace tutti
