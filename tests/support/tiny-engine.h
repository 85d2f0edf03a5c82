// Options for a local engine on the generated tiny random-weight qwen2 model, as the model tests
// use it: one conversation and one thread (ctest runs tests in parallel, and OpenMP threads
// oversubscribing two cores slow every test to a crawl).
#pragma once

#include <cstdint>
#include <filesystem>

#include "llm/llm.h"

inline os1::llm::LocalEngineOptions tiny_engine_options(int32_t context_size) {
    os1::llm::LocalEngineOptions options;
    options.model_path = std::filesystem::path(OS1_TEST_MODELS_DIR) / "tiny-qwen2-f16.gguf";
    options.parallel = 1;
    options.context_size = context_size;
    options.threads = 1;
    return options;
}
