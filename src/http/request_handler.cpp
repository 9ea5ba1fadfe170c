// SPDX-License-Identifier: MIT
/** \file
 * Faust's httpd paths, answered from an AddressTable and a ControlPort
 * (request_handler.h); the safety rules of issue 11 section 6 on top.
 */
#include "http/request_handler.h"

#include <algorithm>
#include <cctype>
#include <cstdio>

#include "http/json_scan.h"
#include "support/loopback.h"
#include "web/assets.h"
#include "web/qr_code.h"

namespace tutti::http {

namespace {

constexpr std::size_t max_query_params = 16;

int hex_digit(char c) {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    c = char(std::tolower(static_cast<unsigned char>(c)));
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    return -1;
}

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) ==
                      std::tolower(static_cast<unsigned char>(y));
           });
}

struct Query {
    bool has_value = false;
    std::string value;
    std::string token;
    bool bad = false;
};

Query parse_query(std::string_view q) {
    Query out;
    std::size_t count = 0;
    while (!q.empty()) {
        std::size_t amp = q.find('&');
        std::string_view item = q.substr(0, amp);
        q = amp == std::string_view::npos ? std::string_view() : q.substr(amp + 1);
        if (item.empty()) {
            continue;
        }
        if (++count > max_query_params) {
            out.bad = true;
            return out;
        }
        std::size_t eq = item.find('=');
        std::optional<std::string> key = percent_decode(item.substr(0, eq), true);
        std::optional<std::string> val = eq == std::string_view::npos
                                             ? std::optional<std::string>(std::string())
                                             : percent_decode(item.substr(eq + 1), true);
        if (!key || !val) {
            out.bad = true;
            return out;
        }
        if (*key == "value") {
            out.has_value = true;
            out.value = std::move(*val);
        } else if (*key == "token") {
            out.token = std::move(*val);
        }
    }
    return out;
}

Answer text(int status, std::string body) {
    Answer a;
    a.status = status;
    a.body = std::move(body);
    return a;
}

/// The origin a browser sends for a page loaded from `host`.
bool origin_matches_host(std::string_view origin, std::string_view host) {
    constexpr std::string_view scheme = "http://";
    return origin.size() == scheme.size() + host.size() &&
           iequals(origin.substr(0, scheme.size()), scheme) &&
           iequals(origin.substr(scheme.size()), host);
}

/// Why a write (or a WebSocket upgrade) is refused; empty when it may go on.
std::string write_refusal(const Request& r, const Access& access, std::string_view token_given,
                          bool* token_ok) {
    *token_ok = token_matches(token_given, access.token);
    if (!access.loopback_peer && !*token_ok) {
        return "writes from another machine need the token (?token=...)";
    }
    if (!r.origin.empty() && !origin_matches_host(r.origin, r.host)) {
        return "the Origin does not match the Host";
    }
    if (!*token_ok && !is_loopback_host(r.host)) {
        return "writes without the token must be sent to a loopback host name";
    }
    return {};
}

std::string value_line(std::string_view address, double value) {
    std::string line(address);
    line += ' ';
    line += format_httpd_value(value);
    line += " \n";
    return line;
}

} // namespace

bool token_matches(std::string_view given, std::string_view token) {
    if (token.empty() || given.size() != token.size()) {
        return false;
    }
    unsigned diff = 0;
    for (std::size_t i = 0; i < token.size(); ++i) {
        diff |= static_cast<unsigned>(static_cast<unsigned char>(given[i]) ^
                                      static_cast<unsigned char>(token[i]));
    }
    return diff == 0;
}

std::optional<double> parse_httpd_value(std::string_view s) {
    std::size_t i = 0;
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) {
        ++i;
    }
    double sign = 1;
    if (i < s.size() && (s[i] == '-' || s[i] == '+')) {
        sign = s[i] == '-' ? -1 : 1;
        ++i;
    }
    double v = 0;
    bool digits = false;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
        v = v * 10 + (s[i++] - '0');
        digits = true;
    }
    if (i < s.size() && (s[i] == '.' || s[i] == ',')) {
        ++i;
        double scale = 0.1;
        while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
            v += (s[i++] - '0') * scale;
            scale /= 10;
            digits = true;
        }
    }
    // Faust's reader takes a value whenever it is not 0, or something was read
    if (!digits) {
        return std::nullopt;
    }
    return float(sign * v); // Faust reads a float
}

std::string format_httpd_value(double value) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%#g", double(float(value)));
    return buf;
}

std::optional<std::string> percent_decode(std::string_view s, bool plus_is_space) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        char c = s[i];
        if (c == '%') {
            if (i + 2 >= s.size()) {
                return std::nullopt;
            }
            int hi = hex_digit(s[i + 1]), lo = hex_digit(s[i + 2]);
            if (hi < 0 || lo < 0) {
                return std::nullopt;
            }
            c = char(hi * 16 + lo);
            i += 2;
        } else if (c == '+' && plus_is_space) {
            c = ' ';
        }
        if (c == '\0') {
            return std::nullopt;
        }
        out += c;
    }
    return out;
}

