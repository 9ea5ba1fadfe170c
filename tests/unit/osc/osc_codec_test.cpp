// SPDX-License-Identifier: MIT
/** \file
 * The OSC 1.0 codec (src/osc/osc_codec.h): bytes as the spec lays them out,
 * round trips of every argument type, bundles (nested, time tags), and
 * refusal of malformed or oversized packets with a reason.
 */
#include <gtest/gtest.h>

#include <cstring>

#include "osc/osc_codec.h"

namespace tutti::osc {
namespace {

std::vector<std::uint8_t> bytes(const char* s, std::size_t n) {
    return std::vector<std::uint8_t>(s, s + n);
}

TEST(OscCodec, MessageBytesAsTheSpecLaysThemOut) {
    // The spec's example: "/oscillator/4/frequency" ,f 440.0
    auto b = Writer("/oscillator/4/frequency").f(440.0f).bytes();
    const char want[] = "/oscillator/4/frequency\0,f\0\0\x43\xdc\x00\x00";
    ASSERT_EQ(b.size(), sizeof want - 1);
    EXPECT_EQ(std::memcmp(b.data(), want, b.size()), 0);
    // "/foo" ,iisff 1000 -1 "hello" 1.234 5.678
    b = Writer("/foo").i(1000).i(-1).s("hello").f(1.234f).f(5.678f).bytes();
    EXPECT_EQ(b.size(), 40u);
}

TEST(OscCodec, RoundTripOfEveryType) {
    Message m;
    m.address = "/a/b";
    auto add = [&](char t, std::int64_t i, double d, std::string s) {
        Arg a;
        a.type = t;
        a.i = i;
        a.d = d;
        a.s = std::move(s);
        m.args.push_back(a);
    };
    add('i', -7, 0, "");
    add('f', 0, 0.5, "");
    add('d', 0, 1e300, "");
    add('s', 0, 0, "abc");
    add('S', 0, 0, "sym");
    add('b', 0, 0, std::string("\0\1\2\3\4", 5));
    add('h', -(std::int64_t(1) << 40), 0, "");
    add('t', 12345, 0, "");
    add('c', 'x', 0, "");
    add('T', 1, 0, "");
    add('F', 0, 0, "");
    add('N', 0, 0, "");
    add('I', 0, 0, "");
    std::vector<Message> out;
    std::string err;
    ASSERT_TRUE(decode(encode(m), out, &err)) << err;
    ASSERT_EQ(out.size(), 1u);
    const Message& r = out[0];
    EXPECT_EQ(r.address, "/a/b");
    ASSERT_EQ(r.args.size(), m.args.size());
    for (std::size_t k = 0; k < m.args.size(); ++k) {
        EXPECT_EQ(r.args[k].type, m.args[k].type) << k;
        EXPECT_EQ(r.args[k].i, m.args[k].i) << k;
        EXPECT_EQ(r.args[k].d, m.args[k].d) << k;
        EXPECT_EQ(r.args[k].s, m.args[k].s) << k;
    }
    EXPECT_EQ(r.timetag, immediately);
    EXPECT_EQ(*r.args[0].number(), -7);
    EXPECT_EQ(*r.args[1].number(), 0.5);
    EXPECT_FALSE(r.args[3].number());
    EXPECT_EQ(*r.args[3].string(), "abc");
    EXPECT_FALSE(r.args[9].number());
    EXPECT_EQ(*r.args[9].number(true), 1);
}

TEST(OscCodec, NestedBundlesKeepOrderAndTimeTags) {
    auto inner = encode_bundle(0x1234'0000'0000ull, {Writer("/b").i(2).bytes()});
    auto outer =
        encode_bundle(immediately, {Writer("/a").i(1).bytes(), inner, Writer("/c").i(3).bytes()});
    std::vector<Message> out;
    ASSERT_TRUE(decode(outer, out));
    ASSERT_EQ(out.size(), 3u);
    EXPECT_EQ(out[0].address, "/a");
    EXPECT_EQ(out[1].address, "/b");
    EXPECT_EQ(out[1].timetag, 0x1234'0000'0000ull);
    EXPECT_EQ(out[2].address, "/c");
    EXPECT_EQ(out[2].timetag, immediately);
    // An empty bundle is fine.
    out.clear();
    EXPECT_TRUE(decode(encode_bundle(immediately, {}), out));
    EXPECT_TRUE(out.empty());
}

TEST(OscCodec, MessageWithoutTypeTags) {
    std::vector<Message> out;
    ASSERT_TRUE(decode(bytes("/ping\0\0\0", 8), out));
    ASSERT_EQ(out.size(), 1u);
    EXPECT_TRUE(out[0].args.empty());
}

TEST(OscCodec, MalformedPacketsAreRefusedWithAReason) {
    auto good = Writer("/gain").f(0.5f).bytes();
    struct Case {
        std::vector<std::uint8_t> data;
        const char* why;
    };
    std::vector<Case> cases;
    cases.push_back({{}, "size"});
    cases.push_back({std::vector<std::uint8_t>(good.begin(), good.end() - 1), "size"});
    cases.push_back({std::vector<std::uint8_t>(good.begin(), good.end() - 4), "truncated"});
    auto extra = good;
    extra.insert(extra.end(), 4, 0);
    cases.push_back({extra, "after the last"});
    cases.push_back({bytes("gain\0\0\0\0,f\0\0\0\0\0\0", 16), "neither"});
    cases.push_back({bytes("/gain\0\0\0,Z\0\0\0\0\0\0", 16), "unknown type"});
    cases.push_back({bytes("/gain\0\0\0f\0\0\0", 12), "','"});
    cases.push_back({bytes("/gain\0\0x", 8), "padding"});
    cases.push_back({bytes("/gainxxx", 8), "unterminated"});
    cases.push_back({bytes("/b\0\0,b\0\0\0\0\x03\xe8", 12), "blob"});
    auto bundle = encode_bundle(immediately, {good});
    bundle[19] = 200; // element size past the end
    cases.push_back({bundle, "longer than the bundle"});
    // Nesting too deep.
    std::vector<std::uint8_t> deep = good;
    for (int k = 0; k < max_depth + 1; ++k) {
        deep = encode_bundle(immediately, {deep});
    }
    cases.push_back({deep, "too deep"});
    // Too many messages.
    std::vector<std::vector<std::uint8_t>> many(max_messages + 1, Writer("/x").bytes());
    cases.push_back({encode_bundle(immediately, many), "too many messages"});
    cases.push_back({std::vector<std::uint8_t>(max_packet + 4, '/'), "too large"});
    for (const Case& c : cases) {
        std::vector<Message> out;
        std::string err;
        EXPECT_FALSE(decode(c.data, out, &err)) << c.why;
        EXPECT_NE(err.find(c.why), std::string::npos)
            << "wanted '" << c.why << "', got '" << err << "'";
        EXPECT_TRUE(out.empty());
    }
}

TEST(OscCodec, Text) {
    auto b = Writer("/x").i(1).f(2.5f).s("y").bytes();
    std::vector<Message> out;
    ASSERT_TRUE(decode(b, out));
    EXPECT_EQ(to_text(out[0]), "/x ,ifs 1 2.5 \"y\"");
}

} // namespace
} // namespace tutti::osc
