// SPDX-License-Identifier: MIT
// Moving a running program to a server and back (mover.h, docs/move.md).
#include "move/mover.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <numbers>
#include <thread>

#include "support/rt_section.h"

namespace tutti::move {

namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t0) {
    return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

std::size_t power_of_two_at_least(std::size_t n) {
    std::size_t p = 1;
    while (p < n) {
        p <<= 1;
    }
    return p;
}

enum Refusal : int { None = 0, NotHere = 1, TooOld = 2 };

} // namespace

const char* to_string(Mover::Where where) {
    switch (where) {
    case Mover::Where::Local:
        return "local";
    case Mover::Where::Leaving:
        return "leaving";
    case Mover::Where::Remote:
        return "remote";
    case Mover::Where::Returning:
        return "returning";
    }
    return "?";
}

// ------------------------------------------------------------------ OfflineLink

OfflineLink::OfflineLink(remote::RemoteInstance& remote, int inputs, int outputs,
                         int latency_frames, int max_block)
    : remote_(remote), inputs_(std::max(inputs, 1)), outputs_(std::max(outputs, 1)),
      latency_(std::max(latency_frames, 0)) {
    answer_.assign(std::size_t(outputs_), std::vector<float>(std::size_t(max_block), 0.0f));
    delay_.assign(std::size_t(outputs_), std::vector<float>(std::size_t(latency_), 0.0f));
    for (auto& a : answer_) {
        answer_ptr_.push_back(a.data());
    }
    timed_.reserve(1024);
}

void OfflineLink::control(int offset, std::uint32_t index, double value) noexcept {
    if (timed_.size() < timed_.capacity()) {
        timed_.push_back(Timed{offset, index, value});
    }
}

void OfflineLink::process(int frames, const float* const* inputs, float* const* outputs) noexcept {
    try {
        // the block in pieces at the frames where controls change, each set
        // on the server between the pieces (its engine applies it at its
        // next block: the next piece's first frame)
        std::stable_sort(timed_.begin(), timed_.end(),
                         [](const Timed& a, const Timed& b) { return a.offset < b.offset; });
        std::vector<const float*> in(static_cast<std::size_t>(inputs_));
        std::vector<float*> out(static_cast<std::size_t>(outputs_));
        int done = 0;
        std::size_t next = 0;
        while (done < frames) {
            for (; next < timed_.size() && timed_[next].offset <= done; ++next) {
                // the server answers 503 until its control plane knows the
                // version a state just made: ask again
                for (int attempt = 0;; ++attempt) {
                    try {
                        remote_.set_parameter(timed_[next].index, timed_[next].value);
                        break;
                    } catch (const remote::RemoteError& e) {
                        if (e.status() != 503 || attempt >= 200) {
                            throw;
                        }
                        std::this_thread::sleep_for(std::chrono::milliseconds(5));
                    }
                }
            }
            const int end = next < timed_.size() ? std::min(frames, timed_[next].offset) : frames;
            for (int c = 0; c < inputs_; ++c) {
                in[std::size_t(c)] = inputs[c] + done;
            }
            for (int c = 0; c < outputs_; ++c) {
                out[std::size_t(c)] = answer_ptr_[std::size_t(c)] + done;
            }
            remote_.process_block(end - done, in.data(), out.data());
            done = end;
        }
        timed_.clear();
    } catch (const std::exception& e) {
        timed_.clear();
        ++failures_;
        last_error_ = e.what();
        for (auto& ch : answer_) {
            std::fill(ch.begin(), ch.end(), 0.0f);
        }
    }
    // the answers come out latency_ frames later (a delay line per channel)
    for (int c = 0; c < outputs_; ++c) {
        float* out = outputs[c];
        const float* in = answer_[std::size_t(c)].data();
        if (latency_ == 0) {
            std::memcpy(out, in, std::size_t(frames) * sizeof(float));
            continue;
        }
        std::vector<float>& d = delay_[std::size_t(c)];
        std::size_t p = pos_;
        for (int i = 0; i < frames; ++i) {
            out[i] = d[p];
            d[p] = in[i];
            p = p + 1 == d.size() ? 0 : p + 1;
        }
    }
    if (latency_ > 0) {
        pos_ = (pos_ + std::size_t(frames)) % std::size_t(latency_);
    }
}

// ------------------------------------------------------------------ Mover

