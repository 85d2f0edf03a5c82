// Word error rate: how far a transcript is from the words actually said, as the word-level edit
// distance (substitutions, deletions and insertions) over the number of reference words. Words
// are compared in lower case without punctuation, so "Hello, world." matches "hello world".
// Thread-safe: pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace os1::voice {

struct WordErrors {
    size_t edits = 0;            // substitutions + deletions + insertions
    size_t reference_words = 0;

    // edits / reference_words; 0 for an empty reference heard as nothing, 1 per word heard in
    // an empty one (so silence heard as words is an error).
    double rate() const;
    WordErrors& operator+=(const WordErrors& other);
};

// The words of `text`, lower case, split at anything but letters, digits and apostrophes.
std::vector<std::string> normalized_words(std::string_view text);

WordErrors word_errors(std::string_view reference, std::string_view hypothesis);

}  // namespace os1::voice
