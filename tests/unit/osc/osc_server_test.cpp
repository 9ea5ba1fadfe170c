// SPDX-License-Identifier: MIT
/** \file
 * The OSC server (src/osc/osc_server.h) driven over UDP on 127.0.0.1, with a
 * program playing on the null driver: values reach the engine (read back with
 * `get`, which reads the values the audio thread published), clipping,
 * patterns, bundles (a future time tag lands later), Faust's root messages,
 * aliases (metadata and messages) with xmit modes, feedback and subscriptions,
 * a json reply too big for a datagram answered with an error, malformed
 * packets, the busy-port rule, several programs on one port.
 * Ports: 21100-21199.
 */
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstring>
#include <thread>
#include <utility>

#include "osc/osc_server.h"
#include "tutti/compiler.h"
#include "tutti/driver.h"
#include "tutti/engine_callback.h"

namespace tutti::osc {
namespace {

using namespace std::chrono_literals;

/// A UDP socket on 127.0.0.1:port (0: any) that sends and receives OSC.
class Udp {
public:
    explicit Udp(int port = 0) {
        fd_ = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(std::uint16_t(port));
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        ok_ = bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    }
    ~Udp() {
        close(fd_);
    }
    bool ok() const {
        return ok_;
    }
    void send(int port, const std::vector<std::uint8_t>& b) {
        sockaddr_in to{};
        to.sin_family = AF_INET;
        to.sin_port = htons(std::uint16_t(port));
        to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        ::sendto(fd_, b.data(), b.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
    }
    /// Every message received within `wait` (bundles unpacked).
    std::vector<Message> receive(std::chrono::milliseconds wait = 300ms) {
        std::vector<Message> out;
        auto end = std::chrono::steady_clock::now() + wait;
        std::vector<std::uint8_t> buf(70000);
        for (;;) {
            auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                end - std::chrono::steady_clock::now());
            if (left.count() <= 0) {
                return out;
            }
            pollfd p{fd_, POLLIN, 0};
            if (poll(&p, 1, int(left.count())) <= 0) {
                return out;
            }
            ssize_t n = recv(fd_, buf.data(), buf.size(), 0);
            if (n > 0) {
                decode({buf.data(), std::size_t(n)}, out);
            }
        }
    }
    /// The first message at `address` received within `wait`.
    std::optional<Message> wait_for(const std::string& address,
                                    std::chrono::milliseconds wait = 2000ms) {
        auto end = std::chrono::steady_clock::now() + wait;
        while (std::chrono::steady_clock::now() < end) {
            for (Message& m : receive(50ms)) {
                if (m.address == address) {
                    return m;
                }
            }
        }
        return std::nullopt;
    }

private:
    int fd_ = -1;
    bool ok_ = false;
};

std::shared_ptr<const Factory> compile(const std::string& name, const std::string& source) {
    CompileOptions o;
    o.backend = Backend::Interpreter;
    CompileResult r = compile_source(name, source, o);
    EXPECT_TRUE(r.ok());
    return r.factory;
}

const char* synth = R"(
gain = hslider("gain [osc:/fader 0 127]", 0.5, 0, 1, 0.01);
freq = vslider("h:Synth/freq", 440, 20, 2000, 1);
q = nentry("h:Synth/q", 1, 0.1, 10, 0.1);
gate = button("h:Synth/gate");
process = (os.osc(freq) * gain * (1 + gate) * q : hbargraph("h:Synth/level", -1, 1));
)";

/// One program playing on the null driver, served by a hub and an OSC server.
struct Playing {
    Playing(int base, const std::string& source = synth, ServerOptions extra = {},
            const std::string& name = "synth") {
        factory = compile(name + ".dsp", "import(\"stdfaust.lib\");\n" + source);
        EngineOptions eo;
        eo.sample_rate = 48000;
        eo.max_block = 64;
        eo.inputs = 0;
        eo.outputs = factory ? factory->num_outputs() : 1;
        engine = std::make_unique<Engine>(eo);
        if (!factory) {
            return;
        }
        engine->submit(factory, name);
        driver = make_driver("null");
        DriverOptions d;
        d.inputs = 0;
        d.outputs = eo.outputs;
        d.sample_rate = 48000;
        d.block_size = 64;
        std::string err;
        EXPECT_TRUE(driver->open(d, &err)) << err;
        callback = std::make_unique<EngineCallback>(*engine);
        EXPECT_TRUE(driver->start(callback.get(), &err)) << err;
        hub = std::make_unique<control::ControlHub>();
        hub->add_program(*engine, name);
        ServerOptions o = std::move(extra);
        o.port = base;
        o.outport = base + 1;
        o.errport = base + 2;
        server = std::make_unique<Server>(*hub, o);
        EXPECT_TRUE(server->start(&err)) << err;
    }
    ~Playing() {
        server.reset();
        hub.reset();
        if (driver) {
            driver->stop();
        }
    }
    std::shared_ptr<const Factory> factory;
    std::unique_ptr<Engine> engine;
    std::unique_ptr<Driver> driver;
    std::unique_ptr<EngineCallback> callback;
    std::unique_ptr<control::ControlHub> hub;
    std::unique_ptr<Server> server;
};

/// `get` on a control until its value is `want` (the audio thread publishes
/// values at the end of each block): the value reached the engine.
bool value_becomes(Udp& client, Udp& out, int port, const std::string& address, double want,
                   std::chrono::milliseconds wait = 2000ms) {
    auto end = std::chrono::steady_clock::now() + wait;
    while (std::chrono::steady_clock::now() < end) {
        client.send(port, Writer(address).s("get").bytes());
        auto m = out.wait_for(address, 200ms);
        if (m && m->args.size() == 3 && std::fabs(m->args[0].d - want) < 1e-4) {
            return true;
        }
    }
    return false;
}

TEST(OscServer, ValuesReachTheEngineClippedInEveryNumberType) {
    Playing p(21100);
    ASSERT_TRUE(p.server);
    Udp client, out(21101);
    ASSERT_TRUE(out.ok());
    client.send(21100, Writer("/synth/gain").f(0.25f).bytes());
    EXPECT_TRUE(value_becomes(client, out, 21100, "/synth/gain", 0.25));
    client.send(21100, Writer("/synth/Synth/freq").i(1000).bytes());
    EXPECT_TRUE(value_becomes(client, out, 21100, "/synth/Synth/freq", 1000));
    client.send(21100, Writer("/synth/Synth/q").d(2.5).bytes());
    EXPECT_TRUE(value_becomes(client, out, 21100, "/synth/Synth/q", 2.5));
    client.send(21100, Writer("/synth/gain").f(7).bytes()); // clipped to the max
    EXPECT_TRUE(value_becomes(client, out, 21100, "/synth/gain", 1));
    client.send(21100, Writer("/synth/Synth/freq").f(-5).bytes()); // to the min
    EXPECT_TRUE(value_becomes(client, out, 21100, "/synth/Synth/freq", 20));
    // The engine has it (the values the audio thread last published).
    EXPECT_EQ(p.engine->control_value("/synth/Synth/freq").value_or(-1), 20);
    // Patterns, a short name, a root-less address.
    client.send(21100, Writer("/synth/S*/{q,x}").f(3).bytes());
    EXPECT_TRUE(value_becomes(client, out, 21100, "/synth/Synth/q", 3));
    client.send(21100, Writer("/Synth/fr?q").f(300).bytes());
    EXPECT_TRUE(value_becomes(client, out, 21100, "/synth/Synth/freq", 300));
    // A string value, two values, a bargraph: not set.
    client.send(21100, Writer("/synth/gain").s("x").bytes());
    client.send(21100, Writer("/synth/gain").f(0.1f).f(0.2f).bytes());
    client.send(21100, Writer("/synth/Synth/level").f(0.9f).bytes());
    EXPECT_TRUE(value_becomes(client, out, 21100, "/synth/gain", 1));
}

TEST(OscServer, BundlesAndFutureTimeTags) {
    Playing p(21110);
    ASSERT_TRUE(p.server);
    Udp client, out(21111);
    auto inner = encode_bundle(immediately, {Writer("/synth/Synth/q").f(4).bytes()});
    client.send(21110, encode_bundle(immediately, {Writer("/synth/gain").f(0.75f).bytes(), inner}));
    EXPECT_TRUE(value_becomes(client, out, 21110, "/synth/gain", 0.75));
    EXPECT_TRUE(value_becomes(client, out, 21110, "/synth/Synth/q", 4));
    // 1.5 s ahead: not yet after 0.2 s, then at the frame it names.
    double now =
        std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count() +
        2208988800.0 + 0.6;
    std::uint64_t tt =
        (std::uint64_t(now) << 32) | std::uint64_t((now - std::floor(now)) * 4294967296.0);
    client.send(21110, encode_bundle(tt, {Writer("/synth/gain").f(0.125f).bytes()}));
    std::this_thread::sleep_for(200ms);
    EXPECT_EQ(p.engine->control_value("/synth/gain").value_or(-1), 0.75);
    EXPECT_TRUE(value_becomes(client, out, 21110, "/synth/gain", 0.125, 5000ms));
}

TEST(OscServer, RootMessages) {
    Playing p(21120);
    ASSERT_TRUE(p.server);
    Udp client, out(21121), err(21122);
    client.send(21120, Writer("/synth").s("hello").bytes());
    auto hello = out.wait_for("/synth");
    ASSERT_TRUE(hello);
    ASSERT_EQ(hello->args.size(), 4u);
    EXPECT_EQ(hello->args[0].s, "127.0.0.1");
    EXPECT_EQ(hello->args[1].i, 21120);
    EXPECT_EQ(hello->args[2].i, 21121);
    EXPECT_EQ(hello->args[3].i, 21122);
    client.send(21120, Writer("/synth").s("json").bytes());
    auto json = out.wait_for("/synth");
    ASSERT_TRUE(json);
    ASSERT_EQ(json->args.size(), 2u);
    EXPECT_EQ(json->args[0].s, "json");
    std::string flat;
    for (char c : p.factory->json()) {
        if (c != '\n' && c != '\t') {
            flat += c;
        }
    }
    EXPECT_EQ(json->args[1].s, flat);
    // get on the root: the settings, the alias of the metadata, then every control.
    client.send(21120, Writer("/synth").s("get").bytes());
    std::vector<Message> got = out.receive(500ms);
    std::vector<std::string> seen;
    seen.reserve(got.size());
    for (const Message& m : got) {
        seen.push_back(to_text(m));
    }
    auto has = [&](const std::string& s) {
        return std::find(seen.begin(), seen.end(), s) != seen.end();
    };
    EXPECT_TRUE(has("/synth ,si \"xmit\" 0"));
    EXPECT_TRUE(has("/synth ,si \"bundle\" 0"));
    EXPECT_TRUE(has("/synth ,ss \"desthost\" \"127.0.0.1\""));
    EXPECT_TRUE(has("/synth ,si \"outport\" 21121"));
    EXPECT_TRUE(has("/synth ,si \"errport\" 21122"));
    EXPECT_TRUE(has("/synth/gain ,ssff \"alias\" \"/fader\" 0 127"));
    EXPECT_TRUE(has("/synth/Synth/freq ,fff 440 20 2000"));
    EXPECT_TRUE(has("/synth/Synth/gate ,fff 0 0 1"));
    EXPECT_EQ(got.size(), 6u + 1 + 5);
    // get on a group: its controls only.
    client.send(21120, Writer("/synth/Synth").s("get").bytes());
    EXPECT_EQ(out.receive(400ms).size(), 4u);
    // outport moves the replies.
    Udp out2(21125);
    client.send(21120, Writer("/synth").s("outport").i(21125).bytes());
    client.send(21120, Writer("/synth").s("hello").bytes());
    EXPECT_TRUE(out2.wait_for("/synth"));
    // An unknown address: an error on the error port.
    client.send(21120, Writer("/synth/nope").f(1).bytes());
    auto e = err.wait_for("/synth/nope");
    ASSERT_TRUE(e);
    EXPECT_EQ(e->args[1].s, "no such address");
}

TEST(OscServer, AliasesAndXmitModes) {
    Playing p(21130);
    ASSERT_TRUE(p.server);
    Udp client, out(21131);
    // The alias of the metadata: [osc:/fader 0 127] maps 0..127 onto 0..1.
    client.send(21130, Writer("/fader").f(63.5f).bytes());
    EXPECT_TRUE(value_becomes(client, out, 21130, "/synth/gain", 0.5));
    // An alias by message, reversed range (Faust's scale()).
    client.send(21130, Writer("/synth/Synth/freq").s("alias").s("/knob").i(10).i(0).bytes());
    client.send(21130, Writer("/knob").f(10).bytes());
    EXPECT_TRUE(value_becomes(client, out, 21130, "/synth/Synth/freq", 20));
    client.send(21130, Writer("/knob").f(5).bytes());
    EXPECT_TRUE(value_becomes(client, out, 21130, "/synth/Synth/freq", 1010));
    // Several values: /multi/0, /multi/1.
    client.send(21130, Writer("/synth/Synth/q").s("alias").s("/multi/1").f(0).f(1).bytes());
    client.send(21130, Writer("/multi").f(0).f(1).bytes());
    EXPECT_TRUE(value_becomes(client, out, 21130, "/synth/Synth/q", 10));
    // xmit 1: feedback at the address and at the aliases.
    out.receive(100ms);
    client.send(21130, Writer("/synth").s("xmit").i(1).bytes());
    client.send(21130, Writer("/synth/gain").f(0.25f).bytes());
    bool at_address = false, at_alias = false;
    for (const Message& m : out.receive(500ms)) {
        at_address = at_address || (m.address == "/synth/gain" && m.args[0].d == 0.25);
        at_alias = at_alias || (m.address == "/fader" && m.args[0].d == 0.25 * 127);
    }
    EXPECT_TRUE(at_address);
    EXPECT_TRUE(at_alias);
    // xmit 2: direct values are ignored, aliases set; feedback at the aliases only.
    client.send(21130, Writer("/synth").s("xmit").i(2).bytes());
    client.send(21130, Writer("/synth/gain").f(0.9f).bytes());
    client.send(21130, Writer("/fader").f(127).bytes());
    auto a = out.wait_for("/fader");
    ASSERT_TRUE(a);
    EXPECT_TRUE(value_becomes(client, out, 21130, "/synth/gain", 1));
    // Removing the alias: /knob no longer sets anything.
    client.send(21130, Writer("/synth/Synth/freq").s("alias").s("/knob").bytes());
    client.send(21130, Writer("/synth").s("xmit").i(0).bytes());
    client.send(21130, Writer("/knob").f(0).bytes());
    std::this_thread::sleep_for(100ms);
    EXPECT_TRUE(value_becomes(client, out, 21130, "/synth/Synth/freq", 1010));
}

TEST(OscServer, FeedbackFiltersBundlesAndSubscriptions) {
    ServerOptions o;
    o.xmit = 1;
    o.xmitfilter = {"/synth/Synth/level"};
    Udp client, out(21141), sub(21145); // bound before the first refresh is sent
    Playing p(21140, synth, o);
    ASSERT_TRUE(p.server);
    // The first refresh sends every value (Faust's uiItem cache starts unset).
    std::vector<Message> first = out.receive(400ms);
    bool level = false, gain = false;
    for (const Message& m : first) {
        level = level || m.address == "/synth/Synth/level";
        gain = gain || m.address == "/synth/gain";
    }
    EXPECT_TRUE(gain);
    EXPECT_FALSE(level); // filtered
    // Feedback rate: a change shows up within 1/25 s plus a block or two.
    auto t0 = std::chrono::steady_clock::now();
    client.send(21140, Writer("/synth/Synth/q").f(6).bytes());
    ASSERT_TRUE(out.wait_for("/synth/Synth/q"));
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 500ms);
    // A subscriber gets every change, bargraphs too, at its own port.
    client.send(21140, Writer("/synth").s("subscribe").i(21145).bytes());
    auto lv = sub.wait_for("/synth/Synth/level");
    ASSERT_TRUE(lv);
    // Bundle mode: the feedback of a refresh arrives in one bundle.
    client.send(21140, Writer("/synth").s("bundle").i(1).bytes());
    client.send(21140, Writer("/synth").s("xmitfilter").bytes()); // reset: level comes back
    out.receive(200ms);
    client.send(21140, Writer("/synth/gain").f(0.3f).bytes());
    EXPECT_TRUE(out.wait_for("/synth/gain"));
    client.send(21140, Writer("/synth").s("unsubscribe").i(21145).bytes());
    std::this_thread::sleep_for(100ms);
    sub.receive(100ms);
    EXPECT_TRUE(sub.receive(300ms).empty());
}

