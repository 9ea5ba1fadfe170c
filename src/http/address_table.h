// SPDX-License-Identifier: MIT
/** \file
 * The addresses of one UI version as the HTTP server and the WebSocket see them:
 * every control under the address `faust -json` gives it (the JSON spelling,
 * Parameter::path) and under the one Faust's httpd server gives it (the httpd
 * spelling: each group and widget label with space, tab and the characters
 * `;/?:@&=+$,<>#%"{}|\^[]` and backquote replaced by '_', as httpdUI.h's tr()
 * does; the JSON spelling replaces ` #*,?[]{}()` instead). Both resolve to the
 * same control, and so does a group address to every control under it.
 *
 * Immutable once built; shared between the server's thread and its sessions.
 * Built from a Factory (its build_user_interface() walk) or from a list of
 * controls (tests, fuzz targets).
 */
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace tutti {
class Factory;
}

namespace tutti::http {

struct Control {
    std::string path;       ///< JSON spelling ("/osc/freq")
    std::string httpd_path; ///< httpd spelling
    double min = 0, max = 1, init = 0;
    bool output = false; ///< a bargraph: written by the program, not by clients
};

enum class Spelling { Json, Httpd };

class AddressTable {
public:
    AddressTable() = default;
    /// `ui_order`: the controls in the order the UI shows them (default: as given).
    AddressTable(std::uint64_t generation, std::string json, std::vector<Control> controls,
                 const std::vector<std::size_t>& ui_order = {});
    /// The table of a compiled program (parameters() indices are the control indices).
    static AddressTable from_factory(std::uint64_t generation, const Factory& factory);

    std::uint64_t generation() const {
        return generation_;
    }
    const std::string& json() const {
        return json_;
    }
    const std::vector<Control>& controls() const {
        return controls_;
    }
    /// The control at `address` (either spelling; a trailing '/' is allowed).
    std::optional<std::size_t> find(std::string_view address) const;
    /// The controls at or under `address` (a group or a control), in UI order
    /// (the order Faust's httpd lists a group in),
    /// and which spelling matched; empty when nothing is there.
    std::vector<std::size_t> under(std::string_view address, Spelling* spelling) const;

    /// Other spellings (labels, short names, OSC patterns, no root segment:
    /// the control hub's AddressSpace) for what neither spelling above names:
    /// the controls a path names, in UI order.
    using Fallback = std::function<std::vector<std::size_t>(std::string_view)>;
    void set_fallback(Fallback fallback) {
        fallback_ = std::move(fallback);
    }

    /// One label in the httpd spelling.
    static std::string httpd_label(std::string_view label);

private:
    std::uint64_t generation_ = 0;
    std::string json_;
    std::vector<Control> controls_;
    std::vector<std::size_t> ui_order_;
    std::unordered_map<std::string, std::size_t> by_path_;
    Fallback fallback_;
};

} // namespace tutti::http
