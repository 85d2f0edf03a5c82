// Which speech-to-text engine a front end uses, and one recogniser per stream of audio from it.
// The factory loads what the recognisers share once (whisper.cpp's weights; pocketsphinx loads
// its own model per recogniser), so a server opens a recogniser per voice connection cheaply.
// Thread-safe: open() may be called from any thread.
#pragma once

#include <memory>
#include <string_view>

#include "voice/pocketsphinx-recognizer.h"
#include "voice/whisper-recognizer.h"

namespace os1::voice {

enum class SpeechEngine { Pocketsphinx, Whisper };

// "pocketsphinx" and "whisper"; InvalidInput naming both otherwise.
ErrorOr<SpeechEngine> parse_speech_engine(std::string_view name);
const char* to_string(SpeechEngine engine);
// Whether this build has whisper.cpp (see cmake/os1-whisper.cmake).
bool whisper_available();

struct RecognizerSettings {
    SpeechEngine engine = SpeechEngine::Pocketsphinx;
    PocketsphinxOptions pocketsphinx;
    WhisperOptions whisper;
};

class RecognizerFactory {
public:
    // pocketsphinx with Debian's model.
    RecognizerFactory() = default;
    // Loads the engine's model when recognisers share it (whisper). An engine this build lacks
    // is an error that says how to get it.
    static ErrorOr<RecognizerFactory> prepare(const RecognizerSettings& settings);

    ErrorOr<std::unique_ptr<SpeechRecognizer>> open() const;
    SpeechEngine engine() const { return m_settings.engine; }

private:
    explicit RecognizerFactory(const RecognizerSettings& settings) : m_settings(settings) {}

    RecognizerSettings m_settings;
    std::shared_ptr<const WhisperModel> m_whisper;
};

}  // namespace os1::voice
