// Dense vectors in long-term memory, without a model: an embedder that returns hand-made
// vectors lets each test decide exactly which memories are near a query, so storage,
// provenance, fingerprints, backfill and the fusion with BM25 are checked at the seam.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <map>

#include "llm/embedder.h"
#include "memory/memory.h"
#include "memory/synthetic-embedder.h"
#include "memory/vectors.h"
#include "support/temp-dir.h"

using namespace os1;
using namespace os1::memory;
namespace fs = std::filesystem;

namespace {

// Maps known texts to given vectors (normalised); any other text gets `fallback`.
class HandMadeEmbedder final : public llm::Embedder {
public:
    HandMadeEmbedder(std::string fingerprint, std::map<std::string, std::vector<float>> vectors,
                     std::vector<float> fallback)
        : m_fingerprint(std::move(fingerprint)), m_vectors(std::move(vectors)), m_fallback(std::move(fallback)) {}

    ErrorOr<std::vector<std::vector<float>>> embed(const std::vector<std::string>& texts) override {
        if (m_fail)
            return make_error("embedding: the model is gone");
        std::vector<std::vector<float>> out;
        for (const std::string& text : texts) {
            embedded.push_back(text);
            auto it = m_vectors.find(text);
            std::vector<float> v = it == m_vectors.end() ? m_fallback : it->second;
            llm::normalize_l2(v);
            out.push_back(std::move(v));
        }
        return out;
    }
    int32_t dimension() const override { return int32_t(m_fallback.size()); }
    const std::string& fingerprint() const override { return m_fingerprint; }

    void set_failing(bool fail) { m_fail = fail; }
    std::vector<std::string> embedded;  // every text asked for, in order

private:
    std::string m_fingerprint;
    std::map<std::string, std::vector<float>> m_vectors;
    std::vector<float> m_fallback;
    bool m_fail = false;
};

fs::path fresh_dir(const std::string& name) {
    return os1::test::unique_temp_dir("vectors-" + name);
}

MemoryStore open_store(const std::string& name) {
    auto store = MemoryStore::open(fresh_dir(name));
    EXPECT_TRUE(store) << store.error().message;
    return store.release_value();
}

const int64_t day = 86400;
const int64_t t0 = 1714730400;  // 2024-05-03T10:00:00Z

std::vector<EpisodeInput> turns() {
    return {
        {"a", "c1", "Sam", "user", t0, "I adopted a small grey kitten"},
        {"b", "c1", "Sam", "user", t0 + 1 * day, "My sister studies marine biology"},
        {"c", "c1", "Sam", "user", t0 + 2 * day, "The bakery on the corner closed"},
        {"d", "c2", "Sam", "user", t0 + 30 * day, "I started learning the cello"},
    };
}

// Orthogonal directions in 4-d, one per turn above.
std::map<std::string, std::vector<float>> turn_vectors() {
    return {{"I adopted a small grey kitten", {1, 0, 0, 0}},
            {"My sister studies marine biology", {0, 1, 0, 0}},
            {"The bakery on the corner closed", {0, 0, 1, 0}},
            {"I started learning the cello", {0, 0, 0, 1}}};
}

int64_t count_rows(MemoryStore& store, const std::string& sql) {
    auto q = store.database().prepare(sql).release_value();
    EXPECT_TRUE(q.step().value());
    return q.column_int(0);
}

}  // namespace

TEST(MemoryVectorFusion, ConvexCombinationOfNormalisedScores) {
    // BM25 scaled by the best (4), cosine from the lowest (0.2) to the highest (0.8).
    auto fused =
        memory::detail::fuse_relevance({{10, 4.0}, {20, 2.0}, {30, 1.0}}, {{30, 0.8f}, {40, 0.5f}, {50, 0.2f}}, 0.5);
    ASSERT_EQ(fused.size(), 5u);
    EXPECT_DOUBLE_EQ(fused[10], 0.5 * 1.0);
    EXPECT_DOUBLE_EQ(fused[20], 0.5 * 0.5);
    EXPECT_NEAR(fused[30], 0.5 * 0.25 + 0.5 * 1.0, 1e-6);
    EXPECT_NEAR(fused[40], 0.5 * 0.5, 1e-6);
    EXPECT_NEAR(fused[50], 0.0, 1e-6);
    // An item both lists rank well beats the top of either list alone.
    EXPECT_GT(fused[30], fused[10]);
    // Without vectors, relevance is BM25 over the best BM25, as in recall without an embedder.
    auto lexical_only = memory::detail::fuse_relevance({{1, 3.0}, {2, 1.5}}, {}, 0.5);
    EXPECT_DOUBLE_EQ(lexical_only[2], 0.5 * 0.5);
    // One vector, or all equally similar: each is the best of its list.
    auto single = memory::detail::fuse_relevance({}, {{7, 0.3f}}, 0.5);
    EXPECT_DOUBLE_EQ(single[7], 0.5);
}

