// The GGUF embedder on generated random-weight models (a qwen2 chat model, mean-pooled because
// it has no pooling of its own), and dense recall through it end to end: the mechanics only
// (dimension, unit length, determinism, batching, provenance, fingerprints, errors), since
// random weights give vectors without meaning.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "llama.h"
#include "llm/embedder.h"
#include "memory/memory.h"
#include "memory/vectors.h"
#include "support/subprocess.h"
#include "support/temp-dir.h"

using namespace os1;
namespace fs = std::filesystem;

namespace {

fs::path model(const char* name) {
    return fs::path(OS1_TEST_MODELS_DIR) / name;
}

std::shared_ptr<llm::Embedder> open_tiny(const char* name = "tiny-qwen2-f16.gguf") {
    llm::EmbedderOptions options;
    options.model_path = model(name);
    options.threads = 1;  // two cores: more threads per test oversubscribe them
    auto embedder = llm::open_embedder(options);
    EXPECT_TRUE(embedder) << embedder.error().message;
    return embedder ? std::shared_ptr<llm::Embedder>(embedder.release_value()) : nullptr;
}

double norm(const std::vector<float>& v) {
    double sum = 0;
    for (float x : v)
        sum += double(x) * x;
    return std::sqrt(sum);
}

double cosine(const std::vector<float>& a, const std::vector<float>& b) {
    double dot = 0;
    for (size_t i = 0; i < a.size(); ++i)
        dot += double(a[i]) * b[i];
    return dot / (norm(a) * norm(b));
}

fs::path fresh_dir(const std::string& name) {
    return os1::test::unique_temp_dir("embedder-" + name);
}

const std::vector<std::string> texts = {
    "I adopted a small grey kitten last spring",          "My sister studies marine biology in Lisbon",
    "The bakery on the corner closed for good",           "I started learning the cello in September",
    "We argued about whether pineapple belongs on pizza",
};

}  // namespace

TEST(Embedder, GivesUnitVectorsOfTheModelsWidthWithAFingerprint) {
    auto embedder = open_tiny();
    ASSERT_TRUE(embedder);
    EXPECT_EQ(embedder->dimension(), 64);  // the tiny preset's n_embd
    const std::string& fingerprint = embedder->fingerprint();
    EXPECT_NE(fingerprint.find("tiny-qwen2-f16.gguf:"), std::string::npos) << fingerprint;
    EXPECT_NE(fingerprint.find(":64:mean"), std::string::npos) << fingerprint;  // no pooling of its own: mean
    auto vectors = embedder->embed(texts);
    ASSERT_TRUE(vectors) << vectors.error().message;
    ASSERT_EQ(vectors->size(), texts.size());
    for (const auto& v : vectors.value()) {
        ASSERT_EQ(v.size(), 64u);
        EXPECT_NEAR(norm(v), 1.0, 1e-5);
    }
    EXPECT_LT(cosine(vectors->at(0), vectors->at(1)), 0.999999);  // different texts, different vectors
}

TEST(Embedder, IsDeterministicAndBatchingDoesNotChangeTheVectors) {
    auto embedder = open_tiny();
    ASSERT_TRUE(embedder);
    auto first = embedder->embed({texts[2]}).release_value();
    auto again = embedder->embed({texts[2]}).release_value();
    EXPECT_EQ(first, again);  // bit for bit
    auto batched = embedder->embed(texts).release_value();
    // Decoded with other sequences, attention sums run over a longer (masked) cache, so the
    // float rounding may differ in the last bits, nothing more. On the CPU every product sums
    // in f32. On a CUDA GPU, llama.cpp multiplies f16 weights by a batch of several tokens
    // through cuBLAS summing in f16 (unit roundoff 4.9e-4), and by one token in f32, so there
    // the two differ in the fourth decimal (at most 2.0e-4 seen on an H200).
    const double tolerance = llama_supports_gpu_offload() ? 5e-4 : 1e-4;
    for (size_t i = 0; i < texts.size(); ++i) {
        auto alone = embedder->embed({texts[i]}).release_value().front();
        ASSERT_EQ(alone.size(), batched[i].size());
        for (size_t j = 0; j < alone.size(); ++j)
            EXPECT_NEAR(alone[j], batched[i][j], tolerance) << "text " << i << " value " << j;
        EXPECT_GT(cosine(alone, batched[i]), 0.99999);
    }
}

