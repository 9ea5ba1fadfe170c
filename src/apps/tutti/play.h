// SPDX-License-Identifier: MIT
/** \file `tutti play`: runs a program on an audio driver; with --watch, recompiles
 * it on every save and swaps the new version in while it plays. */
#pragma once

#include <string>
#include <vector>

namespace tutti::app {

struct PlayArgs {
    std::string program;
    std::string driver = "jack";
    std::string server; ///< JACK server name (empty: the default one)
    bool watch = false;
    bool connect = false; ///< JACK: connect to the system ports
    double seconds = -1;  ///< stop after this long (default: until SIGINT/SIGTERM)
    double crossfade_ms = 20;
    int sample_rate = 48000;       ///< null driver
    int block = 64;                ///< null driver
    std::vector<std::string> sets; ///< PATH=VALUE
    std::string backend = "llvm";
    std::vector<std::string> include_dirs;
    bool fields = false; ///< print every state field of each swap
    // NetJack drivers (netjack-slave, netjack-master)
    std::string master;           ///< slave: the master's ADDR[:PORT] (empty: multicast)
    std::string listen;           ///< master: ADDR[:PORT] to listen on (empty: multicast)
    int latency = 2;              ///< slave: cycles
    std::string format = "float"; ///< float or int16
    std::string net_name;         ///< slave: the name the master shows
    std::string clock = "timer";  ///< master: timer (jack: not yet)
};

int run_play(const PlayArgs& args);

} // namespace tutti::app
