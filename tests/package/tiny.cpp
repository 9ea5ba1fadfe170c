// SPDX-License-Identifier: MIT
// The smallest user of the installed library, built with `pkg-config tutti`:
// compiles a program from source text and prints the first samples it computes.
#include <tutti/compiler.h>
#include <tutti/version.h>

#include <cstdio>

int main() {
    tutti::CompileResult r = tutti::compile_source("tiny.dsp", "process = 1 : + ~ *(0.5);");
    if (!r.ok()) {
        std::printf("%s\n", tutti::to_text(r.diagnostics.at(0)).c_str());
        return 1;
    }
    auto instance = r.factory->create_instance();
    instance->init(48000);
    float out[4] = {};
    float* outs[1] = {out};
    instance->compute(4, nullptr, reinterpret_cast<void* const*>(outs));
    std::printf("tutti %s: %g %g %g %g\n", tutti::version, out[0], out[1], out[2], out[3]);
    return out[0] == 1.0f && out[1] == 1.5f && out[2] == 1.75f && out[3] == 1.875f ? 0 : 1;
}