TEST(Embedder, DifferentModelsHaveDifferentFingerprints) {
    auto qwen = open_tiny("tiny-qwen2-f16.gguf");
    auto llama = open_tiny("tiny-llama-f16.gguf");
    ASSERT_TRUE(qwen && llama);
    EXPECT_NE(qwen->fingerprint(), llama->fingerprint());
}

TEST(Embedder, BadModelFilesGiveClearErrors) {
    fs::path dir = fresh_dir("bad");
    auto missing = llm::open_embedder({dir / "nope.gguf"});
    ASSERT_TRUE(missing.is_error());
    EXPECT_NE(missing.error().message.find("nope.gguf"), std::string::npos) << missing.error().message;

    fs::path garbage = dir / "garbage.gguf";
    std::ofstream(garbage) << "this is not a model at all, just some text";
    auto foreign = llm::open_embedder({garbage});
    ASSERT_TRUE(foreign.is_error());
    EXPECT_NE(foreign.error().message.find("garbage.gguf"), std::string::npos) << foreign.error().message;

    // A real model cut in half: the header parses, the tensor data is not all there.
    fs::path truncated = dir / "truncated.gguf";
    fs::copy_file(model("tiny-qwen2-f16.gguf"), truncated);
    fs::resize_file(truncated, fs::file_size(truncated) / 2);
    auto cut = llm::open_embedder({truncated});
    ASSERT_TRUE(cut.is_error());
    EXPECT_NE(cut.error().message.find("truncated.gguf"), std::string::npos) << cut.error().message;
}

TEST(EmbedderRecall, StoredVectorsMatchTheModelAndAnExactTextComesFirst) {
    auto embedder = open_tiny();
    ASSERT_TRUE(embedder);
    fs::path dir = fresh_dir("recall");
    auto store = memory::MemoryStore::open(dir).release_value();
    std::vector<memory::EpisodeInput> turns;
    for (size_t i = 0; i < texts.size(); ++i) {
        std::string id = "t";
        id += std::to_string(i);
        turns.push_back({id, "c", "Sam", "user", int64_t(1714730400 + 60 * i), texts[i]});
    }
    ASSERT_TRUE(store.set_embedder(embedder));
    auto ids = store.import_episodes(turns);
    ASSERT_TRUE(ids) << ids.error().message;
    EXPECT_EQ(store.count_missing_vectors().value(), 0u);

    // The index sees what the store wrote, under this model's fingerprint, and a text's own
    // vector is its nearest neighbour with cosine 1.
    memory::detail::VectorIndex index(embedder->fingerprint(), embedder->dimension());
    ASSERT_TRUE(index.refresh(store.database()));
    EXPECT_EQ(index.size(), texts.size());
    for (size_t i = 0; i < texts.size(); ++i) {
        auto query = embedder->embed({texts[i]}).release_value();
        auto nearest = index.nearest(query.front(), 3, std::nullopt);
        ASSERT_FALSE(nearest.empty());
        EXPECT_EQ(nearest.front().id, ids.value()[i]);
        EXPECT_NEAR(nearest.front().cosine, 1.0, 1e-4);
    }

    memory::SearchOptions options;
    options.now = 1714730400 + 3600;
    options.neighbours = 0;
    auto hits = store.search(texts[3], options);
    ASSERT_TRUE(hits) << hits.error().message;
    ASSERT_FALSE(hits->empty());
    EXPECT_EQ(hits->front().id, ids.value()[3]);
    EXPECT_EQ(hits->front().source_turns, std::vector<std::string>{"t3"});
}

