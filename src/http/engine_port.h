// SPDX-License-Identifier: MIT
/** \file
 * The ControlPort of a live engine: the addresses of the last submitted
 * version (so a change reaches the version about to play, as
 * Engine::set_parameter does), its live values (ControlValues, lock-free),
 * changes pushed by index (Engine::push). The table is rebuilt only when the
 * submitted version changes. Server thread only.
 */
#pragma once

#include "http/control_port.h"
#include "tutti/engine.h"

namespace tutti::http {

class EnginePort : public ControlPort {
public:
    explicit EnginePort(Engine& engine) : engine_(engine) {
        table_ = std::make_shared<const AddressTable>();
    }
    std::shared_ptr<const AddressTable> table() override {
        VersionUi ui = engine_.submitted_ui();
        if (ui.generation != ui_.generation) {
            ui_ = ui;
            table_ = ui ? std::make_shared<const AddressTable>(
                              AddressTable::from_factory(ui.generation, *ui.factory))
                        : std::make_shared<const AddressTable>();
        }
        return table_;
    }
    double value(const AddressTable& table, std::size_t index) override {
        if (table.generation() != ui_.generation || !ui_.values || index >= ui_.values->size()) {
            return index < table.controls().size() ? table.controls()[index].init : 0;
        }
        if (ui_.values->frame() == 0) {
            // not played yet: the value it will start with is the one the
            // version playing now holds at that address, else its init value
            VersionUi playing = engine_.playing_ui();
            if (playing && playing.generation != ui_.generation) {
                const auto& ps = playing.factory->parameters();
                for (std::size_t i = 0; i < ps.size(); ++i) {
                    if (ps[i].path == table.controls()[index].path) {
                        return playing.values->value(i);
                    }
                }
            }
            return table.controls()[index].init;
        }
        return ui_.values->value(index);
    }
    bool set(const AddressTable& table, std::size_t index, double value) override {
        ParameterChange c;
        c.generation = table.generation();
        c.index = std::uint32_t(index);
        c.value = value;
        return engine_.push(c);
    }

private:
    Engine& engine_;
    VersionUi ui_;
    std::shared_ptr<const AddressTable> table_;
};

} // namespace tutti::http
