// `os1 transcribe FILE`: what the speech recogniser hears in a recording, the way the live
// conversation would hear it (fed in 100 ms pieces as they would arrive), with the decoding
// time; word error rates are measured with it.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/json-error.h"
#include "cli/speech-options.h"
#include "cli/terminal-text.h"
#include "core/paths.h"
#include "voice/wav-file.h"

namespace os1::cli {

namespace {

using Clock = std::chrono::steady_clock;

struct TranscribeOptions {
    std::string file;
    SpeechOptions speech;
    bool json = false;
};

int fail(const TranscribeOptions& options, const Error& error) {
    std::fprintf(stderr, "os1 transcribe: %s\n", terminal_text(error.message).c_str());
    if (options.json)
        print_json_error(error.message);
    return 1;
}

ErrorOr<voice::RecognizerFactory> prepare_recognizers(const TranscribeOptions& options, const GlobalOptions& global) {
    const voice::RecognizerSettings settings = OS1_TRY(recognizer_settings(options.speech, resolve_data_home(global.home)));
    return voice::RecognizerFactory::prepare(settings);
}

int run_transcribe(const TranscribeOptions& options, const GlobalOptions& global) {
    auto clip = voice::read_wav(options.file);
    if (!clip)
        return fail(options, clip.error());
    auto recognizers = prepare_recognizers(options, global);
    if (!recognizers)
        return fail(options, recognizers.error());
    auto recognizer = recognizers->open();
    if (!recognizer)
        return fail(options, recognizer.error());

    const auto started = Clock::now();
    if (auto begun = (*recognizer)->begin(); !begun)
        return fail(options, begun.error());
    const std::span<const voice::Sample> audio = clip->samples;
    const size_t piece = voice::samples_for(std::chrono::milliseconds{100});
    for (size_t at = 0; at < audio.size(); at += piece) {
        if (auto fed = (*recognizer)->feed(audio.subspan(at, std::min(piece, audio.size() - at))); !fed)
            return fail(options, fed.error());
    }
    auto text = (*recognizer)->finish();
    if (!text)
        return fail(options, text.error());
    const double decode_ms = std::chrono::duration<double, std::milli>(Clock::now() - started).count();
    const auto duration_ms = clip->duration().count();
    const double real_time_factor = duration_ms > 0 ? decode_ms / static_cast<double>(duration_ms) : 0.0;

    if (options.json) {
        nlohmann::ordered_json out = {
            {"text", *text},
            {"duration_ms", duration_ms},
            {"decode_ms", std::round(decode_ms * 10) / 10},
            {"real_time_factor", std::round(real_time_factor * 1000) / 1000},
            {"engine", voice::to_string(recognizers->engine())},
        };
        std::printf("%s\n", out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
        return 0;
    }
    std::printf("%s\n", terminal_text(*text).c_str());
    return 0;
}

}  // namespace

void register_transcribe(CLI::App& app, GlobalOptions& global, int& exit_code) {
    auto options = std::make_shared<TranscribeOptions>();
    CLI::App* command = app.add_subcommand(
        "transcribe",
        "Print what the speech recogniser (pocketsphinx, or whisper.cpp; both offline) hears in a WAV recording: PCM "
        "of 8, 16, 24 or 32 "
        "bits or float, any channel count and sample rate (it is mixed to mono and resampled to 16 kHz). Prints the "
        "words in lower case, or nothing for silence; exit code 1 when the file cannot be read or the model is "
        "missing");
    command->add_option("file", options->file, "The WAV file to transcribe")->required();
    command->add_flag("--json", options->json,
                      "Print {\"text\", \"duration_ms\", \"decode_ms\", \"real_time_factor\", \"engine\"}: the "
                      "recording's length, the time to decode it (the model's loading not included), their ratio, and "
                      "the recogniser (pocketsphinx or whisper); an error is {\"error\"}");
    add_speech_options(*command, options->speech, "--model-dir");
    command->callback([options, &global, &exit_code] { exit_code = run_transcribe(*options, global); });
}

}  // namespace os1::cli
