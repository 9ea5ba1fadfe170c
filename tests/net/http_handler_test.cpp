// SPDX-License-Identifier: MIT
/** \file
 * The control server's handling of requests and WebSocket messages, without
 * sockets (src/http/request_handler.h, ws_protocol.h): Faust's httpd answers,
 * both spellings of an address, the safety rules (token, Origin, loopback
 * Host, no '..', embedded assets only), and the JSON reader's bounds.
 */
#include <gtest/gtest.h>

#include <cmath>

#include "http/address_table.h"
#include "http/json_scan.h"
#include "http/request_handler.h"
#include "http/ws_protocol.h"
#include "support/loopback.h"
#include "tutti/compiler.h"

using namespace tutti;
using namespace tutti::http;

namespace {

/// A ControlPort over a compiled program's table and a plain array of values.
class FakePort : public ControlPort {
public:
    explicit FakePort(AddressTable t) : table_(std::make_shared<const AddressTable>(std::move(t))) {
        for (const Control& c : table_->controls()) {
            values_.push_back(c.init);
        }
    }
    std::shared_ptr<const AddressTable> table() override {
        return table_;
    }
    double value(const AddressTable&, std::size_t i) override {
        return values_[i];
    }
    bool set(const AddressTable&, std::size_t i, double v) override {
        values_[i] = v;
        ++sets;
        return true;
    }
    std::vector<StatusValue> status(std::string_view path) override {
        std::vector<StatusValue> out;
        for (const StatusValue& v : status_) {
            if (v.address == path || v.address.rfind(std::string(path) + "/", 0) == 0) {
                out.push_back(v);
            }
        }
        return out;
    }
    std::vector<double> values_;
    std::vector<StatusValue> status_;
    int sets = 0;

private:
    std::shared_ptr<const AddressTable> table_;
};

AddressTable table_of(const std::string& source) {
    CompileResult r = compile_source("t.dsp", source);
    EXPECT_TRUE(r.ok());
    return AddressTable::from_factory(1, *r.factory);
}

const char* program =
    "process = vgroup(\"my synth\", hslider(\"freq [unit:Hz]\", 440, 20, 2000, 1) * "
    "hslider(\"gain (dB)\", 0.5, 0, 1, 0.01) * checkbox(\"on/off\") : hbargraph(\"level\", 0, 1));";

Answer get(FakePort& port, const std::string& target, bool loopback = true,
           const std::string& token = "", const std::string& origin = "",
           const std::string& host = "127.0.0.1:5510") {
    Request r;
    r.method = "GET";
    r.target = target;
    r.host = host;
    r.origin = origin;
    Access a;
    a.loopback_peer = loopback;
    a.token = token;
    return handle_request(r, port, a);
}

} // namespace

TEST(HttpAddresses, BothSpellingsOfEveryControl) {
    AddressTable t = table_of(program);
    ASSERT_EQ(t.controls().size(), 4u);
    // faust -json replaces ' ', '(' and ')'; Faust's httpd replaces ' ' and '/', keeps '(' ')'
    const std::size_t gain = t.find("/my_synth/gain__dB_").value_or(99);
    const std::size_t on = t.find("/my_synth/on/off").value_or(99);
    ASSERT_LT(gain, 4u);
    ASSERT_LT(on, 4u);
    EXPECT_EQ(t.controls()[gain].httpd_path, "/my_synth/gain_(dB)");
    EXPECT_EQ(t.controls()[on].httpd_path, "/my_synth/on_off");
    EXPECT_EQ(t.find("/my_synth/gain_(dB)"), gain);
    EXPECT_EQ(t.find("/my_synth/on_off"), on);
    EXPECT_EQ(t.find("/my_synth/freq/"), t.find("/my_synth/freq"));
    EXPECT_FALSE(t.find("/my_synth"));
    EXPECT_TRUE(t.controls()[t.find("/my_synth/level").value_or(0)].output);
    EXPECT_EQ(AddressTable::httpd_label("a b;c?d\te"), "a_b_c_d_e");
}

