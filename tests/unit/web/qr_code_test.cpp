// SPDX-License-Identifier: MIT
#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <sstream>

#include "web/control_banner.h"
#include "web/qr_code.h"

using namespace tutti::web;

TEST(QrCode, SizesFollowTheVersion) {
    auto q = make_qr("http://127.0.0.1:5510/");
    ASSERT_TRUE(q);
    EXPECT_GE(q->size, 21);
    EXPECT_EQ((q->size - 17) % 4, 0); // version v has 17 + 4v modules
    // The three finder patterns: dark 7x7 rings at three corners.
    for (auto [x0, y0] : {std::pair{0, 0}, {q->size - 7, 0}, {0, q->size - 7}}) {
        for (int i = 0; i < 7; ++i) {
            EXPECT_TRUE(q->at(x0 + i, y0));
            EXPECT_TRUE(q->at(x0, y0 + i));
            EXPECT_TRUE(q->at(x0 + 6, y0 + i));
            EXPECT_TRUE(q->at(x0 + i, y0 + 6));
        }
        EXPECT_FALSE(q->at(x0 + 1, y0 + 1));
        EXPECT_TRUE(q->at(x0 + 3, y0 + 3));
    }
    auto longer = make_qr("http://192.168.100.200:5510/?token=0123456789abcdef0123456789abcdef");
    ASSERT_TRUE(longer);
    EXPECT_GT(longer->size, q->size);
}

TEST(QrCode, TooLongIsNothing) {
    EXPECT_FALSE(make_qr(std::string(8000, 'x')));
    EXPECT_EQ(qr_terminal(std::string(8000, 'x')), "");
    EXPECT_EQ(qr_svg(std::string(8000, 'x')), "");
}

TEST(QrCode, TerminalHalfBlocks) {
    std::string url = "http://127.0.0.1:5510/";
    auto q = make_qr(url);
    std::string t = qr_terminal(url, 2);
    std::istringstream in(t);
    std::string line;
    int lines = 0;
    while (std::getline(in, line)) {
        ++lines;
        // Every cell is one of the four: 3-byte blocks or a space.
        std::size_t cells = 0;
        for (std::size_t i = 0; i < line.size(); ++cells) {
            i += line[i] == ' ' ? 1 : 3;
        }
        EXPECT_EQ(cells, std::size_t(q->size + 4));
    }
    EXPECT_EQ(lines, (q->size + 4 + 1) / 2);
    // The first line is the quiet zone: all light (full blocks) for a dark terminal.
    EXPECT_EQ(t.substr(0, 3), "\u2588");
}

TEST(QrCode, SvgIsOneWhiteSquareAndOnePath) {
    std::string s = qr_svg("http://127.0.0.1:5510/", 4);
    auto q = make_qr("http://127.0.0.1:5510/");
    std::string side = std::to_string(q->size + 8);
    EXPECT_EQ(
        s.rfind("<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 " + side + " " + side, 0),
        0u);
    EXPECT_NE(s.find("fill=\"#fff\""), std::string::npos);
    EXPECT_EQ(s.find("<path"), s.rfind("<path"));
}

TEST(ControlBanner, PrintsWhatIsKnown) {
    std::ostringstream none;
    print_control_banner(none, {});
    EXPECT_EQ(none.str(), "");

    std::ostringstream all;
    ControlBanner b;
    b.osc = "osc.udp://127.0.0.1:5510";
    b.http = "http://127.0.0.1:5510/";
    b.page_url = "http://127.0.0.1:5510/";
    print_control_banner(all, b);
    std::string s = all.str();
    EXPECT_EQ(
        s.find("control: OSC  osc.udp://127.0.0.1:5510\ncontrol: HTTP http://127.0.0.1:5510/\n"
               "control: page http://127.0.0.1:5510/\n"),
        0u);
    EXPECT_NE(s.find(qr_terminal(b.page_url)), std::string::npos);

    b.qr = false;
    std::ostringstream no_qr;
    print_control_banner(no_qr, b);
    EXPECT_EQ(no_qr.str().find("\u2588"), std::string::npos);
}

TEST(ControlBanner, ReachableHost) {
    EXPECT_EQ(reachable_host("127.0.0.1"), "127.0.0.1");
    EXPECT_EQ(reachable_host("192.168.1.20"), "192.168.1.20");
    EXPECT_EQ(reachable_host("::1"), "[::1]");
    EXPECT_EQ(reachable_host("[::1]"), "[::1]");
    // A wildcard: some IPv4 address of this machine, never the wildcard itself.
    for (const char* any : {"0.0.0.0", "::", ""}) {
        std::string h = reachable_host(any);
        in_addr a{};
        EXPECT_EQ(inet_pton(AF_INET, h.c_str(), &a), 1) << h;
        EXPECT_NE(h, "0.0.0.0");
    }
    EXPECT_EQ(page_url("127.0.0.1", 5510, ""), "http://127.0.0.1:5510/");
    EXPECT_EQ(page_url("10.0.0.2", 23000, "abc"), "http://10.0.0.2:23000/?token=abc");
}