TEST(MemoryVectors, NewMemoriesAreEmbeddedAndStoredWithTheirIdsAndModel) {
    MemoryStore store = open_store("provenance");
    auto embedder = std::make_shared<HandMadeEmbedder>("hand:4", turn_vectors(), std::vector<float>{1, 1, 1, 1});
    ASSERT_TRUE(store.set_embedder(embedder));
    auto ids = store.import_episodes(turns());
    ASSERT_TRUE(ids) << ids.error().message;
    EXPECT_EQ(embedder->embedded.size(), 4u);
    EXPECT_EQ(count_rows(store, "SELECT count(*) FROM memory_vectors WHERE model = 'hand:4' AND dim = 4"), 4);
    // Each vector belongs to the memory whose text it was computed from.
    for (size_t i = 0; i < ids->size(); ++i) {
        auto q = store.database()
                     .prepare(
                         "SELECT v.vector, m.text FROM memory_vectors v JOIN memories m ON m.id = v.memory_id "
                         "WHERE v.memory_id = ?")
                     .release_value();
        q.bind(1, ids.value()[i]);
        ASSERT_TRUE(q.step().value());
        std::string_view blob = q.column_blob(0);
        ASSERT_EQ(blob.size(), 4 * sizeof(float));
        std::vector<float> stored(4);
        std::memcpy(stored.data(), blob.data(), blob.size());
        EXPECT_EQ(stored, turn_vectors()[q.column_text(1)]);
    }
    // Facts and reflections too.
    auto fact = store.add_fact({"user", "plays", "Sam plays the cello", 0.8, t0 + 31 * day}, {"d"});
    ASSERT_TRUE(fact) << fact.error().message;
    auto reflection = store.add_reflection("Sam is taking up music", 0.6, {fact.value()}, t0 + 32 * day);
    ASSERT_TRUE(reflection) << reflection.error().message;
    EXPECT_EQ(count_rows(store, "SELECT count(*) FROM memory_vectors"), 6);
    EXPECT_EQ(store.count_missing_vectors().value(), 0u);
}

TEST(MemoryVectors, AQueryWithNoWordInCommonIsFoundThroughItsVector) {
    MemoryStore store = open_store("dense-only");
    auto vectors = turn_vectors();
    vectors["a pet cat at home"] = {1, 0.1f, 0, 0};  // near the kitten, shares no word with it
    auto embedder = std::make_shared<HandMadeEmbedder>("hand:4", vectors, std::vector<float>{0, 0, 0, 0});
    ASSERT_TRUE(store.import_episodes(turns()));
    SearchOptions options;
    options.now = t0 + 40 * day;
    auto lexical = store.search("a pet cat at home", options);
    ASSERT_TRUE(lexical) << lexical.error().message;
    EXPECT_TRUE(lexical->empty());  // BM25 alone finds nothing

    ASSERT_TRUE(store.set_embedder(embedder));
    ASSERT_TRUE(store.embed_missing());
    auto hits = store.search("a pet cat at home", options);
    ASSERT_TRUE(hits) << hits.error().message;
    ASSERT_FALSE(hits->empty());
    EXPECT_EQ(hits->front().text, "I adopted a small grey kitten");
    EXPECT_EQ(hits->front().source_turns, std::vector<std::string>{"a"});
}

