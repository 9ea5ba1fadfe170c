// SPDX-License-Identifier: MIT
/** \file The private jackd of a test (see jack_server.h). */
#include "tools/jack_server.h"

#include <dirent.h>
#include <fcntl.h>
#include <jack/jack.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>
#include <vector>

namespace tutti::test {

namespace {

using Clock = std::chrono::steady_clock;

std::string find_in_path(const std::string& program) {
    const char* path = std::getenv("PATH");
    std::stringstream dirs(path ? path : "/usr/bin:/bin");
    for (std::string dir; std::getline(dirs, dir, ':');) {
        std::string candidate = (dir.empty() ? "." : dir) + "/" + program;
        if (access(candidate.c_str(), X_OK) == 0) {
            return candidate;
        }
    }
    return {};
}

std::string unique_name() {
    static std::atomic<int> counter{0};
    std::random_device rd;
    char buf[64];
    std::snprintf(buf, sizeof buf, "tutti-%d-%d-%04x", static_cast<int>(getpid()), ++counter,
                  rd() & 0xffffu);
    return buf;
}

void quiet(const char*) {
}
void to_stderr(const char* message) {
    std::fprintf(stderr, "%s\n", message);
}

/// True once a client can connect to `server`.
bool server_answers(const std::string& server) {
    jack_status_t status{};
    jack_client_t* probe = jack_client_open(
        "tutti-ready-probe", static_cast<jack_options_t>(JackNoStartServer | JackServerName),
        &status, server.c_str());
    if (!probe) {
        return false;
    }
    jack_client_close(probe);
    return true;
}

/// Waits up to `timeout` for `pid` to exit; true (and *status) when it did.
bool wait_exit(pid_t pid, int* status, Clock::duration timeout) {
    const auto deadline = Clock::now() + timeout;
    for (;;) {
        pid_t r = waitpid(pid, status, WNOHANG);
        if (r == pid || (r < 0 && errno != EINTR)) {
            return true;
        }
        if (Clock::now() >= deadline) {
            return false;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
}

/// Layout of /dev/shm/jack-shm-registry (JACK2 common/shm.h, as written by
/// jackd2 1.9.21 on x86-64): a header {magic "JACK", protocol, type, size,
/// hdr_len, entry_len} followed by 8 server slots {pid, name}, then at
/// hdr_len the segment entries {index, allocator pid, size, id "/jack-U-N"}
/// of entry_len bytes each. Only fields found through hdr_len/entry_len are
/// written, and only when the magic matches.
constexpr std::uint32_t kRegistryMagic = 0x4A41434B;
constexpr int kMaxServers = 8;
constexpr std::size_t kHeaderFixed = 24;

/// Removes the files named after server `name`: its socket and the semaphores
/// of the server and its clients. A server killed while clients were attached
/// leaves the clients' semaphores behind even when it exits cleanly.
void remove_named_files(const std::string& name) {
    const std::string uid = std::to_string(getuid());
    const std::string socket_prefix = "jack_" + name + "_" + uid + "_";
    const std::string sem_prefix = "jack_sem." + uid + "_" + name + "_";
    if (DIR* dir = opendir("/dev/shm")) {
        std::vector<std::string> doomed;
        while (dirent* e = readdir(dir)) {
            std::string file = e->d_name;
            if (file.rfind(socket_prefix, 0) == 0 || file.rfind(sem_prefix, 0) == 0) {
                doomed.push_back("/dev/shm/" + file);
            }
        }
        closedir(dir);
        for (const auto& f : doomed) {
            unlink(f.c_str());
        }
    }
}

/// Walks the registry's server slots and segment entries that belong to `pid`;
/// with `release`, frees them (and unlinks the segments). Returns the ids of
/// the segments ("/jack-U-N") found.
std::vector<std::string> walk_registry(pid_t pid, bool release, bool* server_slot_found) {
    std::vector<std::string> segments;
    if (server_slot_found) {
        *server_slot_found = false;
    }
    int fd = ::open("/dev/shm/jack-shm-registry", release ? O_RDWR : O_RDONLY);
    if (fd < 0) {
        return segments;
    }
    std::uint32_t header[6] = {};
    if (pread(fd, header, sizeof header, 0) != static_cast<ssize_t>(sizeof header) ||
        header[0] != kRegistryMagic) {
        close(fd);
        return segments;
    }
    const std::uint32_t size = header[3], hdr_len = header[4], entry_len = header[5];
    if (hdr_len > kHeaderFixed && (hdr_len - kHeaderFixed) % kMaxServers == 0) {
        const std::uint32_t slot_len = (hdr_len - kHeaderFixed) / kMaxServers;
        std::vector<char> blank(slot_len, 0);
        for (std::uint32_t i = 0; i < kMaxServers; ++i) {
            const off_t at = static_cast<off_t>(kHeaderFixed + std::size_t(i) * slot_len);
            std::int32_t slot_pid = 0;
            if (pread(fd, &slot_pid, sizeof slot_pid, at) == sizeof slot_pid && slot_pid == pid) {
                if (server_slot_found) {
                    *server_slot_found = true;
                }
                if (release) {
                    (void)!pwrite(fd, blank.data(), blank.size(), at);
                }
            }
        }
    }
    if (entry_len > 12 && size > hdr_len) {
        std::vector<char> entry(entry_len);
        for (std::uint32_t at = hdr_len; at + entry_len <= size; at += entry_len) {
            if (pread(fd, entry.data(), entry_len, at) != static_cast<ssize_t>(entry_len)) {
                break;
            }
            std::int32_t allocator = 0;
            std::memcpy(&allocator, entry.data() + 4, sizeof allocator);
            if (allocator != pid) {
                continue;
            }
            std::string id(entry.data() + 12, strnlen(entry.data() + 12, entry_len - 12));
            segments.push_back(id);
            if (!release) {
                continue;
            }
            if (id.rfind("/jack-", 0) == 0 && id.find('/', 1) == std::string::npos) {
                unlink(("/dev/shm" + id).c_str());
            }
            std::vector<char> cleared(entry_len - 4, 0); // keep the slot's index
            (void)!pwrite(fd, cleared.data(), cleared.size(), at + 4);
        }
    }
    close(fd);
    return segments;
}

} // namespace

bool JackServer::start(std::string* error, int sample_rate, int period) {
    stop();
    auto fail = [&](const std::string& message) {
        if (error) {
            *error = message;
        }
        return false;
    };
    const std::string jackd = find_in_path("jackd");
    if (jackd.empty()) {
        return fail("jackd not found in PATH (install jackd2)");
    }
    name_ = unique_name();
    const char* tmp = std::getenv("TMPDIR");
    log_path_ = std::string(tmp && *tmp ? tmp : "/tmp") + "/" + name_ + ".jackd.log";

    // Everything the child needs is prepared before fork(): between fork and
    // exec only async-signal-safe calls are allowed (the test may have threads).
    const std::string rate = std::to_string(sample_rate), frames = std::to_string(period);
    std::vector<const char*> argv = {jackd.c_str(), "-n", name_.c_str(),  "-d",   "dummy", "-r",
                                     rate.c_str(),  "-p", frames.c_str(), nullptr};
    if (!driver_args.empty() || !server_args.empty()) {
        argv = {jackd.c_str(), "-n", name_.c_str()};
        for (const std::string& a : server_args) {
            argv.push_back(a.c_str());
        }
        argv.push_back("-d");
        if (driver_args.empty()) {
            argv.insert(argv.end(), {"dummy", "-r", rate.c_str(), "-p", frames.c_str()});
        }
        for (const std::string& a : driver_args) {
            argv.push_back(a.c_str());
        }
        argv.push_back(nullptr);
    }
    const pid_t parent = getpid();
    const pid_t child = fork();
    if (child < 0) {
        return fail("fork failed: " + std::string(std::strerror(errno)));
    }
    if (child == 0) {
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (getppid() != parent) {
            _exit(127);
        }
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, nullptr);
        int log = ::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int null = ::open("/dev/null", O_RDONLY);
        if (log < 0 || null < 0) {
            _exit(127);
        }
        dup2(null, 0);
        dup2(log, 1);
        dup2(log, 2);
        execv(argv[0], const_cast<char* const*>(argv.data()));
        _exit(127);
    }
    pid_ = child;

    // Ready when a client gets in; libjack's complaints while it cannot are noise.
    jack_set_error_function(quiet);
    const auto deadline = Clock::now() + std::chrono::seconds(5);
    bool ready = false;
    int status = 0;
    bool exited = false;
    while (!ready && Clock::now() < deadline) {
        if (waitpid(pid_, &status, WNOHANG) == pid_) {
            exited = true;
            break;
        }
        ready = server_answers(name_);
        if (!ready) {
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
    }
    jack_set_error_function(to_stderr);
    if (ready) {
        return true;
    }
    std::string message =
        exited ? "jackd exited before accepting clients (status " + std::to_string(status) + ")"
               : "jackd did not accept clients within 5 s";
    if (exited) {
        pid_ = -1;
        remove_named_files(name_);
        walk_registry(child, true, nullptr);
    } else {
        stop();
    }
    return fail(message + "; log " + log_path_ + ":\n" + log());
}

bool JackServer::stop() {
    if (pid_ <= 0) {
        return true;
    }
    int status = 0;
    kill(pid_, SIGTERM);
    if (!wait_exit(pid_, &status, std::chrono::seconds(5))) {
        kill(pid_, SIGKILL);
        waitpid(pid_, &status, 0);
    }
    const bool clean = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    remove_named_files(name_);
    if (clean) {
        std::remove(log_path_.c_str());
    } else {
        walk_registry(pid_, true, nullptr);
        std::fprintf(stderr, "jackd %s (pid %d) died uncleanly (status %d); log kept: %s\n",
                     name_.c_str(), static_cast<int>(pid_), status, log_path_.c_str());
    }
    pid_ = -1;
    return clean;
}

std::vector<std::string> jack_registry_entries(pid_t pid, bool* server_slot_found) {
    return walk_registry(pid, false, server_slot_found);
}

std::string JackServer::log() const {
    std::ifstream in(log_path_);
    std::string out;
    for (std::string line; std::getline(in, line);) {
        if (line.find("XRun") == std::string::npos) {
            out += line + "\n";
        }
    }
    return out;
}

} // namespace tutti::test
