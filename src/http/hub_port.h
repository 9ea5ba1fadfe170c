// SPDX-License-Identifier: MIT
/** \file
 * The ControlPort of a program served by the control hub (control/control_hub.h):
 * the version control goes to (the hub's Program::ui: the playing one, the
 * submitted one before the first commit), its addresses in Faust's JSON and
 * httpd spellings and, through the hub's AddressSpace, every other spelling
 * (labels, short names, OSC patterns, no root segment); its live values
 * (ControlValues, lock-free); writes through ControlHub::set (clipped, pushed
 * by index). The table is rebuilt only when the version changes. Server thread.
 */
#pragma once

#include "control/control_hub.h"
#include "http/control_port.h"

namespace tutti::http {

class HubPort : public ControlPort {
public:
    HubPort(control::ControlHub& hub, int program_id) : hub_(hub), program_id_(program_id) {
        table_ = std::make_shared<const AddressTable>();
    }
    std::shared_ptr<const AddressTable> table() override {
        std::shared_ptr<const control::Snapshot> snap = hub_.snapshot();
        const control::Program* p = snap->find(program_id_);
        const std::uint64_t generation = p != nullptr ? p->ui.generation : 0;
        if (generation != program_.ui.generation) {
            program_ = p != nullptr ? *p : control::Program{};
            if (p != nullptr && p->ui) {
                auto t = std::make_shared<AddressTable>(
                    AddressTable::from_factory(generation, *p->ui.factory));
                if (auto space = p->space) {
                    t->set_fallback(
                        [space](std::string_view path) { return space->resolve_parameters(path); });
                }
                table_ = std::move(t);
            } else {
                table_ = std::make_shared<const AddressTable>();
            }
        }
        return table_;
    }
    double value(const AddressTable& table, std::size_t index) override {
        const VersionUi& ui = program_.ui;
        if (table.generation() != ui.generation || !ui.values || index >= ui.values->size()) {
            return index < table.controls().size() ? table.controls()[index].init : 0;
        }
        if (ui.values->frame() == 0) {
            return table.controls()[index].init; // not played yet
        }
        return ui.values->value(index);
    }
    bool set(const AddressTable& table, std::size_t index, double value) override {
        if (table.generation() != program_.ui.generation) {
            return false;
        }
        return control::ControlHub::set(program_, index, value);
    }

    std::vector<StatusValue> status(std::string_view path) override {
        std::vector<StatusValue> out;
        for (control::StatusEntry& e : hub_.status(path)) {
            out.push_back({std::move(e.address), e.value, std::move(e.text), e.is_text});
        }
        return out;
    }

private:
    control::ControlHub& hub_;
    int program_id_;
    control::Program program_;
    std::shared_ptr<const AddressTable> table_;
};

} // namespace tutti::http
