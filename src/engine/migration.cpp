// SPDX-License-Identifier: MIT
#include "engine/migration.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <string>
#include <unordered_map>

namespace tutti {

const char* to_string(FieldChange::Action a) {
    switch (a) {
    case FieldChange::Action::Carried:
        return "carried";
    case FieldChange::Action::Moved:
        return "moved";
    case FieldChange::Action::Resized:
        return "resized";
    case FieldChange::Action::Rebuilt:
        return "rebuilt";
    case FieldChange::Action::Kept:
        return "kept";
    case FieldChange::Action::Clamped:
        return "clamped";
    case FieldChange::Action::Reset:
        return "reset";
    case FieldChange::Action::Dropped:
        return "dropped";
    }
    return "?";
}

} // namespace tutti

namespace tutti::engine {

namespace {

ElemType elem_type(const std::string& t) {
    if (t == "i32") {
        return ElemType::I32;
    }
    return t == "f64" ? ElemType::F64 : ElemType::F32;
}

std::size_t elem_size(ElemType t) {
    return t == ElemType::F64 ? 8 : 4;
}

bool is_state(const StateField& f) {
    return f.kind != "constant" && f.kind != "control" && !f.identity.empty();
}
bool is_rdtable(const StateField& f) {
    return f.kind == "table" && f.identity.rfind("rw", 0) != 0;
}
/// What a swap loses when this field starts from zero: any state but read-only
/// tables (recomputed) and the ring index.
bool loses_sound(const StateField& f) {
    return is_state(f) && !is_rdtable(f) && f.kind != "iota";
}
bool is_line(const StateField& f) {
    return (f.kind == "delay" || f.kind == "recursion") && (f.ring || f.elements > 1);
}
/// State that a shape can follow when its position moved.
bool is_movable(const StateField& f) {
    return f.kind == "recursion" || f.kind == "delay";
}
/// The position part of "<kind>:<position>:<shape>", with the kind.
std::string position_of(const std::string& identity) {
    std::size_t b = identity.rfind(':');
    return b == std::string::npos ? identity : identity.substr(0, b);
}
/// The shape part of "<kind>:<position>:<shape>", with the kind.
std::string shape_of(const std::string& identity) {
    std::size_t a = identity.find(':');
    std::size_t b = a == std::string::npos ? a : identity.find(':', a + 1);
    if (b == std::string::npos) {
        return {};
    }
    return identity.substr(0, a) + ":" + identity.substr(b + 1);
}

std::uint64_t fnv(const std::byte* p, std::size_t n) {
    std::uint64_t h = 0xcbf29ce484222325ull;
    for (std::size_t i = 0; i < n; ++i) {
        h = (h ^ std::uint64_t(p[i])) * 0x100000001b3ull;
    }
    return h | 1; // never 0 ("no digest")
}

bool is_bargraph(const Parameter& p) {
    return p.kind == Parameter::Kind::VBargraph || p.kind == Parameter::Kind::HBargraph;
}

/// Whether a swap report lists this field: every state field and every control
/// but constants (recomputed) and bargraphs (outputs, recomputed every block).
bool reported(const StateField& f, const std::vector<Parameter>& params) {
    if (f.kind == "constant" || (f.kind != "control" && f.identity.empty())) {
        return false;
    }
    if (f.kind == "control") {
        for (const Parameter& p : params) {
            if (p.offset == f.offset && is_bargraph(p)) {
                return false;
            }
        }
    }
    return true;
}

FieldChange change_of(const StateField& f, FieldChange::Action a) {
    FieldChange c;
    c.action = a;
    c.name = f.name;
    c.kind = f.kind;
    c.identity = f.identity;
    c.location = f.location;
    return c;
}

/// Control fields by byte offset (how parameters name their field).
std::unordered_map<std::uint32_t, std::size_t> controls_by_offset(const std::vector<StateField>& layout) {
    std::unordered_map<std::uint32_t, std::size_t> m;
    for (std::size_t i = 0; i < layout.size(); ++i) {
        if (layout[i].kind == "control") {
            m[layout[i].offset] = i;
        }
    }
    return m;
}

/// Byte offset of the ring index of the sample loop, -1 when there is none.
std::int64_t iota_offset(const std::vector<StateField>& layout) {
    std::int64_t off = -1;
    for (const StateField& f : layout) {
        if (f.kind == "iota" && !f.identity.empty()) {
            off = f.offset;
        }
    }
    return off;
}


} // namespace

std::vector<std::uint64_t> table_digests(const Factory& factory, const std::byte* state) {
    const auto& layout = factory.state_layout();
    std::vector<std::uint64_t> d(layout.size(), 0);
    for (std::size_t i = 0; i < layout.size(); ++i) {
        if (is_rdtable(layout[i])) {
            d[i] = fnv(state + layout[i].offset, layout[i].bytes);
        }
    }
    return d;
}

MigrationPlan plan_migration(const Factory& from, const Factory& to, const std::vector<std::uint64_t>& from_tables,
                             const std::vector<std::uint64_t>& to_tables) {
    MigrationPlan plan;
    const auto& ol = from.state_layout();
    const auto& nl = to.state_layout();
    std::vector<bool> old_used(ol.size(), false);
    std::vector<std::int64_t> match(nl.size(), -1); // new field -> old field
    std::vector<FieldChange::Action> action(nl.size(), FieldChange::Action::Reset);

    // -- controls, by UI path (bargraphs are outputs: recomputed every block)
    const auto& op = from.parameters();
    const auto& np = to.parameters();
    plan.parameter_map.assign(op.size(), -1);
    const auto control_field = controls_by_offset(nl);
    const auto old_control_field = controls_by_offset(ol);
    std::vector<CopyStep> control_steps;
    for (std::size_t j = 0; j < np.size(); ++j) {
        const Parameter& p = np[j];
        for (std::size_t i = 0; i < op.size(); ++i) {
            if (op[i].path != p.path || plan.parameter_map[i] >= 0) {
                continue;
            }
            plan.parameter_map[i] = std::int32_t(j);
            auto nf = control_field.find(p.offset);
            auto of = old_control_field.find(op[i].offset);
            if (is_bargraph(p) || is_bargraph(op[i]) || nf == control_field.end() || of == old_control_field.end()) {
                break;
            }
            CopyStep s;
            s.op = CopyStep::Op::Control;
            s.src_type = elem_type(ol[of->second].type);
            s.dst_type = elem_type(nl[nf->second].type);
            s.src_offset = op[i].offset;
            s.dst_offset = p.offset;
            s.lo = std::min(p.min, p.max);
            s.hi = std::max(p.min, p.max);
            if (p.kind == Parameter::Kind::Button || p.kind == Parameter::Kind::Checkbox) {
                s.lo = 0;
                s.hi = 1;
            }
            control_steps.push_back(s);
            match[nf->second] = std::int64_t(of->second);
            old_used[of->second] = true;
            bool narrower = std::min(p.min, p.max) > std::min(op[i].min, op[i].max) ||
                            std::max(p.min, p.max) < std::max(op[i].min, op[i].max);
            action[nf->second] = narrower ? FieldChange::Action::Clamped : FieldChange::Action::Carried;
            break;
        }
    }

    // -- state, by identity (k-th with k-th)
    std::map<std::string, std::vector<std::size_t>> old_by_id;
    for (std::size_t i = 0; i < ol.size(); ++i) {
        if (is_state(ol[i])) {
            old_by_id[ol[i].identity].push_back(i);
        }
    }
    std::map<std::string, std::size_t> taken;
    for (std::size_t i = 0; i < nl.size(); ++i) {
        if (!is_state(nl[i])) {
            continue;
        }
        auto it = old_by_id.find(nl[i].identity);
        std::size_t& k = taken[nl[i].identity];
        if (it != old_by_id.end() && k < it->second.size()) {
            std::size_t o = it->second[k++];
            match[i] = std::int64_t(o);
            old_used[o] = true;
        }
    }
    // -- then each key alone, when it is unambiguous on both sides: the shape (the
    //    state moved: a stage inserted downstream of it), then, for delay lines,
    //    the position (what the line holds changed structure: an edit upstream;
    //    a recursion must keep its shape, or it is another filter)
    std::vector<bool> moved(nl.size(), false);
    auto match_by = [&](std::string (*key)(const std::string&), bool is_move, bool lines_only) {
        std::map<std::string, std::vector<std::size_t>> olds, news;
        for (std::size_t i = 0; i < ol.size(); ++i) {
            if (!old_used[i] && is_state(ol[i]) && is_movable(ol[i]) && (!lines_only || ol[i].kind == "delay")) {
                olds[key(ol[i].identity)].push_back(i);
            }
        }
        for (std::size_t i = 0; i < nl.size(); ++i) {
            if (match[i] < 0 && is_state(nl[i]) && is_movable(nl[i]) && (!lines_only || nl[i].kind == "delay")) {
                news[key(nl[i].identity)].push_back(i);
            }
        }
        for (const auto& [k, ns] : news) {
            auto it = olds.find(k);
            if (ns.size() == 1 && it != olds.end() && it->second.size() == 1) {
                match[ns[0]] = std::int64_t(it->second[0]);
                old_used[it->second[0]] = true;
                moved[ns[0]] = is_move;
            }
        }
    };
    match_by(shape_of, true, false);
    match_by(position_of, false, true);

    // -- steps: the ring index first, then every matched field
    plan.dst_iota = iota_offset(nl);
    plan.src_iota = iota_offset(ol);
    std::vector<CopyStep> iota_steps, steps;
    for (std::size_t i = 0; i < nl.size(); ++i) {
        const StateField& n = nl[i];
        if (n.kind == "control" || !is_state(n)) {
            continue;
        }
        if (is_rdtable(n)) {
            // its content decides, wherever it is: an old table with the same bytes
            bool same = false;
            for (std::size_t o = 0; o < ol.size() && !to_tables.empty() && o < from_tables.size(); ++o) {
                if (from_tables[o] != 0 && from_tables[o] == to_tables[i] && ol[o].bytes == n.bytes) {
                    same = true;
                    match[i] = std::int64_t(o);
                    old_used[o] = true;
                }
            }
            action[i] = same ? FieldChange::Action::Kept : FieldChange::Action::Rebuilt;
            continue;
        }
        if (match[i] < 0) {
            continue; // Reset
        }
        const StateField& o = ol[std::size_t(match[i])];
        CopyStep s;
        s.src_type = elem_type(o.type);
        s.dst_type = elem_type(n.type);
        s.src_offset = o.offset;
        s.dst_offset = n.offset;
        s.src_count = o.elements;
        s.dst_count = n.elements;
        s.src_ring = o.ring;
        s.dst_ring = n.ring;
        bool same_layout = s.src_type == s.dst_type && o.elements == n.elements && o.ring == n.ring;
        action[i] = moved[i] ? FieldChange::Action::Moved : FieldChange::Action::Carried;
        if (same_layout && (!o.ring || (plan.src_iota >= 0 && plan.dst_iota >= 0))) {
            s.op = CopyStep::Op::Bytes;
        } else if (is_line(o) && is_line(n)) {
            s.op = CopyStep::Op::History;
            if (!moved[i]) {
                action[i] = FieldChange::Action::Resized;
            }
        } else {
            s.op = CopyStep::Op::Value;
            if (o.elements != n.elements && !moved[i]) {
                action[i] = FieldChange::Action::Resized;
            }
        }
        (n.kind == "iota" ? iota_steps : steps).push_back(s);
    }
    plan.steps = iota_steps;
    plan.steps.insert(plan.steps.end(), steps.begin(), steps.end());
    plan.steps.insert(plan.steps.end(), control_steps.begin(), control_steps.end());

    // -- the report, and whether the swap must crossfade
    for (std::size_t i = 0; i < nl.size(); ++i) {
        const StateField& n = nl[i];
        if (!reported(n, np)) {
            continue;
        }
        FieldChange c = change_of(n, action[i]);
        if (match[i] >= 0) {
            c.from = ol[std::size_t(match[i])].name;
        }
        switch (c.action) {
        case FieldChange::Action::Carried:
        case FieldChange::Action::Moved:
        case FieldChange::Action::Kept:
        case FieldChange::Action::Clamped:
            ++plan.carried;
            break;
        case FieldChange::Action::Resized:
            ++plan.resized;
            break;
        case FieldChange::Action::Rebuilt:
            ++plan.rebuilt;
            break;
        case FieldChange::Action::Reset:
            ++plan.reset;
            plan.crossfade = plan.crossfade || loses_sound(n);
            break;
        case FieldChange::Action::Dropped:
            break;
        }
        plan.changes.push_back(std::move(c));
    }
    for (std::size_t i = 0; i < ol.size(); ++i) {
        if (old_used[i] || !loses_sound(ol[i])) {
            continue;
        }
        FieldChange c = change_of(ol[i], FieldChange::Action::Dropped);
        ++plan.dropped;
        plan.crossfade = true;
        plan.changes.push_back(std::move(c));
    }
    return plan;
}

// ------------------------------------------------------------------ apply (audio thread)

namespace {

double load(const std::byte* base, ElemType t, std::size_t i) noexcept {
    switch (t) {
    case ElemType::I32: {
        std::int32_t v;
        std::memcpy(&v, base + i * 4, 4);
        return v;
    }
    case ElemType::F32: {
        float v;
        std::memcpy(&v, base + i * 4, 4);
        return v;
    }
    case ElemType::F64: {
        double v;
        std::memcpy(&v, base + i * 8, 8);
        return v;
    }
    }
    return 0;
}

void store(std::byte* base, ElemType t, std::size_t i, double x) noexcept {
    switch (t) {
    case ElemType::I32: {
        // saturating, so a real value out of range cannot be undefined behaviour
        double c = std::clamp(x, -2147483648.0, 2147483647.0);
        auto v = static_cast<std::int32_t>(c == c ? c : 0.0);
        std::memcpy(base + i * 4, &v, 4);
        return;
    }
    case ElemType::F32: {
        auto v = static_cast<float>(x);
        std::memcpy(base + i * 4, &v, 4);
        return;
    }
    case ElemType::F64:
        std::memcpy(base + i * 8, &x, 8);
        return;
    }
}

std::int32_t load_iota(const std::byte* state, std::int64_t offset) noexcept {
    if (offset < 0) {
        return 0;
    }
    std::int32_t v;
    std::memcpy(&v, state + offset, 4);
    return v;
}

/// Element holding the value `age` samples ago (age >= 1) of a line.
std::size_t slot_of(bool ring, std::uint32_t count, std::int32_t iota, std::uint32_t age) noexcept {
    if (ring) {
        return std::size_t(std::uint32_t(iota) - age) & (count - 1);
    }
    return age;
}
/// How many past samples a line holds.
std::uint32_t depth_of(bool ring, std::uint32_t count) noexcept {
    return ring ? count : count - 1;
}

} // namespace

void apply_migration(const MigrationPlan& plan, const std::byte* from, std::byte* to) noexcept {
    for (const CopyStep& s : plan.steps) {
        const std::byte* src = from + s.src_offset;
        std::byte* dst = to + s.dst_offset;
        switch (s.op) {
        case CopyStep::Op::Bytes:
            std::memcpy(dst, src, std::size_t(s.dst_count) * elem_size(s.dst_type));
            break;
        case CopyStep::Op::Value: {
            std::uint32_t n = std::min(s.src_count, s.dst_count);
            for (std::uint32_t i = 0; i < n; ++i) {
                store(dst, s.dst_type, i, load(src, s.src_type, i));
            }
            break;
        }
        case CopyStep::Op::History: {
            // IOTA steps ran first: the new ring index is in place
            std::int32_t si = load_iota(from, plan.src_iota);
            std::int32_t di = load_iota(to, plan.dst_iota);
            std::uint32_t n = std::min(depth_of(s.src_ring, s.src_count), depth_of(s.dst_ring, s.dst_count));
            if (s.src_ring && s.dst_ring && s.src_type == s.dst_type) {
                // ring to ring: runs of ages contiguous in both rings, copied as bytes
                const std::size_t es = elem_size(s.src_type);
                for (std::uint32_t age = 1; age <= n;) {
                    std::size_t a = slot_of(true, s.src_count, si, age), b = slot_of(true, s.dst_count, di, age);
                    // going back in age walks down both rings: the run ends at index 0 of either
                    std::size_t run = std::min<std::size_t>({a + 1, b + 1, std::size_t(n - age + 1)});
                    std::memcpy(dst + (b + 1 - run) * es, src + (a + 1 - run) * es, run * es);
                    age += std::uint32_t(run);
                }
                break;
            }
            for (std::uint32_t age = 1; age <= n; ++age) {
                double v = load(src, s.src_type, slot_of(s.src_ring, s.src_count, si, age));
                store(dst, s.dst_type, slot_of(s.dst_ring, s.dst_count, di, age), v);
            }
            if (!s.dst_ring && n >= 1) {
                // element 0 of a shifted line repeats the last sample at a block boundary
                store(dst, s.dst_type, 0, load(dst, s.dst_type, 1));
            }
            break;
        }
        case CopyStep::Op::Control: {
            double v = load(src, s.src_type, 0);
            store(dst, s.dst_type, 0, std::clamp(v, s.lo, s.hi));
            break;
        }
        }
    }
}

std::vector<FieldChange> fresh_changes(const Factory& factory) {
    std::vector<FieldChange> out;
    for (const StateField& f : factory.state_layout()) {
        if (reported(f, factory.parameters())) {
            out.push_back(change_of(f, FieldChange::Action::Reset));
        }
    }
    return out;
}

} // namespace tutti::engine
