// SPDX-License-Identifier: MIT
/** \file
 * The real-time checker linked into the engine tests: malloc, free, locks,
 * condition waits, semaphores, sleeps and file I/O called on a thread that is
 * inside an rt::AudioSection are recorded as violations (the call itself still
 * goes through, so the test can report what happened).
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
void tutti_rt_reset(void);
/// 1 when the calls are interposed and checked, 0 in a ThreadSanitizer build.
int tutti_rt_checking(void);
}
