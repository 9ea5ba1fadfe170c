// SPDX-License-Identifier: MIT
/** \file
 * OSC 1.0 packets (opensoundcontrol.org spec 1.0): decoding of messages and
 * (nested) bundles, encoding of messages and bundles.
 *
 * The decoder reads outside input and is bounded: a packet of at most
 * `max_packet` bytes, bundles nested at most `max_depth` deep, at most
 * `max_messages` messages per packet and `max_args` arguments per message;
 * every length is checked against the bytes that remain before it is used,
 * so a malformed packet is refused with a reason and nothing is read out of
 * bounds (fuzzed: tests/fuzz/osc_fuzzer.cpp). Argument types: i f d s S b h t
 * c r m T F N I (the OSC 1.0 required and recommended ones); a packet with
 * any other type tag is refused.
 */
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tutti::osc {

constexpr std::size_t max_packet = 65536;
constexpr int max_depth = 8;
constexpr std::size_t max_messages = 1024;
constexpr std::size_t max_args = 512;
/// The largest UDP payload over IPv4 (what one datagram can carry).
constexpr std::size_t max_datagram = 65507;

/// OSC time tag "immediately".
constexpr std::uint64_t immediately = 1;

struct Arg {
    char type = 'N';
    std::int64_t i = 0; ///< i h c r m (r, m: the 4 bytes, big endian), t (the time tag), T F (1, 0)
    double d = 0;       ///< f d
    std::string s;      ///< s S, and b (the blob's bytes)

    /// A number as a double: i f d h (and T/F as 1/0 when `bools`).
    std::optional<double> number(bool bools = false) const;
    std::optional<std::string_view> string() const; ///< s S
    std::optional<std::int64_t> integer() const;    ///< i h, or an integral f/d
};

struct Message {
    std::string address;
    std::vector<Arg> args;
    std::uint64_t timetag = immediately; ///< of the innermost enclosing bundle
};

/// Decodes one packet (a message or a bundle) into its messages, in order.
/// False with a reason in *error (and `out` untouched) when the packet is
/// malformed or exceeds a bound.
bool decode(std::span<const std::uint8_t> packet, std::vector<Message>& out,
            std::string* error = nullptr);

/// Builds messages and bundles.
class Writer {
public:
    explicit Writer(std::string_view address);
    Writer& i(std::int32_t v);
    Writer& f(float v);
    Writer& d(double v);
    Writer& s(std::string_view v);
    Writer& h(std::int64_t v);
    Writer& arg(const Arg& a);
    /// The encoded message.
    std::vector<std::uint8_t> bytes() const;
    const std::string& address() const {
        return address_;
    }

private:
    std::string address_;
    std::string tags_ = ",";
    std::vector<std::uint8_t> data_;
};

std::vector<std::uint8_t> encode(const Message& m);
/// A bundle of already encoded messages (or bundles).
std::vector<std::uint8_t> encode_bundle(std::uint64_t timetag,
                                        const std::vector<std::vector<std::uint8_t>>& elements);

/// "/addr ,ifs 1 2.5 "x"": for logs and tests.
std::string to_text(const Message& m);

} // namespace tutti::osc
