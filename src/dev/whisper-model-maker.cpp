#include "dev/whisper-model-maker.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <string>
#include <system_error>
#include <vector>


#include "core/handles.h"
#include "dev/mel-filterbank.h"
#include "dev/output-file.h"
#include "dev/model-maker.h"
#include "dev/random-weights.h"
#include "ggml.h"

namespace os1::dev {

namespace {

// whisper.cpp reads its files in the machine's byte order and swaps only on big-endian hosts,
// where the files are still little-endian; writing our values as they lie in memory is right
// only here.
static_assert(std::endian::native == std::endian::little, "whisper model files are little-endian");

constexpr uint32_t ggml_file_magic = 0x67676d6c;  // "ggml", GGML_FILE_MAGIC
constexpr int32_t sample_rate = 16000;
constexpr int32_t n_fft = 400;  // 25 ms windows; the file holds n_fft / 2 + 1 = 201 bins per filter
// English-only whisper files hold GPT-2's 50,257 tokens, "<|endoftext|>" last; whisper.cpp
// names the rest of n_vocab (start of transcript, no timestamps, the timestamps) itself.
constexpr int32_t n_text_tokens = 50257;
constexpr const char* end_of_text = "<|endoftext|>";

// As in make-model: small enough that activations stay far from f16 limits, large enough that
// the output depends on the input.
constexpr float weight_stddev = 0.02f;
constexpr size_t chunk_values = size_t(1) << 16;  // values generated and written at once

// GPT-2 stores each token's bytes as printable characters: bytes that are printable Latin-1
// stand for themselves, and the other 68 (controls, space, soft hyphen) map in order to
// U+0100..U+0143, so " the" is stored as "Ġthe" and "\n" as "Ċ". Whisper's files hold the raw
// bytes. This is the inverse of GPT-2's bytes_to_unicode(): code point to byte, -1 for none.
std::array<int16_t, 0x144> gpt2_code_point_to_byte() {
    std::array<int16_t, 0x144> table;
    table.fill(-1);
    int32_t next_remapped = 0x100;
    for (int32_t byte = 0; byte < 256; ++byte) {
        const bool printable = (byte >= '!' && byte <= '~') || (byte >= 0xA1 && byte <= 0xAC) || byte >= 0xAE;
        table[size_t(printable ? byte : next_remapped++)] = int16_t(byte);
    }
    return table;
}

// The raw bytes of a GPT-2 token. Its characters are all below U+0144, so one or two bytes of
// UTF-8 each.
ErrorOr<std::string> gpt2_token_bytes(std::string_view token, const std::array<int16_t, 0x144>& to_byte) {
    std::string bytes;
    bytes.reserve(token.size());
    for (size_t i = 0; i < token.size();) {
        const auto lead = uint8_t(token[i]);
        uint32_t code_point = lead;
        size_t length = 1;
        if ((lead & 0xE0) == 0xC0 && i + 1 < token.size() && (uint8_t(token[i + 1]) & 0xC0) == 0x80) {
            code_point = (uint32_t(lead & 0x1F) << 6) | uint32_t(uint8_t(token[i + 1]) & 0x3F);
            length = 2;
        } else if (lead >= 0x80) {
            return make_error("character outside GPT-2's byte alphabet");
        }
        if (code_point >= to_byte.size() || to_byte[code_point] < 0)
            return make_error("character U+" + std::to_string(code_point) + " outside GPT-2's byte alphabet");
        bytes.push_back(char(to_byte[code_point]));
        i += length;
    }
    return bytes;
}

// The first n_text_tokens tokens of a GPT-2 vocab file, as raw bytes.
ErrorOr<std::vector<std::string>> load_gpt2_tokens(const std::filesystem::path& path) {
    const std::string where = path.string() + ": ";
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec))
        return make_error(where + "vocab file not found (give --vocab-dir, or set OS1_LLAMA_SOURCE to a llama.cpp "
                                  "source tree)");
    const gguf_init_params params = {true, nullptr};
    const GgufPtr vocab(gguf_init_from_file(path.c_str(), params));
    if (!vocab)
        return make_error(where + "not a readable GGUF file");
    const int64_t key = gguf_find_key(vocab.get(), "tokenizer.ggml.tokens");
    if (key < 0 || gguf_get_kv_type(vocab.get(), key) != GGUF_TYPE_ARRAY ||
        gguf_get_arr_type(vocab.get(), key) != GGUF_TYPE_STRING)
        return make_error(where + "has no tokenizer.ggml.tokens");
    if (gguf_get_arr_n(vocab.get(), key) < size_t(n_text_tokens) ||
        gguf_get_arr_str(vocab.get(), key, n_text_tokens - 1) != std::string_view(end_of_text))
        return make_error(where + "not GPT-2's vocab (expected token " + std::to_string(n_text_tokens - 1) + " to be " +
                          end_of_text + "); give the folder with llama.cpp's ggml-vocab-gpt-2.gguf");

