// SPDX-License-Identifier: MIT
#include "engine/migration.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>
#include <string>
#include <unordered_map>

#include "support/content_hash.h"

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

ElemType elem_type(ValueType t) {
    return t;
}

std::size_t elem_size(ElemType t) {
    return t == ElemType::F64 ? 8 : 4;
}

bool is_state(const StateField& f) {
    return f.kind != StateKind::Constant && f.kind != StateKind::Control && !f.identity.empty();
}
bool is_rdtable(const StateField& f) {
    return f.kind == StateKind::Table && f.identity.kind != StateIdentity::Kind::RwTable;
}
/// What a swap loses when this field starts from zero: any state but read-only
/// tables (recomputed) and the ring index.
bool loses_sound(const StateField& f) {
    return is_state(f) && !is_rdtable(f) && f.kind != StateKind::Iota;
}
bool is_line(const StateField& f) {
    return (f.kind == StateKind::Delay || f.kind == StateKind::Recursion) &&
           (f.ring || f.elements > 1);
}
/// State that a shape can follow when its position moved.
bool is_movable(const StateField& f) {
    return f.kind == StateKind::Recursion || f.kind == StateKind::Delay;
}
/// A field that holds the past of a signal for delays: every delay line, and
/// the memory of a recursion whose output delays read further back than its own
/// feedback does (a ring, or more than two elements).
bool is_history(const StateField& f) {
    return f.kind == StateKind::Delay ||
           (f.kind == StateKind::Recursion && (f.ring || f.elements > 2));
}
/// A key of an identity for matching by one part of it.
using PartKey = std::pair<int, std::uint64_t>;
/// The position, without the kind: where in the program the signal whose past
/// the field holds is read.
PartKey place_of(const StateIdentity& identity) {
    return {0, identity.position};
}
/// The shape, with the kind.
PartKey shape_of(const StateIdentity& identity) {
    return {int(identity.kind), identity.shape};
}

std::uint64_t fnv(const std::byte* p, std::size_t n) {
    return support::fnv1a(p, n) | 1; // never 0 ("no digest")
}

bool is_bargraph(const Parameter& p) {
    return p.kind == Parameter::Kind::VBargraph || p.kind == Parameter::Kind::HBargraph;
}

