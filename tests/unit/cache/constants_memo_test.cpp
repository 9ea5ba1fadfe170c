// SPDX-License-Identifier: MIT
// What init_constants leaves in a state (runtime/constants_memo.h): computed by
// a factory's first instance, copied into the next. Every later instance's
// whole state after init() is the bytes of a first instance's (for the LLVM
// code, the interpreter and slot code; tables with generators that have state
// of their own, writable tables, waveforms, several sample rates, a re-init of
// a running instance); its image survives the code cache into a new process;
// damaged images are refused.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "cache/code_cache.h"
#include "runtime/constants_memo.h"
#include "samples.h"
#include "tutti/compiler.h"

namespace {

using tutti::CompileOptions;
using tutti::Factory;
using tutti::runtime::ConstantsMemo;

// a sine table (a generator with a recursion of its own), a writable table,
// a waveform, a sample-rate constant
const char* const kTables = R"(import("stdfaust.lib");
tri = waveform{0.0, 0.5, 1.0, 0.5, 0.0, -0.5, -1.0, -0.5}, (int(ba.time) % 8) : rdtable;
w = rwtable(64, 0.25 * sin(float(ba.time)), int(ba.time) % 64, _, int(ba.time * 3) % 64);
process = os.osc(hslider("f", 440, 50, 2000, 1)) + tri : w : *(ma.SR / 48000.0);
)";

std::vector<std::byte> state_after_init(const Factory& f, int rate) {
    auto in = f.create_instance();
    in->init(rate);
    std::vector<std::byte> s(f.state_bytes());
    in->read_state(s);
    return s;
}

void expect_copies_equal_computing(const std::string& what, const CompileOptions& o) {
    auto r = tutti::compile_source("tables.dsp", kTables, o);
    ASSERT_TRUE(r.ok()) << what;
    const Factory& f = *r.factory;
    ConstantsMemo& memo = f.constants_memo();
    ASSERT_TRUE(memo.enabled()) << what << ": the program has tables";
    EXPECT_EQ(memo.held().first, 0) << what;
    const auto first = state_after_init(f, 48000); // computes and records
    EXPECT_EQ(memo.held().first, 48000) << what;
    EXPECT_GT(memo.held().second, 65536u * 4) << what << ": the sine table at least";
    const auto second = state_after_init(f, 48000); // copies
    EXPECT_TRUE(first == second) << what << ": a copied instance's state differs";
    // another rate: computed (and recorded) again, then copied
    const auto at44 = state_after_init(f, 44100);
    EXPECT_EQ(memo.held().first, 44100) << what;
    EXPECT_FALSE(at44 == first) << what << ": the rate constant changes the state";
    EXPECT_TRUE(state_after_init(f, 44100) == at44) << what;
    // a running instance re-initialised at 48000 from the memo: its samples are
    // a fresh compilation's (render_bits inits at 48000 and runs with controls)
    auto fresh = tutti::compile_source("tables.dsp", kTables, o);
    ASSERT_TRUE(fresh.ok());
    EXPECT_EQ(tutti_test::render_bits(f), tutti_test::render_bits(*fresh.factory)) << what;
    EXPECT_EQ(tutti_test::render_bits(f), tutti_test::render_bits(*fresh.factory)) << what;
}

TEST(ConstantsMemo, CopiedStateEqualsComputedState) {
    CompileOptions llvm;
    expect_copies_equal_computing("llvm", llvm);
    CompileOptions interp;
    interp.backend = tutti::Backend::Interpreter;
    expect_copies_equal_computing("interpreter", interp);
    CompileOptions dbl;
    dbl.double_precision = true;
    expect_copies_equal_computing("llvm double", dbl);
}

