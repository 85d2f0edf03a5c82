#include "dev/model-shape.h"

namespace os1::dev::detail {

ModelShape shape_for(ModelPreset preset, ModelArch arch, uint32_t n_vocab) {
    ModelShape shape;
    shape.arch = arch;
    shape.n_vocab = n_vocab;
    switch (preset) {
    case ModelPreset::Tiny:
        shape.n_embd = 64;
        shape.n_layer = 2;
        shape.n_head = 4;
        shape.n_head_kv = 2;
        shape.n_ff = 128;
        shape.n_ctx_train = 4096;
        break;
    case ModelPreset::Small:
        shape.n_embd = 256;
        shape.n_layer = 4;
        shape.n_head = 4;
        shape.n_head_kv = 2;
        shape.n_ff = 768;
        shape.n_ctx_train = 8192;
        break;
    case ModelPreset::HalfBillion:  // Qwen2.5-0.5B
        shape.n_embd = 896;
        shape.n_layer = 24;
        shape.n_head = 14;
        shape.n_head_kv = 2;
        shape.n_ff = 4864;
        shape.n_ctx_train = 32768;
        break;
    case ModelPreset::EightBillion:  // Llama 3.1 8B
        shape.n_embd = 4096;
        shape.n_layer = 32;
        shape.n_head = 32;
        shape.n_head_kv = 8;
        shape.n_ff = 14336;
        shape.n_ctx_train = 131072;
        break;
    }
    switch (arch) {
    case ModelArch::Qwen2:
        shape.rope_freq_base = 1000000.0f;
        shape.rms_eps = 1e-6f;
        shape.qkv_bias = true;
        break;
    case ModelArch::Llama:  // Llama 3
        shape.rope_freq_base = 500000.0f;
        shape.rms_eps = 1e-5f;
        shape.qkv_bias = false;
        break;
    }
    return shape;
}

std::vector<TensorSpec> tensor_plan(const ModelShape& shape) {
    const int64_t n_embd = shape.n_embd;
    const int64_t n_embd_kv = int64_t(shape.head_dim()) * shape.n_head_kv;
    const int64_t n_ff = shape.n_ff;
    const int64_t n_vocab = shape.n_vocab;

    std::vector<TensorSpec> plan;
    plan.push_back({"token_embd.weight", WeightKind::Matrix, n_embd, n_vocab});
    for (uint32_t i = 0; i < shape.n_layer; ++i) {
        const std::string blk = "blk." + std::to_string(i) + ".";
        plan.push_back({blk + "attn_norm.weight", WeightKind::Norm, n_embd, 1});
        plan.push_back({blk + "attn_q.weight", WeightKind::Matrix, n_embd, n_embd});
        plan.push_back({blk + "attn_k.weight", WeightKind::Matrix, n_embd, n_embd_kv});
        plan.push_back({blk + "attn_v.weight", WeightKind::Matrix, n_embd, n_embd_kv});
        if (shape.qkv_bias) {
            plan.push_back({blk + "attn_q.bias", WeightKind::Bias, n_embd, 1});
            plan.push_back({blk + "attn_k.bias", WeightKind::Bias, n_embd_kv, 1});
            plan.push_back({blk + "attn_v.bias", WeightKind::Bias, n_embd_kv, 1});
        }
        plan.push_back({blk + "attn_output.weight", WeightKind::Matrix, n_embd, n_embd});
        plan.push_back({blk + "ffn_norm.weight", WeightKind::Norm, n_embd, 1});
        plan.push_back({blk + "ffn_gate.weight", WeightKind::Matrix, n_embd, n_ff});
        plan.push_back({blk + "ffn_up.weight", WeightKind::Matrix, n_embd, n_ff});
        plan.push_back({blk + "ffn_down.weight", WeightKind::Matrix, n_ff, n_embd});
    }
    plan.push_back({"output_norm.weight", WeightKind::Norm, n_embd, 1});
    plan.push_back({"output.weight", WeightKind::Matrix, n_embd, n_vocab});
    return plan;
}

}  // namespace os1::dev::detail
