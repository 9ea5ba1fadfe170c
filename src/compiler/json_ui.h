// SPDX-License-Identifier: MIT
/** \file
 * The JSON description of a program in the format of Faust's JSONUI (name,
 * inputs, outputs, meta, ui tree of groups and widgets with addresses), so that
 * existing Faust web UIs can draw it.
 */
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "lower/lower.h"

namespace tutti::compiler {

struct JsonInfo {
    std::string name;
    std::string filename;
    int inputs = 0, outputs = 0;
    std::vector<std::pair<std::string, std::string>> metadata;
    std::vector<lower::Control> controls; ///< in UI order
};

/// The UI tree: groups (kind vgroup/hgroup/tgroup) holding widgets (control >= 0:
/// the index of the control in JsonInfo::controls), in first-appearance order.
struct UiNode {
    std::string kind; ///< vgroup, hgroup, tgroup, or the widget type (hslider, button...)
    std::string label;
    std::vector<std::pair<std::string, std::string>> meta;
    int control = -1;
    std::string address;
    std::vector<std::unique_ptr<UiNode>> items;
};

/// The root group: the program's single top-level group, or an implicit vgroup
/// named after the program (as Faust does).
std::unique_ptr<UiNode> build_ui_tree(const JsonInfo& info);

std::string json_ui(const JsonInfo& info);

/// "freq [unit:Hz][style:knob]" -> "freq" and {unit: Hz, style: knob} (in order).
std::string strip_label_metadata(std::string_view label,
                                 std::vector<std::pair<std::string, std::string>>* metadata);

/// Splits a control path at '/' outside [metadata] brackets.
std::vector<std::string> split_control_path(std::string_view path);

} // namespace tutti::compiler
