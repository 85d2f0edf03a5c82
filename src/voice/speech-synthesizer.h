// Text to speech. A reply is spoken clause by clause as it streams (clause-splitter.h), so
// synthesize() is called with short pieces of text and must be fast for them. Not
// thread-safe: one caller.
#pragma once

#include <string_view>

#include "affect/mood-expression.h"
#include "core/error.h"
#include "voice/audio-clip.h"

namespace os1::voice {

class SpeechSynthesizer {
public:
    virtual ~SpeechSynthesizer() = default;

    // Speaks `text` with the mood's prosody (rate, pitch and volume; affect::prosody_hints).
    // Empty audio for text with nothing to say (punctuation only).
    virtual ErrorOr<AudioClip> synthesize(std::string_view text, const affect::ProsodyHints& prosody) = 0;
};

}  // namespace os1::voice
