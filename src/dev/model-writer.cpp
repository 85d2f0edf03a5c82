#include "dev/model-writer.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <thread>
#include <vector>

#include "core/handles.h"
#include "core/handles.h"
#include "dev/random-weights.h"
#include "llama.h"

namespace os1::dev::detail {

namespace {

// Small enough that activations stay far from f16 limits through any number of layers, large
// enough that attention and the MLP change the next-token distribution.
constexpr float weight_stddev = 0.02f;
constexpr int64_t slab_values = int64_t(1) << 23;   // values generated and written at once
constexpr int64_t chunk_values = int64_t(1) << 14;  // f32 scratch per thread

// ChatML, as Qwen2 instruct models use; llama.cpp detects it by "<|im_start|>".
constexpr const char* chatml_template =
    "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + "
    "'<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}"
    "{% endif %}";

// Meta-Llama-3-Instruct's template; llama.cpp detects it by its header tokens.
constexpr const char* llama3_template =
    "{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = "
    "'<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'+ message['content'] | trim + "
    "'<|eot_id|>' %}{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}"
    "{{ content }}{% endfor %}{% if add_generation_prompt %}"
    "{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% endif %}";

const char* fallback_chat_template(ModelArch arch) {
    switch (arch) {
    case ModelArch::Qwen2: return chatml_template;
    case ModelArch::Llama: return llama3_template;
    }
    return chatml_template;
}

GgufPtr make_metadata(const F16ModelRequest& request) {
    const ModelShape& shape = request.shape;
    const std::string arch = to_string(shape.arch);
    GgufPtr meta(gguf_init_empty());
    gguf_context* ctx = meta.get();
    const auto key = [&](const char* suffix) { return arch + "." + suffix; };

    gguf_set_val_str(ctx, "general.architecture", arch.c_str());
    gguf_set_val_str(ctx, "general.type", "model");
    gguf_set_val_str(ctx, "general.name", request.name.c_str());
    const std::string description = "random weights from os1 dev make-model (seed " +
                                    std::to_string(request.seed) + "), not a trained model";
    gguf_set_val_str(ctx, "general.description", description.c_str());
    gguf_set_val_u32(ctx, "general.file_type", LLAMA_FTYPE_MOSTLY_F16);
    gguf_set_val_u32(ctx, key("vocab_size").c_str(), shape.n_vocab);
    gguf_set_val_u32(ctx, key("context_length").c_str(), shape.n_ctx_train);
    gguf_set_val_u32(ctx, key("embedding_length").c_str(), shape.n_embd);
    gguf_set_val_u32(ctx, key("block_count").c_str(), shape.n_layer);
    gguf_set_val_u32(ctx, key("feed_forward_length").c_str(), shape.n_ff);
    gguf_set_val_u32(ctx, key("attention.head_count").c_str(), shape.n_head);
    gguf_set_val_u32(ctx, key("attention.head_count_kv").c_str(), shape.n_head_kv);
    gguf_set_val_f32(ctx, key("rope.freq_base").c_str(), shape.rope_freq_base);
    gguf_set_val_u32(ctx, key("rope.dimension_count").c_str(), shape.head_dim());
    gguf_set_val_f32(ctx, key("attention.layer_norm_rms_epsilon").c_str(), shape.rms_eps);

    // Every tokenizer.* key of the vocab file: model, pre-tokenizer, tokens, types, merges,
    // special token ids and, where it has one, the chat template.
    GgufPtr tokenizer(gguf_init_empty());
    gguf_set_kv(tokenizer.get(), request.vocab);
    for (int64_t id = gguf_get_n_kv(tokenizer.get()) - 1; id >= 0; --id) {
        const std::string name = gguf_get_key(tokenizer.get(), id);
        if (!name.starts_with("tokenizer."))
            gguf_remove_key(tokenizer.get(), name.c_str());
    }
    gguf_set_kv(ctx, tokenizer.get());
    if (gguf_find_key(ctx, "tokenizer.chat_template") < 0)
        gguf_set_val_str(ctx, "tokenizer.chat_template", fallback_chat_template(shape.arch));
    return meta;
}

// Fills out[0, count) with values [first, first + count) of stream `key`, as f16.
void fill_f16(uint64_t key, int64_t first, ggml_fp16_t* out, int64_t count, int32_t threads) {
    const auto work = [=](int64_t begin, int64_t end) {
        std::vector<float> scratch(size_t(std::min(chunk_values, end - begin)));
        for (int64_t at = begin; at < end; at += chunk_values) {
            const int64_t n = std::min(chunk_values, end - at);
            fill_normal(key, uint64_t(first + at), weight_stddev, scratch.data(), size_t(n));
            ggml_fp32_to_fp16_row(scratch.data(), out + at, n);
        }
    };
    const int64_t n_workers = std::clamp<int64_t>(count / chunk_values, 1, std::max(threads, 1));
    const int64_t per_worker = (count + n_workers - 1) / n_workers;
    std::vector<std::thread> helpers;
    for (int64_t w = 1; w < n_workers; ++w)
        helpers.emplace_back(work, w * per_worker, std::min(count, (w + 1) * per_worker));
    work(0, std::min(count, per_worker));
    for (auto& helper : helpers)
        helper.join();
}

class TensorDataWriter {
public:
    TensorDataWriter(std::FILE* file, const std::filesystem::path& path, uint64_t total,
                     const MakeModelProgressFn* on_progress)
        : m_file(file), m_path(path), m_total(total), m_on_progress(on_progress) {}

