// SPDX-License-Identifier: MIT
/** \file
 * QR codes of the page's URL (libqrencode): UTF-8 half blocks for the terminal
 * (`tutti play` prints it) and SVG for the page (the HTTP server serves it as
 * /qr.svg). Byte mode, error correction level M, the smallest version that fits.
 */
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tutti::web {

/// The modules of a QR code, row by row, true = dark; no quiet zone.
struct QrCode {
    int size = 0;
    std::vector<bool> dark;
    bool at(int x, int y) const {
        return x >= 0 && y >= 0 && x < size && y < size && dark[std::size_t(y * size + x)];
    }
};

/// Encodes `text`; nothing when it does not fit a QR code (over ~2300 bytes).
std::optional<QrCode> make_qr(std::string_view text);

/// The code as UTF-8 half blocks, two module rows per line, drawn for a dark
/// terminal: light modules and the quiet zone (`margin` modules) are the
/// printed blocks (U+2588, U+2580, U+2584), dark modules the terminal's own
/// background. Each line ends with '\n'. Empty when `text` does not fit.
std::string qr_terminal(std::string_view text, int margin = 2);

/// The code as a standalone SVG document: a white square (with a quiet zone of
/// `margin` modules) and one black path, one unit per module, crisp edges.
/// Empty when `text` does not fit.
std::string qr_svg(std::string_view text, int margin = 4);

} // namespace tutti::web
