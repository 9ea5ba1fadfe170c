// SPDX-License-Identifier: MIT
/** \file
 * libFuzzer target for the whole compiler without LLVM: any byte string is a
 * Faust program, taken through the stages of compiler.cpp (parse with the
 * installed libraries, evaluate, print the diagram, propagate, lower, verify)
 * to the interpreter backend, and an instance of it runs: init(44100), then
 * blocks of 64 frames fed with an impulse and a ramp, with every parameter at
 * its initial value, then its maximum, then its minimum.
 *
 * Built twice: pipeline_fuzzer (single precision, runs the instance) and, with
 * TUTTI_FUZZ_IR_ONLY, ir_fuzzer (double precision, stops at the verified IR:
 * more programs per second through the middle of the compiler).
 *
 * The verifier rejecting the IR that lowering made is a compiler bug: it aborts.
 */
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "boxes/box.h"
#include "eval/evaluate.h"
#include "frontend/frontend_session.h"
#include "fuzz_limits.h"
#include "fuzz_target.h"
#include "ir/interpreter.h"
#include "ir/ir_verifier.h"
#include "lower/lower.h"
#include "passes/associate_as_printed.h"
#include "passes/normalize.h"
#include "runtime/sound_files.h"
#include "signals/propagate.h"

namespace {

using namespace tutti;

#ifdef TUTTI_FUZZ_IR_ONLY
constexpr bool run_instance = false;
constexpr bool double_precision = true;
#else
constexpr bool run_instance = true;
constexpr bool double_precision = false;
#endif

constexpr int block = 64;
constexpr int blocks = 3;
/// An instance's state is allocated for real: larger ones are not run (the
/// limit the compiler itself should enforce, see the report of issue 9).
constexpr std::uint32_t max_state_bytes = 64u << 20;

/// Functions of the program's own C headers (in a compiler that supports them:
/// ir::Module::foreign) are bound by the compiler, not here: such a module is not
/// run. (Generic so that this target builds with and without that support.)
template <typename M> bool calls_foreign_code(const M& m) {
    if constexpr (requires { m.foreign.empty(); }) {
        return !m.foreign.empty();
    } else {
        return false;
    }
}

template <typename T>
void run(const ir::Module& m, const ir::Interpreter& interp,
         const std::vector<lower::Control>& controls, std::uint32_t inputs, std::uint32_t outputs) {
    std::size_t bytes = std::max<std::size_t>(m.state_bytes, 16);
    void* state = ::operator new(bytes, std::align_val_t(64));
    std::memset(state, 0, bytes);
    // soundfiles read the reference's default sound (no file is opened here)
    static const auto silent = runtime::silent_sound(sizeof(T) == 8, 64);
    for (const ir::Field& f : m.fields) {
        if (f.kind == ir::FieldKind::Sound) {
            const ir::SoundData* p = &silent->data;
            // NOLINTNEXTLINE(bugprone-sizeof-expression): the field holds the pointer itself
            std::memcpy(static_cast<char*>(state) + f.offset, &p, sizeof p);
        }
    }
    interp.init_constants(state, 44100);
    interp.reset_controls(state);
    interp.clear_state(state);
    std::vector<std::vector<T>> in(inputs, std::vector<T>(block)),
        out(outputs, std::vector<T>(block));
    std::vector<const void*> in_ptrs;
    std::vector<void*> out_ptrs;
    in_ptrs.reserve(in.size());
    for (auto& v : in) {
        in_ptrs.push_back(v.data());
    }
    out_ptrs.reserve(out.size());
    for (auto& v : out) {
        out_ptrs.push_back(v.data());
    }
    for (int b = 0; b < blocks; ++b) {
        for (std::uint32_t c = 0; c < inputs; ++c) {
            for (int i = 0; i < block; ++i) {
                int t = b * block + i;
                in[c][std::size_t(i)] =
                    t == 0 ? T(1) : T(((t * 37 + int(c) * 11) % 200) - 100) / T(100);
            }
        }
        if (b > 0) {
            for (const auto& c : controls) {
                T v = T(b == 1 ? c.max : c.min);
                std::memcpy(static_cast<char*>(state) + m.fields[c.field].offset, &v, sizeof v);
            }
        }
        interp.compute(state, block, in_ptrs.data(), out_ptrs.data());
    }
    ::operator delete(state, std::align_val_t(64));
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size > fuzz::max_input_bytes) {
        return -1;
    }
    frontend::FrontendSession session(fuzz::frontend_options());
    std::string text(reinterpret_cast<const char*>(data), size);
    const frontend::ParsedFile* pf =
        session.parse_program_text("fuzz.dsp", std::move(text), fuzz::program_dir);
    if (pf == nullptr || session.diagnostics().has_errors()) {
        return 0;
    }
    boxes::BoxContext bc(session.interner());
    eval::Program prog =
        eval::evaluate_program(session, *pf, bc, fuzz::eval_options(double_precision));
    if (prog.process == nullptr || session.diagnostics().has_errors()) {
        return 0;
    }
    std::string key = boxes::print(prog.process);
    sig::SignalContext sc(session.interner());
    sc.set_program_file(pf->id);
    sig::PropagateResult pr = sig::propagate_process(prog.process, sc, fuzz::propagate_depth, &bc);
    if (!pr.error.empty()) {
        return 0;
    }
    sc.inherit_program_origins(pr.outputs);
    // the signal passes of compiler/pipeline.cpp (which this build, without LLVM, does not link)
    std::vector<const sig::Signal*> normal = passes::associate_as_printed(
        passes::normalize(pr.outputs, sc, passes::infer_types(pr.outputs)), sc);
    lower::LowerResult lr =
        lower::lower(normal, prog.process->inputs, sc, passes::infer_types(normal),
                     passes::infer_intervals(normal), double_precision);
    if (!lr.module) {
        return 0;
    }
    std::vector<std::string> problems = ir::verify(*lr.module);
    if (!problems.empty()) {
        std::fprintf(stderr, "invalid IR: %s\n", problems[0].c_str());
        std::abort();
    }
    if (!run_instance || lr.module->state_bytes > max_state_bytes) {
        return 0;
    }
    if (calls_foreign_code(*lr.module)) {
        return 0;
    }
    ir::Interpreter interp(*lr.module);
    if (!interp.ok()) {
        std::fprintf(stderr, "interpreter rejects the IR: %s\n", interp.errors()[0].c_str());
        std::abort();
    }
    run<float>(*lr.module, interp, lr.controls, prog.process->inputs, prog.process->outputs);
    return 0;
}
