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
    std::string math = "exact"; ///< exact or fast (CompileOptions::math)
    /// Tiered start: each version plays on the interpreter until its LLVM code is
    /// ready (--no-tier: it waits for its LLVM code); libraries parsed once.
    bool tiered = true;
    std::vector<std::string> include_dirs;
    bool fields = false; ///< print every state field of each swap
    bool midi = false;   ///< a JACK MIDI input (midi_in) driving the controls and voices
    int voices = 0;      ///< polyphony (0: as the program declares nvoices, with --midi)
    // Control from other processes (issue 11): shared by every protocol.
    /// ADDR[:PORT] this tutti serves on: the control servers bind ADDR (empty or a
    /// multicast group: 127.0.0.1), netjack-master listens there (empty: multicast).
    std::string listen;
    std::string token; ///< writes from off loopback need it (empty: a random one)
    // OSC (src/osc): Faust's options.
    bool osc = true;
    int osc_port = 5510, osc_outport = 5511, osc_errport = 5512;
    std::string desthost = "127.0.0.1";
    int xmit = 0;
    std::vector<std::string> xmitfilter;
    bool bundle = false;
    // HTTP + WebSocket (src/http)
    bool http = true;     ///< --no-http turns it off
    int http_port = 5510; ///< --http-port (the next free one when busy)
    // NetJack drivers (netjack-slave, netjack-master)
    std::string master;                 ///< slave: the master's ADDR[:PORT] (empty: multicast)
    int latency = 2;                    ///< slave: cycles
    std::string format = "float";       ///< float, int16, opus or opus:KBPS
    std::string net_name;               ///< slave: the name the master shows
    std::string clock = "timer";        ///< master: timer or jack
    std::string link_controls = "both"; ///< send, receive, both or off (link_controls.h)
    bool no_cache = false; ///< --no-cache: compile without the compiled-code cache (issue 13)
    /// --on HOST[:PORT]: compiled and run on a `tutti serve` there, the audio
    /// through a NetJack link (play_remote.cpp); --token is the server's.
    std::string on;
    /// --watch: where 'm' (and /tutti/move without an argument) moves the
    /// playing program, and the link its audio takes (issue 13, play_move.h)
    std::string move_to = "127.0.0.1:7777";
    std::string move_link = "netjack"; ///< netjack or http
};

int run_play(const PlayArgs& args);
int run_play_remote(const PlayArgs& args);

} // namespace tutti::app
