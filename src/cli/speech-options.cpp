#include "cli/speech-options.h"

#include "models/models.h"

namespace os1::cli {

void add_speech_options(CLI::App& command, SpeechOptions& options, const std::string& pocketsphinx_flag) {
    command
        .add_option("--stt", options.engine,
                    "Speech recogniser: pocketsphinx (from Debian), whisper (whisper.cpp, with a model from "
                    "os1 pull whisper-base.en) or auto (whisper when a whisper model is installed, else "
                    "pocketsphinx); all run offline")
        ->check(CLI::IsMember({"auto", "pocketsphinx", "whisper"}))
        ->capture_default_str();
    command.add_option("--whisper-model", options.whisper_model,
                       "whisper.cpp model: a ggml-*.bin file or an installed name such as whisper-base.en "
                       "(default: the installed one; implies --stt whisper)");
    command.add_option(pocketsphinx_flag, options.pocketsphinx_dir,
                       "pocketsphinx model folder holding en-us/, en-us.lm.bin and cmudict-en-us.dict (default: "
                       "/usr/share/pocketsphinx/model/en-us, from the pocketsphinx-en-us package)");
}

ErrorOr<voice::RecognizerSettings> recognizer_settings(const SpeechOptions& options,
                                                       const std::filesystem::path& data_home) {
    voice::RecognizerSettings settings;
    if (!options.pocketsphinx_dir.empty())
        settings.pocketsphinx.model_dir = options.pocketsphinx_dir;

    const std::filesystem::path os1_dir = models::model_stores(data_home).os1_dir;
    if (options.engine == "pocketsphinx") {
        if (!options.whisper_model.empty())
            return make_error(ErrorKind::InvalidInput, "--whisper-model is for whisper.cpp; drop --stt pocketsphinx");
        return settings;
    }
    if (options.engine == "auto" && options.whisper_model.empty() &&
        (!voice::whisper_available() || models::list_speech_models(os1_dir).empty()))
        return settings;
    settings.engine = voice::SpeechEngine::Whisper;
    settings.whisper.model = OS1_TRY(models::resolve_speech_model(options.whisper_model, os1_dir));
    return settings;
}

}  // namespace os1::cli
