// SPDX-License-Identifier: MIT
/** \file
 * The UI path a widget signal carries as its label (see signal.h): the groups
 * it sits in from the root, then its own label, as Faust's propagation builds
 * them (Faust 2.54.9 `label2path`, `normalizePath`):
 *  - a group's label is one component, kept whole ("A b/c" is one group);
 *  - a widget's label is read as a path: "/" goes to the root, "./" stays,
 *    "../" goes up, "x:name/" opens group `name` of kind x (v, h, t in either
 *    case; any other letter is a vgroup), and the rest, '/' included, is the
 *    widget's label ("x/a" is one label; "h:g" is the empty label in group g).
 * Encoded as components joined by '/', a group as `k:label` (k = v, h or t),
 * with '\' and '/' inside a label escaped by a '\'.
 */
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace tutti::sig {

struct UiPathPart {
    char kind = 0;     ///< 'v', 'h' or 't' for a group; 0 for the widget (the last part)
    std::string label; ///< raw: with its [metadata]
};

/// The path of a group of kind `group_kind` ('v', 'h', 't') labelled `label`
/// inside `current`, or (group_kind 0) of a widget labelled `label`.
std::string resolve_label_path(std::string_view current, std::string_view label, char group_kind);

/// The components of an encoded path (the inverse of the encoding).
std::vector<UiPathPart> split_ui_path(std::string_view path);

} // namespace tutti::sig