TEST(HttpRequests, FaustsAnswers) {
    FakePort port(table_of(program));
    Answer json = get(port, "/JSON");
    EXPECT_EQ(json.status, 200);
    EXPECT_EQ(json.content_type, "application/json");
    EXPECT_EQ(json.body, port.table()->json() + " \n");

    Answer one = get(port, "/my_synth/freq");
    EXPECT_EQ(one.status, 200);
    EXPECT_EQ(one.content_type, "text/plain");
    EXPECT_EQ(one.body, "/my_synth/freq 440.000 \n");

    Answer set = get(port, "/my_synth/gain_(dB)?value=0,25");
    EXPECT_EQ(set.body, "/my_synth/gain_(dB) 0.250000 \n");
    const std::size_t gain = *port.table()->find("/my_synth/gain__dB_");
    EXPECT_DOUBLE_EQ(port.values_[gain], 0.25);
    ASSERT_EQ(set.changed.size(), 1u);
    EXPECT_EQ(set.changed[0].first, gain);

    // clipped to the range, as Faust's mapping does
    EXPECT_EQ(get(port, "/my_synth/freq?value=99999").body, "/my_synth/freq 2000.00 \n");
    // not a number: nothing set, the value answered
    EXPECT_EQ(get(port, "/my_synth/freq?value=abc").body, "/my_synth/freq 2000.00 \n");
    // a bargraph is not set by clients
    EXPECT_EQ(get(port, "/my_synth/level?value=0.5").body, "/my_synth/level 0.00000 \n");
    EXPECT_TRUE(get(port, "/my_synth/level?value=0.5").changed.empty());

    // a group: one line per control, in the spelling asked, in the UI's order
    // (faust -json lists freq, gain (dB), level, on/off)
    EXPECT_EQ(get(port, "/my_synth").body,
              "/my_synth/freq 2000.00 \n/my_synth/gain__dB_ 0.250000 \n/my_synth/level 0.00000 \n"
              "/my_synth/on/off 0.00000 \n");
    EXPECT_EQ(get(port, "/my_synth/").body.substr(0, 38),
              "/my_synth/freq 2000.00 \n/my_synth/gain");
    EXPECT_EQ(get(port, "/no/such").status, 404);
    EXPECT_EQ(get(port, "/").status, 200); // the embedded page
    EXPECT_NE(get(port, "/").content_type.find("text/html"), std::string::npos);
}

TEST(HttpRequests, SafeByDefault) {
    FakePort port(table_of(program));
    // traversal, encoded or not: refused, nothing read from disk
    for (const char* t : {"/../../etc/hostname", "/%2e%2e/%2e%2e/etc/hostname", "/a/../JSON",
                          "/./JSON", "/..\\..\\etc"}) {
        Answer a = get(port, t);
        EXPECT_EQ(a.status, 400) << t;
    }
    EXPECT_EQ(get(port, "/etc/hostname").status, 404);
    EXPECT_EQ(get(port, "/%00").status, 400);
    EXPECT_EQ(get(port, "/a%zz").status, 400);

    // from another machine: reads yes, writes only with the token
    EXPECT_EQ(get(port, "/my_synth/freq", false, "s3cret", "", "10.0.0.1:5510").status, 200);
    EXPECT_EQ(get(port, "/my_synth/freq?value=100", false, "s3cret", "", "10.0.0.1:5510").status,
              403);
    EXPECT_EQ(
        get(port, "/my_synth/freq?value=100&token=wrong", false, "s3cret", "", "10.0.0.1:5510")
            .status,
        403);
    EXPECT_EQ(get(port, "/my_synth/freq?value=100", false, "", "", "10.0.0.1:5510").status, 403);
    Answer ok =
        get(port, "/my_synth/freq?value=100&token=s3cret", false, "s3cret", "", "10.0.0.1:5510");
    EXPECT_EQ(ok.status, 200);
    EXPECT_EQ(ok.body, "/my_synth/freq 100.000 \n");

    // a page from another origin may not write, even on loopback
    EXPECT_EQ(get(port, "/my_synth/freq?value=200", true, "", "http://evil.example").status, 403);
    EXPECT_EQ(get(port, "/my_synth/freq?value=200", true, "", "http://127.0.0.1:5510").status, 200);
    // DNS rebinding: a foreign name resolving to 127.0.0.1, same origin as its Host
    EXPECT_EQ(get(port, "/my_synth/freq?value=300", true, "", "http://evil.example:5510",
                  "evil.example:5510")
                  .status,
              403);
    EXPECT_EQ(get(port, "/my_synth/freq?value=300", true, "", "", "localhost:5510").status, 200);

    // the WebSocket: a foreign Origin refused; off loopback without token read-only
    Request ws;
    ws.method = "GET";
    ws.target = "/ws";
    ws.host = "127.0.0.1:5510";
    ws.websocket_upgrade = true;
    Access loop;
    Answer up = handle_request(ws, port, loop);
    EXPECT_TRUE(up.websocket);
    EXPECT_TRUE(up.can_write);
    ws.origin = "http://evil.example";
    EXPECT_EQ(handle_request(ws, port, loop).status, 403);
    ws.origin = "";
    ws.host = "10.0.0.1:5510";
    Access remote;
    remote.loopback_peer = false;
    remote.token = "s3cret";
    up = handle_request(ws, port, remote);
    EXPECT_TRUE(up.websocket);
    EXPECT_FALSE(up.can_write);
    ws.target = "/ws?token=s3cret";
    EXPECT_TRUE(handle_request(ws, port, remote).can_write);

    // methods
    Request post;
    post.method = "POST";
    post.target = "/JSON";
    EXPECT_EQ(handle_request(post, port, loop).status, 405);
    // no CORS wildcard anywhere: the handler sets no such header (the server adds none)
}