    const auto to_byte = gpt2_code_point_to_byte();
    std::vector<std::string> tokens;
    tokens.reserve(size_t(n_text_tokens));
    for (int32_t id = 0; id < n_text_tokens; ++id) {
        auto bytes = gpt2_token_bytes(gguf_get_arr_str(vocab.get(), key, size_t(id)), to_byte);
        if (!bytes)
            return make_error(where + "token " + std::to_string(id) + ": " + bytes.error().message);
        tokens.push_back(bytes.release_value());
    }
    return tokens;
}

enum class Fill {
    Random,     // normal, weight_stddev: matrices, convolutions, biases, the learned embeddings
    Ones,       // layer norm gains
    Zeros,      // layer norm biases
    Sinusoids,  // the encoder's positional embedding, which whisper fixes rather than learns
};

// One tensor as whisper.cpp's loader creates it: its name, type and ggml shape (ne[0] varies
// fastest).
struct WhisperTensor {
    std::string name;
    ggml_type type = GGML_TYPE_F32;
    std::vector<int32_t> ne;
    Fill fill = Fill::Random;

    size_t count() const {
        size_t n = 1;
        for (const int32_t d : ne)
            n *= size_t(d);
        return n;
    }
};

// The blocks of the encoder and decoder share these; the decoder's cross-attention has the same
// layout under "cross_attn".
void add_attention(std::vector<WhisperTensor>& plan, const std::string& prefix, const std::string& attn,
                   int32_t state) {
    plan.push_back({prefix + attn + "_ln.weight", GGML_TYPE_F32, {state}, Fill::Ones});
    plan.push_back({prefix + attn + "_ln.bias", GGML_TYPE_F32, {state}, Fill::Zeros});
    plan.push_back({prefix + attn + ".query.weight", GGML_TYPE_F16, {state, state}});
    plan.push_back({prefix + attn + ".query.bias", GGML_TYPE_F32, {state}});
    plan.push_back({prefix + attn + ".key.weight", GGML_TYPE_F16, {state, state}});  // the key has no bias
    plan.push_back({prefix + attn + ".value.weight", GGML_TYPE_F16, {state, state}});
    plan.push_back({prefix + attn + ".value.bias", GGML_TYPE_F32, {state}});
    plan.push_back({prefix + attn + ".out.weight", GGML_TYPE_F16, {state, state}});
    plan.push_back({prefix + attn + ".out.bias", GGML_TYPE_F32, {state}});
}

void add_mlp(std::vector<WhisperTensor>& plan, const std::string& prefix, int32_t state) {
    plan.push_back({prefix + "mlp_ln.weight", GGML_TYPE_F32, {state}, Fill::Ones});
    plan.push_back({prefix + "mlp_ln.bias", GGML_TYPE_F32, {state}, Fill::Zeros});
    plan.push_back({prefix + "mlp.0.weight", GGML_TYPE_F16, {state, 4 * state}});
    plan.push_back({prefix + "mlp.0.bias", GGML_TYPE_F32, {4 * state}});
    plan.push_back({prefix + "mlp.2.weight", GGML_TYPE_F16, {4 * state, state}});
    plan.push_back({prefix + "mlp.2.bias", GGML_TYPE_F32, {state}});
}

