// SPDX-License-Identifier: MIT
/** \file
 * A UDP/IPv4 socket for NetJack: owned file descriptor, closed by the
 * destructor. receive() waits with poll() for at most a timeout, so the
 * thread that owns it can check its stop flag; nothing here allocates after
 * open(), so the network thread of a driver may use it between audio cycles.
 */
#pragma once

#include <netinet/in.h>

#include <cstddef>
#include <cstdint>
#include <string>

namespace tutti::netjack {

/// "A.B.C.D" or "A.B.C.D:PORT" (default_port when no port); false if malformed.
bool parse_endpoint(const std::string& text, int default_port, sockaddr_in* out);
std::string endpoint_text(const sockaddr_in& address);
bool is_multicast(const sockaddr_in& address);

class UdpSocket {
public:
    UdpSocket() = default;
    ~UdpSocket() {
        close();
    }
    UdpSocket(const UdpSocket&) = delete;
    UdpSocket& operator=(const UdpSocket&) = delete;

    /// A new socket (the old one closed); false with *error.
    bool open(std::string* error);
    void close();
    bool is_open() const {
        return fd_ >= 0;
    }
    /// The descriptor, for poll() over several sockets (-1 when closed).
    int fd() const {
        return fd_;
    }
    /// Binds to `address`, a unicast port exclusively. For a multicast
    /// address: binds the port on every interface, shared (SO_REUSEADDR),
    /// and joins the group.
    bool bind(const sockaddr_in& address, std::string* error);
    /// Fixes the peer: send() goes there and only its datagrams arrive.
    bool connect(const sockaddr_in& peer, std::string* error);
    /// Socket buffers of `bytes` each way (best effort).
    void set_buffers(int bytes);
    /// Sends one datagram to the connected peer; false on error.
    bool send(const void* data, std::size_t size);
    bool send_to(const void* data, std::size_t size, const sockaddr_in& to);
    /// Unconnected socket: queue the ICMP errors of what it sends (IP_RECVERR)
    /// for take_unreachable(), or stop queueing them (and empty the queue).
    void watch_unreachable(bool on);
    /// Empties the error queue; true when it held a "port unreachable" (no
    /// socket listens at an address:port we sent to).
    bool take_unreachable();
    /// Waits up to timeout_ms (0: no wait) for a datagram. Returns its size,
    /// 0 when none came, -1 on an error (*from is the sender when given).
    long receive(void* buffer, std::size_t capacity, int timeout_ms, sockaddr_in* from = nullptr);
    /// The local address (after bind or the first send).
    sockaddr_in local() const;

private:
    int fd_ = -1;
};

} // namespace tutti::netjack
