// SPDX-License-Identifier: MIT
/** \file
 * What the HTTP and WebSocket handlers need from the program they control: the
 * addresses of its current UI, the value of a control, and a way to set one.
 * The server implements it over the engine (engine_port.h); tests and fuzz
 * targets over a plain array. Called on the server's thread only.
 */
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "http/address_table.h"

namespace tutti::http {

class ControlPort {
public:
    virtual ~ControlPort() = default;
    /// The addresses of the version that changes go to (never null).
    virtual std::shared_ptr<const AddressTable> table() = 0;
    /// The current value of controls()[index] of `table`.
    virtual double value(const AddressTable& table, std::size_t index) = 0;
    /// Sets controls()[index] of `table` (already clamped to its range); false
    /// when the change could not be queued.
    virtual bool set(const AddressTable& table, std::size_t index, double value) = 0;
    /// Read-only values of the process at or under `path` (the control hub's
    /// status: a NetJack link's counters under /tutti/netjack/...): address,
    /// number or text. None by default.
    struct StatusValue {
        std::string address;
        double value = 0;
        std::string text;
        bool is_text = false;
    };
    virtual std::vector<StatusValue> status(std::string_view path) {
        (void)path;
        return {};
    }
};

} // namespace tutti::http
