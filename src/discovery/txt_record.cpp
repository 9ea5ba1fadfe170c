// SPDX-License-Identifier: MIT
/** \file The `_tutti._tcp` TXT record, its reader, and the listing's text and JSON forms. */
#include "discovery/txt_record.h"

#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "support/json_text.h"

namespace tutti::discovery {

namespace {

// A decimal number in [0, max], or nothing.
bool parse_uint(std::string_view s, unsigned long max, unsigned long& out) {
    if (s.empty() || s.size() > 10) {
        return false;
    }
    unsigned long v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || end != s.data() + s.size() || v > max) {
        return false;
    }
    out = v;
    return true;
}

// A plain decimal "12.34" (digits and at most one point): no exponents, signs,
// inf or nan from strtod's wider grammar.
bool parse_load(std::string_view s, double& out) {
    if (s.empty() || s.size() > 16) {
        return false;
    }
    int points = 0;
    for (char c : s) {
        if (c == '.') {
            ++points;
        } else if (c < '0' || c > '9') {
            return false;
        }
    }
    if (points > 1 || s == ".") {
        return false;
    }
    std::string text(s);
    out = std::strtod(text.c_str(), nullptr);
    return std::isfinite(out);
}

// Printable ASCII only in what we show (a peer may send anything).
std::string printable(std::string_view s, std::size_t max = 128) {
    std::string out;
    for (char c : s.substr(0, max)) {
        out += (c >= 0x20 && c < 0x7f) ? c : '?';
    }
    return out;
}

} // namespace

std::string format_load(double load) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2f", std::clamp(load, 0.0, 999.0));
    return buf;
}

unsigned online_cpus() {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? unsigned(n) : 1U;
}

double current_load() {
    double avg[1];
    if (getloadavg(avg, 1) != 1) {
        return -1;
    }
    return avg[0] / online_cpus();
}

std::vector<std::string> make_txt(const ServerFacts& facts) {
    std::vector<std::string> txt{"txtvers=1"};
    auto add = [&](const char* key, const std::string& value) {
        if (!value.empty()) {
            std::string entry = std::string(key) + "=" + value;
            entry.resize(std::min(entry.size(), max_txt_entry));
            txt.push_back(entry);
        }
    };
    add("version", facts.version);
    add("cpu", facts.cpu);
    add("cores", facts.cores != 0 ? std::to_string(facts.cores) : "");
    add("load", facts.load >= 0 ? format_load(facts.load) : "");
    add("api", facts.api);
    add("osc", facts.osc_port != 0 ? std::to_string(facts.osc_port) : "");
    add("http", facts.http_port != 0 ? std::to_string(facts.http_port) : "");
    return txt;
}

ServerFacts parse_txt(const std::vector<std::string>& entries) {
    ServerFacts f;
    std::size_t n = std::min(entries.size(), max_txt_entries);
    for (std::size_t i = 0; i < n; ++i) {
        std::string_view e = entries[i];
        if (e.size() > max_txt_entry) {
            continue;
        }
        std::size_t eq = e.find('=');
        if (eq == std::string_view::npos) {
            continue;
        }
        std::string_view key = e.substr(0, eq);
        std::string_view value = e.substr(eq + 1);
        unsigned long u = 0;
        if (key == "version") {
            f.version = printable(value, 64);
        } else if (key == "cpu") {
            f.cpu = printable(value, 64);
        } else if (key == "api") {
            f.api = printable(value, 128);
        } else if (key == "cores" && parse_uint(value, 1U << 16, u)) {
            f.cores = unsigned(u);
        } else if (key == "load") {
            double load = 0;
            if (parse_load(value, load)) {
                f.load = load;
            }
        } else if (key == "osc" && parse_uint(value, 65535, u)) {
            f.osc_port = std::uint16_t(u);
        } else if (key == "http" && parse_uint(value, 65535, u)) {
            f.http_port = std::uint16_t(u);
        }
    }
    return f;
}

std::string to_json(const std::vector<ServerInfo>& servers) {
    std::string out = "[";
    for (std::size_t i = 0; i < servers.size(); ++i) {
        const ServerInfo& s = servers[i];
        out += i == 0 ? "\n  {" : ",\n  {";
        out += "\"name\": " + json_string(s.name);
        out += ", \"host\": " + json_string(s.host);
        out += ", \"address\": " + json_string(s.address);
        out += ", \"interface\": " + json_string(s.interface);
        out += ", \"port\": " + std::to_string(s.port);
        out += ", \"version\": " + json_string(s.facts.version);
        out += ", \"cpu\": " + json_string(s.facts.cpu);
        out += ", \"cores\": " + std::to_string(s.facts.cores);
        out += ", \"load\": " + (s.facts.load >= 0 ? format_load(s.facts.load) : "null");
        out += ", \"api\": " + json_string(s.facts.api);
        out += ", \"osc_port\": " + std::to_string(s.facts.osc_port);
        out += ", \"http_port\": " + std::to_string(s.facts.http_port);
        out += "}";
    }
    out += servers.empty() ? "]\n" : "\n]\n";
    return out;
}

std::string to_table(const std::vector<ServerInfo>& servers) {
    if (servers.empty()) {
        return "";
    }
    std::vector<std::vector<std::string>> rows;
    rows.push_back({"NAME", "ADDRESS", "PORT", "CPU", "CORES", "LOAD", "VERSION", "HOST"});
    for (const ServerInfo& s : servers) {
        rows.push_back({printable(s.name), s.address, std::to_string(s.port),
                        s.facts.cpu.empty() ? "-" : s.facts.cpu,
                        s.facts.cores != 0 ? std::to_string(s.facts.cores) : "-",
                        s.facts.load >= 0 ? format_load(s.facts.load) : "-",
                        s.facts.version.empty() ? "-" : s.facts.version, printable(s.host)});
    }
    std::vector<std::size_t> width(rows[0].size(), 0);
    for (const auto& r : rows) {
        for (std::size_t c = 0; c < r.size(); ++c) {
            width[c] = std::max(width[c], r[c].size());
        }
    }
    std::string out;
    for (const auto& r : rows) {
        for (std::size_t c = 0; c < r.size(); ++c) {
            out += r[c];
            if (c + 1 < r.size()) {
                out += std::string(width[c] - r[c].size() + 2, ' ');
            }
        }
        out += '\n';
    }
    return out;
}

} // namespace tutti::discovery
