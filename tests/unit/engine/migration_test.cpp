// SPDX-License-Identifier: MIT
// Migration plans from two state layouts (engine/migration.h).
#include <gtest/gtest.h>

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
    const std::string src = "import(\"stdfaust.lib\"); process = os.osc(hslider(\"f\", 440, 20, 2000, 1)) : "
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
