// SPDX-License-Identifier: MIT
/** \file The control servers of `tutti play` (issue 11), for a local program
 * and for one playing on a server (`--on`, whose local engine stands in for
 * it): --set, then OSC and HTTP/WebSocket on one hub, their lines and the
 * page's banner printed as play prints them. */
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "apps/tutti/play.h"
#include "web/control_banner.h"

namespace tutti {
class Engine;
namespace control {
class ControlHub;
}
namespace osc {
class Server;
}
namespace http {
class Server;
}
} // namespace tutti

namespace tutti::app {

/// The host's commands (/tutti/<name>: play --watch's move), for OSC and HTTP.
using ControlCommand = std::function<std::optional<std::string>(
    std::string_view name, const std::vector<std::string>& args)>;

/// Sets each PATH=VALUE of `sets` on `engine`; prints why and returns false on
/// the first that names no control.
bool apply_sets(const std::vector<std::string>& sets, Engine& engine);

/// What `a` asks for (--no-osc, --no-http, ports, xmit...) on `listen`.
/// Destroy before `hub` and `engine`.
struct ControlServers {
    std::unique_ptr<osc::Server> osc;
    std::unique_ptr<http::Server> http;
    web::ControlBanner banner;

    ~ControlServers();
    /// Starts them, printing OSC's line, the token off loopback, then the
    /// banner; false (and prints why, as `tutti play: ...`) when one cannot.
    bool start(const PlayArgs& a, const std::string& listen, control::ControlHub& hub,
               int program_id, Engine& engine, const ControlCommand& command);
    /// Stops HTTP/WebSocket, then OSC (those started); they take no request after.
    void stop();
};

} // namespace tutti::app
