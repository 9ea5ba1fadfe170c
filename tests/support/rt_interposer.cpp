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
long tutti_rt_violations_of(const char*) {
    return 0;
}
void tutti_rt_reset(void) {
}
int tutti_rt_checking(void) {
    return 0;
}
} // extern "C"

#else

#include <dlfcn.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <malloc.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

#include <atomic>
#include <cstdarg>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <ctime>

#include "support/rt_section.h"

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
/// Per call name (string literals, compared by address then text): a fixed
/// table filled lock-free, so that recording allocates nothing.
constexpr int kNames = 64;
std::atomic<const char*> names[kNames];
std::atomic<long> counts[kNames];

void count_by_name(const char* what) noexcept {
    for (auto& slot : names) {
        const char* n = slot.load(std::memory_order_acquire);
        if (n == nullptr) {
            const char* expected = nullptr;
            if (slot.compare_exchange_strong(expected, what) || expected == what) {
                counts[&slot - names].fetch_add(1, std::memory_order_relaxed);
                return;
            }
            n = expected;
        }
        if (n == what) {
            counts[&slot - names].fetch_add(1, std::memory_order_relaxed);
            return;
        }
    }
}

inline void check(const char* what) noexcept {
    if (tutti_rt_audio_section() != 0) {
        const char* expected = nullptr;
        first.compare_exchange_strong(expected, what);
        violations.fetch_add(1, std::memory_order_relaxed);
        count_by_name(what);
    }
}

