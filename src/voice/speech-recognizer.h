// Speech to text, decoding while the user speaks: feed() takes audio as it arrives, so that
// finish() at the end of speech only finalises what was already searched. One utterance at a
// time; an engine (pocketsphinx, whisper.cpp) implements it. Not thread-safe: one caller.
#pragma once

#include <chrono>
#include <span>
#include <string>
#include <string_view>

#include "core/error.h"
#include "voice/audio-clip.h"

namespace os1::voice {

class SpeechRecognizer {
public:
    virtual ~SpeechRecognizer() = default;

    // Starts an utterance, dropping any unfinished one.
    virtual ErrorOr<void> begin() = 0;
    // Adds audio to the utterance (any length, mono at k_sample_rate).
    virtual ErrorOr<void> feed(std::span<const Sample> audio) = 0;
    // The best words so far: cheap enough to call every few frames (the endpointer reads it to
    // tell a finished sentence from a trailing "and...").
    virtual std::string partial() = 0;
    // Ends the utterance and returns its words, lower case, no punctuation; empty when nothing
    // was recognised.
    virtual ErrorOr<std::string> finish() = 0;
    // About how long finish() takes: the dialogue starts it that long before the end of speech
    // is certain, so that the words are ready then. Zero for an engine whose final pass is
    // quick (the dialogue's own lead covers it).
    virtual std::chrono::milliseconds final_pass_time() const { return std::chrono::milliseconds{0}; }
};

// The words of two parts of an utterance, in the recognisers' form: joined by one space, either
// part possibly empty.
inline std::string join_words(std::string left, std::string_view right) {
    if (left.empty())
        return std::string(right);
    if (!right.empty()) {
        left += ' ';
        left += right;
    }
    return left;
}

}  // namespace os1::voice