TEST(HttpValues, ReadAsFaustReadsThem) {
    EXPECT_EQ(parse_httpd_value("0.5"), 0.5);
    EXPECT_EQ(parse_httpd_value(" -2,5"), -2.5);
    EXPECT_EQ(parse_httpd_value("+3abc"), 3.0);
    EXPECT_EQ(parse_httpd_value("1e3"), 1.0); // no exponent in Faust's reader
    EXPECT_FALSE(parse_httpd_value("abc"));
    EXPECT_FALSE(parse_httpd_value(""));
    EXPECT_EQ(format_httpd_value(440), "440.000");
    EXPECT_EQ(format_httpd_value(0.5), "0.500000");
    EXPECT_EQ(format_httpd_value(1e-5), "1.00000e-05");
    EXPECT_TRUE(is_loopback_host("127.0.0.1:5510"));
    EXPECT_TRUE(is_loopback_host("localhost"));
    EXPECT_TRUE(is_loopback_host("[::1]:80"));
    EXPECT_FALSE(is_loopback_host("127.evil.com"));
    EXPECT_FALSE(is_loopback_host("10.0.0.1:5510"));
    EXPECT_TRUE(is_loopback_host("::1"));
    EXPECT_TRUE(is_loopback_host("LocalHost:7777"));
    EXPECT_FALSE(is_loopback_host("[::2]:80"));
    EXPECT_FALSE(is_loopback_host("0.0.0.0"));
}

TEST(WsMessages, ParamFromAClient) {
    FakePort port(table_of(program));
    WsResult r = handle_ws_message(
        R"j({"type":"param","path":"/my_synth/gain_(dB)","value":0.75})j", port, true);
    const AddressTable& t = *port.table();
    EXPECT_TRUE(r.reply.empty()) << r.reply;
    ASSERT_TRUE(r.changed);
    EXPECT_EQ(r.changed->first, *t.find("/my_synth/gain__dB_"));
    EXPECT_DOUBLE_EQ(port.values_[*t.find("/my_synth/gain__dB_")], 0.75);
    r = handle_ws_message(R"({"value":true,"path":"/my_synth/on/off","type":"param"})", port, true);
    EXPECT_DOUBLE_EQ(port.values_[*t.find("/my_synth/on/off")], 1);
    r = handle_ws_message(R"({"type":"param","path":"/my_synth/freq","value":1e9})", port, true);
    EXPECT_DOUBLE_EQ(port.values_[*t.find("/my_synth/freq")], 2000); // clipped
    for (const std::string& bad : std::vector<std::string>{
             "", "{", "[1]", "{\"type\":\"param\"}", R"({"type":"param","path":"/x","value":1})",
             R"({"type":"param","path":"/my_synth/freq","value":"1"})",
             R"({"type":"param","path":"/my_synth/freq","value":1e999})",
             R"({"type":"param","path":"/my_synth/level","value":1})", R"({"type":"hello"})",
             "{\"a\":" + std::string(100, '[') + std::string(100, ']') + "}"}) {
        const int before = port.sets;
        WsResult e = handle_ws_message(bad, port, true);
        EXPECT_NE(e.reply.find("\"type\":\"error\""), std::string::npos) << bad;
        EXPECT_EQ(port.sets, before) << bad;
    }
    // a read-only session
    WsResult ro =
        handle_ws_message(R"({"type":"param","path":"/my_synth/freq","value":100})", port, false);
    EXPECT_NE(ro.reply.find("token"), std::string::npos);
    EXPECT_FALSE(ro.changed);
}

