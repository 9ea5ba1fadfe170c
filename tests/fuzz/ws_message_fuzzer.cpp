// SPDX-License-Identifier: MIT
/** \file
 * Fuzz target `ws_message`: bytes as a WebSocket text message from a client,
 * through handle_ws_message() (with and without the right to write) and the
 * bounded JSON reader; also as the program's JSON for ui_message(). Checks that
 * nothing crashes, that a value set is always in range (the port traps
 * otherwise), and that every answer the server sends back is valid JSON.
 */
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "control_fuzz_port.h"
#include "fuzz_target.h"
#include "http/json_scan.h"
#include "http/ws_protocol.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size > 16384) {
        return -1;
    }
    std::string_view text(reinterpret_cast<const char*>(data), size);
    tutti::fuzz::FuzzPort port;
    for (bool can_write : {true, false}) {
        tutti::http::WsResult r = tutti::http::handle_ws_message(text, port, can_write);
        if (!r.reply.empty() && !tutti::http::json_object_members(r.reply)) {
            __builtin_trap(); // an error reply that is not JSON
        }
        if (r.changed) {
            const std::string m = tutti::http::param_message(
                r.table->controls().at(r.changed->first).path, r.changed->second);
            if (!tutti::http::json_object_members(m)) {
                __builtin_trap();
            }
        }
    }
    if (auto members = tutti::http::json_object_members(text)) {
        for (const auto& m : *members) {
            (void)tutti::http::json_string_value(m.value);
            (void)tutti::http::json_number_value(m.value);
        }
    }
    std::vector<tutti::http::Control> none;
    tutti::http::AddressTable t(1, std::string(text), none);
    const std::string ui = tutti::http::ui_message(t);
    if (tutti::http::json_object_members(text) && !tutti::http::json_object_members(ui, 300)) {
        __builtin_trap(); // a valid program JSON gave an invalid ui message
    }
    return 0;
}
