// SPDX-License-Identifier: MIT
// Migration plans from two state layouts (engine/migration.h).
#include <gtest/gtest.h>

#include <cstddef>
#include <cstring>

#include "engine/migration.h"
#include "engine_harness.h"

namespace tutti::test {
namespace {

using engine::CopyStep;
using engine::plan_migration;

int count(const engine::MigrationPlan& p, FieldChange::Action a) {
    int n = 0;
    for (const FieldChange& c : p.changes) {
        n += c.action == a ? 1 : 0;
    }
    return n;
}

TEST(Migration, SameProgramCarriesEverythingAsBytes) {
    const std::string src =
        "import(\"stdfaust.lib\"); process = os.osc(hslider(\"f\", 440, 20, 2000, 1)) : "
        "de.delay(4096, 1000) : fi.lowpass(2, 1000);";
    auto a = compile(src), b = compile(src);
    ASSERT_TRUE(a && b);
    engine::MigrationPlan p = plan_migration(*a, *b, {}, {});
    EXPECT_FALSE(p.crossfade);
    EXPECT_EQ(p.reset, 0);
    EXPECT_EQ(p.dropped, 0);
    EXPECT_GT(p.carried, 3);
    for (const CopyStep& s : p.steps) {
        EXPECT_TRUE(s.op == CopyStep::Op::Bytes || s.op == CopyStep::Op::Control);
    }
    ASSERT_EQ(p.parameter_map.size(), 1u);
    EXPECT_EQ(p.parameter_map[0], 0);
    ASSERT_GE(p.src_iota, 0); // the 4096 line is a ring
    ASSERT_GE(p.dst_iota, 0);
    EXPECT_EQ(p.steps.front().dst_offset, std::uint32_t(p.dst_iota)); // the ring index goes first
}

TEST(Migration, TablesAreKeptOrRebuiltByContent) {
    auto a = compile("import(\"stdfaust.lib\"); process = os.osc(440);");
    auto b = compile("import(\"stdfaust.lib\"); process = os.osc(440) * 0.5;");
    ASSERT_TRUE(a && b);
    auto ia = a->create_instance(), ib = b->create_instance();
    ia->init(44100);
    ib->init(44100);
    engine::MigrationPlan p = plan_migration(*a, *b, engine::table_digests(*a, ia->state()),
                                             engine::table_digests(*b, ib->state()));
    EXPECT_EQ(count(p, FieldChange::Action::Kept), 1);
    EXPECT_EQ(count(p, FieldChange::Action::Rebuilt), 0);
    EXPECT_FALSE(p.crossfade);
    engine::MigrationPlan unknown = plan_migration(*a, *b, {}, {});
    EXPECT_EQ(count(unknown, FieldChange::Action::Rebuilt), 1);
}

TEST(Migration, ARecursionThatMovedIsFoundByItsShape) {
    auto a = compile("process = +(0.001) ~ _;");
    auto b = compile("import(\"stdfaust.lib\"); process = (+(0.001) ~ _) : fi.lowpass(1, 1000);");
    ASSERT_TRUE(a && b);
    engine::MigrationPlan p = plan_migration(*a, *b, {}, {});
    EXPECT_EQ(count(p, FieldChange::Action::Moved), 1);
    EXPECT_GE(p.reset, 1); // the new filter
    EXPECT_TRUE(p.crossfade);
    EXPECT_EQ(p.dropped, 0);
}

TEST(Migration, RemovedStateIsDroppedAndCrossfades) {
    auto a = compile("import(\"stdfaust.lib\"); process = no.noise : fi.lowpass(2, 1000);");
    auto b = compile("import(\"stdfaust.lib\"); process = no.noise;");
    ASSERT_TRUE(a && b);
    engine::MigrationPlan p = plan_migration(*a, *b, {}, {});
    EXPECT_GT(p.dropped, 0);
    EXPECT_TRUE(p.crossfade);
}

} // namespace
} // namespace tutti::test

namespace tutti::test {
namespace {

/// Runs `frames` frames of noise through an instance (double precision).
void run_noise(Instance& in, int inputs, int outputs, int frames) {
    std::vector<std::vector<double>> ib(std::size_t(std::max(inputs, 1)), std::vector<double>(64));
    std::vector<std::vector<double>> ob(std::size_t(std::max(outputs, 1)), std::vector<double>(64));
    std::vector<const void*> ip;
    std::vector<void*> op;
    ip.reserve(ib.size());
    for (auto& c : ib) {
        ip.push_back(c.data());
    }
    op.reserve(ob.size());
    for (auto& c : ob) {
        op.push_back(c.data());
    }
    std::uint32_t seed = 12345;
    for (int pos = 0; pos < frames; pos += 64) {
        for (auto& c : ib) {
            for (double& x : c) {
                seed = seed * 1103515245u + 12345u;
                x = double(std::int32_t(seed)) / 2147483648.0;
            }
        }
        in.compute(64, ip.data(), op.data());
    }
}

// The check of carried state (EngineOptions::check_migrations) can fail: a wrong
// sample in a carried line, a ring index out of step, a field reported carried
// without a copy are each found.
TEST(MigrationCheck, FindsWrongContentAndClaimsWithoutCopy) {
    auto a = compile("import(\"stdfaust.lib\"); process = _ : de.delay(4800, 2400);");
    auto b = compile(
        "import(\"stdfaust.lib\"); process = _ : fi.lowpass(1, 5000) : de.delay(4800, 2400);");
    ASSERT_TRUE(a && b);
    auto ia = a->create_instance(), ib = b->create_instance();
    ia->init(44100);
    ib->init(44100);
    run_noise(*ia, 1, 1, 6400);
    engine::MigrationPlan p = plan_migration(*a, *b, {}, {});
    engine::apply_migration(p, ia->state(), ib->state());
    std::vector<std::byte> from(ia->state(), ia->state() + a->state_bytes());
    std::vector<std::byte> to(ib->state(), ib->state() + b->state_bytes());
    EXPECT_TRUE(engine::verify_migration(p, *b, from.data(), to.data()).empty());

    // one sample of the carried line changed: found, with its age
    const engine::CopyStep* line = nullptr;
    for (const auto& s : p.steps) {
        if (s.dst_count > 4000) {
            line = &s;
        }
    }
    ASSERT_NE(line, nullptr);
    std::vector<std::byte> bad = to;
    double x;
    std::memcpy(&x, bad.data() + line->dst_offset + std::size_t(8) * 100, 8);
    x += 1;
    std::memcpy(bad.data() + line->dst_offset + std::size_t(8) * 100, &x, 8);
    auto errors = engine::verify_migration(p, *b, from.data(), bad.data());
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_NE(errors[0].find("samples ago"), std::string::npos) << errors[0];

    // the ring index of the new version one step off: every age is off
    bad = to;
    std::int32_t iota;
    std::memcpy(&iota, bad.data() + p.dst_iota, 4);
    ++iota;
    std::memcpy(bad.data() + p.dst_iota, &iota, 4);
    EXPECT_FALSE(engine::verify_migration(p, *b, from.data(), bad.data()).empty());

    // a step taken out of the plan: the field it filled is still reported carried
    engine::MigrationPlan lying = p;
    lying.steps.erase(lying.steps.begin() + (line - p.steps.data()));
    errors = engine::verify_migration(lying, *b, from.data(), to.data());
    ASSERT_FALSE(errors.empty());
    EXPECT_NE(errors.back().find("nothing was copied"), std::string::npos) << errors.back();
}

} // namespace
} // namespace tutti::test
