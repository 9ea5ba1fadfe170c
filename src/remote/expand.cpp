// SPDX-License-Identifier: MIT
// A program and the files it reads, as one bundle (bundle.h): the front end
// parses the closure of imports, libraries and components (nothing is
// evaluated or compiled) and each file it read goes into the bundle under the
// name it was asked for by.
#include <filesystem>

#include "frontend/frontend_session.h"
#include "remote/bundle.h"

namespace tutti::remote {

namespace {

std::optional<Bundle> collect(frontend::FrontendSession& session,
                              const frontend::ParsedFile* program, const std::string& program_name,
                              std::string* error) {
    if (program == nullptr) {
        *error = "cannot read the program '" + program_name + "'";
        for (const Diagnostic& d : session.resolved_diagnostics()) {
            *error += "\n" + to_text(d);
        }
        return std::nullopt;
    }
    Bundle bundle;
    bundle.files.push_back({program_name, std::string(session.sources().text(program->id))});
    bundle.origins.push_back(program->path.string());
    for (const auto& f : session.files()) {
        if (f.get() == program) {
            continue;
        }
        if (!bundle_name_ok(f->requested)) {
            *error = "'" + f->requested + "' (" + f->path.string() +
                     ") cannot be sent in a bundle: name imported files by relative names "
                     "without '..' (add its folder with -I)";
            return std::nullopt;
        }
        bool seen = false;
        for (const BundleFile& b : bundle.files) {
            seen = seen || b.name == f->requested;
        }
        if (seen) {
            *error = "two files are imported as '" + f->requested + "'";
            return std::nullopt;
        }
        bundle.files.push_back({f->requested, std::string(session.sources().text(f->id))});
        bundle.origins.push_back(f->path.string());
    }
    return bundle;
}

frontend::FrontendOptions options(const std::vector<std::string>& include_dirs) {
    frontend::FrontendOptions o;
    o.include_dirs = include_dirs;
    return o;
}

} // namespace

std::optional<Bundle> expand_program(const std::string& path,
                                     const std::vector<std::string>& include_dirs,
                                     std::string* error) {
    frontend::FrontendSession session(options(include_dirs));
    const std::string name = std::filesystem::path(path).filename().string();
    if (!bundle_name_ok(name)) {
        *error = "'" + path + "' is not a program file name";
        return std::nullopt;
    }
    return collect(session, session.parse_program(path), name, error);
}

std::optional<Bundle> expand_source(const std::string& name, const std::string& text,
                                    const std::string& dir,
                                    const std::vector<std::string>& include_dirs,
                                    std::string* error) {
    if (!bundle_name_ok(name) || name.find('/') != std::string::npos) {
        *error = "'" + name + "' is not a program file name";
        return std::nullopt;
    }
    frontend::FrontendSession session(options(include_dirs));
    return collect(session, session.parse_program_text(name, text, dir), name, error);
}

} // namespace tutti::remote
