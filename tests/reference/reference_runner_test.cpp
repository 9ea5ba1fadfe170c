// SPDX-License-Identifier: MIT
// The reference runner (tools/reference/reference_render.sh) drives programs
// compiled by the reference faust with the inputs, block size, button protocol
// and control overrides that `tutti render` will use, and prints them in the
// shared text format. These tests check that protocol on programs whose output
// follows from the language's definition.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "oracle/oracle_support.h"
#include "support/test_signal.h"
#include "tools/test_support.h"

namespace fs = std::filesystem;

namespace {

struct Render {
    int exit_code = -1;
    std::vector<std::string> header;
    std::vector<std::vector<std::string>> rows; // frame index, outputs...
    std::string output;
};

Render render(const std::string& program, const std::string& args) {
    fs::path dsp = fs::temp_directory_path() / ("tutti_ref_" + std::to_string(getpid()) + ".dsp");
    std::ofstream(dsp) << program << "\n";
    std::string cmd = "TUTTI_REFERENCE_CACHE=" + std::string(TUTTI_BINARY_DIR) +
                      "/reference-cache " + (tutti::test::source_dir() / "tools/reference/reference_render.sh").string() +
                      " " + dsp.string() + " -o - " + args;
    auto r = tutti::test::run_command(cmd);
    fs::remove(dsp);
    Render out;
    out.exit_code = r.exit_code;
    out.output = r.output;
    std::istringstream in(r.output);
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("# ", 0) == 0) {
            out.header.push_back(line);
            continue;
        }
        std::vector<std::string> cells;
        std::istringstream ls(line);
        std::string cell;
        while (std::getline(ls, cell, '\t')) {
            cells.push_back(cell);
        }
        if (!cells.empty() && !cells[0].empty() && std::isdigit(static_cast<unsigned char>(cells[0][0]))) {
            out.rows.push_back(cells);
        }
    }
    return out;
}

class ReferenceRunner : public ::testing::Test {
protected:
    void SetUp() override {
        ASSERT_TRUE(tutti::test::faust_available()) << "install faust (make setup)";
    }
};

TEST_F(ReferenceRunner, RecursionDelayAndImpulse) {
    Render r = render("process = +(1) ~ _, _ @ 3;", "--frames 6 --input impulse --double");
    ASSERT_EQ(r.exit_code, 0) << r.output;
    ASSERT_EQ(r.rows.size(), 6u) << r.output;
    for (int n = 0; n < 6; ++n) {
        EXPECT_EQ(r.rows[n][0], std::to_string(n));
        EXPECT_EQ(r.rows[n][1], std::to_string(n + 1)); // y(t) = y(t-1) + 1
        EXPECT_EQ(r.rows[n][2], n == 3 ? "1" : "0");    // the impulse, 3 frames late
    }
    EXPECT_NE(std::find(r.header.begin(), r.header.end(), "# inputs: 1"), r.header.end());
    EXPECT_NE(std::find(r.header.begin(), r.header.end(), "# outputs: 2"), r.header.end());
}

TEST_F(ReferenceRunner, NumberFormatFollowsPrecision) {
    Render s = render("process = 0.1;", "--frames 1");
    Render d = render("process = 0.1;", "--frames 1 --double");
    ASSERT_EQ(s.rows.size(), 1u) << s.output;
    ASSERT_EQ(d.rows.size(), 1u) << d.output;
    EXPECT_EQ(s.rows[0][1], "0.100000001");         // %.9g of 0.1f
    EXPECT_EQ(d.rows[0][1], "0.10000000000000001"); // %.17g of 0.1
}

TEST_F(ReferenceRunner, ButtonsAreHeldUntilTheFirstBlockBoundaryAtOrAfterF) {
    Render r = render("process = button(\"b\") : + ~ _, checkbox(\"c\");",
                      "--frames 200 --block 64 --press-buttons 100 --double");
    ASSERT_EQ(r.rows.size(), 200u) << r.output;
    EXPECT_EQ(r.rows[0][1], "1");
    EXPECT_EQ(r.rows[127][1], "128"); // pressed through the block that holds frame 100
    EXPECT_EQ(r.rows[128][1], "128"); // released at frame 128
    EXPECT_EQ(r.rows[199][1], "128");
    EXPECT_EQ(r.rows[0][2], "0"); // checkboxes are not pressed
}

TEST_F(ReferenceRunner, SetByLabelOrFullPath) {
    const std::string prog = "process = hgroup(\"g\", hslider(\"gain\", 1, 0, 2, 0.01));";
    Render by_label = render(prog, "--frames 2 --set gain=0.25 --double");
    Render by_path = render(prog, "--frames 2 --set /g/gain=0.5 --double");
    Render unset = render(prog, "--frames 2 --double");
    ASSERT_EQ(by_label.rows.size(), 2u) << by_label.output;
    ASSERT_EQ(by_path.rows.size(), 2u) << by_path.output;
    ASSERT_EQ(unset.rows.size(), 2u) << unset.output;
    EXPECT_EQ(by_label.rows[1][1], "0.25");
    EXPECT_EQ(by_path.rows[1][1], "0.5");
    EXPECT_EQ(unset.rows[1][1], "1");
    Render bad = render(prog, "--frames 2 --set nothing=1");
    EXPECT_EQ(bad.exit_code, 2);
    EXPECT_NE(bad.output.find("/g/gain"), std::string::npos) << bad.output;
}

TEST_F(ReferenceRunner, SampleRateAndSeconds) {
    Render r = render("process = fconstant(int fSamplingFreq, <math.h>);",
                      "--sample-rate 48000 --seconds 0.001 --double");
    ASSERT_EQ(r.rows.size(), 48u) << r.output;
    EXPECT_EQ(r.rows[47][1], "48000");
}

TEST_F(ReferenceRunner, NoiseInputIsTheSharedGenerator) {
    Render r = render("process = _, _;", "--frames 100 --input noise --double");
    ASSERT_EQ(r.rows.size(), 100u) << r.output;
    for (int c = 0; c < 2; ++c) {
        std::uint32_t st = tutti::test_signal::noise_seed(c);
        for (int n = 0; n < 100; ++n) {
            double want = tutti::test_signal::next_noise(st);
            ASSERT_GE(want, -1.0);
            ASSERT_LT(want, 1.0);
            EXPECT_EQ(std::stod(r.rows[n][1 + c]), want) << "channel " << c << " frame " << n;
        }
    }
    EXPECT_NE(r.rows[0][1], r.rows[0][2]); // each channel has its own sequence
}

} // namespace
