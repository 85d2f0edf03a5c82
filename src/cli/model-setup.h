// Choosing and opening the inference backend from command-line options; shared by the
// commands that talk to a model (chat, bench, serve).
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include <CLI/CLI.hpp>

#include "core/error.h"
#include "llm/embedder.h"
#include "llm/llm.h"
#include "cli/progress-bar.h"

namespace os1::cli {

struct BackendOptions {
    std::string backend = "local";  // "local" or "openai"
    std::string model;              // a path, an installed name or an Ollama name; empty: the default
    std::string base_url;
    std::string api_key;
    std::string remote_model;
    int32_t context_size = 4096;
    int32_t threads = 0;
    int32_t parallel = 1;
    int32_t gpu_layers = -1;  // negative: all
    int64_t parked_cache_mib = 1024;  // see llm::LocalEngineOptions::parked_cache_bytes
};

// Whether a person is there to answer a question (offer a download) or a script is running.
enum class Interaction { Ask, Script };

void add_backend_options(CLI::App& command, BackendOptions& options);

// The most --threads accepted: 4 per hardware thread, at most llm::k_max_threads.
int32_t max_threads();

// --threads: 1 to max_threads().
CLI::Validator thread_count_range();

enum class LowerBound { Inclusive, Exclusive };

// A finite number from `min` (or above it, with LowerBound::Exclusive) to `max`; NaN and
// infinities are refused. The message names the range.
CLI::Validator finite_range(double min, double max, LowerBound lower = LowerBound::Inclusive);

// Opens the backend the options describe. With no local model installed it offers to pull
// the default one (Interaction::Ask on a terminal), else explains the alternatives.
ErrorOr<std::unique_ptr<llm::Backend>> open_backend(const BackendOptions& options,
                                                    const std::filesystem::path& data_home, Interaction interaction);

// Opens --embedding-model FILE. llama.cpp's log of the load goes where the chat model's does:
// on stderr with --verbose (`verbose`), nowhere without it.
ErrorOr<std::unique_ptr<llm::Embedder>> open_embedding_model(const std::filesystem::path& file, bool verbose);

}  // namespace os1::cli
