// SPDX-License-Identifier: MIT
#include "runtime/factory_info_codec.h"

#include <cstdint>
#include <cstring>
#include <limits>
#include <set>
#include <sstream>
#include <utility>
#include <vector>

#include "runtime/constants_memo.h"
#include "runtime/state_image.h"
#include "tutti/machine_code.h"

namespace tutti {

namespace {

constexpr char magic[4] = {'T', 'F', 'I', '\x01'};
constexpr char code_magic[4] = {'T', 'M', 'C', '\x01'};
constexpr char state_magic[4] = {'T', 'S', 'I', '\x01'};
constexpr char constants_magic[4] = {'T', 'C', 'I', '\x01'};
constexpr std::uint32_t constants_format_version = 1;
constexpr std::uint32_t code_format_version = 1;
constexpr std::size_t header_bytes = 4 + 4 + 8;
constexpr std::size_t trailer_bytes = 8;
// Bounds on plain numbers (the byte counts bound everything else).
constexpr int max_channels = 1 << 20;
constexpr int max_voices = 1 << 16;

class Writer {
public:
    void u8(std::uint8_t v) {
        out_.push_back(static_cast<char>(v));
    }
    void u32(std::uint32_t v) {
        for (int i = 0; i < 4; ++i) {
            out_.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
        }
    }
    void u64(std::uint64_t v) {
        for (int i = 0; i < 8; ++i) {
            out_.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
        }
    }
    void i32(int v) {
        u32(static_cast<std::uint32_t>(v));
    }
    void real(double x) {
        std::uint64_t v = 0;
        std::memcpy(&v, &x, sizeof v);
        u64(v);
    }
    void count(std::size_t n) {
        u32(static_cast<std::uint32_t>(n));
    }
    void text(std::string_view s) {
        count(s.size());
        out_.append(s);
    }
    void pairs(const std::vector<std::pair<std::string, std::string>>& kv) {
        count(kv.size());
        for (const auto& [k, v] : kv) {
            text(k);
            text(v);
        }
    }
    std::string& bytes() {
        return out_;
    }

private:
    std::string out_;
};

class Reader {
public:
    Reader(std::string_view in, std::size_t base, const char* what = "factory info")
        : in_(in), base_(base), what_(what) {
    }
    bool failed() const {
        return !error_.empty();
    }
    const std::string& error() const {
        return error_;
    }
    std::size_t left() const {
        return in_.size() - pos_;
    }
    void fail(const std::string& what) {
        if (error_.empty()) {
            error_ = std::string(what_) + ": " + what + " at byte " + std::to_string(base_ + pos_);
        }
    }
    bool need(std::size_t n, const char* what) {
        if (failed()) {
            return false;
        }
        if (left() < n) {
            fail(std::string("truncated (") + what + ")");
            return false;
        }
        return true;
    }
    std::uint8_t u8(const char* what) {
        if (!need(1, what)) {
            return 0;
        }
        return static_cast<std::uint8_t>(in_[pos_++]);
    }
    std::uint32_t u32(const char* what) {
        if (!need(4, what)) {
            return 0;
        }
        std::uint32_t v = 0;
        for (int i = 0; i < 4; ++i) {
            v |= std::uint32_t(static_cast<unsigned char>(in_[pos_++])) << (8 * i);
        }
        return v;
    }
    std::uint64_t u64(const char* what) {
        if (!need(8, what)) {
            return 0;
        }
        std::uint64_t v = 0;
        for (int i = 0; i < 8; ++i) {
            v |= std::uint64_t(static_cast<unsigned char>(in_[pos_++])) << (8 * i);
        }
        return v;
    }
    int i32(const char* what) {
        return static_cast<int>(static_cast<std::int32_t>(u32(what)));
    }
    double real(const char* what) {
        const std::uint64_t v = u64(what);
        double x = 0;
        std::memcpy(&x, &v, sizeof x);
        return x;
    }
    bool flag(const char* what) {
        const std::uint8_t v = u8(what);
        if (v > 1) {
            fail(std::string("bad boolean (") + what + ")");
        }
        return v == 1;
    }
    /// A list's count, at most what the bytes left can hold when each element
    /// takes at least `min_element` bytes.
    std::size_t count(std::size_t min_element, const char* what) {
        const std::uint32_t n = u32(what);
        if (failed()) {
            return 0;
        }
        if (std::uint64_t(n) * min_element > left()) {
            fail(std::string("count larger than the data (") + what + ")");
            return 0;
        }
        return n;
    }
    std::string text(const char* what) {
        const std::uint32_t n = u32(what);
        if (!need(n, what)) {
            return {};
        }
        std::string s(in_.substr(pos_, n));
        pos_ += n;
        return s;
    }
    std::vector<std::pair<std::string, std::string>> pairs(const char* what) {
        std::vector<std::pair<std::string, std::string>> kv;
        const std::size_t n = count(8, what);
        kv.reserve(n);
        for (std::size_t i = 0; i < n && !failed(); ++i) {
            std::string k = text(what);
            std::string v = text(what);
            kv.emplace_back(std::move(k), std::move(v));
        }
        return kv;
    }
    template <class E> E enumeration(unsigned last, const char* what) {
        const std::uint8_t v = u8(what);
        if (v > last) {
            fail(std::string("bad value ") + std::to_string(v) + " (" + what + ")");
            return E{};
        }
        return static_cast<E>(v);
    }

private:
    std::string_view in_;
    std::size_t base_;
    const char* what_;
    std::size_t pos_ = 0;
    std::string error_;
};

// Smallest encodings, for the count checks.
constexpr std::size_t min_parameter = 1 + 4 * 3 + 4 + 8 * 4 + 4;
constexpr std::size_t min_ui_item = 1 + 4 * 2 + 4 + 8;
constexpr std::size_t min_state_field = 4 + 1 + 1 + (1 + 8 + 8 + 4) + 4 * 3 + 1 + 8 + 4;

void encode_payload(Writer& w, const FactoryInfo& info) {
    w.text(info.name);
    w.i32(info.inputs);
    w.i32(info.outputs);
    w.u8(info.double_precision ? 1 : 0);
    w.pairs(info.metadata);
    w.count(info.parameters.size());
    for (const Parameter& p : info.parameters) {
        w.u8(static_cast<std::uint8_t>(p.kind));
        w.text(p.path);
        w.text(p.label);
        w.text(p.shortname);
        w.pairs(p.metadata);
        w.real(p.init);
        w.real(p.min);
        w.real(p.max);
        w.real(p.step);
        w.u32(p.offset);
    }
    w.text(info.json);
    w.count(info.ui.size());
    for (const UiItem& item : info.ui) {
        w.u8(static_cast<std::uint8_t>(item.kind));
        w.text(item.type);
        w.text(item.label);
        w.pairs(item.metadata);
        w.u64(item.parameter);
    }
    w.count(info.state_layout.size());
    for (const StateField& f : info.state_layout) {
        w.text(f.name);
        w.u8(static_cast<std::uint8_t>(f.kind));
        w.u8(static_cast<std::uint8_t>(f.type));
        w.u8(static_cast<std::uint8_t>(f.identity.kind));
        w.u64(f.identity.position);
        w.u64(f.identity.shape);
        w.text(f.identity.path);
        w.u32(f.offset);
        w.u32(f.elements);
        w.u32(f.bytes);
        w.u8(f.ring ? 1 : 0);
        w.real(f.scale);
        w.text(f.location);
    }
    w.u32(info.state_bytes);
    w.text(info.content_key);
    w.count(info.source_files.size());
    for (const std::string& f : info.source_files) {
        w.text(f);
    }
    w.i32(info.voices);
}

FactoryInfo decode_payload(Reader& r) {
    FactoryInfo info;
    info.name = r.text("name");
    info.inputs = r.i32("inputs");
    info.outputs = r.i32("outputs");
    if (!r.failed() && (info.inputs < 0 || info.inputs > max_channels || info.outputs < 0 ||
                        info.outputs > max_channels)) {
        r.fail("channel count out of range");
    }
    info.double_precision = r.flag("double precision");
    info.metadata = r.pairs("metadata");
    const std::size_t np = r.count(min_parameter, "parameters");
    info.parameters.reserve(np);
    for (std::size_t i = 0; i < np && !r.failed(); ++i) {
        Parameter p;
        p.kind = r.enumeration<Parameter::Kind>(static_cast<unsigned>(Parameter::Kind::HBargraph),
                                                "parameter kind");
        p.path = r.text("parameter path");
        p.label = r.text("parameter label");
        p.shortname = r.text("parameter short name");
        p.metadata = r.pairs("parameter metadata");
        p.init = r.real("parameter init");
        p.min = r.real("parameter min");
        p.max = r.real("parameter max");
        p.step = r.real("parameter step");
        p.offset = r.u32("parameter offset");
        info.parameters.push_back(std::move(p));
    }
    info.json = r.text("json");
    const std::size_t nu = r.count(min_ui_item, "ui");
    info.ui.reserve(nu);
    for (std::size_t i = 0; i < nu && !r.failed(); ++i) {
        UiItem item;
        item.kind = r.enumeration<UiItem::Kind>(static_cast<unsigned>(UiItem::Kind::Widget),
                                                "ui item kind");
        item.type = r.text("ui group type");
        item.label = r.text("ui group label");
        item.metadata = r.pairs("ui group metadata");
        const std::uint64_t index = r.u64("ui widget parameter");
        if (!r.failed() && item.kind == UiItem::Kind::Widget && index >= info.parameters.size()) {
            r.fail("ui widget names parameter " + std::to_string(index) + " of " +
                   std::to_string(info.parameters.size()));
        }
        item.parameter = static_cast<std::size_t>(index);
        info.ui.push_back(std::move(item));
    }
    const std::size_t ns = r.count(min_state_field, "state layout");
    info.state_layout.reserve(ns);
    for (std::size_t i = 0; i < ns && !r.failed(); ++i) {
        StateField f;
        f.name = r.text("state field name");
        f.kind = r.enumeration<StateKind>(static_cast<unsigned>(StateKind::Sound), "state kind");
        f.type = r.enumeration<ValueType>(static_cast<unsigned>(ValueType::F64), "value type");
        f.identity.kind = r.enumeration<StateIdentity::Kind>(
            static_cast<unsigned>(StateIdentity::Kind::Iota), "identity kind");
        f.identity.position = r.u64("identity position");
        f.identity.shape = r.u64("identity shape");
        f.identity.path = r.text("identity path");
        f.offset = r.u32("state field offset");
        f.elements = r.u32("state field elements");
        f.bytes = r.u32("state field bytes");
        f.ring = r.flag("state field ring");
        f.scale = r.real("state field scale");
        f.location = r.text("state field location");
        info.state_layout.push_back(std::move(f));
    }
    info.state_bytes = r.u32("state bytes");
    info.content_key = r.text("content key");
    const std::size_t nf = r.count(4, "source files");
    info.source_files.reserve(nf);
    for (std::size_t i = 0; i < nf && !r.failed(); ++i) {
        info.source_files.push_back(r.text("source file"));
    }
    info.voices = r.i32("voices");
    if (!r.failed() && (info.voices < 0 || info.voices > max_voices)) {
        r.fail("voice count out of range");
    }
    if (r.failed()) {
        return info;
    }
    if (r.left() != 0) {
        r.fail(std::to_string(r.left()) + " bytes left over");
        return info;
    }
    // Everything an instance writes must lie inside its state block.
    const std::uint64_t block = info.state_bytes;
    const std::uint64_t value_bytes = info.double_precision ? 8 : 4;
    for (const Parameter& p : info.parameters) {
        if (std::uint64_t(p.offset) + value_bytes > block) {
            r.fail("parameter " + p.path + " lies outside the state block");
            return info;
        }
    }
    for (const StateField& f : info.state_layout) {
        if (std::uint64_t(f.offset) + f.bytes > block) {
            r.fail("state field " + f.name + " lies outside the state block");
            return info;
        }
        if (f.type != ValueType::I32 && f.type != ValueType::F32 && f.type != ValueType::F64) {
            r.fail("state field " + f.name + " has a bad type");
            return info;
        }
    }
    return info;
}

std::uint64_t read_le64(std::string_view s) {
    std::uint64_t v = 0;
    for (int i = 0; i < 8; ++i) {
        v |= std::uint64_t(static_cast<unsigned char>(s[i])) << (8 * i);
    }
    return v;
}

std::uint32_t read_le32(std::string_view s) {
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i) {
        v |= std::uint32_t(static_cast<unsigned char>(s[i])) << (8 * i);
    }
    return v;
}

/// magic, version, length, payload, checksum.
std::string seal(const char (&mark)[4], std::uint32_t version, const std::string& body) {
    Writer w;
    w.bytes().reserve(header_bytes + body.size() + trailer_bytes);
    w.bytes().append(mark, 4);
    w.u32(version);
    w.u64(body.size());
    w.bytes().append(body);
    w.u64(checksum64(body));
    return std::move(w.bytes());
}

/// The payload of a sealed container, or nullopt and `error` set.
std::optional<std::string_view> unseal(std::string_view bytes, const char (&mark)[4],
                                       std::uint32_t version, const char* what,
                                       std::string* error) {
    auto fail = [&](const std::string& why) -> std::optional<std::string_view> {
        if (error != nullptr) {
            *error = std::string(what) + ": " + why;
        }
        return std::nullopt;
    };
    if (bytes.size() < header_bytes + trailer_bytes) {
        return fail("truncated (" + std::to_string(bytes.size()) +
                    " bytes, header and checksum need " +
                    std::to_string(header_bytes + trailer_bytes) + ")");
    }
    if (std::memcmp(bytes.data(), mark, sizeof mark) != 0) {
        return fail("bad magic (not a " + std::string(what) + ")");
    }
    const std::uint32_t v = read_le32(bytes.substr(4));
    if (v != version) {
        return fail("format version " + std::to_string(v) + ", this build reads " +
                    std::to_string(version));
    }
    const std::uint64_t length = read_le64(bytes.substr(8));
    if (length != bytes.size() - header_bytes - trailer_bytes) {
        return fail("payload length " + std::to_string(length) + " but " +
                    std::to_string(bytes.size() - header_bytes - trailer_bytes) +
                    " bytes present (truncated or padded)");
    }
    const std::string_view body = bytes.substr(header_bytes, length);
    if (checksum64(body) != read_le64(bytes.substr(header_bytes + length))) {
        return fail("checksum mismatch (corrupt data)");
    }
    return body;
}

std::uint64_t rotl(std::uint64_t x, int r) {
    return (x << r) | (x >> (64 - r));
}

std::uint64_t fmix(std::uint64_t k) {
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdull;
    k ^= k >> 33;
    k *= 0xc4ceb9fe1a85ec53ull;
    k ^= k >> 33;
    return k;
}

std::vector<std::string> split_features(std::string_view s) {
    std::vector<std::string> out;
    std::size_t pos = 0;
    while (pos <= s.size()) {
        std::size_t comma = s.find(',', pos);
        if (comma == std::string_view::npos) {
            comma = s.size();
        }
        if (comma > pos) {
            out.emplace_back(s.substr(pos, comma - pos));
        }
        pos = comma + 1;
    }
    return out;
}

} // namespace

