// Internal to os1_dev: the dimensions of each preset and the tensors each architecture needs.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "dev/model-maker.h"

namespace os1::dev::detail {

struct ModelShape {
    ModelArch arch = ModelArch::Qwen2;
    uint32_t n_vocab = 0;
    uint32_t n_embd = 0;
    uint32_t n_layer = 0;
    uint32_t n_head = 0;
    uint32_t n_head_kv = 0;
    uint32_t n_ff = 0;
    uint32_t n_ctx_train = 0;
    float rope_freq_base = 0;
    float rms_eps = 0;
    bool qkv_bias = false;  // Qwen2 has biases on the q, k and v projections

    uint32_t head_dim() const { return n_embd / n_head; }
};

// `n_vocab` comes from the tokenizer.
ModelShape shape_for(ModelPreset preset, ModelArch arch, uint32_t n_vocab);

// Matrices are stored as f16; norms and biases as f32 (as llama.cpp's converter does).
enum class WeightKind { Matrix, Norm, Bias };

struct TensorSpec {
    std::string name;  // llama.cpp's name, e.g. "blk.0.attn_q.weight"
    WeightKind kind = WeightKind::Matrix;
    int64_t ne0 = 0;  // row length
    int64_t ne1 = 1;  // rows; 1 for norms and biases, which are 1-dimensional
};

// The tensors in file order: embeddings, then each block, then the output norm and head.
std::vector<TensorSpec> tensor_plan(const ModelShape& shape);

}  // namespace os1::dev::detail
