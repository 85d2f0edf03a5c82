// Choosing the speech recogniser from command-line options; shared by the commands that listen
// (talk, transcribe, serve, bench voice).
#pragma once

#include <filesystem>
#include <string>

#include <CLI/CLI.hpp>

#include "core/error.h"
#include "voice/recognizer-factory.h"

namespace os1::cli {

struct SpeechOptions {
    std::string engine = "auto";   // auto, pocketsphinx or whisper
    std::string whisper_model;     // a file or an installed name; empty: the installed one
    std::string pocketsphinx_dir;  // empty: Debian's pocketsphinx-en-us
};

// Adds --stt, --whisper-model and the pocketsphinx folder option, which existing scripts know
// as `pocketsphinx_flag` (--stt-model-dir or --model-dir).
void add_speech_options(CLI::App& command, SpeechOptions& options, const std::string& pocketsphinx_flag);

// The recogniser the options name. auto is whisper when this build has it and a whisper model is
// installed (or named), else pocketsphinx.
ErrorOr<voice::RecognizerSettings> recognizer_settings(const SpeechOptions& options,
                                                       const std::filesystem::path& data_home);

}  // namespace os1::cli
