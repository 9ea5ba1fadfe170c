// SPDX-License-Identifier: MIT
// The reference runner (tools/reference/reference_render.sh) drives programs
// compiled by the reference faust with the inputs, block size, button protocol
// and control overrides that `tutti render` will use, and prints them in the
// shared text format. These tests check that protocol on programs whose output
// follows from the language's definition.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "oracle/oracle_support.h"
#include "support/test_schedule.h"
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
                      "/reference-cache " +
                      (tutti::test::source_dir() / "tools/reference/reference_render.sh").string() +
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
        if (!cells.empty() && !cells[0].empty() &&
            std::isdigit(static_cast<unsigned char>(cells[0][0]))) {
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

TEST_F(ReferenceRunner, MixInputIsImpulsePlusNoisePlusSine) {
    Render r = render("process = _, _;", "--frames 300 --input mix --double");
    ASSERT_EQ(r.rows.size(), 300u) << r.output;
    for (int c = 0; c < 2; ++c) {
        std::vector<double> want(300);
        tutti::test_signal::fill_mix<double>(c, 300, want.data());
        std::uint32_t st = tutti::test_signal::noise_seed(c);
        const double period = double(tutti::test_signal::mix_period(c));
        for (int n = 0; n < 300; ++n) {
            EXPECT_EQ(std::stod(r.rows[n][1 + c]), want[n]) << "channel " << c << " frame " << n;
            // what the header says it is, to 1e-12
            double sine = std::sin(6.283185307179586 * double(n % long(period)) / period);
            double x = (n == 0 ? 1.0 : 0.0) + tutti::test_signal::next_noise(st) / 4 + sine / 4;
            EXPECT_NEAR(want[n], x, 1e-12) << "channel " << c << " frame " << n;
        }
    }
    EXPECT_NE(r.rows[5][1], r.rows[5][2]);
}

TEST(ControlSchedule, SlidersMoveOffTheirInitOnTheirGrid) {
    namespace ts = tutti::test_schedule;
    std::vector<ts::Control> cs;
    for (int i = 0; i < 200; ++i) {
        cs.push_back({"/g/int" + std::to_string(i), ts::Kind::Slider, 3, 0, 7, 1});
        cs.push_back({"/g/frac" + std::to_string(i), ts::Kind::Slider, 0.5, 0, 1, 0.01});
        cs.push_back({"/g/free" + std::to_string(i), ts::Kind::Slider, 2, 1, 3, 0});
    }
    for (int i = 0; i < 20; ++i) {
        cs.push_back({"/g/two" + std::to_string(i), ts::Kind::Slider, 0, 0, 1, 1}); // 0 -> 1 -> 0
    }
    cs.push_back({"/g/fixed", ts::Kind::Slider, 1, 1, 1, 0.1}); // nothing else to choose
    auto sched = ts::schedule(cs, 20000, 64);
    std::map<std::string, std::vector<ts::Change>> by;
    for (const auto& ch : sched) {
        by[ch.address].push_back(ch);
    }
    for (const auto& c : cs) {
        const auto& v = by[c.address];
        ASSERT_EQ(v.size(), 2u) << c.address;
        EXPECT_EQ(v[0].frame, 0);
        EXPECT_EQ(v[1].frame, 9984); // 10000 rounded down to a block boundary
        for (const auto& ch : v) {
            EXPECT_GE(ch.value, c.min) << c.address;
            EXPECT_LE(ch.value, c.max) << c.address;
            if (c.step == 1) {
                EXPECT_EQ(ch.value, std::floor(ch.value)) << c.address;
            }
        }
        if (c.max > c.min) {
            EXPECT_NE(v[0].value, c.init) << c.address;
            EXPECT_NE(v[1].value, v[0].value) << c.address;
        }
        // deterministic: the same address gives the same values
        auto again = ts::schedule({c}, 20000, 64);
        EXPECT_EQ(again[0].value, v[0].value);
        EXPECT_EQ(again[1].value, v[1].value);
    }
    // the hash spreads: the 200 integer sliders take every value of 0..7 but 3 at frame 0
    std::set<double> seen;
    for (int i = 0; i < 200; ++i) {
        seen.insert(by["/g/int" + std::to_string(i)][0].value);
    }
    EXPECT_EQ(seen.size(), 7u);
}

TEST(ControlSchedule, ButtonsPressReleasePressCheckboxesToggle) {
    namespace ts = tutti::test_schedule;
    auto sched = ts::schedule({{"/b", ts::Kind::Button, 0, 0, 1, 1},
                               {"/c", ts::Kind::Checkbox, 0, 0, 1, 1},
                               {"/b", ts::Kind::Button, 0, 0, 1, 1}},
                              20000, 64);
    std::vector<std::string> got;
    for (const auto& ch : sched) {
        std::ostringstream o;
        o << ch.frame << ":" << ch.address << "=" << ch.value;
        got.push_back(o.str());
    }
    EXPECT_EQ(got, (std::vector<std::string>{"0:/b=1", "0:/c=1", "6656:/b=0", "9984:/c=0",
                                             "13312:/b=1"}));
}

TEST_F(ReferenceRunner, ScheduleUsesFaustAddressesAtBlockBoundaries) {
    const std::string prog =
        "process = hgroup(\"my group\", hslider(\"f(1) [unit:Hz]\", 440, 20, 2000, 1), "
        "button(\"gate\"), checkbox(\"on\"));";
    Render r = render(prog, "--frames 300 --block 64 --schedule --double");
    ASSERT_EQ(r.exit_code, 0) << r.output;
    ASSERT_EQ(r.rows.size(), 300u) << r.output;
    // 300 frames: a third at 64, the middle at 128, two thirds at 192
    double v0 = -1, v1 = -1;
    for (const auto& h : r.header) {
        if (h.rfind("# set-at 0:/my_group/f_1_=", 0) == 0) {
            v0 = std::stod(h.substr(h.find('=') + 1));
        }
        if (h.rfind("# set-at 128:/my_group/f_1_=", 0) == 0) {
            v1 = std::stod(h.substr(h.find('=') + 1));
        }
    }
    EXPECT_NE(std::find(r.header.begin(), r.header.end(),
                        "# control slider /my_group/f_1_ 440 20 2000 1"),
              r.header.end())
        << r.output;
    EXPECT_NE(std::find(r.header.begin(), r.header.end(), "# set-at 64:/my_group/gate=0"),
              r.header.end());
    EXPECT_NE(std::find(r.header.begin(), r.header.end(), "# set-at 192:/my_group/gate=1"),
              r.header.end());
    EXPECT_NE(std::find(r.header.begin(), r.header.end(), "# set-at 128:/my_group/on=0"),
              r.header.end());
    ASSERT_GE(v0, 20);
    ASSERT_GE(v1, 20);
    EXPECT_NE(v0, 440);
    EXPECT_NE(v1, v0);
    EXPECT_EQ(v0, std::floor(v0));
    for (int n = 0; n < 300; ++n) {
        EXPECT_EQ(std::stod(r.rows[n][1]), n < 128 ? v0 : v1) << n;
        EXPECT_EQ(r.rows[n][2], (n < 64 || n >= 192) ? "1" : "0") << n;
        EXPECT_EQ(r.rows[n][3], n < 128 ? "1" : "0") << n;
    }
    // The addresses are faust -json's.
    fs::path dir = fs::temp_directory_path() / ("tutti_json_" + std::to_string(getpid()));
    fs::create_directories(dir);
    std::ofstream(dir / "p.dsp") << prog << "\n";
    auto j = tutti::test::run_command(
        "cd " + dir.string() + " && faust -json p.dsp -o p.cpp > /dev/null && cat p.dsp.json");
    fs::remove_all(dir);
    ASSERT_EQ(j.exit_code, 0) << j.output;
    for (const char* a : {"\"/my_group/f_1_\"", "\"/my_group/gate\"", "\"/my_group/on\""}) {
        EXPECT_NE(j.output.find(std::string("\"address\": ") + a), std::string::npos) << a << "\n"
                                                                                      << j.output;
    }
}

TEST_F(ReferenceRunner, SetAtAppliesAtTheFirstBlockBoundaryAtOrAfterTheFrame) {
    const std::string prog = "process = hslider(\"x\", 0, 0, 10, 1);";
    Render r = render(prog, "--frames 200 --block 64 --set-at 100:x=3 --double");
    ASSERT_EQ(r.rows.size(), 200u) << r.output;
    EXPECT_EQ(r.rows[127][1], "0");
    EXPECT_EQ(r.rows[128][1], "3");
    Render bad = render(prog, "--frames 10 --set-at 0:/nothing=1");
    EXPECT_EQ(bad.exit_code, 2);
}

} // namespace