Mover::Mover(Engine& engine, const MoverOptions& options) : engine_(engine), opt_(options) {
    host_inputs_ = std::max(opt_.inputs, 0); // what process() is given (0 for a generator)
    opt_.inputs = std::max(opt_.inputs, 1);  // what the history and the path carry
    opt_.outputs = std::max(opt_.outputs, 1);
    fade_len_ =
        std::uint32_t(std::max(0.0, std::floor(opt_.crossfade_ms * 1e-3 * opt_.sample_rate + 0.5)));
    fade_out_.resize(fade_len_ + 1);
    fade_in_.resize(fade_len_ + 1);
    for (std::uint32_t i = 0; i <= fade_len_; ++i) {
        const double t = fade_len_ == 0 ? 1.0 : double(i) / fade_len_;
        fade_out_[i] = float(std::cos(t * std::numbers::pi / 2));
        fade_in_[i] = float(std::sin(t * std::numbers::pi / 2));
    }
    hist_cap_ =
        power_of_two_at_least(std::size_t(std::max(1.0, opt_.history_seconds * opt_.sample_rate)) +
                              std::size_t(opt_.max_block));
    const std::size_t block = std::size_t(opt_.max_block);
    hist_.assign(std::size_t(opt_.inputs), std::vector<float>(hist_cap_, 0.0f));
    in_tmp_.assign(std::size_t(opt_.inputs), std::vector<float>(block, 0.0f));
    loc_.assign(std::size_t(opt_.outputs), std::vector<float>(block, 0.0f));
    rem_.assign(std::size_t(opt_.outputs), std::vector<float>(block, 0.0f));
    discard_.assign(std::size_t(opt_.outputs), std::vector<float>(block, 0.0f));
    for (auto& v : in_tmp_) {
        in_ptr_.push_back(v.data());
        in_w_.push_back(v.data());
    }
    for (auto& v : loc_) {
        loc_ptr_.push_back(v.data());
    }
    for (auto& v : rem_) {
        rem_ptr_.push_back(v.data());
    }
    for (auto& v : discard_) {
        discard_ptr_.push_back(v.data());
    }
    timed_.resize(1024);
    recent_.resize(256);
}

Mover::~Mover() = default;

bool Mover::wait_local(std::chrono::milliseconds timeout) const {
    const auto until = Clock::now() + timeout;
    while (where() != Where::Local || command_.load(std::memory_order_acquire) > 0) {
        if (Clock::now() >= until) {
            return false;
        }
        std::this_thread::sleep_for(std::chrono::microseconds(500));
    }
    return true;
}

bool Mover::moving() const {
    const Where w = where();
    return w == Where::Leaving || w == Where::Returning ||
           command_.load(std::memory_order_acquire) > 0;
}

void Mover::history_read(std::uint64_t from, int n, float* const* into) const noexcept {
    const std::size_t mask = hist_cap_ - 1;
    for (std::size_t c = 0; c < hist_.size(); ++c) {
        const float* h = hist_[c].data();
        const std::size_t a = std::size_t(from) & mask;
        const std::size_t first = std::min<std::size_t>(std::size_t(n), hist_cap_ - a);
        std::memcpy(into[c], h + a, first * sizeof(float));
        if (first < std::size_t(n)) {
            std::memcpy(into[c] + first, h, (std::size_t(n) - first) * sizeof(float));
        }
    }
}

bool Mover::timed_change(std::uint64_t frame, std::uint32_t index, double value) noexcept {
    if (!routing_.load(std::memory_order_acquire) || timed_n_ >= timed_.size()) {
        return false;
    }
    const std::int64_t f = std::int64_t(frame) + engine_offset_.load(std::memory_order_relaxed);
    timed_[timed_n_++] = Timed{std::uint64_t(std::max<std::int64_t>(f, 0)), index, value};
    return true;
}

void Mover::send_timed(std::uint64_t a, int n) noexcept {
    // the changes whose input frame the path is fed now, at their frame (a
    // late one, at the block's first)
    std::size_t kept = 0;
    for (std::size_t i = 0; i < timed_n_; ++i) {
        const Timed& t = timed_[i];
        if (t.frame >= a + std::uint64_t(n)) {
            timed_[kept++] = t;
            continue;
        }
        path_->control(t.frame <= a ? 0 : int(t.frame - a), t.index, t.value);
        recent_[recent_n_++ % recent_.size()] = t;
        timed_sent_.fetch_add(1, std::memory_order_relaxed);
    }
    timed_n_ = kept;
}

