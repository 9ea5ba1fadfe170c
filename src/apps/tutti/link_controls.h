// SPDX-License-Identifier: MIT
/** \file
 * `tutti play --link-controls`: a NetJack link's control channel
 * (netjack/controls.h) joined to the program's parameters, by index into the
 * playing version's parameters() (the same program on both sides, or two
 * whose controls are declared in the same order: Faust's UI order, as in the
 * JSON).
 *
 * Who owns what (docs/netjack.md, "Controls in tutti play"):
 *  - send: this side owns the controls: its moves (from any control source:
 *    OSC, HTTP, WebSocket, MIDI, --set) are sent with the audio, at the frame
 *    where they landed here, and its whole state is carried by the
 *    round-robin sweep from the start of each session; what the peer sends
 *    is ignored;
 *  - receive: the peer owns them: its moves and its sweep land on our
 *    parameters at their frame; our own moves stay here (until the peer
 *    moves that control);
 *  - both (the default): the last move wins, on either side; each side's
 *    sweep carries only the moves it made (so a lost one is repaired and the
 *    two sweeps never fight), and at each connection the master's whole state
 *    is swept to the slave (the master's values win when a slave joins);
 *  - off: no control channel (the slave asks for no MIDI port).
 * A change received from the link is pushed into the engine marked as such
 * (ParameterChange::origin) and never sent back: no loop.
 *
 * Threads: the audio thread runs process(), controls() (the driver's
 * ControlSink, before the same cycle's process()) and applied() (the
 * engine's ChangeObserver, inside process()): no allocation, no lock. The
 * control thread calls refresh() (every few ms: the playing version's ranges
 * and values, handed over through an atomic pointer) and reads the counters.
 */
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "netjack/netjack_driver.h"
#include "tutti/driver.h"
#include "tutti/engine.h"

namespace tutti::netjack {
class SlaveDriver;
class MasterDriver;
} // namespace tutti::netjack

namespace tutti::app {

enum class LinkControlMode { Off, Send, Receive, Both };

/// Parses a --link-controls value; false with *error.
bool parse_link_controls(const std::string& text, LinkControlMode* mode, std::string* error);
const char* to_string(LinkControlMode mode);

/// ParameterChange::origin of what the link received.
inline constexpr std::uint32_t kLinkOrigin = 0x4E4A; // "NJ"

class LinkControls final : public AudioCallback,
                           public netjack::ControlSink,
                           public ChangeObserver {
public:
    explicit LinkControls(LinkControlMode mode) : mode_(mode) {
    }
    ~LinkControls() override;
    LinkControls(const LinkControls&) = delete;
    LinkControls& operator=(const LinkControls&) = delete;

    bool sends() const {
        return mode_ == LinkControlMode::Send || mode_ == LinkControlMode::Both;
    }
    bool receives() const {
        return mode_ == LinkControlMode::Receive || mode_ == LinkControlMode::Both;
    }
    /// Control thread, once the engine and the (opened) driver exist, before
    /// the driver starts.
    void attach(Engine& engine, Driver& driver);
    /// Control thread: when the playing version changed, hands its ranges
    /// and live values to the audio thread.
    void refresh();

    /// Audio thread (the driver's callback): the engine's block, then the
    /// state seeded at the start of a session.
    void process(int frames, const float* const* inputs, float* const* outputs) noexcept override;
    /// Audio thread (the driver, before process()): the peer's changes.
    void controls(const netjack::ControlChange* changes, int count) noexcept override;
    /// Audio thread (the engine, inside process()): a change that landed.
    void applied(std::uint64_t frame, std::size_t index, double value,
                 std::uint32_t origin) noexcept override;

    /// Any thread.
    std::uint64_t sent() const {
        return sent_.load(std::memory_order_relaxed);
    }
    std::uint64_t received() const {
        return received_.load(std::memory_order_relaxed);
    }
    std::uint64_t ignored() const {
        return ignored_.load(std::memory_order_relaxed);
    }

private:
    struct Table {
        std::uint64_t generation = 0;
        std::vector<double> min, max;
        std::vector<std::uint8_t> output; ///< bargraphs: never set, never sent
        std::shared_ptr<const ControlValues> values;
    };
    bool send(std::uint32_t frame, std::uint32_t index, float value) noexcept;
    void seed(const Table& t) noexcept;

    LinkControlMode mode_;
    Engine* engine_ = nullptr;
    netjack::SlaveDriver* slave_ = nullptr;
    netjack::MasterDriver* master_ = nullptr;
    std::atomic<const Table*> table_{nullptr};
    std::vector<std::unique_ptr<Table>> tables_; ///< control thread; freed at the end
    // audio thread
    std::uint64_t block_start_ = 0;
    std::uint64_t sessions_seen_ = 0;
    bool seed_due_ = false;
    std::atomic<std::uint64_t> sent_{0}, received_{0}, ignored_{0};
};

} // namespace tutti::app
