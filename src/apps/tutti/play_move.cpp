// SPDX-License-Identifier: MIT
// tutti play --watch: moving the program to a server and back (play_move.h).
#include "apps/tutti/play_move.h"

#include <poll.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <mutex>

#include "move/block_link.h"
#include "move/control_forward.h"
#include "move/mover.h"
#include "remote/bundle.h"
#include "remote/client.h"

namespace tutti::app {

namespace {

class MoverCallback final : public AudioCallback {
public:
    explicit MoverCallback(move::Mover& m) : m_(m) {
    }
    void process(int frames, const float* const* inputs, float* const* outputs) noexcept override {
        m_.process(frames, inputs, outputs);
    }

private:
    move::Mover& m_;
};

#define TUTTI_FORMAT(...)                                                                          \
    [&] {                                                                                          \
        char buf_[512];                                                                            \
        std::snprintf(buf_, sizeof buf_, __VA_ARGS__);                                             \
        return std::string(buf_);                                                                  \
    }()

} // namespace

struct PlayMove::Impl {
    Engine& engine;
    PlayMoveOptions opt;
    move::Mover mover;
    MoverCallback cb{mover};
    std::mutex m;
    std::optional<std::string> queued;
    std::string here = "local"; ///< control thread: where it plays
    std::shared_ptr<const remote::RemoteFactory> factory;
    std::unique_ptr<remote::RemoteInstance> remote;
    std::unique_ptr<move::RemotePath> path;
    std::uint64_t forwarded = 0;      ///< control changes sent to the server this trip
    std::uint64_t out_generation = 0; ///< the local version playing when it moved out
    bool edited_away = false;         ///< said once: controls of an edit are not sent
    std::uint64_t timed_at_out = 0;   ///< mover.timed_sent() when it moved out
    std::vector<move::ControlForward::Change> held; ///< those, set again when it comes back
    /// not taken by the server yet (503 just after the state's commit): again at the next poll
    std::vector<move::ControlForward::Change> unsent;
    int unsent_polls = 0;
    bool keys = false, tty = false;
    termios saved{};

    static move::MoverOptions mover_options(const PlayMoveOptions& o) {
        move::MoverOptions mo;
        mo.inputs = o.inputs;
        mo.outputs = o.outputs;
        mo.max_block = o.block;
        mo.sample_rate = o.sample_rate;
        return mo;
    }

    Impl(Engine& e, PlayMoveOptions o)
        : engine(e), opt(std::move(o)), mover(e, mover_options(opt)) {
        if (opt.controls != nullptr) {
            // while away, the changes go through the link at their frame
            // (NetJack); the rest by the control thread's polls
            opt.controls->route(&mover);
        }
        keys = true;
        tty = isatty(0) != 0;
        if (tty && tcgetattr(0, &saved) == 0) {
            termios raw = saved;
            raw.c_lflag &= ~tcflag_t(ICANON);
            raw.c_cc[VMIN] = 0;
            raw.c_cc[VTIME] = 0;
            tcsetattr(0, TCSANOW, &raw);
        } else {
            tty = false;
        }
    }
    ~Impl() {
        if (opt.controls != nullptr) {
            opt.controls->route(nullptr);
        }
        if (tty) {
            tcsetattr(0, TCSANOW, &saved);
        }
    }

    void read_keys() {
        if (!keys) {
            return;
        }
        pollfd p{0, POLLIN, 0};
        while (::poll(&p, 1, 0) > 0 && (p.revents & (POLLIN | POLLHUP)) != 0) {
            char buf[64];
            const ssize_t n = ::read(0, buf, sizeof buf);
            if (n <= 0) {
                keys = false; // end of input
                return;
            }
            for (ssize_t i = 0; i < n; ++i) {
                if (buf[i] == 'm' || buf[i] == 'M') {
                    std::lock_guard l(m);
                    queued = "";
                }
            }
        }
    }

