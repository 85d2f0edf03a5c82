#include "affect/text.h"

#include "affect/vader-lexicon.h"

namespace os1::affect::detail {

bool is_punctuation(char c) {
    return (c >= '!' && c <= '/') || (c >= ':' && c <= '@') || (c >= '[' && c <= '`') || (c >= '{' && c <= '~');
}

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

namespace {

bool is_clause_mark(char c) {
    return c == ',' || c == '.' || c == ';' || c == ':' || c == '!' || c == '?';
}

bool is_all_caps(std::string_view word) {
    bool upper = false;
    for (char c : word) {
        if (c >= 'a' && c <= 'z')
            return false;
        if (c >= 'A' && c <= 'Z')
            upper = true;
    }
    return upper;
}

// Copies `text`, turning the typographic single quotes U+2018 and U+2019 (E2 80 98 / E2 80 99)
// into ASCII apostrophes. Other bytes, valid UTF-8 or not, pass through unchanged.
std::string normalize_quotes(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '\xE2' && i + 2 < text.size() && text[i + 1] == '\x80' &&
            (text[i + 2] == '\x98' || text[i + 2] == '\x99')) {
            out.push_back('\'');
            i += 2;
            continue;
        }
        out.push_back(text[i]);
    }
    return out;
}

}  // namespace

TokenizedText::TokenizedText(std::string_view text, const VaderLexicon& lexicon)
    : m_text(normalize_quotes(text)), m_lower(m_text) {
    for (char& c : m_lower) {
        if (c >= 'A' && c <= 'Z')
            c = static_cast<char>(c - 'A' + 'a');
    }
    for (char c : m_text) {
        if (c == '!')
            ++m_exclamation_marks;
        else if (c == '?')
            ++m_question_marks;
    }

    const std::string_view all(m_text);
    const std::string_view all_lower(m_lower);
    std::size_t caps = 0;
    std::size_t i = 0;
    while (i < all.size()) {
        while (i < all.size() && is_space(all[i]))
            ++i;
        std::size_t start = i;
        while (i < all.size() && !is_space(all[i]))
            ++i;
        std::size_t end = i;
        if (start == end)
            break;

        std::size_t word_start = start;
        std::size_t word_end = end;
        bool clause = false;
        if (!lexicon.contains(all_lower.substr(start, end - start))) {
            while (word_start < word_end && is_punctuation(all[word_start]))
                ++word_start;
            while (word_end > word_start && is_punctuation(all[word_end - 1])) {
                clause = clause || is_clause_mark(all[word_end - 1]);
                --word_end;
            }
            if (word_start == word_end) {
                // Nothing but punctuation: an emoticon followed by a full stop (":)." -> ":)"), or
                // just punctuation, which is kept as written.
                word_start = start;
                word_end = end;
                clause = false;
                while (word_end > word_start && is_clause_mark(all[word_end - 1])) {
                    clause = true;
                    --word_end;
                }
                if (word_end == word_start || !lexicon.contains(all_lower.substr(word_start, word_end - word_start)))
                    word_end = end;
            }
        }
        if (word_end - word_start <= 1) {
            if (clause && !m_tokens.empty())
                m_tokens.back().ends_clause = true;
            continue;
        }
        Token token;
        token.text = all.substr(word_start, word_end - word_start);
        token.lower = all_lower.substr(word_start, word_end - word_start);
        token.all_caps = is_all_caps(token.text);
        token.ends_clause = clause;
        caps += token.all_caps ? 1 : 0;
        m_tokens.push_back(token);
    }
    m_mixed_caps = caps > 0 && caps < m_tokens.size();
}

}  // namespace os1::affect::detail
