// SPDX-License-Identifier: MIT
// src/discovery without a network: the TXT record and its (bounded) reader, the
// listing's JSON and text, the advertiser's option checks, and what the
// browser and the advertiser do when no D-Bus bus / avahi-daemon is reachable
// (a clear error at once, no wait). The two-host test is discovery_two_hosts.sh.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <mutex>
#include <string>
#include <vector>

#include "discovery/advertiser.h"
#include "discovery/browser.h"
#include "discovery/txt_record.h"

namespace d = tutti::discovery;

namespace {

// Points the D-Bus system bus at a socket that does not exist, for one test.
class NoBus {
public:
    NoBus() {
        const char* old = getenv("DBUS_SYSTEM_BUS_ADDRESS");
        had_ = old != nullptr;
        if (had_) {
            old_ = old;
        }
        path_ = "/tmp/tutti-no-bus-" + std::to_string(getpid());
        setenv("DBUS_SYSTEM_BUS_ADDRESS", ("unix:path=" + path_).c_str(), 1);
    }
    ~NoBus() {
        if (had_) {
            setenv("DBUS_SYSTEM_BUS_ADDRESS", old_.c_str(), 1);
        } else {
            unsetenv("DBUS_SYSTEM_BUS_ADDRESS");
        }
    }
    const std::string& path() const {
        return path_;
    }

private:
    bool had_ = false;
    std::string old_, path_;
};

double seconds_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

} // namespace

TEST(DiscoveryTxt, RoundTrip) {
    d::ServerFacts f;
    f.version = "0.1.0";
    f.cpu = "znver3";
    f.api = "/api";
    f.load = 0.4249;
    f.cores = 8;
    f.osc_port = 5510;
    f.http_port = 5511;
    std::vector<std::string> txt = d::make_txt(f);
    EXPECT_EQ(txt, (std::vector<std::string>{"txtvers=1", "version=0.1.0", "cpu=znver3", "cores=8",
                                             "load=0.42", "api=/api", "osc=5510", "http=5511"}));
    d::ServerFacts g = d::parse_txt(txt);
    EXPECT_EQ(g.version, "0.1.0");
    EXPECT_EQ(g.cpu, "znver3");
    EXPECT_EQ(g.api, "/api");
    EXPECT_DOUBLE_EQ(g.load, 0.42);
    EXPECT_EQ(g.cores, 8U);
    EXPECT_EQ(g.osc_port, 5510);
    EXPECT_EQ(g.http_port, 5511);
}

TEST(DiscoveryTxt, UnknownValuesAreLeftOut) {
    EXPECT_EQ(d::make_txt(d::ServerFacts{}), std::vector<std::string>{"txtvers=1"});
}

TEST(DiscoveryTxt, BadValuesStayUnknown) {
    d::ServerFacts f = d::parse_txt({"load=-1", "cores=abc", "osc=70000", "http=", "cpu",
                                     "load=1e9", "cores=99999999999", "http=12x"});
    EXPECT_LT(f.load, 0);
    EXPECT_EQ(f.cores, 0U);
    EXPECT_EQ(f.osc_port, 0);
    EXPECT_EQ(f.http_port, 0);
    EXPECT_EQ(f.cpu, "");
    EXPECT_LT(d::parse_txt({"load=nan"}).load, 0);
    EXPECT_LT(d::parse_txt({"load=1.2.3"}).load, 0);
    EXPECT_LT(d::parse_txt({"load=."}).load, 0);
    EXPECT_DOUBLE_EQ(d::parse_txt({"load=3"}).load, 3.0);
}

TEST(DiscoveryTxt, OutsideInputIsBounded) {
    // Control characters are masked, long values cut, entries past the cap ignored.
    d::ServerFacts f =
        d::parse_txt({std::string("cpu=a\x01\nb"), "version=" + std::string(300, 'v')});
    EXPECT_EQ(f.cpu, "a??b");
    EXPECT_EQ(f.version, ""); // longer than a DNS character-string: not read
    std::vector<std::string> many(d::max_txt_entries, "x=1");
    many.emplace_back("cpu=late");
    EXPECT_EQ(d::parse_txt(many).cpu, "");
    EXPECT_EQ(d::parse_txt({"cpu=" + std::string(200, 'c')}).cpu.size(), 64U);
}

TEST(DiscoveryTxt, FormatLoad) {
    EXPECT_EQ(d::format_load(0), "0.00");
    EXPECT_EQ(d::format_load(1.005), "1.00"); // printf rounding of the double
    EXPECT_EQ(d::format_load(-3), "0.00");
    EXPECT_EQ(d::format_load(1e9), "999.00");
    EXPECT_GE(d::online_cpus(), 1U);
    EXPECT_GE(d::current_load(), 0.0);
}

