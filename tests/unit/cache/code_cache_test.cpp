// SPDX-License-Identifier: MIT
// The compiled-code cache (src/cache/code_cache.h), on a temporary folder: a
// hit in memory and from disk, a miss after an edit of an imported library (a
// touch alone is still a hit), truncated and corrupted entries detected and
// rebuilt, two tutti processes filling one folder at once, the size bound.
// Every factory from the cache gives the samples of a fresh compilation.
#include <gtest/gtest.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "cache/code_cache.h"
#include "samples.h"
#include "tutti/compiler.h"

extern char** environ;

namespace {

namespace fs = std::filesystem;
using tutti::cache::CacheSettings;
using tutti::cache::CodeCache;
using tutti::cache::Outcome;

class CodeCacheTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() /
               ("tutti-cache-test-" + std::to_string(::getpid()) + "-" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(dir_);
        fs::create_directories(dir_ / "src");
    }
    void TearDown() override {
        fs::remove_all(dir_);
    }
    CacheSettings settings() const {
        CacheSettings s;
        s.dir = dir_ / "cache";
        return s;
    }
    std::string write(const std::string& name, const std::string& text) {
        const fs::path p = dir_ / "src" / name;
        std::ofstream(p) << text;
        return p.string();
    }
    static tutti::ProgramSource file(const std::string& path) {
        return tutti::ProgramSource{true, path, {}};
    }
    static std::vector<std::uint8_t> fresh(const std::string& path,
                                           const tutti::CompileOptions& o = {}) {
        auto r = tutti::compile_program(file(path), o);
        EXPECT_TRUE(r.ok());
        return r.ok() ? tutti_test::render_bits(*r.factory) : std::vector<std::uint8_t>{};
    }
    fs::path only_file(const char* sub) const {
        std::vector<fs::path> files;
        for (const auto& e : fs::directory_iterator(dir_ / "cache" / sub)) {
            files.push_back(e.path());
        }
        EXPECT_EQ(files.size(), 1u);
        return files.empty() ? fs::path() : files[0];
    }
    fs::path dir_;
};

const char* const freeverb = "/usr/share/faust/examples/reverb/freeverb.dsp";

TEST_F(CodeCacheTest, MissThenMemoryHitThenDiskHitInAnotherCache) {
    const auto want = fresh(freeverb);
    Outcome how{};
    {
        CodeCache cache(settings());
        auto r = cache.compile(file(freeverb), {}, &how);
        ASSERT_TRUE(r.ok());
        EXPECT_EQ(how, Outcome::Miss);
        EXPECT_EQ(tutti_test::render_bits(*r.factory), want);
        auto again = cache.compile(file(freeverb), {}, &how);
        EXPECT_EQ(how, Outcome::MemoryHit);
        EXPECT_EQ(again.factory, r.factory);
        ASSERT_EQ(again.timings.size(), 1u);
        EXPECT_EQ(again.timings[0].pass, "cache");
        const auto st = cache.stats();
        EXPECT_EQ(st.objects, 1u);
        EXPECT_EQ(st.manifests, 1u);
        EXPECT_EQ(st.stored, 1u);
        EXPECT_EQ(st.memory_hits, 1u);
    }
    CodeCache other(settings()); // another process, as far as memory goes
    auto r = other.compile(file(freeverb), {}, &how);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(how, Outcome::DiskHit);
    EXPECT_STREQ(r.factory->implementation(), "llvm-object");
    EXPECT_EQ(tutti_test::render_bits(*r.factory), want);
    EXPECT_EQ(other.stats().disk_hits, 1u);
    // other options are another entry
    tutti::CompileOptions dbl;
    dbl.double_precision = true;
    auto d = other.compile(file(freeverb), dbl, &how);
    EXPECT_EQ(how, Outcome::Miss);
    EXPECT_EQ(tutti_test::render_bits(*d.factory), fresh(freeverb, dbl));
}