Answer handle_request(const Request& r, ControlPort& port, const Access& access) {
    if (r.method != "GET" && r.method != "HEAD") {
        Answer a = text(405, "method not allowed: only GET (and HEAD)\n");
        return a;
    }
    std::string_view target = r.target;
    std::size_t qmark = target.find('?');
    std::string_view raw_path = target.substr(0, qmark);
    std::string_view raw_query =
        qmark == std::string_view::npos ? std::string_view() : target.substr(qmark + 1);
    std::size_t hash = raw_query.find('#');
    raw_query = raw_query.substr(0, hash);
    std::optional<std::string> decoded = percent_decode(raw_path, false);
    if (!decoded || decoded->empty() || decoded->front() != '/') {
        return text(400, "bad request: the path\n");
    }
    const std::string& path = *decoded;
    // no "." or ".." segment, and no backslash: nothing here names a file
    for (std::size_t i = 0; i <= path.size();) {
        std::size_t next = path.find('/', i);
        std::string_view seg = std::string_view(path).substr(
            i, next == std::string::npos ? std::string::npos : next - i);
        if (seg == ".." || seg == "." || seg.find('\\') != std::string_view::npos) {
            return text(400, "bad request: '.' and '..' are not allowed in a path\n");
        }
        if (next == std::string::npos) {
            break;
        }
        i = next + 1;
    }
    Query query = parse_query(raw_query);
    if (query.bad) {
        return text(400, "bad request: the query\n");
    }

    if (path == "/ws") {
        if (!r.websocket_upgrade) {
            return text(426, "the WebSocket is at /ws (an Upgrade request)\n");
        }
        bool token_ok = false;
        std::string refusal = write_refusal(r, access, query.token, &token_ok);
        // a foreign page may not even read through a browser's WebSocket
        if (!r.origin.empty() && !origin_matches_host(r.origin, r.host)) {
            return text(403, "forbidden: " + refusal + "\n");
        }
        Answer a;
        a.status = 101;
        a.websocket = true;
        a.can_write = refusal.empty();
        return a;
    }

    std::shared_ptr<const AddressTable> table = port.table();
    if (path == "/JSON") {
        Answer a;
        a.content_type = "application/json";
        a.body = table->json() + " \n";
        return a;
    }

    if (path != "/") {
        // the address as the client spelled it, without a trailing '/'
        std::string asked = path;
        while (asked.size() > 1 && asked.back() == '/') {
            asked.pop_back();
        }
        Spelling spelling = Spelling::Json;
        std::vector<std::size_t> controls = table->under(path, &spelling);
        std::optional<std::size_t> exact = table->find(path);
        if (exact && query.has_value) {
            const Control& c = table->controls()[*exact];
            std::optional<double> v = parse_httpd_value(query.value);
            double shown = port.value(*table, *exact);
            if (v && !c.output) {
                bool token_ok = false;
                std::string refusal = write_refusal(r, access, query.token, &token_ok);
                if (!refusal.empty()) {
                    return text(403, "forbidden: " + refusal + "\n");
                }
                double x = std::clamp(*v, std::min(c.min, c.max), std::max(c.min, c.max));
                if (!port.set(*table, *exact, x)) {
                    return text(503, "busy: the engine's queue is full\n");
                }
                shown = x;
                Answer a;
                a.changed.emplace_back(*exact, x);
                a.table = table;
                a.body = value_line(asked, shown);
                return a;
            }
            return text(200, value_line(asked, shown));
        }
        if (!controls.empty()) {
            Answer a;
            for (std::size_t i : controls) {
                const Control& c = table->controls()[i];
                std::string_view address =
                    exact ? std::string_view(asked)
                          : std::string_view(spelling == Spelling::Json ? c.path : c.httpd_path);
                a.body += value_line(address, port.value(*table, i));
                if (exact) {
                    break;
                }
            }
            return a;
        }
    }
    if (path != "/") {
        // The process's read-only status (a NetJack link's counters): one
        // value as a line, a prefix of several as a JSON object.
        std::string asked = path;
        while (asked.size() > 1 && asked.back() == '/') {
            asked.pop_back();
        }
        std::vector<ControlPort::StatusValue> status = port.status(asked);
        if (status.size() == 1 && status[0].address == asked) {
            const ControlPort::StatusValue& v = status[0];
            return text(200, v.is_text ? asked + ' ' + v.text + " \n" : value_line(asked, v.value));
        }
        if (!status.empty()) {
            Answer a;
            a.content_type = "application/json";
            a.body = "{";
            for (std::size_t i = 0; i < status.size(); ++i) {
                a.body +=
                    (i ? ", " : "") + json_quote(status[i].address) + ": " +
                    (status[i].is_text ? json_quote(status[i].text) : json_number(status[i].value));
            }
            a.body += "}\n";
            return a;
        }
    }
    if (path == "/qr.svg" && !access.page_url.empty()) {
        // The code holds the token: only for a loopback peer or one that has it.
        if (!access.loopback_peer && !token_matches(query.token, access.token)) {
            return text(403, "forbidden: the QR code needs the token (?token=...)\n");
        }
        Answer a;
        a.content_type = "image/svg+xml";
        a.body = web::qr_svg(access.page_url);
        return a;
    }
    if (const web::Asset* asset = web::find_asset(path)) {
        Answer a;
        a.content_type = std::string(asset->content_type);
        a.body = std::string(asset->body);
        a.cacheable = true;
        return a;
    }
    Answer a = text(404, "");
    return a;
}

} // namespace tutti::http
