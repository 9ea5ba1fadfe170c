// SPDX-License-Identifier: MIT
/** \file
 * The address space (src/control/address_space.h): its widget addresses equal
 * those `faust -json` writes for real programs, and every spelling that Faust's
 * OSC and HTTP layers accept resolves to the same control. Also the OSC
 * pattern matcher, and the hub's multi-program resolution and clipping.
 */
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "control/address_space.h"
#include "control/control_hub.h"
#include "control/osc_pattern.h"
#include "tutti/compiler.h"

namespace tutti::control {
namespace {

namespace fs = std::filesystem;

std::shared_ptr<const Factory> compile_path(const std::string& path) {
    CompileResult r = compile_file(path, CompileOptions{});
    std::string all;
    for (const auto& d : r.diagnostics) {
        all += to_text(d);
    }
    EXPECT_TRUE(r.ok()) << path << "\n" << all;
    return r.factory;
}

/// The addresses of `faust -json` (the reference), in its order.
std::vector<std::string> reference_addresses(const std::string& dsp) {
    fs::path dir = fs::temp_directory_path() /
                   ("tutti-as-" + std::to_string(::getpid()) + "-" + fs::path(dsp).stem().string());
    fs::create_directories(dir);
    fs::copy_file(dsp, dir / fs::path(dsp).filename(), fs::copy_options::overwrite_existing);
    std::string cmd = "cd '" + dir.string() + "' && faust -I '" +
                      fs::absolute(dsp).parent_path().string() + "' -json '" +
                      fs::path(dsp).filename().string() + "' -o /dev/null > /dev/null 2>&1";
    EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
    std::ifstream in(dir / (fs::path(dsp).filename().string() + ".json"));
    std::stringstream ss;
    ss << in.rdbuf();
    std::string json = ss.str();
    std::vector<std::string> out;
    std::regex re("\"address\": \"([^\"]*)\"");
    for (auto it = std::sregex_iterator(json.begin(), json.end(), re); it != std::sregex_iterator();
         ++it) {
        out.push_back((*it)[1]);
    }
    fs::remove_all(dir);
    return out;
}

std::string source_dir() {
    return std::string(TUTTI_SOURCE_DIR) + "/tests/unit/control/";
}

std::vector<std::string> widget_addresses(const AddressSpace& s) {
    std::vector<std::string> out;
    for (const auto& n : s.nodes()) {
        if (n.kind == AddressSpace::Node::Kind::Widget) {
            out.push_back(n.address);
        }
    }
    return out;
}

TEST(AddressSpace, WidgetAddressesEqualFaustJson) {
    std::string dsp = source_dir() + "spellings.dsp";
    auto f = compile_path(dsp);
    ASSERT_TRUE(f);
    AddressSpace s(f->info());
    std::vector<std::string> ref = reference_addresses(dsp);
    ASSERT_EQ(ref.size(), 7u);
    EXPECT_EQ(widget_addresses(s), ref);
    EXPECT_EQ(s.root().address, "/spellings");
}

/// Faust's own example programs with many controls: the same addresses as
/// faust -json, and each address resolves to its own parameter.
TEST(AddressSpace, FaustExamplesEqualFaustJson) {
    const std::string ex = "/usr/share/doc/faust-common/examples/";
    int checked = 0;
    for (const char* name :
         {"misc/UITester.dsp", "misc/mixer.dsp", "misc/guitarix.dsp", "reverb/freeverb.dsp",
          "phasing/phaser.dsp", "physicalModeling/karplus.dsp"}) {
        std::string dsp = ex + name;
        if (!fs::exists(dsp)) {
            continue;
        }
        auto f = compile_path(dsp);
        ASSERT_TRUE(f) << dsp;
        AddressSpace s(f->info());
        std::vector<std::string> ref = reference_addresses(dsp);
        EXPECT_EQ(widget_addresses(s), ref) << dsp;
        for (std::size_t i = 0; i < s.parameters().size(); ++i) {
            auto got = s.resolve_parameters(s.parameters()[i].path);
            EXPECT_FALSE(got.empty()) << s.parameters()[i].path;
            if (!got.empty()) {
                EXPECT_EQ(s.parameters()[got[0]].path, s.parameters()[i].path);
            }
        }
        ++checked;
    }
    EXPECT_GE(checked, 4);
}

class Spellings : public ::testing::Test {
protected:
    void SetUp() override {
        factory_ = compile_path(source_dir() + "spellings.dsp");
        ASSERT_TRUE(factory_);
        space_ = AddressSpace(factory_->info());
    }
    std::size_t index_of(const std::string& address) {
        const auto& ps = space_.parameters();
        for (std::size_t i = 0; i < ps.size(); ++i) {
            if (ps[i].path == address) {
                return i;
            }
        }
        ADD_FAILURE() << "no parameter " << address;
        return 0;
    }
    void expect_one(const std::string& spelling, const std::string& address) {
        std::vector<std::size_t> got = space_.resolve_parameters(spelling);
        ASSERT_EQ(got.size(), 1u) << spelling;
        EXPECT_EQ(space_.parameters()[got[0]].path, address) << spelling;
        EXPECT_EQ(got[0], index_of(address)) << spelling;
    }
    std::shared_ptr<const Factory> factory_;
    AddressSpace space_;
};

TEST_F(Spellings, EverySpellingNamesTheSameControl) {
    const std::string freq = "/spellings/Synth__main_/freq_2";
    for (const char* s :
         {"/spellings/Synth__main_/freq_2", "spellings/Synth__main_/freq_2",
          "/spellings/Synth__main_/freq_2/", "/Synth__main_/freq_2", "Synth__main_/freq_2",
          // httpd spelling: '(' ')' '*' kept
          "/spellings/Synth_(main)/freq*2", "/Synth_(main)/freq*2",
          // label and short name
          "freq*2", "freq_2",
          // OSC patterns
          "/spellings/Synth*/freq_?", "/spellings/Synth__main_/fr[a-f]q_[0-9]",
          "/spellings/{Other,Synth__main_}/freq_2", "/*/*/freq_2"}) {
        expect_one(s, freq);
    }
    const std::string mix = "/spellings/Synth__main_/filter/mix:wet+dry";
    for (const char* s : {"/spellings/Synth__main_/filter/mix:wet+dry",
                          "/spellings/Synth_(main)/filter/mix_wet_dry", "mix:wet+dry",
                          "mix_wet_dry", "/spellings/Synth__main_/filter/mix*"}) {
        expect_one(s, mix);
    }
    expect_one("gain", "/spellings/gain");
    expect_one("/gain", "/spellings/gain");
    expect_one("/spellings/Other/level", "/spellings/Other/level");
}

TEST_F(Spellings, GroupsAndRootNameEveryWidgetBelow) {
    EXPECT_EQ(space_.resolve_parameters("/").size(), space_.parameters().size());
    EXPECT_EQ(space_.resolve_parameters("/spellings").size(), space_.parameters().size());
    EXPECT_EQ(space_.resolve_parameters("/spellings/Other").size(), 2u);
    EXPECT_EQ(space_.resolve_parameters("/spellings/Synth__main_/filter").size(), 2u);
    // A pattern over both "filter" groups: q, mix and on.
    EXPECT_EQ(space_.resolve_parameters("/spellings/*/filter").size(), 3u);
    auto ids = space_.resolve("/spellings/Other");
    ASSERT_EQ(ids.size(), 1u);
    EXPECT_EQ(space_.node(ids[0]).kind, AddressSpace::Node::Kind::Group);
    EXPECT_EQ(space_.node(ids[0]).type, "hgroup");
    EXPECT_EQ(space_.root().kind, AddressSpace::Node::Kind::Root);
}

TEST_F(Spellings, UnknownAndMalformedNameNothing) {
    for (const char* s : {"/spellings/nope", "nope", "/other/gain/x", "/spellings/[gain",
                          "/spellings/{gain", "/spellings/gain]", "/spellings/gain/extra"}) {
        EXPECT_TRUE(space_.resolve(s).empty()) << s;
    }
    EXPECT_TRUE(AddressSpace().resolve("/x").empty());
}

TEST_F(Spellings, ClipIntoTheRange) {
    std::size_t g = index_of("/spellings/gain");
    EXPECT_EQ(space_.clip(g, 5), 1);
    EXPECT_EQ(space_.clip(g, -5), 0);
    EXPECT_EQ(space_.clip(g, 0.25), 0.25);
    std::size_t gate = index_of("/spellings/Synth__main_/gate");
    EXPECT_EQ(space_.clip(gate, 3), 1);
    EXPECT_EQ(space_.clip(gate, std::nan("")), 0);
}

TEST(OscPattern, Segments) {
    EXPECT_TRUE(match_segment("abc", "abc"));
    EXPECT_FALSE(match_segment("abc", "abcd"));
    EXPECT_TRUE(match_segment("a?c", "abc"));
    EXPECT_FALSE(match_segment("a?c", "ac"));
    EXPECT_TRUE(match_segment("*", ""));
    EXPECT_TRUE(match_segment("a*", "a"));
    EXPECT_TRUE(match_segment("*c*", "abcd"));
    EXPECT_FALSE(match_segment("*x*", "abcd"));
    EXPECT_TRUE(match_segment("[a-c]x", "bx"));
    EXPECT_FALSE(match_segment("[!a-c]x", "bx"));
    EXPECT_TRUE(match_segment("[!a-c]x", "dx"));
    EXPECT_TRUE(match_segment("{foo,bar}1", "bar1"));
    EXPECT_FALSE(match_segment("{foo,bar}1", "baz1"));
    EXPECT_TRUE(match_segment("{foo,}*", "x"));
    EXPECT_TRUE(match_segment("a.b", "a.b"));
    EXPECT_FALSE(match_segment("a.b", "axb")); // literal, unlike Faust's regexp
    EXPECT_FALSE(match_segment("[abc", "a"));
    // Bounded on hostile input: many stars over a long name.
    std::string p(500, '*');
    p += 'x';
    EXPECT_FALSE(match_segment(p, std::string(4000, 'a')));
}

TEST(Spelling, FaustTranslations) {
    EXPECT_EQ(osc_segment("a b#c*d,e/f?g[h]i{j}k(l)m\tn"), "a_b_c_d_e_f_g_h_i_j_k_l_m_n");
    EXPECT_EQ(httpd_segment("a b;c:d@e&f=g+h$i,j<k>l#m%n\"o{p}q|r\\s^t[u]v`w*x(y)"),
              "a_b_c_d_e_f_g_h_i_j_k_l_m_n_o_p_q_r_s_t_u_v_w*x(y)");
}

TEST(ControlHub, ResolvesAcrossProgramsAndClips) {
    auto f = compile_path(source_dir() + "spellings.dsp");
    ASSERT_TRUE(f);
    EngineOptions eo;
    Engine a(eo), b(eo);
    a.submit(f, "a");
    b.submit(f, "b");
    ControlHub hub;
    hub.add_program(a, "one");
    // One program: the bare address and the instance prefix both work.
    auto s = hub.snapshot();
    EXPECT_EQ(ControlHub::resolve(*s, "/spellings/gain").size(), 1u);
    EXPECT_EQ(ControlHub::resolve(*s, "/one/spellings/gain").size(), 1u);
    EXPECT_EQ(ControlHub::resolve(*s, "/one/gain").size(), 1u);
    EXPECT_EQ(ControlHub::resolve(*s, "/one").size(), 1u); // the root
    hub.add_program(b, "two");
    s = hub.snapshot();
    ResolveError e{};
    // Two programs with one address: the bare root is ambiguous...
    EXPECT_EQ(ControlHub::resolve(*s, "gain", &e).size(), 0u);
    EXPECT_EQ(e, ResolveError::Ambiguous);
    // ...except the JSON address, which names it in both.
    EXPECT_EQ(ControlHub::resolve(*s, "/spellings/gain").size(), 2u);
    auto two = ControlHub::resolve(*s, "/two/gain", &e);
    ASSERT_EQ(two.size(), 1u);
    EXPECT_EQ(s->programs[two[0].program].name, "two");
    EXPECT_EQ(ControlHub::resolve(*s, "/*/gain").size(), 2u);
    ControlHub::resolve(*s, "/three/gain", &e);
    EXPECT_EQ(e, ResolveError::NotFound);
    // Writes: clipped, bargraphs refused.
    EXPECT_EQ(hub.set("/two/gain", 7), 1);
    EXPECT_EQ(hub.set("/two/Other/level", 0.5), 0);
    float out[2][64] = {};
    void* outs[2] = {out[0], out[1]};
    b.process(64, nullptr, outs);
    EXPECT_EQ(b.control_value("/spellings/gain").value_or(-1), 1.0);
    EXPECT_EQ(a.control_value("/spellings/gain").value_or(-1), -1.0); // a has not played yet
}

TEST(ControlHub, Token) {
    ControlHub::Options o;
    o.token = "s3cret";
    ControlHub hub(o);
    EXPECT_TRUE(hub.write_allowed(true, ""));
    EXPECT_FALSE(hub.write_allowed(false, ""));
    EXPECT_FALSE(hub.write_allowed(false, "s3cre"));
    EXPECT_TRUE(hub.write_allowed(false, "s3cret"));
    EXPECT_EQ(make_token().size(), 32u);
    EXPECT_NE(make_token(), make_token());
}

} // namespace
} // namespace tutti::control
