// SPDX-License-Identifier: MIT
#include "render.h"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <memory>

namespace tutti::ir::test_support {

std::vector<int> varying_blocks(int frames) {
    static const int kSizes[] = {0, 1, 64, 7, 128, 2, 256, 3, 511, 13, 100, 1, 255, 32, 0, 97};
    std::vector<int> blocks;
    int total = 0;
    for (std::size_t i = 0; total < frames; ++i) {
        int b = kSizes[i % (sizeof kSizes / sizeof kSizes[0])];
        blocks.push_back(b);
        total += b;
    }
    return blocks;
}

namespace {

struct Rng {
    std::uint64_t s;
    std::uint64_t next() { // splitmix64
        std::uint64_t z = (s += 0x9e3779b97f4a7c15ull);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        return z ^ (z >> 31);
    }
    double uniform(double lo, double hi) {
        return lo + (hi - lo) * double(next() >> 11) * 0x1.0p-53;
    }
};

double special(Rng& r) {
    static const double kValues[] = {0.0,
                                     -0.0,
                                     1.0,
                                     -1.0,
                                     0.5,
                                     -0.5,
                                     2.5,
                                     -2.5,
                                     3.0,
                                     1e30,
                                     -1e30,
                                     1e300,
                                     std::numeric_limits<double>::infinity(),
                                     -std::numeric_limits<double>::infinity(),
                                     std::numeric_limits<double>::quiet_NaN(),
                                     -std::numeric_limits<double>::quiet_NaN(),
                                     std::numeric_limits<double>::denorm_min(),
                                     1e-40,
                                     -1e-42,
                                     2147483647.0,
                                     2147483648.0,
                                     -2147483648.0,
                                     -2147483649.0,
                                     4294967296.5};
    return kValues[r.next() % (sizeof kValues / sizeof kValues[0])];
}

} // namespace

std::vector<std::vector<double>> random_inputs(std::uint32_t channels, int frames,
                                               std::uint32_t seed, bool specials) {
    Rng r{seed * 0x2545f4914f6cdd1dull + 1};
    std::vector<std::vector<double>> in(channels, std::vector<double>(std::size_t(frames)));
    for (auto& ch : in) {
        for (double& x : ch) {
            if (!specials) {
                x = r.uniform(-1, 1);
                continue;
            }
            switch (r.next() % 10) {
            case 0:
            case 1:
            case 2:
            case 3:
                x = r.uniform(-1, 1);
                break;
            case 4:
                x = r.uniform(-100, 100);
                break;
            case 5:
                x = r.uniform(-1e6, 1e6);
                break;
            case 6:
                x = std::ldexp(r.uniform(-1, 1), -int(r.next() % 140));
                break;
            case 7:
                x = std::floor(r.uniform(-20, 20)) * 0.5;
                break;
            default:
                x = special(r);
                break;
            }
        }
    }
    return in;
}

namespace {

struct Aligned {
    explicit Aligned(std::size_t bytes)
        : data(new std::max_align_t[bytes / sizeof(std::max_align_t) + 1]) {
    }
    std::unique_ptr<std::max_align_t[]> data;
    void* get() {
        return data.get();
    }
};

} // namespace

Rendering render(const Executor& ex, Type real, std::uint32_t num_inputs, std::uint32_t num_outputs,
                 const Scenario& sc) {
    Rendering out;
    out.real = real;
    std::size_t size = type_size(real);
    Aligned state(ex.state_bytes);
    // Garbage, the same for every executor: a phase that forgets a field shows.
    std::memset(state.get(), 0xA5, ex.state_bytes);
    ex.init_constants(state.get(), sc.sample_rate);
    ex.reset_controls(state.get());
    ex.clear_state(state.get());

    int frames = 0;
    for (int b : sc.blocks) {
        frames += b;
    }
    // Whole-run buffers in the real type; each block passes pointers into them.
    std::vector<std::vector<unsigned char>> in(
        num_inputs, std::vector<unsigned char>(size * std::size_t(frames) + 1));
    std::vector<std::vector<unsigned char>> outb(
        num_outputs, std::vector<unsigned char>(size * std::size_t(frames) + 1, 0xEE));
    for (std::uint32_t c = 0; c < num_inputs; ++c) {
        for (int i = 0; i < frames; ++i) {
            double v = sc.inputs[c][std::size_t(i)];
            if (real == Type::F32) {
                auto f = static_cast<float>(v);
                std::memcpy(&in[c][size * std::size_t(i)], &f, size);
            } else {
                std::memcpy(&in[c][size * std::size_t(i)], &v, size);
            }
        }
    }
    std::vector<const void*> ins(num_inputs);
    std::vector<void*> outs(num_outputs);
    int pos = 0;
    for (std::size_t k = 0; k < sc.blocks.size(); ++k) {
        if (k < sc.controls.size() && ex.set_control) {
            ex.set_control(state.get(), sc.controls[k]);
        }
        for (std::uint32_t c = 0; c < num_inputs; ++c) {
            ins[c] = &in[c][size * std::size_t(pos)];
        }
        for (std::uint32_t c = 0; c < num_outputs; ++c) {
            outs[c] = &outb[c][size * std::size_t(pos)];
        }
        ex.compute(state.get(), sc.blocks[k], ins.data(), outs.data());
        pos += sc.blocks[k];
    }
    for (auto& o : outb) {
        o.pop_back(); // the extra byte that keeps .data() valid for 0 frames
    }
    out.outputs = std::move(outb);
    auto* p = static_cast<unsigned char*>(state.get());
    out.state.assign(p, p + ex.state_bytes);
    return out;
}

namespace {

std::string describe(const unsigned char* p, Type real) {
    char buf[96];
    if (real == Type::F32) {
        float f;
        std::uint32_t bits;
        std::memcpy(&f, p, 4);
        std::memcpy(&bits, p, 4);
        std::snprintf(buf, sizeof buf, "%.9g (0x%08x)", static_cast<double>(f), bits);
    } else {
        double d;
        std::uint64_t bits;
        std::memcpy(&d, p, 8);
        std::memcpy(&bits, p, 8);
        std::snprintf(buf, sizeof buf, "%.17g (0x%016llx)", d,
                      static_cast<unsigned long long>(bits));
    }
    return buf;
}

} // namespace

std::size_t Rendering::frames() const {
    return outputs.empty() ? 0 : outputs[0].size() / type_size(real);
}

double Rendering::sample(std::size_t c, std::size_t i) const {
    const unsigned char* p = &outputs[c][i * type_size(real)];
    if (real == Type::F32) {
        float f;
        std::memcpy(&f, p, 4);
        return static_cast<double>(f);
    }
    double d;
    std::memcpy(&d, p, 8);
    return d;
}

std::string compare(const Rendering& expected, const Rendering& actual) {
    std::string msg;
    if (expected.outputs.size() != actual.outputs.size()) {
        return "different numbers of outputs";
    }
    int shown = 0;
    std::size_t mismatches = 0;
    for (std::size_t c = 0; c < expected.outputs.size(); ++c) {
        const auto& e = expected.outputs[c];
        const auto& a = actual.outputs[c];
        if (e.size() != a.size()) {
            return "different lengths";
        }
        std::size_t size = type_size(expected.real);
        for (std::size_t i = 0; i + size <= e.size(); i += size) {
            if (std::memcmp(&e[i], &a[i], size) != 0) {
                ++mismatches;
                if (shown++ < 8) {
                    msg += "out" + std::to_string(c) + "[" + std::to_string(i / size) +
                           "]: expected " + describe(&e[i], expected.real) + ", got " +
                           describe(&a[i], expected.real) + "\n";
                }
            }
        }
    }
    if (!expected.state.empty() && !actual.state.empty()) {
        if (expected.state.size() != actual.state.size()) {
            msg += "state sizes differ\n";
        } else {
            for (std::size_t i = 0; i < expected.state.size(); ++i) {
                if (expected.state[i] != actual.state[i]) {
                    msg += "state byte " + std::to_string(i) + " differs\n";
                    break;
                }
            }
        }
    }
    if (mismatches > 0) {
        msg += std::to_string(mismatches) + " samples differ\n";
    }
    return msg;
}

void set_control_field(const Module& m, void* state, double value) {
    for (const Field& f : m.fields) {
        if (f.kind != FieldKind::Control) {
            continue;
        }
        char* p = static_cast<char*>(state) + f.offset;
        if (f.type == Type::F32) {
            auto v = static_cast<float>(value);
            std::memcpy(p, &v, 4);
        } else if (f.type == Type::F64) {
            std::memcpy(p, &value, 8);
        }
        return;
    }
}

Executor interpreter_executor(const Interpreter& in, const Module& m) {
    Executor ex;
    ex.state_bytes = m.state_bytes;
    ex.init_constants = [&in](void* s, int sr) { in.init_constants(s, sr); };
    ex.reset_controls = [&in](void* s) { in.reset_controls(s); };
    ex.clear_state = [&in](void* s) { in.clear_state(s); };
    ex.compute = [&in](void* s, int n, const void* const* i, void* const* o) {
        in.compute(s, n, i, o);
    };
    ex.set_control = [&m](void* s, double v) { set_control_field(m, s, v); };
    return ex;
}

} // namespace tutti::ir::test_support
