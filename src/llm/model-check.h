// Checks a model file before llama.cpp loads it, so that bad files get a clear error rather
// than a crash or an opaque log line: missing, unreadable, wrong magic, corrupt header,
// truncated tensor data, or larger than the memory this machine has.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "core/error.h"

namespace os1::llm {

struct ModelFileInfo {
    std::string architecture;  // general.architecture
    std::string name;          // general.name, if any
    uint64_t file_bytes = 0;
    uint64_t tensor_bytes = 0;
    int64_t tensor_count = 0;
};

// The most layers llama.cpp loads (LLAMA_MAX_LAYERS).
inline constexpr uint64_t k_max_model_layers = 512;

// Checks a model file before llama.cpp loads it: present, GGUF, a sound header, hyperparameters
// that llama.cpp would otherwise abort on (block count, heads, rope dimensions), tensors that
// fit in the file, and memory to hold them.
// `available_memory_bytes`: 0 means read MemAvailable + SwapFree from /proc/meminfo.
ErrorOr<ModelFileInfo> check_model_file(const std::filesystem::path& path, uint64_t available_memory_bytes = 0);

// MemAvailable + SwapFree in bytes, or 0 when unknown.
uint64_t available_memory_bytes();

}  // namespace os1::llm
