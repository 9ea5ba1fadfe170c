// SPDX-License-Identifier: MIT
/** \file Running the reference `faust` compiler from a test. */
#pragma once

#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <string>

namespace tutti::test {

struct CommandResult {
    std::string output; ///< stdout and stderr
    bool crashed = false;
    int exit_code = -1;
};

inline CommandResult run_command(const std::string& cmd) {
    CommandResult r;
    FILE* p = popen((cmd + " 2>&1").c_str(), "r");
    if (p == nullptr) {
        return r;
    }
    char buf[4096];
    std::size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) {
        r.output.append(buf, n);
    }
    int status = pclose(p);
    if (WIFEXITED(status)) {
        r.exit_code = WEXITSTATUS(status);
        // the shell reports a child killed by a signal as 128 + signal
        r.crashed = r.exit_code > 128;
    } else {
        r.crashed = true;
    }
    return r;
}

inline bool faust_available() {
    return std::system("faust --version > /dev/null 2>&1") == 0;
}

} // namespace tutti::test