TEST(OscServer, TooBigJsonGetsAnErrorAndTheListenerLives) {
    // 500 controls: a JSON of more than 64 KB (Faust's listener dies past 32 KB).
    std::string src = "process = par(i, 500, hslider(\"slider number %i with a label long "
                      "enough [unit:Hz]\", 0, 0, 1, 0.01)) :> _;";
    Playing p(21150, src, {}, "big");
    ASSERT_TRUE(p.server);
    ASSERT_GT(p.factory->json().size(), 100000u);
    Udp client, out(21151), err(21152);
    client.send(21150, Writer("/big").s("json").bytes());
    auto e = err.wait_for("/big");
    ASSERT_TRUE(e);
    EXPECT_NE(e->args[1].s.find("does not fit in one UDP datagram"), std::string::npos);
    client.send(21150, Writer("/big").s("hello").bytes());
    EXPECT_TRUE(out.wait_for("/big"));
    EXPECT_EQ(p.server->stats().too_big, 1u);
}

TEST(OscServer, MalformedPacketsAreDroppedAndAnswered) {
    Playing p(21160);
    ASSERT_TRUE(p.server);
    Udp client, out(21161), err(21162);
    std::vector<std::string> junk = {
        std::string("x"), std::string("/abc"), std::string("#bundle\0", 8),
        std::string("/a\0\0,Z\0\0\0\0\0\0", 12), std::string("\0\0\0\0", 4)};
    for (const std::string& j : junk) {
        client.send(21160, std::vector<std::uint8_t>(j.begin(), j.end()));
    }
    int errors = 0;
    for (const Message& m : err.receive(500ms)) {
        errors += m.args.size() == 2 && m.args[1].s.find("malformed") != std::string::npos;
    }
    EXPECT_GE(errors, 5);
    EXPECT_GE(p.server->stats().malformed, 5u);
    client.send(21160, Writer("/synth").s("hello").bytes());
    EXPECT_TRUE(out.wait_for("/synth"));
}

