// SPDX-License-Identifier: MIT
// The FactoryInfo codec (src/runtime/factory_info_codec.h): real compiled
// programs' infos survive the round trip field by field; every truncation, every
// flipped byte and hostile counts/offsets are refused with a message.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "runtime/factory_info_codec.h"
#include "tutti/compiler.h"

namespace {

tutti::FactoryInfo compiled_info(const std::string& src, bool dbl = false) {
    tutti::CompileOptions o;
    o.double_precision = dbl;
    o.backend = tutti::Backend::Interpreter;
    auto r = tutti::compile_source("t.dsp", src, o);
    EXPECT_TRUE(r.ok());
    return r.ok() ? r.factory->info() : tutti::FactoryInfo{};
}

const char* const program = R"(
declare name "codec";
declare author "someone";
import("stdfaust.lib");
g = hslider("h:grp/gain [unit:dB][style:knob]", -6, -60, 0, 0.1) : ba.db2linear;
f = vslider("freq", 440, 20, 2000, 1);
b = button("gate");
c = checkbox("on");
n = nentry("n", 1, 0, 8, 1);
process = os.osc(f) * g * (b + c) * n : fi.lowpass(2, 1000) <: _, (@(100) : hbargraph("lvl", 0, 1));
)";

void expect_same(const tutti::FactoryInfo& a, const tutti::FactoryInfo& b) {
    EXPECT_EQ(a.name, b.name);
    EXPECT_EQ(a.inputs, b.inputs);
    EXPECT_EQ(a.outputs, b.outputs);
    EXPECT_EQ(a.double_precision, b.double_precision);
    EXPECT_EQ(a.metadata, b.metadata);
    ASSERT_EQ(a.parameters.size(), b.parameters.size());
    for (std::size_t i = 0; i < a.parameters.size(); ++i) {
        const auto &p = a.parameters[i], &q = b.parameters[i];
        EXPECT_EQ(p.kind, q.kind);
        EXPECT_EQ(p.path, q.path);
        EXPECT_EQ(p.label, q.label);
        EXPECT_EQ(p.shortname, q.shortname);
        EXPECT_EQ(p.metadata, q.metadata);
        EXPECT_EQ(p.init, q.init);
        EXPECT_EQ(p.min, q.min);
        EXPECT_EQ(p.max, q.max);
        EXPECT_EQ(p.step, q.step);
        EXPECT_EQ(p.offset, q.offset);
    }
    EXPECT_EQ(a.json, b.json);
    ASSERT_EQ(a.ui.size(), b.ui.size());
    for (std::size_t i = 0; i < a.ui.size(); ++i) {
        EXPECT_EQ(a.ui[i].kind, b.ui[i].kind);
        EXPECT_EQ(a.ui[i].type, b.ui[i].type);
        EXPECT_EQ(a.ui[i].label, b.ui[i].label);
        EXPECT_EQ(a.ui[i].metadata, b.ui[i].metadata);
        EXPECT_EQ(a.ui[i].parameter, b.ui[i].parameter);
    }
    ASSERT_EQ(a.state_layout.size(), b.state_layout.size());
    for (std::size_t i = 0; i < a.state_layout.size(); ++i) {
        const auto &f = a.state_layout[i], &g = b.state_layout[i];
        EXPECT_EQ(f.name, g.name);
        EXPECT_EQ(f.kind, g.kind);
        EXPECT_EQ(f.type, g.type);
        EXPECT_EQ(f.identity, g.identity);
        EXPECT_EQ(f.offset, g.offset);
        EXPECT_EQ(f.elements, g.elements);
        EXPECT_EQ(f.bytes, g.bytes);
        EXPECT_EQ(f.ring, g.ring);
        EXPECT_EQ(f.scale, g.scale);
        EXPECT_EQ(f.location, g.location);
    }
    EXPECT_EQ(a.state_bytes, b.state_bytes);
    EXPECT_EQ(a.content_key, b.content_key);
    EXPECT_EQ(a.source_files, b.source_files);
    EXPECT_EQ(a.voices, b.voices);
}

