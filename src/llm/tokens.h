// Tokenization helpers over llama.cpp's vocabulary. llama_vocab is immutable after loading,
// so these are safe to call from any thread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "llama.h"

namespace os1::llm {

enum class AddSpecial { No, Yes };  // prepend BOS (and such) if the model asks for it
enum class Special { Plain, Render };  // render control tokens as text, or leave them out

std::vector<llama_token> tokenize(const llama_vocab* vocab, std::string_view text, AddSpecial add_special);

// The bytes of one token; may be part of a multi-byte character.
std::string token_piece(const llama_vocab* vocab, llama_token token, Special special);

}  // namespace os1::llm
