// Model files whose header is sound but whose hyperparameters are nonsense are refused before
// llama.cpp sees them (it would abort the process on several of them).
#include <gtest/gtest.h>

#include "core/handles.h"
#include "llm/model-check.h"
#include "support/temp-dir.h"

using namespace os1;
namespace fs = std::filesystem;

namespace {

struct Hyper {
    uint32_t blocks = 2;
    uint32_t embedding = 64;
    uint32_t heads = 4;
    uint32_t kv_heads = 2;
    uint32_t rope = 16;
    int tensor_layer = 1;  // the highest blk.N the tensors name
};

// A GGUF header for a llama model with `hyper`, and its tensors' descriptions (meta only).
fs::path write_header(const fs::path& dir, const std::string& name, const Hyper& hyper) {
    gguf_context* gguf = gguf_init_empty();
    gguf_set_val_str(gguf, "general.architecture", "llama");
    gguf_set_val_u32(gguf, "llama.block_count", hyper.blocks);
    gguf_set_val_u32(gguf, "llama.embedding_length", hyper.embedding);
    gguf_set_val_u32(gguf, "llama.attention.head_count", hyper.heads);
    gguf_set_val_u32(gguf, "llama.attention.head_count_kv", hyper.kv_heads);
    gguf_set_val_u32(gguf, "llama.rope.dimension_count", hyper.rope);
    ggml_init_params params{16 * ggml_tensor_overhead(), nullptr, true};
    ggml_context* ctx = ggml_init(params);
    ggml_tensor* tensor = ggml_new_tensor_1d(ctx, GGML_TYPE_F32, 4);
    ggml_set_name(tensor, ("blk." + std::to_string(hyper.tensor_layer) + ".attn_norm.weight").c_str());
    gguf_add_tensor(gguf, tensor);
    const fs::path file = dir / (name + ".gguf");
    gguf_write_to_file(gguf, file.c_str(), /*only_meta=*/true);
    gguf_free(gguf);
    ggml_free(ctx);
    return file;
}

std::string refusal(const fs::path& file) {
    auto checked = llm::check_model_file(file, uint64_t(1) << 40);
    return checked ? std::string() : checked.error().message;
}

}  // namespace

TEST(ModelCheck, RefusesHyperparametersLlamaCppWouldAbortOn) {
    const fs::path dir = test::unique_temp_dir("model-check");
    // Sound values get past the hyperparameters (to the truncation check: this file has no data).
    EXPECT_NE(refusal(write_header(dir, "sound", {})).find("truncated"), std::string::npos);

    EXPECT_NE(refusal(write_header(dir, "zero-blocks", {.blocks = 0, .tensor_layer = -1}))
                  .find("llama.block_count is 0, outside 1..512"),
              std::string::npos);
    EXPECT_NE(refusal(write_header(dir, "many-blocks", {.blocks = 1000})).find("llama.block_count is 1000"),
              std::string::npos);
    EXPECT_NE(refusal(write_header(dir, "fewer-blocks", {.blocks = 1, .tensor_layer = 5}))
                  .find("tensors exist for layer 5"),
              std::string::npos);
    EXPECT_NE(refusal(write_header(dir, "rope", {.rope = 1000})).find("llama.rope.dimension_count is 1000"),
              std::string::npos);
    EXPECT_NE(refusal(write_header(dir, "heads", {.heads = 0})).find("head_count is 0"), std::string::npos);
    EXPECT_NE(refusal(write_header(dir, "kv-heads", {.kv_heads = 3})).find("head_count_kv is 3"), std::string::npos);
}
