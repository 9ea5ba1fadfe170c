// SPDX-License-Identifier: MIT
/** \file
 * The program the control fuzz targets (http_request, ws_message) talk to: a
 * fixed AddressTable (a group with a slider whose two spellings differ, a
 * checkbox, a bargraph) over a plain array of values, no engine.
 */
#pragma once

#include <memory>
#include <vector>

#include "http/control_port.h"

namespace tutti::fuzz {

inline http::AddressTable control_fuzz_table() {
    std::vector<http::Control> controls(4);
    controls[0] = {"/ctl/freq", "/ctl/freq", 0, 20000, 440, false};
    controls[1] = {"/ctl/gain__dB_", "/ctl/gain_(dB)", 0, 1000, 0.5, false};
    controls[2] = {"/ctl/on", "/ctl/on", 0, 1, 0, false};
    controls[3] = {"/ctl/shown", "/ctl/shown", 0, 20000, 0, true};
    return http::AddressTable(
        1,
        R"({"name":"ctl","inputs":0,"outputs":1,"ui":[{"type":"vgroup","label":"ctl","items":[]}]})",
        std::move(controls), {0, 1, 3, 2});
}

class FuzzPort : public http::ControlPort {
public:
    FuzzPort() : table_(std::make_shared<const http::AddressTable>(control_fuzz_table())) {
        values_.assign(table_->controls().size(), 0.0);
    }
    std::shared_ptr<const http::AddressTable> table() override {
        return table_;
    }
    double value(const http::AddressTable&, std::size_t i) override {
        return values_.at(i);
    }
    bool set(const http::AddressTable& t, std::size_t i, double v) override {
        const http::Control& c = t.controls().at(i);
        if (v < c.min || v > c.max || c.output) {
            __builtin_trap(); // the handlers clamp, and never set an output
        }
        values_.at(i) = v;
        return true;
    }

private:
    std::shared_ptr<const http::AddressTable> table_;
    std::vector<double> values_;
};

} // namespace tutti::fuzz
