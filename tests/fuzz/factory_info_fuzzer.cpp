// SPDX-License-Identifier: MIT
/** \file
 * libFuzzer target for the FactoryInfo codec and the MachineCode container
 * (src/runtime/factory_info_codec.h), which read factories received from a
 * compile server or a cache file. The first byte chooses: bit 1 the container
 * (FactoryInfo or MachineCode), bit 0 whether the rest is decoded as it is
 * (header, length and checksum checks) or wrapped in a valid header and
 * checksum first, so that the fuzzer reaches the payload's parser. Traps when a
 * decoded value does not encode back to the same bytes, or when it breaks what
 * the decoder promises (UI widgets name parameters, offsets inside the block).
 * Bit 2 of the first byte: a state image (runtime/state_image.h: a state
 * block with its layout, received by tutti serve's PUT .../state and by a
 * program moving back), also wrapped or not; a decoded one has every element
 * of every field read as a migration reads it (rings through their index).
 * Bit 3: a constants image (runtime/constants_memo.h, kept by the code cache
 * next to a program's code), wrapped in its container or not; what
 * decodes must encode back to the same bytes.
 */
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "fuzz_target.h"
#include "runtime/constants_memo.h"
#include "runtime/factory_info_codec.h"
#include "runtime/state_image.h"
#include "tutti/machine_code.h"

namespace {

void put(std::string& s, std::uint64_t v, int bytes) {
    for (int i = 0; i < bytes; ++i) {
        s.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
    }
}

void check_info(const tutti::FactoryInfo& info);

void check_code(std::string_view bytes) {
    std::string error;
    auto code = tutti::decode_machine_code(bytes, &error);
    if (!code) {
        if (error.empty()) {
            std::abort();
        }
        return;
    }
    if (tutti::encode_machine_code(*code) != bytes) {
        std::abort();
    }
    check_info(code->info);
}

void check(std::string_view bytes) {
    std::string error;
    auto info = tutti::decode_factory_info(bytes, &error);
    if (!info) {
        if (error.empty()) {
            std::abort(); // a refusal always says why
        }
        return;
    }
    if (tutti::encode_factory_info(*info) != bytes) {
        std::abort();
    }
    check_info(*info);
}

void check_info(const tutti::FactoryInfo& i) {
    const tutti::FactoryInfo* info = &i;
    const std::uint64_t value = info->double_precision ? 8 : 4;
    for (const auto& p : info->parameters) {
        if (p.offset + value > info->state_bytes) {
            std::abort();
        }
    }
    for (const auto& item : info->ui) {
        if (item.kind == tutti::UiItem::Kind::Widget && item.parameter >= info->parameters.size()) {
            std::abort();
        }
    }
}

void check_state(std::string_view bytes) {
    std::string error;
    auto image = tutti::decode_state_image(bytes, &error);
    if (!image) {
        if (error.empty()) {
            std::abort();
        }
        return;
    }
    const tutti::FactoryInfo& l = image->layout;
    const bool trimmed =
        l.json.empty() && l.ui.empty() && l.metadata.empty() && l.source_files.empty();
    if (trimmed && tutti::encode_state_image(*image) != bytes) {
        std::abort(); // the layout travels trimmed: only then is the encoding the same
    }
    check_info(image->layout);
    if (image->bytes.size() != image->layout.state_bytes) {
        std::abort();
    }
    // every element of every field, as a copy by layout reads it
    volatile unsigned sum = 0;
    for (const tutti::StateField& f : image->layout.state_layout) {
        const std::size_t size = tutti::size_of(f.type);
        if (f.elements == 0 || std::uint64_t(f.elements) * size != f.bytes ||
            std::uint64_t(f.offset) + f.bytes > image->bytes.size()) {
            std::abort();
        }
        for (std::uint32_t age = 0; age < f.elements; ++age) {
            const std::size_t slot =
                f.ring ? std::size_t(std::uint32_t(12345) - age) & std::size_t(f.elements - 1)
                       : age;
            sum = sum + unsigned(image->bytes[f.offset + slot * size]);
        }
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size > (1u << 20)) {
        return -1;
    }
    if (size == 0) {
        check(std::string_view());
        return 0;
    }
    const std::string_view in(reinterpret_cast<const char*>(data), size);
    const bool code = (data[0] & 2) != 0;
    const std::string_view body = in.substr(1);
    if ((data[0] & 8) != 0) { // a constants image (runtime/constants_memo.h), from a cache file
        std::string bytes(body);
        if ((data[0] & 1) != 0) {
            bytes = std::string("TCI\x01", 4);
            put(bytes, 1, 4);
            put(bytes, body.size(), 8);
            bytes.append(body);
            put(bytes, tutti::checksum64(body), 8);
        }
        auto image = tutti::runtime::decode_constants_image(bytes);
        if (image && tutti::runtime::encode_constants_image(*image) != bytes) {
            std::abort(); // what decodes encodes back to the same bytes
        }
        return 0;
    }
    if ((data[0] & 4) != 0) {
        if ((data[0] & 1) == 0) {
            check_state(body);
            return 0;
        }
        std::string wrapped("TSI\x01", 4);
        put(wrapped, tutti::state_image_format_version, 4);
        put(wrapped, body.size(), 8);
        wrapped.append(body);
        put(wrapped, tutti::checksum64(body), 8);
        check_state(wrapped);
        return 0;
    }
    if ((data[0] & 1) == 0) {
        code ? check_code(body) : check(body);
        return 0;
    }
    std::string wrapped(code ? "TMC\x01" : "TFI\x01", 4);
    put(wrapped, code ? 1 : tutti::factory_info_format_version, 4);
    put(wrapped, body.size(), 8);
    wrapped.append(body);
    put(wrapped, tutti::checksum64(body), 8);
    code ? check_code(wrapped) : check(wrapped);
    return 0;
}
