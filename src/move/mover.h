// SPDX-License-Identifier: MIT
/** \file
 * Moving a running program (the paper's "code migration", issue 13,
 * docs/move.md): a program playing in the local engine moves to a compile
 * server's engine, and back, while it plays, with its state.
 *
 * Out. At a block boundary the local engine's audio thread copies the playing
 * version's state (Engine::request_state: a buffer prepared beforehand, a
 * memcpy); the control thread sends it with its layout and identities to the
 * server instance of the same program (RemoteInstance::write_state_image), whose
 * engine takes it in by the state-carrying swap (fields by identity). From the
 * next block the mover feeds the remote path (the network link) with the input
 * from that boundary on (kept in a history ring), and keeps the local engine
 * playing until the path's answer to that first block comes back, `latency`
 * frames later; then it crossfades (equal power, `crossfade_ms`) from the local
 * output to the path's and stops computing locally. The remote instance
 * continues from exactly the local state: after the fade the output is the
 * unmoved program delayed by the path's latency (plus, in real time, the time
 * the hand-over took: the path is fed from the history, so nothing is skipped).
 *
 * Back. The control thread reads the server instance's state
 * (read_state_image: at a block boundary of its engine, with the engine frame,
 * which says which input frame it has reached) and submits it to the local
 * engine (Engine::submit_state). At the next block the audio thread lets the
 * local engine catch up from that frame to the present on the input history
 * (output discarded; zero frames offline), then crossfades from the path's
 * output to the local one: the latency added on the way out is taken back.
 *
 * Away, the local engine is still called with zero frames each block: the
 * controls set on it land (and its ChangeObserver, a ControlForward, hands
 * them to the control thread for the server instance: docs/move.md).
 *
 * Threads: process() is the audio thread's (no allocation, lock, wait or
 * log; the RemotePath's process() must be as well); move_out()/move_back() a
 * control thread's, one at a time. Offline (an offline render, a test), the
 * thread that calls process() calls them between blocks with `offline` set:
 * the state is then taken at once at the current boundary (the engine's
 * process() of zero frames), and the path, an OfflineLink, answers by request.
 */
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "move/control_forward.h"
#include "remote/client.h"
#include "tutti/engine.h"

