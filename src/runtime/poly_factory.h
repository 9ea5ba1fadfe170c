// SPDX-License-Identifier: MIT
/** \file
 * Polyphony as Faust users know it (Faust's mydsp_poly, and dsp_sequencer for
 * `-effect auto`), as one more implementation of the runtime's Factory: a
 * polyphonic factory wraps the factory of one voice (and, optionally, the
 * factory of an effect whose inputs are the voices' mix) and makes instances
 * that play N voices of it. The engine swaps such a program as any other.
 *
 * Voices (Faust's conventions, poly-dsp.h of 2.54): a voice's controls whose
 * address ends in /freq (or /key), /gate and /gain (or /vel, /velocity) are set
 * on key-on: freq = 440*2^((key-69)/12) (key: the key number), gate = 1, gain =
 * velocity/127 (vel: the velocity); key-off sets gate to 0 and leaves the voice
 * releasing until it has been released for 0.5 s and its last block's peak is
 * below 0.0005. A key-on takes the first free voice, or steals a releasing one,
 * else a playing one, the one with the smallest date (a voice's date counts its
 * allocations, as mydsp_poly's does); a stolen voice plays its old note with the
 * gate closed for half of the next block, faded out, then the new note.
 *
 * Controls: every control of the voice is a control of the polyphonic program
 * (same address), and setting it sets it in every voice (Faust's grouped voices
 * control); then the effect's controls. The voices' own values of them (those
 * key-on sets) are per voice.
 *
 * State: one block, laid out as a *master* copy of the voice's controls (what
 * the parameters address), each voice's block, the effect's block, and the
 * allocation table (note, date, release count of each voice). Each voice's
 * fields keep their kind with their identity made distinct per voice, so a hot
 * swap carries every voice (its delay lines, its envelope, its note) to the
 * same voice of the new version. Every voice computes every block, silent or
 * not (only playing ones are mixed), so their ring indices stay equal, which the
 * migration's one ring index per version needs.
 */
#pragma once

#include <memory>
#include <string>

#include "tutti/runtime.h"

namespace tutti::runtime {

/// A polyphonic program of `voices` (1..256) voices of `voice`, followed by
/// `effect` when not null (its inputs must be as many as the voice's outputs).
/// Both must have the same precision and make instances in a caller's block
/// (Factory::create_instance_in). Null with *error otherwise.
std::shared_ptr<const Factory> make_poly_factory(std::shared_ptr<const Factory> voice,
                                                 std::shared_ptr<const Factory> effect, int voices,
                                                 std::string* error = nullptr);

/// The number of voices a program asks for: `declare nvoices "N"` in its
/// metadata (as faust2xx architectures read it); 0 when absent or not a number.
int declared_voices(const Factory& factory);

} // namespace tutti::runtime
