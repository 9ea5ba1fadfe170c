// SPDX-License-Identifier: MIT
/** \file
 * A Faust `dsp` (libfaust's JIT instance, or the class faust -lang cpp wrote)
 * seen as the harness's bench::Dsp: its controls in UI order, as faust's
 * buildUserInterface walks them (bargraphs and soundfiles left out).
 * Include after <faust/dsp/dsp.h> and <faust/gui/UI.h>.
 */
#pragma once

#include "apps/tutti/bench_harness.h"

namespace tutti::bench {

class CollectUI : public ::UI {
public:
    explicit CollectUI(std::vector<Control>& out) : out_(out) {
    }
    void openTabBox(const char*) override {
    }
    void openHorizontalBox(const char*) override {
    }
    void openVerticalBox(const char*) override {
    }
    void closeBox() override {
    }
    void addButton(const char*, FAUSTFLOAT* zone) override {
        add(true, zone, 0, 1);
    }
    void addCheckButton(const char*, FAUSTFLOAT* zone) override {
        add(true, zone, 0, 1);
    }
    void addVerticalSlider(const char*, FAUSTFLOAT* zone, FAUSTFLOAT, FAUSTFLOAT min,
                           FAUSTFLOAT max, FAUSTFLOAT) override {
        add(false, zone, min, max);
    }
    void addHorizontalSlider(const char*, FAUSTFLOAT* zone, FAUSTFLOAT, FAUSTFLOAT min,
                             FAUSTFLOAT max, FAUSTFLOAT) override {
        add(false, zone, min, max);
    }
    void addNumEntry(const char*, FAUSTFLOAT* zone, FAUSTFLOAT, FAUSTFLOAT min, FAUSTFLOAT max,
                     FAUSTFLOAT) override {
        add(false, zone, min, max);
    }
    void addHorizontalBargraph(const char*, FAUSTFLOAT*, FAUSTFLOAT, FAUSTFLOAT) override {
    }
    void addVerticalBargraph(const char*, FAUSTFLOAT*, FAUSTFLOAT, FAUSTFLOAT) override {
    }
    void addSoundfile(const char*, const char*, Soundfile**) override {
    }

private:
    void add(bool button, FAUSTFLOAT* zone, double min, double max) {
        Control c;
        c.button = button;
        c.min = min;
        c.max = max;
        c.set = [zone](double v) { *zone = FAUSTFLOAT(v); };
        out_.push_back(std::move(c));
    }
    std::vector<Control>& out_;
};

inline Dsp adapt(::dsp* d) {
    Dsp out;
    out.inputs = d->getNumInputs();
    out.outputs = d->getNumOutputs();
    CollectUI ui(out.controls);
    d->buildUserInterface(&ui);
    out.compute = [d](int n, float** in, float** o) { d->compute(n, in, o); };
    return out;
}

} // namespace tutti::bench
