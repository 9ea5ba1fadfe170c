// SPDX-License-Identifier: MIT
// tutti_qr_print TEXT [--svg]: the QR code of TEXT as `tutti play` prints it in
// the terminal (UTF-8 half blocks), or as SVG (as the page's /qr.svg).
#include <cstdio>
#include <string>

#include "web/qr_code.h"

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fputs("usage: tutti_qr_print TEXT [--svg]\n", stderr);
        return 2;
    }
    bool svg = argc > 2 && std::string(argv[2]) == "--svg";
    std::string out = svg ? tutti::web::qr_svg(argv[1]) : tutti::web::qr_terminal(argv[1]);
    if (out.empty()) {
        std::fputs("tutti_qr_print: the text does not fit a QR code\n", stderr);
        return 1;
    }
    std::fputs(out.c_str(), stdout);
    return 0;
}
