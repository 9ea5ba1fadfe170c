// SPDX-License-Identifier: MIT
// tutti serve (issue 13; docs/serve-api.md): the bundle and the API parser as
// pure functions; then the server in-process on 127.0.0.1 (ports 26100-26199)
// driven by the client library (RemoteFactory, RemoteInstance,
// list_factories) and by raw sockets for bad input; a killed server process;
// and the load tests: 8 clients compiling different programs at once while a
// ninth sends one that runs out of the time limit (in the server's process) or
// out of memory (each compilation in a compiler process, ports 30010-30029).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <future>
#include <mutex>
#include <thread>

#include "net/ws_client.h"
#include "remote/bundle.h"
#include "remote/client.h"
#include "serve/api.h"
#include "serve/served.h"
#include "serve/server.h"
#include "serve/service.h"
#include "tutti/compiler.h"
#include "tutti/machine_code.h"

namespace {

using namespace tutti;
using Clock = std::chrono::steady_clock;

// ---- the bundle ----

TEST(ServeBundle, RoundTrip) {
    remote::Bundle b;
    b.files.push_back({"prog.dsp", "import(\"x.lib\");\nprocess = x.f;\n"});
    b.files.push_back({"x.lib", "f = _;"});
    b.files.push_back({"sub/empty.lib", ""});
    std::string error;
    auto d = remote::decode_bundle(remote::encode_bundle(b), &error);
    ASSERT_TRUE(d) << error;
    ASSERT_EQ(d->files.size(), 3u);
    EXPECT_EQ(d->files[0].text, b.files[0].text);
    EXPECT_EQ(d->files[2].name, "sub/empty.lib");
    EXPECT_EQ(d->files[2].text, "");
}

TEST(ServeBundle, BadTextsAreErrors) {
    remote::Bundle b;
    b.files.push_back({"prog.dsp", "process = _;"});
    const std::string good = remote::encode_bundle(b);
    std::string error;
    // every truncation is an error, never a crash
    for (std::size_t n = 0; n < good.size(); ++n) {
        EXPECT_FALSE(remote::decode_bundle(good.substr(0, n), &error)) << n;
    }
    EXPECT_FALSE(remote::decode_bundle("tutti-bundle 1\n../etc/passwd\n1\nx\n", &error));
    EXPECT_NE(error.find("relative"), std::string::npos) << error;
    EXPECT_FALSE(remote::decode_bundle("tutti-bundle 1\n/etc/passwd\n1\nx\n", &error));
    EXPECT_FALSE(remote::decode_bundle("tutti-bundle 1\na.dsp\n1\nx\na.dsp\n1\nx\n", &error));
    EXPECT_NE(error.find("twice"), std::string::npos) << error;
    EXPECT_FALSE(remote::decode_bundle("tutti-bundle 1\na.dsp\n99999999999999999999\nx\n", &error));
    EXPECT_FALSE(remote::decode_bundle("tutti-bundle 1\na.dsp\n5\nx\n", &error));
    EXPECT_NE(error.find("truncated"), std::string::npos) << error;
    // one spelling of a count (found by the fuzzer: "00" re-encoded as "0")
    EXPECT_FALSE(remote::decode_bundle("tutti-bundle 1\na.dsp\n00\n\n", &error));
    EXPECT_FALSE(remote::decode_bundle("tutti-bundle 2\n", &error));
    EXPECT_FALSE(remote::decode_bundle("tutti-bundle 1\n", &error)); // no program
}

TEST(ServeBundle, ExpandFollowsImports) {
    std::string error;
    auto b = remote::expand_source("p.dsp", "import(\"stdfaust.lib\");\nprocess = os.osc(440);\n",
                                   ".", {}, &error);
    ASSERT_TRUE(b) << error;
    EXPECT_EQ(b->files[0].name, "p.dsp");
    auto has = [&](const std::string& name) {
        return std::any_of(b->files.begin(), b->files.end(),
                           [&](const remote::BundleFile& f) { return f.name == name; });
    };
    EXPECT_TRUE(has("stdfaust.lib"));
    EXPECT_TRUE(has("oscillators.lib"));
    EXPECT_TRUE(has("maths.lib"));
}

// ---- the API parser ----

serve::Call parsed(std::string_view method, std::string_view target, std::string_view body = {},
                   const serve::ApiAccess& access = {}) {
    auto r = serve::parse_call(method, target, body, access);
    if (auto* e = std::get_if<serve::ApiError>(&r)) {
        ADD_FAILURE() << method << " " << target << ": " << e->status << " " << e->message;
        return {};
    }
    return std::get<serve::Call>(r);
}
int status_of(std::string_view method, std::string_view target, std::string_view body = {},
              const serve::ApiAccess& access = {}) {
    auto r = serve::parse_call(method, target, body, access);
    auto* e = std::get_if<serve::ApiError>(&r);
    return e != nullptr ? e->status : 200;
}

TEST(ServeApi, Routes) {
    const std::string key(32, 'a'), id(32, 'b');
    EXPECT_EQ(parsed("GET", "/v1/health").op, serve::Op::Health);
    EXPECT_EQ(parsed("GET", "/v1/factories").op, serve::Op::ListFactories);
    serve::Call c = parsed("POST", "/v1/factories?backend=interpreter&double=1&opt=0", "x");
    EXPECT_EQ(c.op, serve::Op::CreateFactory);
    EXPECT_TRUE(c.options.interpreter);
    EXPECT_TRUE(c.options.double_precision);
    EXPECT_EQ(c.options.opt_level, 0);
    EXPECT_EQ(parsed("GET", "/v1/factories/" + key).key, key);
    EXPECT_EQ(parsed("GET", "/v1/factories/" + key + "/info").op, serve::Op::GetFactoryInfo);
    EXPECT_EQ(parsed("DELETE", "/v1/factories/" + key).op, serve::Op::DeleteFactory);
    c = parsed("POST", "/v1/instances", "{\"factory\":\"" + key + "\",\"sample_rate\":44100}");
    EXPECT_EQ(c.op, serve::Op::CreateInstance);
    EXPECT_EQ(c.sample_rate, 44100);
    EXPECT_EQ(parsed("POST", "/v1/instances/" + id + "/start").op, serve::Op::StartInstance);
    c = parsed("PUT", "/v1/instances/" + id + "/controls", "{\"path\":\"/p/gain\",\"value\":0.25}");
    EXPECT_EQ(c.op, serve::Op::SetControl);
    EXPECT_EQ(c.path, "/p/gain");
    EXPECT_EQ(c.value, 0.25);
    c = parsed("GET", "/v1/instances/" + id + "/controls?path=%2Fp%2Fgain");
    EXPECT_EQ(c.op, serve::Op::GetControl);
    EXPECT_EQ(c.path, "/p/gain");
    EXPECT_EQ(parsed("GET", "/v1/instances/" + id + "/controls?index=3").index, 3);
    EXPECT_EQ(parsed("GET", "/v1/instances/" + id + "/ws?token=x").ws_query, "token=x");
    c = parsed("POST",
               "/v1/machine_code?triple=x86_64-pc-linux-gnu&cpu=znver3&features=%2Bavx%2C%2Bsse4.2",
               "x");
    EXPECT_EQ(c.op, serve::Op::CreateMachineCode);
    EXPECT_EQ(c.cpu, "znver3");
    EXPECT_EQ(c.features, "+avx,+sse4.2");
    EXPECT_EQ(status_of("POST", "/v1/machine_code?triple=x86_64&features=%3B", "x"), 400);
    EXPECT_EQ(status_of("POST", "/v1/machine_code?triple=x86_64", "x"), 400); // no cpu
    c = parsed("POST", "/v1/factories?math=fast", "x");
    EXPECT_TRUE(c.options.fast_math);
    EXPECT_EQ(serve::to_string(c.options), "backend=llvm&double=0&opt=2&math=fast");
    EXPECT_FALSE(parsed("POST", "/v1/machine_code?math=exact", "x").options.fast_math);
    EXPECT_EQ(status_of("POST", "/v1/factories?math=sloppy", "x"), 400);
}

TEST(ServeApi, RenderBodies) {
    serve::RenderRequest r;
    r.frames = 1000;
    r.block = 32;
    r.input = "file";
    r.input_channels = 2;
    r.input_frames = 3;
    r.press_buttons = 10;
    r.sets = {"gain=0.5"};
    r.set_at = {"100:/x/freq=200", "200:gain=1e-3"};
    const std::string input(2 * 3 * 8, '\0');
    const std::string body = serve::encode_render_body(r, "tutti-bundle 1\n", input);
    serve::Call c = parsed("POST", "/v1/render?double=1&math=fast", body);
    EXPECT_EQ(c.op, serve::Op::Render);
    EXPECT_TRUE(c.options.double_precision);
    EXPECT_TRUE(c.options.fast_math);
    auto back = serve::parse_render_body(body);
    ASSERT_TRUE(std::holds_alternative<serve::RenderBody>(back));
    const serve::RenderBody& b = std::get<serve::RenderBody>(back);
    EXPECT_EQ(b.request.frames, 1000);
    EXPECT_EQ(b.request.block, 32);
    EXPECT_EQ(b.request.press_buttons, 10);
    EXPECT_EQ(b.request.sets, r.sets);
    EXPECT_EQ(b.request.set_at, r.set_at);
    EXPECT_EQ(b.bundle, "tutti-bundle 1\n");
    EXPECT_EQ(b.input.size(), input.size());
    // bad ones: 400
    EXPECT_EQ(status_of("POST", "/v1/render", "x"), 400);
    EXPECT_EQ(status_of("POST", "/v1/render", serve::encode_render_body(r, "b", "short")), 400);
    r.input = "impulse";
    EXPECT_EQ(status_of("POST", "/v1/render", serve::encode_render_body(r, "b", "")), 200);
    r.block = 0;
    EXPECT_EQ(status_of("POST", "/v1/render", serve::encode_render_body(r, "b", "")), 400);
    r.block = 64;
    r.frames = 1L << 40;
    EXPECT_EQ(status_of("POST", "/v1/render", serve::encode_render_body(r, "b", "")), 400);
    r.frames = 10;
    r.input = "/etc/passwd";
    EXPECT_EQ(status_of("POST", "/v1/render", serve::encode_render_body(r, "b", "")), 400);
    std::string cut = serve::encode_render_body(serve::RenderRequest{}, "tutti-bundle 1\n", "");
    cut.pop_back();
    EXPECT_EQ(status_of("POST", "/v1/render", cut), 400); // truncated
    EXPECT_EQ(status_of("GET", "/v1/render"), 405);
}

TEST(ServeApi, BadRequests) {
    const std::string key(32, 'a'), id(32, 'b');
    EXPECT_EQ(status_of("GET", "/"), 404);
    EXPECT_EQ(status_of("GET", "/v1/nothing"), 404);
    EXPECT_EQ(status_of("GET", "/v1/factories/XYZ"), 404); // not a key
    EXPECT_EQ(status_of("GET", "/v1/instances/123"), 404); // not an id
    EXPECT_EQ(status_of("PATCH", "/v1/factories"), 405);
    EXPECT_EQ(status_of("POST", "/v1/factories?backend=gcc", "x"), 400);
    EXPECT_EQ(status_of("POST", "/v1/factories?opt=9", "x"), 400);
    EXPECT_EQ(status_of("POST", "/v1/instances", "{"), 400);
    EXPECT_EQ(status_of("POST", "/v1/instances", "{\"factory\":12}"), 400);
    EXPECT_EQ(status_of("POST", "/v1/instances", "{\"factory\":\"" + key + "\",\"block\":0}"), 400);
    EXPECT_EQ(status_of("PUT", "/v1/instances/" + id + "/controls", "{\"path\":\"/g\"}"), 400);
    EXPECT_EQ(status_of("PUT", "/v1/instances/" + id + "/controls",
                        "{\"path\":\"/g\",\"index\":1,\"value\":1}"),
              400);
    EXPECT_EQ(status_of("GET", "/v1/instances/" + id + "/controls?path=%zz"), 400);
    EXPECT_EQ(status_of("POST", "/v1/instances", std::string(70000, ' ')), 413);
    EXPECT_EQ(status_of("GET", "bad"), 400);
}

TEST(ServeApi, TokenOnEveryRequestWhenRequired) {
    serve::ApiAccess a;
    a.token_required = true;
    a.token = "0123456789abcdef0123456789abcdef";
    EXPECT_EQ(status_of("GET", "/v1/health", {}, a), 401);
    EXPECT_EQ(status_of("GET", "/v1/health?token=wrong", {}, a), 401);
    EXPECT_EQ(status_of("GET", "/v1/health?token=0123456789abcdef0123456789abcdef", {}, a), 200);
    a.given_header = "Bearer 0123456789abcdef0123456789abcdef";
    EXPECT_EQ(status_of("GET", "/v1/health", {}, a), 200);
}

// ---- the server in-process ----

/// A server on 127.0.0.1:port with its service (2 workers, 20 s a compilation
/// unless told otherwise).
struct Served : test::Served {
    explicit Served(int port, int jobs = 2, double max_seconds = 20, bool require_token = false)
        : test::Served(port, workers(jobs, max_seconds), test::server_options(require_token)) {
    }
    static serve::ServiceOptions workers(int jobs, double max_seconds) {
        serve::ServiceOptions vo;
        vo.jobs = jobs;
        vo.max_seconds = max_seconds;
        return vo;
    }
};

using test::bundle_of;

/// Raw bytes to the server; what it answers until it closes (or 5 s).
std::string raw_exchange(int port, const std::string& bytes, bool close_write = true) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(std::uint16_t(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        ::close(fd);
        return "(no connection)";
    }
    timeval tv{5, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    std::size_t sent = 0;
    while (sent < bytes.size()) {
        ssize_t n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
        if (n <= 0) {
            break;
        }
        sent += std::size_t(n);
    }
    if (close_write) {
        ::shutdown(fd, SHUT_WR);
    }
    std::string out;
    char buf[4096];
    for (;;) {
        ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0) {
            break;
        }
        out.append(buf, std::size_t(n));
    }
    ::close(fd);
    return out;
}

const char* gain_program = "import(\"stdfaust.lib\");\n"
                           "process = os.osc(440) * hslider(\"gain\", 0.5, 0, 1, 0.01);\n";

TEST(ServeServer, FactoryCreateListLookupDelete) {
    Served s(26101);
    ASSERT_TRUE(s.started);
    auto created = remote::RemoteFactory::create(s.endpoint, bundle_of("tone.dsp", gain_program));
    ASSERT_TRUE(created.ok()) << (created.diagnostics.empty() ? ""
                                                              : to_text(created.diagnostics[0]));
    const std::string key = created.factory->content_key();
    EXPECT_FALSE(key.empty());
    EXPECT_EQ(created.factory->name(), "tone");
    EXPECT_EQ(created.factory->num_outputs(), 1);
    ASSERT_EQ(created.factory->parameters().size(), 1u);
    EXPECT_EQ(created.factory->parameters()[0].path, "/tone/gain");
    EXPECT_NE(created.factory->json().find("\"gain\""), std::string::npos);
    EXPECT_STREQ(created.factory->implementation(), "remote");

    auto list = remote::list_factories(s.endpoint);
    ASSERT_EQ(list.size(), 1u);
    EXPECT_EQ(list[0].key, key);
    EXPECT_EQ(list[0].name, "tone");
    EXPECT_EQ(list[0].options, "backend=llvm&double=0&opt=2&math=exact");
    EXPECT_GT(list[0].last_use_ms, 0);

    auto found = remote::RemoteFactory::lookup(s.endpoint, key);
    EXPECT_EQ(found->content_key(), key);
    EXPECT_EQ(found->json(), created.factory->json());

    // the same bundle again is not compiled again
    auto again = remote::RemoteFactory::create(s.endpoint, bundle_of("tone.dsp", gain_program));
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(again.factory->content_key(), key);
    EXPECT_EQ(s.service->stats().reused, 1u);

    found->remove();
    EXPECT_TRUE(remote::list_factories(s.endpoint).empty());
    try {
        remote::RemoteFactory::lookup(s.endpoint, key);
        FAIL() << "a deleted factory was found";
    } catch (const remote::RemoteError& e) {
        EXPECT_EQ(e.status(), 404) << e.what();
    }
}

TEST(ServeServer, CompileErrorsAndForeignCodeAreDiagnostics) {
    Served s(26102);
    ASSERT_TRUE(s.started);
    auto bad =
        remote::RemoteFactory::create(s.endpoint, bundle_of("bad.dsp", "process = nosuchthing;\n"));
    ASSERT_FALSE(bad.ok());
    ASSERT_FALSE(bad.diagnostics.empty());
    EXPECT_EQ(bad.diagnostics[0].file, "bad.dsp");
    EXPECT_EQ(bad.diagnostics[0].line, 1u);
    auto foreign = remote::RemoteFactory::create(
        s.endpoint,
        bundle_of("ff.dsp", "process = ffunction(float myfun(float), <myheader.h>, \"\");\n"));
    ASSERT_FALSE(foreign.ok());
    ASSERT_FALSE(foreign.diagnostics.empty());
    EXPECT_EQ(foreign.diagnostics[0].file, "ff.dsp");
    EXPECT_NE(foreign.diagnostics[0].id.find("foreign"), std::string::npos)
        << foreign.diagnostics[0].id << ": " << foreign.diagnostics[0].message;
    // a program that reads a file of the server's is refused before it compiles
    remote::Bundle sneaky;
    sneaky.files.push_back({"s.dsp", "import(\"/etc/hostname\");\nprocess = _;\n"});
    try {
        remote::RemoteFactory::create(s.endpoint, sneaky);
        FAIL() << "a program reading /etc/hostname was compiled";
    } catch (const remote::RemoteError& e) {
        EXPECT_EQ(e.status(), 403) << e.what();
    }
}

/// Polls until f() is true (or 5 s).
template <class F> bool eventually(F f) {
    const auto until = Clock::now() + std::chrono::seconds(5);
    while (Clock::now() < until) {
        if (f()) {
            return true;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return f();
}

TEST(ServeServer, InstanceLifecycleAndControls) {
    Served s(26103);
    ASSERT_TRUE(s.started);
    auto created = remote::RemoteFactory::create(s.endpoint, bundle_of("tone.dsp", gain_program));
    ASSERT_TRUE(created.ok());
    auto inst = created.factory->create_remote_instance(48000, 64);
    EXPECT_EQ(inst->id().size(), 32u);
    remote::Client client(s.endpoint);
    EXPECT_NE(client.call("GET", "/v1/instances").body.find(inst->id()), std::string::npos);
    EXPECT_DOUBLE_EQ(inst->get_parameter(0), 0.5); // its init value, before it plays
    inst->start();
    EXPECT_TRUE(inst->set_parameter("gain", 0.25));
    EXPECT_DOUBLE_EQ(inst->get_parameter(0), 0.25);
    EXPECT_TRUE(eventually([&] { return inst->value("/tone/gain") == 0.25; }));
    // the engine ran: frames went by
    EXPECT_TRUE(eventually([&] {
        return client.call("GET", "/v1/instances/" + inst->id()).body.find("\"frames\":0,") ==
               std::string::npos;
    }));
    inst->set_parameter(0, 7.0); // clamped into the range
    EXPECT_TRUE(eventually([&] { return inst->get_parameter(0) == 1.0; }));
    inst->stop();
    EXPECT_FALSE(inst->running());
    // compute has no audio link yet: silence, counted
    std::vector<float> out(64, 1.0f);
    float* outs[] = {out.data()};
    inst->compute(64, nullptr, reinterpret_cast<void* const*>(outs));
    EXPECT_EQ(out[10], 0.0f);
    EXPECT_EQ(inst->refused_blocks(), 1u);
    EXPECT_THROW(inst->read_state({}), remote::RemoteError);
    const std::string id = inst->id();
    inst.reset(); // deletes it on the server
    auto r = client.request("GET", "/v1/instances/" + id);
    EXPECT_EQ(r.status, 404);
    EXPECT_EQ(client.call("GET", "/v1/instances").body, "{\"instances\":[]}");
}

TEST(ServeServer, InstanceThroughTheFactoryInterface) {
    Served s(26104);
    ASSERT_TRUE(s.started);
    auto created = remote::RemoteFactory::create(s.endpoint, bundle_of("tone.dsp", gain_program));
    ASSERT_TRUE(created.ok());
    const Factory& f = *created.factory;
    std::unique_ptr<Instance> inst = f.create_instance(); // made on the server by init()
    inst->init(44100);
    EXPECT_EQ(&inst->factory(), &f);
    EXPECT_TRUE(inst->set_parameter("/tone/gain", 0.75));
    EXPECT_DOUBLE_EQ(*inst->get_parameter("gain"), 0.75);
    inst->reset_controls();
    EXPECT_DOUBLE_EQ(*inst->get_parameter("gain"), 0.5);
    EXPECT_EQ(f.create_instance_in(nullptr), nullptr);
}

TEST(ServeServer, SwapCarriesStateOnTheServer) {
    Served s(26105);
    ASSERT_TRUE(s.started);
    // a counter read through a bargraph: carried by the swap, it goes on counting
    const char* v1 =
        "c = +(1) ~ _;\n"
        "process = c : hbargraph(\"count\", 0, 1e9) : *(hslider(\"g\", 1, 0, 2, 0.1));\n";
    const char* v2 = "c = +(1) ~ _;\n"
                     "process = c : hbargraph(\"count\", 0, 1e9) : *(hslider(\"g\", 1, 0, 2, 0.1)) "
                     ": *(0.5);\n";
    auto a = remote::RemoteFactory::create(s.endpoint, bundle_of("count.dsp", v1));
    auto b = remote::RemoteFactory::create(s.endpoint, bundle_of("count.dsp", v2));
    ASSERT_TRUE(a.ok() && b.ok());
    ASSERT_NE(a.factory->content_key(), b.factory->content_key());
    auto inst = a.factory->create_remote_instance(48000, 64);
    inst->start();
    inst->set_parameter("g", 1.7);
    ASSERT_TRUE(eventually([&] { return inst->value("count") > 4800; })); // 0.1 s played
    const double before = inst->value("count");
    EXPECT_NEAR(inst->value("g"), 1.7, 1e-6); // a float control
    const std::string report = inst->swap(b.factory);
    EXPECT_NE(report.find("\"committed\":true"), std::string::npos) << report;
    EXPECT_EQ(report.find("\"carried\":0"), std::string::npos) << report;
    EXPECT_EQ(inst->current_factory()->content_key(), b.factory->content_key());
    // the new version counts on from where the old one was, and keeps g
    const double after = inst->value("count");
    EXPECT_GE(after, before) << report;
    EXPECT_NEAR(inst->value("g"), 1.7, 1e-6); // a float control
    remote::Client client(s.endpoint);
    EXPECT_NE(client.call("GET", "/v1/instances/" + inst->id()).body.find(b.factory->content_key()),
              std::string::npos);
}

TEST(ServeServer, ControlWebSocketPerInstance) {
    Served s(26106);
    ASSERT_TRUE(s.started);
    auto created = remote::RemoteFactory::create(s.endpoint, bundle_of("tone.dsp", gain_program));
    ASSERT_TRUE(created.ok());
    auto inst = created.factory->create_remote_instance(48000, 64);
    inst->start();
    tutti::testing::WsClient ws;
    std::string error;
    ASSERT_TRUE(ws.connect("127.0.0.1", 26106, "/v1/instances/" + inst->id() + "/ws", &error))
        << error;
    auto has = [](const std::string& what) {
        return [what](const tutti::testing::Received& m) {
            return m.text.find(what) != std::string::npos;
        };
    };
    EXPECT_TRUE(ws.wait_for(has("\"type\":\"ui\""), std::chrono::seconds(5), nullptr));
    // a value set through the API reaches the socket
    inst->set_parameter("gain", 0.125);
    EXPECT_TRUE(ws.wait_for(has("0.125"), std::chrono::seconds(5), nullptr));
    // and one set through the socket reaches the API
    ASSERT_TRUE(ws.send("{\"type\":\"param\",\"path\":\"/tone/gain\",\"value\":0.375}"));
    EXPECT_TRUE(eventually([&] { return inst->get_parameter(0) == 0.375; }));
    // an unknown instance's socket: 404
    const std::string answer = raw_exchange(
        26106, "GET /v1/instances/" + std::string(32, '0') +
                   "/ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: "
                   "Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                   "Sec-WebSocket-Version: 13\r\n\r\n");
    EXPECT_EQ(answer.rfind("HTTP/1.1 404", 0), 0u) << answer;
}

// Orphaned instances expire (ServiceOptions::instance_idle_s; port 30510): an
// instance nobody asks about (its client died) is deleted after the idle
// timeout; a RemoteInstance that holds one renews its lease (and stays while
// idle), and an open WebSocket keeps one too.
TEST(ServeServer, IdleInstancesExpireWhileHeldOnesStay) {
    serve::ServiceOptions vo = Served::workers(2, 20);
    vo.instance_idle_s = 1.0;
    std::vector<std::string> notices;
    std::mutex notices_m;
    vo.notice = [&](const std::string& line) {
        std::lock_guard lock(notices_m);
        notices.push_back(line);
    };
    test::Served s(30510, vo);
    ASSERT_TRUE(s.started);
    auto created = remote::RemoteFactory::create(s.endpoint, bundle_of("tone.dsp", gain_program));
    ASSERT_TRUE(created.ok());
    auto held = created.factory->create_remote_instance(48000, 64);
    EXPECT_DOUBLE_EQ(held->idle_timeout(), 1.0);
    held->start();
    // an orphan: made by a request, then nobody asks about it (its client died)
    remote::Client client(s.endpoint);
    const std::string orphan = remote::Client(s.endpoint)
                                   .call("POST", "/v1/instances",
                                         "{\"factory\":\"" + created.factory->content_key() + "\"}")
                                   .body.substr(7, 32);
    // one with an open WebSocket (a control page) and no request
    const std::string watched =
        remote::Client(s.endpoint)
            .call("POST", "/v1/instances",
                  "{\"factory\":\"" + created.factory->content_key() + "\"}")
            .body.substr(7, 32);
    tutti::testing::WsClient ws;
    std::string error;
    ASSERT_TRUE(ws.connect("127.0.0.1", 30510, "/v1/instances/" + watched + "/ws", &error))
        << error;
    auto listed = [&](const std::string& id) {
        return client.call("GET", "/v1/instances").body.find(id) != std::string::npos;
    };
    EXPECT_TRUE(listed(orphan));
    const auto t0 = Clock::now();
    EXPECT_TRUE(eventually([&] { return !listed(orphan); }));
    const double gone_s = std::chrono::duration<double>(Clock::now() - t0).count();
    std::printf("the orphan expired after %.2f s (idle timeout 1 s)\n", gone_s);
    EXPECT_GE(gone_s, 0.8);
    // three timeouts later the held one and the watched one are still there
    std::this_thread::sleep_for(std::chrono::milliseconds(3000));
    EXPECT_TRUE(listed(held->id()));
    EXPECT_TRUE(listed(watched));
    EXPECT_TRUE(held->set_parameter("gain", 0.25)); // and usable
    EXPECT_EQ(s.service->stats().expired, 1u);
    {
        std::lock_guard lock(notices_m);
        ASSERT_EQ(notices.size(), 1u);
        EXPECT_NE(notices[0].find("instance " + orphan + " (tone) expired"), std::string::npos)
            << notices[0];
    }
    // the socket closed: it expires too; the held one is deleted by its holder
    ws.close();
    EXPECT_TRUE(eventually([&] { return !listed(watched); }));
    const std::string id = held->id();
    held.reset();
    EXPECT_EQ(client.request("GET", "/v1/instances/" + id).status, 404);
}

TEST(ServeServer, BadInputIsAnsweredAndTheServerGoesOn) {
    Served s(26107);
    ASSERT_TRUE(s.started);
    auto status = [](const std::string& answer) {
        return answer.size() >= 12 ? answer.substr(9, 3) : answer;
    };
    EXPECT_EQ(status(raw_exchange(26107, "BLAH\r\n\r\n")), "400");
    EXPECT_EQ(status(raw_exchange(26107, "GET /v1/health HTTP/1.1\r\nHost: x\r\nContent-Length: "
                                         "zz\r\n\r\n")),
              "400");
    EXPECT_EQ(status(raw_exchange(26107, "GET /v1/factories/" + std::string(32, 'a') +
                                             " HTTP/1.1\r\nHost: x\r\n\r\n")),
              "404"); // an unknown key
    EXPECT_EQ(status(raw_exchange(26107, "GET /v1/" + std::string(9000, 'x') +
                                             " HTTP/1.1\r\nHost: x\r\n\r\n")),
              "431");
    // a body over the limit (announced): refused before it is read
    EXPECT_EQ(status(raw_exchange(26107, "POST /v1/factories HTTP/1.1\r\nHost: x\r\n"
                                         "Content-Length: 999999999\r\n\r\nxx")),
              "413");
    // a truncated upload: the client stops half-way and closes; nothing is answered
    EXPECT_EQ(raw_exchange(26107, "POST /v1/factories HTTP/1.1\r\nHost: x\r\n"
                                  "Content-Length: 1000\r\n\r\ntutti-bundle 1\nx.dsp\n"),
              "");
    // a truncated bundle in a complete request: a clear 400
    const std::string half = "tutti-bundle 1\nx.dsp\n100\nprocess";
    const std::string answer =
        raw_exchange(26107, "POST /v1/factories HTTP/1.1\r\nHost: x\r\nContent-Length: " +
                                std::to_string(half.size()) + "\r\n\r\n" + half);
    EXPECT_EQ(status(answer), "400");
    EXPECT_NE(answer.find("truncated"), std::string::npos) << answer;
    const std::string set = "{\"path\":\"/g\",\"value\":1.0}";
    EXPECT_EQ(status(raw_exchange(26107, "PUT /v1/instances/" + std::string(32, 'b') +
                                             "/controls HTTP/1.1\r\nHost: x\r\nContent-Length: " +
                                             std::to_string(set.size()) + "\r\n\r\n" + set)),
              "404"); // an unknown instance
    // and it still serves
    remote::Client client(s.endpoint);
    EXPECT_NE(client.call("GET", "/v1/health").body.find("\"server\":\"tutti\""),
              std::string::npos);
}

TEST(ServeServer, TokenWhenRequired) {
    Served s(26108, 1, 20, true);
    ASSERT_TRUE(s.started);
    ASSERT_EQ(s.server->token().size(), 32u);
    remote::Endpoint no_token = s.endpoint;
    no_token.token.clear();
    remote::Client anonymous(no_token);
    EXPECT_EQ(anonymous.request("GET", "/v1/health").status, 401);
    EXPECT_EQ(anonymous.request("GET", "/v1/factories").status, 401);
    EXPECT_EQ(anonymous.request("GET", "/v1/health?token=" + s.server->token()).status, 200);
    remote::Client with(s.endpoint);
    EXPECT_EQ(with.request("GET", "/v1/factories").status, 200);
    // the instance's WebSocket too
    auto created = remote::RemoteFactory::create(s.endpoint, bundle_of("tone.dsp", gain_program));
    ASSERT_TRUE(created.ok());
    auto inst = created.factory->create_remote_instance();
    const std::string ws = "/v1/instances/" + inst->id() + "/ws";
    std::string error;
    tutti::testing::WsClient refused;
    EXPECT_FALSE(refused.connect("127.0.0.1", 26108, ws, &error));
    tutti::testing::WsClient admitted;
    EXPECT_TRUE(admitted.connect("127.0.0.1", 26108, ws + "?token=" + s.server->token(), &error))
        << error;
}

/// `frames` samples of every output of a fresh instance of `f` at 48 kHz.
std::vector<float> render(const Factory& f, int frames) {
    std::unique_ptr<Instance> inst = f.create_instance();
    inst->init(48000);
    std::vector<std::vector<float>> outs(std::size_t(f.num_outputs()),
                                         std::vector<float>(std::size_t(frames)));
    std::vector<void*> ptrs;
    for (auto& o : outs) {
        ptrs.push_back(o.data());
    }
    inst->compute(frames, nullptr, ptrs.data());
    std::vector<float> all;
    for (auto& o : outs) {
        all.insert(all.end(), o.begin(), o.end());
    }
    return all;
}

TEST(ServeServer, ThinClientMachineCodeGivesTheLocalSamples) {
    Served s(26109);
    ASSERT_TRUE(s.started);
    const char* program = "import(\"stdfaust.lib\");\n"
                          "process = os.osc(440) * hslider(\"gain\", 0.5, 0, 1, 0.01) : "
                          "fi.lowpass(2, 2000);\n";
    remote::RemoteMachineCode m = remote::compile_machine_code(
        s.endpoint, bundle_of("thin.dsp", program), host_machine_target());
    ASSERT_TRUE(m.ok()) << (m.diagnostics.empty() ? m.refused : to_text(m.diagnostics[0]));
    EXPECT_FALSE(m.code->object.empty());
    EXPECT_EQ(m.code->info.name, "thin");
    std::string error;
    std::shared_ptr<const Factory> thin = load_machine_code(*m.code, &error);
    ASSERT_TRUE(thin) << error;
    CompileResult local = compile_source("thin.dsp", program);
    ASSERT_TRUE(local.ok());
    const std::vector<float> a = render(*thin, 1024), b = render(*local.factory, 1024);
    ASSERT_EQ(a.size(), b.size());
    EXPECT_EQ(a, b);
    EXPECT_NE(a[100], 0.0f);
    // a program machine code cannot carry, and a bad one
    auto bad = remote::compile_machine_code(s.endpoint, bundle_of("bad.dsp", "process = nope;\n"),
                                            host_machine_target());
    ASSERT_FALSE(bad.ok());
    ASSERT_FALSE(bad.diagnostics.empty());
    EXPECT_EQ(bad.diagnostics[0].file, "bad.dsp");
}

std::string tutti_binary() {
    return std::string(TUTTI_BINARY_DIR) + "/bin/tutti";
}

TEST(ServeProcess, KilledServerGivesTheClientAClearError) {
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        std::freopen("/dev/null", "w", stdout);
        ::execl(tutti_binary().c_str(), "tutti", "serve", "--port", "26120", "--jobs", "1",
                static_cast<char*>(nullptr));
        std::_Exit(127);
    }
    remote::Endpoint e;
    e.port = 26120;
    e.timeout = std::chrono::milliseconds(20000);
    ASSERT_TRUE(eventually([&] {
        try {
            remote::Client(e).call("GET", "/v1/health");
            return true;
        } catch (const remote::RemoteError&) {
            return false;
        }
    }));
    auto created = remote::RemoteFactory::create(e, bundle_of("tone.dsp", gain_program));
    ASSERT_TRUE(created.ok());
    auto inst = created.factory->create_remote_instance();
    inst->start();
    inst->set_parameter(0, 0.3);
    ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
    try {
        inst->set_parameter(0, 0.4);
        FAIL() << "a set reached a killed server";
    } catch (const remote::RemoteError& err) {
        EXPECT_EQ(err.status(), 0);
        EXPECT_NE(std::string(err.what()).find("127.0.0.1:26120"), std::string::npos) << err.what();
    }
    EXPECT_THROW(remote::list_factories(e), remote::RemoteError);
    inst.reset(); // its destructor does not throw with the server gone
}

// ---- load: 8 clients at once and one program that runs out of time ----

TEST(ServeLoad, EightClientsAndOneThatExhaustsTheLimits) {
    // 3 workers; a 10 s limit per compilation (the bad program needs far more)
    Served s(26130, 3, 10);
    ASSERT_TRUE(s.started);
    struct Outcome {
        bool ok = false;
        std::string diagnostic;
        double ms = 0;
    };
    auto compile = [&](const std::string& name, const std::string& text) {
        const auto t0 = Clock::now();
        Outcome o;
        try {
            auto r = remote::RemoteFactory::create(s.endpoint, bundle_of(name, text));
            o.ok = r.ok();
            if (!r.ok() && !r.diagnostics.empty()) {
                o.diagnostic = r.diagnostics[0].id;
            }
        } catch (const remote::RemoteError& e) {
            o.diagnostic = e.what();
        }
        o.ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
        return o;
    };
    // the bad one first: it takes a worker for the whole limit
    auto bad = std::async(std::launch::async, [&] {
        return compile("slow.dsp", "process = sum(i, 3000000, sin(i*_));\n");
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    std::vector<std::future<Outcome>> good;
    for (int k = 0; k < 8; ++k) {
        good.push_back(std::async(std::launch::async, [&, k] {
            return compile("p" + std::to_string(k) + ".dsp",
                           "import(\"stdfaust.lib\");\nprocess = os.osc(" +
                               std::to_string(200 + 10 * k) +
                               ") * hslider(\"gain\", 0.5, 0, 1, 0.01);\n");
        }));
    }
    double slowest_good = 0;
    for (int k = 0; k < 8; ++k) {
        Outcome o = good[std::size_t(k)].get();
        std::printf("client %d: %s in %.0f ms\n", k, o.ok ? "compiled" : o.diagnostic.c_str(),
                    o.ms);
        EXPECT_TRUE(o.ok) << "client " << k << ": " << o.diagnostic;
        slowest_good = std::max(slowest_good, o.ms);
    }
    Outcome b = bad.get();
    std::printf("bad client: %s after %.0f ms\n", b.diagnostic.c_str(), b.ms);
    EXPECT_FALSE(b.ok);
    // whichever limit it reaches first (time on a loaded machine, memory on a quiet one)
    EXPECT_TRUE(b.diagnostic == "compile_time_limit" || b.diagnostic == "compile_memory_limit")
        << b.diagnostic;
    // none waited for the bad one to end
    EXPECT_LT(slowest_good, b.ms);
    rusage ru{};
    ::getrusage(RUSAGE_SELF, &ru);
    std::printf("peak RSS of the test process (server and clients): %.0f MiB\n",
                double(ru.ru_maxrss) / 1024.0);
    EXPECT_EQ(remote::list_factories(s.endpoint).size(), 8u);
    auto st = s.service->stats();
    EXPECT_EQ(st.compiled, 8u);
    EXPECT_EQ(st.failed, 1u);
}

// ---- compilations in child processes (serve/compile_worker.h) ----

/// A program whose compilation takes memory fast: 2^26 outputs, doubled from
/// one definition to the next (the 26th's signal list alone is 512 MiB).
std::string memory_hog() {
    std::string text = "b0 = _;\n";
    for (int i = 1; i <= 26; ++i) {
        text += "b" + std::to_string(i) + " = b" + std::to_string(i - 1) + ", b" +
                std::to_string(i - 1) + ";\n";
    }
    return text + "process = 1 <: b26;\n";
}

serve::ServiceOptions in_children(int jobs, double memory_mb, double max_seconds) {
    serve::ServiceOptions vo;
    vo.jobs = jobs;
    vo.max_seconds = max_seconds;
    vo.max_memory_bytes = std::uint64_t(memory_mb * double(1 << 20));
    vo.compile_worker = {tutti_binary(), "compile-worker"};
    return vo;
}

TEST(ServeChild, MemoryLimitEndsOneCompilationWhileAnotherCompiles) {
    test::Served s(30010, in_children(2, 256, 30));
    ASSERT_TRUE(s.started);
    auto bad = std::async(std::launch::async, [&] {
        return remote::RemoteFactory::create(s.endpoint, bundle_of("hog.dsp", memory_hog()));
    });
    // at the same time: a factory and machine code for a thin client, each
    // from a compiler process of its own
    const char* program = "import(\"stdfaust.lib\");\n"
                          "process = os.osc(440) * hslider(\"gain\", 0.5, 0, 1, 0.01) : "
                          "fi.lowpass(2, 2000);\n";
    auto made = remote::RemoteFactory::create(s.endpoint, bundle_of("tone.dsp", gain_program));
    ASSERT_TRUE(made.ok()) << (made.diagnostics.empty() ? "" : to_text(made.diagnostics[0]));
    EXPECT_EQ(made.factory->parameters().size(), 1u);
    remote::RemoteMachineCode m = remote::compile_machine_code(
        s.endpoint, bundle_of("thin.dsp", program), host_machine_target());
    ASSERT_TRUE(m.ok()) << (m.diagnostics.empty() ? m.refused : to_text(m.diagnostics[0]));
    std::string error;
    std::shared_ptr<const Factory> thin = load_machine_code(*m.code, &error);
    ASSERT_TRUE(thin) << error;
    CompileResult local = compile_source("thin.dsp", program);
    ASSERT_TRUE(local.ok());
    EXPECT_EQ(render(*thin, 1024), render(*local.factory, 1024));

    auto b = bad.get();
    ASSERT_FALSE(b.ok());
    ASSERT_FALSE(b.diagnostics.empty());
    EXPECT_EQ(b.diagnostics[0].id, "compile_memory_limit") << to_text(b.diagnostics[0]);
    EXPECT_EQ(b.diagnostics[0].file, "hog.dsp");
    EXPECT_GT(b.diagnostics[0].line, 1u); // the place being expanded, not the program's start
    EXPECT_NE(b.diagnostics[0].message.find("256.0 MiB"), std::string::npos)
        << b.diagnostics[0].message;
    // the server goes on: one more compilation, and its children are reaped
    auto after =
        remote::RemoteFactory::create(s.endpoint, bundle_of("after.dsp", "process = _ * 0.5;\n"));
    EXPECT_TRUE(after.ok());
    const serve::Service::Stats st = s.service->stats();
    EXPECT_EQ(st.spawned, 4u);
    EXPECT_EQ(st.children, 0u);
    EXPECT_EQ(st.failed, 1u);
    std::printf("compiler processes: %zu, the largest %.0f MiB (limit 256 MiB + the margin)\n",
                st.spawned, double(st.child_peak_rss_kb) / 1024.0);
    EXPECT_LT(st.child_peak_rss_kb, 1024L * 1024L); // bounded: far below what it asks for
    int status = 0;
    EXPECT_EQ(::waitpid(-1, &status, WNOHANG), -1); // no child left, no zombie
}

TEST(ServeLoad, EightClientsAndOneThatExhaustsMemoryEachInACompilerProcess) {
    // 3 workers, 512 MiB per compilation: the bad program asks for far more
    test::Served s(30020, in_children(3, 512, 30));
    ASSERT_TRUE(s.started);
    struct Outcome {
        bool ok = false;
        std::string diagnostic;
        double ms = 0;
    };
    auto compile = [&](const std::string& name, const std::string& text) {
        const auto t0 = Clock::now();
        Outcome o;
        try {
            auto r = remote::RemoteFactory::create(s.endpoint, bundle_of(name, text));
            o.ok = r.ok();
            if (!r.ok() && !r.diagnostics.empty()) {
                o.diagnostic = r.diagnostics[0].id;
            }
        } catch (const remote::RemoteError& e) {
            o.diagnostic = e.what();
        }
        o.ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
        return o;
    };
    auto bad = std::async(std::launch::async, [&] { return compile("hog.dsp", memory_hog()); });
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    std::vector<std::future<Outcome>> good;
    for (int k = 0; k < 8; ++k) {
        good.push_back(std::async(std::launch::async, [&, k] {
            return compile("p" + std::to_string(k) + ".dsp",
                           "import(\"stdfaust.lib\");\nprocess = os.osc(" +
                               std::to_string(200 + 10 * k) +
                               ") * hslider(\"gain\", 0.5, 0, 1, 0.01);\n");
        }));
    }
    for (int k = 0; k < 8; ++k) {
        Outcome o = good[std::size_t(k)].get();
        std::printf("client %d: %s in %.0f ms\n", k, o.ok ? "compiled" : o.diagnostic.c_str(),
                    o.ms);
        EXPECT_TRUE(o.ok) << "client " << k << ": " << o.diagnostic;
    }
    Outcome b = bad.get();
    std::printf("bad client: %s after %.0f ms\n", b.diagnostic.c_str(), b.ms);
    EXPECT_FALSE(b.ok);
    EXPECT_EQ(b.diagnostic, "compile_memory_limit");
    const serve::Service::Stats st = s.service->stats();
    EXPECT_EQ(st.compiled, 8u);
    EXPECT_EQ(st.failed, 1u);
    EXPECT_EQ(st.children, 0u);
    rusage ru{};
    ::getrusage(RUSAGE_SELF, &ru);
    std::printf("peak RSS: the test process (server and clients) %.0f MiB, the largest compiler "
                "process %.0f MiB\n",
                double(ru.ru_maxrss) / 1024.0, double(st.child_peak_rss_kb) / 1024.0);
    // the program's memory was its compiler process's, not the server's
    EXPECT_LT(ru.ru_maxrss, 400L * 1024L);
    EXPECT_LT(st.child_peak_rss_kb, 1536L * 1024L);
}

TEST(ServeChild, StoppingTheServerEndsItsCompilerProcesses) {
    auto service = std::make_unique<serve::Service>(in_children(1, 8192, 120));
    std::promise<serve::Reply> answer;
    service->compile(remote::encode_bundle(bundle_of("hog.dsp", memory_hog())), {},
                     [&](serve::Reply r) { answer.set_value(std::move(r)); });
    ASSERT_TRUE(eventually([&] { return service->stats().children == 1; }));
    std::this_thread::sleep_for(std::chrono::milliseconds(300)); // compiling
    const auto t0 = Clock::now();
    service.reset(); // kills the child, whose worker answers and ends
    EXPECT_LT(Clock::now() - t0, std::chrono::seconds(5));
    serve::Reply r = answer.get_future().get();
    EXPECT_EQ(r.status, 503) << r.body; // the server is stopping
    int status = 0;
    EXPECT_EQ(::waitpid(-1, &status, WNOHANG), -1); // reaped
}

} // namespace
