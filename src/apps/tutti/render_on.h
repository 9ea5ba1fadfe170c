// SPDX-License-Identifier: MIT
/** \file `tutti render --on HOST` and the render a compile server runs for it (render_on.cpp). */
#pragma once

#include "serve/service.h"

namespace tutti::app {

/// tutti serve's ServiceOptions::render: a local render's code (render_compiled)
/// on the request's options; the samples as RenderResult carries them.
serve::RenderResult render_for_server(const serve::RenderJob& job);

} // namespace tutti::app
