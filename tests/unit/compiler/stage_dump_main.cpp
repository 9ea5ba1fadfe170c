// SPDX-License-Identifier: MIT
// tutti_stage_dump FILE.dsp boxes|signals|types|normal|intervals|ir [--double]: prints one stage.
#include <fstream>
#include <iostream>
#include <sstream>

#include "compiler/stage_dump.h"

int main(int argc, char** argv) {
    if (argc < 3) {
        std::cerr << "usage: tutti_stage_dump FILE.dsp boxes|signals|types|normal|intervals|ir "
                     "[--double]\n";
        return 2;
    }
    std::ifstream in(argv[1]);
    std::stringstream ss;
    ss << in.rdbuf();
    std::string name = argv[1];
    name = name.substr(name.find_last_of('/') + 1);
    bool dbl = argc > 3 && std::string(argv[3]) == "--double";
    auto d = tutti::compiler::dump_stages(name, ss.str(), dbl);
    for (const auto& diag : d.diagnostics) {
        std::cerr << tutti::to_text(diag);
    }
    std::string stage = argv[2];
    std::cout << (stage == "boxes"       ? d.boxes
                  : stage == "signals"   ? d.signals
                  : stage == "types"     ? d.types
                  : stage == "normal"    ? d.normal
                  : stage == "intervals" ? d.intervals
                                         : d.ir);
    return d.diagnostics.empty() ? 0 : 1;
}