/// Whether a swap report lists this field: every state field and every control
/// but constants (recomputed) and bargraphs (outputs, recomputed every block).
bool reported(const StateField& f, const std::vector<Parameter>& params) {
    if (f.kind == StateKind::Constant || (f.kind != StateKind::Control && f.identity.empty())) {
        return false;
    }
    if (f.kind == StateKind::Control) {
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
std::unordered_map<std::uint32_t, std::size_t>
controls_by_offset(const std::vector<StateField>& layout) {
    std::unordered_map<std::uint32_t, std::size_t> m;
    for (std::size_t i = 0; i < layout.size(); ++i) {
        if (layout[i].kind == StateKind::Control) {
            m[layout[i].offset] = i;
        }
    }
    return m;
}

/// Byte offset of the ring index of the sample loop, -1 when there is none.
std::int64_t iota_offset(const std::vector<StateField>& layout) {
    std::int64_t off = -1;
    for (const StateField& f : layout) {
        if (f.kind == StateKind::Iota && !f.identity.empty()) {
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

MigrationPlan plan_migration(const Factory& from, const Factory& to,
                             const std::vector<std::uint64_t>& from_tables,
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
            if (is_bargraph(p) || is_bargraph(op[i]) || nf == control_field.end() ||
                of == old_control_field.end()) {
                break;
            }
            CopyStep s;
            s.op = CopyStep::Op::Control;
            s.src_type = elem_type(ol[of->second].type);
            s.dst_type = elem_type(nl[nf->second].type);
            s.src_offset = op[i].offset;
            s.dst_offset = p.offset;
            s.dst_field = std::uint32_t(nf->second);
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
            action[nf->second] =
                narrower ? FieldChange::Action::Clamped : FieldChange::Action::Carried;
            break;
        }
    }

    // -- state, by identity (k-th with k-th)
    std::unordered_map<StateIdentity, std::vector<std::size_t>, StateIdentityHash> old_by_id;
    for (std::size_t i = 0; i < ol.size(); ++i) {
        if (is_state(ol[i])) {
            old_by_id[ol[i].identity].push_back(i);
        }
    }
    std::unordered_map<StateIdentity, std::size_t, StateIdentityHash> taken;
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
    // -- then one key alone, when it is unambiguous on both sides:
    //    1. the past of a signal read by delays, by the place where it is read
    //       (the position of the delayed signal), whatever holds it: a delay line,
    //       or the ring of the recursion that makes the signal. A stage inserted
    //       or removed just before a delay, or changed upstream of it, changes
    //       what holds that past and its shape, not where it is read;
    //    2. the shape (the state moved: a stage inserted downstream of it);
    //    3. delay lines by shape again, from old lines already carried elsewhere:
    //       the same past copied to a second place (a filter's input memory
    //       inserted in front of a delay that keeps that signal's past).
    //    A recursion is never matched by its position alone unless delays read
    //    its past: if its shape changed, it is another filter.
    std::vector<bool> moved(nl.size(), false);
    auto match_by = [&](auto key, auto eligible, bool reuse_old, bool is_move) {
        std::map<PartKey, std::vector<std::size_t>> olds, news;
        for (std::size_t i = 0; i < ol.size(); ++i) {
            if ((reuse_old || !old_used[i]) && is_state(ol[i]) && eligible(ol[i])) {
                olds[key(ol[i].identity)].push_back(i);
            }
        }
        for (std::size_t i = 0; i < nl.size(); ++i) {
            if (match[i] < 0 && is_state(nl[i]) && eligible(nl[i])) {
                news[key(nl[i].identity)].push_back(i);
            }
        }
        for (const auto& [k, ns] : news) {
            auto it = olds.find(k);
            if (ns.size() == 1 && it != olds.end() && it->second.size() == 1) {
                std::size_t o = it->second[0];
                match[ns[0]] = std::int64_t(o);
                old_used[o] = true;
                moved[ns[0]] = is_move || ol[o].kind != nl[ns[0]].kind;
            }
        }
    };
    match_by(place_of, is_history, false, false);
    std::vector<bool> by_place(nl.size(), false);
    for (std::size_t i = 0; i < nl.size(); ++i) {
        by_place[i] = match[i] >= 0 && nl[i].identity != ol[std::size_t(match[i])].identity;
    }
    match_by(shape_of, is_movable, false, true);
    match_by(
        shape_of, [](const StateField& f) { return f.kind == StateKind::Delay; }, true, true);

    // -- steps: the ring index first, then every matched field
    plan.dst_iota = iota_offset(nl);
    plan.src_iota = iota_offset(ol);
    std::vector<CopyStep> iota_steps, steps;
    for (std::size_t i = 0; i < nl.size(); ++i) {
        const StateField& n = nl[i];
        if (n.kind == StateKind::Control || !is_state(n)) {
            continue;
        }
        if (is_rdtable(n)) {
            // its content decides, wherever it is: an old table with the same bytes
            bool same = false;
            for (std::size_t o = 0; o < ol.size() && !to_tables.empty() && o < from_tables.size();
                 ++o) {
                if (from_tables[o] != 0 && from_tables[o] == to_tables[i] &&
                    ol[o].bytes == n.bytes) {
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
        s.dst_field = std::uint32_t(i);
        s.src_ring = o.ring;
        s.dst_ring = n.ring;
        if (by_place[i] && o.scale != n.scale && n.type != ValueType::I32) {
            s.src_scale = o.scale; // what was heard at that place stays what is heard
            s.dst_scale = n.scale;
        }
        const bool scaled = s.src_scale != s.dst_scale;
        bool same_layout =
            s.src_type == s.dst_type && o.elements == n.elements && o.ring == n.ring && !scaled;
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
        (n.kind == StateKind::Iota ? iota_steps : steps).push_back(s);
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
            c.from_kind = ol[std::size_t(match[i])].kind;
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

/// The x for which the new program's kn * x equals the old program's ko * v, in
/// the precision T of the programs: x = (ko * v) / kn, moved by one step when the
/// rounding of the division makes kn * x miss (exact whenever such an x exists).
template <class T> T rescale(T v, T ko, T kn) noexcept {
    const T heard = ko * v;
    if (kn == T(1)) {
        return heard;
    }
    const T x = heard / kn;
    if (kn * x == heard) {
        return x;
    }
    for (T y : {std::nextafter(x, T(INFINITY)), std::nextafter(x, -T(INFINITY))}) {
        if (kn * y == heard) {
            return y;
        }
    }
    return x;
}

double scaled(double v, const CopyStep& s) noexcept {
    if (s.src_scale == s.dst_scale) {
        return v;
    }
    if (s.dst_type == ElemType::F32) {
        return rescale<float>(float(v), float(s.src_scale), float(s.dst_scale));
    }
    return rescale<double>(v, s.src_scale, s.dst_scale);
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
                store(dst, s.dst_type, i, scaled(load(src, s.src_type, i), s));
            }
            break;
        }
        case CopyStep::Op::History: {
            // IOTA steps ran first: the new ring index is in place
            std::int32_t si = load_iota(from, plan.src_iota);
            std::int32_t di = load_iota(to, plan.dst_iota);
            std::uint32_t n =
                std::min(depth_of(s.src_ring, s.src_count), depth_of(s.dst_ring, s.dst_count));
            if (s.src_ring && s.dst_ring && s.src_type == s.dst_type &&
                s.src_scale == s.dst_scale) {
                // ring to ring: runs of ages contiguous in both rings, copied as bytes
                const std::size_t es = elem_size(s.src_type);
                for (std::uint32_t age = 1; age <= n;) {
                    std::size_t a = slot_of(true, s.src_count, si, age),
                                b = slot_of(true, s.dst_count, di, age);
                    // going back in age walks down both rings: the run ends at index 0 of either
                    std::size_t run =
                        std::min<std::size_t>({a + 1, b + 1, std::size_t(n - age + 1)});
                    std::memcpy(dst + (b + 1 - run) * es, src + (a + 1 - run) * es, run * es);
                    age += std::uint32_t(run);
                }
                break;
            }
            for (std::uint32_t age = 1; age <= n; ++age) {
                double v = load(src, s.src_type, slot_of(s.src_ring, s.src_count, si, age));
                store(dst, s.dst_type, slot_of(s.dst_ring, s.dst_count, di, age), scaled(v, s));
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

// ------------------------------------------------------------------ check (tests)

namespace {

/// A field's element as a double, read by its own rules (no shared helper with the copy).
double element(const std::byte* state, std::uint32_t offset, ElemType t, std::size_t i) {
    const std::byte* p = state + offset;
    if (t == ElemType::F64) {
        double v;
        std::memcpy(&v, p + i * 8, 8);
        return v;
    }
    if (t == ElemType::F32) {
        float v;
        std::memcpy(&v, p + i * 4, 4);
        return v;
    }
    std::int32_t v;
    std::memcpy(&v, p + i * 4, 4);
    return v;
}

/// The element of a line that a program reads for the value `age` samples ago.
std::size_t read_slot(bool ring, std::uint32_t count, std::int32_t iota, std::uint32_t age) {
    if (!ring) {
        return age; // shifted: element k is k samples ago
    }
    std::int64_t k = (std::int64_t(iota) - std::int64_t(age)) % std::int64_t(count);
    return std::size_t(k < 0 ? k + count : k);
}

/// x as the destination type stores it (the copy converts; the check must too).
double as_stored(double x, ElemType t) {
    if (t == ElemType::F32) {
        return double(float(x));
    }
    if (t == ElemType::I32) {
        double c = std::clamp(x, -2147483648.0, 2147483647.0);
        return double(std::int32_t(c == c ? c : 0.0));
    }
    return x;
}

bool same(double a, double b) {
    return a == b || (a != a && b != b);
}

} // namespace

std::vector<std::string> verify_migration(const MigrationPlan& plan, const Factory& to,
                                          const std::byte* from, const std::byte* migrated) {
    std::vector<std::string> errors;
    const auto& nl = to.state_layout();
    auto iota = [](const std::byte* state, std::int64_t off) -> std::int32_t {
        if (off < 0) {
            return 0;
        }
        std::int32_t v;
        std::memcpy(&v, state + off, 4);
        return v;
    };
    const std::int32_t si = iota(from, plan.src_iota), di = iota(migrated, plan.dst_iota);
    std::vector<bool> copied(nl.size(), false);
    for (const CopyStep& s : plan.steps) {
        const std::string name = s.dst_field < nl.size() ? nl[s.dst_field].name : "?";
        if (s.dst_field < nl.size()) {
            copied[s.dst_field] = true;
        }
        auto differ = [&](const std::string& what, double want, double got) {
            char buf[160];
            std::snprintf(buf, sizeof buf, "%s: %s is %.17g, the old version held %.17g",
                          name.c_str(), what.c_str(), got, want);
            errors.emplace_back(buf);
        };
        // what a program reads: its factor times the stored value, in its precision
        auto heard = [&](double v, double k) {
            v = as_stored(v, s.dst_type);
            return k == 1 ? v : as_stored(v * as_stored(k, s.dst_type), s.dst_type);
        };
        auto as_read = [&](double v) { return heard(v, s.src_scale); };
        auto got_read = [&](double v) { return heard(v, s.dst_scale); };
        const bool lines = s.op == CopyStep::Op::History ||
                           (s.op == CopyStep::Op::Bytes && (s.src_ring || s.dst_ring));
        if (s.op == CopyStep::Op::Control) {
            double want = as_stored(
                std::clamp(element(from, s.src_offset, s.src_type, 0), s.lo, s.hi), s.dst_type);
            double got = element(migrated, s.dst_offset, s.dst_type, 0);
            if (!same(want, got)) {
                differ("the value", want, got);
            }
        } else if (lines) {
            // every age both hold, read as each program reads it
            std::uint32_t src_depth = s.src_ring ? s.src_count : s.src_count - 1;
            std::uint32_t dst_depth = s.dst_ring ? s.dst_count : s.dst_count - 1;
            std::uint32_t n = std::min(src_depth, dst_depth);
            std::size_t bad = 0;
            for (std::uint32_t age = 1; age <= n && bad < 3; ++age) {
                double want = as_read(element(from, s.src_offset, s.src_type,
                                              read_slot(s.src_ring, s.src_count, si, age)));
                double got = got_read(element(migrated, s.dst_offset, s.dst_type,
                                              read_slot(s.dst_ring, s.dst_count, di, age)));
                if (!same(want, got)) {
                    differ("the value " + std::to_string(age) + " samples ago", want, got);
                    ++bad;
                }
            }
            if (!s.dst_ring && s.dst_count > 1 &&
                !same(element(migrated, s.dst_offset, s.dst_type, 0),
                      element(migrated, s.dst_offset, s.dst_type, 1))) {
                differ("element 0 (repeats the last sample at a block boundary)",
                       element(migrated, s.dst_offset, s.dst_type, 1),
                       element(migrated, s.dst_offset, s.dst_type, 0));
            }
        } else {
            std::uint32_t n =
                s.op == CopyStep::Op::Bytes ? s.dst_count : std::min(s.src_count, s.dst_count);
            std::size_t bad = 0;
            for (std::uint32_t i = 0; i < n && bad < 3; ++i) {
                double want = as_read(element(from, s.src_offset, s.src_type, i));
                double got = got_read(element(migrated, s.dst_offset, s.dst_type, i));
                if (!same(want, got)) {
                    differ("element " + std::to_string(i), want, got);
                    ++bad;
                }
            }
        }
    }
    for (const FieldChange& c : plan.changes) {
        bool claims =
            c.action == FieldChange::Action::Carried || c.action == FieldChange::Action::Moved ||
            c.action == FieldChange::Action::Resized || c.action == FieldChange::Action::Clamped;
        if (!claims) {
            continue;
        }
        bool found = false;
        for (std::size_t i = 0; i < nl.size() && !found; ++i) {
            found = nl[i].name == c.name && copied[i];
        }
        if (!found) {
            errors.push_back(c.name + ": reported " + to_string(c.action) +
                             " but nothing was copied into it");
        }
    }
    return errors;
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
