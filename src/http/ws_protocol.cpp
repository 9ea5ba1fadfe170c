// SPDX-License-Identifier: MIT
/** \file
 * The WebSocket's JSON messages (ws_protocol.h).
 */
#include "http/ws_protocol.h"

#include <algorithm>
#include <cstdio>

#include "http/json_scan.h"

namespace tutti::http {

namespace {

/// Samples for the page need no more than ~5 significant digits.
void put_sample(std::string& out, float v) {
    if (!(v == v) || v > 1e30f || v < -1e30f) {
        out += "0";
        return;
    }
    char buf[32];
    int n = std::snprintf(buf, sizeof buf, "%.5g", double(v));
    out.append(buf, std::size_t(std::max(n, 0)));
}

} // namespace

WsResult handle_ws_message(std::string_view text, ControlPort& port, bool can_write) {
    WsResult out;
    std::optional<std::vector<JsonMember>> members = json_object_members(text, 16);
    if (!members) {
        out.reply = error_message("not a JSON object");
        return out;
    }
    std::optional<std::string> type, path;
    std::optional<double> value;
    bool bad_value = false;
    for (const JsonMember& m : *members) {
        if (m.key == "type") {
            type = json_string_value(m.value);
        } else if (m.key == "path") {
            path = json_string_value(m.value);
        } else if (m.key == "value") {
            if (m.value == "true" || m.value == "false") {
                value = m.value == "true" ? 1.0 : 0.0;
            } else {
                value = json_number_value(m.value);
                bad_value = !value;
            }
        }
    }
    if (!type || *type != "param") {
        out.reply = error_message("unknown message type (expected \"param\")");
        return out;
    }
    if (!path || !value || bad_value) {
        out.reply = error_message(
            "a param message needs \"path\" (a string) and \"value\" (a finite number)");
        return out;
    }
    if (!can_write) {
        out.reply = error_message("this connection may not set values (the token is missing)");
        return out;
    }
    std::shared_ptr<const AddressTable> table = port.table();
    std::optional<std::size_t> index = table->find(*path);
    if (!index) {
        out.reply = error_message("no control at " + *path);
        return out;
    }
    const Control& c = table->controls()[*index];
    if (c.output) {
        out.reply = error_message(*path + " is a bargraph (an output)");
        return out;
    }
    double v = std::clamp(*value, std::min(c.min, c.max), std::max(c.min, c.max));
    if (!port.set(*table, *index, v)) {
        out.reply = error_message("busy: the engine's queue is full");
        return out;
    }
    out.changed.emplace(*index, v);
    out.table = table;
    return out;
}

std::string ui_message(const AddressTable& table) {
    std::string ui = "[]";
    std::string_view json = table.json();
    if (std::optional<std::vector<JsonMember>> members = json_object_members(json, 256)) {
        for (const JsonMember& m : *members) {
            if (m.key == "ui") {
                ui = std::string(m.value);
            }
        }
    }
    std::string out = "{\"type\":\"ui\",\"generation\":" + std::to_string(table.generation()) +
                      ",\"ui\":" + ui + ",\"json\":";
    out += json.empty() ? std::string_view("{}") : json;
    out += '}';
    return out;
}

std::string values_message(const AddressTable& table, const std::vector<double>& values) {
    std::string out = "{\"type\":\"values\",\"generation\":" + std::to_string(table.generation()) +
                      ",\"values\":{";
    const std::size_t n = std::min(values.size(), table.controls().size());
    for (std::size_t i = 0; i < n; ++i) {
        if (i > 0) {
            out += ',';
        }
        out += json_quote(table.controls()[i].path);
        out += ':';
        out += json_number(values[i]);
    }
    out += "}}";
    return out;
}

std::string param_message(std::string_view path, double value) {
    return "{\"type\":\"param\",\"path\":" + json_quote(path) + ",\"value\":" + json_number(value) +
           "}";
}

std::string levels_message(const std::vector<float>& peak, const std::vector<float>& rms) {
    std::string out = "{\"type\":\"levels\",\"peak\":[";
    for (std::size_t i = 0; i < peak.size(); ++i) {
        if (i > 0) {
            out += ',';
        }
        put_sample(out, peak[i]);
    }
    out += "],\"rms\":[";
    for (std::size_t i = 0; i < rms.size(); ++i) {
        if (i > 0) {
            out += ',';
        }
        put_sample(out, rms[i]);
    }
    out += "]}";
    return out;
}

std::string scope_message(double rate, std::size_t channels, const float* data,
                          std::size_t frames) {
    std::string out = "{\"type\":\"scope\",\"rate\":" + json_number(rate) + ",\"channels\":[";
    out.reserve(out.size() + channels * frames * 9);
    for (std::size_t c = 0; c < channels; ++c) {
        out += c > 0 ? ",[" : "[";
        for (std::size_t i = 0; i < frames; ++i) {
            if (i > 0) {
                out += ',';
            }
            put_sample(out, data[i * channels + c]);
        }
        out += ']';
    }
    out += "]}";
    return out;
}

std::string error_message(std::string_view text) {
    return "{\"type\":\"error\",\"error\":" + json_quote(text) + "}";
}

} // namespace tutti::http
