// SPDX-License-Identifier: MIT
#include "osc/osc_codec.h"

#include <cmath>
#include <cstdio>
#include <cstring>

namespace tutti::osc {

namespace {

std::uint32_t be32(const std::uint8_t* p) {
    return (std::uint32_t(p[0]) << 24) | (std::uint32_t(p[1]) << 16) | (std::uint32_t(p[2]) << 8) |
           std::uint32_t(p[3]);
}

std::uint64_t be64(const std::uint8_t* p) {
    return (std::uint64_t(be32(p)) << 32) | be32(p + 4);
}

void put32(std::vector<std::uint8_t>& out, std::uint32_t v) {
    out.push_back(std::uint8_t(v >> 24));
    out.push_back(std::uint8_t(v >> 16));
    out.push_back(std::uint8_t(v >> 8));
    out.push_back(std::uint8_t(v));
}

void put64(std::vector<std::uint8_t>& out, std::uint64_t v) {
    put32(out, std::uint32_t(v >> 32));
    put32(out, std::uint32_t(v));
}

void put_string(std::vector<std::uint8_t>& out, std::string_view s) {
    out.insert(out.end(), s.begin(), s.end());
    std::size_t pad = 4 - (s.size() % 4); // at least one NUL
    out.insert(out.end(), pad, 0);
}

/// A bounded reader over one element.
struct Reader {
    const std::uint8_t* p;
    std::size_t n;
    std::size_t at = 0;
    const char* error = nullptr;

