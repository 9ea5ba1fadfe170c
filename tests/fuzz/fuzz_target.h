// SPDX-License-Identifier: MIT
/** \file
 * The entry point every fuzz target defines (libFuzzer's, or replay_main.cpp's
 * in the normal build). Returns 0, or -1 for an input the target rejects (too
 * large), which libFuzzer then keeps out of its corpus.
 */
#pragma once

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);
