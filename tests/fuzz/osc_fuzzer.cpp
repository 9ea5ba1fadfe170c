// SPDX-License-Identifier: MIT
/** \file
 * libFuzzer target for the OSC decoder (src/osc/osc_codec.h), the parser of
 * every UDP packet the OSC server receives: any byte string is decoded; what
 * decodes is encoded again and must decode to the same messages (a round
 * trip), and every address is matched as an OSC pattern against a few names
 * (control/osc_pattern.h), so that a crash, hang, leak or overrun in either
 * shows up.
 */
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "control/osc_pattern.h"
#include "fuzz_target.h"
#include "osc/osc_codec.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size > tutti::osc::max_packet) {
        return -1;
    }
    std::vector<tutti::osc::Message> msgs;
    std::string error;
    if (!tutti::osc::decode({data, size}, msgs, &error)) {
        return 0;
    }
    for (const auto& m : msgs) {
        std::vector<std::uint8_t> again = tutti::osc::encode(m);
        std::vector<tutti::osc::Message> back;
        if (!tutti::osc::decode(again, back, &error) || back.size() != 1 ||
            back[0].address != m.address || back[0].args.size() != m.args.size()) {
            std::abort(); // what we decode, we must encode back the same
        }
        std::string text = tutti::osc::to_text(m);
        (void)text;
        std::size_t start = 1;
        for (std::size_t i = 1; i <= m.address.size(); ++i) {
            if (i == m.address.size() || m.address[i] == '/') {
                std::string_view seg(m.address.data() + start, i - start);
                for (const char* name : {"gain", "freq_2", "Synth__main_", "", "0x00"}) {
                    (void)tutti::control::match_segment(seg, name);
                }
                start = i + 1;
            }
        }
    }
    return 0;
}
