// SPDX-License-Identifier: MIT
// Architecture file for the reference runner (tools/reference/reference_render.sh):
// `faust -a reference_arch.cpp` puts the generated class at <<includeclass>>.
// It drives the program exactly as `tutti render` does (same inputs, block
// size, button protocol and control overrides) and prints the samples as text:
// header lines starting with '#', then one line per frame: the frame index and
// every output, tab-separated, with %.17g (double) or %.9g (single).
// This is test tooling: it is compiled with g++ against the reference faust
// headers, never linked into tutti.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include <sndfile.h>

#include "faust/dsp/dsp.h"
#include "faust/gui/UI.h"
#include "faust/gui/PathBuilder.h"
#include "faust/gui/meta.h"
#include "faust/gui/Soundfile.h"
#include "support/test_signal.h"

// The generated code uses this default sound when no file is loaded.
Soundfile* defaultsound = nullptr;

<<includeIntrinsic>>

<<includeclass>>

namespace {

struct Control {
    std::string path;      // Faust's address: "/group/sub/label", ` #*,?[]{}()` replaced by '_'
    std::string label;     // "label"
    std::string shortname; // the shortest unique suffix of the address
    FAUSTFLOAT* zone;
    bool is_button;
};

// Records every active control with its address and short name, computed by
// Faust's own PathBuilder (as its JSONUI, MapUI and OSC/HTTP interfaces do), so
// that --set names controls exactly as `faust -json` does.
struct RecordUI : UI, PathBuilder {
    std::vector<Control> controls;

    void add(const char* label, FAUSTFLOAT* zone, bool button) {
        std::string path = buildPath(label);
        fFullPaths.push_back(path);
        controls.push_back({path, label, "", zone, button});
    }
    void openTabBox(const char* label) override { pushLabel(label); }
    void openHorizontalBox(const char* label) override { pushLabel(label); }
    void openVerticalBox(const char* label) override { pushLabel(label); }
    void closeBox() override {
        if (popLabel()) {
            computeShortNames();
            for (auto& c : controls) {
                c.shortname = fFull2Short[c.path];
            }
        }
    }
    void addButton(const char* label, FAUSTFLOAT* zone) override { add(label, zone, true); }
    void addCheckButton(const char* label, FAUSTFLOAT* zone) override { add(label, zone, false); }
    void addVerticalSlider(const char* label, FAUSTFLOAT* zone, FAUSTFLOAT, FAUSTFLOAT, FAUSTFLOAT,
                           FAUSTFLOAT) override {
        add(label, zone, false);
    }
    void addHorizontalSlider(const char* label, FAUSTFLOAT* zone, FAUSTFLOAT, FAUSTFLOAT,
                             FAUSTFLOAT, FAUSTFLOAT) override {
        add(label, zone, false);
    }
    void addNumEntry(const char* label, FAUSTFLOAT* zone, FAUSTFLOAT, FAUSTFLOAT, FAUSTFLOAT,
                     FAUSTFLOAT) override {
        add(label, zone, false);
    }
    void addHorizontalBargraph(const char*, FAUSTFLOAT*, FAUSTFLOAT, FAUSTFLOAT) override {}
    void addVerticalBargraph(const char*, FAUSTFLOAT*, FAUSTFLOAT, FAUSTFLOAT) override {}
    void addSoundfile(const char*, const char*, Soundfile** sf_zone) override { *sf_zone = defaultsound; }
    void declare(FAUSTFLOAT*, const char*, const char*) override {}
};

struct NoMeta : Meta {
    void declare(const char*, const char*) override {}
};

// A silent sound, as Faust's SoundUI gives for a file it cannot load:
// 1024 frames at 44100 Hz in every part.
Soundfile* silent_sound(bool is_double) {
    const int frames = 1024;
    Soundfile* s = new Soundfile(MAX_CHAN, frames, MAX_CHAN, 1, is_double);
    for (int part = 0; part < MAX_SOUNDFILE_PARTS; ++part) {
        s->fLength[part] = frames;
        s->fSR[part] = 44100;
        s->fOffset[part] = 0;
    }
    return s;
}

[[noreturn]] void usage(const char* msg) {
    std::fprintf(stderr, "reference runner: %s\n", msg);
    std::exit(2);
}

} // namespace

