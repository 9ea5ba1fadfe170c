// SPDX-License-Identifier: MIT
// Foreign functions (ffunction of a C/C++ header): refused with a located
// diagnostic when the compile options forbid foreign code or when no C++
// compiler can be found; a header that does not compile is reported. (That they
// compute what the reference computes: tests/language/foreign_functions.dsp.)
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "tutti/compiler.h"

namespace {

namespace fs = std::filesystem;

class ForeignCode : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() / ("tutti-ffi-test-" + std::to_string(::getpid()));
        fs::create_directories(dir_);
        std::ofstream(dir_ / "h.h") << "static inline float twice(float x) { return 2 * x; }\n";
        std::ofstream(dir_ / "bad.h") << "static inline float broken(float x) { return x +; }\n";
        std::ofstream(dir_ / "p.dsp") << "f = ffunction(float twice(float), \"h.h\", \"\");\n"
                                         "process = _ : f;\n";
        std::ofstream(dir_ / "bad.dsp") << "f = ffunction(float broken(float), \"bad.h\", \"\");\n"
                                           "process = _ : f;\n";
        // a cache of our own, so that nothing built earlier is reused
        old_cache_ = std::getenv("XDG_CACHE_HOME") ? std::getenv("XDG_CACHE_HOME") : "";
        ::setenv("XDG_CACHE_HOME", (dir_ / "cache").c_str(), 1);
    }
    void TearDown() override {
        if (old_cache_.empty()) {
            ::unsetenv("XDG_CACHE_HOME");
        } else {
            ::setenv("XDG_CACHE_HOME", old_cache_.c_str(), 1);
        }
        std::error_code ec;
        fs::remove_all(dir_, ec);
    }
    fs::path dir_;
    std::string old_cache_;
};

TEST_F(ForeignCode, RunsWhenAllowed) {
    tutti::CompileOptions o;
    for (tutti::Backend b : {tutti::Backend::Llvm, tutti::Backend::Interpreter}) {
        o.backend = b;
        auto r = tutti::compile_file((dir_ / "p.dsp").string(), o);
        ASSERT_TRUE(r.ok()) << (r.diagnostics.empty() ? "" : tutti::to_text(r.diagnostics[0]));
        auto in = r.factory->create_instance();
        in->init(44100);
        float x[4] = {0.25f, -1, 3, 0}, y[4] = {};
        const void* ins[] = {x};
        void* outs[] = {y};
        in->compute(4, ins, outs);
        EXPECT_EQ(y[0], 0.5f);
        EXPECT_EQ(y[1], -2.0f);
        EXPECT_EQ(y[2], 6.0f);
    }
}

TEST_F(ForeignCode, ForbiddenByTheOptionsIsALocatedError) {
    tutti::CompileOptions o;
    o.allow_foreign_code = false;
    auto r = tutti::compile_file((dir_ / "p.dsp").string(), o);
    ASSERT_FALSE(r.ok());
    ASSERT_FALSE(r.diagnostics.empty());
    EXPECT_EQ(r.diagnostics[0].id, "foreign_code_forbidden");
    EXPECT_NE(r.diagnostics[0].message.find("twice"), std::string::npos);
    EXPECT_GT(r.diagnostics[0].line, 0u);
}

TEST_F(ForeignCode, NoCompilerFoundIsAnError) {
    std::string path = std::getenv("PATH") ? std::getenv("PATH") : "";
    ::setenv("PATH", (dir_ / "empty").c_str(), 1);
    auto r = tutti::compile_file((dir_ / "p.dsp").string(), tutti::CompileOptions{});
    ::setenv("PATH", path.c_str(), 1);
    ASSERT_FALSE(r.ok());
    ASSERT_FALSE(r.diagnostics.empty());
    EXPECT_EQ(r.diagnostics[0].id, "foreign_code_failed");
    EXPECT_NE(r.diagnostics[0].message.find("C++ compiler"), std::string::npos)
        << r.diagnostics[0].message;
}

TEST_F(ForeignCode, AHeaderThatDoesNotCompileIsReported) {
    auto r = tutti::compile_file((dir_ / "bad.dsp").string(), tutti::CompileOptions{});
    ASSERT_FALSE(r.ok());
    ASSERT_FALSE(r.diagnostics.empty());
    EXPECT_EQ(r.diagnostics[0].id, "foreign_code_failed");
    EXPECT_NE(r.diagnostics[0].message.find("does not compile"), std::string::npos)
        << r.diagnostics[0].message;
    EXPECT_EQ(r.diagnostics[0].line, 1u);
}

} // namespace