// Every tensor whisper_model_load creates for f16 weights, once each: positional embeddings,
// biases and norms in f32, the rest in f16.
std::vector<WhisperTensor> whisper_tensor_plan(const WhisperHparams& h) {
    const int32_t audio = h.n_audio_state;
    const int32_t text = h.n_text_state;
    std::vector<WhisperTensor> plan;
    plan.push_back({"encoder.positional_embedding", GGML_TYPE_F32, {audio, h.n_audio_ctx}, Fill::Sinusoids});
    plan.push_back({"encoder.conv1.weight", GGML_TYPE_F16, {3, h.n_mels, audio}});
    plan.push_back({"encoder.conv1.bias", GGML_TYPE_F32, {1, audio}});
    plan.push_back({"encoder.conv2.weight", GGML_TYPE_F16, {3, audio, audio}});
    plan.push_back({"encoder.conv2.bias", GGML_TYPE_F32, {1, audio}});
    plan.push_back({"encoder.ln_post.weight", GGML_TYPE_F32, {audio}, Fill::Ones});
    plan.push_back({"encoder.ln_post.bias", GGML_TYPE_F32, {audio}, Fill::Zeros});
    for (int32_t i = 0; i < h.n_audio_layer; ++i) {
        const std::string prefix = "encoder.blocks." + std::to_string(i) + ".";
        add_mlp(plan, prefix, audio);
        add_attention(plan, prefix, "attn", audio);
    }
    plan.push_back({"decoder.positional_embedding", GGML_TYPE_F32, {text, h.n_text_ctx}});
    plan.push_back({"decoder.token_embedding.weight", GGML_TYPE_F16, {text, h.n_vocab}});
    plan.push_back({"decoder.ln.weight", GGML_TYPE_F32, {text}, Fill::Ones});
    plan.push_back({"decoder.ln.bias", GGML_TYPE_F32, {text}, Fill::Zeros});
    for (int32_t i = 0; i < h.n_text_layer; ++i) {
        const std::string prefix = "decoder.blocks." + std::to_string(i) + ".";
        add_mlp(plan, prefix, text);
        add_attention(plan, prefix, "attn", text);
        add_attention(plan, prefix, "cross_attn", text);
    }
    return plan;
}

// Values [first, first + count) of whisper's sinusoids(length, channels): row t is
// sin(t * w_j) for the first half of the channels and cos(t * w_j) for the second, with the
// w_j spaced geometrically from 1 to 1/10000.
void fill_sinusoids(int32_t channels, size_t first, float* out, size_t count) {
    const int32_t half = channels / 2;
    const double log_increment = std::log(10000.0) / double(half - 1);
    for (size_t i = 0; i < count; ++i) {
        const size_t at = first + i;
        const auto t = double(at / size_t(channels));
        const auto c = int32_t(at % size_t(channels));
        const double rate = std::exp(-log_increment * double(c % half));
        out[i] = float(c < half ? std::sin(t * rate) : std::cos(t * rate));
    }
}

class FileWriter {
public:
    FileWriter(std::FILE* file, const std::filesystem::path& path) : m_file(file), m_path(path) {}

    ErrorOr<void> write(const void* data, size_t size) {
        if (size > 0 && std::fwrite(data, 1, size, m_file) != size)
            return make_error(m_path.string() + ": write failed: " + std::strerror(errno));
        return {};
    }

    template <typename T>
    ErrorOr<void> write_value(T value) {
        return write(&value, sizeof(value));
    }

private:
    std::FILE* m_file;
    const std::filesystem::path& m_path;
};

ErrorOr<void> write_header(FileWriter& writer, const WhisperHparams& h) {
    OS1_TRY(writer.write_value(ggml_file_magic));
    for (const int32_t value : {h.n_vocab, h.n_audio_ctx, h.n_audio_state, h.n_audio_head, h.n_audio_layer,
                                h.n_text_ctx, h.n_text_state, h.n_text_head, h.n_text_layer, h.n_mels, h.ftype})
        OS1_TRY(writer.write_value(value));
    return {};
}

ErrorOr<void> write_mel_filters(FileWriter& writer, int32_t n_mels) {
    const std::vector<float> filters = detail::slaney_mel_filterbank(sample_rate, n_fft, n_mels);
    OS1_TRY(writer.write_value(n_mels));
    OS1_TRY(writer.write_value(int32_t(n_fft / 2 + 1)));
    return writer.write(filters.data(), filters.size() * sizeof(float));
}

ErrorOr<void> write_vocab(FileWriter& writer, const std::vector<std::string>& tokens) {
    OS1_TRY(writer.write_value(int32_t(tokens.size())));
    for (const std::string& token : tokens) {
        OS1_TRY(writer.write_value(uint32_t(token.size())));
        OS1_TRY(writer.write(token.data(), token.size()));
    }
    return {};
}

