// SPDX-License-Identifier: MIT
/** \file
 * The url of a soundfile, as the reference's compiler writes it into the UI
 * (`addSoundfile(label, url, ...)` and the JSON): the value of the label's
 * [url:...] metadata, else the label itself; line breaks and tabs dropped,
 * spaces dropped outside '...'; a single name becomes the list {'name'}.
 */
#pragma once

#include <string>
#include <string_view>

namespace tutti::compiler {

/// `raw_label`: the soundfile's own label with its metadata (the last part of its UI path).
std::string sound_url(std::string_view raw_label);

} // namespace tutti::compiler
