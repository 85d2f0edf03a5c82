// Text to speech with flite's cmu_us_slt voice (a female US English voice, 16 kHz), the offline
// default. Prosody follows the mood: rate by stretching durations, pitch by moving the voice's
// target mean F0, volume as a gain that saturates rather than wraps.
//
// Thread-safety: flite keeps global state (its registered voice, the voice's feature set that
// each call changes), so every instance shares one process-wide lock: synthesize() may be
// called from several threads, one at a time in effect.
#pragma once

#include <memory>

#include "voice/speech-synthesizer.h"

namespace os1::voice {

class FliteSynthesizer final : public SpeechSynthesizer {
public:
    // Registers the voice on first use in the process (it stays registered for its lifetime).
    static ErrorOr<std::unique_ptr<FliteSynthesizer>> create();

    ErrorOr<AudioClip> synthesize(std::string_view text, const affect::ProsodyHints& prosody) override;
    // The audio as flite's vocoder makes it, about 20 ms at a time: the first piece of a clause
    // comes after about a quarter of its whole synthesis time.
    ErrorOr<void> synthesize_streaming(std::string_view text, const affect::ProsodyHints& prosody,
                                       const AudioSink& on_audio) override;

private:
    FliteSynthesizer() = default;
};

}  // namespace os1::voice