TEST(FactoryInfoCodec, RoundTripOfCompiledPrograms) {
    for (bool dbl : {false, true}) {
        tutti::FactoryInfo info = compiled_info(program, dbl);
        ASSERT_FALSE(info.parameters.empty());
        ASSERT_FALSE(info.state_layout.empty());
        ASSERT_FALSE(info.ui.empty());
        bool some_identity = false;
        for (const auto& f : info.state_layout) {
            some_identity = some_identity || !f.identity.empty();
        }
        EXPECT_TRUE(some_identity);
        info.voices = 3; // not set by this compile; carried all the same
        const std::string bytes = tutti::encode_factory_info(info);
        std::string error;
        auto back = tutti::decode_factory_info(bytes, &error);
        ASSERT_TRUE(back) << error;
        expect_same(info, *back);
        EXPECT_EQ(tutti::encode_factory_info(*back), bytes);
    }
}

TEST(FactoryInfoCodec, EveryTruncationAndEveryFlippedByteIsRefused) {
    const std::string bytes = tutti::encode_factory_info(compiled_info(program));
    std::string error;
    for (std::size_t n = 0; n < bytes.size(); ++n) {
        error.clear();
        EXPECT_FALSE(tutti::decode_factory_info(std::string_view(bytes).substr(0, n), &error)) << n;
        EXPECT_FALSE(error.empty());
    }
    for (std::size_t i = 0; i < bytes.size(); i += 7) {
        std::string bad = bytes;
        bad[i] = static_cast<char>(bad[i] ^ 0x10);
        error.clear();
        EXPECT_FALSE(tutti::decode_factory_info(bad, &error)) << i;
        EXPECT_FALSE(error.empty());
    }
    EXPECT_FALSE(tutti::decode_factory_info(bytes + "x", &error));
    EXPECT_NE(error.find("length"), std::string::npos) << error;
}

// Re-seals a payload (valid header and checksum) so the payload checks are reached.
std::string seal(const std::string& payload) {
    std::string s("TFI\x01", 4);
    auto put = [&](std::uint64_t v, int n) {
        for (int i = 0; i < n; ++i) {
            s.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
        }
    };
    put(tutti::factory_info_format_version, 4);
    put(payload.size(), 8);
    s += payload;
    put(tutti::checksum64(payload), 8);
    return s;
}

TEST(FactoryInfoCodec, HostileContentIsRefused) {
    std::string error;
    // A huge parameter count in a tiny payload: refused before allocating.
    std::string p;
    p.append("\0\0\0\0", 4);         // name ""
    p.append("\1\0\0\0\1\0\0\0", 8); // 1 in, 1 out
    p.push_back('\0');               // float
    p.append("\0\0\0\0", 4);         // no metadata
    p.append("\xff\xff\xff\x7f", 4); // 2^31-1 parameters
    EXPECT_FALSE(tutti::decode_factory_info(seal(p), &error));
    EXPECT_NE(error.find("count"), std::string::npos) << error;

    // An offset outside the state block.
    tutti::FactoryInfo info = compiled_info(program);
    info.parameters[0].offset = info.state_bytes;
    EXPECT_FALSE(tutti::decode_factory_info(tutti::encode_factory_info(info), &error));
    EXPECT_NE(error.find("outside the state block"), std::string::npos) << error;

    info = compiled_info(program);
    info.state_layout.back().offset = 0xfffffff0u;
    EXPECT_FALSE(tutti::decode_factory_info(tutti::encode_factory_info(info), &error));

    // A widget naming a parameter that does not exist.
    info = compiled_info(program);
    for (auto& item : info.ui) {
        if (item.kind == tutti::UiItem::Kind::Widget) {
            item.parameter = 1000;
        }
    }
    EXPECT_FALSE(tutti::decode_factory_info(tutti::encode_factory_info(info), &error));
    EXPECT_NE(error.find("ui widget"), std::string::npos) << error;

    // Another format version.
    std::string bytes = tutti::encode_factory_info(compiled_info(program));
    bytes[4] = 9;
    EXPECT_FALSE(tutti::decode_factory_info(bytes, &error));
    EXPECT_NE(error.find("version"), std::string::npos) << error;
}

} // namespace
