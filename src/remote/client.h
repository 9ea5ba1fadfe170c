// SPDX-License-Identifier: MIT
/** \file
 * The client of a compile server (`tutti serve`, docs/serve-api.md): a factory
 * and instances that behave like local ones (tutti/runtime.h) while the code
 * runs on the server.
 *
 *  - `RemoteFactory`: compiled by the server from a bundle (bundle.h; the
 *    client compiles nothing), or looked up by key. Its FactoryInfo (UI, JSON,
 *    parameters, state layout, key) is the server's, decoded with the runtime's
 *    codec. Its instances are RemoteInstances.
 *  - `RemoteInstance`: an instance in the server's engine. Parameters are set
 *    and read on the server (a request each: call them from a control thread,
 *    never from an audio thread); start()/stop() run its engine there; swap()
 *    replaces its factory with the engine's hot swap, state carried on the
 *    server. `compute()` needs the network audio link (the NetJack transport,
 *    not part of this library yet): until one is given with set_transport(),
 *    it refuses by writing silence and counting the refusal (refused_blocks());
 *    it never blocks the audio thread on a request. Its state is read and
 *    written through the server's engine (read_state()/write_state(), or the
 *    state image with its layout: what moves a playing program, docs/move.md).
 *
 * Errors: every call that reaches the server throws `RemoteError` when the
 * server cannot be reached, goes away mid-request, or answers with an error
 * (its status and message). Nothing here crashes on a server's bad answer.
 */
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility> // for Boost.Asio 1.74 in the .cpp, which uses std::exchange without it
#include <vector>

#include "remote/bundle.h"
#include "runtime/state_image.h"
#include "tutti/diagnostics.h"
#include "tutti/machine_code.h"
#include "tutti/runtime.h"