TEST(OscServer, BusyPortMovesToTheNextFreeOneSkippingOutAndErr) {
    Udp busy(21170);
    ASSERT_TRUE(busy.ok());
    ServerOptions o;
    Playing p(21170, synth, o);
    ASSERT_TRUE(p.server);
    // 21170 busy; 21171 and 21172 are the out and error ports: 21173.
    EXPECT_EQ(p.server->port(), 21173);
    Udp client, out(21171);
    client.send(21173, Writer("/synth").s("hello").bytes());
    auto h = out.wait_for("/synth");
    ASSERT_TRUE(h);
    EXPECT_EQ(h->args[1].i, 21173);
}

TEST(OscServer, OnePortServesSeveralPrograms) {
    Playing a(21180, synth, {}, "synth");
    ASSERT_TRUE(a.server);
    auto fb = compile("b.dsp", std::string("import(\"stdfaust.lib\");\n") + synth);
    EngineOptions eo;
    eo.outputs = 1;
    Engine b(eo);
    b.submit(fb, "b");
    const int second = a.hub->add_program(b, "second");
    Udp client, out(21181), err(21182);
    // Both programs have "/b/gain"-like addresses? Their roots differ: "synth" and "b".
    client.send(21180, Writer("/second/gain").f(0.125f).bytes());
    client.send(21180, Writer("/second").s("hello").bytes());
    auto h = out.wait_for("/b");
    ASSERT_TRUE(h);
    float buf[64];
    void* outs[1] = {buf};
    b.process(64, nullptr, outs);
    EXPECT_EQ(b.control_value("/b/gain").value_or(-1), 0.125);
    // A bare short name both programs have: ambiguous.
    client.send(21180, Writer("/gain").f(0.875f).bytes());
    auto e = err.wait_for("/gain");
    ASSERT_TRUE(e);
    EXPECT_NE(e->args[1].s.find("ambiguous"), std::string::npos);
    EXPECT_FALSE(value_becomes(client, out, 21180, "/synth/gain", 0.875, 500ms));
    // The JSON address of the first program still works.
    client.send(21180, Writer("/synth/gain").f(0.625f).bytes());
    EXPECT_TRUE(value_becomes(client, out, 21180, "/synth/gain", 0.625));
    // The hub's poller reads every program's engine: take b out before it is destroyed
    // (ThreadSanitizer saw the poller read a destroyed engine when this was missing).
    a.hub->remove_program(second);
}

} // namespace
} // namespace tutti::osc
