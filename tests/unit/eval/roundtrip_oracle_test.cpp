// SPDX-License-Identifier: MIT
// Round trip through the reference compiler: our evaluated `process` box, printed
// back as a Faust program, must make faust generate the same code as the
// original program (the generated C++ is compared after renaming variables in
// order of appearance and dropping metadata). This checks the meaning of the
// boxes, not just their arity: argument order in partial applications, pattern
// matching, environments, letrec ordering, %i labels, route, waveform...
//
// Run on a selection of examples covering those constructs (the whole example set
// takes minutes: evaluate them all with tutti_eval_dump -f to do that by hand).
// faust orders the operands of commutative operations by memory address, so some
// programs give equivalent but differently ordered code; they are not in the list.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <regex>
#include <sstream>

#include "boxes/box.h"
#include "eval/evaluate.h"
#include "faust_syntax.h"
#include "frontend/frontend_session.h"
#include "tools/test_support.h"

namespace fs = std::filesystem;

namespace {

bool have_faust() {
    return std::system("faust --version > /dev/null 2>&1") == 0;
}

std::string run_faust(const fs::path& dir, const fs::path& file, const fs::path& out) {
    std::string cmd = "cd '" + dir.string() + "' && faust -lang cpp -I '" + dir.string() + "' '" +
                      file.string() + "' -o '" + out.string() + "' > /dev/null 2>&1";
    if (std::system(cmd.c_str()) != 0) {
        return "FAUST FAILED";
    }
    return tutti::test::read_file(out);
}

/// Generated code without metadata and comments, variables renamed in order of
/// first appearance, addresses (labels of empty bargraphs) blanked.
std::string normalize(const std::string& cpp) {
    static const std::regex var(
        R"(\b(fRec|iRec|fTemp|iTemp|fVec|iVec|fSlow|iSlow|fConst|iConst|fHslider|fVslider|fEntry|fButton|fCheckbox|fVbargraph|fHbargraph|ftbl|itbl|fTable)\d+\b)");
    static const std::regex addr(R"(0x[0-9a-f]{6,})");
    static const std::regex header(R"(^[a-zA-Z_]*: ")");
    static const std::regex name_word(R"(\bname\b)");
    std::istringstream in(cpp);
    std::string line, out;
    std::unordered_map<std::string, std::string> names;
    while (std::getline(in, line)) {
        if (std::regex_search(line, header) || line.find("m->declare") != std::string::npos ||
            line.rfind("// ", 0) == 0 || line.find("Code generated") != std::string::npos ||
            line.rfind("/*", 0) == 0 || line.rfind(" *", 0) == 0 ||
            std::regex_search(line, name_word)) {
            continue;
        }
        line = std::regex_replace(line, addr, "0xADDR");
        std::string renamed;
        auto begin = std::sregex_iterator(line.begin(), line.end(), var);
        std::size_t last = 0;
        for (auto it = begin; it != std::sregex_iterator(); ++it) {
            renamed += line.substr(last, std::size_t(it->position()) - last);
            auto [n, fresh] =
                names.try_emplace(it->str(), (*it)[1].str() + "_" + std::to_string(names.size()));
            renamed += n->second;
            last = std::size_t(it->position() + it->length());
        }
        renamed += line.substr(last);
        out += renamed + "\n";
    }
    return out;
}

class RoundTrip : public ::testing::TestWithParam<const char*> {
protected:
    void SetUp() override {
        std::random_device rd;
        tmp_ = fs::temp_directory_path() / ("tutti-roundtrip-" + std::to_string(rd()));
        fs::create_directories(tmp_ / "ours");
    }
    void TearDown() override {
        std::error_code ec;
        fs::remove_all(tmp_, ec);
    }
    fs::path tmp_;
};

TEST_P(RoundTrip, SameGeneratedCode) {
    fs::path file = tutti::test::faust_dir() / "examples" / GetParam();
    if (!have_faust() || !fs::exists(file)) {
        GTEST_SKIP() << "needs the reference faust and its examples";
    }
    fs::path dir = file.parent_path();
    tutti::frontend::FrontendOptions fo;
    fo.use_environment = false;
    fo.include_dirs.push_back(dir.string());
    tutti::frontend::FrontendSession s(fo);
    const auto* pf = s.parse_program(file);
    ASSERT_NE(pf, nullptr);
    tutti::boxes::BoxContext boxes(s.interner());
    auto p = tutti::eval::evaluate_program(s, *pf, boxes);
    ASSERT_NE(p.process, nullptr);

    // Same file name and `declare name` (they name the top-level UI group).
    std::string program = tutti::test::faust_program(p.process);
    for (const auto& [key, value] : p.metadata) {
        if (key == "name") {
            program.insert(0, "declare name \"" + value + "\";\n");
        }
    }
    fs::path ours = tmp_ / "ours" / file.filename();
    std::ofstream(ours) << program;

    std::string expected = normalize(run_faust(dir, file.filename(), tmp_ / "orig.cpp"));
    std::string got = normalize(run_faust(dir, ours, tmp_ / "ours.cpp"));
    ASSERT_NE(got, "FAUST FAILED\n") << program.substr(0, 2000);
    EXPECT_EQ(expected, got);
}

INSTANTIATE_TEST_SUITE_P(
    Examples, RoundTrip,
    ::testing::Values("generator/osc.dsp", "generator/noise.dsp", "old/rewriting/fact.dsp",
                      "old/rewriting/fold.dsp", "old/rewriting/mesh.dsp", "spat/panpot.dsp",
                      "misc/UITester.dsp", "misc/mixer.dsp", "misc/statespace.dsp",
                      "filtering/oberheim.dsp", "reverb/zitaRev.dsp", "reverb/greyhole.dsp",
                      "physicalModeling/churchBell.dsp", "bela/granulator.dsp",
                      "physicalModeling/mi-faust/00_BasicOscillator/harmonicOscillator.dsp",
                      "delayEcho/tapiir.dsp"),
    [](const auto& param_info) {
        std::string n;
        for (const char* c = param_info.param; *c; ++c) {
            n += std::isalnum(static_cast<unsigned char>(*c)) ? *c : '_';
        }
        return n;
    });

} // namespace
