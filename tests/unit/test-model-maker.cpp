// os1 dev make-model: the generated files load in llama.cpp, carry the real tokenizer and a
// chat template, are reproducible from the seed, decode to finite logits, and bad arguments
// are reported as errors.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <unistd.h>

#include "core/handles.h"
#include "dev/model-maker.h"
#include "dev/model-shape.h"
#include "llama.h"
#include "support/temp-dir.h"

namespace fs = std::filesystem;
using namespace os1;
using namespace os1::dev;

namespace {

const fs::path vocab_dir = fs::path(OS1_LLAMA_SOURCE) / "models";

class LlamaEnvironment : public ::testing::Environment {
public:
    void SetUp() override {
        llama_log_set([](ggml_log_level, const char*, void*) {}, nullptr);
        llama_backend_init();
    }
    void TearDown() override { llama_backend_free(); }
};

const auto* const llama_environment = ::testing::AddGlobalTestEnvironment(new LlamaEnvironment);

std::string read_bytes(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

LlamaModelPtr load_model(const fs::path& path, bool vocab_only = false) {
    llama_model_params params = llama_model_default_params();
    params.n_gpu_layers = 0;
    params.vocab_only = vocab_only;
    return LlamaModelPtr(llama_model_load_from_file(path.c_str(), params));
}

std::vector<llama_token> tokenize(const llama_model* model, const std::string& text) {
    const llama_vocab* vocab = llama_model_get_vocab(model);
    std::vector<llama_token> tokens(text.size() + 8);
    const int32_t n = llama_tokenize(vocab, text.data(), int32_t(text.size()), tokens.data(), int32_t(tokens.size()),
                                     /*add_special=*/false, /*parse_special=*/true);
    tokens.resize(size_t(std::max(n, 0)));
    return tokens;
}

std::string apply_template(const char* tmpl) {
    const llama_chat_message messages[] = {{"user", "hi"}};
    std::vector<char> buffer(1024);
    const int32_t n = llama_chat_apply_template(tmpl, messages, 1, true, buffer.data(), int32_t(buffer.size()));
    return n < 0 ? std::string() : std::string(buffer.data(), size_t(n));
}

class ModelMakerTest : public ::testing::Test {
protected:
    void SetUp() override {
        m_dir = os1::test::unique_temp_dir("model-maker");
        ASSERT_FALSE(m_dir.empty());
    }
    void TearDown() override { fs::remove_all(m_dir); }

    MakeModelOptions tiny(const std::string& file, ModelArch arch = ModelArch::Qwen2) const {
        MakeModelOptions options;
        options.preset = ModelPreset::Tiny;
        options.arch = arch;
        options.seed = 42;
        options.out = m_dir / file;
        options.vocab_dir = vocab_dir;
        return options;
    }

    fs::path m_dir;
};

TEST_F(ModelMakerTest, TinyQwen2LoadsWithItsShapeAndChatmlTemplate) {
    const MakeModelOptions options = tiny("tiny.gguf");
    const auto made = make_model(options);
    ASSERT_FALSE(made.is_error()) << made.error().message;

    const LlamaModelPtr model = load_model(options.out);
    ASSERT_TRUE(model);
    EXPECT_EQ(llama_model_n_embd(model.get()), 64);
    EXPECT_EQ(llama_model_n_layer(model.get()), 2);
    EXPECT_EQ(llama_model_n_head(model.get()), 4);
    EXPECT_EQ(llama_model_n_head_kv(model.get()), 2);
    EXPECT_EQ(llama_model_n_ctx_train(model.get()), 4096);
    EXPECT_EQ(llama_vocab_n_tokens(llama_model_get_vocab(model.get())), 151936);
    EXPECT_EQ(llama_model_ftype(model.get()), LLAMA_FTYPE_MOSTLY_F16);

    const char* tmpl = llama_model_chat_template(model.get(), nullptr);
    ASSERT_NE(tmpl, nullptr);
    EXPECT_EQ(apply_template(tmpl), "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n");
}

TEST_F(ModelMakerTest, TinyLlamaHasLlama3TemplateAndVocab) {
    const MakeModelOptions options = tiny("tiny-llama.gguf", ModelArch::Llama);
    const auto made = make_model(options);
    ASSERT_FALSE(made.is_error()) << made.error().message;

    const LlamaModelPtr model = load_model(options.out);
    ASSERT_TRUE(model);
    EXPECT_EQ(llama_vocab_n_tokens(llama_model_get_vocab(model.get())), 128256);
    const char* tmpl = llama_model_chat_template(model.get(), nullptr);
    ASSERT_NE(tmpl, nullptr);
    EXPECT_EQ(apply_template(tmpl), "<|start_header_id|>user<|end_header_id|>\n\nhi<|eot_id|>"
                                    "<|start_header_id|>assistant<|end_header_id|>\n\n");
}

TEST_F(ModelMakerTest, TokenizesLikeTheVocabFile) {
    for (const ModelArch arch : {ModelArch::Qwen2, ModelArch::Llama}) {
        const MakeModelOptions options = tiny(std::string(to_string(arch)) + ".gguf", arch);
        const auto made = make_model(options);
        ASSERT_FALSE(made.is_error()) << made.error().message;

        const LlamaModelPtr model = load_model(options.out, /*vocab_only=*/true);
        const LlamaModelPtr reference = load_model(vocab_file_for(arch, vocab_dir), /*vocab_only=*/true);
        ASSERT_TRUE(model);
        ASSERT_TRUE(reference);
        for (const std::string text : {"Hello world", "<|im_start|>user\nÄpfel 123!"}) {
            const auto tokens = tokenize(model.get(), text);
            EXPECT_FALSE(tokens.empty());
            EXPECT_EQ(tokens, tokenize(reference.get(), text)) << to_string(arch) << ": " << text;
        }
    }
}

TEST_F(ModelMakerTest, SameSeedGivesIdenticalBytesWhateverTheThreads) {
    MakeModelOptions first = tiny("a.gguf");
    first.threads = 1;
    MakeModelOptions second = tiny("b.gguf");
    second.threads = 3;
    MakeModelOptions other = tiny("c.gguf");
    other.seed = 43;
    for (const auto* options : {&first, &second, &other}) {
        const auto made = make_model(*options);
        ASSERT_FALSE(made.is_error()) << made.error().message;
    }
    const std::string a = read_bytes(first.out);
    ASSERT_GT(a.size(), 1000000u);
    EXPECT_TRUE(a == read_bytes(second.out));
    const std::string c = read_bytes(other.out);
    ASSERT_EQ(a.size(), c.size());
    EXPECT_FALSE(a == c);
}

TEST_F(ModelMakerTest, GreedyDecodeGivesFiniteLogitsAndVariedTokens) {
    const MakeModelOptions options = tiny("decode.gguf");
    const auto made = make_model(options);
    ASSERT_FALSE(made.is_error()) << made.error().message;
    const LlamaModelPtr model = load_model(options.out);
    ASSERT_TRUE(model);

    llama_context_params params = llama_context_default_params();
    params.n_ctx = 256;
    params.n_batch = 256;
    params.n_threads = 2;
    params.n_threads_batch = 2;
    const LlamaContextPtr ctx(llama_init_from_model(model.get(), params));
    ASSERT_TRUE(ctx);
    const int32_t n_vocab = llama_vocab_n_tokens(llama_model_get_vocab(model.get()));

    std::vector<llama_token> tokens = tokenize(model.get(), "<|im_start|>user\nHello world<|im_end|>\n");
    ASSERT_FALSE(tokens.empty());
    std::set<llama_token> generated;
    for (int step = 0; step < 24; ++step) {
        ASSERT_EQ(llama_decode(ctx.get(), llama_batch_get_one(tokens.data(), int32_t(tokens.size()))), 0);
        const float* logits = llama_get_logits_ith(ctx.get(), -1);
        ASSERT_NE(logits, nullptr);
        ASSERT_TRUE(std::all_of(logits, logits + n_vocab, [](float x) { return std::isfinite(x); }));
        const float spread = *std::max_element(logits, logits + n_vocab) - *std::min_element(logits, logits + n_vocab);
        EXPECT_GT(spread, 0.0f);
        const llama_token next = llama_token(std::max_element(logits, logits + n_vocab) - logits);
        generated.insert(next);
        tokens = {next};
    }
    EXPECT_GE(generated.size(), 4u);
}

TEST_F(ModelMakerTest, Q8_0QuantizationLoadsAsQ8_0) {
    MakeModelOptions options = tiny("q8.gguf");
    options.quant = ModelQuant::Q8_0;
    const auto made = make_model(options);
    ASSERT_FALSE(made.is_error()) << made.error().message;

    const LlamaModelPtr model = load_model(options.out);
    ASSERT_TRUE(model);
    EXPECT_EQ(llama_model_ftype(model.get()), LLAMA_FTYPE_MOSTLY_Q8_0);
    EXPECT_EQ(llama_model_n_embd(model.get()), 64);
    EXPECT_NE(llama_model_chat_template(model.get(), nullptr), nullptr);
    // Only the output file remains: the f16 and quantized temporaries are gone.
    EXPECT_EQ(std::distance(fs::directory_iterator(m_dir), fs::directory_iterator()), 1);
}

TEST_F(ModelMakerTest, ReportsWritingProgressUpToTheFileSize) {
    MakeModelOptions options = tiny("progress.gguf");
    uint64_t last_done = 0;
    uint64_t total = 0;
    bool monotonic = true;
    options.on_progress = [&](const MakeModelProgress& progress) {
        ASSERT_EQ(progress.stage, MakeModelStage::Writing);
        monotonic = monotonic && progress.done >= last_done;
        last_done = progress.done;
        total = progress.total;
    };
    const auto made = make_model(options);
    ASSERT_FALSE(made.is_error()) << made.error().message;
    EXPECT_TRUE(monotonic);
    EXPECT_EQ(last_done, total);
    EXPECT_EQ(total, fs::file_size(options.out));
}

TEST(ModelMakerArguments, UnknownNamesAreErrors) {
    EXPECT_EQ(parse_model_preset("0.5b").value(), ModelPreset::HalfBillion);
    EXPECT_EQ(parse_model_preset("8b").value(), ModelPreset::EightBillion);
    EXPECT_EQ(parse_model_arch("llama").value(), ModelArch::Llama);
    EXPECT_EQ(parse_model_quant("q4_0").value(), ModelQuant::Q4_0);

    const auto preset = parse_model_preset("huge");
    ASSERT_TRUE(preset.is_error());
    EXPECT_NE(preset.error().message.find("'huge'"), std::string::npos);
    EXPECT_TRUE(parse_model_arch("gpt2").is_error());
    EXPECT_TRUE(parse_model_quant("q5_k").is_error());
    EXPECT_TRUE(parse_model_quant("").is_error());
}

// The 8b preset stands for the models people run on a GPU, so its size must be the real one:
// Llama 3.1 8B has 8,030,261,248 parameters with its 128,256-token vocabulary.
TEST(ModelShape, TheEightBillionPresetHasLlama31EightBsParameterCount) {
    const auto shape = os1::dev::detail::shape_for(ModelPreset::EightBillion, ModelArch::Llama, 128256);
    int64_t parameters = 0;
    for (const auto& tensor : os1::dev::detail::tensor_plan(shape))
        parameters += tensor.ne0 * tensor.ne1;
    EXPECT_EQ(parameters, 8030261248);
    EXPECT_EQ(shape.head_dim(), 128u);
}

TEST_F(ModelMakerTest, MissingVocabFileIsAnError) {
    MakeModelOptions options = tiny("no-vocab.gguf");
    options.vocab_dir = m_dir / "nowhere";
    const auto made = make_model(options);
    ASSERT_TRUE(made.is_error());
    EXPECT_NE(made.error().message.find("ggml-vocab-qwen2.gguf"), std::string::npos) << made.error().message;
    EXPECT_FALSE(fs::exists(options.out));
}

TEST_F(ModelMakerTest, VocabFileThatIsNotGgufIsAnError) {
    fs::create_directories(m_dir / "vocab");
    std::ofstream(m_dir / "vocab" / "ggml-vocab-qwen2.gguf") << "not a gguf file";
    MakeModelOptions options = tiny("bad-vocab.gguf");
    options.vocab_dir = m_dir / "vocab";
    const auto made = make_model(options);
    ASSERT_TRUE(made.is_error());
    EXPECT_NE(made.error().message.find("not a readable GGUF file"), std::string::npos) << made.error().message;
}

TEST_F(ModelMakerTest, UnwritableOutIsAnErrorAndLeavesNothingBehind) {
    // A path below a regular file cannot be created, even by root.
    std::ofstream(m_dir / "file") << "x";
    MakeModelOptions options = tiny("file/model.gguf");
    const auto made = make_model(options);
    ASSERT_TRUE(made.is_error());
    EXPECT_NE(made.error().message.find("file/model.gguf"), std::string::npos) << made.error().message;

    fs::create_directories(m_dir / "folder.gguf");
    const auto into_folder = make_model(tiny("folder.gguf"));
    ASSERT_TRUE(into_folder.is_error());
    EXPECT_NE(into_folder.error().message.find("is a folder"), std::string::npos) << into_folder.error().message;
    EXPECT_EQ(std::distance(fs::directory_iterator(m_dir), fs::directory_iterator()), 2);
}

TEST_F(ModelMakerTest, CreatesMissingParentFoldersAndReplacesAnOldFile) {
    const MakeModelOptions options = tiny("a/b/model.gguf");
    const auto first = make_model(options);
    ASSERT_FALSE(first.is_error()) << first.error().message;
    std::ofstream(options.out) << "old contents";
    const auto made = make_model(options);
    ASSERT_FALSE(made.is_error()) << made.error().message;
    EXPECT_GT(fs::file_size(options.out), 1000000u);
    EXPECT_EQ(std::distance(fs::directory_iterator(options.out.parent_path()), fs::directory_iterator()), 1);
}

}  // namespace