namespace tutti::remote {

/// Where a server is: HOST[:PORT] (default port 7777) and its token.
struct Endpoint {
    std::string host = "127.0.0.1";
    int port = 7777;
    std::string token;                        ///< sent as "Authorization: Bearer" when not empty
    std::chrono::milliseconds timeout{60000}; ///< connect, send and receive, per request
    bool tls = false;                         ///< https: TLS with the server's certificate verified
    std::string tls_ca; ///< a certificate (PEM) to trust besides the system's (a self-signed one)
};
/// "host", "host:port", "[v6]:port", each optionally after "https://" (TLS)
/// or "http://"; nullopt when it is not one.
std::optional<Endpoint> parse_endpoint(std::string_view text);

class RemoteError : public std::runtime_error {
public:
    /// status: the HTTP status of an error answer, 0 when the server could not
    /// be reached or did not answer.
    RemoteError(int status, const std::string& message)
        : std::runtime_error(message), status_(status) {
    }
    int status() const {
        return status_;
    }

private:
    int status_;
};

struct Response {
    int status = 0;
    std::string content_type, body;
};

/// One connection to a server (kept alive between requests, reopened when the
/// server closed it). Thread-safe: requests are serialised.
class Client {
public:
    explicit Client(Endpoint endpoint);
    ~Client();
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;
    /// Throws RemoteError(0, ...) when the server is unreachable or the
    /// connection breaks; any answer (also 4xx/5xx) is returned.
    Response request(std::string_view method, std::string_view target, std::string_view body = {},
                     std::string_view content_type = "application/json");
    /// The same, throwing RemoteError(status, the server's message) unless 2xx.
    Response call(std::string_view method, std::string_view target, std::string_view body = {},
                  std::string_view content_type = "application/json");
    const Endpoint& endpoint() const {
        return endpoint_;
    }
    /// This machine's address on the connection to the server ("" when not
    /// connected): the address the server sees the requests come from (no NAT).
    std::string local_address();

private:
    struct Connection;
    void start_tls(Connection& c); ///< the handshake, the certificate checked (Endpoint::tls)
    Endpoint endpoint_;
    std::mutex mutex_;
    std::unique_ptr<Connection> connection_;
};

/// The "diagnostics" of a server's answer (a failed compilation's), best effort.
std::vector<Diagnostic> parse_diagnostics(std::string_view answer);

/// A factory as the server lists it.
struct FactorySummary {
    std::string key, name, options;
    std::int64_t last_use_ms = 0; ///< Unix time in milliseconds
    double compile_ms = 0;
    int instances = 0;
};
std::vector<FactorySummary> list_factories(const Endpoint& server);

/// Options a client chooses for a compilation (the server sets the limits).
struct RemoteCompileOptions {
    bool interpreter = false;
    bool double_precision = false;
    int opt_level = 2;
    bool fast_math = false; ///< math=fast (CompileOptions::math); exact by default
    /// >= 0: a polyphonic program of this many voices (0: as many as it
    /// declares with nvoices), as compile_instrument makes it; < 0: the program.
    int voices = -1;
};

/// Machine code compiled by the server (the thin client's way: it compiles
/// nothing and loads the code into its own JIT with tutti::load_machine_code).
struct RemoteMachineCode {
    std::optional<MachineCode> code; ///< absent when the compilation failed or was refused
    std::vector<Diagnostic> diagnostics;
    std::string refused; ///< why machine code cannot carry this program (sound files...)
    bool ok() const {
        return code.has_value();
    }
};
/// Compiles `bundle` on the server for `target` (host_machine_target() for
/// this machine). Throws RemoteError when the server cannot be reached, refuses
/// the request, or sends a container that does not decode.
RemoteMachineCode compile_machine_code(const Endpoint& server, const Bundle& bundle,
                                       const MachineTarget& target,
                                       const RemoteCompileOptions& options = {});

class RemoteInstance;

/// The network audio link of a remote instance (RemoteInstance::connect_audio):
/// a NetJack master here (netjack::RemoteProcessor, paced by compute()), the
/// server's instance running under a netjack-slave driver that joins it
/// (docs/serve-api.md, "The audio link").
struct LinkOptions {
    int latency = 2;              ///< blocks of the link (1..30; 0 counts as 1)
    std::string format = "float"; ///< float | int16 | opus[:KBPS]
    int period = 0;               ///< frames per link block (0: the instance's block)
    /// ADDR[:PORT] this side listens on. Empty address: this machine's address
    /// on the HTTP connection to the server; no port: the first free one from
    /// 19100 (a local UDP port).
    std::string listen;
    /// What the server joins, A.B.C.D:PORT; empty: our port at the address the
    /// server sees our requests come from.
    std::string master;
    double timeout_s = 5;      ///< how long the server looks for us (0.1..30)
    double reply_wait_ms = -1; ///< compute()'s wait for an answer (< 0: half a period)
    int controls = 0;          ///< control values carried (0: max(64, 2 x the parameters))
};

class RemoteFactory : public Factory {
public:
    struct Created {
        std::shared_ptr<const RemoteFactory> factory; ///< null when the compilation failed
        std::vector<Diagnostic> diagnostics;          ///< the server's (file names: the bundle's)
        double compile_ms = 0;                        ///< as the server measured it
        bool ok() const {
            return factory != nullptr;
        }
    };
    /// Compiles `bundle` on the server. Throws RemoteError when the server
    /// cannot be reached or refuses the request (not for the program's errors:
    /// those are diagnostics).
    static Created create(const Endpoint& server, const Bundle& bundle,
                          const RemoteCompileOptions& options = {});
    /// The factory with `key` on the server; throws RemoteError (404: none).
    static std::shared_ptr<const RemoteFactory> lookup(const Endpoint& server,
                                                       const std::string& key);
    /// Deletes it on the server (its instances there keep running).
    void remove() const;

    const char* implementation() const override {
        return "remote";
    }
    const Endpoint& endpoint() const {
        return endpoint_;
    }
    /// Creates an instance on the server now (init() chooses its sample rate,
    /// re-creating it when the rate differs).
    std::unique_ptr<RemoteInstance> create_remote_instance(int sample_rate = 48000,
                                                           int block = 64) const;
    /// Instances made through the Factory interface (create_instance(), as an
    /// Engine does) connect their audio link with these options when init()
    /// makes them on the server, and start there: an engine then plays them as
    /// local ones. nullopt (the default): they are not linked (compute() is
    /// silent, parameters are requests: not for an engine's audio thread).
    void link_instances(std::optional<LinkOptions> options) const;
    std::optional<LinkOptions> instance_link() const;

