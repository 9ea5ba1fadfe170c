// SPDX-License-Identifier: MIT
/** \file Helpers shared by the front-end tests. */
#pragma once

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "frontend/ast/ast_printer.h"
#include "frontend/frontend_session.h"
#include "frontend/import/search_path.h"

namespace tutti::test {

/// Parses `source` alone (imports not followed) and returns the printed tree
/// of its statements, or the diagnostics (as "L:C: id: message" lines) if any.
struct Parsed {
    std::string dump;
    std::vector<Diagnostic> diags;
};

inline Parsed parse_text(const std::string& source, bool follow = false) {
    frontend::FrontendOptions opts;
    opts.follow_imports = follow;
    frontend::FrontendSession s(opts);
    const frontend::ParsedFile* pf = s.parse_program_text("test.dsp", source);
    Parsed out;
    if (pf != nullptr) {
        out.dump = ast::print(pf->root, &s.sources());
    }
    out.diags = s.resolved_diagnostics();
    return out;
}

/// The printed form of the body of the definition `process`, on one line, or
/// "DIAG L:C: message" for the first diagnostic.
inline std::string process_of(const std::string& source) {
    frontend::FrontendOptions opts;
    opts.follow_imports = false;
    frontend::FrontendSession s(opts);
    const frontend::ParsedFile* pf = s.parse_program_text("test.dsp", source);
    auto diags = s.resolved_diagnostics();
    if (!diags.empty()) {
        return "DIAG " + std::to_string(diags[0].line) + ":" + std::to_string(diags[0].column) +
               ": " + diags[0].message;
    }
    for (const ast::Node* st : pf->root->children()) {
        if (st->kind == ast::NodeKind::Definition && st->name.str() == "process") {
            std::string d = ast::print(st->kids[st->count - 1]);
            d.pop_back(); // newline
            return d;
        }
    }
    return "NO PROCESS";
}

inline std::string read_file(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

/// Sorted stems of the files with extension `ext` directly in `dir`
/// (the test cases of a folder-driven suite).
inline std::vector<std::string> stems_in(const std::filesystem::path& dir, const std::string& ext) {
    std::vector<std::string> out;
    for (const auto& e : std::filesystem::directory_iterator(dir)) {
        if (e.path().extension() == ext) {
            out.push_back(e.path().stem().string());
        }
    }
    std::sort(out.begin(), out.end());
    return out;
}

inline std::filesystem::path faust_dir() {
    auto dirs = frontend::installed_faust_library_dirs();
    return dirs.empty() ? std::filesystem::path() : dirs.front();
}

inline std::filesystem::path source_dir() {
    return TUTTI_SOURCE_DIR;
}

} // namespace tutti::test