TEST(WsMessages, ServerMessagesAreJson) {
    FakePort port(table_of(program));
    const AddressTable& t = *port.table();
    std::string ui = ui_message(t);
    auto members = json_object_members(ui);
    ASSERT_TRUE(members);
    EXPECT_EQ((*members)[0].key, "type");
    EXPECT_EQ((*members)[2].key, "ui");
    EXPECT_EQ((*members)[2].value.front(), '[');
    std::vector<double> v(4, 1.5);
    v[*t.find("/my_synth/gain__dB_")] = 2;
    v[*t.find("/my_synth/freq")] = NAN;
    std::string values = values_message(t, v);
    EXPECT_TRUE(json_object_members(values));
    EXPECT_NE(values.find("\"/my_synth/gain__dB_\":2"), std::string::npos);
    EXPECT_NE(values.find("null"), std::string::npos);
    EXPECT_EQ(param_message("/a\"b", 0.5), R"({"type":"param","path":"/a\"b","value":0.5})");
    EXPECT_TRUE(json_object_members(levels_message({0.5f, 1}, {0.25f, 0.1f})));
    float frames[6] = {0, 1, 2, 3, 4, 5};
    std::string scope = scope_message(12000, 2, frames, 3);
    EXPECT_EQ(scope, R"({"type":"scope","rate":12000,"channels":[[0,2,4],[1,3,5]]})");
}

TEST(JsonScan, Bounded) {
    EXPECT_TRUE(json_object_members(R"({"a":[1,2,{"b":null}],"c":"\u00e9\ud83d\ude00"})"));
    EXPECT_EQ(json_string_value(R"("\u00e9\ud83d\ude00")"), "\xc3\xa9\xf0\x9f\x98\x80");
    EXPECT_FALSE(json_object_members(std::string(100000, '[')));
    EXPECT_FALSE(
        json_object_members("{\"a\":" + std::string(40, '[') + std::string(40, ']') + "}"));
    EXPECT_FALSE(json_object_members(R"({"a":01})"));
    EXPECT_FALSE(json_object_members(R"({"a":1,})"));
    EXPECT_FALSE(json_object_members("{\"a\":\"\x01\"}"));
    EXPECT_FALSE(json_object_members(R"({"a":"\x"})"));
    EXPECT_FALSE(json_string_value(R"("\u12")"));
    EXPECT_FALSE(json_string_value(R"("\")"));
}

TEST(HttpRequests, ReadOnlyStatusValues) {
    FakePort port(table_of(program));
    port.status_ = {{"/tutti/netjack/lost", 3, "", false},
                    {"/tutti/netjack/peer", 0, "'b' host \"x\"", true}};
    Answer one = get(port, "/tutti/netjack/lost");
    EXPECT_EQ(one.status, 200);
    EXPECT_EQ(one.body, "/tutti/netjack/lost 3.00000 \n");
    EXPECT_EQ(get(port, "/tutti/netjack/peer/").body, "/tutti/netjack/peer 'b' host \"x\" \n");
    Answer all = get(port, "/tutti/netjack");
    EXPECT_EQ(all.content_type, "application/json");
    EXPECT_EQ(all.body,
              "{\"/tutti/netjack/lost\": 3, \"/tutti/netjack/peer\": \"'b' host \\\"x\\\"\"}\n");
    EXPECT_EQ(get(port, "/tutti/netjack/lost?value=0").body, "/tutti/netjack/lost 3.00000 \n");
    EXPECT_EQ(port.sets, 0);
    EXPECT_EQ(get(port, "/tutti/nothing").status, 404);
}
