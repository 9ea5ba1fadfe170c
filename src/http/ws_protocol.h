// SPDX-License-Identifier: MIT
/** \file
 * The WebSocket's messages (docs/control-protocol.md): JSON text frames.
 * Client to server: `{"type":"param","path":ADDRESS,"value":V}` (either
 * spelling of an address; V a number, or true/false); anything else gets an
 * `{"type":"error",...}` reply and the connection stays open. Server to client:
 * `ui`, `values`, `param`, `swap`, `levels`, `scope` (built here, but `swap`,
 * which needs the engine's report: server.cpp).
 *
 * Pure functions of their input and a ControlPort, so the fuzz target
 * tests/fuzz/ws_message_fuzzer.cpp drives them without a socket.
 */
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "http/control_port.h"

namespace tutti::http {

struct WsResult {
    std::string reply; ///< to the sender only ("" for none)
    /// A value set (index into table->controls(), value): pushed to the others.
    std::optional<std::pair<std::size_t, double>> changed;
    std::shared_ptr<const AddressTable> table;
};

/// One text message from a client. `can_write`: the session may set values.
WsResult handle_ws_message(std::string_view text, ControlPort& port, bool can_write);

/// `{"type":"ui","generation":G,"ui":[...],"json":{...}}`: the `ui` member of
/// the program's JSON, and the whole JSON (name, inputs, outputs, meta).
std::string ui_message(const AddressTable& table);
/// `{"type":"values","generation":G,"values":{ADDRESS:V,...}}`, JSON spelling.
std::string values_message(const AddressTable& table, const std::vector<double>& values);
/// `{"type":"param","path":ADDRESS,"value":V}`.
std::string param_message(std::string_view path, double value);
/// `{"type":"levels","peak":[...],"rms":[...]}`, one entry per output channel.
std::string levels_message(const std::vector<float>& peak, const std::vector<float>& rms);
/// `{"type":"scope","rate":R,"channels":[[...],...]}`: `frames` decimated
/// frames, interleaved in `data` (`channels` per frame), at R frames a second.
std::string scope_message(double rate, std::size_t channels, const float* data, std::size_t frames);
/// `{"type":"error","error":TEXT}`.
std::string error_message(std::string_view text);

} // namespace tutti::http