namespace tutti::move {

/// The audio path to an instance elsewhere: each call sends one block and
/// returns the answer to the block sent latency_frames() frames earlier
/// (silence before the first answer). The network link of issue 12
/// (netjack::RemoteProcessor) is one; OfflineLink below another.
class RemotePath {
public:
    virtual ~RemotePath() = default;
    virtual int latency_frames() const = 0;
    /// The mover's audio thread.
    virtual void process(int frames, const float* const* inputs,
                         float* const* outputs) noexcept = 0;
    /// False for a path that may block (OfflineLink): the mover calls it
    /// outside its audio section.
    virtual bool realtime() const {
        return true;
    }
    /// Control thread: called by Mover::move_out once the server took the
    /// state, before the first block goes (connect the link there, so that the
    /// server's engine computes nothing before it). Throws on failure.
    virtual void open() {
    }
    /// Control thread, once the mover no longer calls process() (back home).
    virtual void close() {
    }
    /// Control thread, on the way back: the frames the path had been fed
    /// (since open()) before the block at which the server took `image`,
    /// when the path's blocks identify it (the NetJack link's cycle numbers);
    /// false when they do not (the server's frame count is then relied on).
    virtual bool frames_before(const StateImage& /*image*/, std::uint64_t* /*frames*/) const {
        return false;
    }
    /// Whether control() carries changes to their frame (sample-accurate).
    virtual bool timed_controls() const {
        return false;
    }
    /// The mover's audio thread, before the process() call of the block it
    /// belongs to: control `index` of the server's program set to `value` at
    /// frame `offset` (0..frames-1) of the block that call sends. Allocates,
    /// locks and waits for nothing.
    virtual void control(int /*offset*/, std::uint32_t /*index*/, double /*value*/) noexcept {
    }
};

/// The network audio link of issue 12 as a path: RemoteInstance::compute over
/// NetJack (connect_audio with `options` at open(), disconnect_audio at
/// close()). compute() may wait up to the link's reply wait for an answer, so
/// the mover calls it outside its audio section (realtime() is false).
class InstanceLink final : public RemotePath {
public:
    InstanceLink(remote::RemoteInstance& remote, remote::LinkOptions options)
        : remote_(remote), options_(std::move(options)) {
    }
    int latency_frames() const override {
        return remote_.latency_frames();
    }
    void process(int frames, const float* const* inputs, float* const* outputs) noexcept override {
        remote_.compute(frames, reinterpret_cast<const void* const*>(inputs),
                        reinterpret_cast<void* const*>(outputs));
    }
    bool realtime() const override {
        return false;
    }
    void open() override {
        remote_.connect_audio(options_);
    }
    void close() override {
        remote_.disconnect_audio();
    }
    bool frames_before(const StateImage& image, std::uint64_t* frames) const override {
        return remote_.link_frames_before(image, frames);
    }
    bool timed_controls() const override {
        return true;
    }
    void control(int offset, std::uint32_t index, double value) noexcept override {
        remote_.set_parameter_in_block(offset, index, value);
    }

private:
    remote::RemoteInstance& remote_;
    remote::LinkOptions options_;
};

/// An offline stand-in for the network link (renders and tests): each block
/// goes through RemoteInstance::process_block (one HTTP request: never on a
/// real-time thread), and the answers come out `latency_blocks` x `block`
/// frames later, as the NetJack link delivers block k's answer with call
/// k + latency. A failed request gives silence and is counted.
class OfflineLink final : public RemotePath {
public:
    OfflineLink(remote::RemoteInstance& remote, int inputs, int outputs, int latency_frames,
                int max_block);
    int latency_frames() const override {
        return latency_;
    }
    void process(int frames, const float* const* inputs, float* const* outputs) noexcept override;
    bool realtime() const override {
        return false;
    }
    /// Changes at their frame: the block is split there and the control set
    /// on the server between the two requests (PUT .../controls).
    bool timed_controls() const override {
        return true;
    }
    void control(int offset, std::uint32_t index, double value) noexcept override;
    std::uint64_t failures() const {
        return failures_;
    }
    const std::string& last_error() const {
        return last_error_;
    }

private:
    remote::RemoteInstance& remote_;
    int inputs_, outputs_, latency_;
    std::vector<std::vector<float>> answer_, delay_; ///< per output channel
    std::vector<float*> answer_ptr_;
    std::size_t pos_ = 0;
    struct Timed {
        int offset = 0;
        std::uint32_t index = 0;
        double value = 0;
    };
    std::vector<Timed> timed_; ///< this block's changes (capacity made beforehand)
    std::uint64_t failures_ = 0;
    std::string last_error_;
};

struct MoverOptions {
    int inputs = 2, outputs = 2; ///< the engine's (EngineOptions::inputs/outputs)
    int max_block = 4096;        ///< the largest block process() is given
    int sample_rate = 48000;
    double crossfade_ms = 10;   ///< equal power, at each switch
    double history_seconds = 2; ///< input kept for the path and for catching up
};

/// What one move did.
struct MoveResult {
    bool ok = false;
    std::string error;
    std::uint64_t state_frame = 0;  ///< the input frame of the state that moved
    std::uint64_t remote_frame = 0; ///< the server engine's frame at its commit / its snapshot
    std::uint64_t switch_frame = 0; ///< the mover frame at which the crossfade begins
    int latency_frames = 0;         ///< added (out) or taken back (back)
    int catch_up_frames = 0;        ///< back: frames the local engine computed to catch up
    double state_bytes = 0;
    double handoff_ms = 0; ///< the control thread's time: snapshot, transfer, commit
    /// Back: the path identified the block at which the server's state was
    /// taken (the link's cycle), and it agreed with the server's frame count.
    bool block_identified = false;
    /// Back, when identified: the blocks the server computed without all
    /// their input (lost on the way to it, concealed) since the move out:
    /// 0 means the state that came back is exactly the unmoved program's.
    std::uint64_t concealed_blocks = 0;
    /// Back: frames the path was fed that the server did not compute (its
    /// slave skipped them: a reconnection); 0 normally.
    std::int64_t skipped_frames = 0;
};

class Mover final : public TimedControls {
public:
    enum class Where : int { Local, Leaving, Remote, Returning };

    /// `engine`: the local engine (single precision), which the mover drives:
    /// the host calls the mover's process() instead of the engine's.
    Mover(Engine& engine, const MoverOptions& options);
    ~Mover();
    Mover(const Mover&) = delete;
    Mover& operator=(const Mover&) = delete;

    /// Audio thread: as Engine::process (float samples, options' channels).
    void process(int frames, const float* const* inputs, float* const* outputs) noexcept;

