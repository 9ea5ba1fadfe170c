// SPDX-License-Identifier: MIT
#include "web/qr_code.h"

#include <qrencode.h>

#include <memory>

namespace tutti::web {

std::optional<QrCode> make_qr(std::string_view text) {
    // Byte mode on an explicit length: the URL may hold any byte, NUL included.
    std::unique_ptr<QRcode, void (*)(QRcode*)> code(
        QRcode_encodeData(int(text.size()), reinterpret_cast<const unsigned char*>(text.data()), 0,
                          QR_ECLEVEL_M),
        QRcode_free);
    if (!code) {
        return std::nullopt;
    }
    QrCode q;
    q.size = code->width;
    q.dark.resize(std::size_t(q.size) * std::size_t(q.size));
    for (std::size_t i = 0; i < q.dark.size(); ++i) {
        q.dark[i] = (code->data[i] & 1) != 0; // bit 0: the module is dark
    }
    return q;
}

std::string qr_terminal(std::string_view text, int margin) {
    std::optional<QrCode> q = make_qr(text);
    if (!q) {
        return {};
    }
    // Coordinates include the quiet zone: module (x - margin, y - margin).
    const int side = q->size + 2 * margin;
    auto light = [&](int x, int y) { return y < side && !q->at(x - margin, y - margin); };
    std::string out;
    for (int y = 0; y < side; y += 2) {
        for (int x = 0; x < side; ++x) {
            bool top = light(x, y);
            bool bottom = light(x, y + 1);
            out += top && bottom ? "\u2588" : top ? "\u2580" : bottom ? "\u2584" : " ";
        }
        out += '\n';
    }
    return out;
}

std::string qr_svg(std::string_view text, int margin) {
    std::optional<QrCode> q = make_qr(text);
    if (!q) {
        return {};
    }
    const int side = q->size + 2 * margin;
    std::string path;
    // One horizontal run of dark modules per "M x y h n v1 h-n z".
    for (int y = 0; y < q->size; ++y) {
        for (int x = 0; x < q->size;) {
            if (!q->at(x, y)) {
                ++x;
                continue;
            }
            int run = 1;
            while (q->at(x + run, y)) {
                ++run;
            }
            path += "M" + std::to_string(x + margin) + " " + std::to_string(y + margin) + "h" +
                    std::to_string(run) + "v1h-" + std::to_string(run) + "z";
            x += run;
        }
    }
    std::string s = std::to_string(side);
    return "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 " + s + " " + s +
           "\" shape-rendering=\"crispEdges\">"
           "<rect width=\"" +
           s + "\" height=\"" + s + "\" fill=\"#fff\"/><path fill=\"#000\" d=\"" + path +
           "\"/></svg>\n";
}

} // namespace tutti::web
