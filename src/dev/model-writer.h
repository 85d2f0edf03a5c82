// Internal to os1_dev: writes an f16 GGUF file with a copied tokenizer and random weights.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "core/error.h"
#include "dev/model-maker.h"
#include "dev/model-shape.h"

struct gguf_context;

namespace os1::dev::detail {

struct F16ModelRequest {
    ModelShape shape;
    const gguf_context* vocab = nullptr;  // its tokenizer.* keys are copied
    std::string name;                     // general.name
    uint64_t seed = 0;
    int32_t threads = 1;
    const MakeModelProgressFn* on_progress = nullptr;  // optional
};

// Creates or truncates `path` and writes the whole model to it; removes nothing on failure.
ErrorOr<void> write_f16_model(const F16ModelRequest& request, const std::filesystem::path& path);

}  // namespace os1::dev::detail