    /// (use create() or lookup())
    RemoteFactory(Endpoint endpoint, std::shared_ptr<Client> client, FactoryInfo info);

protected:
    std::unique_ptr<Instance> make_instance(std::shared_ptr<const Factory> self) const override;

private:
    Endpoint endpoint_;
    std::shared_ptr<Client> client_;
    mutable std::mutex link_mutex_;
    std::optional<LinkOptions> link_;
    friend class RemoteInstance;
};

/// Where a remote instance's audio goes (the network link); for later.
class RemoteTransport {
public:
    virtual ~RemoteTransport() = default;
    /// Audio thread: as Instance::compute.
    virtual void compute(int frames, const void* const* inputs, void* const* outputs) = 0;
};

class RemoteInstance : public Instance {
public:
    ~RemoteInstance() override; ///< deletes the server's instance (errors ignored)

    const std::string& id() const {
        return id_;
    }
    /// The server's idle timeout of the instance in seconds (0: none); while
    /// this object holds the instance, a thread renews it every third of that.
    double idle_timeout() const {
        return idle_timeout_s_;
    }
    /// The sample rate of the server's engine.
    int sample_rate() const {
        return sample_rate_;
    }
    void start();
    void stop();
    bool running() const;
    /// The server's engine swaps to `factory` (of the same server) with its
    /// state carried; returns the swap report's JSON ({"generation",
    /// "committed", "carried", ...}). Afterwards factory() is still the first
    /// factory (Instance's is fixed): current_factory() is the new one.
    std::string swap(const std::shared_ptr<const RemoteFactory>& factory);
    std::shared_ptr<const RemoteFactory> current_factory() const;
    /// The value of the control with this address (or index) on the server.
    /// Linked (connect_audio): read here, no request: the value set here, or
    /// for a bargraph the server's value, which the link brings back (about
    /// every 10 ms, the link's latency later).
    double value(std::string_view path);

    void instance_constants(int sample_rate) override;
    void reset_controls() override;
    void clear() override;
    /// See the file comment: the transport's, or silence and a refusal.
    void compute(int frames, const void* const* inputs, void* const* outputs) override;
    void set_transport(std::unique_ptr<RemoteTransport> transport);

