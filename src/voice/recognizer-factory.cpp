#include "voice/recognizer-factory.h"

namespace os1::voice {

ErrorOr<SpeechEngine> parse_speech_engine(std::string_view name) {
    if (name == "pocketsphinx")
        return SpeechEngine::Pocketsphinx;
    if (name == "whisper")
        return SpeechEngine::Whisper;
    return make_error(ErrorKind::InvalidInput,
                      "unknown speech recogniser '" + std::string(name) + "'; choose pocketsphinx or whisper");
}

const char* to_string(SpeechEngine engine) {
    return engine == SpeechEngine::Whisper ? "whisper" : "pocketsphinx";
}

bool whisper_available() {
#if OS1_HAVE_WHISPER
    return true;
#else
    return false;
#endif
}

ErrorOr<RecognizerFactory> RecognizerFactory::prepare(const RecognizerSettings& settings) {
    RecognizerFactory factory(settings);
    switch (settings.engine) {
    case SpeechEngine::Pocketsphinx:
        break;  // each recogniser loads its own model, and open() reports a missing one
    case SpeechEngine::Whisper:
#if OS1_HAVE_WHISPER
        factory.m_whisper = OS1_TRY(WhisperModel::load(settings.whisper));
#else
        return make_error(ErrorKind::Unavailable,
                          "this os1 was built without whisper.cpp (its source comes with scripts/setup.sh, which "
                          "rebuilds os1 with it); use --stt pocketsphinx meanwhile");
#endif
        break;
    }
    return factory;
}

ErrorOr<std::unique_ptr<SpeechRecognizer>> RecognizerFactory::open() const {
    std::unique_ptr<SpeechRecognizer> recognizer;
#if OS1_HAVE_WHISPER
    if (m_settings.engine == SpeechEngine::Whisper) {
        recognizer = OS1_TRY(WhisperRecognizer::open(m_whisper));
        return recognizer;
    }
#endif
    recognizer = OS1_TRY(PocketsphinxRecognizer::open(m_settings.pocketsphinx));
    return recognizer;
}

}  // namespace os1::voice
