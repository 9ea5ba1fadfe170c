// SPDX-License-Identifier: MIT
/** \file
 * The driver-to-engine adapter: an AudioCallback that hands every block to an
 * Engine running in single precision. Neither side knows the other: hosts
 * (tutti play, tests) join them with this.
 */
#pragma once

#include "tutti/driver.h"
#include "tutti/engine.h"

namespace tutti {

class EngineCallback : public AudioCallback {
public:
    /// The engine must outlive the driver's use of this callback.
    explicit EngineCallback(Engine& engine) : engine_(engine) {
    }
    /// Audio thread.
    void process(int frames, const float* const* inputs, float* const* outputs) noexcept override {
        engine_.process(frames, reinterpret_cast<const void* const*>(inputs),
                        reinterpret_cast<void* const*>(outputs));
    }

private:
    Engine& engine_;
};

} // namespace tutti