std::uint64_t checksum64(std::string_view bytes) {
    constexpr std::uint64_t p1 = 0x9e3779b185ebca87ull, p2 = 0xc2b2ae3d27d4eb4full;
    std::uint64_t h[4] = {0x243f6a8885a308d3ull, 0x13198a2e03707344ull, 0xa4093822299f31d0ull,
                          0x082efa98ec4e6c89ull};
    const char* p = bytes.data();
    const std::size_t n = bytes.size();
    std::size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        for (int k = 0; k < 4; ++k) {
            std::uint64_t w;
            std::memcpy(&w, p + i + 8 * k, 8);
            h[k] = rotl(h[k] ^ (w * p2), 31) * p1;
        }
    }
    std::uint64_t tail = 0xcbf29ce484222325ull;
    for (; i < n; ++i) {
        tail = (tail ^ static_cast<unsigned char>(p[i])) * 0x100000001b3ull;
    }
    std::uint64_t r = rotl(h[0], 1) + rotl(h[1], 7) + rotl(h[2], 12) + rotl(h[3], 18);
    r = fmix(r ^ fmix(tail) ^ (std::uint64_t(n) * p1));
    return r;
}

std::string encode_factory_info(const FactoryInfo& info) {
    Writer payload;
    encode_payload(payload, info);
    return seal(magic, factory_info_format_version, payload.bytes());
}

