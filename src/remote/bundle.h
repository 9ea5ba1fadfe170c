// SPDX-License-Identifier: MIT
/** \file
 * A program bundle: the self-contained text a client sends to a compile server
 * (`tutti serve`, docs/serve-api.md). A Faust program reads other files
 * (`import`, `library`, `component`); the bundle holds the program and every
 * file it reads, under the name it asks for them by, so the server compiles
 * exactly what the client has, whatever libraries the server has installed.
 *
 * The text is a header line and one record per file, the program first:
 *
 *     tutti-bundle 1\n
 *     <name>\n<decimal byte count>\n<bytes>\n      (once per file)
 *
 * Names are relative ("stdfaust.lib", "sub/fx.dsp"): no '/' at the start, no
 * ".." segment, no control characters, at most 255 bytes, each at most once.
 * decode_bundle() is a pure, bounded function of outside bytes (fuzzed by
 * tests/fuzz/serve_api_fuzzer.cpp): any malformed or truncated text is an
 * error message, never a crash.
 */
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tutti::remote {

struct BundleFile {
    std::string name; ///< as the program asks for it; the program's own file name first
    std::string text;
};

struct Bundle {
    std::vector<BundleFile> files; ///< files[0] is the program
    /// Where the client read files[i] (expand_program; not sent): the names
    /// its diagnostics use locally.
    std::vector<std::string> origins;
};

struct BundleLimits {
    std::size_t max_files = 4096;
    std::size_t max_bytes = 64u << 20; ///< the whole text
};

/// Whether `name` may name a file of a bundle (see the file comment).
bool bundle_name_ok(std::string_view name);

std::string encode_bundle(const Bundle& bundle);
/// nullopt with *error ("bundle: ...") for a text that is not a valid bundle.
std::optional<Bundle> decode_bundle(std::string_view text, std::string* error,
                                    const BundleLimits& limits = {});

/// The bundle of a program file: the file and every file its `import`,
/// `library` and `component` read, found as the compiler finds them (its
/// folder, `include_dirs`, TUTTI_LIBRARY_PATH, the installed Faust libraries).
/// Nothing is compiled: the files are parsed only to follow their references.
/// nullopt with *error when the program cannot be read or a file it reads cannot
/// be named in a bundle (an absolute path, or one with "..").
std::optional<Bundle> expand_program(const std::string& path,
                                     const std::vector<std::string>& include_dirs,
                                     std::string* error);
/// The same for a program given as text, named `name`, in folder `dir`.
std::optional<Bundle> expand_source(const std::string& name, const std::string& text,
                                    const std::string& dir,
                                    const std::vector<std::string>& include_dirs,
                                    std::string* error);

} // namespace tutti::remote
