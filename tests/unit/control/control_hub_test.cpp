// SPDX-License-Identifier: MIT
/** \file
 * The control hub's feedback and UI tracking (src/control/control_hub.h): a
 * subscriber gets every value first, then only the changes (controls and
 * bargraphs); a swap to a version with another UI rebuilds the address space
 * and calls the UI listeners, a swap to one with the same UI only moves the
 * live values to the new version. This thread plays the audio thread.
 */
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

#include "control/control_hub.h"
#include "tutti/compiler.h"

namespace tutti::control {
namespace {

using namespace std::chrono_literals;

std::shared_ptr<const Factory> compile(const std::string& src) {
    CompileOptions o;
    o.backend = Backend::Interpreter;
    CompileResult r = compile_source("hub.dsp", src, o);
    EXPECT_TRUE(r.ok());
    return r.factory;
}

const char* v1 = "process = hslider(\"gain\", 0.5, 0, 1, 0.01) * hslider(\"freq\", 440, 20, "
                 "2000, 1) : hbargraph(\"level\", 0, 2000);";
const char* v2 = "process = hslider(\"gain\", 0.5, 0, 1, 0.01) * hslider(\"freq\", 440, 20, "
                 "2000, 1) * hslider(\"more\", 1, 0, 2, 0.1) : hbargraph(\"level\", 0, 4000);";

struct Collector {
    std::mutex m;
    std::condition_variable cv;
    std::vector<Feedback> got;
    void operator()(const Feedback& fb) {
        std::lock_guard<std::mutex> lock(m);
        got.push_back(fb);
        cv.notify_all();
    }
    /// Waits for a batch after the first `after`, playing blocks meanwhile.
    bool wait(std::size_t after, Engine& e, std::chrono::milliseconds limit = 2000ms) {
        auto end = std::chrono::steady_clock::now() + limit;
        float out[64];
        void* outs[1] = {out};
        while (std::chrono::steady_clock::now() < end) {
            e.process(64, nullptr, outs);
            std::unique_lock<std::mutex> lock(m);
            if (cv.wait_for(lock, 5ms, [&] { return got.size() > after; })) {
                return true;
            }
        }
        return false;
    }
};

TEST(ControlHubFeedback, FirstEverythingThenOnlyChanges) {
    EngineOptions eo;
    eo.outputs = 1;
    Engine e(eo);
    e.submit(compile(v1), "hub");
    ControlHub hub;
    hub.add_program(e, "hub");
    auto c = std::make_shared<Collector>();
    int id = hub.subscribe(100, [c](const Feedback& fb) { (*c)(fb); });
    ASSERT_TRUE(c->wait(0, e));
    {
        std::lock_guard<std::mutex> lock(c->m);
        EXPECT_EQ(c->got[0].changes.size(), 3u); // gain, freq, level
    }
    // Nothing changes: nothing is sent (the level stays 220).
    std::size_t n;
    {
        std::lock_guard<std::mutex> lock(c->m);
        n = c->got.size();
    }
    EXPECT_FALSE(c->wait(n, e, 100ms));
    EXPECT_EQ(hub.set("freq", 1000), 1);
    ASSERT_TRUE(c->wait(n, e));
    {
        std::lock_guard<std::mutex> lock(c->m);
        const Feedback& fb = c->got[n];
        const auto& ps = fb.snapshot->programs[0].space->parameters();
        std::map<std::string, double> seen;
        for (const ValueChange& v : fb.changes) {
            seen[ps[v.parameter].label] = v.value;
        }
        EXPECT_EQ(seen.size(), 2u); // freq and the level it moved, not gain
        EXPECT_EQ(seen["freq"], 1000);
        EXPECT_EQ(seen["level"], 500);
    }
    hub.unsubscribe(id);
}

TEST(ControlHubFeedback, SwapsRebuildTheAddressSpaceOnlyWhenTheUiChanges) {
    EngineOptions eo;
    eo.outputs = 1;
    Engine e(eo);
    e.submit(compile(v1), "hub");
    ControlHub hub;
    hub.add_program(e, "hub");
    std::mutex m;
    std::vector<std::size_t> ui_calls;
    hub.add_ui_listener([&](const Snapshot&, std::size_t i) {
        std::lock_guard<std::mutex> lock(m);
        ui_calls.push_back(i);
    });
    float out[64];
    void* outs[1] = {out};
    auto play_until = [&](auto pred) {
        for (int k = 0; k < 400 && !pred(); ++k) {
            e.process(64, nullptr, outs);
            std::this_thread::sleep_for(5ms);
        }
        return pred();
    };
    ASSERT_TRUE(play_until([&] { return hub.snapshot()->programs[0].ui.generation == 1; }));
    auto space1 = hub.snapshot()->programs[0].space;
    EXPECT_TRUE(space1->resolve("more").empty());
    // The same UI again: new generation, same address space, no UI call.
    std::uint64_t g2 = e.submit(compile(v1), "hub");
    ASSERT_TRUE(play_until([&] { return hub.snapshot()->programs[0].ui.generation == g2; }));
    EXPECT_EQ(hub.snapshot()->programs[0].space, space1);
    // Another UI: a new address space with the new control, and a UI call.
    std::uint64_t g3 = e.submit(compile(v2), "hub");
    ASSERT_TRUE(play_until([&] { return hub.snapshot()->programs[0].ui.generation == g3; }));
    auto s = hub.snapshot();
    EXPECT_NE(s->programs[0].space, space1);
    EXPECT_EQ(s->programs[0].space->resolve("more").size(), 1u);
    EXPECT_EQ(hub.set("more", 2), 1);
    EXPECT_TRUE(play_until([&] { return e.control_value("more").value_or(0) == 2; }));
    std::lock_guard<std::mutex> lock(m);
    EXPECT_EQ(ui_calls.size(), 1u);
}

} // namespace
} // namespace tutti::control

TEST(ControlHubStatus, ReadOnlyValuesByAddressAndPrefix) {
    tutti::control::ControlHub hub;
    int calls = 0;
    const int id = hub.add_status([&calls](std::vector<tutti::control::StatusEntry>& out) {
        ++calls;
        out.push_back({"/tutti/netjack/lost", 2, "", false});
        out.push_back({"/tutti/netjack/peer", 0, "b", true});
        out.push_back({"/tutti/netjackx", 1, "", false});
    });
    EXPECT_EQ(hub.status("/tutti/netjack").size(), 2u); // not /tutti/netjackx
    EXPECT_EQ(hub.status("/tutti/netjack/").size(), 2u);
    EXPECT_EQ(hub.status("/tutti").size(), 3u);
    ASSERT_EQ(hub.status("/tutti/netjack/peer").size(), 1u);
    EXPECT_EQ(hub.status("/tutti/netjack/peer")[0].text, "b");
    EXPECT_TRUE(hub.status("/tutti/net").empty());
    EXPECT_TRUE(hub.status("").empty());
    hub.remove_status(id);
    const int before = calls;
    EXPECT_TRUE(hub.status("/tutti").empty());
    EXPECT_EQ(calls, before);
}