void Mover::repush_recent(std::uint64_t from, std::uint64_t engine_from) noexcept {
    // sent to the server for input frames after the block its state was
    // taken at, or not sent yet: not in the state that came back; set again
    // here at their frame (the catch-up computes them), marked so that they
    // are not forwarded again
    auto push = [&](const Timed& t) {
        ParameterChange pc;
        pc.generation = arm_generation_;
        pc.index = t.index;
        pc.value = t.value;
        pc.frame = std::int64_t(engine_from + (t.frame >= from ? t.frame - from : 0));
        pc.origin = kMoveOrigin;
        engine_.push(pc);
    };
    const std::uint64_t n = std::min<std::uint64_t>(recent_n_, recent_.size());
    for (std::uint64_t k = recent_n_ - n; k < recent_n_; ++k) {
        if (recent_[k % recent_.size()].frame >= from) {
            push(recent_[k % recent_.size()]);
        }
    }
    for (std::size_t i = 0; i < timed_n_; ++i) {
        push(timed_[i]);
    }
    timed_n_ = 0;
    recent_n_ = 0;
}

void Mover::feed_path(int n) noexcept {
    const std::uint64_t t0 = frame_.load(std::memory_order_relaxed);
    if (timed_n_ > 0) {
        send_timed(t0 - delay_, n);
    }
    history_read(t0 - delay_, n, in_w_.data());
    if (path_->realtime()) {
        path_->process(n, in_ptr_.data(), rem_ptr_.data());
        return;
    }
    // an offline path (requests): outside the audio section, by design
    --rt::audio_depth;
    path_->process(n, in_ptr_.data(), rem_ptr_.data());
    ++rt::audio_depth;
}

void Mover::fade(int n, const float* const* from, const float* const* to, float* const* out,
                 std::uint64_t t0) noexcept {
    for (int c = 0; c < opt_.outputs; ++c) {
        for (int i = 0; i < n; ++i) {
            const std::uint64_t f = t0 + std::uint64_t(i);
            float v;
            if (f < fade_begin_) {
                v = from[c][i];
            } else {
                const std::uint64_t p = std::min<std::uint64_t>(f - fade_begin_, fade_len_);
                v = from[c][i] * fade_out_[p] + to[c][i] * fade_in_[p];
            }
            out[c][i] = v;
        }
    }
}

bool Mover::catch_up(std::uint64_t from, std::uint64_t to) noexcept {
    const std::uint64_t e0 = engine_.frames_processed();
    engine_offset_.store(std::int64_t(from) - std::int64_t(e0), std::memory_order_release);
    routing_.store(false, std::memory_order_release);
    repush_recent(from, e0);
    if (to == from) {
        // nothing to compute: the next block commits the state
        return true;
    }
    for (std::uint64_t f = from; f < to;) {
        const int len = int(std::min<std::uint64_t>(to - f, std::uint64_t(opt_.max_block)));
        history_read(f, len, in_w_.data());
        engine_.process(len, reinterpret_cast<const void* const*>(in_ptr_.data()),
                        reinterpret_cast<void* const*>(discard_ptr_.data()));
        f += std::uint64_t(len);
    }
    return true;
}

