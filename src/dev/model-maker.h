// Makes GGUF models with a real tokenizer and seeded random weights, for tests and benchmarks
// that need a model llama.cpp loads and runs but no download. The tokenizer and chat template
// come from the vocab-only files in llama.cpp's source tree (models/ggml-vocab-*.gguf).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string_view>

#include "core/error.h"

namespace os1::dev {

// Model shapes. Tiny and Small are for tests; HalfBillion has Qwen2.5-0.5B's dimensions and
// EightBillion Llama 3.1 8B's, the size most people run on a GPU (16 GB at f16 while it is
// written, 4.7 GB at q4_0).
enum class ModelPreset { Tiny, Small, HalfBillion, EightBillion };
enum class ModelArch { Qwen2, Llama };
enum class ModelQuant { F16, Q8_0, Q4_0 };

// Parse and name the command-line spellings: tiny|small|0.5b|8b, qwen2|llama, f16|q8_0|q4_0.
ErrorOr<ModelPreset> parse_model_preset(std::string_view name);
ErrorOr<ModelArch> parse_model_arch(std::string_view name);
ErrorOr<ModelQuant> parse_model_quant(std::string_view name);
const char* to_string(ModelPreset preset);
const char* to_string(ModelArch arch);
const char* to_string(ModelQuant quant);

enum class MakeModelStage { Writing, Quantizing };

// Writing: `done` and `total` count bytes of the f16 file. Quantizing: 0 of 1 when it starts,
// 1 of 1 when it ends.
struct MakeModelProgress {
    MakeModelStage stage = MakeModelStage::Writing;
    uint64_t done = 0;
    uint64_t total = 0;
};

// Called on the thread that runs make_model.
using MakeModelProgressFn = std::function<void(const MakeModelProgress&)>;

struct MakeModelOptions {
    ModelPreset preset = ModelPreset::Tiny;
    ModelArch arch = ModelArch::Qwen2;
    ModelQuant quant = ModelQuant::F16;
    uint64_t seed = 0;                // the same seed gives a byte-identical file
    std::filesystem::path out;        // parent folders are created
    std::filesystem::path vocab_dir;  // holds ggml-vocab-*.gguf; empty: see default_vocab_dir()
    int32_t threads = 0;              // 0: all cores; the output does not depend on it
    MakeModelProgressFn on_progress;  // optional
};

// The folder with llama.cpp's vocab files: $OS1_LLAMA_SOURCE/models when that variable is set,
// else the models folder of the llama.cpp source tree this build was made from.
std::filesystem::path default_vocab_dir();

// The vocab file that `arch` takes its tokenizer from, inside `vocab_dir`.
std::filesystem::path vocab_file_for(ModelArch arch, const std::filesystem::path& vocab_dir);

// Writes the model to a temporary file next to `out` and renames it onto `out`, so `out` is
// either the old file or the complete new one. Blocks; quantizing logs through llama.cpp's
// log callback.
ErrorOr<void> make_model(const MakeModelOptions& options);

}  // namespace os1::dev
