// SPDX-License-Identifier: MIT
// Every .lib file of the installed Faust libraries and every example program
// parses, with every library it imports, without a single diagnostic.
// The folder is the one the reference faust 2.54.9 installs (Debian package
// faust-common, /usr/share/faust); `make setup` installs it.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "frontend/frontend_session.h"
#include "tools/test_support.h"

namespace fs = std::filesystem;

namespace {

std::vector<fs::path> files_with_extension(const fs::path& root, const std::string& ext) {
    std::vector<fs::path> out;
    for (const auto& e : fs::recursive_directory_iterator(root)) {
        if (e.is_regular_file() && e.path().extension() == ext) {
            out.push_back(e.path());
        }
    }
    std::sort(out.begin(), out.end());
    return out;
}

std::string failures_of(const fs::path& file) {
    tutti::frontend::FrontendOptions opts;
    opts.use_environment = false;
    tutti::frontend::FrontendSession s(opts);
    s.parse_program(file);
    std::string out;
    for (const auto& d : s.resolved_diagnostics()) {
        out += tutti::to_text(d);
    }
    return out;
}

TEST(Corpus, EveryInstalledLibraryParses) {
    fs::path root = tutti::test::faust_dir();
    ASSERT_FALSE(root.empty()) << "the Faust libraries are not installed (run make setup)";
    auto libs = files_with_extension(root, ".lib");
    // 44 at the top level, plus embedded/platform.lib and examples/bela/Faust-complement.lib
    EXPECT_GE(libs.size(), 46u);
    for (const auto& lib : libs) {
        std::string f = failures_of(lib);
        EXPECT_TRUE(f.empty()) << lib << "\n" << f;
    }
}

TEST(Corpus, EveryExampleProgramParses) {
    fs::path root = tutti::test::faust_dir();
    ASSERT_FALSE(root.empty()) << "the Faust libraries are not installed (run make setup)";
    auto examples = files_with_extension(root / "examples", ".dsp");
    // 251 files: the 243 that faust compiles, the 7 SAM/*/layout*.dsp fragments
    // (which parse too) and physicalModeling/fds/2dKirchhoffThinPlate.dsp (on
    // which faust crashes after parsing).
    EXPECT_EQ(examples.size(), 251u);
    std::size_t ok = 0;
    for (const auto& ex : examples) {
        std::string f = failures_of(ex);
        EXPECT_TRUE(f.empty()) << ex << "\n" << f;
        ok += f.empty() ? 1 : 0;
    }
    EXPECT_EQ(ok, examples.size());
}

TEST(Corpus, StdfaustClosureIsLarge) {
    // Guards against a resolver that silently stops following library() calls.
    tutti::frontend::FrontendOptions opts;
    opts.use_environment = false;
    tutti::frontend::FrontendSession s(opts);
    s.parse_program_text("t.dsp", "import(\"stdfaust.lib\");\nprocess = _;\n");
    EXPECT_TRUE(s.resolved_diagnostics().empty());
    EXPECT_GE(s.files().size(), 34u);
    EXPECT_GT(s.sources().total_bytes(), 1000000u);
}

} // namespace
