// SPDX-License-Identifier: MIT
// A compilation in a child process (compile_worker.h): the child's side, the
// answer's codec and the parent's spawn, read and reap.
#include "serve/compile_worker.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <new>
#include <string_view>

extern char** environ;

namespace tutti::serve {

namespace {

using Clock = std::chrono::steady_clock;
constexpr std::string_view magic = "tutti-compile-worker 1\n";
constexpr std::size_t max_answer_bytes = std::size_t(512) << 20;
constexpr std::uint64_t address_margin = std::uint64_t(256) << 20;

double ms_since(Clock::time_point t0) {
    return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

void put_u64(std::string& out, std::uint64_t v) {
    for (int i = 0; i < 8; ++i) {
        out += char((v >> (8 * i)) & 0xff);
    }
}
void put_str(std::string& out, std::string_view s) {
    put_u64(out, s.size());
    out.append(s);
}

/// The answer's fields, bounded by the text (any short or oversized field: !ok).
struct Reader {
    std::string_view s;
    bool ok = true;
    std::uint64_t u64() {
        if (s.size() < 8) {
            ok = false;
            return 0;
        }
        std::uint64_t v = 0;
        for (int i = 0; i < 8; ++i) {
            v |= std::uint64_t(static_cast<unsigned char>(s[std::size_t(i)])) << (8 * i);
        }
        s.remove_prefix(8);
        return v;
    }
    std::string str() {
        const std::uint64_t n = u64();
        if (!ok || n > s.size()) {
            ok = false;
            return {};
        }
        std::string v(s.substr(0, std::size_t(n)));
        s.remove_prefix(std::size_t(n));
        return v;
    }
};

std::string encode_answer(std::string_view status, const MachineCodeResult& mc) {
    std::string out(magic);
    put_str(out, status);
    put_str(out, mc.refused);
    put_u64(out, mc.diagnostics.size());
    for (const Diagnostic& d : mc.diagnostics) {
        put_str(out, d.id);
        put_u64(out, std::uint64_t(d.severity));
        put_str(out, d.message);
        put_str(out, d.file);
        put_u64(out, d.line);
        put_u64(out, d.column);
        put_u64(out, d.end_line);
        put_u64(out, d.end_column);
        put_str(out, d.source_line);
    }
    put_u64(out, mc.source_checksums.size());
    for (std::uint64_t c : mc.source_checksums) {
        put_u64(out, c);
    }
    put_str(out, mc.code ? encode_machine_code(*mc.code) : std::string());
    return out;
}

bool decode_answer(std::string_view text, WorkerResult& w) {
    if (text.substr(0, magic.size()) != magic) {
        return false;
    }
    Reader r{text.substr(magic.size())};
    const std::string status = r.str();
    w.refused = r.str();
    const std::uint64_t n = r.u64();
    for (std::uint64_t i = 0; r.ok && i < n; ++i) {
        Diagnostic d;
        d.id = r.str();
        d.severity = Severity(std::min<std::uint64_t>(r.u64(), 3));
        d.message = r.str();
        d.file = r.str();
        d.line = std::uint32_t(r.u64());
        d.column = std::uint32_t(r.u64());
        d.end_line = std::uint32_t(r.u64());
        d.end_column = std::uint32_t(r.u64());
        d.source_line = r.str();
        w.diagnostics.push_back(std::move(d));
    }
    const std::uint64_t k = r.u64();
    for (std::uint64_t i = 0; r.ok && i < k; ++i) {
        w.source_checksums.push_back(r.u64());
    }
    w.code_bytes = r.str();
    if (!r.ok) {
        return false;
    }
    if (status == "ok") {
        std::string error;
        w.code = decode_machine_code(w.code_bytes, &error);
        if (!w.code) {
            w.error = "the compiler process's machine code does not decode: " + error;
            return false;
        }
        w.status = WorkerResult::Status::Ok;
    } else if (status == "refused") {
        w.status = WorkerResult::Status::Refused;
    } else {
        w.status = WorkerResult::Status::Failed;
    }
    return true;
}

std::uint64_t address_space_bytes() {
    std::FILE* f = std::fopen("/proc/self/statm", "r");
    if (f == nullptr) {
        return 0;
    }
    unsigned long long size = 0;
    const int n = std::fscanf(f, "%llu", &size);
    std::fclose(f);
    return n == 1 ? std::uint64_t(size) * std::uint64_t(::sysconf(_SC_PAGESIZE)) : 0;
}

bool write_all(int fd, std::string_view s) {
    while (!s.empty()) {
        const ssize_t k = ::write(fd, s.data(), s.size());
        if (k < 0 && errno == EINTR) {
            continue;
        }
        if (k <= 0) {
            return false;
        }
        s.remove_prefix(std::size_t(k));
    }
    return true;
}

std::string fixed(double v, int decimals) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
    return buf;
}

std::string signal_name(int sig) {
    const char* a = ::sigabbrev_np(sig);
    return a != nullptr ? std::string("SIG") + a : "signal " + std::to_string(sig);
}

/// A diagnostic about the child's end, at the program (no line).
Diagnostic ended(std::string id, std::string message, const std::string& file,
                 Severity severity = Severity::Error) {
    Diagnostic d;
    d.id = std::move(id);
    d.severity = severity;
    d.message = std::move(message);
    d.file = file;
    return d;
}

} // namespace

int compile_worker_main(const WorkerArgs& a) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (a.parent > 0 && ::getppid() != pid_t(a.parent)) {
        return 4; // the server ended before this process could follow it
    }
    const std::uint64_t limit = std::uint64_t(std::max(a.memory_mb, 0.0) * double(1 << 20));
    if (limit > 0) {
        const rlim_t as = rlim_t(address_space_bytes() + limit + address_margin);
        const rlimit r{as, as};
        ::setrlimit(RLIMIT_AS, &r);
    }
    if (a.seconds > 0) {
        const rlimit r{rlim_t(std::ceil(a.seconds)) + 2, rlim_t(std::ceil(a.seconds)) + 3};
        ::setrlimit(RLIMIT_CPU, &r);
    }
    CompileOptions co;
    co.backend = Backend::Llvm;
    co.double_precision = a.double_precision;
    co.opt_level = a.opt_level;
    co.math = a.fast_math ? MathMode::Fast : MathMode::Exact;
    co.allow_foreign_code = false;
    co.max_memory_bytes = limit;
    co.max_seconds = std::max(a.seconds, 0.0);
    ProgramSource source;
    source.path_or_name = a.program;
    std::optional<MachineTarget> target;
    if (!a.triple.empty()) {
        target = MachineTarget{a.triple, a.cpu, a.features};
    }
    std::string answer;
    try {
        MachineCodeResult mc = compile_machine_code(source, co, target);
        answer = encode_answer(mc.code ? "ok" : !mc.refused.empty() ? "refused" : "failed", mc);
    } catch (const std::bad_alloc&) {
        MachineCodeResult mc;
        mc.diagnostics.push_back(ended(
            "compile_memory_limit",
            "the compilation needs more memory than its limit (the limit is " +
                fixed(a.memory_mb, 1) + " MiB per compilation: the server's --compile-memory)",
            a.program));
        answer = encode_answer("failed", mc);
    }
    std::fflush(stdout);
    const bool written = write_all(1, answer);
    std::_Exit(written ? 0 : 5); // no teardown of the compiler's and LLVM's statics
}

