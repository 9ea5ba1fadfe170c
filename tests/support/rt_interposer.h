// SPDX-License-Identifier: MIT
/** \file
 * The real-time checker linked into the engine and driver tests: allocation
 * (malloc, free and the rest), locks (mutexes, rwlocks, spin locks), waits
 * (condition variables, semaphores, futex waits made through syscall(), as
 * C++20's atomic wait and semaphores do, joins, sleeps, poll), sched_yield,
 * memory mapping (mmap, munmap, mremap, mprotect) and file I/O (open, close,
 * read, write, stdio) called on a thread that is inside an rt::AudioSection
 * (src/support/rt_section.h: the engine's process() and the drivers'
 * callbacks) are recorded as violations. The call itself still goes through,
 * so the test can report what happened.
 *
 * Under ThreadSanitizer (the `tsan` preset) the interposer compiles to stubs:
 * TSan must see every malloc, free and lock itself, so nothing is interposed,
 * tutti_rt_checking() returns 0 and no violation is ever recorded. The
 * real-time check runs in the other builds.
 */
#pragma once

extern "C" {
/// Violations seen since the start (or the last reset).
long tutti_rt_violations(void);
/// The name of the first call that violated ("malloc", "pthread_mutex_lock"...), or "".
const char* tutti_rt_first_violation(void);
/// Violations by the call so named since the last reset ("futex_wait", "sched_yield", "mmap"...).
long tutti_rt_violations_of(const char* name);
void tutti_rt_reset(void);
/// 1 when the calls are interposed and checked, 0 in a ThreadSanitizer build.
int tutti_rt_checking(void);
}