    /// Control thread: the audio link. Opens a NetJack master here and starts
    /// the server's instance under a slave joining it (POST .../start with
    /// {"link":...}); throws RemoteError when the server refuses or cannot
    /// join us within options.timeout_s (504). Afterwards compute() sends each
    /// block (any frame counts: blocks of the link's period are assembled) and
    /// returns the answer latency_frames() later; set_parameter() and
    /// get_parameter() no longer make requests: a change goes through the
    /// link at its frame (sample-accurate: the frame within the block being
    /// assembled; from the audio thread itself, the frame compute() reached),
    /// and reads give the last value set here. compute() and set_parameter()
    /// allocate, lock and log nothing, and compute() waits at most the reply
    /// wait for an answer. A server that goes away: compute() plays silence
    /// (audio_connected() turns false after 2 s without packets).
    void connect_audio(const LinkOptions& options = {});
    /// Control thread, not while compute() runs: stops the link (and the
    /// server's instance).
    void disconnect_audio();
    /// Any thread: linked (connect_audio succeeded, not disconnected).
    bool audio_linked() const;
    /// Any thread: the server's side is connected now.
    bool audio_connected() const;
    /// The delay from a frame given to compute() to its answer out of it:
    /// (latency + 1) x period (the assembly of a period adds one).
    int latency_frames() const;
    int link_period() const;
    /// The frames compute() had sent through the link (from its first call
    /// after connect_audio) before the block at which `image`, read from this
    /// instance while linked, was taken: the link's cycles identify it. False
    /// when the image does not say (not taken under this link).
    bool link_frames_before(const StateImage& image, std::uint64_t* frames) const;
    int link_latency() const; ///< blocks
    std::uint16_t link_port() const;
    /// Blocks sent, answers concealed (lost or late) so far.
    std::uint64_t link_blocks() const;
    std::uint64_t link_concealed() const;
    /// Bargraph values the server sent back through the link.
    std::uint64_t link_meters_received() const;
    /// The server's description of the link (JSON), as start answered it.
    const std::string& link_json() const;
    std::uint64_t refused_blocks() const {
        return refused_.load(std::memory_order_relaxed);
    }
    using Instance::get_parameter;
    using Instance::set_parameter;
    void set_parameter(std::size_t index, double value) override;
    /// The audio thread that calls compute(), before the call: control
    /// `index` set to `value` at frame `offset` of the frames the next
    /// compute() gives, through the link's controls (sample-accurate on the
    /// server: the same frame of its block). Without a link, or beyond its
    /// controls, nothing (false). Allocates, locks and waits for nothing.
    bool set_parameter_in_block(int offset, std::size_t index, double value) noexcept;
    /// A note for the server's polyphonic program (POST .../note), landing
    /// at its engine's next block. A request: a control thread's call.
    void send_note(const NoteEvent& note);
    double get_parameter(std::size_t index) const override;
    std::byte* state() override {
        return nullptr;
    }
    const std::byte* state() const override {
        return nullptr;
    }
    /// The state block of the server's instance (GET .../state), taken by its
    /// engine at a block boundary; `to` must be the current factory's
    /// state_bytes() long. A request: a control thread's call.
    void read_state(std::span<std::byte> to) const override;
    /// Takes `from` (a block laid out as current_factory()'s) in on the server:
    /// the engine's migration (PUT .../state).
    void write_state(std::span<const std::byte> from) override;
    /// The state with its layout and the server engine's frame at which it
    /// was taken (runtime/state_image.h).
    StateImage read_state_image() const;
    /// Takes a state taken elsewhere (another engine, another machine) in on
    /// the server by the engine's state migration: fields matched by identity,
    /// controls by address, committed at its next block boundary. Throws
    /// RemoteError (409: it does not fit this program, unless `partial`).
    /// Returns the server engine's frame at which it was committed.
    std::uint64_t write_state_image(const StateImage& image, bool partial = false);
    /// Offline only (a render, a test; not an audio thread): one block through
    /// the server's engine of a stopped instance (POST .../process), one
    /// request. inputs/outputs: the engine's channels (at least one each).
    void process_block(int frames, const float* const* inputs, float* const* outputs);
    /// The same for `blocks` blocks of `frames` in one request (each computed
    /// at its own block boundary): `inputs` holds blocks x inputs x frames
    /// floats (block after block, channel after channel), `outputs` receives
    /// blocks x outputs x frames.
    void process_blocks(int frames, int blocks, const float* inputs, float* outputs);

    RemoteInstance(std::shared_ptr<const RemoteFactory> factory, int sample_rate, int block);

private:
    void create_on_server();
    void delete_on_server() noexcept;
    std::shared_ptr<const RemoteFactory> factory_;
    std::shared_ptr<const RemoteFactory> current_;
    std::shared_ptr<Client> client_;
    std::string id_;
    int sample_rate_ = 48000, block_ = 64;
    double idle_timeout_s_ = 0;
    bool running_ = false;
    bool dirty_ = false; ///< started since it was made (clear() then cannot be a no-op)
    std::unique_ptr<RemoteTransport> transport_;
    std::atomic<std::uint64_t> refused_{0};
    struct AudioLink;
    std::unique_ptr<AudioLink> link_;
    /// Renews the server instance's lease (its idle timeout, docs/serve-api.md)
    /// from a thread of its own while this object holds it.
    struct Lease;
    std::unique_ptr<Lease> lease_;
    std::atomic<AudioLink*> active_{nullptr};
    bool auto_link_ = false; ///< made through the Factory interface of a linked factory
    void refresh_values();
    LinkOptions link_options_copy() const;
    friend class RemoteFactory;
};

} // namespace tutti::remote
