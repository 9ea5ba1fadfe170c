// SPDX-License-Identifier: MIT
#include "ir/loop_ir.h"

namespace tutti::ir {

std::uint32_t type_size(Type t) {
    return t == Type::F64 ? 8 : 4;
}

const char* type_name(Type t) {
    switch (t) {
    case Type::I32:
        return "i32";
    case Type::F32:
        return "f32";
    case Type::F64:
        return "f64";
    }
    return "?";
}

void layout(Module& m) {
    // Doubles first, then 4-byte fields: natural alignment without padding.
    std::uint32_t offset = 0;
    for (int pass = 0; pass < 2; ++pass) {
        for (Field& f : m.fields) {
            bool wide = type_size(f.type) == 8 || f.kind == FieldKind::Sound;
            if ((pass == 0) != wide) {
                continue;
            }
            f.offset = offset;
            offset += type_size(f.type) * f.count;
        }
    }
    m.state_bytes = (offset + 15u) & ~15u;
}

} // namespace tutti::ir
