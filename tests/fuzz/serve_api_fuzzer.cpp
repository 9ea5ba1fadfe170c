// SPDX-License-Identifier: MIT
/** \file
 * Fuzz target `serve_api`: bytes as a request to `tutti serve` (src/serve/api.h)
 * and as a program bundle (src/remote/bundle.h). The input is split as
 * "METHOD TARGET\nBODY"; parse_call() runs with and without a required token.
 * Checks that nothing crashes, that an error's status is a client or server
 * error and its JSON is valid, that a decoded bundle's names are all valid and
 * that re-encoding it gives back the same text.
 */
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_target.h"
#include "http/json_scan.h"
#include "remote/bundle.h"
#include "serve/api.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size > 65536) {
        return -1;
    }
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const std::size_t nl = text.find('\n');
    const std::string_view line = text.substr(0, nl);
    const std::string_view body = nl == std::string_view::npos ? "" : text.substr(nl + 1);
    const std::size_t sp = line.find(' ');
    const std::string_view method = line.substr(0, sp);
    const std::string_view target = sp == std::string_view::npos ? "" : line.substr(sp + 1);
    for (bool token : {false, true}) {
        tutti::serve::ApiAccess access;
        access.token_required = token;
        access.token = "0123456789abcdef0123456789abcdef";
        access.given_header = body.substr(0, 40);
        tutti::serve::ApiLimits limits;
        limits.max_json_body = 4096;
        limits.max_bundle = 32768;
        auto r = tutti::serve::parse_call(method, target, body, access, limits);
        if (auto* e = std::get_if<tutti::serve::ApiError>(&r)) {
            if (e->status < 400 || e->status > 599) {
                __builtin_trap();
            }
            if (!tutti::http::json_object_members(tutti::serve::error_json(e->message))) {
                __builtin_trap();
            }
        }
    }
    std::string error;
    tutti::remote::BundleLimits limits;
    limits.max_files = 64;
    if (auto b = tutti::remote::decode_bundle(text, &error, limits)) {
        for (const auto& f : b->files) {
            if (!tutti::remote::bundle_name_ok(f.name)) {
                __builtin_trap();
            }
        }
        if (tutti::remote::encode_bundle(*b) != text) {
            __builtin_trap(); // the encoding is canonical: a decoded text round-trips
        }
    }
    return 0;
}