    ErrorOr<void> write(const void* data, size_t size) {
        if (size > 0 && std::fwrite(data, 1, size, m_file) != size)
            return make_error(m_path.string() + ": write failed: " + std::strerror(errno));
        m_written += size;
        if (m_on_progress && *m_on_progress)
            (*m_on_progress)({MakeModelStage::Writing, m_written, m_total});
        return {};
    }

    ErrorOr<void> pad_to(size_t alignment) {
        static const char zeros[64] = {};
        const size_t padding = size_t(GGML_PAD(m_written, alignment) - m_written);
        return write(zeros, padding);
    }

    uint64_t written() const { return m_written; }

private:
    std::FILE* m_file;
    const std::filesystem::path& m_path;
    uint64_t m_total;
    const MakeModelProgressFn* m_on_progress;
    uint64_t m_written = 0;
};

ErrorOr<void> write_tensor(TensorDataWriter& writer, const TensorSpec& spec, uint64_t key, int32_t threads) {
    const int64_t count = spec.ne0 * spec.ne1;
    switch (spec.kind) {
    case WeightKind::Norm: {
        const std::vector<float> ones(static_cast<size_t>(count), 1.0f);
        return writer.write(ones.data(), ones.size() * sizeof(float));
    }
    case WeightKind::Bias: {
        std::vector<float> values(static_cast<size_t>(count));
        fill_normal(key, 0, weight_stddev, values.data(), values.size());
        return writer.write(values.data(), values.size() * sizeof(float));
    }
    case WeightKind::Matrix: {
        std::vector<ggml_fp16_t> slab(size_t(std::min(count, slab_values)));
        for (int64_t at = 0; at < count; at += slab_values) {
            const int64_t n = std::min(slab_values, count - at);
            fill_f16(key, at, slab.data(), n, threads);
            OS1_TRY(writer.write(slab.data(), size_t(n) * sizeof(ggml_fp16_t)));
        }
        return {};
    }
    }
    return {};
}

}  // namespace

ErrorOr<void> write_f16_model(const F16ModelRequest& request, const std::filesystem::path& path) {
    const std::vector<TensorSpec> plan = tensor_plan(request.shape);
    GgufPtr meta = make_metadata(request);

    const ggml_init_params params = {plan.size() * ggml_tensor_overhead(), nullptr, true};
    GgmlContextPtr tensors(ggml_init(params));
    if (!tensors)
        return make_error(path.string() + ": cannot allocate tensor descriptions");
    for (const TensorSpec& spec : plan) {
        ggml_tensor* tensor = spec.kind == WeightKind::Matrix
                                  ? ggml_new_tensor_2d(tensors.get(), GGML_TYPE_F16, spec.ne0, spec.ne1)
                                  : ggml_new_tensor_1d(tensors.get(), GGML_TYPE_F32, spec.ne0);
        ggml_set_name(tensor, spec.name.c_str());
        gguf_add_tensor(meta.get(), tensor);
    }

    const size_t alignment = gguf_get_alignment(meta.get());
    std::vector<uint8_t> header(gguf_get_meta_size(meta.get()));
    gguf_get_meta_data(meta.get(), header.data());
    uint64_t total = header.size();
    for (int64_t id = 0; id < gguf_get_n_tensors(meta.get()); ++id)
        total += GGML_PAD(gguf_get_tensor_size(meta.get(), id), alignment);

    FilePtr file(std::fopen(path.c_str(), "wb"));
    if (!file)
        return make_error(path.string() + ": cannot create: " + std::strerror(errno));
    TensorDataWriter writer(file.get(), path, total, request.on_progress);
    OS1_TRY(writer.write(header.data(), header.size()));
    for (size_t i = 0; i < plan.size(); ++i) {
        OS1_TRY(write_tensor(writer, plan[i], stream_key(request.seed, i), request.threads));
        OS1_TRY(writer.pad_to(alignment));
    }
    if (std::fflush(file.get()) != 0 || std::ferror(file.get()))
        return make_error(path.string() + ": write failed: " + std::strerror(errno));
    if (writer.written() != total)
        return make_error(path.string() + ": wrote " + std::to_string(writer.written()) + " bytes, expected " +
                          std::to_string(total));
    return {};
}

}  // namespace os1::dev::detail