    std::size_t left() const {
        return n - at;
    }
    bool fail(const char* why) {
        if (!error) {
            error = why;
        }
        return false;
    }
    /// A NUL-terminated string padded to 4 bytes.
    bool string(std::string_view& s) {
        const void* nul = std::memchr(p + at, 0, left());
        if (!nul) {
            return fail("unterminated string");
        }
        std::size_t len = static_cast<const std::uint8_t*>(nul) - (p + at);
        std::size_t padded = (len + 4) & ~std::size_t(3);
        if (padded > left()) {
            return fail("string padding past the end");
        }
        for (std::size_t k = len; k < padded; ++k) {
            if (p[at + k] != 0) {
                return fail("string padding is not zero");
            }
        }
        s = std::string_view(reinterpret_cast<const char*>(p + at), len);
        at += padded;
        return true;
    }
    bool u32(std::uint32_t& v) {
        if (left() < 4) {
            return fail("truncated argument");
        }
        v = be32(p + at);
        at += 4;
        return true;
    }
    bool u64(std::uint64_t& v) {
        if (left() < 8) {
            return fail("truncated argument");
        }
        v = be64(p + at);
        at += 8;
        return true;
    }
};

bool decode_message(const std::uint8_t* p, std::size_t n, std::uint64_t timetag,
                    std::vector<Message>& out, const char*& error) {
    Reader r{p, n};
    Message m;
    m.timetag = timetag;
    std::string_view addr, tags;
    if (!r.string(addr)) {
        error = r.error;
        return false;
    }
    if (addr.empty() || addr[0] != '/') {
        error = "address does not start with '/'";
        return false;
    }
    m.address = std::string(addr);
    if (r.left() == 0) {
        // OSC 1.0 allows a message without a type tag string (no arguments).
        out.push_back(std::move(m));
        return true;
    }
    if (!r.string(tags) || tags.empty() || tags[0] != ',') {
        error = r.error ? r.error : "type tags do not start with ','";
        return false;
    }
    if (tags.size() - 1 > max_args) {
        error = "too many arguments";
        return false;
    }
    m.args.reserve(tags.size() - 1);
    for (std::size_t k = 1; k < tags.size(); ++k) {
        Arg a;
        a.type = tags[k];
        std::uint32_t u = 0;
        std::uint64_t w = 0;
        std::string_view s;
        switch (a.type) {
        case 'i':
            if (!r.u32(u)) {
                break;
            }
            a.i = std::int32_t(u);
            break;
        case 'c':
        case 'r':
        case 'm':
            if (!r.u32(u)) {
                break;
            }
            a.i = u;
            break;
        case 'f': {
            if (!r.u32(u)) {
                break;
            }
            float f;
            std::memcpy(&f, &u, 4);
            a.d = static_cast<double>(f);
            break;
        }
        case 'h':
        case 't':
            if (!r.u64(w)) {
                break;
            }
            a.i = std::int64_t(w);
            break;
        case 'd': {
            if (!r.u64(w)) {
                break;
            }
            std::memcpy(&a.d, &w, 8);
            break;
        }
        case 's':
        case 'S':
            if (r.string(s)) {
                a.s = std::string(s);
            }
            break;
        case 'b': {
            if (!r.u32(u)) {
                break;
            }
            std::size_t padded = (std::size_t(u) + 3) & ~std::size_t(3);
            if (u > r.left() || padded > r.left()) {
                r.fail("blob longer than the packet");
                break;
            }
            a.s.assign(reinterpret_cast<const char*>(p + r.at), u);
            r.at += padded;
            break;
        }
        case 'T':
            a.i = 1;
            break;
        case 'F':
        case 'N':
        case 'I':
            break;
        default:
            error = "unknown type tag";
            return false;
        }
        if (r.error) {
            error = r.error;
            return false;
        }
        m.args.push_back(std::move(a));
    }
    if (r.left() != 0) {
        error = "bytes after the last argument";
        return false;
    }
    out.push_back(std::move(m));
    return true;
}

bool decode_element(const std::uint8_t* p, std::size_t n, std::uint64_t timetag, int depth,
                    std::vector<Message>& out, const char*& error) {
    if (n == 0 || n % 4 != 0) {
        error = "size is not a positive multiple of 4";
        return false;
    }
    if (p[0] == '/') {
        if (out.size() >= max_messages) {
            error = "too many messages";
            return false;
        }
        return decode_message(p, n, timetag, out, error);
    }
    if (n < 16 || std::memcmp(p, "#bundle\0", 8) != 0) {
        error = "neither a message nor a bundle";
        return false;
    }
    if (depth >= max_depth) {
        error = "bundles nested too deep";
        return false;
    }
    std::uint64_t tt = be64(p + 8);
    std::size_t at = 16;
    while (at < n) {
        if (n - at < 4) {
            error = "truncated bundle element size";
            return false;
        }
        std::uint32_t size = be32(p + at);
        at += 4;
        if (size > n - at) {
            error = "bundle element longer than the bundle";
            return false;
        }
        if (!decode_element(p + at, size, tt, depth + 1, out, error)) {
            return false;
        }
        at += size;
    }
    return true;
}

} // namespace

std::optional<double> Arg::number(bool bools) const {
    switch (type) {
    case 'i':
    case 'h':
        return double(i);
    case 'f':
    case 'd':
        return d;
    case 'T':
    case 'F':
        if (bools) {
            return double(i);
        }
        return std::nullopt;
    default:
        return std::nullopt;
    }
}

std::optional<std::string_view> Arg::string() const {
    if (type == 's' || type == 'S') {
        return std::string_view(s);
    }
    return std::nullopt;
}

std::optional<std::int64_t> Arg::integer() const {
    if (type == 'i' || type == 'h') {
        return i;
    }
    if ((type == 'f' || type == 'd') && std::isfinite(d) && d == std::floor(d) &&
        std::fabs(d) < 9e15) {
        return std::int64_t(d);
    }
    return std::nullopt;
}

bool decode(std::span<const std::uint8_t> packet, std::vector<Message>& out, std::string* error) {
    const char* why = nullptr;
    if (packet.size() > max_packet) {
        why = "packet too large";
    } else {
        std::vector<Message> got;
        if (decode_element(packet.data(), packet.size(), immediately, 0, got, why)) {
            out.insert(out.end(), std::make_move_iterator(got.begin()),
                       std::make_move_iterator(got.end()));
            return true;
        }
    }
    if (error) {
        *error = why ? why : "malformed packet";
    }
    return false;
}

Writer::Writer(std::string_view address) : address_(address) {
}

Writer& Writer::i(std::int32_t v) {
    tags_ += 'i';
    put32(data_, std::uint32_t(v));
    return *this;
}

Writer& Writer::f(float v) {
    tags_ += 'f';
    std::uint32_t u;
    std::memcpy(&u, &v, 4);
    put32(data_, u);
    return *this;
}

Writer& Writer::d(double v) {
    tags_ += 'd';
    std::uint64_t u;
    std::memcpy(&u, &v, 8);
    put64(data_, u);
    return *this;
}

Writer& Writer::s(std::string_view v) {
    tags_ += 's';
    // A NUL inside would end the string early on the other side: cut there.
    put_string(data_, v.substr(0, v.find('\0')));
    return *this;
}

Writer& Writer::h(std::int64_t v) {
    tags_ += 'h';
    put64(data_, std::uint64_t(v));
    return *this;
}

Writer& Writer::arg(const Arg& a) {
    switch (a.type) {
    case 'i':
        return i(std::int32_t(a.i));
    case 'f':
        return f(float(a.d));
    case 'd':
        return d(a.d);
    case 's':
        return s(a.s);
    case 'S':
        tags_ += 'S';
        put_string(data_, std::string_view(a.s).substr(0, a.s.find('\0')));
        return *this;
    case 'h':
        return h(a.i);
    case 'T':
    case 'F':
    case 'N':
    case 'I':
        tags_ += a.type;
        return *this;
    case 't':
        tags_ += 't';
        put64(data_, std::uint64_t(a.i));
        return *this;
    case 'c':
    case 'r':
    case 'm':
        tags_ += a.type;
        put32(data_, std::uint32_t(a.i));
        return *this;
    case 'b':
        tags_ += 'b';
        put32(data_, std::uint32_t(a.s.size()));
        data_.insert(data_.end(), a.s.begin(), a.s.end());
        data_.insert(data_.end(), (4 - a.s.size() % 4) % 4, 0);
        return *this;
    default:
        return *this;
    }
}

std::vector<std::uint8_t> Writer::bytes() const {
    std::vector<std::uint8_t> out;
    out.reserve(address_.size() + tags_.size() + data_.size() + 8);
    put_string(out, address_.substr(0, address_.find('\0')));
    put_string(out, tags_);
    out.insert(out.end(), data_.begin(), data_.end());
    return out;
}

std::vector<std::uint8_t> encode(const Message& m) {
    Writer w(m.address);
    for (const Arg& a : m.args) {
        w.arg(a);
    }
    return w.bytes();
}

std::vector<std::uint8_t> encode_bundle(std::uint64_t timetag,
                                        const std::vector<std::vector<std::uint8_t>>& elements) {
    std::vector<std::uint8_t> out{'#', 'b', 'u', 'n', 'd', 'l', 'e', 0};
    put64(out, timetag);
    for (const auto& e : elements) {
        put32(out, std::uint32_t(e.size()));
        out.insert(out.end(), e.begin(), e.end());
    }
    return out;
}

std::string to_text(const Message& m) {
    std::string s = m.address + " ,";
    for (const Arg& a : m.args) {
        s += a.type;
    }
    for (const Arg& a : m.args) {
        char buf[64];
        switch (a.type) {
        case 'f':
        case 'd':
            std::snprintf(buf, sizeof buf, " %g", a.d);
            s += buf;
            break;
        case 's':
        case 'S':
            s += " \"" + a.s.substr(0, 200) + (a.s.size() > 200 ? "...\"" : "\"");
            break;
        case 'b':
            s += " <blob " + std::to_string(a.s.size()) + ">";
            break;
        case 'T':
        case 'F':
        case 'N':
        case 'I':
            break;
        default:
            s += " " + std::to_string(a.i);
        }
    }
    return s;
}

} // namespace tutti::osc