    /// The controls set here since the last call, to the server instance.
    std::vector<std::string> forward_controls() {
        if (opt.controls == nullptr || !remote) {
            return {};
        }
        std::vector<std::string> lines;
        std::vector<move::ControlForward::Change> changes = opt.controls->drain();
        if (engine.playing_generation() != out_generation) {
            // an edit saved while away took over here: its indices are not the
            // server's program's (the edit plays from the state that comes back)
            if (!changes.empty() && !edited_away) {
                edited_away = true;
                lines.push_back("move: the program was edited here while on the server: "
                                "its controls are not sent there (they apply when it comes back)");
            }
            held.insert(held.end(), changes.begin(), changes.end());
            return lines;
        }
        // the ones the server refused last time first, unless set again since
        std::vector<move::ControlForward::Change> todo;
        for (const move::ControlForward::Change& u : unsent) {
            if (u.is_note || std::none_of(changes.begin(), changes.end(), [&](const auto& c) {
                    return !c.is_note && c.index == u.index;
                })) {
                todo.push_back(u);
            }
        }
        todo.insert(todo.end(), changes.begin(), changes.end());
        unsent.clear();
        std::string why;
        for (const move::ControlForward::Change& c : todo) {
            try {
                if (c.is_note) {
                    remote->send_note(c.note); // at the server engine's next block
                } else {
                    remote->set_parameter(c.index, c.value);
                }
                ++forwarded;
            } catch (const std::exception& x) {
                unsent.push_back(c);
                why = x.what();
            }
        }
        if (unsent.empty()) {
            unsent_polls = 0;
        } else if (++unsent_polls >= 50) { // a second of refusals: give up
            lines.push_back(TUTTI_FORMAT("move: %zu control change%s not sent to the server: %s",
                                         unsent.size(), unsent.size() == 1 ? "" : "s",
                                         why.c_str()));
            unsent.clear();
            unsent_polls = 0;
        }
        return lines;
    }

    std::vector<std::string> out_to(const std::string& where) {
        std::vector<std::string> lines;
        auto e = remote::parse_endpoint(where);
        if (!e) {
            return {"move: '" + where + "' is not HOST[:PORT]"};
        }
        e->token = opt.token;
        e->timeout = std::chrono::milliseconds(30000);
        try {
            std::string error;
            auto bundle = remote::expand_program(opt.program, opt.include_dirs, &error);
            if (!bundle) {
                return {"move: " + error};
            }
            remote::RemoteCompileOptions co;
            co.interpreter = opt.interpreter;
            co.voices = opt.voices;
            auto created = remote::RemoteFactory::create(*e, *bundle, co);
            if (!created.ok()) {
                return {"move: the server cannot compile the program: " +
                        (created.diagnostics.empty() ? std::string("?")
                                                     : created.diagnostics.front().message)};
            }
            factory = created.factory;
            remote = factory->create_remote_instance(opt.sample_rate, opt.block);
            if (opt.link == "http") {
                path = std::make_unique<move::BlockLink>(*remote, opt.inputs, opt.outputs,
                                                         opt.block, std::max(opt.latency, 1));
            } else {
                remote::LinkOptions lo;
                lo.latency = std::max(opt.latency, 1);
                path = std::make_unique<move::InstanceLink>(*remote, lo);
            }
        } catch (const std::exception& x) {
            remote.reset();
            return {std::string("move: ") + x.what()};
        }
        if (opt.controls != nullptr) {
            // from the state's frame on, what is set here goes there too (a
            // change the state holds already is sent again: the same value)
            opt.controls->drain();
            opt.controls->arm(true);
        }
        forwarded = 0;
        timed_at_out = mover.timed_sent();
        edited_away = false;
        held.clear();
        unsent.clear();
        unsent_polls = 0;
        out_generation = engine.playing_generation();
        move::MoveResult r = mover.move_out(*remote, *path);
        if (!r.ok) {
            if (opt.controls != nullptr) {
                opt.controls->arm(false);
                opt.controls->drain();
            }
            path.reset();
            remote.reset();
            return {"move: " + r.error};
        }
        here = where;
        lines = forward_controls();
        lines.push_back(TUTTI_FORMAT(
            "moved to %s: state of %.0f bytes taken at frame %llu, hand-over "
            "%.1f ms, heard from there at frame %llu (%d frames later: link "
            "%d + hand-over %d), crossfade %.0f ms",
            where.c_str(), r.state_bytes, static_cast<unsigned long long>(r.state_frame),
            r.handoff_ms, static_cast<unsigned long long>(r.switch_frame), r.latency_frames,
            path->latency_frames(), r.latency_frames - path->latency_frames(),
            move::MoverOptions{}.crossfade_ms));
        if (opt.voices >= 0) {
            lines.push_back("move: its voices went with it; the notes played here while it is "
                            "there are sent there (by request: within play's 20 ms poll, not "
                            "at their frame)");
        }
        return lines;
    }

