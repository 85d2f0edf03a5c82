#include "dev/model-shape.h"

namespace os1::dev::detail {

namespace {

struct Dimensions {
    uint32_t n_embd, n_layer, n_head, n_head_kv, n_ff, n_ctx_train;
};

Dimensions dimensions_of(ModelPreset preset) {
    switch (preset) {
    case ModelPreset::Tiny: return {64, 2, 4, 2, 128, 4096};
    case ModelPreset::Small: return {256, 4, 4, 2, 768, 8192};
    case ModelPreset::HalfBillion: return {896, 24, 14, 2, 4864, 32768};        // Qwen2.5-0.5B
    case ModelPreset::EightBillion: return {4096, 32, 32, 8, 14336, 131072};   // Llama 3.1 8B
    }
    return {};
}

}  // namespace

ModelShape shape_for(ModelPreset preset, ModelArch arch, uint32_t n_vocab) {
    ModelShape shape;
    shape.arch = arch;
    shape.n_vocab = n_vocab;
    const Dimensions dimensions = dimensions_of(preset);
    shape.n_embd = dimensions.n_embd;
    shape.n_layer = dimensions.n_layer;
    shape.n_head = dimensions.n_head;
    shape.n_head_kv = dimensions.n_head_kv;
    shape.n_ff = dimensions.n_ff;
    shape.n_ctx_train = dimensions.n_ctx_train;
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
