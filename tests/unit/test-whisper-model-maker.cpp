// os1 dev make-whisper-model: the files parse as whisper.cpp's loader reads them, with the
// preset's header, whisper's mel filterbank, GPT-2's tokens as raw bytes and exactly the tensors
// the loader creates; they are reproducible from the seed, and bad arguments are reported as
// errors, by the library and by the os1 command.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "dev/whisper-model-maker.h"
#include "ggml.h"
#include "support/subprocess.h"
#include "support/temp-dir.h"

namespace fs = std::filesystem;
using namespace os1;
using namespace os1::dev;

namespace {

const fs::path vocab_dir = fs::path(OS1_LLAMA_SOURCE) / "models";

constexpr uint32_t ggml_magic = 0x67676d6c;
constexpr int32_t f32 = 0;  // whisper.cpp's ttype values: ggml_type
constexpr int32_t f16 = 1;

std::string read_bytes(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

struct ParsedTensor {
    int32_t ttype = -1;
    std::vector<int32_t> ne;
    size_t offset = 0;  // of the data
    size_t bytes = 0;
};

struct ParsedModel {
    uint32_t magic = 0;
    std::array<int32_t, 11> hparams{};  // n_vocab ... ftype, in file order
    int32_t n_mel = 0;
    int32_t n_fft = 0;
    std::vector<float> filters;  // n_mel rows of n_fft
    std::vector<std::string> vocab;
    std::map<std::string, ParsedTensor> tensors;
    std::vector<std::string> duplicates;
    size_t end = 0;     // where parsing stopped: the file's size when every section is whole
    std::string error;  // empty when it parsed to the end
};

// Reads the file the way whisper_model_load does, but checks every length against the file.
class Parser {
public:
    explicit Parser(const std::string& bytes) : m_bytes(bytes) {}

    ParsedModel parse() {
        ParsedModel model;
        model.magic = read<uint32_t>();
        for (int32_t& value : model.hparams)
            value = read<int32_t>();
        model.n_mel = read<int32_t>();
        model.n_fft = read<int32_t>();
        if (m_ok && model.n_mel > 0 && model.n_fft > 0) {
            model.filters.resize(size_t(model.n_mel) * size_t(model.n_fft));
            copy(model.filters.data(), model.filters.size() * sizeof(float));
        }
        const auto n_vocab = read<int32_t>();
        for (int32_t i = 0; m_ok && i < n_vocab; ++i)
            model.vocab.push_back(take(read<uint32_t>()));
        while (m_ok && m_at < m_bytes.size()) {
            const auto n_dims = read<int32_t>();
            const auto name_length = read<int32_t>();
            ParsedTensor tensor;
            tensor.ttype = read<int32_t>();
            size_t count = 1;
            for (int32_t d = 0; d < n_dims && m_ok; ++d) {
                tensor.ne.push_back(read<int32_t>());
                count *= size_t(std::max(tensor.ne.back(), 0));
            }
            const std::string name = take(uint32_t(std::max(name_length, 0)));
            if (tensor.ttype != f32 && tensor.ttype != f16)
                fail("tensor " + name + " has type " + std::to_string(tensor.ttype));
            tensor.offset = m_at;
            tensor.bytes = count * (tensor.ttype == f32 ? 4 : 2);
            skip(tensor.bytes);
            if (!m_ok)
                break;
            if (!model.tensors.emplace(name, tensor).second)
                model.duplicates.push_back(name);
        }
        model.end = m_at;
        model.error = m_error;
        return model;
    }

private:
    void fail(const std::string& why) {
        if (m_ok)
            m_error = why + " at byte " + std::to_string(m_at);
        m_ok = false;
    }

    void copy(void* out, size_t size) {
        if (!m_ok || m_bytes.size() - m_at < size)
            return fail("file ends early");
        std::memcpy(out, m_bytes.data() + m_at, size);
        m_at += size;
    }

    void skip(size_t size) {
        if (!m_ok || m_bytes.size() - m_at < size)
            return fail("file ends early");
        m_at += size;
    }

    template <typename T>
    T read() {
        T value{};
        copy(&value, sizeof(value));
        return value;
    }

    std::string take(uint32_t size) {
        std::string text(size, '\0');
        copy(text.data(), size);
        return m_ok ? text : std::string();
    }

    const std::string& m_bytes;
    size_t m_at = 0;
    bool m_ok = true;
    std::string m_error;
};

ParsedModel parse_file(const fs::path& path) { return Parser(read_bytes(path)).parse(); }

struct ExpectedTensor {
    int32_t ttype;
    std::vector<int32_t> ne;
    bool operator==(const ExpectedTensor&) const = default;
};

// What whisper.cpp 1.9.1's whisper_model_load creates for an f16 model (ftype 1), written out
// from its source: name, the type its size check accepts, and ne[0..].
std::map<std::string, ExpectedTensor> loader_tensors(int32_t state, int32_t layers, int32_t n_mels, int32_t audio_ctx,
                                                     int32_t text_ctx, int32_t n_vocab) {
    std::map<std::string, ExpectedTensor> expected = {
        {"encoder.positional_embedding", {f32, {state, audio_ctx}}},
        {"encoder.conv1.weight", {f16, {3, n_mels, state}}},
        {"encoder.conv1.bias", {f32, {1, state}}},
        {"encoder.conv2.weight", {f16, {3, state, state}}},
        {"encoder.conv2.bias", {f32, {1, state}}},
        {"encoder.ln_post.weight", {f32, {state}}},
        {"encoder.ln_post.bias", {f32, {state}}},
        {"decoder.positional_embedding", {f32, {state, text_ctx}}},
        {"decoder.token_embedding.weight", {f16, {state, n_vocab}}},
        {"decoder.ln.weight", {f32, {state}}},
        {"decoder.ln.bias", {f32, {state}}},
    };
    const std::map<std::string, ExpectedTensor> block = {
        {"mlp_ln.weight", {f32, {state}}},
        {"mlp_ln.bias", {f32, {state}}},
        {"mlp.0.weight", {f16, {state, 4 * state}}},
        {"mlp.0.bias", {f32, {4 * state}}},
        {"mlp.2.weight", {f16, {4 * state, state}}},
        {"mlp.2.bias", {f32, {state}}},
    };
    const std::map<std::string, ExpectedTensor> attention = {
        {"_ln.weight", {f32, {state}}},          {"_ln.bias", {f32, {state}}},
        {".query.weight", {f16, {state, state}}}, {".query.bias", {f32, {state}}},
        {".key.weight", {f16, {state, state}}},   {".value.weight", {f16, {state, state}}},
        {".value.bias", {f32, {state}}},          {".out.weight", {f16, {state, state}}},
        {".out.bias", {f32, {state}}},
    };
    for (int32_t i = 0; i < layers; ++i) {
        for (const std::string side : {"encoder", "decoder"}) {
            const std::string prefix = side + ".blocks." + std::to_string(i) + ".";
            for (const auto& [name, tensor] : block)
                expected[prefix + name] = tensor;
            for (const auto& [name, tensor] : attention) {
                expected[prefix + "attn" + name] = tensor;
                if (side == "decoder")
                    expected[prefix + "cross_attn" + name] = tensor;
            }
        }
    }
    return expected;
}

std::vector<float> tensor_values(const std::string& bytes, const ParsedTensor& tensor) {
    std::vector<float> values;
    const size_t size = tensor.ttype == f32 ? 4 : 2;
    for (size_t at = tensor.offset; at < tensor.offset + tensor.bytes; at += size) {
        if (tensor.ttype == f32) {
            float value;
            std::memcpy(&value, bytes.data() + at, 4);
            values.push_back(value);
        } else {
            ggml_fp16_t half;
            std::memcpy(&half, bytes.data() + at, 2);
            values.push_back(ggml_fp16_to_fp32(half));
        }
    }
    return values;
}

// Slaney's mel scale, as librosa defines it.
double slaney_mel(double hz) { return hz < 1000 ? hz * 3 / 200 : 15 + 27 * std::log(hz / 1000) / std::log(6.4); }
double slaney_hz(double mel) { return mel < 15 ? mel * 200 / 3 : 1000 * std::pow(6.4, (mel - 15) / 27); }

class WhisperModelMakerTest : public ::testing::Test {
protected:
    void SetUp() override {
        m_dir = os1::test::unique_temp_dir("whisper-model-maker");
        ASSERT_FALSE(m_dir.empty());
    }
    void TearDown() override { fs::remove_all(m_dir); }

    MakeWhisperModelOptions options(const std::string& file, WhisperPreset preset = WhisperPreset::Test) const {
        MakeWhisperModelOptions options;
        options.preset = preset;
        options.seed = 42;
        options.out = m_dir / file;
        options.vocab_dir = vocab_dir;
        return options;
    }

    // The test preset, made once per test.
    const fs::path& test_model() {
        if (m_test_model.empty()) {
            const MakeWhisperModelOptions made_with = options("test.bin");
            const auto made = make_whisper_model(made_with);
            EXPECT_FALSE(made.is_error()) << made.error().message;
            m_test_model = made_with.out;
        }
        return m_test_model;
    }

    fs::path m_dir;
    fs::path m_test_model;
};

TEST_F(WhisperModelMakerTest, TestPresetHasItsHeader) {
    const ParsedModel model = parse_file(test_model());
    ASSERT_EQ(model.error, "");
    EXPECT_EQ(model.magic, ggml_magic);
    // n_vocab, n_audio_ctx, n_audio_state, n_audio_head, n_audio_layer, n_text_ctx,
    // n_text_state, n_text_head, n_text_layer, n_mels, ftype
    const std::array<int32_t, 11> expected = {51864, 1500, 64, 2, 1, 448, 64, 2, 1, 80, 1};
    EXPECT_EQ(model.hparams, expected);
}

TEST_F(WhisperModelMakerTest, FilterbankIsWhispersSlaneyMelFilterbank) {
    const ParsedModel model = parse_file(test_model());
    ASSERT_EQ(model.error, "");
    ASSERT_EQ(model.n_mel, 80);
    ASSERT_EQ(model.n_fft, 201);
    ASSERT_EQ(model.filters.size(), 80u * 201u);
    const auto at = [&](int32_t mel, int32_t bin) { return model.filters[size_t(mel) * 201 + size_t(bin)]; };

    int32_t previous_peak = -1;
    for (int32_t mel = 0; mel < 80; ++mel) {
        const float* row = &model.filters[size_t(mel) * 201];
        EXPECT_TRUE(std::all_of(row, row + 201, [](float w) { return w >= 0; })) << "row " << mel;
        const auto peak = int32_t(std::max_element(row, row + 201) - row);
        EXPECT_GT(row[peak], 0.0f) << "row " << mel;
        EXPECT_GE(peak, previous_peak) << "row " << mel;
        previous_peak = peak;
    }
    EXPECT_GT(previous_peak, 180);  // the last filter sits just below 8 kHz (bin 200)

    // From the formula: 82 edges evenly spaced in Slaney mels from 0 Hz to 8 kHz; bin k is at
    // 40 k Hz; a filter's weight is its triangle times 2 / (its right edge - its left edge).
    const auto edge = [](int32_t i) { return slaney_hz(slaney_mel(8000) * i / 81); };
    const auto formula = [&](int32_t mel, int32_t bin) {
        const double hz = 40.0 * bin;
        const double up = (hz - edge(mel)) / (edge(mel + 1) - edge(mel));
        const double down = (edge(mel + 2) - hz) / (edge(mel + 2) - edge(mel + 1));
        return std::max(0.0, std::min(up, down)) * 2 / (edge(mel + 2) - edge(mel));
    };
    for (const auto& [mel, bin] : {std::pair{0, 1}, {1, 2}, {20, 20}, {40, 43}, {79, 190}}) {
        EXPECT_GT(formula(mel, bin), 0);
        EXPECT_NEAR(at(mel, bin), formula(mel, bin), 1e-8) << mel << ", " << bin;
    }

    // Entries of librosa.filters.mel(sr=16000, n_fft=400, n_mels=80), the source of whisper's
    // assets/mel_filters.npz.
    EXPECT_FLOAT_EQ(at(0, 1), 0.02486259490251541f);
    EXPECT_FLOAT_EQ(at(1, 1), 0.001990821911022067f);
    EXPECT_FLOAT_EQ(at(1, 2), 0.022871771827340126f);
    EXPECT_FLOAT_EQ(at(9, 10), 0.006945197004824877f);
    EXPECT_FLOAT_EQ(at(69, 131), 0.00487553421407938f);
    EXPECT_FLOAT_EQ(at(79, 199), 0.0004487590049393475f);
    EXPECT_EQ(at(0, 0), 0.0f);
    EXPECT_EQ(at(0, 2), 0.0f);
}

TEST_F(WhisperModelMakerTest, VocabIsGpt2sTokensAsRawBytes) {
    const ParsedModel model = parse_file(test_model());
    ASSERT_EQ(model.error, "");
    ASSERT_EQ(model.vocab.size(), 50257u);
    EXPECT_EQ(model.vocab[0], "!");
    EXPECT_EQ(model.vocab[198], "\n");  // stored as "Ċ" in GPT-2's vocab
    EXPECT_EQ(model.vocab[220], " ");   // "Ġ"
    EXPECT_EQ(model.vocab[262], " the");
    EXPECT_EQ(model.vocab[628], "\n\n");
    EXPECT_EQ(model.vocab[2634], "\xc3\xa9");  // "é" as UTF-8, which GPT-2 stores as "Ã©"
    EXPECT_EQ(model.vocab[40304], " caf\xc3\xa9");
    EXPECT_EQ(model.vocab[50256], "<|endoftext|>");

    // The first 256 tokens are the 256 bytes, once each; 221 is DEL, 255 the soft hyphen.
    std::set<unsigned char> bytes;
    for (size_t id = 0; id < 256; ++id) {
        ASSERT_EQ(model.vocab[id].size(), 1u) << "token " << id;
        bytes.insert(static_cast<unsigned char>(model.vocab[id][0]));
    }
    EXPECT_EQ(bytes.size(), 256u);
    EXPECT_EQ(model.vocab[221], "\x7f");
    EXPECT_EQ(model.vocab[255], "\xad");
}

TEST_F(WhisperModelMakerTest, TensorsAreExactlyTheLoadersAndFillTheFile) {
    const fs::path path = test_model();
    const ParsedModel model = parse_file(path);
    ASSERT_EQ(model.error, "");
    EXPECT_TRUE(model.duplicates.empty()) << model.duplicates.front();
    EXPECT_EQ(model.end, fs::file_size(path));

    const auto expected = loader_tensors(64, 1, 80, 1500, 448, 51864);
    EXPECT_EQ(model.tensors.size(), expected.size());
    EXPECT_EQ(expected.size(), 7 + 4 + 15 + 24u);  // encoder, decoder, one encoder block, one decoder block
    for (const auto& [name, tensor] : expected) {
        const auto found = model.tensors.find(name);
        ASSERT_NE(found, model.tensors.end()) << name;
        EXPECT_EQ((ExpectedTensor{found->second.ttype, found->second.ne}), tensor) << name;
    }
    for (const auto& [name, tensor] : model.tensors)
        EXPECT_TRUE(expected.contains(name)) << "unexpected tensor " << name;

    // Header, filters, vocab (a count, then a length and the bytes of each token), then each
    // tensor's 12-byte header, shape, name and data, and nothing else.
    size_t size = 4 + 11 * 4 + 8 + 80 * 201 * 4 + 4;
    for (const std::string& token : model.vocab)
        size += 4 + token.size();
    for (const auto& [name, tensor] : model.tensors)
        size += 12 + 4 * tensor.ne.size() + name.size() + tensor.bytes;
    EXPECT_EQ(size, fs::file_size(path));
}

TEST_F(WhisperModelMakerTest, WeightsAreSmallRandomNormsAreIdentity) {
    const std::string bytes = read_bytes(test_model());
    const ParsedModel model = Parser(bytes).parse();
    ASSERT_EQ(model.error, "");

    const auto values = [&](const std::string& name) { return tensor_values(bytes, model.tensors.at(name)); };
    for (const std::string name : {"encoder.blocks.0.attn.query.weight", "decoder.token_embedding.weight",
                                   "encoder.conv1.weight", "decoder.positional_embedding"}) {
        const std::vector<float> v = values(name);
        double sum = 0, squares = 0;
        for (const float x : v) {
            ASSERT_TRUE(std::isfinite(x)) << name;
            sum += x;
            squares += double(x) * x;
        }
        const double mean = sum / double(v.size());
        const double stddev = std::sqrt(squares / double(v.size()) - mean * mean);
        EXPECT_NEAR(mean, 0, 0.002) << name;
        EXPECT_NEAR(stddev, 0.02, 0.002) << name;
    }
    // Each tensor has a random stream of its own, so same-shaped tensors are not copies.
    EXPECT_NE(values("encoder.blocks.0.attn.query.weight"), values("encoder.blocks.0.attn.key.weight"));
    EXPECT_NE(values("decoder.blocks.0.attn.out.weight"), values("decoder.blocks.0.cross_attn.out.weight"));
    for (const std::string name : {"encoder.ln_post.weight", "decoder.blocks.0.cross_attn_ln.weight"}) {
        const std::vector<float> v = values(name);
        EXPECT_TRUE(std::all_of(v.begin(), v.end(), [](float x) { return x == 1; })) << name;
    }
    for (const std::string name : {"encoder.ln_post.bias", "decoder.blocks.0.mlp_ln.bias"}) {
        const std::vector<float> v = values(name);
        EXPECT_TRUE(std::all_of(v.begin(), v.end(), [](float x) { return x == 0; })) << name;
    }
    // Whisper's fixed encoder embedding: position 0 is sin(0) = 0 then cos(0) = 1; position 1
    // starts with sin(1) and its sines end with sin(1 / 10000).
    const std::vector<float> positions = values("encoder.positional_embedding");
    EXPECT_EQ(positions[0], 0.0f);
    EXPECT_EQ(positions[31], 0.0f);
    EXPECT_EQ(positions[32], 1.0f);
    EXPECT_EQ(positions[63], 1.0f);
    EXPECT_FLOAT_EQ(positions[64], std::sin(1.0f));
    EXPECT_FLOAT_EQ(positions[64 + 31], std::sin(1e-4f));
    EXPECT_FLOAT_EQ(positions[127], std::cos(1e-4f));
}

TEST_F(WhisperModelMakerTest, TinyEnHasWhisperTinyEnsShapeAndParameterCount) {
    const MakeWhisperModelOptions made_with = options("tiny.en.bin", WhisperPreset::TinyEn);
    const auto made = make_whisper_model(made_with);
    ASSERT_FALSE(made.is_error()) << made.error().message;
    const ParsedModel model = parse_file(made_with.out);
    ASSERT_EQ(model.error, "");
    const std::array<int32_t, 11> expected = {51864, 1500, 384, 6, 4, 448, 384, 6, 4, 80, 1};
    EXPECT_EQ(model.hparams, expected);
    EXPECT_EQ(model.end, fs::file_size(made_with.out));

    const auto tensors = loader_tensors(384, 4, 80, 1500, 448, 51864);
    ASSERT_EQ(model.tensors.size(), tensors.size());
    int64_t parameters = 0;
    for (const auto& [name, tensor] : model.tensors) {
        ASSERT_TRUE(tensors.contains(name)) << name;
        EXPECT_EQ((ExpectedTensor{tensor.ttype, tensor.ne}), tensors.at(name)) << name;
        // PyTorch counts the encoder's sinusoids as a buffer, not a parameter.
        if (name != "encoder.positional_embedding")
            parameters += int64_t(tensor.bytes / (tensor.ttype == f32 ? 4 : 2));
    }
    EXPECT_EQ(parameters, 37184256);  // sum(p.numel() for p in whisper.load_model("tiny.en").parameters())
}

TEST(WhisperHparams, PresetsHaveTheRealModelsDimensions) {
    const WhisperHparams base = whisper_hparams_for(WhisperPreset::BaseEn);
    EXPECT_EQ(base.n_vocab, 51864);
    EXPECT_EQ(base.n_audio_ctx, 1500);
    EXPECT_EQ(base.n_text_ctx, 448);
    EXPECT_EQ(base.n_audio_state, 512);
    EXPECT_EQ(base.n_text_state, 512);
    EXPECT_EQ(base.n_audio_head, 8);
    EXPECT_EQ(base.n_text_head, 8);
    EXPECT_EQ(base.n_audio_layer, 6);
    EXPECT_EQ(base.n_text_layer, 6);
    EXPECT_EQ(base.n_mels, 80);
    EXPECT_EQ(base.ftype, 1);
    EXPECT_EQ(whisper_hparams_for(WhisperPreset::TinyEn).n_audio_head, 6);
}

TEST_F(WhisperModelMakerTest, SameSeedGivesIdenticalBytesAnotherSeedDiffers) {
    MakeWhisperModelOptions first = options("a.bin");
    MakeWhisperModelOptions second = options("b.bin");
    MakeWhisperModelOptions other = options("c.bin");
    other.seed = 43;
    for (const auto* made_with : {&first, &second, &other}) {
        const auto made = make_whisper_model(*made_with);
        ASSERT_FALSE(made.is_error()) << made.error().message;
    }
    const std::string a = read_bytes(first.out);
    ASSERT_GT(a.size(), 1000000u);
    EXPECT_TRUE(a == read_bytes(second.out));
    const std::string c = read_bytes(other.out);
    ASSERT_EQ(a.size(), c.size());
    EXPECT_FALSE(a == c);
    // Only the weights differ: the header, filters and vocab do not depend on the seed.
    const ParsedModel model = Parser(a).parse();
    const size_t weights_start = model.tensors.at("encoder.positional_embedding").offset;
    EXPECT_EQ(a.substr(0, weights_start), c.substr(0, weights_start));
}

TEST_F(WhisperModelMakerTest, MissingVocabFileIsAnErrorThatNamesTheRemedy) {
    MakeWhisperModelOptions made_with = options("no-vocab.bin");
    made_with.vocab_dir = m_dir / "nowhere";
    const auto made = make_whisper_model(made_with);
    ASSERT_TRUE(made.is_error());
    EXPECT_NE(made.error().message.find("ggml-vocab-gpt-2.gguf"), std::string::npos) << made.error().message;
    EXPECT_NE(made.error().message.find("--vocab-dir"), std::string::npos) << made.error().message;
    EXPECT_FALSE(fs::exists(made_with.out));
}

TEST_F(WhisperModelMakerTest, VocabThatIsNotGpt2sIsAnError) {
    fs::create_directories(m_dir / "qwen");
    fs::copy_file(vocab_dir / "ggml-vocab-qwen2.gguf", m_dir / "qwen" / "ggml-vocab-gpt-2.gguf");
    MakeWhisperModelOptions made_with = options("qwen.bin");
    made_with.vocab_dir = m_dir / "qwen";
    const auto made = make_whisper_model(made_with);
    ASSERT_TRUE(made.is_error());
    EXPECT_NE(made.error().message.find("not GPT-2's vocab"), std::string::npos) << made.error().message;

    fs::create_directories(m_dir / "text");
    std::ofstream(m_dir / "text" / "ggml-vocab-gpt-2.gguf") << "not a gguf file";
    made_with.vocab_dir = m_dir / "text";
    const auto garbage = make_whisper_model(made_with);
    ASSERT_TRUE(garbage.is_error());
    EXPECT_NE(garbage.error().message.find("not a readable GGUF file"), std::string::npos) << garbage.error().message;
    EXPECT_FALSE(fs::exists(made_with.out));
}

TEST_F(WhisperModelMakerTest, UnwritableOutIsAnErrorAndLeavesNothingBehind) {
    std::ofstream(m_dir / "file") << "x";
    const auto below_file = make_whisper_model(options("file/model.bin"));
    ASSERT_TRUE(below_file.is_error());
    EXPECT_NE(below_file.error().message.find("file/model.bin"), std::string::npos) << below_file.error().message;

    fs::create_directories(m_dir / "folder.bin");
    const auto into_folder = make_whisper_model(options("folder.bin"));
    ASSERT_TRUE(into_folder.is_error());
    EXPECT_NE(into_folder.error().message.find("is a folder"), std::string::npos) << into_folder.error().message;
    EXPECT_EQ(std::distance(fs::directory_iterator(m_dir), fs::directory_iterator()), 2);
}

TEST_F(WhisperModelMakerTest, CreatesMissingParentFoldersAndReplacesAnOldFile) {
    const MakeWhisperModelOptions made_with = options("a/b/model.bin");
    fs::create_directories(made_with.out.parent_path());
    std::ofstream(made_with.out) << "old contents";
    const auto made = make_whisper_model(made_with);
    ASSERT_FALSE(made.is_error()) << made.error().message;
    EXPECT_EQ(parse_file(made_with.out).error, "");
    EXPECT_EQ(std::distance(fs::directory_iterator(made_with.out.parent_path()), fs::directory_iterator()), 1);

    const auto fresh = make_whisper_model(options("c/d/model.bin"));
    ASSERT_FALSE(fresh.is_error()) << fresh.error().message;
    EXPECT_TRUE(fs::is_regular_file(m_dir / "c" / "d" / "model.bin"));
}

TEST(WhisperModelMakerArguments, PresetNames) {
    EXPECT_EQ(parse_whisper_preset("test").value(), WhisperPreset::Test);
    EXPECT_EQ(parse_whisper_preset("tiny.en").value(), WhisperPreset::TinyEn);
    EXPECT_EQ(parse_whisper_preset("base.en").value(), WhisperPreset::BaseEn);
    for (const WhisperPreset preset : {WhisperPreset::Test, WhisperPreset::TinyEn, WhisperPreset::BaseEn})
        EXPECT_EQ(parse_whisper_preset(to_string(preset)).value(), preset);
    const auto unknown = parse_whisper_preset("tiny");
    ASSERT_TRUE(unknown.is_error());
    EXPECT_NE(unknown.error().message.find("'tiny'"), std::string::npos);
}

// Through the os1 binary: it writes the file and says so, and its errors say what to do.
TEST_F(WhisperModelMakerTest, CommandWritesTheModelAndReportsErrors) {
    const fs::path out = m_dir / "cli.bin";
    const auto made = os1::test::run_process({OS1_BINARY, "dev", "make-whisper-model", "--preset", "test", "--seed",
                                              "42", "--out", out.string(), "--vocab-dir", vocab_dir.string()});
    ASSERT_EQ(made.exit_code, 0) << made.err;
    EXPECT_NE(made.err.find("wrote " + out.string()), std::string::npos) << made.err;
    EXPECT_TRUE(read_bytes(out) == read_bytes(test_model()));

    const auto no_vocab = os1::test::run_process({OS1_BINARY, "dev", "make-whisper-model", "--preset", "test", "--seed",
                                                  "1", "--out", (m_dir / "x.bin").string(), "--vocab-dir",
                                                  (m_dir / "nowhere").string()});
    EXPECT_EQ(no_vocab.exit_code, 1);
    EXPECT_NE(no_vocab.err.find("ggml-vocab-gpt-2.gguf: vocab file not found (give --vocab-dir"), std::string::npos)
        << no_vocab.err;
    EXPECT_FALSE(fs::exists(m_dir / "x.bin"));

    const auto bad_preset = os1::test::run_process(
        {OS1_BINARY, "dev", "make-whisper-model", "--preset", "large", "--seed", "1", "--out", out.string()});
    EXPECT_EQ(bad_preset.exit_code, 2);
    EXPECT_NE(bad_preset.err.find("unknown whisper preset 'large'"), std::string::npos) << bad_preset.err;

    const auto help = os1::test::run_process({OS1_BINARY, "dev", "make-whisper-model", "--help"});
    EXPECT_EQ(help.exit_code, 0);
    EXPECT_NE(help.out.find("--vocab-dir"), std::string::npos) << help.out;
}

}  // namespace
