// SPDX-License-Identifier: MIT
#include "codegen/single_assignment.h"

#include <cstdint>
#include <utility>

namespace tutti::codegen {

namespace {

using ir::Expr;
using ir::ExprKind;
using ir::Stmt;
using ir::StmtKind;

/// Where a statement is: for each enclosing statement list, from the
/// function's body down, (list number, index in the list).
using Path = std::vector<std::pair<std::uint32_t, std::uint32_t>>;

struct Read {
    std::uint32_t local;
    Path at;
};

class Scan {
public:
    explicit Scan(const ir::Function& f) : sets_(f.locals.size(), 0), set_at_(f.locals.size()) {
        list(f.body);
    }

    std::vector<bool> result() const {
        std::vector<bool> ok(sets_.size(), false);
        for (std::size_t l = 0; l < sets_.size(); ++l) {
            ok[l] = sets_[l] == 1;
        }
        for (const Read& r : reads_) {
            if (r.local < ok.size() && ok[r.local] && !after(set_at_[r.local], r.at)) {
                ok[r.local] = false;
            }
        }
        return ok;
    }

private:
    /// A read at `read` follows the set at `set` in the set's own list (or is
    /// inside a statement that does).
    static bool after(const Path& set, const Path& read) {
        std::size_t k = set.size() - 1;
        if (read.size() <= k) {
            return false;
        }
        for (std::size_t i = 0; i < k; ++i) {
            if (read[i] != set[i]) {
                return false;
            }
        }
        return read[k].first == set[k].first && read[k].second > set[k].second;
    }

    void list(std::span<const Stmt* const> body) {
        std::uint32_t id = next_list_++;
        for (std::uint32_t i = 0; i < body.size(); ++i) {
            path_.emplace_back(id, i);
            stmt(body[i]);
            path_.pop_back();
        }
    }

    void stmt(const Stmt* s) {
        expr(s->element);
        expr(s->value);
        expr(s->to);
        expr(s->cond);
        if (s->kind == StmtKind::SetLocal && s->index < sets_.size()) {
            ++sets_[s->index];
            set_at_[s->index] = path_;
        }
        list(s->body);
        list(s->else_body);
    }

    void expr(const Expr* e) {
        if (e == nullptr) {
            return;
        }
        std::vector<const Expr*> stack{e};
        while (!stack.empty()) {
            const Expr* x = stack.back();
            stack.pop_back();
            if (x->kind == ExprKind::Local) {
                reads_.push_back({x->index, path_});
            }
            for (const Expr* k : x->a) {
                stack.push_back(k);
            }
        }
    }

    std::vector<int> sets_;
    std::vector<Path> set_at_;
    std::vector<Read> reads_;
    Path path_;
    std::uint32_t next_list_ = 0;
};

} // namespace

std::vector<bool> single_assignment_locals(const ir::Function& f) {
    return Scan(f).result();
}

} // namespace tutti::codegen