ErrorOr<void> write_tensor(FileWriter& writer, const WhisperTensor& spec, uint64_t key) {
    OS1_TRY(writer.write_value(int32_t(spec.ne.size())));
    OS1_TRY(writer.write_value(int32_t(spec.name.size())));
    OS1_TRY(writer.write_value(int32_t(spec.type)));
    for (const int32_t d : spec.ne)
        OS1_TRY(writer.write_value(d));
    OS1_TRY(writer.write(spec.name.data(), spec.name.size()));

    const size_t count = spec.count();
    std::vector<float> values(std::min(count, chunk_values));
    std::vector<ggml_fp16_t> halves(spec.type == GGML_TYPE_F16 ? values.size() : 0);
    for (size_t at = 0; at < count; at += chunk_values) {
        const size_t n = std::min(chunk_values, count - at);
        switch (spec.fill) {
        case Fill::Random: detail::fill_normal(key, at, weight_stddev, values.data(), n); break;
        case Fill::Ones: std::fill_n(values.begin(), n, 1.0f); break;
        case Fill::Zeros: std::fill_n(values.begin(), n, 0.0f); break;
        case Fill::Sinusoids: fill_sinusoids(spec.ne[0], at, values.data(), n); break;
        }
        if (spec.type == GGML_TYPE_F16) {
            ggml_fp32_to_fp16_row(values.data(), halves.data(), int64_t(n));
            OS1_TRY(writer.write(halves.data(), n * sizeof(ggml_fp16_t)));
        } else {
            OS1_TRY(writer.write(values.data(), n * sizeof(float)));
        }
    }
    return {};
}

ErrorOr<void> write_model(const WhisperHparams& hparams, const std::vector<std::string>& tokens, uint64_t seed,
                          const std::filesystem::path& path) {
    FilePtr file(std::fopen(path.c_str(), "wb"));
    if (!file)
        return make_error(path.string() + ": cannot create: " + std::strerror(errno));
    FileWriter writer(file.get(), path);
    OS1_TRY(write_header(writer, hparams));
    OS1_TRY(write_mel_filters(writer, hparams.n_mels));
    OS1_TRY(write_vocab(writer, tokens));
    const std::vector<WhisperTensor> plan = whisper_tensor_plan(hparams);
    for (size_t i = 0; i < plan.size(); ++i)
        OS1_TRY(write_tensor(writer, plan[i], detail::stream_key(seed, i)));
    if (std::fflush(file.get()) != 0 || std::ferror(file.get()))
        return make_error(path.string() + ": write failed: " + std::strerror(errno));
    return {};
}

}  // namespace

ErrorOr<WhisperPreset> parse_whisper_preset(std::string_view name) {
    if (name == "test")
        return WhisperPreset::Test;
    if (name == "tiny.en")
        return WhisperPreset::TinyEn;
    if (name == "base.en")
        return WhisperPreset::BaseEn;
    return make_error("unknown whisper preset '" + std::string(name) + "' (expected test, tiny.en or base.en)");
}

const char* to_string(WhisperPreset preset) {
    switch (preset) {
    case WhisperPreset::Test: return "test";
    case WhisperPreset::TinyEn: return "tiny.en";
    case WhisperPreset::BaseEn: return "base.en";
    }
    return "?";
}

WhisperHparams whisper_hparams_for(WhisperPreset preset) {
    const auto shaped = [](int32_t state, int32_t heads, int32_t layers) {
        WhisperHparams h;
        h.n_audio_state = h.n_text_state = state;
        h.n_audio_head = h.n_text_head = heads;
        h.n_audio_layer = h.n_text_layer = layers;
        return h;
    };
    switch (preset) {
    case WhisperPreset::Test: return shaped(64, 2, 1);
    case WhisperPreset::TinyEn: return shaped(384, 6, 4);
    case WhisperPreset::BaseEn: return shaped(512, 8, 6);
    }
    return {};
}

std::filesystem::path whisper_vocab_file(const std::filesystem::path& vocab_dir) {
    return vocab_dir / "ggml-vocab-gpt-2.gguf";
}

ErrorOr<void> make_whisper_model(const MakeWhisperModelOptions& options) {
    OS1_TRY(detail::prepare_out(options.out, "make-whisper-model"));
    const std::filesystem::path vocab_dir = options.vocab_dir.empty() ? default_vocab_dir() : options.vocab_dir;
    const std::vector<std::string> tokens = OS1_TRY(load_gpt2_tokens(whisper_vocab_file(vocab_dir)));

    detail::TempFile temp(detail::temp_path_for(options.out, "whisper"));
    OS1_TRY(write_model(whisper_hparams_for(options.preset), tokens, options.seed, temp.path()));
    return temp.rename_onto(options.out);
}

}  // namespace os1::dev
