// Module-internal: the word splitting shared by VADER and the emotion cues. Not part of the
// public surface (affect.h does not include it).
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace os1::affect {

class VaderLexicon;

namespace detail {

struct Token {
    std::string_view text;     // as written, minus leading and trailing punctuation
    std::string_view lower;    // the same bytes with ASCII letters lowercased
    bool all_caps = false;     // has an ASCII capital and no ASCII lowercase letter (Python's isupper)
    bool ends_clause = false;  // punctuation such as , . ; ! ? followed it: negation scope ends here
};

// Splits text on ASCII whitespace the way VADER does: outer punctuation is removed from a word
// ("good!!!" -> "good") unless the word as written is itself rated (emoticons such as ":)" or
// ":D"), tokens of one byte are dropped, and typographic apostrophes (U+2018, U+2019) become
// ASCII ones so that "don’t" still negates. Views point into the object: it neither moves nor
// copies.
class TokenizedText {
public:
    TokenizedText(std::string_view text, const VaderLexicon& lexicon);
    TokenizedText(const TokenizedText&) = delete;
    TokenizedText& operator=(const TokenizedText&) = delete;

    std::span<const Token> tokens() const { return m_tokens; }
    std::size_t size() const { return m_tokens.size(); }
    const Token& operator[](std::size_t i) const { return m_tokens[i]; }

    // True when some but not all tokens are ALL CAPS: only then do capitals signal emphasis.
    bool mixed_caps() const { return m_mixed_caps; }
    std::size_t exclamation_marks() const { return m_exclamation_marks; }
    std::size_t question_marks() const { return m_question_marks; }

private:
    std::string m_text;
    std::string m_lower;
    std::vector<Token> m_tokens;
    bool m_mixed_caps = false;
    std::size_t m_exclamation_marks = 0;
    std::size_t m_question_marks = 0;
};

// ASCII punctuation as Python's string.punctuation defines it.
bool is_punctuation(char c);
bool is_space(char c);

}  // namespace detail
}  // namespace os1::affect
