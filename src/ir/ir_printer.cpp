// SPDX-License-Identifier: MIT
#include "ir/ir_printer.h"

#include <charconv>
#include <cmath>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "ir/ir_verifier.h"

namespace tutti::ir {

const char* op_name(Op op) {
    switch (op) {
    case Op::None:
        return "None";
    case Op::Neg:
        return "Neg";
    case Op::FtoI:
        return "FtoI";
    case Op::ItoF:
        return "ItoF";
    case Op::FExt:
        return "FExt";
    case Op::FTrunc:
        return "FTrunc";
    case Op::Add:
        return "Add";
    case Op::Sub:
        return "Sub";
    case Op::Mul:
        return "Mul";
    case Op::Div:
        return "Div";
    case Op::Rem:
        return "Rem";
    case Op::Min:
        return "Min";
    case Op::Max:
        return "Max";
    case Op::And:
        return "And";
    case Op::Or:
        return "Or";
    case Op::Xor:
        return "Xor";
    case Op::Shl:
        return "Shl";
    case Op::Shr:
        return "Shr";
    case Op::Lt:
        return "Lt";
    case Op::Le:
        return "Le";
    case Op::Gt:
        return "Gt";
    case Op::Ge:
        return "Ge";
    case Op::Eq:
        return "Eq";
    case Op::Ne:
        return "Ne";
    }
    return "<bad op>";
}

const char* expr_kind_name(ExprKind k) {
    switch (k) {
    case ExprKind::Const:
        return "Const";
    case ExprKind::Local:
        return "Local";
    case ExprKind::Field:
        return "Field";
    case ExprKind::Input:
        return "Input";
    case ExprKind::SampleRate:
        return "SampleRate";
    case ExprKind::Count:
        return "Count";
    case ExprKind::FrameIndex:
        return "FrameIndex";
    case ExprKind::LoopVar:
        return "LoopVar";
    case ExprKind::Unary:
        return "Unary";
    case ExprKind::Binary:
        return "Binary";
    case ExprKind::Call:
        return "Call";
    case ExprKind::Select:
        return "Select";
    case ExprKind::SoundInfo:
        return "SoundInfo";
    case ExprKind::SoundSample:
        return "SoundSample";
    }
    return "<bad expression kind>";
}

const char* stmt_kind_name(StmtKind k) {
    switch (k) {
    case StmtKind::SetLocal:
        return "SetLocal";
    case StmtKind::SetField:
        return "SetField";
    case StmtKind::SetOutput:
        return "SetOutput";
    case StmtKind::For:
        return "For";
    case StmtKind::FrameLoop:
        return "FrameLoop";
    case StmtKind::If:
        return "If";
    }
    return "<bad statement kind>";
}

const char* field_kind_name(FieldKind k) {
    switch (k) {
    case FieldKind::Control:
        return "control";
    case FieldKind::Constant:
        return "constant";
    case FieldKind::Table:
        return "table";
    case FieldKind::Delay:
        return "delay";
    case FieldKind::Recursion:
        return "recursion";
    case FieldKind::Iota:
        return "iota";
    case FieldKind::Sound:
        return "sound";
    case FieldKind::Other:
        return "other";
    }
    return "<bad kind>";
}

namespace {

std::string type_text(Type t) {
    switch (t) {
    case Type::I32:
    case Type::F32:
    case Type::F64:
        return type_name(t);
    }
    return "<bad type>";
}

/// Shortest text that reads back to the same value, with a `.0` when it would
/// look like an integer.
template <class T> std::string real_text(T v) {
    char buf[64];
    auto r = std::to_chars(buf, buf + sizeof buf, v);
    std::string s(buf, r.ptr);
    if (s.find_first_of(".eni") == std::string::npos) {
        s += ".0";
    }
    return s;
}

/// Display names: the given name, or `<prefix><n>` when empty; every name that
/// occurs twice gets `_<n>` appended.
std::vector<std::string> display_names(const std::vector<std::string>& names, const char* prefix) {
    std::unordered_map<std::string, int> seen;
    for (const std::string& n : names) {
        ++seen[n];
    }
    std::vector<std::string> out;
    for (std::size_t i = 0; i < names.size(); ++i) {
        if (names[i].empty()) {
            out.push_back(prefix + std::to_string(i));
        } else if (seen[names[i]] > 1) {
            out.push_back(names[i] + "_" + std::to_string(i));
        } else {
            out.push_back(names[i]);
        }
    }
    return out;
}

// C precedence levels (smaller binds tighter).
constexpr int kPrimary = 0;
constexpr int kUnary = 2;
constexpr int kCond = 13;

int binary_precedence(Op op) {
    switch (op) {
    case Op::Mul:
    case Op::Div:
    case Op::Rem:
        return 3;
    case Op::Add:
    case Op::Sub:
        return 4;
    case Op::Shl:
    case Op::Shr:
        return 5;
    case Op::Lt:
    case Op::Le:
    case Op::Gt:
    case Op::Ge:
        return 6;
    case Op::Eq:
    case Op::Ne:
        return 7;
    case Op::And:
        return 8;
    case Op::Xor:
        return 9;
    case Op::Or:
        return 10;
    default:
        return kPrimary; // Min, Max: printed as calls
    }
}

const char* binary_symbol(Op op) {
    switch (op) {
    case Op::Add:
        return "+";
    case Op::Sub:
        return "-";
    case Op::Mul:
        return "*";
    case Op::Div:
        return "/";
    case Op::Rem:
        return "%";
    case Op::And:
        return "&";
    case Op::Or:
        return "|";
    case Op::Xor:
        return "^";
    case Op::Shl:
        return "<<";
    case Op::Shr:
        return ">>";
    case Op::Lt:
        return "<";
    case Op::Le:
        return "<=";
    case Op::Gt:
        return ">";
    case Op::Ge:
        return ">=";
    case Op::Eq:
        return "==";
    case Op::Ne:
        return "!=";
    case Op::Min:
        return "min";
    case Op::Max:
        return "max";
    default:
        return nullptr;
    }
}

class Printer {
public:
    explicit Printer(const Module& m) : m_(m) {
        std::vector<std::string> names;
        for (const Field& f : m.fields) {
            names.push_back(f.name);
        }
        fields_ = display_names(names, "field");
    }

