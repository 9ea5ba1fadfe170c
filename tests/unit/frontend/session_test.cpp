// SPDX-License-Identifier: MIT
// Library resolution and the limits of a front-end session, on files written to
// a fresh temporary folder per test.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>

#include "frontend/frontend_session.h"
#include "tools/temp_dir_test.h"
#include "tools/test_support.h"

namespace fs = std::filesystem;
using tutti::frontend::FrontendOptions;
using tutti::frontend::FrontendSession;

namespace {

class SessionTest : public tutti::test::TempDirTest {
protected:
    static std::vector<std::string> names(const FrontendSession& s) {
        std::vector<std::string> out;
        for (const auto& f : s.files()) {
            out.push_back(f->path.filename().string());
        }
        return out;
    }
    static FrontendOptions no_system() {
        FrontendOptions o;
        o.use_environment = false;
        o.use_installed_libraries = false;
        return o;
    }
};

TEST_F(SessionTest, FollowsImportLibraryAndComponentOncePerFile) {
    write("a.lib", "import(\"b.lib\");\nx = library(\"c.lib\").y;\n");
    write("b.lib", "import(\"a.lib\");\n"); // cycle a <-> b
    write("c.lib", "y = component(\"sub/d.dsp\");\nz = library(\"c.lib\");\n");
    write("sub/d.dsp", "process = _;\n");
    fs::path main = write("main.dsp", "import(\"a.lib\");\nimport(\"a.lib\");\nprocess = x;\n");
    FrontendSession s(no_system());
    ASSERT_NE(s.parse_program(main), nullptr);
    EXPECT_TRUE(s.resolved_diagnostics().empty());
    EXPECT_EQ(names(s), (std::vector<std::string>{"main.dsp", "a.lib", "b.lib", "c.lib", "d.dsp"}));
    // every reference knows the file it resolved to (the evaluator needs it)
    const auto* main_file = s.files()[0].get();
    const tutti::ast::Node* first_import = main_file->root->kids[0];
    ASSERT_EQ(first_import->kind, tutti::ast::NodeKind::Import);
    ASSERT_NE(s.resolved(first_import), nullptr);
    EXPECT_EQ(s.resolved(first_import)->path.filename(), "a.lib");
    EXPECT_EQ(s.resolved(main_file->root->kids[1]), s.resolved(first_import)); // imported once
}

TEST_F(SessionTest, MissingLibraryIsReportedWhereItIsImported) {
    fs::path main = write("main.dsp", "process = _;\nimport(\"nowhere.lib\");\n");
    FrontendSession s(no_system());
    s.parse_program(main);
    auto d = s.resolved_diagnostics();
    ASSERT_EQ(d.size(), 2u);
    EXPECT_EQ(d[0].id, "file_not_found");
    EXPECT_EQ(d[0].message, "unable to open file 'nowhere.lib'");
    EXPECT_EQ(d[0].line, 2u);
    EXPECT_EQ(d[0].column, 1u);
    EXPECT_EQ(d[1].id, "searched_in");
}

TEST_F(SessionTest, SearchOrderIsProgramDirThenIncludeDirsThenEnvironment) {
    write("prog/x.lib", "v = 1;\n");
    write("inc1/x.lib", "v = 2;\n");
    write("inc1/y.lib", "w = 2;\n");
    write("inc2/y.lib", "w = 3;\n");
    write("env/z.lib", "u = 4;\n");
    write("inc2/z.lib", "u = 5;\n");
    fs::path main =
        write("prog/main.dsp", "import(\"x.lib\");\nimport(\"y.lib\");\nimport(\"z.lib\");\n");
    FrontendOptions o = no_system();
    o.include_dirs = {(dir_ / "inc1").string(), (dir_ / "inc2").string()};
    FrontendSession s(o);
    s.parse_program(main);
    ASSERT_TRUE(s.resolved_diagnostics().empty());
    std::vector<std::string> parents;
    for (const auto& f : s.files()) {
        parents.push_back(f->path.parent_path().filename().string() + "/" +
                          f->path.filename().string());
    }
    EXPECT_EQ(parents, (std::vector<std::string>{"prog/main.dsp", "prog/x.lib", "inc1/y.lib",
                                                 "inc2/z.lib"}));

    // TUTTI_LIBRARY_PATH comes after -I but before the installed libraries
    write("env/only_env.lib", "k = 1;\n");
    fs::path main2 = write("prog/main2.dsp", "import(\"only_env.lib\");\n");
    std::string env = (dir_ / "nonexistent").string() + ":" + (dir_ / "env").string();
    ::setenv("TUTTI_LIBRARY_PATH", env.c_str(), 1);
    FrontendOptions o2 = no_system();
    o2.use_environment = true;
    FrontendSession s2(o2);
    s2.parse_program(main2);
    ::unsetenv("TUTTI_LIBRARY_PATH");
    EXPECT_TRUE(s2.resolved_diagnostics().empty());
    ASSERT_EQ(s2.files().size(), 2u);
    EXPECT_EQ(s2.files()[1]->path.parent_path().filename(), "env");
}

TEST_F(SessionTest, ImportsInsideLibrariesSearchTheProgramFolderNotTheirOwn) {
    // As in Faust: sub/bar.lib importing "foo.lib" does not find sub/foo.lib.
    write("sub/bar.lib", "import(\"foo.lib\");\n");
    write("sub/foo.lib", "f = 1;\n");
    fs::path main = write("main.dsp", "import(\"sub/bar.lib\");\n");
    FrontendSession s(no_system());
    s.parse_program(main);
    auto d = s.resolved_diagnostics();
    ASSERT_FALSE(d.empty());
    EXPECT_EQ(d[0].message, "unable to open file 'foo.lib'");
    EXPECT_EQ(fs::path(d[0].file).filename(), "bar.lib");
}

TEST_F(SessionTest, InstalledLibrariesAreFoundAtRunTime) {
    fs::path main = write("main.dsp", "import(\"stdfaust.lib\");\nprocess = os.osc(440);\n");
    FrontendOptions o;
    o.use_environment = false;
    FrontendSession s(o);
    s.parse_program(main);
    ASSERT_FALSE(tutti::test::faust_dir().empty()) << "install faust (make setup)";
    EXPECT_TRUE(s.resolved_diagnostics().empty());
    EXPECT_GT(s.files().size(), 30u); // stdfaust.lib reaches every standard library
}

TEST_F(SessionTest, FileSizeLimit) {
    write("big.lib", std::string(5000, ' ') + "x = 1;\n");
    fs::path main = write("main.dsp", "import(\"big.lib\");\n");
    FrontendOptions o = no_system();
    o.max_file_bytes = 4096;
    FrontendSession s(o);
    s.parse_program(main);
    auto d = s.resolved_diagnostics();
    ASSERT_EQ(d.size(), 1u);
    EXPECT_EQ(d[0].id, "file_too_large");
    EXPECT_EQ(d[0].message, "file is too large (5007 bytes; the limit is 4096 bytes)");
    EXPECT_EQ(d[0].line, 1u);
}

TEST_F(SessionTest, FileCountLimit) {
    for (int i = 0; i < 10; ++i) {
        write("l" + std::to_string(i) + ".lib",
              "import(\"l" + std::to_string(i + 1) + ".lib\");\n");
    }
    write("l10.lib", "\n");
    fs::path main = write("main.dsp", "import(\"l0.lib\");\n");
    FrontendOptions o = no_system();
    o.max_files = 5;
    FrontendSession s(o);
    s.parse_program(main);
    auto d = s.resolved_diagnostics();
    ASSERT_EQ(d.size(), 1u);
    EXPECT_EQ(d[0].id, "too_many_files");
    EXPECT_EQ(s.files().size(), 5u);
}

TEST_F(SessionTest, MissingProgram) {
    FrontendSession s(no_system());
    EXPECT_EQ(s.parse_program(dir_ / "absent.dsp"), nullptr);
    auto d = s.resolved_diagnostics();
    ASSERT_EQ(d.size(), 1u);
    EXPECT_EQ(d[0].id, "input_not_found");
}

TEST_F(SessionTest, DirectoryIsNotAProgram) {
    fs::create_directories(dir_ / "adir.dsp");
    FrontendSession s(no_system());
    EXPECT_EQ(s.parse_program(dir_ / "adir.dsp"), nullptr);
    auto d = s.resolved_diagnostics();
    ASSERT_EQ(d.size(), 1u);
    EXPECT_EQ(d[0].id, "file_read_error");
}

} // namespace
