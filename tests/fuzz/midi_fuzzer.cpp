// SPDX-License-Identifier: MIT
/** \file
 * libFuzzer target for MIDI input (src/midi): any byte string is cut into
 * events (each input byte below 0x10 at an event's start gives the next
 * event's length, as a driver's events of any size) and decoded with the
 * decoder's state carried across events; every message goes through the
 * bindings of a program with every kind of [midi:...] metadata and polyphony.
 * Traps when a value leaves its control's range or is not finite, when a
 * message is malformed, or when a note's key or velocity is out of 0..127.
 */
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "fuzz_target.h"
#include "midi/midi_decoder.h"
#include "midi/midi_map.h"

namespace {

class FakeFactory final : public tutti::Factory {
public:
    explicit FakeFactory(tutti::FactoryInfo info) : Factory(std::move(info)) {
    }
    const char* implementation() const override {
        return "fuzz";
    }

protected:
    std::unique_ptr<tutti::Instance> make_instance(std::shared_ptr<const Factory>) const override {
        return nullptr;
    }
};

std::shared_ptr<const tutti::Factory> program() {
    tutti::FactoryInfo info;
    info.voices = 4;
    struct P {
        tutti::Parameter::Kind kind;
        const char* midi;
        const char* scale;
        double min, max;
    };
    const P ps[] = {
        {tutti::Parameter::Kind::HSlider, "ctrl 7", "", 0, 1},
        {tutti::Parameter::Kind::HSlider, "ctrl 1 2", "log", 20, 20000},
        {tutti::Parameter::Kind::HSlider, "ctrl 2", "exp", -1, 3},
        {tutti::Parameter::Kind::Button, "keyon 60", "", 0, 1},
        {tutti::Parameter::Kind::Checkbox, "keyoff 61 1", "", 0, 1},
        {tutti::Parameter::Kind::VSlider, "key 62", "", -5, 5},
        {tutti::Parameter::Kind::NEntry, "keypress 60", "", 0, 127},
        {tutti::Parameter::Kind::NEntry, "pgm", "", 2, 9},
        {tutti::Parameter::Kind::HSlider, "chanpress 3", "", 0, 10},
        {tutti::Parameter::Kind::HSlider, "pitchwheel", "", -2, 2},
        {tutti::Parameter::Kind::HSlider, "pitchbend 1", "", 100, 200},
        {tutti::Parameter::Kind::HSlider, "ctrl 999", "", 0, 1},
        {tutti::Parameter::Kind::Checkbox, "start", "", 0, 1},
        {tutti::Parameter::Kind::Checkbox, "stop", "", 0, 1},
        {tutti::Parameter::Kind::Button, "clock", "", 0, 1},
        {tutti::Parameter::Kind::HBargraph, "ctrl 7", "", 0, 1},
    };
    for (const P& p : ps) {
        tutti::Parameter q;
        q.kind = p.kind;
        q.path = "/p/" + std::string(p.midi);
        q.label = p.midi;
        q.metadata.emplace_back("midi", p.midi);
        if (*p.scale != 0) {
            q.metadata.emplace_back("scale", p.scale);
        }
        q.min = p.min;
        q.max = p.max;
        info.parameters.push_back(q);
    }
    return std::make_shared<FakeFactory>(std::move(info));
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size > 65536) {
        return -1;
    }
    static const std::shared_ptr<const tutti::Factory> factory = program();
    tutti::midi::MidiMap map(*factory, 1);
    tutti::midi::MidiDecoder decoder;
    const auto& params = factory->parameters();
    auto check = [&](const tutti::ParameterChange& c) {
        if (c.is_note) {
            if (c.note.key > 127 || c.note.velocity > 127 || c.note.channel > 15) {
                __builtin_trap();
            }
            return;
        }
        if (c.index >= params.size() || !std::isfinite(c.value)) {
            __builtin_trap();
        }
        const tutti::Parameter& p = params[c.index];
        double lo = p.min, hi = p.max;
        if (p.label == std::string("pitchwheel") || p.label == std::string("pitchbend 1")) {
            lo = std::min(lo, -128.0); // the bend range RPN widens it
            hi = std::max(hi, 128.0);
        }
        if (c.value < lo - 1e-9 || c.value > hi + 1e-9) {
            __builtin_trap();
        }
    };
    std::size_t i = 0;
    while (i < size) {
        std::size_t n = size - i;
        if (data[i] < 0x10) { // a length byte
            n = std::min<std::size_t>(data[i] + 1, size - i - 1);
            ++i;
        }
        decoder.feed(data + i, n, [&](const tutti::midi::MidiMessage& m) {
            if (m.channel > 15 || m.data1 > 127 || m.data2 > 127 || m.value > 16383) {
                __builtin_trap();
            }
            map.apply(m, std::int64_t(i), check);
        });
        i += n;
    }
    return 0;
}
