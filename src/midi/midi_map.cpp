// SPDX-License-Identifier: MIT
#include "midi/midi_map.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstdio>
#include <string>

namespace tutti::midi {

namespace {

/// Faust's Interpolator: x clipped into [lo, hi], mapped onto [v1, v2].
double interpolate(double lo, double hi, double v1, double v2, double x) {
    const double a = std::min(lo, hi), b = std::max(lo, hi);
    x = x < a ? a : (x > b ? b : x);
    if (hi == lo) {
        return (v1 + v2) / 2;
    }
    const double coef = (v2 - v1) / (hi - lo);
    return v1 - lo * coef + x * coef;
}

/// Parses "word", "word N" or "word N C" exactly (as sscanf with %u does, the
/// numbers may be followed by anything). Returns how many numbers were read,
/// -1 when `text` does not start with `word`.
int parse(const std::string& text, const char* word, unsigned* n, unsigned* c) {
    const std::string w = word;
    if (text.compare(0, w.size(), w) != 0) {
        return -1;
    }
    std::string rest = text.substr(w.size());
    if (rest.empty()) {
        return 0;
    }
    if (rest[0] != ' ' && rest[0] != '\t') {
        return -1;
    }
    return std::sscanf(rest.c_str(), "%u %u", n, c);
}

} // namespace

double MidiMap::convert(const Binding& b, double v) {
    switch (b.scale) {
    case Scale::Log: {
        const double lo = std::log(std::max(DBL_MIN, b.min)),
                     hi = std::log(std::max(DBL_MIN, b.max));
        return std::exp(interpolate(0, 127, lo, hi, v));
    }
    case Scale::Exp: {
        const double lo = std::min(DBL_MAX, std::exp(b.min)),
                     hi = std::min(DBL_MAX, std::exp(b.max));
        return std::log(interpolate(0, 127, lo, hi, v));
    }
    default:
        return interpolate(0, 127, b.min, b.max, v);
    }
}

double MidiMap::wheel(const Binding& b, double v) {
    return v < 8191 ? interpolate(0, 8191, b.low, b.mid, v)
                    : interpolate(8191, 16383, b.mid, b.high, v);
}

MidiMap::MidiMap(const Factory& factory, std::uint64_t generation)
    : generation_(generation), voices_(factory.info().voices) {
    const auto& params = factory.parameters();
    for (std::size_t i = 0; i < params.size(); ++i) {
        const Parameter& p = params[i];
        if (p.kind == Parameter::Kind::VBargraph || p.kind == Parameter::Kind::HBargraph) {
            continue; // outputs: no MIDI input
        }
        Binding base;
        base.index = std::uint32_t(i);
        const bool toggle =
            p.kind == Parameter::Kind::Button || p.kind == Parameter::Kind::Checkbox;
        base.min = toggle ? 0 : p.min;
        base.max = toggle ? 1 : p.max;
        for (const auto& [key, value] : p.metadata) {
            if (key == "scale") {
                base.scale = value == "log" ? Scale::Log : value == "exp" ? Scale::Exp : Scale::Lin;
            }
        }
        for (const auto& [key, value] : p.metadata) {
            if (key != "midi") {
                continue;
            }
            unsigned n = 0, c = 0;
            Binding b = base;
            auto with = [&](Kind kind, int read, bool numbered) {
                b.kind = kind;
                if (numbered) {
                    if (read < 1 || n > 127) {
                        return false;
                    }
                    b.number = std::uint8_t(n);
                    b.channel = read >= 2 && c <= 16 ? std::uint8_t(c) : 0;
                } else {
                    b.channel = read >= 1 && n <= 16 ? std::uint8_t(n) : 0;
                }
                return true;
            };
            int r;
            bool ok = false;
            if ((r = parse(value, "ctrl", &n, &c)) >= 0) {
                ok = with(Kind::Ctrl, r, true);
            } else if ((r = parse(value, "keyon", &n, &c)) >= 0) {
                ok = with(Kind::KeyOn, r, true);
            } else if ((r = parse(value, "keyoff", &n, &c)) >= 0) {
                ok = with(Kind::KeyOff, r, true);
            } else if ((r = parse(value, "keypress", &n, &c)) >= 0) {
                ok = with(Kind::KeyPress, r, true);
            } else if ((r = parse(value, "key", &n, &c)) >= 0) {
                ok = with(Kind::Key, r, true);
            } else if ((r = parse(value, "pgm", &n, &c)) >= 0) {
                ok = with(Kind::Pgm, r, false);
            } else if ((r = parse(value, "chanpress", &n, &c)) >= 0) {
                ok = with(Kind::ChanPress, r, false);
            } else if ((r = parse(value, "pitchwheel", &n, &c)) >= 0 ||
                       (r = parse(value, "pitchbend", &n, &c)) >= 0) {
                ok = with(Kind::PitchWheel, r, false);
                b.low = b.min;
                b.high = b.max;
                b.mid = (b.min <= 0 && b.max >= 0) ? 0.0 : b.min + (b.max - b.min) / 2;
            } else if (value == "start" || value == "stop" || value == "clock") {
                b.kind = value == "start"  ? Kind::Start
                         : value == "stop" ? Kind::Stop
                                           : Kind::Clock;
                ok = true;
            }
            if (ok) {
                bindings_.push_back(b);
            }
        }
    }
}

} // namespace tutti::midi