void Mover::process(int n, const float* const* inputs, float* const* outputs) noexcept {
    rt::AudioSection section;
    const std::uint64_t t0 = frame_.load(std::memory_order_relaxed);
    // the input into the history (what the path and a catch-up read)
    {
        const std::size_t mask = hist_cap_ - 1;
        for (std::size_t c = 0; c < hist_.size(); ++c) {
            float* h = hist_[c].data();
            const bool given = int(c) < host_inputs_;
            for (int i = 0; i < n; ++i) {
                h[(std::size_t(t0) + std::size_t(i)) & mask] = given ? inputs[c][i] : 0.0f;
            }
        }
    }
    const int cmd = command_.load(std::memory_order_acquire);
    Where w = where();
    if (w == Where::Local && cmd == 0 && !routing_.load(std::memory_order_acquire)) {
        timed_n_ = 0; // what a move out that did not happen kept
        recent_n_ = 0;
    }
    if (cmd == 1) {
        // out: the path is fed from the state's frame on
        const std::uint64_t from = arm_frame_;
        if (w != Where::Local || from > t0 || t0 - from + std::uint64_t(n) > hist_cap_) {
            refused_why_.store(w != Where::Local ? NotHere : TooOld, std::memory_order_relaxed);
            command_.store(-1, std::memory_order_release);
        } else {
            path_ = arm_path_;
            delay_ = t0 - from;
            fade_begin_ = t0 + std::uint64_t(path_->latency_frames());
            switch_frame_.store(fade_begin_, std::memory_order_relaxed);
            w = Where::Leaving;
            where_.store(int(w), std::memory_order_release);
            command_.store(0, std::memory_order_release);
        }
    } else if (cmd == 2) {
        // back: the local engine from the server's frame to the present
        const std::uint64_t from = arm_frame_;
        if (w != Where::Remote || from > t0 || t0 - from + std::uint64_t(n) > hist_cap_) {
            refused_why_.store(w != Where::Remote ? NotHere : TooOld, std::memory_order_relaxed);
            command_.store(-1, std::memory_order_release);
        } else {
            caught_up_.store(int(t0 - from), std::memory_order_relaxed);
            catch_up(from, t0);
            fade_begin_ = t0;
            switch_frame_.store(fade_begin_, std::memory_order_relaxed);
            w = Where::Returning;
            where_.store(int(w), std::memory_order_release);
            command_.store(0, std::memory_order_release);
        }
    }
    const void* const* in_v = reinterpret_cast<const void* const*>(inputs);
    switch (w) {
    case Where::Local:
        engine_.process(n, in_v, reinterpret_cast<void* const*>(outputs));
        break;
    case Where::Leaving:
        engine_.process(n, in_v, reinterpret_cast<void* const*>(loc_ptr_.data()));
        feed_path(n);
        fade(n, loc_ptr_.data(), rem_ptr_.data(), outputs, t0);
        if (t0 + std::uint64_t(n) >= fade_begin_ + fade_len_) {
            where_.store(int(Where::Remote), std::memory_order_release);
        }
        break;
    case Where::Remote:
        // not computed here, but its controls still land (and reach the
        // server through the engine's ChangeObserver: ControlForward)
        // its frames pass (not computed) so that a change lands on its frame
        engine_.skip(n);
        feed_path(n);
        for (int c = 0; c < opt_.outputs; ++c) {
            std::memcpy(outputs[c], rem_ptr_[std::size_t(c)], std::size_t(n) * sizeof(float));
        }
        break;
    case Where::Returning:
        engine_.process(n, in_v, reinterpret_cast<void* const*>(loc_ptr_.data()));
        feed_path(n);
        fade(n, rem_ptr_.data(), loc_ptr_.data(), outputs, t0);
        if (t0 + std::uint64_t(n) >= fade_begin_ + fade_len_) {
            path_ = nullptr;
            where_.store(int(Where::Local), std::memory_order_release);
        }
        break;
    }
    frame_.store(t0 + std::uint64_t(n), std::memory_order_release);
}

namespace {

/// Waits for the audio thread to take (0) or refuse (-1) a command.
int wait_taken(const std::atomic<int>& command, std::chrono::milliseconds timeout) {
    const auto until = Clock::now() + timeout;
    int c = command.load(std::memory_order_acquire);
    while (c > 0 && Clock::now() < until) {
        std::this_thread::sleep_for(std::chrono::microseconds(200));
        c = command.load(std::memory_order_acquire);
    }
    return c;
}

const char* refusal(int why) {
    return why == TooOld ? "the state is older than the input history (history_seconds)"
                         : "the program is not where this move starts from";
}

} // namespace

MoveResult Mover::move_out(remote::RemoteInstance& remote, RemotePath& path, bool offline) {
    MoveResult r = move_out_(remote, path, offline);
    if (!r.ok) {
        routing_.store(false, std::memory_order_release);
    }
    return r;
}

