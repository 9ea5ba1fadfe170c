// SPDX-License-Identifier: MIT
/** \file
 * For tests: a compile server (`serve::Server` with its `serve::Service`) in
 * this process on 127.0.0.1:port, and program bundles made from source text.
 * Used by the server's, the audio link's and the move's tests.
 */
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "remote/bundle.h"
#include "remote/client.h"
#include "serve/server.h"
#include "serve/service.h"

namespace tutti::test {

/// The server's options, the port aside (set by Served).
inline serve::ServerOptions server_options(bool require_token = false) {
    serve::ServerOptions so;
    so.require_token = require_token;
    return so;
}

/// A server on 127.0.0.1:port with its service; `endpoint` reaches it (with
/// its token). Stopped, its workers waited for, when it goes.
struct Served {
    Served(int port, const serve::ServiceOptions& vo, serve::ServerOptions so = server_options()) {
        service = std::make_unique<serve::Service>(vo);
        so.port = port;
        server = std::make_unique<serve::Server>(*service, so);
        std::string error;
        started = server->start(&error);
        EXPECT_TRUE(started) << error;
        endpoint.port = port;
        endpoint.token = server->token();
    }
    ~Served() {
        server->stop();
        service.reset(); // waits for the workers
        server.reset();
    }
    std::unique_ptr<serve::Service> service;
    std::unique_ptr<serve::Server> server;
    remote::Endpoint endpoint;
    bool started = false;
};

/// The bundle of a program given as text (named `name`, imports from ".").
inline remote::Bundle bundle_of(const std::string& name, const std::string& text) {
    std::string error;
    auto b = remote::expand_source(name, text, ".", {}, &error);
    EXPECT_TRUE(b) << error;
    return b ? *b : remote::Bundle{};
}

} // namespace tutti::test
