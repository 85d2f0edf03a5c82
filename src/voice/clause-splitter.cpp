#include "voice/clause-splitter.h"

#include <algorithm>
#include <array>
#include <cctype>

namespace os1::voice {

namespace {

constexpr std::string_view k_ellipsis = "\xE2\x80\xA6";  // …
constexpr std::string_view k_em_dash = "\xE2\x80\x94";   // —
constexpr std::string_view k_en_dash = "\xE2\x80\x93";   // –

// Words that end in a full stop without ending the sentence ("Dr. Who"). "etc." is left out:
// it ends sentences more often than not.
constexpr std::array<std::string_view, 14> k_abbreviations = {"mr", "mrs", "ms", "dr",  "prof",   "st", "sr",
                                                              "jr", "vs",  "no", "fig", "approx", "mt", "ca"};

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

// A letter or digit: ASCII alphanumerics and the first byte of each multi-byte character.
bool is_letter_start(char c) {
    auto byte = static_cast<unsigned char>(c);
    return std::isalnum(byte) || byte >= 0xC0;
}

bool starts_with_at(std::string_view text, size_t at, std::string_view what) {
    return text.substr(at, what.size()) == what;
}

// Length of a closing quote or bracket at `at` (they stay with the clause they close), or 0.
size_t closer_length(std::string_view text, size_t at) {
    char c = text[at];
    if (c == '"' || c == '\'' || c == ')' || c == ']')
        return 1;
    for (std::string_view closer : {"\xE2\x80\x9D", "\xE2\x80\x99", "\xC2\xBB"})  // ” ’ »
        if (starts_with_at(text, at, closer))
            return closer.size();
    return 0;
}

// Whether the word that ends just before the full stop at `dot` is an abbreviation or an
// initial, so the stop does not end the sentence.
bool ends_abbreviation(std::string_view text, size_t dot) {
    size_t start = dot;
    while (start > 0 && !is_space(text[start - 1]))
        start--;
    std::string_view word = text.substr(start, dot - start);
    while (!word.empty() && (word.front() == '"' || word.front() == '(' || word.front() == '\''))
        word.remove_prefix(1);
    if (word.empty())
        return false;
    if (word.find('.') != std::string_view::npos)  // e.g. i.e. U.S.
        return true;
    if (word.size() == 1 && std::isupper(static_cast<unsigned char>(word[0])))  // J. R. R. Tolkien
        return true;
    std::string lower;
    for (char c : word)
        lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return std::find(k_abbreviations.begin(), k_abbreviations.end(), lower) != k_abbreviations.end();
}

}  // namespace

ClauseSplitter::ClauseSplitter(ClauseSplitterSettings settings) : m_settings(settings) {}

size_t ClauseSplitter::find_clause_end(bool at_end) const {
    std::string_view text = m_pending;
    size_t letters = 0;
    size_t i = 0;
    while (i < text.size()) {
        char c = text[i];
        bool sentence_end = c == '.' || c == '!' || c == '?' || starts_with_at(text, i, k_ellipsis);
        bool pause = c == ',' || c == ';' || c == ':';
        bool dash = starts_with_at(text, i, k_em_dash) || starts_with_at(text, i, k_en_dash);
        if (c == '\n' && letters > 0)
            return i;  // a line break (a list, a new paragraph) ends what came before
        if (dash && letters >= m_settings.min_clause_letters)
            return i + k_em_dash.size();
        if (is_space(c) && letters >= m_settings.max_clause_letters)
            return i;
        if (!sentence_end && !pause) {
            if (is_letter_start(c))
                letters++;
            i++;
            continue;
        }
        // The run of terminators ("?!", "...") and the closing quotes or brackets after it.
        size_t end = i;
        bool single_stop = c == '.';
        while (end < text.size()) {
            if (text[end] == '.' || text[end] == '!' || text[end] == '?' || (pause && text[end] == c)) {
                end++;
            } else if (starts_with_at(text, end, k_ellipsis)) {
                end += k_ellipsis.size();
            } else {
                break;
            }
        }
        single_stop = single_stop && end == i + 1;
        while (end < text.size() && closer_length(text, end) > 0)
            end += closer_length(text, end);
        if (end == text.size()) {
            // What follows decides ("3." may become "3.5"): wait for it, unless there is none.
            return at_end ? end : std::string_view::npos;
        }
        bool breaks = is_space(text[end]) && (sentence_end || letters >= m_settings.min_clause_letters);
        if (breaks && single_stop && ends_abbreviation(text, i))
            breaks = false;
        if (breaks && letters > 0)
            return end;
        i = end;
    }
    return std::string_view::npos;
}

std::vector<std::string> ClauseSplitter::push(std::string_view piece) {
    m_pending.append(piece);
    std::vector<std::string> clauses;
    for (;;) {
        size_t end = find_clause_end(false);
        if (end == std::string_view::npos)
            break;
        clauses.push_back(m_pending.substr(0, end));
        m_pending.erase(0, end);
    }
    return clauses;
}

std::string ClauseSplitter::finish() {
    std::string rest = std::move(m_pending);
    m_pending.clear();
    return rest;
}

}  // namespace os1::voice