TEST(ConstantsMemo, NoTablesNoMemo) {
    auto r = tutti::compile_source("plain.dsp",
                                   "process = + ~ *(0.5) : *(hslider(\"g\", 1, 0, 2, 0.1));");
    ASSERT_TRUE(r.ok());
    EXPECT_FALSE(r.factory->constants_memo().enabled());
    state_after_init(*r.factory, 48000);
    EXPECT_EQ(r.factory->constants_memo().held().first, 0);
}

TEST(ConstantsMemo, ImageRoundTripAndDamageRefused) {
    auto r = tutti::compile_source("tables.dsp", kTables);
    ASSERT_TRUE(r.ok());
    ConstantsMemo::Image got;
    r.factory->constants_memo().on_record([&](const ConstantsMemo::Image& i) { got = i; });
    const auto want = state_after_init(*r.factory, 48000);
    ASSERT_EQ(got.sample_rate, 48000);
    const std::string bytes = tutti::runtime::encode_constants_image(got);
    auto back = tutti::runtime::decode_constants_image(bytes);
    ASSERT_TRUE(back);
    EXPECT_EQ(back->ranges, got.ranges);
    EXPECT_TRUE(back->bytes == got.bytes);
    // another factory of the same code takes it in and copies it: the same state
    auto other = tutti::compile_source("tables.dsp", kTables);
    ASSERT_TRUE(other.factory->constants_memo().adopt(*back));
    EXPECT_EQ(other.factory->constants_memo().held().first, 48000);
    EXPECT_TRUE(state_after_init(*other.factory, 48000) == want);
    // every byte flipped in turn (a sample of them), truncations: refused
    for (std::size_t i = 0; i < bytes.size(); i += 997) {
        std::string bad = bytes;
        bad[i] = static_cast<char>(bad[i] ^ 0x20);
        EXPECT_FALSE(tutti::runtime::decode_constants_image(bad)) << "byte " << i;
    }
    for (std::size_t n : {std::size_t(0), std::size_t(10), bytes.size() / 2, bytes.size() - 1}) {
        EXPECT_FALSE(tutti::runtime::decode_constants_image(bytes.substr(0, n))) << n;
    }
    // an image that does not fit the layout is refused
    ConstantsMemo::Image wrong = got;
    wrong.ranges.back().first = other.factory->state_bytes();
    EXPECT_FALSE(other.factory->constants_memo().adopt(wrong));
    wrong = got;
    wrong.bytes.pop_back();
    EXPECT_FALSE(other.factory->constants_memo().adopt(wrong));
}

// The code cache keeps the image next to the object: a new process's first
// instance of a cached program copies its tables.
TEST(ConstantsMemo, ACacheHitInANewProcessCopiesTheTables) {
    namespace fs = std::filesystem;
    const fs::path dir =
        fs::temp_directory_path() / ("tutti-memo-test-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
    const fs::path program = dir / "tables.dsp";
    {
        std::FILE* f = std::fopen(program.c_str(), "w");
        ASSERT_NE(f, nullptr);
        std::fputs(kTables, f);
        std::fclose(f);
    }
    tutti::cache::CacheSettings s;
    s.dir = dir / "cache";
    const tutti::ProgramSource src{true, program.string(), {}};
    std::vector<std::byte> want;
    {
        tutti::cache::CodeCache cache(s);
        auto r = cache.compile(src, {});
        ASSERT_TRUE(r.ok());
        want = state_after_init(*r.factory, 48000); // recorded: written next to the object
    }
    bool written = false;
    for (const auto& e : fs::directory_iterator(dir / "cache" / "objects")) {
        written = written || e.path().extension() == ".constants";
    }
    EXPECT_TRUE(written);
    tutti::cache::CodeCache other(s); // a new process, as far as memory goes
    tutti::cache::Outcome how{};
    auto r = other.compile(src, {}, &how);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(how, tutti::cache::Outcome::DiskHit);
    EXPECT_EQ(r.factory->constants_memo().held().first, 48000) << "read with the code";
    EXPECT_TRUE(state_after_init(*r.factory, 48000) == want);
    fs::remove_all(dir);
}

} // namespace