TEST(DiscoveryListing, JsonAndTable) {
    d::ServerInfo s;
    s.name = "tutti on \"a\"";
    s.host = "a.local";
    s.address = "10.0.0.1";
    s.interface = "eth0";
    s.port = 7777;
    s.facts = d::parse_txt({"version=0.1.0", "cpu=znver3", "cores=4", "load=0.50", "api=/api"});
    EXPECT_EQ(d::to_json({s}),
              "[\n  {\"name\": \"tutti on \\\"a\\\"\", \"host\": \"a.local\", \"address\": "
              "\"10.0.0.1\", \"interface\": \"eth0\", \"port\": 7777, \"version\": \"0.1.0\", "
              "\"cpu\": \"znver3\", \"cores\": 4, \"load\": 0.50, \"api\": \"/api\", "
              "\"osc_port\": 0, \"http_port\": 0}\n]\n");
    EXPECT_EQ(d::to_json({}), "[]\n");
    s.facts.load = -1;
    EXPECT_NE(d::to_json({s}).find("\"load\": null"), std::string::npos);
    EXPECT_EQ(d::to_table({s}),
              "NAME          ADDRESS   PORT  CPU     CORES  LOAD  VERSION  HOST\n"
              "tutti on \"a\"  10.0.0.1  7777  znver3  4      -     0.1.0    a.local\n");
    EXPECT_EQ(d::to_table({}), "");
}

TEST(DiscoveryAdvertiser, RejectsBadOptions) {
    std::string error;
    d::AdvertiseOptions o;
    EXPECT_EQ(d::Advertiser::start(o, &error), nullptr);
    EXPECT_EQ(error, "discovery: the server's port is required");
    o.port = 27900;
    o.name = std::string(64, 'n');
    EXPECT_EQ(d::Advertiser::start(o, &error), nullptr);
    EXPECT_NE(error.find("longer than 63 bytes"), std::string::npos) << error;
    o.name = "ok";
    o.listen_address = "not-an-address";
    EXPECT_EQ(d::Advertiser::start(o, &error), nullptr);
    EXPECT_EQ(error, "discovery: 'not-an-address' is not an IPv4 or IPv6 address");
}

TEST(DiscoveryNoDaemon, BrowseFailsAtOnceWithAClearError) {
    NoBus nobus;
    auto t0 = std::chrono::steady_clock::now();
    d::BrowseResult r = d::discover_machines(std::chrono::milliseconds(5000));
    double s = seconds_since(t0);
    EXPECT_FALSE(r.ok());
    EXPECT_TRUE(r.servers.empty());
    EXPECT_EQ(r.error, "avahi-daemon is not running, or the D-Bus system bus (unix:path=" +
                           nobus.path() + ") is not reachable (Daemon not running)");
    EXPECT_LT(s, 1.0);
}

TEST(DiscoveryNoDaemon, AdvertiserWaitsAndSaysWhy) {
    NoBus nobus;
    std::vector<std::string> events;
    std::mutex mu;
    d::AdvertiseOptions o;
    o.port = 27901;
    o.name = "no daemon";
    o.listen_address = "127.0.0.1";
    o.retry_interval = std::chrono::milliseconds(100);
    o.on_event = [&](const std::string& e) {
        std::lock_guard<std::mutex> lock(mu);
        events.push_back(e);
    };
    std::string error;
    auto t0 = std::chrono::steady_clock::now();
    auto a = d::Advertiser::start(o, &error);
    ASSERT_NE(a, nullptr) << error;
    EXPECT_EQ(a->state(), d::AdvertiseState::Waiting);
    EXPECT_EQ(a->name(), "no daemon");
    EXPECT_NE(a->last_error().find("avahi-daemon is not running"), std::string::npos)
        << a->last_error();
    EXPECT_FALSE(a->wait_established(std::chrono::milliseconds(350)));
    a.reset(); // stops promptly
    EXPECT_LT(seconds_since(t0), 2.0);
    std::lock_guard<std::mutex> lock(mu);
    ASSERT_GE(events.size(), 2U); // the first attempt and at least one retry
    EXPECT_EQ(events[0], "not advertised yet: avahi-daemon is not running, or the D-Bus system "
                         "bus (unix:path=" +
                             nobus.path() +
                             ") is not reachable (Daemon not running); retrying every 100 ms");
}
