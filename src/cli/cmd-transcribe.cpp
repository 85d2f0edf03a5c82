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
#include "cli/terminal-text.h"
#include "voice/pocketsphinx-recognizer.h"
#include "voice/wav-file.h"

namespace os1::cli {

namespace {

using Clock = std::chrono::steady_clock;

struct TranscribeOptions {
    std::string file;
    std::string model_dir;
    bool json = false;
};

int fail(const TranscribeOptions& options, const Error& error) {
    std::fprintf(stderr, "os1 transcribe: %s\n", terminal_text(error.message).c_str());
    if (options.json)
        print_json_error(error.message);
    return 1;
}

int run_transcribe(const TranscribeOptions& options) {
    auto clip = voice::read_wav(options.file);
    if (!clip)
        return fail(options, clip.error());
    voice::PocketsphinxOptions engine;
    if (!options.model_dir.empty())
        engine.model_dir = options.model_dir;
    auto recognizer = voice::PocketsphinxRecognizer::open(engine);
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
        };
        std::printf("%s\n", out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
        return 0;
    }
    std::printf("%s\n", terminal_text(*text).c_str());
    return 0;
}

}  // namespace

void register_transcribe(CLI::App& app, GlobalOptions&, int& exit_code) {
    auto options = std::make_shared<TranscribeOptions>();
    CLI::App* command = app.add_subcommand(
        "transcribe",
        "Print what the speech recogniser (pocketsphinx, offline) hears in a WAV recording: PCM of 8, 16, 24 or 32 "
        "bits or float, any channel count and sample rate (it is mixed to mono and resampled to 16 kHz). Prints the "
        "words in lower case, or nothing for silence; exit code 1 when the file cannot be read or the model is "
        "missing");
    command->add_option("file", options->file, "The WAV file to transcribe")->required();
    command->add_flag("--json", options->json,
                      "Print {\"text\", \"duration_ms\", \"decode_ms\", \"real_time_factor\"}: the recording's "
                      "length, the time to decode it (the model's loading not included) and their ratio; an error "
                      "is {\"error\"}");
    command->add_option("--model-dir", options->model_dir,
                        "pocketsphinx model folder holding en-us/, en-us.lm.bin and cmudict-en-us.dict (default: "
                        "/usr/share/pocketsphinx/model/en-us, from the pocketsphinx-en-us package)");
    command->callback([options, &exit_code] { exit_code = run_transcribe(*options); });
}

}  // namespace os1::cli
