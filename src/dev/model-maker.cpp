#include "dev/model-maker.h"

#include <algorithm>
#include <cstdlib>
#include <string>
#include <system_error>
#include <thread>


#include "core/handles.h"
#include "dev/output-file.h"
#include "dev/model-shape.h"
#include "dev/model-writer.h"
#include "llama.h"

#ifndef OS1_DEFAULT_LLAMA_SOURCE
#define OS1_DEFAULT_LLAMA_SOURCE ""
#endif

namespace os1::dev {

namespace {

ErrorOr<GgufPtr> load_vocab(const std::filesystem::path& path) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec))
        return make_error(path.string() + ": vocab file not found (give --vocab-dir, or set OS1_LLAMA_SOURCE to a "
                                          "llama.cpp source tree)");
    const gguf_init_params params = {true, nullptr};
    GgufPtr vocab(gguf_init_from_file(path.c_str(), params));
    if (!vocab)
        return make_error(path.string() + ": not a readable GGUF file");
    const int64_t tokens = gguf_find_key(vocab.get(), "tokenizer.ggml.tokens");
    if (tokens < 0 || gguf_get_kv_type(vocab.get(), tokens) != GGUF_TYPE_ARRAY || gguf_get_arr_n(vocab.get(), tokens) == 0)
        return make_error(path.string() + ": has no tokenizer.ggml.tokens");
    return vocab;
}

llama_ftype ftype_for(ModelQuant quant) {
    switch (quant) {
    case ModelQuant::F16: return LLAMA_FTYPE_MOSTLY_F16;
    case ModelQuant::Q8_0: return LLAMA_FTYPE_MOSTLY_Q8_0;
    case ModelQuant::Q4_0: return LLAMA_FTYPE_MOSTLY_Q4_0;
    }
    return LLAMA_FTYPE_MOSTLY_F16;
}

}  // namespace

ErrorOr<ModelPreset> parse_model_preset(std::string_view name) {
    if (name == "tiny")
        return ModelPreset::Tiny;
    if (name == "small")
        return ModelPreset::Small;
    if (name == "0.5b")
        return ModelPreset::HalfBillion;
    if (name == "8b")
        return ModelPreset::EightBillion;
    return make_error("unknown preset '" + std::string(name) + "' (expected tiny, small, 0.5b or 8b)");
}

ErrorOr<ModelArch> parse_model_arch(std::string_view name) {
    if (name == "qwen2")
        return ModelArch::Qwen2;
    if (name == "llama")
        return ModelArch::Llama;
    return make_error("unknown architecture '" + std::string(name) + "' (expected qwen2 or llama)");
}

ErrorOr<ModelQuant> parse_model_quant(std::string_view name) {
    if (name == "f16")
        return ModelQuant::F16;
    if (name == "q8_0")
        return ModelQuant::Q8_0;
    if (name == "q4_0")
        return ModelQuant::Q4_0;
    return make_error("unknown quantization '" + std::string(name) + "' (expected f16, q8_0 or q4_0)");
}

const char* to_string(ModelPreset preset) {
    switch (preset) {
    case ModelPreset::Tiny: return "tiny";
    case ModelPreset::Small: return "small";
    case ModelPreset::HalfBillion: return "0.5b";
    case ModelPreset::EightBillion: return "8b";
    }
    return "?";
}

const char* to_string(ModelArch arch) {
    switch (arch) {
    case ModelArch::Qwen2: return "qwen2";
    case ModelArch::Llama: return "llama";
    }
    return "?";
}

const char* to_string(ModelQuant quant) {
    switch (quant) {
    case ModelQuant::F16: return "f16";
    case ModelQuant::Q8_0: return "q8_0";
    case ModelQuant::Q4_0: return "q4_0";
    }
    return "?";
}

std::filesystem::path default_vocab_dir() {
    const char* source = std::getenv("OS1_LLAMA_SOURCE");
    if (source && *source)
        return std::filesystem::path(source) / "models";
    return std::filesystem::path(OS1_DEFAULT_LLAMA_SOURCE) / "models";
}

std::filesystem::path vocab_file_for(ModelArch arch, const std::filesystem::path& vocab_dir) {
    switch (arch) {
    case ModelArch::Qwen2: return vocab_dir / "ggml-vocab-qwen2.gguf";
    case ModelArch::Llama: return vocab_dir / "ggml-vocab-llama-bpe.gguf";
    }
    return {};
}

ErrorOr<void> make_model(const MakeModelOptions& options) {
    OS1_TRY(detail::prepare_out(options.out, "make-model"));
    const std::filesystem::path vocab_dir = options.vocab_dir.empty() ? default_vocab_dir() : options.vocab_dir;
    const GgufPtr vocab = OS1_TRY(load_vocab(vocab_file_for(options.arch, vocab_dir)));
    const int64_t tokens = gguf_find_key(vocab.get(), "tokenizer.ggml.tokens");
    const auto n_vocab = uint32_t(gguf_get_arr_n(vocab.get(), tokens));
    const int32_t threads = options.threads > 0 ? options.threads : int32_t(std::max(1u, std::thread::hardware_concurrency()));

    detail::F16ModelRequest request;
    request.shape = detail::shape_for(options.preset, options.arch, n_vocab);
    request.vocab = vocab.get();
    request.name = std::string("os1-random-") + to_string(options.preset) + "-" + to_string(options.arch);
    request.seed = options.seed;
    request.threads = threads;
    request.on_progress = &options.on_progress;

    detail::TempFile f16(detail::temp_path_for(options.out, "f16"));
    OS1_TRY(detail::write_f16_model(request, f16.path()));
    if (options.quant == ModelQuant::F16)
        return f16.rename_onto(options.out);

    if (options.on_progress)
        options.on_progress({MakeModelStage::Quantizing, 0, 1});
    detail::TempFile quantized(detail::temp_path_for(options.out, to_string(options.quant)));
    llama_model_quantize_params params = llama_model_quantize_default_params();
    params.nthread = threads;
    params.ftype = ftype_for(options.quant);
    if (llama_model_quantize(f16.path().c_str(), quantized.path().c_str(), &params) != 0)
        return make_error(options.out.string() + ": quantizing to " + to_string(options.quant) +
                          " failed (llama.cpp's log says why)");
    if (options.on_progress)
        options.on_progress({MakeModelStage::Quantizing, 1, 1});
    return quantized.rename_onto(options.out);
}

}  // namespace os1::dev