std::optional<FactoryInfo> decode_factory_info(std::string_view bytes, std::string* error) {
    auto body = unseal(bytes, magic, factory_info_format_version, "factory info", error);
    if (!body) {
        return std::nullopt;
    }
    Reader r(*body, header_bytes);
    FactoryInfo info = decode_payload(r);
    if (r.failed()) {
        if (error != nullptr) {
            *error = r.error();
        }
        return std::nullopt;
    }
    return info;
}

// ------------------------------------------------------------------ machine code

std::string to_string(const MachineTarget& target) {
    return target.triple + " " + target.cpu + " " + target.features;
}

std::string machine_target_mismatch(const MachineTarget& code, const MachineTarget& host) {
    if (code.triple != host.triple) {
        return "the code is for " + code.triple + ", this machine is " + host.triple;
    }
    std::vector<std::string> have = split_features(host.features);
    std::set<std::string> host_set(have.begin(), have.end());
    std::string missing;
    for (const std::string& f : split_features(code.features)) {
        if (f.size() > 1 && f[0] == '+' && host_set.count(f) == 0) {
            missing += (missing.empty() ? "" : ",") + f.substr(1);
        }
    }
    if (!missing.empty()) {
        return "the code is for CPU " + code.cpu + " and uses features this machine (" + host.cpu +
               ") lacks: " + missing;
    }
    return {};
}

