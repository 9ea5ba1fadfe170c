// SPDX-License-Identifier: MIT
/** \file
 * The hub between the engines and every control source (OSC, HTTP, WebSocket,
 * MIDI, the command line): one per process, shared by the sources.
 *
 *  - Programs: each running program (an Engine, under an instance name) with
 *    the version control goes to (the playing one; the submitted one before
 *    the first commit) and its AddressSpace, rebuilt when the UI changes. A
 *    source reads them as an immutable Snapshot (cheap to take, any thread).
 *  - Addresses: resolve() accepts "/<instance>/<address>", the bare address
 *    when one program has it (or there is one program), and every spelling of
 *    AddressSpace::resolve.
 *  - Writes: set() clips into the control's range and pushes the change by
 *    index to the engine (any thread, lock-free on the engine's side).
 *  - Feedback: subscribe(rate, fn) calls fn at about `rate` Hz with the values
 *    (controls and bargraphs) that changed since this subscriber's last call
 *    (all of them on its first call and after a swap), read from the engine's
 *    ControlValues by the hub's poller thread. UI listeners hear when a
 *    program's UI changes. Nothing here runs on the audio thread.
 *  - Security (issue 11 section 6): the token that writes from off loopback
 *    must carry, shared by every source.
 *
 * Threads: the hub's poller thread runs the feedback and UI callbacks; they
 * must not block long (queue the work) and must not call unsubscribe() /
 * remove_ui_listener() / remove_program() (they run under the lists' locks).
 */
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "control/address_space.h"
#include "tutti/engine.h"

namespace tutti::control {

/// One program as the hub serves it.
struct Program {
    int id = 0;       ///< stable across swaps (ControlHub::add_program's result)
    std::string name; ///< instance name: "/<name>/..." addresses it
    Engine* engine = nullptr;
    VersionUi ui; ///< the version control goes to, with its live values
    std::shared_ptr<const AddressSpace> space;
};

/// Every program at one moment (immutable; hold it as long as needed).
struct Snapshot {
    std::vector<Program> programs;
    std::uint64_t serial = 0; ///< grows with every change of the set or of a UI
    const Program* find(int id) const;
};

/// Nodes of one program named by a path.
struct Target {
    std::size_t program = 0; ///< index into Snapshot::programs
    std::vector<AddressSpace::NodeId> nodes;
};

/// Why resolve() found nothing.
enum class ResolveError { None, NotFound, Ambiguous };

struct ValueChange {
    std::size_t program = 0; ///< index into Feedback::snapshot->programs
    std::size_t parameter = 0;
    double value = 0;
};
struct Feedback {
    std::shared_ptr<const Snapshot> snapshot;
    std::vector<ValueChange> changes;
};

/// Any non-audio thread. Sets every input control that `path` names (any
/// spelling AddressSpace::resolve accepts) in the engine's last submitted
/// version, at `frame`, unclipped (as the command line's --set does); how many
/// were set (0: no such control, or the queue is full).
int set_by_path(Engine& engine, std::string_view path, double value,
                std::int64_t frame = ParameterChange::now);

/// One read-only value of the process's state, published on the control plane
/// next to the programs' controls (e.g. a NetJack link's counters under
/// /tutti/netjack/...): a number, or a text when `is_text`.
struct StatusEntry {
    std::string address; ///< "/tutti/netjack/lost"
    double value = 0;
    std::string text;
    bool is_text = false;
};

/// A fresh random token (32 hex digits, from the system's random source).
std::string make_token();

class ControlHub {
public:
    struct Options {
        std::string token;           ///< empty: a random one (make_token)
        double poll_interval_ms = 5; ///< the poller's tick (feedback rates above 200 Hz round down)
    };
    /// Control thread. Starts the poller thread.
    explicit ControlHub(Options options);
    ControlHub();
    /// Control thread. Stops the poller; remove sources before the hub.
    ~ControlHub();
    ControlHub(const ControlHub&) = delete;
    ControlHub& operator=(const ControlHub&) = delete;

    /// Any thread. Serves `engine` (which must outlive its registration) under
    /// `name`; its address space is ready when this returns. Returns its id.
    int add_program(Engine& engine, std::string name);
    void remove_program(int id);

    /// Any thread.
    std::shared_ptr<const Snapshot> snapshot() const;
    /// Any thread. The nodes `path` names in `snapshot` (see the file comment).
    static std::vector<Target> resolve(const Snapshot& snapshot, std::string_view path,
                                       ResolveError* error = nullptr);

    /// Any thread. Sets parameters()[parameter] of `program` (clipped into its
    /// range) at engine frame `frame` (ParameterChange::now: the next block).
    /// False for a bargraph, an index out of range or a full queue.
    static bool set(const Program& program, std::size_t parameter, double value,
                    std::int64_t frame = ParameterChange::now);
    /// Any thread. Sets every input control `path` names; how many were set.
    int set(std::string_view path, double value, std::int64_t frame = ParameterChange::now);

    /// Any thread. `fn` runs on the poller thread about `rate_hz` times a second
    /// when something changed (first call: every value). Returns an id.
    using FeedbackFn = std::function<void(const Feedback&)>;
    int subscribe(double rate_hz, FeedbackFn fn);
    /// Any thread but the poller's callbacks. After it returns, fn is not running.
    void unsubscribe(int id);

    /// Any thread. `fn(snapshot, program index)` runs on the poller thread when
    /// a program's UI changed (a swap to a version with another JSON).
    using UiFn = std::function<void(const Snapshot&, std::size_t)>;
    int add_ui_listener(UiFn fn);
    void remove_ui_listener(int id);

    /// Any thread. `fn` appends its read-only values to the list it is given;
    /// it runs on the thread that asks (status()): a control thread, never the
    /// audio thread, so it reads what the audio thread publishes (atomics).
    /// It must not call add_status/remove_status. Returns an id.
    using StatusFn = std::function<void(std::vector<StatusEntry>&)>;
    int add_status(StatusFn fn);
    /// Any thread but a StatusFn. After it returns, fn is not running.
    void remove_status(int id);
    /// Any thread. The values whose address is `path` or lies under it
    /// ("/tutti/netjack" names every /tutti/netjack/...; a trailing '/' is
    /// ignored), in the order the sources gave them; empty when none.
    std::vector<StatusEntry> status(std::string_view path) const;

    /// Any thread. The token writes from off loopback must carry.
    const std::string& token() const {
        return token_;
    }
    /// Any thread. Whether a write may go through: from loopback always, from
    /// elsewhere only with the token.
    bool write_allowed(bool loopback_peer, std::string_view token) const;

private:
    struct Subscription;
    void run();
    bool refresh(); ///< true when the snapshot changed
    void publish(std::shared_ptr<const Snapshot> s);

    Options options_;
    std::string token_;
    mutable std::mutex snapshot_mutex_;
    std::shared_ptr<const Snapshot> snapshot_;
    std::mutex programs_mutex_; ///< add/remove/refresh (one writer at a time)
    int next_id_ = 1;

    std::mutex subs_mutex_;
    std::vector<std::unique_ptr<Subscription>> subs_;
    std::vector<std::pair<int, UiFn>> ui_listeners_;

    mutable std::mutex status_mutex_;
    std::vector<std::pair<int, StatusFn>> status_sources_;
    int next_status_id_ = 1;

    std::mutex wake_mutex_;
    std::condition_variable wake_;
    bool stop_ = false;
    std::thread poller_;
};

} // namespace tutti::control