TEST(MemoryVectors, FusionPutsWhatBothRankingsAgreeOnFirst) {
    MemoryStore store = open_store("fusion");
    std::vector<EpisodeInput> episodes = {
        // Separate conversations: no turn lends relevance to a neighbour here, only fusion ranks.
        {"x1", "c1", "Sam", "user", t0, "cello lessons every monday"},
        {"x2", "c2", "Sam", "user", t0, "I bought a new cello bow"},
        {"x3", "c3", "Sam", "user", t0, "the orchestra rehearsal ran late"},
    };
    // Filler, so that "cello" is a rare word and BM25 scores it (its IDF is positive).
    for (int i = 0; i < 8; ++i) {
        std::string id = "f", text = "we talked about the weather ";
        id += std::to_string(i);
        text += std::to_string(i);
        episodes.push_back({id, "f", "Sam", "user", t0, text});
    }
    // The query's vector is nearest x2, then x3; BM25 finds x1 and x2 by the word "cello" and
    // prefers the shorter x1. Only x2 is high in both lists.
    std::map<std::string, std::vector<float>> vectors = {
        {"cello lessons every monday", {0, 0, 1}},
        {"I bought a new cello bow", {1, 0, 0}},
        {"the orchestra rehearsal ran late", {0.8f, 0.6f, 0}},
        {"cello", {1, 0.05f, 0}},
    };
    ASSERT_TRUE(store.import_episodes(episodes));
    SearchOptions options;
    options.now = t0;
    options.neighbours = 0;
    auto lexical = store.search("cello", options).release_value();
    ASSERT_EQ(lexical.size(), 2u);  // x1 and x2 contain the word

    ASSERT_TRUE(store.set_embedder(std::make_shared<HandMadeEmbedder>("hand:3", vectors, std::vector<float>{0, 1, 0})));
    ASSERT_TRUE(store.embed_missing());
    auto hits = store.search("cello", options);
    ASSERT_TRUE(hits) << hits.error().message;
    ASSERT_GE(hits->size(), 3u);  // the vector path adds x3 (and the filler), which lack the word
    EXPECT_EQ(hits->front().text, "I bought a new cello bow");
    EXPECT_EQ(hits->at(1).text, "cello lessons every monday");
    EXPECT_EQ(hits->at(2).text, "the orchestra rehearsal ran late");
    EXPECT_GE(hits->at(0).score, hits->at(1).score);
    EXPECT_GE(hits->at(1).score, hits->at(2).score);
}

TEST(MemoryVectors, WithoutAnEmbedderSearchIsUnchanged) {
    MemoryStore plain = open_store("plain");
    MemoryStore detached = open_store("detached");
    ASSERT_TRUE(plain.import_episodes(turns()));
    ASSERT_TRUE(detached.set_embedder(
        std::make_shared<HandMadeEmbedder>("hand:4", turn_vectors(), std::vector<float>{1, 0, 0, 0})));
    ASSERT_TRUE(detached.import_episodes(turns()));
    ASSERT_TRUE(detached.set_embedder(nullptr));
    for (const char* query : {"kitten", "sister biology", "what closed last month", "cello"}) {
        SearchOptions options;
        options.now = t0 + 40 * day;
        auto a = plain.search(query, options).release_value();
        auto b = detached.search(query, options).release_value();
        ASSERT_EQ(a.size(), b.size()) << query;
        for (size_t i = 0; i < a.size(); ++i) {
            EXPECT_EQ(a[i].text, b[i].text) << query;
            EXPECT_EQ(a[i].score, b[i].score) << query;  // bit for bit
            EXPECT_EQ(a[i].context, b[i].context) << query;
        }
    }
}