std::string encode_machine_code(const MachineCode& code) {
    Writer w;
    w.text(encode_factory_info(code.info));
    w.text(code.target.triple);
    w.text(code.target.cpu);
    w.text(code.target.features);
    w.text(code.object);
    return seal(code_magic, code_format_version, w.bytes());
}

std::optional<MachineCode> decode_machine_code(std::string_view bytes, std::string* error) {
    auto body = unseal(bytes, code_magic, code_format_version, "machine code", error);
    if (!body) {
        return std::nullopt;
    }
    Reader r(*body, header_bytes, "machine code");
    MachineCode code;
    const std::string info = r.text("factory info");
    code.target.triple = r.text("target triple");
    code.target.cpu = r.text("target cpu");
    code.target.features = r.text("target features");
    code.object = r.text("object");
    if (!r.failed() && r.left() != 0) {
        r.fail(std::to_string(r.left()) + " bytes left over");
    }
    if (r.failed()) {
        if (error != nullptr) {
            *error = r.error();
        }
        return std::nullopt;
    }
    auto decoded = decode_factory_info(info, error);
    if (!decoded) {
        return std::nullopt;
    }
    code.info = std::move(*decoded);
    return code;
}

// ------------------------------------------------------------------ state images

std::string encode_state_image(const StateImage& image) {
    Writer w;
    w.u64(image.frame);
    w.u64(image.generation);
    w.u64(image.linked ? 1 : 0);
    w.u64(image.link_cycle);
    w.u64(image.link_concealed);
    w.text(encode_factory_info(state_layout_of(image.layout)));
    w.text(std::string_view(reinterpret_cast<const char*>(image.bytes.data()), image.bytes.size()));
    return seal(state_magic, state_image_format_version, w.bytes());
}