    std::string module() {
        out_ += "module ";
        out_ += type_text(m_.real);
        out_ += " inputs " + std::to_string(m_.num_inputs);
        out_ += " outputs " + std::to_string(m_.num_outputs);
        out_ += " state_bytes " + std::to_string(m_.state_bytes) + "\n";
        out_ += "fields {\n";
        for (std::size_t i = 0; i < m_.fields.size(); ++i) {
            const Field& f = m_.fields[i];
            out_ += "  " + type_text(f.type) + " " + fields_[i];
            if (f.count != 1) {
                out_ += "[" + std::to_string(f.count) + "]";
            }
            out_ += ";  // #" + std::to_string(i) + " " + field_kind_name(f.kind) + " @" +
                    std::to_string(f.offset);
            if (!f.identity.empty()) {
                out_ += " id \"" + f.identity + "\"";
            }
            out_ += "\n";
        }
        out_ += "}\n";
        function("init_constants(state, sample_rate)", m_.init_constants);
        function("reset_controls(state)", m_.reset_controls);
        function("clear_state(state)", m_.clear_state);
        function("compute(state, count, inputs, outputs)", m_.compute);
        return std::move(out_);
    }

private:
    void function(const char* signature, const Function& f) {
        std::vector<std::string> names;
        for (const Local& l : f.locals) {
            names.push_back(l.name);
        }
        locals_ = display_names(names, "l");
        out_ += "\n";
        out_ += signature;
        out_ += " {\n";
        for (std::size_t i = 0; i < f.locals.size(); ++i) {
            out_ += "  " + type_text(f.locals[i].type) + " " + locals_[i] + ";\n";
        }
        block(f.body, 1);
        out_ += "}\n";
    }

    void indent(std::uint32_t depth) {
        out_.append(2 * std::size_t(depth), ' ');
    }

    void block(std::span<const Stmt* const> body, std::uint32_t depth) {
        for (const Stmt* s : body) {
            stmt(s, depth);
        }
    }

    std::string field_ref(std::uint32_t index) const {
        return index < fields_.size() ? fields_[index] : "<field " + std::to_string(index) + ">";
    }

    std::string local_ref(std::uint32_t index) const {
        return index < locals_.size() ? locals_[index] : "<local " + std::to_string(index) + ">";
    }

    void stmt(const Stmt* s, std::uint32_t depth) {
        indent(depth);
        if (s == nullptr) {
            out_ += "<null statement>;\n";
            return;
        }
        if (depth > kMaxNesting) {
            out_ += "<too deep>;\n";
            return;
        }
        switch (s->kind) {
        case StmtKind::SetLocal:
            out_ += local_ref(s->index) + " = " + expr(s->value, kCond, depth) + ";\n";
            return;
        case StmtKind::SetField:
            out_ += field_ref(s->index);
            if (s->element != nullptr) {
                out_ += "[" + expr(s->element, kCond, depth) + "]";
            }
            out_ += " = " + expr(s->value, kCond, depth) + ";\n";
            return;
        case StmtKind::SetOutput:
            out_ += "out" + std::to_string(s->index) + " = " + expr(s->value, kCond, depth) + ";\n";
            return;
        case StmtKind::For: {
            std::string v = "i" + std::to_string(s->loop_id);
            out_ += "for (" + v + " = " + expr(s->value, kCond, depth) + "; " + v + " < " +
                    expr(s->to, kCond, depth) + "; " + v + "++) {\n";
            block(s->body, depth + 1);
            indent(depth);
            out_ += "}\n";
            return;
        }
        case StmtKind::FrameLoop:
            out_ += "for (frame = 0; frame < count; frame++) {\n";
            block(s->body, depth + 1);
            indent(depth);
            out_ += "}\n";
            return;
        case StmtKind::If:
            out_ += "if (" + expr(s->cond, kCond, depth) + ") {\n";
            block(s->body, depth + 1);
            indent(depth);
            if (!s->else_body.empty()) {
                out_ += "} else {\n";
                block(s->else_body, depth + 1);
                indent(depth);
            }
            out_ += "}\n";
            return;
        }
        out_ += "<bad statement kind " + std::to_string(int(s->kind)) + ">;\n";
    }

