// SPDX-License-Identifier: MIT
/** \file A NetJack link's controls joined to the program's (see link_controls.h). */
#include "apps/tutti/link_controls.h"

#include <algorithm>
#include <cmath>

#include "netjack/master_driver.h"
#include "netjack/slave_driver.h"

namespace tutti::app {

bool parse_link_controls(const std::string& text, LinkControlMode* mode, std::string* error) {
    if (text == "send") {
        *mode = LinkControlMode::Send;
    } else if (text == "receive") {
        *mode = LinkControlMode::Receive;
    } else if (text == "both") {
        *mode = LinkControlMode::Both;
    } else if (text == "off") {
        *mode = LinkControlMode::Off;
    } else {
        *error = "--link-controls " + text + ": send, receive, both or off";
        return false;
    }
    return true;
}

const char* to_string(LinkControlMode mode) {
    switch (mode) {
    case LinkControlMode::Send:
        return "send";
    case LinkControlMode::Receive:
        return "receive";
    case LinkControlMode::Both:
        return "both";
    case LinkControlMode::Off:
        break;
    }
    return "off";
}

LinkControls::~LinkControls() = default;

void LinkControls::attach(Engine& engine, Driver& driver) {
    engine_ = &engine;
    slave_ = dynamic_cast<netjack::SlaveDriver*>(&driver);
    master_ = dynamic_cast<netjack::MasterDriver*>(&driver);
    refresh();
}

void LinkControls::refresh() {
    if (!engine_) {
        return;
    }
    const Table* now = table_.load(std::memory_order_acquire);
    const std::uint64_t generation = engine_->playing_generation();
    if (generation == 0 || (now && now->generation == generation)) {
        return;
    }
    VersionUi ui = engine_->playing_ui();
    if (!ui || !ui.values) {
        return;
    }
    auto t = std::make_unique<Table>();
    t->generation = ui.generation;
    for (const Parameter& p : ui.factory->parameters()) {
        const bool output =
            p.kind == Parameter::Kind::VBargraph || p.kind == Parameter::Kind::HBargraph;
        const bool binary =
            p.kind == Parameter::Kind::Button || p.kind == Parameter::Kind::Checkbox;
        t->min.push_back(binary ? 0.0 : std::min(p.min, p.max));
        t->max.push_back(binary ? 1.0 : std::max(p.min, p.max));
        t->output.push_back(output ? 1 : 0);
    }
    t->values = ui.values;
    table_.store(t.get(), std::memory_order_release);
    tables_.push_back(std::move(t)); // the audio thread may still read the older ones
}

bool LinkControls::send(std::uint32_t frame, std::uint32_t index, float value) noexcept {
    if (slave_) {
        return slave_->send_control(frame, index, value);
    }
    return master_ && master_->send_control(frame, index, value);
}

void LinkControls::seed(const Table& t) noexcept {
    for (std::size_t i = 0; i < t.output.size() && i < t.values->size(); ++i) {
        if (t.output[i]) {
            continue;
        }
        const float v = static_cast<float>(t.values->value(i));
        if (slave_) {
            slave_->seed_control(static_cast<std::uint32_t>(i), v);
        } else if (master_) {
            master_->seed_control(static_cast<std::uint32_t>(i), v);
        }
    }
}

void LinkControls::process(int frames, const float* const* inputs, float* const* outputs) noexcept {
    block_start_ = engine_->frames_processed();
    engine_->process(frames, reinterpret_cast<const void* const*>(inputs),
                     reinterpret_cast<void* const*>(outputs));
    // A new session: the side that owns the controls sweeps its whole state
    // (send; both: the master), once the playing version's values are there.
    const std::uint64_t sessions =
        slave_ ? slave_->connections() : (master_ ? master_->connections() : 0);
    if (sessions != sessions_seen_) {
        sessions_seen_ = sessions;
        seed_due_ = mode_ == LinkControlMode::Send || (mode_ == LinkControlMode::Both && master_);
    }
    if (seed_due_) {
        const Table* t = table_.load(std::memory_order_acquire);
        if (t && t->generation == engine_->playing_generation() && t->values->frame() > 0) {
            seed(*t);
            seed_due_ = false;
        }
    }
}

void LinkControls::controls(const netjack::ControlChange* changes, int count) noexcept {
    if (!receives()) {
        ignored_.fetch_add(static_cast<std::uint64_t>(count), std::memory_order_relaxed);
        return;
    }
    const Table* t = table_.load(std::memory_order_acquire);
    // The next block starts at this frame: a change lands at its frame of the
    // cycle, where the sender's landed in the audio it came with.
    const std::uint64_t start = engine_->frames_processed();
    for (int i = 0; i < count; ++i) {
        const netjack::ControlChange& c = changes[i];
        if (!t || c.index >= t->output.size() || t->output[c.index] || !std::isfinite(c.value)) {
            ignored_.fetch_add(1, std::memory_order_relaxed);
            continue;
        }
        ParameterChange p;
        p.generation = t->generation;
        p.index = c.index;
        p.value = std::clamp(static_cast<double>(c.value), t->min[c.index], t->max[c.index]);
        p.frame = static_cast<std::int64_t>(start + c.frame);
        p.origin = kLinkOrigin;
        if (engine_->push(p)) {
            received_.fetch_add(1, std::memory_order_relaxed);
        } else {
            ignored_.fetch_add(1, std::memory_order_relaxed);
        }
    }
}

void LinkControls::applied(std::uint64_t frame, std::size_t index, double value,
                           std::uint32_t origin) noexcept {
    if (origin == kLinkOrigin || !sends()) {
        return; // what the link brought is not sent back
    }
    const std::uint64_t offset = frame >= block_start_ ? frame - block_start_ : 0;
    if (send(static_cast<std::uint32_t>(offset), static_cast<std::uint32_t>(index),
             static_cast<float>(value))) {
        sent_.fetch_add(1, std::memory_order_relaxed);
    }
}

} // namespace tutti::app
