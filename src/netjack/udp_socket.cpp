// SPDX-License-Identifier: MIT
/** \file UDP sockets (see udp_socket.h). */
#include "netjack/udp_socket.h"

#include <arpa/inet.h>
#include <linux/errqueue.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace tutti::netjack {

namespace {

bool fail(std::string* error, const std::string& what) {
    if (error) {
        *error = what + ": " + std::strerror(errno);
    }
    return false;
}

} // namespace

bool parse_endpoint(const std::string& text, int default_port, sockaddr_in* out) {
    std::string host = text;
    int port = default_port;
    if (auto colon = text.rfind(':'); colon != std::string::npos) {
        host = text.substr(0, colon);
        const std::string digits = text.substr(colon + 1);
        if (digits.empty() || digits.size() > 5 ||
            digits.find_first_not_of("0123456789") != std::string::npos) {
            return false;
        }
        port = std::atoi(digits.c_str());
    }
    if (port <= 0 || port > 65535) {
        return false;
    }
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<std::uint16_t>(port));
    if (inet_pton(AF_INET, host.c_str(), &a.sin_addr) != 1) {
        return false;
    }
    *out = a;
    return true;
}

std::string endpoint_text(const sockaddr_in& address) {
    char ip[INET_ADDRSTRLEN] = {};
    inet_ntop(AF_INET, &address.sin_addr, ip, sizeof ip);
    return std::string(ip) + ":" + std::to_string(ntohs(address.sin_port));
}

bool is_multicast(const sockaddr_in& address) {
    return IN_MULTICAST(ntohl(address.sin_addr.s_addr));
}

bool UdpSocket::open(std::string* error) {
    close();
    fd_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) {
        return fail(error, "cannot create a UDP socket");
    }
    return true;
}

void UdpSocket::close() {
    if (fd_ >= 0) {
        ::close(fd_);
        fd_ = -1;
    }
}

bool UdpSocket::bind(const sockaddr_in& address, std::string* error) {
    sockaddr_in local = address;
    const bool group = is_multicast(address);
    if (group) {
        // several listeners share a multicast group's port; a unicast port is
        // this socket's alone (with SO_REUSEADDR a second process could bind
        // it too and take its datagrams)
        int on = 1;
        setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
        local.sin_addr.s_addr = htonl(INADDR_ANY);
    }
    if (::bind(fd_, reinterpret_cast<const sockaddr*>(&local), sizeof local) != 0) {
        return fail(error, "cannot bind " + endpoint_text(local));
    }
    if (group) {
        ip_mreq request{};
        request.imr_multiaddr = address.sin_addr;
        request.imr_interface.s_addr = htonl(INADDR_ANY);
        if (setsockopt(fd_, IPPROTO_IP, IP_ADD_MEMBERSHIP, &request, sizeof request) != 0) {
            return fail(error, "cannot join the multicast group " + endpoint_text(address));
        }
    }
    return true;
}

bool UdpSocket::connect(const sockaddr_in& peer, std::string* error) {
    if (::connect(fd_, reinterpret_cast<const sockaddr*>(&peer), sizeof peer) != 0) {
        return fail(error, "cannot connect to " + endpoint_text(peer));
    }
    return true;
}

void UdpSocket::set_buffers(int bytes) {
    // The FORCE options pass net.core.[rw]mem_max when the process may (root).
    if (setsockopt(fd_, SOL_SOCKET, SO_SNDBUFFORCE, &bytes, sizeof bytes) != 0) {
        setsockopt(fd_, SOL_SOCKET, SO_SNDBUF, &bytes, sizeof bytes);
    }
    if (setsockopt(fd_, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof bytes) != 0) {
        setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof bytes);
    }
}

bool UdpSocket::send(const void* data, std::size_t size) {
    return ::send(fd_, data, size, MSG_NOSIGNAL) == static_cast<ssize_t>(size);
}

bool UdpSocket::send_to(const void* data, std::size_t size, const sockaddr_in& to) {
    return ::sendto(fd_, data, size, MSG_NOSIGNAL, reinterpret_cast<const sockaddr*>(&to),
                    sizeof to) == static_cast<ssize_t>(size);
}

long UdpSocket::receive(void* buffer, std::size_t capacity, int timeout_ms, sockaddr_in* from) {
    pollfd p{fd_, POLLIN, 0};
    int ready = ::poll(&p, 1, timeout_ms);
    if (ready < 0) {
        return errno == EINTR ? 0 : -1;
    }
    if (ready == 0) {
        return 0;
    }
    sockaddr_in sender{};
    socklen_t length = sizeof sender;
    ssize_t n = ::recvfrom(fd_, buffer, capacity, MSG_DONTWAIT,
                           reinterpret_cast<sockaddr*>(&sender), &length);
    if (n < 0) {
        // ECONNREFUSED: an ICMP "port unreachable" from a peer that went away.
        return (errno == EAGAIN || errno == EINTR || errno == ECONNREFUSED) ? 0 : -1;
    }
    if (from) {
        *from = sender;
    }
    return static_cast<long>(n);
}

void UdpSocket::watch_unreachable(bool on) {
    const int flag = on ? 1 : 0;
    setsockopt(fd_, SOL_IP, IP_RECVERR, &flag, sizeof flag);
    if (!on) {
        take_unreachable();
    }
}

bool UdpSocket::take_unreachable() {
    bool unreachable = false;
    for (int i = 0; i < 64; ++i) {
        char data[64];
        alignas(cmsghdr) char control[256];
        iovec io{data, sizeof data};
        msghdr m{};
        m.msg_iov = &io;
        m.msg_iovlen = 1;
        m.msg_control = control;
        m.msg_controllen = sizeof control;
        if (::recvmsg(fd_, &m, MSG_ERRQUEUE | MSG_DONTWAIT) < 0) {
            break;
        }
        for (cmsghdr* c = CMSG_FIRSTHDR(&m); c != nullptr; c = CMSG_NXTHDR(&m, c)) {
            if (c->cmsg_level == SOL_IP && c->cmsg_type == IP_RECVERR) {
                sock_extended_err e{};
                std::memcpy(&e, CMSG_DATA(c), sizeof e);
                unreachable = unreachable || e.ee_errno == ECONNREFUSED;
            }
        }
    }
    // the pending error the queue set (a recv would return it once)
    int pending = 0;
    socklen_t length = sizeof pending;
    getsockopt(fd_, SOL_SOCKET, SO_ERROR, &pending, &length);
    return unreachable || pending == ECONNREFUSED;
}

sockaddr_in UdpSocket::local() const {
    sockaddr_in a{};
    socklen_t length = sizeof a;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &length);
    return a;
}

} // namespace tutti::netjack
