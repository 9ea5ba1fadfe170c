// SPDX-License-Identifier: MIT
/** \file
 * A UDP relay for the NetJack tests: a slave talks to the relay as if it were
 * the master; the relay forwards each datagram after a delay plus a random
 * jitter (uniform in [0, jitter]), so that datagrams overtake each other
 * whenever the jitter exceeds their spacing (reordering), in both directions.
 *
 * NetJack's master answers from a new socket (its session's): the relay
 * sends the slave's SLAVE_AVAILABLE to the master's listening port and
 * everything else to the last address the master spoke from. One slave at a
 * time. A `drop` predicate loses chosen datagrams. Header-only; a thread of its own; stop() (or the
 * destructor) joins it.
 */
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <functional>
#include <queue>
#include <random>
#include <thread>
#include <vector>

#include "netjack/realtime.h"

namespace tutti::test {

class UdpRelay {
public:
    ~UdpRelay() {
        stop();
    }
    /// Listens on 127.0.0.1:listen_port for the slave; the master listens on
    /// 127.0.0.1:master_port.
    bool start(int listen_port, int master_port, int delay_us, int jitter_us, unsigned seed = 1) {
        front_ = socket(AF_INET, SOCK_DGRAM, 0);
        back_ = socket(AF_INET, SOCK_DGRAM, 0);
        int size = 8 << 20;
        for (int fd : {front_, back_}) {
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
            setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
        }
        sockaddr_in a = address(listen_port);
        if (bind(front_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
            return false;
        }
        master_listen_ = address(master_port);
        master_session_ = master_listen_;
        delay_us_ = delay_us;
        jitter_us_ = jitter_us;
        random_.seed(seed);
        running_ = true;
        thread_ = std::thread([this] {
            // As the drivers' network threads: SCHED_FIFO when allowed (a
            // relay starved by the machine's load would add its own jitter).
            netjack::try_realtime();
            run();
        });
        return true;
    }
    void stop() {
        running_ = false;
        if (thread_.joinable()) {
            thread_.join();
        }
        for (int* fd : {&front_, &back_}) {
            if (*fd >= 0) {
                close(*fd);
                *fd = -1;
            }
        }
    }
    std::atomic<std::uint64_t> forwarded{0}, overtaken{0}, dropped{0};
    /// Set before start(): datagrams for which it answers true are dropped
    /// (not forwarded): a loss on the way (to_master: from the slave).
    std::function<bool(const std::uint8_t* data, std::size_t size, bool to_master)> drop;

private:
    using Clock = std::chrono::steady_clock;
    struct Item {
        Clock::time_point due;
        std::uint64_t order = 0;
        bool to_master = false;
        std::vector<std::uint8_t> bytes;
        bool operator>(const Item& o) const {
            return due > o.due;
        }
    };
    static sockaddr_in address(int port) {
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(static_cast<std::uint16_t>(port));
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        return a;
    }
    void run() {
        std::vector<std::uint8_t> buffer(65536);
        std::priority_queue<Item, std::vector<Item>, std::greater<>> queue;
        std::uniform_int_distribution<int> jitter(0, jitter_us_);
        std::uint64_t received = 0, sent_order = 0;
        while (running_) {
            // Sleep until the next datagram is due (ppoll: to the nanosecond,
            // no busy loop stealing the peers' cores), 20 ms at most.
            long wait_ns = 20'000'000;
            if (!queue.empty()) {
                wait_ns = std::clamp<long>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                               queue.top().due - Clock::now())
                                               .count(),
                                           0, wait_ns);
            }
            pollfd fds[2] = {{front_, POLLIN, 0}, {back_, POLLIN, 0}};
            timespec timeout{0, wait_ns};
            ppoll(fds, 2, &timeout, nullptr);
            for (int i = 0; i < 2; ++i) {
                if (!(fds[i].revents & POLLIN)) {
                    continue;
                }
                sockaddr_in from{};
                socklen_t length = sizeof from;
                const long n = recvfrom(fds[i].fd, buffer.data(), buffer.size(), MSG_DONTWAIT,
                                        reinterpret_cast<sockaddr*>(&from), &length);
                if (n <= 0) {
                    continue;
                }
                if (i == 0) {
                    slave_ = from;
                    have_slave_ = true;
                } else {
                    master_session_ = from;
                }
                if (drop && drop(buffer.data(), std::size_t(n), i == 0)) {
                    dropped.fetch_add(1, std::memory_order_relaxed);
                    continue;
                }
                Item item;
                item.due = Clock::now() + std::chrono::microseconds(delay_us_ + jitter(random_));
                item.order = received++;
                item.to_master = i == 0;
                item.bytes.assign(buffer.begin(), buffer.begin() + n);
                queue.push(std::move(item));
            }
            while (!queue.empty() && queue.top().due <= Clock::now()) {
                const Item& item = queue.top();
                if (item.order < sent_order) {
                    overtaken.fetch_add(1, std::memory_order_relaxed);
                }
                sent_order = std::max(sent_order, item.order);
                if (item.to_master) {
                    // SLAVE_AVAILABLE (session parameters, packet id 0) goes
                    // to the listening port; the rest to the session's socket.
                    const bool available = item.bytes.size() == 644 &&
                                           std::memcmp(item.bytes.data(), "params", 6) == 0 &&
                                           item.bytes[12] == 0 && item.bytes[13] == 0 &&
                                           item.bytes[14] == 0 && item.bytes[15] == 0;
                    const sockaddr_in& to = available ? master_listen_ : master_session_;
                    sendto(back_, item.bytes.data(), item.bytes.size(), 0,
                           reinterpret_cast<const sockaddr*>(&to), sizeof to);
                } else if (have_slave_) {
                    sendto(front_, item.bytes.data(), item.bytes.size(), 0,
                           reinterpret_cast<const sockaddr*>(&slave_), sizeof slave_);
                }
                forwarded.fetch_add(1, std::memory_order_relaxed);
                queue.pop();
            }
        }
    }

    int front_ = -1, back_ = -1;
    sockaddr_in master_listen_{}, master_session_{}, slave_{};
    bool have_slave_ = false;
    int delay_us_ = 0, jitter_us_ = 0;
    std::mt19937 random_;
    std::atomic<bool> running_{false};
    std::thread thread_;
};

} // namespace tutti::test
