// SPDX-License-Identifier: MIT
// The runtime's Factory/Instance interface on its own (no compiler linked): a
// factory made from a hand-written loop IR module, run by the interpreted
// implementation.
#include <gtest/gtest.h>

#include <array>
#include <vector>

#include "ir/builder.h"
#include "runtime/interpreted_factory.h"
#include "tutti/runtime.h"

namespace {

using namespace tutti;

/// process = _ * hslider("gain", 0.5, 0, 1, 0.01), in single precision.
std::shared_ptr<const Factory> gain_factory() {
    auto m = std::make_unique<ir::Module>();
    m->real = ir::Type::F32;
    m->num_inputs = 1;
    m->num_outputs = 1;
    ir::Builder b(*m);
    std::uint32_t gain = b.add_field("fHslider0", ir::Type::F32, 1, ir::FieldKind::Control);
    m->reset_controls.body.push_back(b.set_field(gain, nullptr, b.real(0.5)));
    m->compute.body.push_back(
        b.frame_loop({b.set_output(0, b.binary(ir::Op::Mul, b.input(0), b.field(gain)))}));
    ir::layout(*m);

    FactoryInfo info;
    info.name = "gain";
    info.inputs = 1;
    info.outputs = 1;
    Parameter p;
    p.kind = Parameter::Kind::HSlider;
    p.path = "/gain/gain";
    p.label = p.shortname = "gain";
    p.init = 0.5;
    p.max = 1;
    p.step = 0.01;
    p.offset = m->fields[gain].offset;
    info.parameters.push_back(p);
    info.ui = {{UiItem::Kind::OpenGroup, "vgroup", "gain", {}, 0},
               {UiItem::Kind::Widget, "", "", {}, 0},
               {UiItem::Kind::CloseGroup, "", "", {}, 0}};
    StateField f;
    f.name = "fHslider0";
    f.kind = StateKind::Control;
    f.type = ValueType::F32;
    f.identity.kind = StateIdentity::Kind::Control;
    f.identity.path = "/gain/gain";
    f.offset = p.offset;
    f.bytes = 4;
    info.state_layout.push_back(f);
    info.state_bytes = m->state_bytes;
    return runtime::make_interpreted_factory(std::move(info), std::move(m));
}

TEST(Runtime, AnInstanceKnowsTheFactoryThatMadeIt) {
    auto factory = gain_factory();
    auto a = factory->create_instance();
    auto b = factory->create_instance();
    EXPECT_EQ(&a->factory(), factory.get());
    EXPECT_EQ(&b->factory(), factory.get());
    EXPECT_STREQ(factory->implementation(), "interpreter");
    // the instance keeps its factory (and so the code) alive
    const Factory* raw = factory.get();
    factory.reset();
    EXPECT_EQ(&a->factory(), raw);
    a->init(48000);
    float in[3] = {1, 2, 4}, out[3] = {};
    const void* ins[] = {in};
    void* outs[] = {out};
    a->compute(3, ins, outs);
    EXPECT_EQ(out[2], 2.0f);
}

TEST(Runtime, ParametersAndStateThroughTheInterface) {
    auto factory = gain_factory();
    auto dsp = factory->create_instance();
    dsp->init(48000);
    EXPECT_EQ(dsp->get_parameter("gain"), 0.5);
    EXPECT_TRUE(dsp->set_parameter("/gain/gain", 0.25));
    EXPECT_FALSE(dsp->set_parameter("volume", 1));
    float in[2] = {1, 8}, out[2] = {};
    const void* ins[] = {in};
    void* outs[] = {out};
    dsp->compute(2, ins, outs);
    EXPECT_EQ(out[1], 2.0f);

    // the state block, copied out of one instance and into another
    std::vector<std::byte> block(factory->state_bytes());
    dsp->read_state(block);
    auto other = factory->create_instance();
    other->write_state(block);
    EXPECT_EQ(other->get_parameter(std::size_t(0)), 0.25);
    ASSERT_NE(dsp->state(), nullptr); // a local instance: its state is in this process
}

TEST(Runtime, TheUiTreeIsWalkedInOrder) {
    struct Recorder : UiVisitor {
        std::string log;
        void open_group(std::string_view type, std::string_view label,
                        const std::vector<std::pair<std::string, std::string>>&) override {
            log += "open " + std::string(type) + " " + std::string(label) + ";";
        }
        void close_group() override {
            log += "close;";
        }
        void widget(const Parameter& p, std::size_t index) override {
            log += "widget " + p.path + " " + std::to_string(index) + ";";
        }
    } r;
    gain_factory()->build_user_interface(r);
    EXPECT_EQ(r.log, "open vgroup gain;widget /gain/gain 0;close;");
}

TEST(Runtime, StateIdentitiesAreTyped) {
    StateIdentity a{StateIdentity::Kind::Delay, 0x12, 0xab, {}};
    StateIdentity b = a;
    EXPECT_EQ(a, b);
    EXPECT_EQ(StateIdentityHash{}(a), StateIdentityHash{}(b));
    b.kind = StateIdentity::Kind::Recursion;
    EXPECT_NE(a, b);
    EXPECT_EQ(to_string(a), "delay:0000000000000012:00000000000000ab");
    EXPECT_EQ(to_string(b), "rec:0000000000000012:00000000000000ab");
    EXPECT_EQ(to_string(StateIdentity{StateIdentity::Kind::Control, 0, 0, "/a/b"}), "control:/a/b");
    EXPECT_EQ(to_string(StateIdentity{}), "");
    EXPECT_TRUE(StateIdentity{}.empty());
    EXPECT_STREQ(to_string(StateKind::Recursion), "recursion");
    EXPECT_STREQ(to_string(ValueType::F64), "f64");
    EXPECT_EQ(size_of(ValueType::F64), 8u);
}

} // namespace