    /// Control thread: local -> `remote` (an instance of the same program on a
    /// server, made and not playing anything else), whose audio comes back
    /// through `path` (both outlive the move back). Returns once the state is
    /// on the server and the audio thread took the switch over (offline: at
    /// the next process()).
    MoveResult move_out(remote::RemoteInstance& remote, RemotePath& path, bool offline = false);
    /// Control thread: `remote` (the instance moved out to) -> local.
    MoveResult move_back(remote::RemoteInstance& remote, bool offline = false);

    Where where() const {
        return Where(where_.load(std::memory_order_acquire));
    }
    /// Frames process() computed.
    std::uint64_t frames() const {
        return frame_.load(std::memory_order_acquire);
    }
    /// Whether a switch (a move out or back) is under way.
    bool moving() const;
    /// Control thread: waits until the program plays locally again (the
    /// crossfade back done: the path is no longer called); false on timeout.
    bool wait_local(std::chrono::milliseconds timeout) const;

    /// Audio thread (a ControlForward's route, ControlForward::route): a
    /// change the local engine applied at engine frame `frame` while the
    /// program is away (from the move out to the switch back) goes to the path
    /// with that frame, when the path carries timed controls: it lands on the
    /// server on the same input frame as here. False otherwise.
    bool timed_change(std::uint64_t frame, std::uint32_t index, double value) noexcept override;
    /// Any thread: timed changes sent through the path.
    std::uint64_t timed_sent() const {
        return timed_sent_.load(std::memory_order_relaxed);
    }

private:
    MoveResult move_out_(remote::RemoteInstance& remote, RemotePath& path, bool offline);
    void feed_path(int n) noexcept;
    void fade(int n, const float* const* from, const float* const* to, float* const* out,
              std::uint64_t t0) noexcept;
    bool catch_up(std::uint64_t from, std::uint64_t to) noexcept;
    /// Control thread, after a move's command was given: waits for the audio
    /// thread to take it; fills r.handoff_ms and r.ok with r.switch_frame,
    /// or r.error (the command withdrawn).
    bool await_switch(MoveResult& r, std::chrono::steady_clock::time_point t0);
    void history_read(std::uint64_t from, int n, float* const* into) const noexcept;
    void send_timed(std::uint64_t a, int n) noexcept;
    void repush_recent(std::uint64_t from, std::uint64_t engine_from) noexcept;

    Engine& engine_;
    MoverOptions opt_;
    int host_inputs_ = 0;
    std::uint32_t fade_len_ = 0;
    std::vector<float> fade_out_, fade_in_;
    std::size_t hist_cap_ = 0; ///< frames, a power of two
    std::vector<std::vector<float>> hist_;
    std::vector<std::vector<float>> in_tmp_, loc_, rem_, discard_;
    std::vector<const float*> in_ptr_;
    std::vector<float*> in_w_;
    std::vector<float*> loc_ptr_, rem_ptr_, discard_ptr_;

    // audio thread
    RemotePath* path_ = nullptr;
    std::uint64_t delay_ = 0;      ///< the path is fed the input this many frames back
    std::uint64_t fade_begin_ = 0; ///< mover frame at which the current crossfade begins
    std::atomic<int> where_{int(Where::Local)};
    std::atomic<std::uint64_t> frame_{0};
    /// input frame = local engine frame + offset (changes when it resumes)
    std::atomic<std::int64_t> engine_offset_{0};

    // timed controls while away (audio thread): waiting for the path's feed
    // to reach their input frame, and the last ones sent (set again locally
    // on the way back when the server's state was taken before them)
    struct Timed {
        std::uint64_t frame = 0; ///< input frame
        std::uint32_t index = 0;
        double value = 0;
    };
    std::vector<Timed> timed_, recent_;
    std::size_t timed_n_ = 0;
    std::uint64_t recent_n_ = 0; ///< ring: recent_[i % size]
    std::atomic<bool> routing_{false};
    std::atomic<std::uint64_t> timed_sent_{0};
    std::uint64_t arm_generation_ = 0; ///< back: the version the server's state made here

    // control -> audio: 1 out, 2 back; the audio thread sets 0 (taken) or -1 (refused)
    std::atomic<int> command_{0};
    RemotePath* arm_path_ = nullptr;
    std::uint64_t arm_frame_ = 0; ///< out: the state's input frame; back: the server's
    std::atomic<int> refused_why_{0};
    std::atomic<std::uint64_t> switch_frame_{0};
    std::atomic<int> caught_up_{0};

    // control thread: where the server's engine frames are in input frames
    std::uint64_t out_frame_ = 0;   ///< input frame of the state moved out
    std::uint64_t remote_base_ = 0; ///< server engine frame at which it was committed
    int out_latency_ = 0;
};

const char* to_string(Mover::Where where);

} // namespace tutti::move
