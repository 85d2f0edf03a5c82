// Text embeddings for recall: an Embedder turns texts into L2-normalised vectors, so that the
// dot product of two vectors is their cosine similarity. open_embedder loads any GGUF
// embedding model through llama.cpp in its own small context (never the chat engine's).
//
// Thread-safety: embed() may be called from any thread; calls are serialised internally.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "core/error.h"

namespace os1::llm {

class Embedder {
public:
    virtual ~Embedder() = default;

    // One unit vector of dimension() floats per text, in order. Empty texts are an error.
    virtual ErrorOr<std::vector<std::vector<float>>> embed(const std::vector<std::string>& texts) = 0;
    virtual int32_t dimension() const = 0;
    // Identifies the model (file name, size, dimension, pooling): vectors with different
    // fingerprints come from different models and must never be compared.
    virtual const std::string& fingerprint() const = 0;
};

struct EmbedderOptions {
    std::filesystem::path model_path;
    int32_t threads = 0;          // 0: all cores
    int32_t texts_per_batch = 8;  // texts decoded together in one llama_decode
    int32_t max_tokens = 512;     // longer texts are embedded from their first max_tokens tokens
    int32_t gpu_layers = -1;      // negative: all layers on the GPU, where there is one
};

// Loads a GGUF model for embeddings. The model's own pooling is used (mean, CLS or last);
// a model without one (a decoder-only chat model) is mean-pooled. Checks the file first, so
// a missing, truncated or foreign file gets a clear error; rerankers are refused.
ErrorOr<std::unique_ptr<Embedder>> open_embedder(const EmbedderOptions& options);

// Scales `vector` to unit length; a zero vector stays zero.
void normalize_l2(std::vector<float>& vector);

}  // namespace os1::llm
