// Checks a whisper.cpp model file (the legacy ggml format of ggml-base.en.bin and its kind)
// before whisper.cpp reads it. whisper.cpp's loader trusts the file: a length field of 4 GB is
// allocated and read, and a file cut off after its header "loads" as an empty model ("for
// testing") whose weights are whatever memory held. So every length is checked against what
// follows, every tensor is walked to the end of the file, and the tensors must be exactly as many
// as the header's layer counts call for. Thread-safe: a pure function of the file.
#pragma once

#include <cstdint>
#include <filesystem>

#include "core/error.h"

namespace os1::voice {

struct WhisperModelFile {
    int32_t vocabulary = 0;     // n_vocab: 51864 for the English-only models
    int32_t audio_layers = 0;   // 4 tiny, 6 base, 12 small, 24 medium, 32 large
    int32_t text_layers = 0;
    int32_t width = 0;          // n_audio_state
    int64_t tensors = 0;
};

// NotFound when there is no file; InvalidInput when it is not a whisper.cpp model (a GGUF chat
// model, say); Corrupt when it is one but damaged or cut off.
ErrorOr<WhisperModelFile> inspect_whisper_model(const std::filesystem::path& path);

}  // namespace os1::voice
