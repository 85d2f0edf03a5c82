// Text to speech. A reply is spoken clause by clause as it streams (clause-splitter.h), so
// synthesize() is called with short pieces of text and must be fast for them. Not
// thread-safe: one caller.
#pragma once

#include <functional>
#include <span>
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

    // The same audio, handed to `on_audio` piece by piece as it is made, so that playback can
    // start before the clause is done. `on_audio` returns false to stop the synthesis (then
    // this returns without error). The default hands over synthesize()'s clip at once.
    using AudioSink = std::function<bool(std::span<const Sample> audio)>;
    virtual ErrorOr<void> synthesize_streaming(std::string_view text, const affect::ProsodyHints& prosody,
                                               const AudioSink& on_audio) {
        AudioClip clip = OS1_TRY(synthesize(text, prosody));
        if (!clip.samples.empty())
            on_audio(clip.samples);
        return {};
    }
};

}  // namespace os1::voice
