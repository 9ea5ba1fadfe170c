// SPDX-License-Identifier: MIT
/** \file
 * The compile server's HTTP API (docs/serve-api.md) as a pure function of a
 * request: method, target, token and body become a `Call` (what to do, its
 * arguments checked and bounded) or an `ApiError` (the status and message to
 * answer). No sockets, no engine: the server (server.h) calls it for every
 * request and hands the Call to the Service; the fuzz target
 * tests/fuzz/serve_api_fuzzer.cpp calls it with arbitrary bytes.
 *
 * Routes (every one under /v1; KEY: a factory's content key, 16-128 hex
 * digits; ID: an instance id, 32 hex digits):
 *   GET    /v1/health                          the server's name, version, load
 *   GET    /v1/factories                       every factory
 *   POST   /v1/factories[?options]             compile a bundle (remote/bundle.h)
 *   POST   /v1/machine_code[?options&triple=T&cpu=C&features=F]
 *                                               compile a bundle to relocatable machine
 *                                               code for that CPU (tutti/machine_code.h)
 *   GET    /v1/factories/KEY                   one factory, with its JSON UI
 *   GET    /v1/factories/KEY/info              its FactoryInfo (runtime codec)
 *   DELETE /v1/factories/KEY
 *   GET    /v1/instances                       every instance
 *   POST   /v1/instances                       {"factory":KEY[,"sample_rate":N,"block":N]}
 *   GET    /v1/instances/ID
 *   DELETE /v1/instances/ID
 *   POST   /v1/instances/ID/start | /stop
 *   POST   /v1/instances/ID/start              {"link":{"port":P | "master":"A.B.C.D:P",
 *                                               "latency":L,"format":F,"period":N,
 *                                               "controls":N,"timeout":S}}: the engine runs
 *                                               under a NetJack slave joining the client's
 *                                               RemoteProcessor (docs/serve-api.md)
 *   PUT    /v1/instances/ID/factory            {"factory":KEY}: the engine's swap
 *   GET    /v1/instances/ID/controls           every control's value
 *   GET    /v1/instances/ID/controls?path=P | ?index=I
 *   PUT    /v1/instances/ID/controls           {"path":P | "index":I, "value":V}
 *   POST   /v1/instances/ID/reset_controls
 *   GET    /v1/instances/ID/ws                 the control WebSocket (docs/control-protocol.md)
 *   POST   /v1/render[?options]                `tutti render --on`: a bundle rendered with
 *                                               render options (parse_render_body)
 *   GET    /v1/instances/ID/state              its state with layout and identities (binary)
 *   PUT    /v1/instances/ID/state[?partial=1]  takes a state in (the engine's migration)
 *   POST   /v1/instances/ID/process?frames=N[&blocks=K]  computes K (1..256) blocks of
 *                                               a stopped instance (f32 samples, block
 *                                               after block, channel after channel)
 * Compile options in the query of POST /v1/factories, /v1/machine_code and
 * /v1/render: backend=llvm|interpreter, double=0|1, opt=0..3, math=exact|fast,
 * name=NAME (the program's file name is the bundle's first).
 */
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "tutti/runtime.h"