template <class F> F next(const char* name) noexcept {
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
long tutti_rt_violations_of(const char* name) {
    long total = 0;
    for (int i = 0; i < kNames; ++i) {
        const char* n = names[i].load();
        if (n != nullptr && std::strcmp(n, name) == 0) {
            total += counts[i].load();
        }
    }
    return total;
}
void tutti_rt_reset(void) {
    violations.store(0);
    first.store(nullptr);
    for (auto& c : counts) {
        c.store(0);
    }
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
    static auto real =
        reinterpret_cast<int (*)(pthread_cond_t*, pthread_mutex_t*, const struct timespec*)>(
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
    static auto real =
        next<int (*)(clockid_t, int, const struct timespec*, struct timespec*)>("clock_nanosleep");
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

// ---- more locks and waits
int pthread_mutex_timedlock(pthread_mutex_t* m, const struct timespec* t) {
    check("pthread_mutex_timedlock");
    static auto real =
        next<int (*)(pthread_mutex_t*, const struct timespec*)>("pthread_mutex_timedlock");
    return real(m, t);
}
int pthread_spin_lock(pthread_spinlock_t* l) {
    check("pthread_spin_lock");
    static auto real = next<int (*)(pthread_spinlock_t*)>("pthread_spin_lock");
    return real(l);
}
int pthread_cond_clockwait(pthread_cond_t* c, pthread_mutex_t* m, clockid_t k,
                           const struct timespec* t) {
    check("pthread_cond_clockwait");
    static auto real =
        next<int (*)(pthread_cond_t*, pthread_mutex_t*, clockid_t, const struct timespec*)>(
            "pthread_cond_clockwait");
    return real(c, m, k, t);
}
int pthread_join(pthread_t t, void** r) {
    check("pthread_join");
    static auto real = next<int (*)(pthread_t, void**)>("pthread_join");
    return real(t, r);
}
int sem_timedwait(sem_t* s, const struct timespec* t) {
    check("sem_timedwait");
    static auto real = next<int (*)(sem_t*, const struct timespec*)>("sem_timedwait");
    return real(s, t);
}
int sem_clockwait(sem_t* s, clockid_t k, const struct timespec* t) {
    check("sem_clockwait");
    static auto real = next<int (*)(sem_t*, clockid_t, const struct timespec*)>("sem_clockwait");
    return real(s, k, t);
}
int sched_yield(void) {
    check("sched_yield");
    static auto real = next<int (*)(void)>("sched_yield");
    return real();
}
/// libstdc++'s std::atomic<T>::wait, std::counting_semaphore and std::latch wait
/// on a futex through syscall(SYS_futex, ...): a wait is a violation (a wake,
/// which never blocks, is not). Arguments are forwarded as six longs (the
/// x86-64 and AArch64 system call conventions pass them in registers).
long syscall(long number, ...) {
    va_list ap;
    va_start(ap, number);
    long a[6];
    for (long& x : a) {
        x = va_arg(ap, long);
    }
    va_end(ap);
    if (number == SYS_futex) {
        const int op = int(a[1]) & FUTEX_CMD_MASK;
        if (op == FUTEX_WAIT || op == FUTEX_WAIT_BITSET || op == FUTEX_LOCK_PI ||
            op == FUTEX_WAIT_REQUEUE_PI) {
            check("futex_wait");
        }
    }
    // Not a guarded static like the others: libstdc++ waits for a guard that
    // another thread is initialising through syscall(SYS_futex), so two
    // threads' first calls here recursed into this guard until the stack ran
    // out (EditBehaviour crashed at start, ~1 run in 100 under load). A
    // constant-initialised atomic needs no guard; racing lookups agree.
    using Syscall = long (*)(long, ...);
    static std::atomic<Syscall> cached{nullptr};
    Syscall real = cached.load(std::memory_order_acquire);
    if (real == nullptr) {
        real = next<Syscall>("syscall");
        cached.store(real, std::memory_order_release);
    }
    return real(number, a[0], a[1], a[2], a[3], a[4], a[5]);
}

// ---- memory mapping (the kernel may sleep, take mmap_lock, fault pages in)
void* mmap(void* p, size_t n, int prot, int flags, int fd, off_t off) {
    check("mmap");
    static auto real = next<void* (*)(void*, size_t, int, int, int, off_t)>("mmap");
    return real(p, n, prot, flags, fd, off);
}
void* mmap64(void* p, size_t n, int prot, int flags, int fd, off64_t off) {
    check("mmap");
    static auto real = next<void* (*)(void*, size_t, int, int, int, off64_t)>("mmap64");
    return real(p, n, prot, flags, fd, off);
}
int munmap(void* p, size_t n) {
    check("munmap");
    static auto real = next<int (*)(void*, size_t)>("munmap");
    return real(p, n);
}
void* mremap(void* p, size_t n, size_t m, int flags, ...) {
    check("mremap");
    va_list ap;
    va_start(ap, flags);
    void* to = va_arg(ap, void*);
    va_end(ap);
    static auto real = next<void* (*)(void*, size_t, size_t, int, ...)>("mremap");
    return real(p, n, m, flags, to);
}
int mprotect(void* p, size_t n, int prot) {
    check("mprotect");
    static auto real = next<int (*)(void*, size_t, int)>("mprotect");
    return real(p, n, prot);
}

// ---- file I/O (read and write are above)
int open(const char* path, int flags, ...) {
    check("open");
    va_list ap;
    va_start(ap, flags);
    int mode = va_arg(ap, int);
    va_end(ap);
    static auto real = next<int (*)(const char*, int, ...)>("open");
    return real(path, flags, mode);
}
int open64(const char* path, int flags, ...) {
    check("open");
    va_list ap;
    va_start(ap, flags);
    int mode = va_arg(ap, int);
    va_end(ap);
    static auto real = next<int (*)(const char*, int, ...)>("open64");
    return real(path, flags, mode);
}
int openat(int dir, const char* path, int flags, ...) {
    check("open");
    va_list ap;
    va_start(ap, flags);
    int mode = va_arg(ap, int);
    va_end(ap);
    static auto real = next<int (*)(int, const char*, int, ...)>("openat");
    return real(dir, path, flags, mode);
}
int close(int fd) {
    check("close");
    static auto real = next<int (*)(int)>("close");
    return real(fd);
}
ssize_t pread(int fd, void* p, size_t n, off_t off) {
    check("read");
    static auto real = next<ssize_t (*)(int, void*, size_t, off_t)>("pread");
    return real(fd, p, n, off);
}
ssize_t pwrite(int fd, const void* p, size_t n, off_t off) {
    check("write");
    static auto real = next<ssize_t (*)(int, const void*, size_t, off_t)>("pwrite");
    return real(fd, p, n, off);
}
int fsync(int fd) {
    check("fsync");
    static auto real = next<int (*)(int)>("fsync");
    return real(fd);
}
FILE* fopen(const char* path, const char* mode) {
    check("fopen");
    static auto real = next<FILE* (*)(const char*, const char*)>("fopen");
    return real(path, mode);
}
FILE* fopen64(const char* path, const char* mode) {
    check("fopen");
    static auto real = next<FILE* (*)(const char*, const char*)>("fopen64");
    return real(path, mode);
}
int fclose(FILE* f) {
    check("fclose");
    static auto real = next<int (*)(FILE*)>("fclose");
    return real(f);
}
size_t fwrite(const void* p, size_t size, size_t n, FILE* f) {
    check("fwrite");
    static auto real = next<size_t (*)(const void*, size_t, size_t, FILE*)>("fwrite");
    return real(p, size, n, f);
}
size_t fread(void* p, size_t size, size_t n, FILE* f) {
    check("fread");
    static auto real = next<size_t (*)(void*, size_t, size_t, FILE*)>("fread");
    return real(p, size, n, f);
}
int fflush(FILE* f) {
    check("fflush");
    static auto real = next<int (*)(FILE*)>("fflush");
    return real(f);
}
int fputs(const char* s, FILE* f) {
    check("fputs");
    static auto real = next<int (*)(const char*, FILE*)>("fputs");
    return real(s, f);
}
int fputc(int c, FILE* f) {
    check("fputc");
    static auto real = next<int (*)(int, FILE*)>("fputc");
    return real(c, f);
}
int puts(const char* s) {
    check("puts");
    static auto real = next<int (*)(const char*)>("puts");
    return real(s);
}
int vfprintf(FILE* f, const char* fmt, va_list ap) {
    check("printf");
    static auto real = next<int (*)(FILE*, const char*, va_list)>("vfprintf");
    return real(f, fmt, ap);
}
int fprintf(FILE* f, const char* fmt, ...) {
    check("printf");
    static auto real = next<int (*)(FILE*, const char*, va_list)>("vfprintf");
    va_list ap;
    va_start(ap, fmt);
    int r = real(f, fmt, ap);
    va_end(ap);
    return r;
}
int printf(const char* fmt, ...) {
    check("printf");
    static auto real = next<int (*)(FILE*, const char*, va_list)>("vfprintf");
    va_list ap;
    va_start(ap, fmt);
    int r = real(stdout, fmt, ap);
    va_end(ap);
    return r;
}

} // extern "C"

#endif // TUTTI_RT_INTERPOSE
