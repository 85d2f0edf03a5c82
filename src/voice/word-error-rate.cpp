#include "voice/word-error-rate.h"

#include <algorithm>
#include <cctype>

namespace os1::voice {

double WordErrors::rate() const {
    if (reference_words == 0)
        return static_cast<double>(edits);
    return static_cast<double>(edits) / static_cast<double>(reference_words);
}

WordErrors& WordErrors::operator+=(const WordErrors& other) {
    edits += other.edits;
    reference_words += other.reference_words;
    return *this;
}

std::vector<std::string> normalized_words(std::string_view text) {
    std::vector<std::string> words;
    std::string word;
    for (char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        if (std::isalnum(byte) || c == '\'' || byte >= 0x80) {
            word += static_cast<char>(std::tolower(byte));
            continue;
        }
        if (!word.empty())
            words.push_back(std::move(word));
        word.clear();
    }
    if (!word.empty())
        words.push_back(std::move(word));
    return words;
}

WordErrors word_errors(std::string_view reference, std::string_view hypothesis) {
    const std::vector<std::string> said = normalized_words(reference);
    const std::vector<std::string> heard = normalized_words(hypothesis);
    // Levenshtein distance over words, one row at a time.
    std::vector<size_t> previous(heard.size() + 1);
    std::vector<size_t> current(heard.size() + 1);
    for (size_t j = 0; j <= heard.size(); ++j)
        previous[j] = j;
    for (size_t i = 1; i <= said.size(); ++i) {
        current[0] = i;
        for (size_t j = 1; j <= heard.size(); ++j) {
            const size_t substitution = previous[j - 1] + (said[i - 1] == heard[j - 1] ? 0 : 1);
            current[j] = std::min({substitution, previous[j] + 1, current[j - 1] + 1});
        }
        std::swap(previous, current);
    }
    return WordErrors{previous[heard.size()], said.size()};
}

}  // namespace os1::voice