MoveResult Mover::move_out_(remote::RemoteInstance& remote, RemotePath& path, bool offline) {
    MoveResult r;
    const auto t0 = Clock::now();
    if (where() != Where::Local || command_.load() > 0) {
        r.error = "the program is not playing locally (or a move is under way)";
        return r;
    }
    std::string error;
    // from the state's frame on, the changes applied here go to the path at
    // their frame (when it carries them so)
    routing_.store(path.timed_controls(), std::memory_order_release);
    if (!engine_.request_state()) {
        r.error = "a state read is under way";
        return r;
    }
    if (offline) {
        // this thread is the audio thread: the boundary is now
        float none = 0;
        std::vector<const void*> ins(std::size_t(opt_.inputs), &none);
        std::vector<void*> outs(std::size_t(opt_.outputs), &none);
        engine_.process(0, ins.data(), outs.data());
    }
    std::optional<StateSnapshot> snap = engine_.take_state(std::chrono::seconds(2), &error);
    if (!snap) {
        r.error = "cannot take the local state: " + error;
        return r;
    }
    const std::uint64_t from =
        std::uint64_t(std::int64_t(snap->frame) + engine_offset_.load(std::memory_order_acquire));
    StateImage image;
    image.frame = from;
    image.generation = snap->generation;
    image.layout = snap->factory->info();
    image.bytes = std::move(snap->bytes);
    r.state_bytes = double(image.bytes.size());
    try {
        r.remote_frame = remote.write_state_image(image);
    } catch (const std::exception& e) {
        r.error = std::string("the server did not take the state: ") + e.what();
        return r;
    }
    try {
        path.open();
    } catch (const std::exception& e) {
        r.error = std::string("cannot open the path to the server: ") + e.what();
        return r;
    }
    out_frame_ = from;
    remote_base_ = r.remote_frame;
    out_latency_ = path.latency_frames();
    arm_path_ = &path;
    arm_frame_ = from;
    command_.store(1, std::memory_order_release);
    r.state_frame = from;
    if (offline) {
        r.ok = true; // the next process() switches
        r.latency_frames = path.latency_frames();
        out_latency_ = r.latency_frames;
        r.switch_frame = frames() + std::uint64_t(path.latency_frames());
        r.handoff_ms = ms_since(t0);
        return r;
    }
    if (!await_switch(r, t0)) {
        return r;
    }
    r.latency_frames = int(r.switch_frame - from);
    out_latency_ = r.latency_frames;
    return r;
}

bool Mover::await_switch(MoveResult& r, Clock::time_point t0) {
    const int c = wait_taken(command_, std::chrono::seconds(2));
    r.handoff_ms = ms_since(t0);
    if (c != 0) {
        command_.store(0);
        r.error = c > 0 ? "the audio thread did not take the switch (is it running?)"
                        : refusal(refused_why_.load());
        return false;
    }
    r.ok = true;
    r.switch_frame = switch_frame_.load();
    return true;
}

MoveResult Mover::move_back(remote::RemoteInstance& remote, bool offline) {
    MoveResult r;
    const auto t0 = Clock::now();
    if (where() != Where::Remote || command_.load() > 0) {
        r.error = "the program is not playing on the server (or a move is under way)";
        return r;
    }
    StateImage image;
    try {
        image = remote.read_state_image();
    } catch (const std::exception& e) {
        r.error = std::string("cannot read the server's state: ") + e.what();
        return r;
    }
    if (image.frame < remote_base_) {
        r.error = "the server's engine is behind the frame the state was committed at";
        return r;
    }
    // the server computes one block for each block the path sends; the
    // path's block numbers (the link's cycles) say which one the state was
    // taken at, and the server's frame count must agree: a block it skipped
    // (never computed) shows as a difference, one it computed without its
    // input (lost on the way, concealed) is counted
    const std::uint64_t computed = image.frame - remote_base_;
    std::uint64_t fed = 0;
    if (arm_path_ != nullptr && arm_path_->frames_before(image, &fed)) {
        r.skipped_frames = std::int64_t(fed) - std::int64_t(computed);
        r.block_identified = r.skipped_frames == 0;
        r.concealed_blocks = image.link_concealed;
    }
    // the state is as old as the frames the server computed (a skipped
    // block is not in it): the local engine continues from there
    const std::uint64_t from = out_frame_ + computed;
    r.remote_frame = image.frame;
    r.state_frame = from;
    r.state_bytes = double(image.bytes.size());
    StateSnapshot state;
    state.frame = from;
    state.factory = make_layout_factory(std::move(image.layout));
    state.bytes = std::move(image.bytes);
    std::string error;
    const std::uint64_t g = engine_.submit_state(state, nullptr, &error);
    if (g == 0 || !engine_.wait_prepared(g, std::chrono::seconds(5))) {
        r.error = "the local engine did not take the state: " + error;
        return r;
    }
    arm_frame_ = from;
    arm_generation_ = g;
    command_.store(2, std::memory_order_release);
    if (offline) {
        r.ok = true;
        r.switch_frame = frames();
        r.catch_up_frames = int(frames() - from);
        r.latency_frames = out_latency_;
        r.handoff_ms = ms_since(t0);
        return r;
    }
    if (!await_switch(r, t0)) {
        return r;
    }
    r.catch_up_frames = caught_up_.load();
    r.latency_frames = out_latency_;
    return r;
}

} // namespace tutti::move