std::optional<StateImage> decode_state_image(std::string_view bytes, std::string* error) {
    auto body = unseal(bytes, state_magic, state_image_format_version, "state image", error);
    if (!body) {
        return std::nullopt;
    }
    Reader r(*body, header_bytes, "state image");
    StateImage image;
    image.frame = r.u64("frame");
    image.generation = r.u64("generation");
    const std::uint64_t flags = r.u64("link flags");
    const std::uint64_t cycle = r.u64("link cycle");
    image.link_concealed = r.u64("cycles concealed");
    if (!r.failed() && (flags > 1 || cycle > 0xFFFFFFFFu)) {
        r.fail("link flags " + std::to_string(flags) + " or cycle " + std::to_string(cycle) +
               " out of range");
    }
    image.linked = flags == 1;
    image.link_cycle = std::uint32_t(cycle);
    const std::string info = r.text("layout");
    const std::uint32_t n = r.u32("state bytes");
    if (!r.failed() && n != r.left()) {
        r.fail("the state block says " + std::to_string(n) + " bytes, " + std::to_string(r.left()) +
               " follow");
    }
    if (r.failed()) {
        if (error != nullptr) {
            *error = r.error();
        }
        return std::nullopt;
    }
    const std::string_view state = body->substr(body->size() - n);
    std::string why;
    auto layout = decode_factory_info(info, &why);
    if (!layout) {
        if (error != nullptr) {
            *error = "state image: its layout: " + why;
        }
        return std::nullopt;
    }
    if (layout->state_bytes != n) {
        why = "the layout describes " + std::to_string(layout->state_bytes) +
              " bytes of state, the image holds " + std::to_string(n);
    } else if (n > max_state_image_bytes) {
        why = "a state block of " + std::to_string(n) + " bytes is larger than " +
              std::to_string(max_state_image_bytes);
    } else {
        why = check_state_layout(*layout);
    }
    if (!why.empty()) {
        if (error != nullptr) {
            *error = "state image: " + why;
        }
        return std::nullopt;
    }
    image.layout = std::move(*layout);
    image.bytes.resize(n);
    if (n > 0) {
        std::memcpy(image.bytes.data(), state.data(), n);
    }
    return image;
}

