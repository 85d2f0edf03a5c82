#include "llm/tokens.h"

namespace os1::llm {

std::vector<llama_token> tokenize(const llama_vocab* vocab, std::string_view text, AddSpecial add_special) {
    // Chat templates contain control tokens such as <|im_start|>, so special parsing is on.
    std::vector<llama_token> tokens(text.size() + 8);
    int32_t n = llama_tokenize(vocab, text.data(), int32_t(text.size()), tokens.data(), int32_t(tokens.size()),
                               add_special == AddSpecial::Yes, /*parse_special=*/true);
    if (n < 0) {
        tokens.resize(size_t(-n));
        n = llama_tokenize(vocab, text.data(), int32_t(text.size()), tokens.data(), int32_t(tokens.size()),
                           add_special == AddSpecial::Yes, true);
    }
    tokens.resize(size_t(n < 0 ? 0 : n));
    return tokens;
}

std::string token_piece(const llama_vocab* vocab, llama_token token, Special special) {
    char buffer[128];
    int32_t n = llama_token_to_piece(vocab, token, buffer, sizeof buffer, 0, special == Special::Render);
    if (n >= 0)
        return std::string(buffer, size_t(n));
    std::string piece(size_t(-n), '\0');
    n = llama_token_to_piece(vocab, token, piece.data(), int32_t(piece.size()), 0, special == Special::Render);
    piece.resize(size_t(n < 0 ? 0 : n));
    return piece;
}

}  // namespace os1::llm
