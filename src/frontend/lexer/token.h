// SPDX-License-Identifier: MIT
/** \file
 * Tokens: a kind, the byte range in the file, and for numbers their value.
 * The lexer turns a whole file into a vector of tokens ending with `Eof`.
 */
#pragma once

#include <cstdint>
#include <string_view>

namespace tutti::frontend {

enum class Tok : std::uint8_t {
#define TOK(kind, desc) kind,
#include "frontend/lexer/token_kinds.def"
    Count
};

/// "identifier", "'+'", "'with'": how a token kind is named in diagnostics.
std::string_view tok_description(Tok t);
/// The spelling of punctuation and keywords, empty for other kinds.
std::string_view tok_spelling(Tok t);

struct Token {
    Tok kind = Tok::Eof;
    std::uint32_t offset = 0; ///< byte offset of the first character
    std::uint32_t length = 0; ///< bytes
    union {
        std::int32_t ival; ///< Int: the value, wrapped to 32 bits as Faust's str2int does
        double rval = 0;   ///< Float
    };
    std::uint32_t end() const {
        return offset + length;
    }
};

} // namespace tutti::frontend