    std::vector<std::string> back() {
        std::vector<std::string> lines = forward_controls();
        move::MoveResult r = mover.move_back(*remote);
        if (!r.ok) {
            lines.push_back("move: " + r.error + " (it plays on " + here + ")");
            return lines;
        }
        if (opt.controls != nullptr) {
            // set during the hand-over, after the server's state was read:
            // the state that came back does not hold them; set them again here
            // (and those of an edit saved while away, held)
            opt.controls->arm(false);
            const std::uint64_t g = engine.playing_generation();
            std::vector<move::ControlForward::Change> again = std::move(held);
            held.clear();
            again.insert(again.end(), unsent.begin(), unsent.end()); // never got there
            unsent.clear();
            for (const move::ControlForward::Change& c : opt.controls->drain()) {
                again.push_back(c);
            }
            for (const move::ControlForward::Change& c : again) {
                ParameterChange pc;
                pc.generation = g;
                pc.index = c.index;
                pc.value = c.value;
                pc.is_note = c.is_note;
                pc.note = c.note;
                pc.origin = move::kMoveOrigin;
                engine.push(pc);
            }
        }
        const bool home = mover.wait_local(std::chrono::seconds(5));
        path->close();
        path.reset();
        remote.reset();
        factory.reset();
        const std::string from = here;
        here = "local";
        const std::uint64_t timed = mover.timed_sent() - timed_at_out;
        std::string lost;
        if (r.block_identified && r.concealed_blocks > 0) {
            lost = TUTTI_FORMAT(", %llu block%s lost on the way there (computed there without "
                                "their input)",
                                static_cast<unsigned long long>(r.concealed_blocks),
                                r.concealed_blocks == 1 ? "" : "s");
        } else if (r.skipped_frames != 0) {
            lost = TUTTI_FORMAT(", the server skipped %lld frames (a reconnection)",
                                static_cast<long long>(r.skipped_frames));
        }
        lines.push_back(TUTTI_FORMAT(
            "moved back from %s: state of %.0f bytes at input frame %llu, caught up "
            "%d frames, hand-over %.1f ms, heard here at frame %llu, %llu control "
            "change%s sent there (%llu at their frame)%s%s",
            from.c_str(), r.state_bytes, static_cast<unsigned long long>(r.state_frame),
            r.catch_up_frames, r.handoff_ms, static_cast<unsigned long long>(r.switch_frame),
            static_cast<unsigned long long>(forwarded + timed), forwarded + timed == 1 ? "" : "s",
            static_cast<unsigned long long>(timed), lost.c_str(),
            home ? "" : " (the crossfade did not finish in time)"));
        return lines;
    }
};

PlayMove::PlayMove(Engine& engine, PlayMoveOptions options)
    : impl_(std::make_unique<Impl>(engine, std::move(options))) {
}

PlayMove::~PlayMove() {
    if (impl_->path) {
        impl_->path->close(); // the driver stopped: nothing calls it
    }
}

AudioCallback& PlayMove::callback() {
    return impl_->cb;
}

std::string PlayMove::request(const std::string& where) {
    std::lock_guard l(impl_->m);
    impl_->queued = where;
    return where.empty() ? "moving (to the other side)" : "moving to " + where;
}

std::optional<std::string> PlayMove::command(std::string_view name,
                                             const std::vector<std::string>& args) {
    if (name != "move") {
        return std::nullopt;
    }
    return request(args.empty() ? std::string() : args.front());
}

std::vector<std::string> PlayMove::poll() {
    impl_->read_keys();
    std::optional<std::string> q;
    {
        std::lock_guard l(impl_->m);
        q.swap(impl_->queued);
    }
    if (!q) {
        return impl_->here != "local" ? impl_->forward_controls() : std::vector<std::string>{};
    }
    std::string where = *q;
    if (where.empty()) {
        where = impl_->here == "local" ? impl_->opt.server : "local";
    }
    if (where == impl_->here) {
        return {"move: it plays on " + where + " already"};
    }
    if (where == "local") {
        return impl_->back();
    }
    if (impl_->here != "local") {
        std::vector<std::string> lines = impl_->back(); // server to server: through here
        if (impl_->here != "local") {
            return lines;
        }
        auto more = impl_->out_to(where);
        lines.insert(lines.end(), more.begin(), more.end());
        return lines;
    }
    return impl_->out_to(where);
}

} // namespace tutti::app