// Two files with one process (bela/FMSynth2 and bela/FMSynth2_FX differ in
// comments and spaces only) are two factories: each named after its file, its
// controls at its own addresses, in memory and from disk. The cache gave the
// second the first's factory (its JSON, its addresses) when the content key
// was the process's digest alone; so does a program whose declarations change.
TEST_F(CodeCacheTest, OneProcessInTwoFilesIsTwoFactories) {
    const std::string body = "process = os.osc(hslider(\"freq\", 440, 20, 2000, 1)) * 0.1\n"
                             "with { os = library(\"oscillators.lib\"); };\n";
    const std::string a = write("first.dsp", body);
    const std::string b = write("second.dsp", "// the same\n" + body);
    const std::string c = write("third.dsp", "declare author \"someone\";\n" + body);
    Outcome how{};
    CodeCache cache(settings());
    auto ra = cache.compile(file(a), {}, &how);
    ASSERT_TRUE(ra.ok());
    EXPECT_EQ(how, Outcome::Miss);
    auto rb = cache.compile(file(b), {}, &how);
    ASSERT_TRUE(rb.ok());
    EXPECT_EQ(how, Outcome::Miss);
    EXPECT_NE(ra.factory->content_key(), rb.factory->content_key());
    EXPECT_EQ(ra.factory->name(), "first");
    EXPECT_EQ(rb.factory->name(), "second");
    ASSERT_EQ(rb.factory->parameters().size(), 1u);
    EXPECT_TRUE(rb.factory->parameters()[0].named("/second/freq"));
    EXPECT_FALSE(rb.factory->parameters()[0].named("/first/freq"));
    auto rc = cache.compile(file(c), {}, &how);
    ASSERT_TRUE(rc.ok());
    EXPECT_NE(rc.factory->content_key(), ra.factory->content_key());
    EXPECT_NE(rc.factory->json().find("someone"), std::string::npos);
    EXPECT_EQ(ra.factory->json().find("someone"), std::string::npos);
    CodeCache other(settings()); // from disk
    auto db = other.compile(file(b), {}, &how);
    ASSERT_TRUE(db.ok());
    EXPECT_EQ(how, Outcome::DiskHit);
    EXPECT_EQ(db.factory->name(), "second");
    EXPECT_EQ(db.factory->json(), rb.factory->json());
}

// A tiered compilation (the engine's tiered start) misses, plays on the
// interpreter, and stores the LLVM code its next tier makes (with a library
// cache: the session's file ids are not 1..n): the next start of the program
// loads that code, which gives the samples of a fresh compilation.
TEST_F(CodeCacheTest, ATieredStartStoresItsLlvmCode) {
    const auto want = fresh(freeverb);
    Outcome how{};
    tutti::CompileOptions tiered;
    tiered.tiered = true;
    tiered.library_cache = tutti::make_library_cache();
    {
        CodeCache cache(settings());
        auto r = cache.compile(file(freeverb), tiered, &how);
        ASSERT_TRUE(r.ok());
        EXPECT_EQ(how, Outcome::Miss);
        EXPECT_STREQ(r.factory->implementation(), "interpreter");
        ASSERT_TRUE(r.next_tier);
        auto fin = r.next_tier();
        ASSERT_TRUE(fin.ok());
        EXPECT_FALSE(fin.machine_code); // kept for the cache only
        EXPECT_EQ(cache.stats().stored, 1u);
    }
    CodeCache other(settings()); // the next process
    auto r = other.compile(file(freeverb), tiered, &how);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(how, Outcome::DiskHit);
    EXPECT_FALSE(r.next_tier); // its LLVM code at once
    EXPECT_STREQ(r.factory->implementation(), "llvm-object");
    EXPECT_EQ(tutti_test::render_bits(*r.factory), want);
}

