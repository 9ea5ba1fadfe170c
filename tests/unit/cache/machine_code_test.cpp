// SPDX-License-Identifier: MIT
// Relocatable machine code (tutti/machine_code.h): the object of a compilation,
// through its container and loaded into a JIT of its own, gives the same
// samples as the direct JIT compilation, for example programs with every
// control moving; code for another CPU is refused with a clear message.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "samples.h"
#include "tutti/compiler.h"
#include "tutti/machine_code.h"

namespace {

const char* const examples[] = {
    "/usr/share/faust/examples/generator/osc.dsp",
    "/usr/share/faust/examples/physicalModeling/old/karplus32.dsp",
    "/usr/share/faust/examples/reverb/freeverb.dsp",
    "/usr/share/faust/examples/reverb/zitaRev.dsp",
    "/usr/share/faust/examples/reverb/fdnRev.dsp",
};

tutti::ProgramSource file(const std::string& path) {
    return tutti::ProgramSource{true, path, {}};
}

TEST(MachineCode, LoadedObjectGivesTheSamplesOfTheJit) {
    int n = 0;
    for (const char* path : examples) {
        for (bool dbl : {false, true}) {
            // double precision and an independent compile_program for two of them (time)
            const bool thorough = n++ < 4;
            if (dbl && !thorough) {
                continue;
            }
            SCOPED_TRACE(std::string(path) + (dbl ? " double" : " float"));
            tutti::CompileOptions o;
            o.double_precision = dbl;
            auto mc = tutti::compile_machine_code(file(path), o);
            ASSERT_TRUE(mc.ok()) << mc.refused;
            ASSERT_NE(mc.factory, nullptr);
            EXPECT_STREQ(mc.factory->implementation(), "llvm-jit");
            EXPECT_EQ(mc.code->target, tutti::host_machine_target());
            std::string error;
            auto decoded = tutti::decode_machine_code(tutti::encode_machine_code(*mc.code), &error);
            ASSERT_TRUE(decoded) << error;
            auto loaded = tutti::load_machine_code(*decoded, &error);
            ASSERT_NE(loaded, nullptr) << error;
            EXPECT_STREQ(loaded->implementation(), "llvm-object");
            EXPECT_EQ(loaded->json(), mc.factory->json());
            EXPECT_EQ(loaded->content_key(), mc.factory->content_key());
            const auto want = tutti_test::render_bits(*mc.factory);
            EXPECT_EQ(tutti_test::render_bits(*loaded), want);
            if (thorough) {
                auto direct = tutti::compile_program(file(path), o);
                ASSERT_TRUE(direct.ok());
                EXPECT_EQ(mc.code->info.content_key, direct.factory->content_key());
                EXPECT_EQ(tutti_test::render_bits(*direct.factory), want);
            }
        }
    }
}

TEST(MachineCode, ObjectForAGenericCpuOfThisTripleRunsTheSame) {
    // emit_object's path (no JIT at compile time), position-independent code
    const tutti::MachineTarget host = tutti::host_machine_target();
    const tutti::MachineTarget generic{host.triple, "x86-64", ""};
    const char* path = examples[2];
    auto direct = tutti::compile_program(file(path));
    ASSERT_TRUE(direct.ok());
    auto mc = tutti::compile_machine_code(file(path), {}, generic);
    ASSERT_TRUE(mc.ok()) << mc.refused;
    EXPECT_EQ(mc.factory, nullptr);
    EXPECT_NE(mc.code->info.content_key, direct.factory->content_key()); // the CPU is in the key
    std::string error;
    auto loaded = tutti::load_machine_code(*mc.code, &error);
    ASSERT_NE(loaded, nullptr) << error;
    EXPECT_EQ(tutti_test::render_bits(*loaded), tutti_test::render_bits(*direct.factory));
}

TEST(MachineCode, CodeForAnotherMachineIsRefused) {
    const char* path = examples[0];
    const tutti::MachineTarget arm{"aarch64-unknown-linux-gnu", "cortex-a72", "+neon"};
    auto mc = tutti::compile_machine_code(file(path), {}, arm);
    ASSERT_TRUE(mc.ok()) << mc.refused;
    ASSERT_GE(mc.code->object.size(), 4u);
    EXPECT_EQ(mc.code->object.substr(0, 4), "\x7f"
                                            "ELF");
    std::string error;
    EXPECT_EQ(tutti::load_machine_code(*mc.code, &error), nullptr);
    EXPECT_NE(error.find("aarch64-unknown-linux-gnu"), std::string::npos) << error;

    // this machine's code, labelled as needing a feature the machine lacks
    auto here = tutti::compile_machine_code(file(path));
    ASSERT_TRUE(here.ok());
    tutti::MachineCode code = *here.code;
    code.target.features += ",+imaginary-feature";
    EXPECT_EQ(tutti::load_machine_code(code, &error), nullptr);
    EXPECT_NE(error.find("lacks: imaginary-feature"), std::string::npos) << error;
}

TEST(MachineCode, ForeignFunctionsAreRefusedButTheFactoryIsMade) {
    namespace fs = std::filesystem;
    const fs::path dir = fs::temp_directory_path() / ("tutti-mc-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    std::ofstream(dir / "h.h") << "static inline float twice(float x) { return 2 * x; }\n";
    std::ofstream(dir / "p.dsp") << "f = ffunction(float twice(float), \"h.h\", \"\");\n"
                                 << "process = f;\n";
    auto mc = tutti::compile_machine_code(file((dir / "p.dsp").string()));
    EXPECT_FALSE(mc.ok());
    EXPECT_NE(mc.factory, nullptr);
    EXPECT_NE(mc.refused.find("foreign functions (twice)"), std::string::npos) << mc.refused;
    fs::remove_all(dir);
}

} // namespace
