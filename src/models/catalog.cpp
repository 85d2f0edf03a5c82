// The catalog of models that `os1 pull NAME` knows: small instruct GGUFs that run well on a
// CPU, from the model vendors' own Hugging Face repositories where they publish GGUFs; and
// whisper.cpp's English speech models, from whisper.cpp's own repository.
#include <algorithm>
#include <cctype>

#include "models/models.h"

namespace os1::models {

namespace {

bool iequals(std::string_view a, std::string_view b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
        return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
    });
}

}  // namespace

const std::vector<CatalogEntry>& catalog() {
    static const std::vector<CatalogEntry> entries = {
        {"qwen2.5-1.5b", "Qwen/Qwen2.5-1.5B-Instruct-GGUF", "qwen2.5-1.5b-instruct-q4_k_m.gguf", 1'120'000'000,
         "Qwen2.5 1.5B Instruct, Q4_K_M: the default, good conversation at interactive speed on a laptop CPU"},
        {"qwen2.5-0.5b", "Qwen/Qwen2.5-0.5B-Instruct-GGUF", "qwen2.5-0.5b-instruct-q4_k_m.gguf", 491'000'000,
         "Qwen2.5 0.5B Instruct, Q4_K_M: the smallest and fastest, for slow machines and quick tests"},
        {"llama3.2-1b", "bartowski/Llama-3.2-1B-Instruct-GGUF", "Llama-3.2-1B-Instruct-Q4_K_M.gguf", 808'000'000,
         "Llama 3.2 1B Instruct, Q4_K_M (Meta's weights, quantised with llama.cpp by bartowski)"},
        {"qwen2.5-3b", "Qwen/Qwen2.5-3B-Instruct-GGUF", "qwen2.5-3b-instruct-q4_k_m.gguf", 2'100'000'000,
         "Qwen2.5 3B Instruct, Q4_K_M: better answers, about half the speed of the 1.5B"},
        {"whisper-base.en", "ggerganov/whisper.cpp", "ggml-base.en.bin", 148'000'000,
         "Whisper base.en: the better speech recogniser (whisper.cpp) for os1 talk and the web voice",
         ModelKind::Speech},
        {"whisper-tiny.en", "ggerganov/whisper.cpp", "ggml-tiny.en.bin", 78'000'000,
         "Whisper tiny.en: the fastest speech recognition model, for slow machines", ModelKind::Speech},
        {"whisper-small.en", "ggerganov/whisper.cpp", "ggml-small.en.bin", 488'000'000,
         "Whisper small.en: the most accurate of the three, and the slowest", ModelKind::Speech},
    };
    return entries;
}

const CatalogEntry& default_catalog_entry() {
    return catalog().front();
}

const CatalogEntry* find_catalog_entry(std::string_view name) {
    for (const auto& entry : catalog()) {
        if (iequals(entry.name, name))
            return &entry;
    }
    return nullptr;
}

}  // namespace os1::models
