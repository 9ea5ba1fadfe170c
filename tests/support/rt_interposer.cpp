// SPDX-License-Identifier: MIT
/** \file
 * Interposes the C library's allocation, locking and blocking calls in the test
 * executable (the dynamic linker resolves libstdc++'s and the engine's calls to
 * these definitions first). Allocation goes to glibc's __libc_* entry points;
 * the other calls to the next definition (dlsym RTLD_NEXT).
 */
#include "support/rt_interposer.h"

// ThreadSanitizer and AddressSanitizer intercept the same functions and must see
// every allocation and lock themselves (heap reuse TSan does not see is reported
// as races; ASan owns the heap): in those builds only the query functions exist,
// and they report "not checking".
#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
#define TUTTI_RT_INTERPOSE 0
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer) || __has_feature(address_sanitizer)
#define TUTTI_RT_INTERPOSE 0
#endif
#endif
#ifndef TUTTI_RT_INTERPOSE
#define TUTTI_RT_INTERPOSE 1
#endif

#if !TUTTI_RT_INTERPOSE

extern "C" {
long tutti_rt_violations(void) {
    return 0;
}
const char* tutti_rt_first_violation(void) {
    return "";
}
void tutti_rt_reset(void) {
}
int tutti_rt_checking(void) {
    return 0;
}
} // extern "C"

#else

#include <dlfcn.h>
#include <malloc.h>
#include <pthread.h>
#include <semaphore.h>
#include <poll.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cstddef>
#include <cstring>

#include "engine/rt_guard.h"

extern "C" {
void* __libc_malloc(size_t);
void __libc_free(void*);
void* __libc_calloc(size_t, size_t);
void* __libc_realloc(void*, size_t);
void* __libc_memalign(size_t, size_t);
}

namespace {

std::atomic<long> violations{0};
std::atomic<const char*> first{nullptr};

inline void check(const char* what) noexcept {
    if (tutti_rt_audio_section() != 0) {
        const char* expected = nullptr;
        first.compare_exchange_strong(expected, what);
        violations.fetch_add(1, std::memory_order_relaxed);
    }
}

template <class F>
F next(const char* name) noexcept {
    return reinterpret_cast<F>(dlsym(RTLD_NEXT, name));
}

} // namespace

extern "C" {

long tutti_rt_violations(void) {
    return violations.load();
}
const char* tutti_rt_first_violation(void) {
    const char* f = first.load();
    return f != nullptr ? f : "";
}
void tutti_rt_reset(void) {
    violations.store(0);
    first.store(nullptr);
}
int tutti_rt_checking(void) {
    return 1;
}

void* malloc(size_t n) {
    check("malloc");
    return __libc_malloc(n);
}
void free(void* p) {
    if (p != nullptr) {
        check("free");
    }
    __libc_free(p);
}
void* calloc(size_t n, size_t m) {
    check("calloc");
    return __libc_calloc(n, m);
}
void* realloc(void* p, size_t n) {
    check("realloc");
    return __libc_realloc(p, n);
}
void* aligned_alloc(size_t a, size_t n) {
    check("aligned_alloc");
    return __libc_memalign(a, n);
}
void* memalign(size_t a, size_t n) {
    check("memalign");
    return __libc_memalign(a, n);
}
int posix_memalign(void** out, size_t a, size_t n) {
    check("posix_memalign");
    void* p = __libc_memalign(a, n);
    if (p == nullptr) {
        return 12; // ENOMEM
    }
    *out = p;
    return 0;
}

int pthread_mutex_lock(pthread_mutex_t* m) {
    check("pthread_mutex_lock");
    static auto real = next<int (*)(pthread_mutex_t*)>("pthread_mutex_lock");
    return real(m);
}
int pthread_mutex_trylock(pthread_mutex_t* m) {
    check("pthread_mutex_trylock");
    static auto real = next<int (*)(pthread_mutex_t*)>("pthread_mutex_trylock");
    return real(m);
}
int pthread_cond_wait(pthread_cond_t* c, pthread_mutex_t* m) {
    check("pthread_cond_wait");
    static auto real = reinterpret_cast<int (*)(pthread_cond_t*, pthread_mutex_t*)>(
        dlvsym(RTLD_NEXT, "pthread_cond_wait", "GLIBC_2.3.2"));
    return real(c, m);
}
int pthread_cond_timedwait(pthread_cond_t* c, pthread_mutex_t* m, const struct timespec* t) {
    check("pthread_cond_timedwait");
    static auto real = reinterpret_cast<int (*)(pthread_cond_t*, pthread_mutex_t*, const struct timespec*)>(
        dlvsym(RTLD_NEXT, "pthread_cond_timedwait", "GLIBC_2.3.2"));
    return real(c, m, t);
}
int pthread_rwlock_rdlock(pthread_rwlock_t* l) {
    check("pthread_rwlock_rdlock");
    static auto real = next<int (*)(pthread_rwlock_t*)>("pthread_rwlock_rdlock");
    return real(l);
}
int pthread_rwlock_wrlock(pthread_rwlock_t* l) {
    check("pthread_rwlock_wrlock");
    static auto real = next<int (*)(pthread_rwlock_t*)>("pthread_rwlock_wrlock");
    return real(l);
}
int sem_wait(sem_t* s) {
    check("sem_wait");
    static auto real = next<int (*)(sem_t*)>("sem_wait");
    return real(s);
}
int nanosleep(const struct timespec* a, struct timespec* b) {
    check("nanosleep");
    static auto real = next<int (*)(const struct timespec*, struct timespec*)>("nanosleep");
    return real(a, b);
}
int clock_nanosleep(clockid_t c, int f, const struct timespec* a, struct timespec* b) {
    check("clock_nanosleep");
    static auto real = next<int (*)(clockid_t, int, const struct timespec*, struct timespec*)>("clock_nanosleep");
    return real(c, f, a, b);
}
int usleep(useconds_t u) {
    check("usleep");
    static auto real = next<int (*)(useconds_t)>("usleep");
    return real(u);
}
ssize_t write(int fd, const void* p, size_t n) {
    check("write");
    static auto real = next<ssize_t (*)(int, const void*, size_t)>("write");
    return real(fd, p, n);
}
ssize_t read(int fd, void* p, size_t n) {
    check("read");
    static auto real = next<ssize_t (*)(int, void*, size_t)>("read");
    return real(fd, p, n);
}
int poll(struct pollfd* f, nfds_t n, int t) {
    check("poll");
    static auto real = next<int (*)(struct pollfd*, nfds_t, int)>("poll");
    return real(f, n, t);
}

} // extern "C"

#endif // TUTTI_RT_INTERPOSE