    std::string operand(const Expr* e, std::size_t i, int max_prec, std::uint32_t depth) {
        return i < e->a.size() ? expr(e->a[i], max_prec, depth + 1) : "<missing operand>";
    }

    /// `e` as C text, in parentheses when it binds looser than `max_prec` allows.
    std::string expr(const Expr* e, int max_prec, std::uint32_t depth) {
        if (e == nullptr) {
            return "<null>";
        }
        if (depth > kMaxNesting) {
            return "<too deep>";
        }
        int prec = kPrimary;
        std::string s = text(e, prec, depth);
        return prec > max_prec ? "(" + s + ")" : s;
    }

    std::string text(const Expr* e, int& prec, std::uint32_t depth) {
        switch (e->kind) {
        case ExprKind::Const:
            switch (e->type) {
            case Type::I32:
                if (e->ival < 0) {
                    prec = kUnary;
                }
                return std::to_string(e->ival);
            case Type::F32: {
                auto v = static_cast<float>(e->rval);
                if (std::signbit(v)) {
                    prec = kUnary;
                }
                return real_text(v) + "f";
            }
            case Type::F64:
                if (std::signbit(e->rval)) {
                    prec = kUnary;
                }
                return real_text(e->rval);
            }
            return "<bad constant>";
        case ExprKind::Local:
            return local_ref(e->index);
        case ExprKind::Field:
            if (e->a.empty()) {
                return field_ref(e->index);
            }
            return field_ref(e->index) + "[" + operand(e, 0, kCond, depth) + "]";
        case ExprKind::Input:
            return "in" + std::to_string(e->index);
        case ExprKind::SampleRate:
            return "sample_rate";
        case ExprKind::Count:
            return "count";
        case ExprKind::FrameIndex:
            return "frame";
        case ExprKind::LoopVar:
            return "i" + std::to_string(e->index);
        case ExprKind::Unary: {
            prec = kUnary;
            std::string x = operand(e, 0, kPrimary, depth);
            switch (e->op) {
            case Op::Neg:
                return "-" + x;
            case Op::FtoI:
            case Op::ItoF:
            case Op::FExt:
            case Op::FTrunc:
                return "(" + type_text(e->type) + ")" + x;
            default:
                return std::string("<unary ") + op_name(e->op) + ">" + x;
            }
        }
        case ExprKind::Binary: {
            const char* sym = binary_symbol(e->op);
            if (sym == nullptr) {
                prec = kPrimary;
                return std::string("<binary ") + op_name(e->op) + ">(" +
                       operand(e, 0, kCond, depth) + ", " + operand(e, 1, kCond, depth) + ")";
            }
            if (e->op == Op::Min || e->op == Op::Max) {
                return std::string(sym) + "(" + operand(e, 0, kCond, depth) + ", " +
                       operand(e, 1, kCond, depth) + ")";
            }
            prec = binary_precedence(e->op);
            // Left-associative: the right operand must bind strictly tighter. Operands
            // of bitwise and shift operators are parenthesised unless unary (as
            // -Wparentheses wants: `(i - 1) & 1023`, not `i - 1 & 1023`).
            bool bitwise = prec == 5 || prec >= 8;
            int left = bitwise ? kUnary : prec;
            int right = bitwise ? kUnary : prec - 1;
            return operand(e, 0, left, depth) + " " + sym + " " + operand(e, 1, right, depth);
        }
        case ExprKind::Call: {
            std::string s = e->callee != nullptr ? e->callee : "<null callee>";
            s += "(";
            for (std::size_t i = 0; i < e->a.size(); ++i) {
                if (i > 0) {
                    s += ", ";
                }
                s += operand(e, i, kCond, depth);
            }
            return s + ")";
        }
        case ExprKind::SoundInfo: {
            static const char* what[] = {"length", "rate", "offset"};
            return std::string(what[e->ival < 0 || e->ival > 2 ? 0 : e->ival]) + "(" +
                   field_ref(e->index) + ", " + operand(e, 0, kCond, depth) + ")";
        }
        case ExprKind::SoundSample:
            return "sample(" + field_ref(e->index) + ", " + std::to_string(e->ival) + ", " +
                   operand(e, 0, kCond, depth) + ")";
        case ExprKind::Select:
            prec = kCond;
            return operand(e, 0, kCond - 1, depth) + " ? " + operand(e, 1, kCond - 1, depth) +
                   " : " + operand(e, 2, kCond, depth);
        }
        return "<bad expression kind " + std::to_string(int(e->kind)) + ">";
    }

    const Module& m_;
    std::vector<std::string> fields_;
    std::vector<std::string> locals_;
    std::string out_;
};

} // namespace

std::string print(const Module& m) {
    return Printer(m).module();
}

} // namespace tutti::ir
