// SPDX-License-Identifier: MIT
// The bundle text (bundle.h): encoding and a bounded decoder of outside bytes.
#include "remote/bundle.h"

#include <unordered_set>

namespace tutti::remote {

namespace {

constexpr std::string_view magic = "tutti-bundle 1\n";

/// The line starting at *pos (without its '\n'); advances past it.
std::optional<std::string_view> take_line(std::string_view text, std::size_t* pos,
                                          std::size_t max) {
    const std::size_t end = text.find('\n', *pos);
    if (end == std::string_view::npos || end - *pos > max) {
        return std::nullopt;
    }
    std::string_view line = text.substr(*pos, end - *pos);
    *pos = end + 1;
    return line;
}

} // namespace

bool bundle_name_ok(std::string_view name) {
    if (name.empty() || name.size() > 255 || name.front() == '/') {
        return false;
    }
    for (char c : name) {
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f || c == '\\') {
            return false;
        }
    }
    std::size_t start = 0;
    while (start <= name.size()) {
        std::size_t slash = name.find('/', start);
        if (slash == std::string_view::npos) {
            slash = name.size();
        }
        const std::string_view seg = name.substr(start, slash - start);
        if (seg.empty() || seg == "." || seg == "..") {
            return false;
        }
        start = slash + 1;
    }
    return true;
}

std::string encode_bundle(const Bundle& bundle) {
    std::size_t size = magic.size();
    for (const BundleFile& f : bundle.files) {
        size += f.name.size() + f.text.size() + 24;
    }
    std::string out;
    out.reserve(size);
    out += magic;
    for (const BundleFile& f : bundle.files) {
        out += f.name;
        out += '\n';
        out += std::to_string(f.text.size());
        out += '\n';
        out += f.text;
        out += '\n';
    }
    return out;
}

std::optional<Bundle> decode_bundle(std::string_view text, std::string* error,
                                    const BundleLimits& limits) {
    auto fail = [&](std::string message) -> std::optional<Bundle> {
        if (error != nullptr) {
            *error = "bundle: " + std::move(message);
        }
        return std::nullopt;
    };
    if (text.size() > limits.max_bytes) {
        return fail("larger than " + std::to_string(limits.max_bytes) + " bytes");
    }
    if (text.substr(0, magic.size()) != magic) {
        return fail("does not start with 'tutti-bundle 1'");
    }
    Bundle bundle;
    std::unordered_set<std::string_view> names;
    std::size_t pos = magic.size();
    while (pos < text.size()) {
        if (bundle.files.size() >= limits.max_files) {
            return fail("more than " + std::to_string(limits.max_files) + " files");
        }
        const std::size_t index = bundle.files.size() + 1;
        auto name = take_line(text, &pos, 255);
        if (!name) {
            return fail("file " + std::to_string(index) + ": no name line (truncated?)");
        }
        if (!bundle_name_ok(*name)) {
            return fail("file " + std::to_string(index) +
                        ": a name must be relative, without '..', at most 255 bytes");
        }
        if (!names.insert(*name).second) {
            return fail("file " + std::to_string(index) + ": '" + std::string(*name) +
                        "' appears twice");
        }
        auto count = take_line(text, &pos, 20);
        if (!count || count->empty()) {
            return fail("file '" + std::string(*name) + "': no byte count (truncated?)");
        }
        if (count->size() > 1 && count->front() == '0') {
            return fail("file '" + std::string(*name) + "': a byte count has no leading zero");
        }
        std::size_t n = 0;
        for (char c : *count) {
            if (c < '0' || c > '9' || n > (std::size_t(1) << 40)) {
                return fail("file '" + std::string(*name) + "': bad byte count");
            }
            n = n * 10 + std::size_t(c - '0');
        }
        if (n > text.size() - pos || text.size() - pos - n < 1 || text[pos + n] != '\n') {
            return fail("file '" + std::string(*name) + "': truncated (" + std::to_string(n) +
                        " bytes announced, " + std::to_string(text.size() - pos) + " left)");
        }
        bundle.files.push_back({std::string(*name), std::string(text.substr(pos, n))});
        pos += n + 1;
    }
    if (bundle.files.empty()) {
        return fail("no program");
    }
    return bundle;
}

} // namespace tutti::remote
