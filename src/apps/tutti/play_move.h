// SPDX-License-Identifier: MIT
/** \file
 * `tutti play --watch`: the program moves to a compile server and back while
 * it plays (issue 13, docs/move.md), on a key ('m' on the terminal: to
 * --move-to and back), an OSC message (/tutti/move "HOST[:PORT]" or "local")
 * or an HTTP request (POST /tutti/move with HOST[:PORT] or local as the body),
 * through src/move's Mover. The commands are queued and run on play's control
 * thread (poll()).
 */
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tutti/driver.h"
#include "tutti/engine.h"

namespace tutti::move {
class ControlForward;
}

namespace tutti::app {

struct PlayMoveOptions {
    std::string program;
    std::vector<std::string> include_dirs;
    bool interpreter = false;
    std::string server = "127.0.0.1:7777"; ///< where 'm' moves it (--move-to)
    std::string token;                     ///< the server's (off loopback)
    std::string link = "netjack";          ///< netjack or http (--move-link)
    int latency = 2;                       ///< blocks of the link
    int inputs = 0, outputs = 1, sample_rate = 48000, block = 64;
    /// The engine's ChangeObserver (EngineOptions::change_observer): while the
    /// program is away, the controls set here are sent to the server instance
    /// (docs/move.md, "Controls while moved"); null: they are not.
    move::ControlForward* controls = nullptr;
    /// A polyphonic program (--midi/--voices): the server compiles it with
    /// these voices (0: as it declares); < 0: not polyphonic.
    int voices = -1;
};

class PlayMove {
public:
    PlayMove(Engine& engine, PlayMoveOptions options);
    ~PlayMove();
    PlayMove(const PlayMove&) = delete;
    PlayMove& operator=(const PlayMove&) = delete;

    /// The driver's callback (the mover in front of the engine).
    AudioCallback& callback();
    /// Any thread: queues a move to `where` ("local", HOST[:PORT]; "": to the
    /// other side); returns what will happen.
    std::string request(const std::string& where);
    /// For the OSC and HTTP hooks: `name` "move" with one argument; nullopt for
    /// another name.
    std::optional<std::string> command(std::string_view name, const std::vector<std::string>& args);
    /// Play's control thread: reads the terminal's keys, runs a queued move;
    /// returns the lines to print.
    std::vector<std::string> poll();

    struct Impl;

private:
    std::unique_ptr<Impl> impl_;
};

} // namespace tutti::app