TEST_F(CodeCacheTest, AnEditedLibraryIsAMissATouchIsNot) {
    const std::string lib = write("mine.lib", "gain = 0.5;\n");
    const std::string prog =
        write("p.dsp", "m = library(\"mine.lib\");\nprocess = _ * m.gain + 0.25;\n");
    Outcome how{};
    CodeCache cache(settings());
    auto first = cache.compile(file(prog), {}, &how);
    ASSERT_TRUE(first.ok());
    EXPECT_EQ(how, Outcome::Miss);
    cache.compile(file(prog), {}, &how);
    EXPECT_EQ(how, Outcome::MemoryHit);

    // a new time, the same content: still a hit (the content decides)
    fs::last_write_time(lib, fs::last_write_time(lib) + std::chrono::seconds(5));
    cache.compile(file(prog), {}, &how);
    EXPECT_EQ(how, Outcome::MemoryHit);
    CodeCache(settings()).compile(file(prog), {}, &how);
    EXPECT_EQ(how, Outcome::DiskHit);

    // an edit of the same size: a miss, in memory and on disk
    write("mine.lib", "gain = 0.7;\n");
    auto edited = cache.compile(file(prog), {}, &how);
    ASSERT_TRUE(edited.ok());
    EXPECT_EQ(how, Outcome::Miss);
    EXPECT_NE(edited.factory->content_key(), first.factory->content_key());
    EXPECT_EQ(tutti_test::render_bits(*edited.factory), fresh(prog));
    EXPECT_NE(tutti_test::render_bits(*edited.factory), tutti_test::render_bits(*first.factory));
    // and the edit is now what a new process finds
    CodeCache later(settings());
    auto r = later.compile(file(prog), {}, &how);
    EXPECT_EQ(how, Outcome::DiskHit);
    EXPECT_EQ(r.factory->content_key(), edited.factory->content_key());
}

TEST_F(CodeCacheTest, LibrariesInFoldersWithSpacesAndIncludeDirs) {
    const fs::path libs = dir_ / " my libs";
    fs::create_directories(libs);
    std::ofstream(libs / "k.lib") << "k = 3;\n";
    const std::string prog = write("q.dsp", "import(\"k.lib\");\nprocess = _ * k;\n");
    tutti::CompileOptions o;
    o.include_dirs = {libs.string()};
    Outcome how{};
    ASSERT_TRUE(CodeCache(settings()).compile(file(prog), o, &how).ok());
    EXPECT_EQ(how, Outcome::Miss);
    auto r = CodeCache(settings()).compile(file(prog), o, &how);
    EXPECT_EQ(how, Outcome::DiskHit);
    EXPECT_EQ(tutti_test::render_bits(*r.factory), fresh(prog, o));
    std::ofstream(libs / "k.lib") << "k = 4;\n";
    CodeCache(settings()).compile(file(prog), o, &how);
    EXPECT_EQ(how, Outcome::Miss);
}

TEST_F(CodeCacheTest, TruncatedAndCorruptEntriesAreDetectedAndRebuilt) {
    const auto want = fresh(freeverb);
    CodeCache(settings()).compile(file(freeverb), {});
    const fs::path object = only_file("objects");
    const fs::path manifest = only_file("manifests");
    const auto good_size = fs::file_size(object);
    Outcome how{};

    fs::resize_file(object, good_size / 2); // truncated
    {
        CodeCache c(settings());
        auto r = c.compile(file(freeverb), {}, &how);
        ASSERT_TRUE(r.ok());
        EXPECT_EQ(how, Outcome::Miss);
        EXPECT_EQ(c.stats().corrupt, 1u);
        EXPECT_EQ(tutti_test::render_bits(*r.factory), want);
        EXPECT_EQ(fs::file_size(object), good_size); // rebuilt
    }
    {
        // one flipped byte in the middle of the object code
        std::fstream f(object, std::ios::in | std::ios::out | std::ios::binary);
        f.seekg(std::streamoff(good_size / 2));
        char c = 0;
        f.read(&c, 1);
        f.seekp(std::streamoff(good_size / 2));
        c = char(c ^ 0x40);
        f.write(&c, 1);
    }
    {
        CodeCache c(settings());
        auto r = c.compile(file(freeverb), {}, &how);
        EXPECT_EQ(how, Outcome::Miss);
        EXPECT_EQ(c.stats().corrupt, 1u);
        EXPECT_EQ(tutti_test::render_bits(*r.factory), want);
    }
    {
        // a damaged manifest
        std::string text;
        {
            std::ifstream in(manifest);
            std::stringstream ss;
            ss << in.rdbuf();
            text = ss.str();
        }
        text[text.size() / 2] = char(text[text.size() / 2] ^ 1);
        std::ofstream(manifest) << text;
        CodeCache c(settings());
        auto r = c.compile(file(freeverb), {}, &how);
        EXPECT_EQ(how, Outcome::Miss);
        EXPECT_EQ(c.stats().corrupt, 1u);
        EXPECT_EQ(tutti_test::render_bits(*r.factory), want);
    }
    CodeCache c(settings());
    auto r = c.compile(file(freeverb), {}, &how);
    EXPECT_EQ(how, Outcome::DiskHit);
    EXPECT_EQ(tutti_test::render_bits(*r.factory), want);
}

