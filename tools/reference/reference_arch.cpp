// SPDX-License-Identifier: MIT
// Architecture file for the reference runner (tools/reference/reference_render.sh):
// `faust -a reference_arch.cpp` puts the generated class at <<includeclass>>.
// It drives the program exactly as `tutti render` does (same inputs, block
// size, button protocol and control overrides) and prints the samples as text:
// header lines starting with '#', then one line per frame: the frame index and
// every output, tab-separated, with %.17g (double) or %.9g (single).
// With -schedule it also computes the strict protocol's control schedule
// (support/test_schedule.h) from its own controls, with Faust's addresses
// (faust/gui/PathBuilder.h, as in `faust -json`), applies it, and prints every
// control ("# control KIND ADDRESS INIT MIN MAX STEP") and every change
// ("# set-at FRAME:ADDRESS=VALUE", %.17g) in the header, for `tutti render
// --set-at`.
// This is test tooling: it is compiled with g++ against the reference faust
// headers, never linked into tutti.
#include <algorithm>
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
#include "faust/gui/meta.h"
#include "faust/gui/Soundfile.h"
#include "support/test_schedule.h"
#include "support/test_signal.h"
#ifdef TUTTI_REFERENCE_SHORTNAMES
// Faust's own short names (its JSONUI, MapUI and OSC/HTTP use them), only in a
// build that names controls with --set: the header pulls in <regex>, too slow
// to compile into every one of the ~240 conformance builds.
#include "faust/gui/PathBuilder.h"
#endif

// The generated code uses this default sound when no file is loaded.
Soundfile* defaultsound = nullptr;
#ifdef TUTTI_REFERENCE_SOUNDFILES
// Programs with soundfiles (reference_render.sh defines this for them only, so
// that the other reference binaries keep their cache keys): the files are
// loaded by Faust's own SoundUI logic, with its LibsndfileReader, from the
// folders listed in TUTTI_REFERENCE_SOUND_DIRS (colon-separated).
#include <iostream>
#include <map>
#include "faust/gui/DecoratorUI.h"
#include "faust/gui/LibsndfileReader.h"
#include "faust/gui/SimpleParser.h"
struct SoundLoaderUI : GenericUI {
    LibsndfileReader reader;
    std::vector<std::string> dirs;
    bool is_double = false;
    void addSoundfile(const char*, const char* url, Soundfile** sf_zone) override {
        // SoundUI::addSoundfile
        const char* saved_url = url;
        std::vector<std::string> names;
        if (!parseMenuList2(url, names, true)) {
            names.push_back(saved_url);
        }
        Soundfile* s = reader.createSoundfile(reader.checkFiles(dirs, names), MAX_CHAN, is_double);
        *sf_zone = s != nullptr ? s : defaultsound;
    }
};
#endif

<<includeIntrinsic>>

<<includeclass>>

namespace {

namespace sched = tutti::test_schedule;

struct Control {
    std::string path;    // "/group/sub/label" (labels as given)
    std::string label;   // "label"
    std::string address; // Faust's address, as in `faust -json`
    FAUSTFLOAT* zone;
    bool is_button;
    sched::Kind kind;
    double init, min, max, step;
    std::string shortname = {}; // its short name (TUTTI_REFERENCE_SHORTNAMES builds only)
};

// Faust's address of a control (the rule of faust/gui/PathBuilder.h, used by
// `faust -json`): "/" + the group labels and the label joined by '/', with each
// of  #*,?[]{}() replaced by '_'. Written out here rather than including that
// header, which pulls <regex> into every one of the ~240 reference builds.
std::string faust_address(const std::vector<std::string>& groups, const char* label) {
    std::string a = "/";
    for (const auto& g : groups) {
        a += g + "/";
    }
    a += label;
    for (char& c : a) {
        if (std::strchr(" #*,?[]{}()", c) != nullptr) {
            c = '_';
        }
    }
    return a;
}

// Records every active control with its full path (groups joined by '/') and
// Faust's address.
struct RecordUI : UI {
    std::vector<std::string> groups;
    std::vector<Control> controls;