bool Children::add(int pid) {
    std::lock_guard lock(m_);
    if (stopping_) {
        return false;
    }
    pids_.insert(pid);
    return true;
}

void Children::remove(int pid) {
    std::lock_guard lock(m_);
    pids_.erase(pid);
}

void Children::kill_all() {
    std::lock_guard lock(m_);
    stopping_ = true;
    for (int pid : pids_) {
        ::kill(pid, SIGKILL); // reaped by the worker thread that waits for it
    }
}

bool Children::stopping() const {
    std::lock_guard lock(m_);
    return stopping_;
}

std::size_t Children::running() const {
    std::lock_guard lock(m_);
    return pids_.size();
}

std::string self_executable() {
    std::error_code ec;
    std::filesystem::path p = std::filesystem::read_symlink("/proc/self/exe", ec);
    return ec ? std::string() : p.string();
}

WorkerResult run_compile_worker(const std::vector<std::string>& command, WorkerArgs args,
                                Children& children, const std::string& display_name) {
    const auto t0 = Clock::now();
    WorkerResult w;
    args.parent = long(::getpid());
    std::vector<std::string> argv_text = command;
    auto arg = [&](std::string name, std::string value) {
        argv_text.push_back(std::move(name));
        argv_text.push_back(std::move(value));
    };
    argv_text.push_back(args.program);
    arg("--opt", std::to_string(args.opt_level));
    arg("--memory-mb", fixed(args.memory_mb, 3));
    arg("--seconds", fixed(args.seconds, 3));
    arg("--parent", std::to_string(args.parent));
    if (args.double_precision) {
        argv_text.push_back("--double");
    }
    if (args.fast_math) {
        argv_text.push_back("--fast-math");
    }
    if (!args.triple.empty()) {
        arg("--triple", args.triple);
        arg("--cpu", args.cpu);
        arg("--features", args.features);
    }
    std::vector<char*> argv;
    for (std::string& s : argv_text) {
        argv.push_back(s.data());
    }
    argv.push_back(nullptr);

    int fds[2];
    if (command.empty() || ::pipe2(fds, O_CLOEXEC) != 0) {
        w.status = WorkerResult::Status::SpawnFailed;
        w.error = command.empty() ? "no compile worker" : std::strerror(errno);
        return w;
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addclosefrom_np(&fa, 3); // the server's sockets stay its own
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &all);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    pid_t pid = -1;
    const int e = ::posix_spawn(&pid, argv[0], &fa, &attr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    ::close(fds[1]);
    if (e != 0) {
        ::close(fds[0]);
        w.status = WorkerResult::Status::SpawnFailed;
        w.error = std::string("cannot start ") + argv[0] + ": " + std::strerror(e);
        return w;
    }
    if (!children.add(pid)) {
        ::kill(pid, SIGKILL); // the server is stopping
    }
    w.spawn_ms = ms_since(t0);

    // the answer, within the time limit (the child's own budget stops it
    // first; this is for a child that cannot answer)
    const bool timed = args.seconds > 0;
    const auto deadline =
        t0 + std::chrono::duration_cast<Clock::duration>(
                 std::chrono::duration<double>(std::max(args.seconds, 0.0) + 2.0));
    std::string out;
    bool timed_out = false, too_big = false;
    for (;;) {
        int wait_ms = -1;
        if (timed) {
            const auto left =
                std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
            wait_ms = int(std::max<std::int64_t>(left.count(), 0));
        }
        pollfd p{fds[0], POLLIN, 0};
        const int n = ::poll(&p, 1, wait_ms);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n == 0) {
            timed_out = true;
            ::kill(pid, SIGKILL);
            break;
        }
        char buf[1 << 16];
        const ssize_t k = ::read(fds[0], buf, sizeof buf);
        if (k < 0 && errno == EINTR) {
            continue;
        }
        if (k <= 0) {
            break;
        }
        out.append(buf, std::size_t(k));
        if (out.size() > max_answer_bytes) {
            too_big = true;
            ::kill(pid, SIGKILL);
            break;
        }
    }
    ::close(fds[0]);
    // out of the set once it has ended but before it is reaped (its pid cannot
    // be another process's yet when kill_all() sends its SIGKILL)
    siginfo_t info{};
    while (::waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT) < 0 && errno == EINTR) {
    }
    children.remove(pid);
    int status = 0;
    rusage ru{};
    while (::wait4(pid, &status, 0, &ru) < 0 && errno == EINTR) {
    }
    w.peak_rss_kb = ru.ru_maxrss;
    w.total_ms = ms_since(t0);
    if (!timed_out && !too_big && decode_answer(out, w)) {
        for (Diagnostic& d : w.diagnostics) {
            if (d.id == "out_of_memory") {
                // an allocation past the address-space bound: the server's limit
                d.id = "compile_memory_limit";
                d.message = "the compilation needs more memory than its limit (the limit is " +
                            fixed(args.memory_mb, 1) +
                            " MiB per compilation: the server's --compile-memory) while "
                            "compiling this";
            }
        }
        return w;
    }
    // no answer: how the child ended
    w.status = WorkerResult::Status::Died;
    w.diagnostics.clear();
    const std::string limit = fixed(args.memory_mb, 1) + " MiB";
    const std::string used = std::to_string(w.peak_rss_kb / 1024) + " MiB";
    const int sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    if (sig == SIGKILL && children.stopping()) {
        w.stopped = true;
        w.diagnostics.push_back(
            ended("server_stopping", "the server stopped during the compilation", display_name));
    } else if (timed_out || sig == SIGXCPU) {
        w.diagnostics.push_back(ended(
            "compile_time_limit",
            "the compilation takes longer than its limit (the limit is " + fixed(args.seconds, 3) +
                " s: the server's --max-seconds); the server stopped its compiler process",
            display_name));
    } else if (too_big) {
        w.diagnostics.push_back(ended("compile_memory_limit",
                                      "the compiled program is larger than the server takes (" +
                                          std::to_string(max_answer_bytes >> 20) + " MiB)",
                                      display_name));
    } else if (sig == SIGKILL ||
               ((sig == SIGSEGV || sig == SIGABRT || sig == SIGBUS) && args.memory_mb > 0 &&
                double(w.peak_rss_kb) >= args.memory_mb * 1024.0 / 2)) {
        // the kernel's OOM killer, or an allocation past the address-space
        // bound that the code making it did not survive
        w.diagnostics.push_back(
            ended("compile_memory_limit",
                  "the compilation needs more memory than its limit (the limit is " + limit +
                      " per compilation: the server's --compile-memory); its compiler process "
                      "ended with " +
                      signal_name(sig) + " after using " + used,
                  display_name));
    } else {
        std::string how =
            sig != 0 ? signal_name(sig) : "exit code " + std::to_string(WEXITSTATUS(status));
        w.diagnostics.push_back(
            ended("compile_crashed",
                  "the compiler process ended with " + how + " without an answer" +
                      (w.error.empty() ? "" : " (" + w.error + ")") + " (used " + used + ")",
                  display_name, Severity::Internal));
    }
    return w;
}

} // namespace tutti::serve
