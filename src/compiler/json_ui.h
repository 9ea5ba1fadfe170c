// SPDX-License-Identifier: MIT
/** \file
 * The UI description of a program, exactly as Faust 2.54.9's `faust -json`
 * writes it (its UI tree, uitree.cpp, walked by JSONUI.h and PathBuilder.h):
 *  - one root group: the single top-level group, else a vgroup named after the
 *    program (`declare name`, else the file stem); an empty root label is also
 *    replaced by that name;
 *  - the items of a group sorted by `strcmp` of their raw labels (metadata
 *    included), a new item after the items with an equal label; groups of the
 *    same kind and raw label at one level are one group;
 *  - labels without their [key:value] metadata ('\' escapes the next character,
 *    an unclosed '[' drops the rest, spaces trimmed); an empty label is "0x00";
 *  - metadata sorted by key then value, without duplicates;
 *  - addresses "/" + group labels + label, with each of ` #*,?[]{}()` replaced
 *    by '_'; `shortname` the shortest unique suffix of the address;
 *  - buttons and checkboxes without init/min/max/step, bargraphs with min/max.
 * Where Faust writes invalid JSON we do not: strings are escaped and numbers
 * printed so that they read back to the same double.
 */
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "lower/lower.h"

namespace tutti::compiler {

struct JsonInfo {
    std::string name;     ///< `declare name`, else the file stem
    std::string filename; ///< the program's file name
    int inputs = 0, outputs = 0;
    /// the values of a key in Faust's order (compiler.cpp: in_faust_value_order)
    std::vector<std::pair<std::string, std::string>> metadata;
    std::vector<lower::Control> controls;
    /// soundfiles (path as in signal.h): items of type "soundfile" with their url,
    /// without short name or metadata (as Faust's JSONUI writes them)
    std::vector<lower::Sound> sounds;
};

using Metadata = std::vector<std::pair<std::string, std::string>>;

/// A group (control < 0) or a widget (control: its index in JsonInfo::controls).
struct UiNode {
    std::string kind;  ///< vgroup, hgroup, tgroup, or the widget type (hslider, button...)
    std::string raw;   ///< the label as written, with its metadata: the sort key
    std::string label; ///< as Faust writes it
    Metadata meta;     ///< sorted by key then value, no duplicates
    int control = -1;  ///< widgets: the control's index (soundfiles: controls.size() + sound index)
    std::string address, shortname; ///< widgets only
    std::vector<std::unique_ptr<UiNode>> items;
};

struct UiTree {
    std::unique_ptr<UiNode> root;
    std::vector<const UiNode*> widgets; ///< widgets[i]: the node of control i
};

UiTree build_ui_tree(const JsonInfo& info);

/// Two input controls (not bargraphs) at one address: Faust refuses the
/// program ("path ... is already used"). Their control indices, in the UI's
/// order.
struct DuplicateAddress {
    int first = -1, second = -1;
};
std::optional<DuplicateAddress> find_duplicate_address(const UiTree& tree);

/// The JSON text (Faust's layout, tabs and all).
std::string json_ui(const JsonInfo& info, const UiTree& tree);

/// "freq [unit:Hz][style:knob]" -> "freq" and {style: knob, unit: Hz} (sorted),
/// as Faust's extractMetadata.
std::string extract_label_metadata(std::string_view raw, Metadata* metadata);

} // namespace tutti::compiler