TEST_F(CodeCacheTest, UncacheableRequestsCompileAsWithoutTheCache) {
    CodeCache cache(settings());
    Outcome how{};
    tutti::CompileOptions interp;
    interp.backend = tutti::Backend::Interpreter;
    EXPECT_TRUE(cache.compile(file(freeverb), interp, &how).ok());
    EXPECT_EQ(how, Outcome::Uncacheable);
    // errors are not cached
    const std::string bad = write("bad.dsp", "process = nope;\n");
    auto r = cache.compile(file(bad), {}, &how);
    EXPECT_FALSE(r.ok());
    EXPECT_FALSE(r.diagnostics.empty());
    r = cache.compile(file(bad), {}, &how);
    EXPECT_EQ(how, Outcome::Miss);
    EXPECT_FALSE(r.diagnostics.empty());
    CacheSettings off = settings();
    off.enabled = false;
    CodeCache disabled(off);
    EXPECT_TRUE(disabled.compile(file(freeverb), {}, &how).ok());
    EXPECT_EQ(how, Outcome::Disabled);
}

TEST_F(CodeCacheTest, SizeIsBounded) {
    auto program = [&](int i) {
        return write("p" + std::to_string(i) + ".dsp", "process = _ * " + std::to_string(i) +
                                                           " : @(" + std::to_string(i + 1) +
                                                           ");\n");
    };
    std::uint64_t one = 0; // the size of one entry (object and manifest)
    {
        CacheSettings s = settings();
        s.dir = dir_ / "measure";
        CodeCache measure(s);
        ASSERT_TRUE(measure.compile(file(program(0)), {}).ok());
        one = measure.stats().bytes;
        ASSERT_GT(one, 0u);
    }
    CacheSettings s = settings();
    s.max_bytes = one * 4 + one / 2; // four entries
    CodeCache cache(s);
    Outcome how{};
    for (int i = 0; i < 10; ++i) {
        ASSERT_TRUE(cache.compile(file(program(i)), {}, &how).ok());
        EXPECT_EQ(how, Outcome::Miss);
        EXPECT_LE(cache.stats().bytes, s.max_bytes);
    }
    EXPECT_GE(cache.stats().objects, 2u);
    EXPECT_LE(cache.stats().objects, 4u);
    // the most recent entries stay; the oldest went first
    CodeCache later(s);
    later.compile(file(program(9)), {}, &how);
    EXPECT_EQ(how, Outcome::DiskHit);
    later.compile(file(program(0)), {}, &how);
    EXPECT_EQ(how, Outcome::Miss);
}

TEST_F(CodeCacheTest, ThreadsOfOneProcessShareIt) {
    // a compile server's pool: one cache, compilations of the same and other programs at once
    const std::string a = write("a.dsp", "process = _ : + ~ *(0.9);\n");
    const std::string b = write("b.dsp", "process = _ <: @(7), @(9) :> _;\n");
    CodeCache cache(settings());
    std::vector<std::vector<std::uint8_t>> got(8);
    std::vector<std::thread> pool;
    for (std::size_t i = 0; i < got.size(); ++i) {
        pool.emplace_back([&, i] {
            auto r = cache.compile(file(i % 2 == 0 ? a : b), {});
            if (r.ok()) {
                got[i] = tutti_test::render_bits(*r.factory);
            }
        });
    }
    for (auto& t : pool) {
        t.join();
    }
    const auto want_a = fresh(a), want_b = fresh(b);
    for (std::size_t i = 0; i < got.size(); ++i) {
        EXPECT_EQ(got[i], i % 2 == 0 ? want_a : want_b) << i;
    }
    const auto st = cache.stats();
    EXPECT_EQ(st.objects, 2u);
    EXPECT_EQ(st.memory_hits + st.misses, got.size());
}