TEST(EmbedderCli, ImportEmbedSearchAndAClearErrorForACorruptModel) {
    fs::path home = fresh_dir("cli");
    const std::string binary = OS1_BINARY;
    const std::string qwen = model("tiny-qwen2-f16.gguf").string();
    const std::string llama = model("tiny-llama-f16.gguf").string();
    fs::path file = home / "chat.jsonl";
    {
        std::ofstream out(file);
        const char* times[] = {"2024-05-03T10:00:00Z", "2024-05-03T10:01:00Z", "2024-05-03T10:02:00Z",
                               "2024-05-03T10:03:00Z", "2024-05-03T10:04:00Z"};
        const char* ids[] = {"t0", "t1", "t2", "t3", "t4"};
        for (size_t i = 0; i < texts.size(); ++i)
            out << nlohmann::json({{"id", ids[i]},
                                   {"conversation", "c"},
                                   {"speaker", "Sam"},
                                   {"role", "user"},
                                   {"time", times[i]},
                                   {"text", texts[i]}})
                       .dump()
                << "\n";
    }
    // Imported without a model: no vectors yet.
    auto imported = test::run_process({binary, "--home", home.string(), "memory", "import", file.string(), "--json"});
    ASSERT_EQ(imported.exit_code, 0) << imported.err;

    // The backfill embeds all five, then none.
    auto embedded =
        test::run_process({binary, "--home", home.string(), "memory", "embed", "--embedding-model", qwen, "--json"});
    ASSERT_EQ(embedded.exit_code, 0) << embedded.err;
    EXPECT_EQ(nlohmann::json::parse(embedded.out)["embedded"], 5);
    auto again =
        test::run_process({binary, "--home", home.string(), "memory", "embed", "--embedding-model", qwen, "--json"});
    ASSERT_EQ(again.exit_code, 0) << again.err;
    EXPECT_EQ(nlohmann::json::parse(again.out)["embedded"], 0);

    auto search = test::run_process({binary, "--home", home.string(), "memory", "search", texts[1], "--embedding-model",
                                     qwen, "--json", "--at", "2024-05-04T00:00:00Z"});
    ASSERT_EQ(search.exit_code, 0) << search.err;
    auto hits = nlohmann::json::parse(search.out)["hits"];
    ASSERT_FALSE(hits.empty());
    EXPECT_EQ(hits[0]["text"], texts[1]);

    // Another model has no vectors here yet: the search says how to fix that.
    auto other = test::run_process({binary, "--home", home.string(), "memory", "search", "kitten", "--embedding-model",
                                    llama, "--at", "2024-05-04T00:00:00Z"});
    ASSERT_EQ(other.exit_code, 0) << other.err;
    EXPECT_NE(other.err.find("5 memories have no vector from this model"), std::string::npos) << other.err;
    EXPECT_NE(other.err.find("os1 memory embed"), std::string::npos) << other.err;

    fs::path corrupt = home / "corrupt.gguf";
    std::ofstream(corrupt) << "GGUF but not really";
    auto bad = test::run_process(
        {binary, "--home", home.string(), "memory", "search", "kitten", "--embedding-model", corrupt.string()});
    EXPECT_EQ(bad.exit_code, 1);
    EXPECT_NE(bad.err.find("corrupt.gguf"), std::string::npos) << bad.err;
}

// llama.cpp logs hundreds of lines while it loads a model. As with the chat model, they are
// shown with -v only: without it, a command that loads --embedding-model says only its own words.
TEST(EmbedderCli, LlamaCppsLogIsShownOnlyWithVerbose) {
    fs::path home = fresh_dir("cli-quiet");
    const std::string binary = OS1_BINARY;
    const std::string qwen = model("tiny-qwen2-f16.gguf").string();
    fs::path file = home / "chat.jsonl";
    std::ofstream(file) << nlohmann::json({{"id", "t0"},
                                           {"conversation", "c"},
                                           {"role", "user"},
                                           {"time", "2024-05-03T10:00:00Z"},
                                           {"text", texts[0]}})
                               .dump()
                        << "\n";
    const std::vector<std::vector<std::string>> commands = {
        {"memory", "import", file.string(), "--embedding-model", qwen, "--json"},
        {"memory", "embed", "--embedding-model", qwen, "--json"},
        {"memory", "search", "kitten", "--embedding-model", qwen, "--json"},
    };
    for (const std::vector<std::string>& command : commands) {
        std::vector<std::string> quiet = {binary, "--home", home.string()};
        quiet.insert(quiet.end(), command.begin(), command.end());
        auto result = test::run_process(quiet);
        EXPECT_EQ(result.exit_code, 0) << command[1] << ": " << result.err;
        EXPECT_EQ(result.err, "") << command[1];

        std::vector<std::string> verbose = {binary, "--home", home.string(), "-v"};
        verbose.insert(verbose.end(), command.begin(), command.end());
        result = test::run_process(verbose);
        EXPECT_EQ(result.exit_code, 0) << command[1] << ": " << result.err;
        EXPECT_NE(result.err.find("llama_model_loader"), std::string::npos) << command[1];
    }
}
