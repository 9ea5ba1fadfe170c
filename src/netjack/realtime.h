// SPDX-License-Identifier: MIT
/** \file
 * Real-time scheduling for a driver's network thread, best effort: SCHED_FIFO
 * at the priority jackd's clients get by default (10) when the process may
 * (root or an rtprio limit), the default scheduling otherwise. The thread
 * always blocks in poll() between packets, so it cannot starve the machine.
 */
#pragma once

#include <pthread.h>
#include <sched.h>

namespace tutti::netjack {

/// Calling thread. True when it now runs with SCHED_FIFO.
inline bool try_realtime(int priority = 10) {
    sched_param param{};
    param.sched_priority = priority;
    return pthread_setschedparam(pthread_self(), SCHED_FIFO, &param) == 0;
}

} // namespace tutti::netjack