/// Runs tutti with `args` in the background; returns its pid.
pid_t spawn(const std::vector<std::string>& args, const std::vector<std::string>& env) {
    std::vector<char*> argv;
    for (const auto& a : args) {
        argv.push_back(const_cast<char*>(a.c_str()));
    }
    argv.push_back(nullptr);
    std::vector<std::string> envs = env;
    for (char** e = environ; *e != nullptr; ++e) {
        envs.emplace_back(*e);
    }
    std::vector<char*> envp;
    for (auto& e : envs) {
        envp.push_back(e.data());
    }
    envp.push_back(nullptr);
    pid_t pid = 0;
    if (posix_spawn(&pid, argv[0], nullptr, nullptr, argv.data(), envp.data()) != 0) {
        return -1;
    }
    return pid;
}

int wait_for(pid_t pid) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

TEST_F(CodeCacheTest, TwoProcessesFillingOneFolderAtOnce) {
    const std::string tutti = std::string(TUTTI_BINARY_DIR) + "/bin/tutti";
    const std::string env = "TUTTI_CACHE_DIR=" + (dir_ / "cache").string();
    const std::vector<std::string> programs = {freeverb,
                                               "/usr/share/faust/examples/generator/osc.dsp",
                                               "/usr/share/faust/examples/reverb/fdnRev.dsp"};
    auto render = [&](const std::string& prog, const std::string& out, bool cached) {
        std::vector<std::string> args{tutti,      "render", prog,      "-o", out,
                                      "--frames", "3000",   "--input", "mix"};
        if (!cached) {
            args.push_back("--no-cache");
        }
        return spawn(args, {env});
    };
    // round 1: both processes on the same program, then on different ones; round 2: all hits
    for (int round = 0; round < 2; ++round) {
        std::vector<std::pair<pid_t, std::string>> running;
        const std::vector<std::pair<std::string, std::string>> jobs = {
            {programs[0], "a0"}, {programs[0], "b0"}, {programs[1], "a1"}, {programs[2], "b2"}};
        for (const auto& [prog, name] : jobs) {
            const std::string out = (dir_ / (name + "-" + std::to_string(round) + ".txt")).string();
            running.emplace_back(render(prog, out, true), out);
        }
        for (auto& [pid, out] : running) {
            ASSERT_GT(pid, 0);
            EXPECT_EQ(wait_for(pid), 0) << out;
        }
    }
    for (std::size_t i = 0; i < programs.size(); ++i) {
        const std::string ref = (dir_ / ("ref" + std::to_string(i) + ".txt")).string();
        ASSERT_EQ(wait_for(render(programs[i], ref, false)), 0);
        const std::string want = slurp(ref);
        ASSERT_FALSE(want.empty());
        for (const char* who : {"a", "b"}) {
            for (int round = 0; round < 2; ++round) {
                const fs::path out = dir_ / (std::string(who) + std::to_string(i) + "-" +
                                             std::to_string(round) + ".txt");
                if (fs::exists(out)) {
                    EXPECT_EQ(slurp(out), want) << out;
                }
            }
        }
    }
    CodeCache cache(settings());
    const auto st = cache.stats();
    EXPECT_EQ(st.objects, programs.size());
    EXPECT_EQ(st.manifests, programs.size());
    EXPECT_EQ(st.disk_hits + st.disk_misses, 8u);
    EXPECT_GE(st.disk_hits, 4u); // the second round
    std::size_t tmp_files = 0;
    for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir_ / "cache" / "tmp")) {
        ++tmp_files;
    }
    EXPECT_EQ(tmp_files, 0u);
}

} // namespace
