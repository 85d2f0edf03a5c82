// Feeding a recording to a speech recogniser the way a microphone delivers it, for the
// recognisers' tests.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <string>

#include "voice/speech-recognizer.h"

namespace os1::test {

// Feeds `clip` in 100 ms pieces and returns the words; a failure fails the test.
inline std::string transcribe(voice::SpeechRecognizer& recognizer, const voice::AudioClip& clip) {
    EXPECT_TRUE(recognizer.begin());
    const std::span<const voice::Sample> audio = clip.samples;
    const size_t piece = voice::samples_for(std::chrono::milliseconds{100});
    for (size_t at = 0; at < audio.size(); at += piece)
        EXPECT_TRUE(recognizer.feed(audio.subspan(at, std::min(piece, audio.size() - at))));
    auto words = recognizer.finish();
    EXPECT_TRUE(words) << words.error().message;
    return words ? *words : std::string();
}

}  // namespace os1::test
