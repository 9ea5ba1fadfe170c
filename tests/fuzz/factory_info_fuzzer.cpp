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
 */
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "fuzz_target.h"
#include "runtime/factory_info_codec.h"
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
