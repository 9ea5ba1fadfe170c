// SPDX-License-Identifier: MIT
/** \file
 * The one address space of every control protocol (issue 11 section 1): the
 * UI tree of a program version (root, groups, widgets) with every spelling of
 * an address that Faust's OSC layer (OSCUI/oscfaust) and HTTP layer (httpdUI,
 * JSON) accept, resolved to the same nodes and parameter indices.
 *
 * Spellings that `resolve()` accepts, tried in this order (the first that
 * names anything wins):
 *  1. the JSON address, as `faust -json` writes it ("/prog/group/gain"); the
 *     same with no leading '/', with a trailing '/', or without the root
 *     segment ("/group/gain"); "/" or "" is the root;
 *  2. the httpd spelling: each label with ` ;/?:@&=+$,<>#%"{}|\^[]`` ` and
 *     tab replaced by '_' (httpdUI::tr), which keeps `*`, `(` and `)` that
 *     the JSON address replaces (same forms as 1);
 *  3. a label or short name, as Parameter::named (every parameter so named);
 *  4. an OSC pattern, matched segment by segment (`*`, `?`, `[..]`, `{a,b}`:
 *     control/osc_pattern.h), from the root or without it.
 * A group or the root names every widget below it (for `get`); `widgets()`
 * lists them. Immutable once built: any thread may read it; a new version
 * gets a new one (ControlHub rebuilds it on each UI change).
 */
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "tutti/runtime.h"

namespace tutti::control {

/// Faust's OSC/JSON spelling of one label: ` #*,?[]{}()` and tab -> '_'.
std::string osc_segment(std::string_view label);
/// httpdUI's spelling of one label: ` ;/?:@&=+$,<>#%"{}|\^[]`` and tab -> '_'.
std::string httpd_segment(std::string_view label);
/// The segments of a path, split at '/', empty ones dropped.
std::vector<std::string_view> split_path(std::string_view path);

class AddressSpace {
public:
    using NodeId = std::uint32_t;
    struct Node {
        enum class Kind : std::uint8_t { Root, Group, Widget };
        Kind kind = Kind::Group;
        std::string name;       ///< the last segment, JSON/OSC spelling
        std::string httpd_name; ///< the last segment, httpd spelling
        std::string address;    ///< the whole JSON address ("/prog/g/gain"; the root: "/prog")
        std::string type;       ///< "vgroup"... for groups, "hslider"... for widgets
        NodeId parent = 0;      ///< the root's parent is itself
        std::vector<NodeId> children;
        std::size_t parameter = 0; ///< Widget: index into the factory's parameters()
    };

    /// An empty space (no program): resolves nothing.
    AddressSpace() = default;
    /// From a version's description: its UI walk, parameters and name.
    explicit AddressSpace(const FactoryInfo& info);

    bool empty() const {
        return nodes_.empty();
    }
    /// Node 0 is the root (when not empty).
    const std::vector<Node>& nodes() const {
        return nodes_;
    }
    const Node& node(NodeId id) const {
        return nodes_[id];
    }
    const Node& root() const {
        return nodes_[0];
    }
    const std::vector<Parameter>& parameters() const {
        return parameters_;
    }
    /// The widget node of parameters()[index].
    NodeId widget_of(std::size_t index) const {
        return widget_of_[index];
    }

    /// The nodes `path` names, in any spelling above, in UI order; empty when
    /// it names nothing. Patterns may name several nodes.
    std::vector<NodeId> resolve(std::string_view path) const;
    /// The parameter indices below the nodes `path` names (a widget: itself),
    /// in UI order, without duplicates.
    std::vector<std::size_t> resolve_parameters(std::string_view path) const;
    /// The nodes whose JSON address is exactly `address` (no other spelling).
    std::vector<NodeId> at_address(const std::string& address) const;
    /// Every widget at or below `id`, in UI order.
    std::vector<NodeId> widgets(NodeId id) const;
    /// Nodes matching an OSC pattern segment by segment, from the root (the
    /// first segment matches the root's name).
    std::vector<NodeId> match(std::string_view pattern) const;

    /// Clips a value into the range of parameters()[index] (buttons and
    /// checkboxes 0..1); NaN becomes the minimum.
    double clip(std::size_t index, double value) const;

private:
    std::vector<NodeId> exact(std::string_view path, bool httpd) const;
    void match_from(NodeId at, const std::vector<std::string_view>& segs, std::size_t k,
                    std::vector<NodeId>& out) const;

    std::vector<Node> nodes_;
    std::vector<Parameter> parameters_;
    std::vector<NodeId> widget_of_;
    std::unordered_map<std::string, std::vector<NodeId>> by_address_; ///< JSON addresses
    std::unordered_map<std::string, std::vector<NodeId>> by_httpd_;   ///< httpd addresses
};

} // namespace tutti::control