// ------------------------------------------------------------------ constants images

namespace runtime {

std::string encode_constants_image(const ConstantsMemo::Image& image) {
    Writer w;
    w.u32(std::uint32_t(image.sample_rate));
    w.count(image.ranges.size());
    for (const auto& [offset, bytes] : image.ranges) {
        w.u32(offset);
        w.u32(bytes);
    }
    w.u64(image.bytes.size());
    w.bytes().append(reinterpret_cast<const char*>(image.bytes.data()), image.bytes.size());
    return seal(constants_magic, constants_format_version, w.bytes());
}

std::optional<ConstantsMemo::Image> decode_constants_image(std::string_view bytes) {
    auto body =
        unseal(bytes, constants_magic, constants_format_version, "constants image", nullptr);
    if (!body) {
        return std::nullopt;
    }
    Reader r(*body, header_bytes, "constants image");
    ConstantsMemo::Image image;
    const std::uint32_t rate = r.u32("sample rate");
    const std::uint32_t n = r.u32("ranges");
    if (r.failed() || rate == 0 || rate > 1000000 || n > r.left() / 8) {
        return std::nullopt;
    }
    image.sample_rate = int(rate);
    for (std::uint32_t k = 0; k < n; ++k) {
        const std::uint32_t offset = r.u32("offset");
        image.ranges.emplace_back(offset, r.u32("length"));
    }
    const std::uint64_t size = r.u64("bytes");
    if (r.failed() || size != r.left()) {
        return std::nullopt;
    }
    const auto* p = reinterpret_cast<const std::byte*>(body->data() + (body->size() - size));
    image.bytes.assign(p, p + size);
    return image;
}

} // namespace runtime

} // namespace tutti