TEST(MemoryVectors, AnotherModelsVectorsAreNeverUsedAndTheBackfillEmbedsExactlyTheMissing) {
    MemoryStore store = open_store("backfill");
    auto model_a = std::make_shared<HandMadeEmbedder>("model-a:4", turn_vectors(), std::vector<float>{1, 1, 1, 1});
    ASSERT_TRUE(store.set_embedder(model_a));
    ASSERT_TRUE(store.import_episodes(turns()));
    ASSERT_EQ(count_rows(store, "SELECT count(*) FROM memory_vectors WHERE model = 'model-a:4'"), 4);

    // Model B maps the query onto the kitten's direction, but has no vectors of its own yet:
    // model A's vector of the kitten must not be compared with B's query.
    std::map<std::string, std::vector<float>> b_vectors = {{"zzz unrelated words", {1, 0, 0, 0}}};
    auto model_b = std::make_shared<HandMadeEmbedder>("model-b:4", b_vectors, std::vector<float>{0, 0, 0, 1});
    ASSERT_TRUE(store.set_embedder(model_b));
    EXPECT_EQ(store.count_missing_vectors().value(), 4u);
    SearchOptions options;
    options.now = t0 + 40 * day;
    auto unrelated = store.search("zzz unrelated words", options);
    ASSERT_TRUE(unrelated) << unrelated.error().message;
    EXPECT_TRUE(unrelated->empty());

    // New memories get B's vectors at once; the older four wait for the backfill.
    ASSERT_TRUE(store.import_episodes({{"e", "c2", "Sam", "user", t0 + 35 * day, "We went hiking on Sunday"}}));
    EXPECT_EQ(store.count_missing_vectors().value(), 4u);
    model_b->embedded.clear();
    std::vector<std::pair<size_t, size_t>> progress;
    auto embedded = store.embed_missing([&](size_t done, size_t total) { progress.push_back({done, total}); });
    ASSERT_TRUE(embedded) << embedded.error().message;
    EXPECT_EQ(embedded.value(), 4u);
    EXPECT_EQ(model_b->embedded.size(), 4u);
    EXPECT_EQ(std::count(model_b->embedded.begin(), model_b->embedded.end(), "We went hiking on Sunday"), 0);
    ASSERT_FALSE(progress.empty());
    EXPECT_EQ(progress.front(), (std::pair<size_t, size_t>{0, 4}));
    EXPECT_EQ(progress.back(), (std::pair<size_t, size_t>{4, 4}));
    EXPECT_EQ(store.count_missing_vectors().value(), 0u);
    EXPECT_EQ(store.embed_missing().value(), 0u);
    // Both models' vectors are kept side by side.
    EXPECT_EQ(count_rows(store, "SELECT count(*) FROM memory_vectors WHERE model = 'model-a:4'"), 4);
    EXPECT_EQ(count_rows(store, "SELECT count(*) FROM memory_vectors WHERE model = 'model-b:4'"), 5);
}

TEST(MemoryVectors, EditReembedsAndForgetRemovesTheVector) {
    MemoryStore store = open_store("edit-forget");
    auto vectors = turn_vectors();
    vectors["I adopted a small black puppy"] = {0, 0, 0.6f, 0.8f};
    vectors["puppy query"] = {0, 0, 0.6f, 0.8f};
    auto embedder = std::make_shared<HandMadeEmbedder>("hand:4", vectors, std::vector<float>{0, 0, 0, 0});
    ASSERT_TRUE(store.set_embedder(embedder));
    auto ids = store.import_episodes(turns()).release_value();
    ASSERT_TRUE(store.edit(ids[0], "I adopted a small black puppy").value());
    EXPECT_EQ(embedder->embedded.back(), "I adopted a small black puppy");
    EXPECT_EQ(count_rows(store, "SELECT count(*) FROM memory_vectors"), 4);
    SearchOptions options;
    options.now = t0 + 40 * day;
    options.neighbours = 0;
    auto hits = store.search("puppy query", options).release_value();
    ASSERT_FALSE(hits.empty());
    EXPECT_EQ(hits.front().id, ids[0]);

    ASSERT_TRUE(store.forget(ids[0]).value());
    EXPECT_EQ(count_rows(store, "SELECT count(*) FROM memory_vectors"), 3);
    auto after = store.search("puppy query", options).release_value();
    for (const Hit& hit : after)
        EXPECT_NE(hit.id, ids[0]);
}

TEST(MemoryVectors, TheTimeRangeOfTheQueryAppliesToTheVectorPath) {
    MemoryStore store = open_store("range");
    auto vectors = turn_vectors();
    vectors["stringed instrument"] = {0.1f, 0, 0, 1};  // the cello, said on day 30
    ASSERT_TRUE(
        store.set_embedder(std::make_shared<HandMadeEmbedder>("hand:4", vectors, std::vector<float>{0, 0, 0, 0})));
    ASSERT_TRUE(store.import_episodes(turns()));
    SearchOptions options;
    options.now = t0 + 31 * day;
    options.zone = fixed_utc_offset(std::chrono::seconds(0));  // days t0 + n are UTC days
    auto recent = store.search("stringed instrument yesterday", options).release_value();
    ASSERT_FALSE(recent.empty());
    EXPECT_EQ(recent.front().text, "I started learning the cello");
    options.now = t0 + 3 * day;  // "yesterday" is now day 2: the cello is outside it
    auto earlier = store.search("stringed instrument yesterday", options).release_value();
    for (const Hit& hit : earlier)
        EXPECT_NE(hit.text, "I started learning the cello");
}