int main(int argc, char** argv) {
    long frames = 20000;
    int rate = 44100, block = 64;
    long press = -1; // --press-buttons: frames before which buttons are held
    std::string input = "silence", program = "program";
    std::vector<std::pair<std::string, double>> sets;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        auto next = [&]() -> std::string {
            if (i + 1 >= argc) {
                usage(("missing value after " + a).c_str());
            }
            return argv[++i];
        };
        if (a == "-n") {
            frames = std::atol(next().c_str());
        } else if (a == "-r") {
            rate = std::atoi(next().c_str());
        } else if (a == "-b") {
            block = std::atoi(next().c_str());
        } else if (a == "-i") {
            input = next();
        } else if (a == "-p") {
            press = std::atol(next().c_str());
        } else if (a == "-name") {
            program = next();
        } else if (a == "-s") {
            std::string kv = next();
            std::size_t eq = kv.rfind('=');
            if (eq == std::string::npos) {
                usage("--set takes PATH=VALUE");
            }
            sets.emplace_back(kv.substr(0, eq), std::atof(kv.substr(eq + 1).c_str()));
        } else {
            usage(("unknown option " + a).c_str());
        }
    }
    if (block <= 0 || frames < 0 || rate <= 0) {
        usage("bad frames, rate or block");
    }
    const bool is_double = sizeof(FAUSTFLOAT) == sizeof(double);
    defaultsound = silent_sound(is_double);

    // On the heap: some programs hold megabytes of delay lines (2^20 samples).
    std::unique_ptr<mydsp> owner(new mydsp());
    mydsp& dsp = *owner;
    RecordUI ui;
    dsp.buildUserInterface(&ui);
    dsp.init(rate);
    for (const auto& [name, value] : sets) {
        bool found = false;
        for (const auto& c : ui.controls) {
            if (c.path == name || c.shortname == name || c.label == name) {
                *c.zone = FAUSTFLOAT(value);
                found = true;
            }
        }
        if (!found) {
            std::fprintf(stderr, "reference runner: no control '%s'; controls are:\n", name.c_str());
            for (const auto& c : ui.controls) {
                std::fprintf(stderr, "  %s\n", c.path.c_str());
            }
            return 2;
        }
    }

    const int nin = dsp.getNumInputs(), nout = dsp.getNumOutputs();
    // Input signal for the whole run, one channel after the other.
    std::vector<std::vector<FAUSTFLOAT>> in(nin, std::vector<FAUSTFLOAT>(std::size_t(frames) + 1, 0));
    if (input == "impulse") {
        for (auto& ch : in) {
            ch[0] = 1;
        }
    } else if (input == "noise") {
        for (int c = 0; c < nin; ++c) {
            std::uint32_t st = tutti::test_signal::noise_seed(c);
            for (long n = 0; n < frames; ++n) {
                in[c][n] = FAUSTFLOAT(tutti::test_signal::next_noise(st));
            }
        }
    } else if (input != "silence") {
        SF_INFO info{};
        SNDFILE* f = sf_open(input.c_str(), SFM_READ, &info);
        if (f == nullptr) {
            usage(("cannot read input " + input).c_str());
        }
        std::vector<double> buf(std::size_t(info.channels) * std::size_t(frames), 0.0);
        sf_count_t got = sf_readf_double(f, buf.data(), frames);
        sf_close(f);
        for (int c = 0; c < nin; ++c) {
            int src = info.channels > 0 ? c % info.channels : 0;
            for (long n = 0; n < got; ++n) {
                in[c][n] = FAUSTFLOAT(buf[std::size_t(n) * std::size_t(info.channels) + std::size_t(src)]);
            }
        }
    }

    std::printf("# tutti reference runner: faust %s\n", is_double ? "-double" : "-single");
    std::printf("# program: %s\n# sample_rate: %d\n# block: %d\n# input: %s\n", program.c_str(),
                rate, block, input.c_str());
    std::printf("# inputs: %d\n# outputs: %d\n# frames: %ld\n", nin, nout, frames);

    std::vector<std::vector<FAUSTFLOAT>> out(nout, std::vector<FAUSTFLOAT>(std::size_t(block)));
    std::vector<FAUSTFLOAT*> inp, outp;
    inp.resize(std::size_t(nin));
    outp.resize(std::size_t(nout));
    const char* fmt = is_double ? "\t%.17g" : "\t%.9g";
    for (long pos = 0; pos < frames; pos += block) {
        int n = int(std::min<long>(block, frames - pos));
        if (press >= 0) {
            for (const auto& c : ui.controls) {
                if (c.is_button) {
                    *c.zone = FAUSTFLOAT(pos < press ? 1 : 0);
                }
            }
        }
        for (int c = 0; c < nin; ++c) {
            inp[c] = in[c].data() + pos;
        }
        for (int c = 0; c < nout; ++c) {
            outp[c] = out[c].data();
        }
        dsp.compute(n, inp.data(), outp.data());
        for (int k = 0; k < n; ++k) {
            std::printf("%ld", pos + k);
            for (int c = 0; c < nout; ++c) {
                std::printf(fmt, double(out[c][k]));
            }
            std::printf("\n");
        }
    }
    return 0;
}
