// Makes whisper.cpp model files with the real GPT-2 tokenizer, whisper's real mel filterbank and
// seeded random weights, for tests and benchmarks of speech recognition that need a model
// whisper.cpp loads and runs but no download. The files are in whisper.cpp's own (pre-GGUF)
// ggml format, the one its download script fetches: ggml-tiny.en.bin and the like.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string_view>

#include "core/error.h"

namespace os1::dev {

// Test is tiny (width 64, one encoder and one decoder layer) for unit tests; TinyEn and BaseEn
// have whisper tiny.en's and base.en's dimensions, so benchmarks see their real speed.
enum class WhisperPreset { Test, TinyEn, BaseEn };

// Parse and name the command-line spellings: test|tiny.en|base.en.
ErrorOr<WhisperPreset> parse_whisper_preset(std::string_view name);
const char* to_string(WhisperPreset preset);

// The header of a whisper.cpp model file, in file order. Every preset is English-only
// (n_vocab 51864), hears 30 s windows (n_audio_ctx 1500) and stores f16 weights (ftype 1).
struct WhisperHparams {
    int32_t n_vocab = 51864;
    int32_t n_audio_ctx = 1500;
    int32_t n_audio_state = 0;
    int32_t n_audio_head = 0;
    int32_t n_audio_layer = 0;
    int32_t n_text_ctx = 448;
    int32_t n_text_state = 0;
    int32_t n_text_head = 0;
    int32_t n_text_layer = 0;
    int32_t n_mels = 80;
    int32_t ftype = 1;
};

WhisperHparams whisper_hparams_for(WhisperPreset preset);

struct MakeWhisperModelOptions {
    WhisperPreset preset = WhisperPreset::Test;
    uint64_t seed = 0;                // the same seed gives a byte-identical file
    std::filesystem::path out;        // parent folders are created
    std::filesystem::path vocab_dir;  // holds ggml-vocab-gpt-2.gguf; empty: see default_vocab_dir()
};

// The GPT-2 vocab file inside `vocab_dir`, whose tokens whisper's English-only models use.
std::filesystem::path whisper_vocab_file(const std::filesystem::path& vocab_dir);

// Writes the model to a temporary file next to `out` and renames it onto `out`, so `out` is
// either the old file or the complete new one. Blocks.
ErrorOr<void> make_whisper_model(const MakeWhisperModelOptions& options);

}  // namespace os1::dev