TEST(MemoryVectors, AFailingModelLosesNoMemoryAndSaysHowToRecover) {
    MemoryStore store = open_store("failing");
    auto embedder = std::make_shared<HandMadeEmbedder>("hand:4", turn_vectors(), std::vector<float>{1, 0, 0, 0});
    ASSERT_TRUE(store.set_embedder(embedder));
    embedder->set_failing(true);
    auto ids = store.import_episodes(turns());
    ASSERT_TRUE(ids.is_error());
    EXPECT_NE(ids.error().message.find("is stored, but its vector is not"), std::string::npos) << ids.error().message;
    EXPECT_NE(ids.error().message.find("os1 memory embed"), std::string::npos);
    EXPECT_EQ(store.count().value(), 4u);
    embedder->set_failing(false);
    EXPECT_EQ(store.embed_missing().value(), 4u);
}

TEST(MemoryVectors, AVectorOfTheWrongSizeIsAClearError) {
    MemoryStore store = open_store("wrong-dim");
    auto embedder = std::make_shared<HandMadeEmbedder>("hand:4", turn_vectors(), std::vector<float>{1, 0, 0, 0});
    ASSERT_TRUE(store.import_episodes(turns()));
    auto first = store.list(std::nullopt, 1).value().front().id;
    ASSERT_TRUE(memory::detail::write_vectors(store.database(), "hand:4", {first}, {{1, 0, 0}}));  // 3 floats, not 4
    ASSERT_TRUE(store.set_embedder(embedder));
    SearchOptions options;
    options.now = t0 + 40 * day;
    auto hits = store.search("kitten", options);
    ASSERT_TRUE(hits.is_error());
    EXPECT_NE(hits.error().message.find("has 3 dimensions, not 4"), std::string::npos) << hits.error().message;
    EXPECT_NE(hits.error().message.find("os1 memory embed"), std::string::npos);
}

TEST(MemoryVectors, TheIndexSeesVectorsWrittenByAnotherConnection) {
    fs::path dir = fresh_dir("two-handles");
    auto reader = MemoryStore::open(dir).release_value();
    auto writer = MemoryStore::open(dir).release_value();
    auto vectors = turn_vectors();
    vectors["q"] = {0, 0, 0, 1};
    auto embedder = std::make_shared<HandMadeEmbedder>("hand:4", vectors, std::vector<float>{0, 0, 0, 0});
    ASSERT_TRUE(reader.set_embedder(embedder));
    ASSERT_TRUE(writer.set_embedder(embedder));
    auto ids = writer.import_episodes(turns()).release_value();
    SearchOptions options;
    options.now = t0 + 40 * day;
    options.neighbours = 0;
    auto hits = reader.search("q", options).release_value();
    ASSERT_FALSE(hits.empty());
    EXPECT_EQ(hits.front().id, ids[3]);
    ASSERT_TRUE(writer.forget(ids[3]).value());
    auto after = reader.search("q", options).release_value();
    for (const Hit& hit : after)
        EXPECT_NE(hit.id, ids[3]);
}

TEST(MemoryVectors, SyntheticEmbedderGivesDeterministicUnitVectors) {
    auto embedder = make_synthetic_embedder(384);
    EXPECT_EQ(embedder->dimension(), 384);
    auto v = embedder->embed({"the cello lesson", "the cello lesson", "a bakery"}).release_value();
    ASSERT_EQ(v.size(), 3u);
    EXPECT_EQ(v[0], v[1]);
    EXPECT_NE(v[0], v[2]);
    double norm = 0;
    for (float x : v[0])
        norm += double(x) * x;
    EXPECT_NEAR(norm, 1.0, 1e-6);
}