namespace tutti::serve {

enum class Op {
    Health,
    ListFactories,
    CreateFactory,
    CreateMachineCode,
    GetFactory,
    GetFactoryInfo,
    DeleteFactory,
    ListInstances,
    CreateInstance,
    GetInstance,
    DeleteInstance,
    StartInstance,
    StopInstance,
    SwapInstance,
    GetControls,
    GetControl,
    SetControl,
    ResetControls,
    InstanceSocket,
    Render,
    GetState,     ///< GET /v1/instances/ID/state: its state image (runtime/state_image.h)
    PutState,     ///< PUT /v1/instances/ID/state[?partial=1]: take a state image in
    ProcessBlock, ///< POST /v1/instances/ID/process?frames=N: one block, stopped instances
    Note,         ///< POST /v1/instances/ID/note?type=on|off|alloff&key=K&velocity=V&channel=C
};
const char* to_string(Op op);

/// The compile options a client may choose (the server sets the limits).
struct FactoryOptions {
    bool interpreter = false;
    bool double_precision = false;
    int opt_level = 2;
    bool fast_math = false; ///< math=fast (CompileOptions::math); exact by default
    /// voices=N: a polyphonic program of N voices (compile_instrument: 0, as
    /// it declares with nvoices); < 0 (absent): the program itself.
    int voices = -1;
    friend bool operator==(const FactoryOptions&, const FactoryOptions&) = default;
};
/// "backend=llvm&double=0&opt=2&math=exact" (and "&voices=N" when given): as
/// the query and the listing write them.
std::string to_string(const FactoryOptions& options);

/// StartInstance with a body: the instance's audio over a NetJack link.
struct LinkRequest {
    bool on = false;
    /// "A.B.C.D:PORT" the server's slave joins; empty: `port` at the address
    /// the request came from (Call::peer).
    std::string master;
    int port = 0;
    int latency = 2;              ///< cycles (0..30)
    std::string format = "float"; ///< float | int16 | opus[:KBPS]
    int period = 0;               ///< 0: whatever the master says; else it must say this
    int controls = 0;             ///< control values carried each way (0..16384)
    double timeout_s = 5;         ///< how long the slave looks for the master (0.1..30)
    /// The master's number of its first cycle ("first_cycle", 0..2^32-1; < 0:
    /// not given): the slave conceals a lost first cycle rather than skip it.
    std::int64_t first_cycle = -1;
};

struct Call {
    Op op = Op::Health;
    std::string key; ///< factory key (GetFactory..., CreateInstance, SwapInstance)
    std::string id;  ///< instance id
    FactoryOptions options;
    std::string_view bundle;             ///< CreateFactory: the body (decoded by the service)
    int sample_rate = 48000, block = 64; ///< CreateInstance
    std::string path;                    ///< Get/SetControl by address ("" when by index)
    std::int64_t index = -1;             ///< Get/SetControl by index (-1: by path)
    double value = 0;                    ///< SetControl
    std::string ws_query;                ///< InstanceSocket: the query, passed on to the socket
    /// CreateMachineCode: the CPU to generate code for (empty triple: the server's)
    std::string triple, cpu, features;
    LinkRequest link; ///< StartInstance
    std::string peer; ///< the address the request came from (set by the server, not parsed)
    /// PutState: the state image; ProcessBlock: the input samples (views of the body)
    std::string_view payload;
    bool partial = false; ///< PutState: accept a state that does not carry everything
    int frames = 0;       ///< ProcessBlock
    NoteEvent note{};     ///< Note
    int blocks = 1;       ///< ProcessBlock: blocks of `frames` in one request (1..256)
};

/// POST /v1/render: `tutti render`'s options (docs/serve-api.md, "Render"); the
/// compile options are the query's, as for /v1/factories.
struct RenderRequest {
    long frames = 20000;
    int sample_rate = 44100, block = 64;
    std::string input = "silence"; ///< impulse, silence, noise, mix, or file (the body's)
    int input_channels = 0;        ///< file: its channels
    long input_frames = 0;         ///< file: its frames (at most `frames`)
    long press_buttons = -1;
    double crossfade_ms = 20;
    bool quiet = false;
    std::vector<std::string> sets;   ///< PATH=VALUE
    std::vector<std::string> set_at; ///< FRAME:PATH=VALUE
};

/// The parts of a render request's body.
struct RenderBody {
    RenderRequest request;
    std::string_view bundle; ///< the program (remote/bundle.h)
    std::string_view input;  ///< file: input_channels x input_frames doubles, interleaved
};

struct ApiError {
    int status = 400;
    std::string message;
};

/// What the server knows about a request besides its method, target and body.
struct ApiAccess {
    /// The server listens off loopback: every request needs the token
    /// (Authorization: Bearer T, or ?token=T).
    bool token_required = false;
    std::string_view token;        ///< the server's
    std::string_view given_header; ///< the Authorization header ("" when absent)
};

struct ApiLimits {
    std::size_t max_json_body = 64u * 1024; ///< every body but a bundle's
    std::size_t max_bundle = 32u << 20;
    int max_sample_rate = 384000;
    int max_block = 8192;
    long max_render_frames = 1L << 26;        ///< POST /v1/render: --frames
    std::size_t max_render_events = 1u << 16; ///< --set and --set-at, together
};

std::variant<Call, ApiError> parse_call(std::string_view method, std::string_view target,
                                        std::string_view body, const ApiAccess& access,
                                        const ApiLimits& limits = {});

/// The body of POST /v1/render (pure and bounded: fuzzed with parse_call):
///
///     tutti-render 1\n
///     options <n>\n<n bytes>\n     one "name value" line each: frames, sample_rate, block,
///                                  input, input_channels, input_frames, press_buttons,
///                                  crossfade_ms, quiet (0|1), set PATH=VALUE, set_at F:PATH=VALUE
///     program <n>\n<n bytes>\n     the bundle
///     input <n>\n<n bytes>\n       only for input file: the samples (little-endian doubles)
std::variant<RenderBody, ApiError> parse_render_body(std::string_view body,
                                                     const ApiLimits& limits = {});
/// The body parse_render_body reads (the client's side).
std::string encode_render_body(const RenderRequest& request, std::string_view bundle,
                               std::string_view input);

/// {"error":"..."} for an error answer.
std::string error_json(std::string_view message);

} // namespace tutti::serve
