// SPDX-License-Identifier: MIT
// Tiered compilation (CompileOptions::tiered), the library cache
// (CompileOptions::library_cache) and the classification of edits
// (classify_edit): what the engine's tiered start stands on.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "tutti/compiler.h"

namespace tutti {
namespace {

const std::string examples = "/usr/share/faust/examples/";

TEST(ClassifyEdit, NumbersOnlyAreConstantEdits) {
    const std::string a = "import(\"stdfaust.lib\");\nprocess = os.osc(440) * 0.5 : @(100);\n";
    EXPECT_EQ(classify_edit(a, a), EditKind::Same);
    EXPECT_EQ(classify_edit(a, a + "// a comment\n"), EditKind::Same);
    EXPECT_EQ(classify_edit(a, "import(\"stdfaust.lib\"); process = os.osc(440)*0.5:@(100);"),
              EditKind::Same);
    EXPECT_EQ(
        classify_edit(a, "import(\"stdfaust.lib\");\nprocess = os.osc(220) * 0.25 : @(100);\n"),
        EditKind::ConstantsOnly);
    EXPECT_EQ(
        classify_edit(a, "import(\"stdfaust.lib\");\nprocess = os.osc(440) * 0.5 : @(101);\n"),
        EditKind::ConstantsOnly);
    // structure: another operator, another function, an integer that became a float
    EXPECT_EQ(
        classify_edit(a, "import(\"stdfaust.lib\");\nprocess = os.osc(440) + 0.5 : @(100);\n"),
        EditKind::Structural);
    EXPECT_EQ(
        classify_edit(a, "import(\"stdfaust.lib\");\nprocess = os.sawtooth(440) * 0.5 : @(100);\n"),
        EditKind::Structural);
    EXPECT_EQ(
        classify_edit(a, "import(\"stdfaust.lib\");\nprocess = os.osc(440.0) * 0.5 : @(100);\n"),
        EditKind::Structural);
    EXPECT_EQ(
        classify_edit(a, "import(\"stdfaust.lib\");\nprocess = os.osc(440) * 0.5 : @(100) : _;\n"),
        EditKind::Structural);
    // a label is a string, not a number: the UI changes
    EXPECT_EQ(classify_edit("process = hslider(\"a\", 1, 0, 2, 0.1);",
                            "process = hslider(\"b\", 1, 0, 2, 0.1);"),
              EditKind::Structural);
    EXPECT_EQ(classify_edit("process = hslider(\"a\", 1, 0, 2, 0.1);",
                            "process = hslider(\"a\", 1, 0, 4, 0.1);"),
              EditKind::ConstantsOnly);
}

TEST(ClassifyEdit, TheCompilerClassifiesAgainstThePreviousVersion) {
    const std::string v1 = "import(\"stdfaust.lib\");\nprocess = os.osc(440) * 0.5;\n";
    CompileOptions o;
    o.backend = Backend::Interpreter;
    CompileResult r1 = compile_source("v.dsp", v1, o);
    ASSERT_TRUE(r1.ok());
    EXPECT_FALSE(r1.edit.has_value());
    EXPECT_EQ(r1.program_text, v1);
    o.classify_edit = true;
    o.previous_text = r1.program_text;
    o.previous_libraries = r1.libraries_digest;
    CompileResult r2 =
        compile_source("v.dsp", "import(\"stdfaust.lib\");\nprocess = os.osc(330) * 0.25;\n", o);
    ASSERT_TRUE(r2.ok() && r2.edit);
    EXPECT_EQ(*r2.edit, EditKind::ConstantsOnly);
    EXPECT_EQ(r2.libraries_digest, r1.libraries_digest);
    CompileResult r3 = compile_source(
        "v.dsp", "import(\"stdfaust.lib\");\nprocess = os.osc(330) * 0.25 : fi.lowpass(1, 500);\n",
        o);
    ASSERT_TRUE(r3.ok() && r3.edit);
    EXPECT_EQ(*r3.edit, EditKind::Structural);
}

TEST(TieredCompile, InterpreterFirstThenLlvmWithTheSameLayout) {
    CompileOptions o;
    o.tiered = true;
    CompileResult first = compile_file(examples + "reverb/zitaRev.dsp", o);
    ASSERT_TRUE(first.ok());
    ASSERT_TRUE(first.next_tier);
    EXPECT_STREQ(first.factory->implementation(), "interpreter");
    EXPECT_GT(first.interpreter_size, 100u);
    EXPECT_EQ(first.timings.back().pass, "interface"); // the backend did not run yet
    CompileResult second = first.next_tier();
    ASSERT_TRUE(second.ok());
    EXPECT_STREQ(second.factory->implementation(), "llvm-jit");
    EXPECT_EQ(second.timings.size(), 1u);
    EXPECT_EQ(second.timings[0].pass, "backend");
    EXPECT_FALSE(second.next_tier);
    const auto& a = first.factory->state_layout();
    const auto& b = second.factory->state_layout();
    ASSERT_EQ(a.size(), b.size());
    for (std::size_t i = 0; i < a.size(); ++i) {
        EXPECT_EQ(a[i].name, b[i].name);
        EXPECT_EQ(a[i].offset, b[i].offset);
        EXPECT_EQ(a[i].bytes, b[i].bytes);
        EXPECT_EQ(a[i].identity, b[i].identity);
    }
    EXPECT_EQ(first.factory->state_bytes(), second.factory->state_bytes());
    EXPECT_EQ(first.factory->json(), second.factory->json());
    // the continuation runs once
    CompileResult again = first.next_tier();
    EXPECT_FALSE(again.ok());
}

/// `frames` samples of every output of a new instance of `f` at 44.1 kHz, fed
/// a deterministic noise on every input, in blocks of 64.
std::vector<std::vector<float>> render(const Factory& f, int frames) {
    std::unique_ptr<Instance> inst = f.create_instance();
    inst->init(44100);
    const int nin = f.num_inputs(), nout = f.num_outputs();
    std::vector<std::vector<float>> in(std::size_t(nin),
                                       std::vector<float>(std::size_t(frames), 0.f));
    std::vector<std::vector<float>> out(std::size_t(nout),
                                        std::vector<float>(std::size_t(frames), 0.f));
    std::uint32_t seed = 12345;
    for (auto& c : in) {
        for (float& x : c) {
            seed = seed * 1664525u + 1013904223u;
            x = float(int(seed >> 8) - (1 << 23)) / float(1 << 23);
        }
    }
    std::vector<const void*> ip(in.size());
    std::vector<void*> op(out.size());
    for (int pos = 0; pos < frames; pos += 64) {
        const int n = std::min(64, frames - pos);
        for (std::size_t c = 0; c < in.size(); ++c) {
            ip[c] = in[c].data() + pos;
        }
        for (std::size_t c = 0; c < out.size(); ++c) {
            op[c] = out[c].data() + pos;
        }
        inst->compute(n, ip.data(), op.data());
    }
    return out;
}

void expect_same_samples(const Factory& a, const Factory& b, const std::string& what) {
    auto x = render(a, 20000);
    auto y = render(b, 20000);
    ASSERT_EQ(x.size(), y.size()) << what;
    for (std::size_t c = 0; c < x.size(); ++c) {
        for (std::size_t n = 0; n < x[c].size(); ++n) {
            // bit for bit (NaN-safe): memcmp of the floats
            ASSERT_EQ(std::memcmp(&x[c][n], &y[c][n], sizeof(float)), 0)
                << what << ": channel " << c << " frame " << n << ": " << x[c][n] << " vs "
                << y[c][n];
        }
    }
}

// Constant slots (issue 14): a version's loop IR compiled with its real
// constants in slots plays exactly as its ordinary LLVM code; a later version
// that changes only numbers runs on that code with its own constants (no
// compilation) and plays exactly as itself compiled afresh; a structural
// change (another filter, another delay length: an integer) is refused.
TEST(ConstantSlots, PatchedCodePlaysAsAFreshCompile) {
    const std::string head = "import(\"stdfaust.lib\");\n";
    const std::string v1 =
        head + "process = _ : fi.lowpass(2, 1000) * hslider(\"gain\", 0.5, 0, 1, 0.01) : + ~ "
               "(@(30) : *(0.7)) <: _, os.osc(440) * 0.25;\n";
    const std::string v2 =
        head + "process = _ : fi.lowpass(2, 700) * hslider(\"gain\", 0.25, 0, 2, 0.01) : + ~ "
               "(@(30) : *(0.6)) <: _, os.osc(330) * 0.5;\n";
    const std::string v3 =
        head + "process = _ : fi.lowpass(2, 700) * hslider(\"gain\", 0.25, 0, 2, 0.01) : + ~ "
               "(@(31) : *(0.6)) <: _, os.osc(330) * 0.5;\n";
    const std::string v4 =
        head + "process = _ : fi.highpass(2, 700) * hslider(\"gain\", 0.25, 0, 2, 0.01) : + ~ "
               "(@(30) : *(0.6)) <: _, os.osc(330) * 0.5;\n";
    CompileOptions tiered;
    tiered.tiered = true;
    CompileOptions plain; // LLVM, exact
    CompileResult t1 = compile_source("v.dsp", v1, tiered);
    ASSERT_TRUE(t1.ok());
    ASSERT_TRUE(t1.slot_code && t1.patch_constants);
    std::shared_ptr<const ConstantSlotCode> code = t1.slot_code();
    ASSERT_NE(code, nullptr);

    // the slot code with its own constants: the ordinary code's samples
    CompileResult f1 = compile_source("v.dsp", v1, plain);
    ASSERT_TRUE(f1.ok());
    std::shared_ptr<const Factory> p1 = t1.patch_constants(code);
    ASSERT_NE(p1, nullptr);
    EXPECT_STREQ(p1->implementation(), "llvm-jit-slots");
    expect_same_samples(*f1.factory, *p1, "v1 on its slot code");

    // numbers changed: v1's code with v2's constants plays as v2
    CompileResult t2 = compile_source("v.dsp", v2, tiered);
    ASSERT_TRUE(t2.ok() && t2.patch_constants);
    std::shared_ptr<const Factory> p2 = t2.patch_constants(code);
    ASSERT_NE(p2, nullptr);
    CompileResult f2 = compile_source("v.dsp", v2, plain);
    ASSERT_TRUE(f2.ok());
    EXPECT_EQ(p2->json(), f2.factory->json()); // its own interface (the slider's new range)
    EXPECT_EQ(p2->state_bytes(), f2.factory->state_bytes());
    expect_same_samples(*f2.factory, *p2, "v2 patched into v1's code");
    // and differs from v1 (the patch did something)
    auto a = render(*p1, 2000);
    auto b = render(*p2, 2000);
    EXPECT_NE(a, b);

    // structure changed: refused
    CompileResult t3 = compile_source("v.dsp", v3, tiered);
    ASSERT_TRUE(t3.ok() && t3.patch_constants);
    EXPECT_EQ(t3.patch_constants(code), nullptr) << "a delay length is structure";
    CompileResult t4 = compile_source("v.dsp", v4, tiered);
    ASSERT_TRUE(t4.ok() && t4.patch_constants);
    EXPECT_EQ(t4.patch_constants(code), nullptr) << "another filter";
}

TEST(ConstantSlots, SlotCodeOfExamplesPlaysExactly) {
    CompileOptions tiered;
    tiered.tiered = true;
    for (const char* p :
         {"reverb/zitaRev.dsp", "physicalModeling/old/karplus32.dsp", "generator/osc.dsp"}) {
        CompileResult t = compile_file(examples + p, tiered);
        ASSERT_TRUE(t.ok() && t.slot_code) << p;
        std::shared_ptr<const ConstantSlotCode> code = t.slot_code();
        ASSERT_NE(code, nullptr) << p;
        std::shared_ptr<const Factory> patched = t.patch_constants(code);
        ASSERT_NE(patched, nullptr) << p;
        CompileResult f = compile_file(examples + p);
        ASSERT_TRUE(f.ok()) << p;
        expect_same_samples(*f.factory, *patched, p);
    }
}

TEST(LibraryCache, LibrariesAreParsedOnceAndReparsedWhenChanged) {
    namespace fs = std::filesystem;
    const fs::path dir =
        fs::temp_directory_path() / ("tutti-libcache-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    auto write = [](const fs::path& p, const std::string& text) {
        std::ofstream out(p, std::ios::binary | std::ios::trunc);
        out << text;
    };
    write(dir / "mine.lib", "gain = 0.5;\n");
    write(dir / "prog.dsp",
          "import(\"stdfaust.lib\");\nmine = library(\"mine.lib\");\nprocess = os.osc(440) * "
          "mine.gain;\n");
    std::shared_ptr<LibraryCache> cache = make_library_cache();
    CompileOptions cached;
    cached.backend = Backend::Interpreter;
    cached.library_cache = cache;
    CompileOptions plain = cached;
    plain.library_cache = nullptr;

    CompileResult r0 = compile_file((dir / "prog.dsp").string(), plain);
    CompileResult r1 = compile_file((dir / "prog.dsp").string(), cached);
    ASSERT_TRUE(r0.ok() && r1.ok());
    LibraryCacheStats s1 = library_cache_stats(*cache);
    EXPECT_EQ(s1.hits, 0u);
    EXPECT_GT(s1.misses, 5u); // stdfaust.lib and what it imports, mine.lib
    EXPECT_EQ(s1.files, s1.misses);
    // the same program either way
    EXPECT_EQ(r1.factory->content_key(), r0.factory->content_key());
    EXPECT_EQ(r1.factory->source_files(), r0.factory->source_files());
    EXPECT_EQ(r1.libraries_digest, r0.libraries_digest);

    CompileResult r2 = compile_file((dir / "prog.dsp").string(), cached);
    ASSERT_TRUE(r2.ok());
    LibraryCacheStats s2 = library_cache_stats(*cache);
    EXPECT_EQ(s2.misses, s1.misses); // nothing parsed again
    EXPECT_EQ(s2.hits, s1.misses);
    EXPECT_EQ(r2.factory->content_key(), r1.factory->content_key());

    // a changed library is parsed again, and its new content is what compiles
    write(dir / "mine.lib", "gain = 0.25;\n");
    CompileResult r3 = compile_file((dir / "prog.dsp").string(), cached);
    ASSERT_TRUE(r3.ok());
    LibraryCacheStats s3 = library_cache_stats(*cache);
    EXPECT_EQ(s3.misses, s1.misses + 1);
    EXPECT_NE(r3.factory->content_key(), r1.factory->content_key());
    EXPECT_NE(r3.libraries_digest, r1.libraries_digest);
    CompileResult r4 = compile_file((dir / "prog.dsp").string(), plain);
    ASSERT_TRUE(r4.ok());
    EXPECT_EQ(r3.factory->content_key(), r4.factory->content_key());

    // an error in a cached library's caller still points into the library
    write(dir / "prog.dsp",
          "import(\"stdfaust.lib\");\nprocess = os.osc(440) : fi.lowpass(\"x\");\n");
    CompileResult bad = compile_file((dir / "prog.dsp").string(), cached);
    CompileResult bad_plain = compile_file((dir / "prog.dsp").string(), plain);
    EXPECT_FALSE(bad.ok());
    ASSERT_EQ(bad.diagnostics.size(), bad_plain.diagnostics.size());
    for (std::size_t i = 0; i < bad.diagnostics.size(); ++i) {
        EXPECT_EQ(to_text(bad.diagnostics[i]), to_text(bad_plain.diagnostics[i]));
    }
    fs::remove_all(dir);
}

} // namespace
} // namespace tutti