    std::string path_of(const char* label) const {
        std::string p;
        for (const auto& g : groups) {
            p += "/" + g;
        }
        return p + "/" + label;
    }
    void add(const char* label, FAUSTFLOAT* zone, sched::Kind kind, double init = 0, double min = 0,
             double max = 1, double step = 1) {
        controls.push_back({path_of(label), label, faust_address(groups, label), zone, kind == sched::Kind::Button, kind,
                            init, min, max, step});
    }
    void open(const char* label) { groups.push_back(label); }
    void openTabBox(const char* label) override { open(label); }
    void openHorizontalBox(const char* label) override { open(label); }
    void openVerticalBox(const char* label) override { open(label); }
    void closeBox() override { groups.pop_back(); }
    void addButton(const char* label, FAUSTFLOAT* zone) override { add(label, zone, sched::Kind::Button); }
    void addCheckButton(const char* label, FAUSTFLOAT* zone) override {
        add(label, zone, sched::Kind::Checkbox);
    }
    void addVerticalSlider(const char* label, FAUSTFLOAT* zone, FAUSTFLOAT init, FAUSTFLOAT min,
                           FAUSTFLOAT max, FAUSTFLOAT step) override {
        add(label, zone, sched::Kind::Slider, init, min, max, step);
    }
    void addHorizontalSlider(const char* label, FAUSTFLOAT* zone, FAUSTFLOAT init, FAUSTFLOAT min,
                             FAUSTFLOAT max, FAUSTFLOAT step) override {
        add(label, zone, sched::Kind::Slider, init, min, max, step);
    }
    void addNumEntry(const char* label, FAUSTFLOAT* zone, FAUSTFLOAT init, FAUSTFLOAT min, FAUSTFLOAT max,
                     FAUSTFLOAT step) override {
        add(label, zone, sched::Kind::Slider, init, min, max, step);
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

const char* kind_name(sched::Kind k) {
    switch (k) {
    case sched::Kind::Button:
        return "button";
    case sched::Kind::Checkbox:
        return "checkbox";
    case sched::Kind::Slider:
        break;
    }
    return "slider";
}

// Sets every control that `name` designates (address, path or label); false if none.
bool set_control(const std::vector<Control>& controls, const std::string& name, double value) {
    bool found = false;
    for (const auto& c : controls) {
        if (c.address == name || c.path == name || c.label == name || (!c.shortname.empty() && c.shortname == name)) {
            *c.zone = FAUSTFLOAT(value);
            found = true;
        }
    }
    return found;
}

void list_controls(const std::vector<Control>& controls) {
    for (const auto& c : controls) {
        std::fprintf(stderr, "  %s\n", c.address.c_str());
    }
}

} // namespace

int main(int argc, char** argv) {
    long frames = 20000;
    int rate = 44100, block = 64;
    long press = -1; // --press-buttons: frames before which buttons are held
    bool schedule = false;
    std::string input = "silence", program = "program";
    std::vector<std::pair<std::string, double>> sets;
    std::vector<sched::Change> changes; // -S FRAME:PATH=VALUE, then the schedule
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
        } else if (a == "-S") {
            std::string arg = next();
            std::size_t colon = arg.find(':'), eq = arg.rfind('=');
            if (colon == std::string::npos || eq == std::string::npos || eq < colon) {
                usage("-S takes FRAME:PATH=VALUE");
            }
            changes.push_back({std::atol(arg.substr(0, colon).c_str()), arg.substr(colon + 1, eq - colon - 1),
                               std::strtod(arg.c_str() + eq + 1, nullptr)});
        } else if (a == "-schedule") {
            schedule = true;
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
#ifdef TUTTI_REFERENCE_SHORTNAMES
    struct ShortNames : PathBuilder {
        void fill(std::vector<Control>& cs) {
            for (const auto& c : cs) {
                fFullPaths.push_back(c.address);
            }
            computeShortNames();
            for (auto& c : cs) {
                c.shortname = fFull2Short[c.address];
            }
        }
    } short_names;
    short_names.fill(ui.controls);
#endif
#ifdef TUTTI_REFERENCE_SOUNDFILES
    SoundLoaderUI sounds;
    sounds.is_double = is_double;
    if (const char* d = std::getenv("TUTTI_REFERENCE_SOUND_DIRS")) {
        std::string all = d;
        for (std::size_t b = 0, e; b <= all.size(); b = e + 1) {
            e = all.find(':', b);
            e = e == std::string::npos ? all.size() : e;
            if (e > b) {
                sounds.dirs.push_back(all.substr(b, e - b));
            }
        }
    }
    dsp.buildUserInterface(&sounds);
#endif
    dsp.init(rate);
    for (const auto& [name, value] : sets) {
        if (!set_control(ui.controls, name, value)) {
            std::fprintf(stderr, "reference runner: no control '%s'; controls are:\n", name.c_str());
            list_controls(ui.controls);
            return 2;
        }
    }
    if (schedule) {
        std::vector<sched::Control> cs;
        for (const auto& c : ui.controls) {
            cs.push_back({c.address, c.kind, c.init, c.min, c.max, c.step});
        }
        for (auto& ch : sched::schedule(cs, frames, block)) {
            changes.push_back(std::move(ch));
        }
    }
    std::stable_sort(changes.begin(), changes.end(),
                     [](const sched::Change& x, const sched::Change& y) { return x.frame < y.frame; });
    for (const auto& ch : changes) {
        bool found = false;
        for (const auto& c : ui.controls) {
            found = found || c.address == ch.address || c.path == ch.address || c.label == ch.address;
        }
        if (!found) {
            std::fprintf(stderr, "reference runner: no control '%s'; controls are:\n", ch.address.c_str());
            list_controls(ui.controls);
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
    } else if (input == "mix") {
        for (int c = 0; c < nin; ++c) {
            tutti::test_signal::fill_mix<FAUSTFLOAT>(c, frames, in[c].data());
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
    if (schedule) {
        for (const auto& c : ui.controls) {
            std::printf("# control %s %s %.17g %.17g %.17g %.17g\n", kind_name(c.kind), c.address.c_str(), c.init,
                        c.min, c.max, c.step);
        }
    }
    for (const auto& ch : changes) {
        std::printf("# set-at %ld:%s=%.17g\n", ch.frame, ch.address.c_str(), ch.value);
    }

    std::vector<std::vector<FAUSTFLOAT>> out(nout, std::vector<FAUSTFLOAT>(std::size_t(block)));
    std::vector<FAUSTFLOAT*> inp, outp;
    inp.resize(std::size_t(nin));
    outp.resize(std::size_t(nout));
    const char* fmt = is_double ? "\t%.17g" : "\t%.9g";
    std::size_t next_change = 0;
    for (long pos = 0; pos < frames; pos += block) {
        int n = int(std::min<long>(block, frames - pos));
        // Changes take effect at the first block boundary at or after their frame.
        while (next_change < changes.size() && changes[next_change].frame <= pos) {
            set_control(ui.controls, changes[next_change].address, changes[next_change].value);
            ++next_change;
        }
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
