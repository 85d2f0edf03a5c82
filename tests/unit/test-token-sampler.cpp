// top_candidates: the sampler's own ranking of the most likely tokens, against a full sort.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "llm/sampler.h"

using namespace os1::llm;

namespace {

// The reference: every logit, sorted from the largest, ties in token order, cut to k.
std::vector<llama_token_data> sorted_top(const std::vector<float>& logits, int32_t k) {
    std::vector<llama_token_data> all;
    for (llama_token id = 0; id < llama_token(logits.size()); ++id)
        all.push_back({id, logits[size_t(id)], 0.0f});
    std::stable_sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.logit > b.logit; });
    all.resize(std::min(all.size(), size_t(std::max(k, 0))));
    return all;
}

void expect_same(const std::vector<llama_token_data>& got, const std::vector<llama_token_data>& want) {
    ASSERT_EQ(got.size(), want.size());
    for (size_t i = 0; i < got.size(); ++i) {
        EXPECT_EQ(got[i].id, want[i].id) << "rank " << i;
        EXPECT_EQ(got[i].logit, want[i].logit) << "rank " << i;
    }
}

}  // namespace

TEST(TopCandidates, MatchesAFullSortOnAVocabularySizedRow) {
    std::mt19937 random(7);
    std::normal_distribution<float> logit(0.0f, 3.0f);
    std::vector<float> logits(151936);
    std::vector<llama_token_data> got;
    for (int row = 0; row < 20; ++row) {
        for (float& value : logits)
            value = logit(random);
        top_candidates(logits.data(), int32_t(logits.size()), k_sampled_candidates, got);
        expect_same(got, sorted_top(logits, k_sampled_candidates));
    }
}

TEST(TopCandidates, RisingLogitsReplaceEveryCandidate) {
    // Each logit beats all before it: the worst case for the heap, and the best leave last.
    std::vector<float> logits(5000);
    for (size_t i = 0; i < logits.size(); ++i)
        logits[i] = float(i) * 0.01f;
    std::vector<llama_token_data> got;
    top_candidates(logits.data(), int32_t(logits.size()), 64, got);
    expect_same(got, sorted_top(logits, 64));
    EXPECT_EQ(got.front().id, 4999);
}

TEST(TopCandidates, TiesKeepTheLowerTokens) {
    // Many equal logits around the cut: which of them are kept must not depend on luck.
    std::vector<float> logits(1000, 1.0f);
    logits[500] = 2.0f;
    logits[900] = 3.0f;
    std::vector<llama_token_data> got;
    top_candidates(logits.data(), int32_t(logits.size()), 10, got);
    expect_same(got, sorted_top(logits, 10));
    EXPECT_EQ(got[0].id, 900);
    EXPECT_EQ(got[1].id, 500);
    EXPECT_EQ(got[2].id, 0);
    EXPECT_EQ(got[9].id, 7);
}

TEST(TopCandidates, AskingForMoreThanThereAreGivesAllSorted) {
    const std::vector<float> logits = {0.5f, -1.0f, 4.0f, 2.0f};
    std::vector<llama_token_data> got;
    top_candidates(logits.data(), int32_t(logits.size()), 64, got);
    expect_same(got, sorted_top(logits, 64));
    top_candidates(logits.data(), int32_t(logits.size()), 0, got);
    EXPECT_TRUE(got.empty());
    top_candidates(logits.data(), 0, 64, got);
    EXPECT_TRUE(got.empty());
}

TEST(TopCandidates, NegativeInfinityIsNeverPreferred) {
    // Logit biases and grammars write -inf; such tokens rank last, never first.
    std::vector<float> logits(300, -INFINITY);
    logits[123] = -50.0f;
    std::vector<llama_token_data> got;
    top_candidates(logits.data(), int32_t(logits.size()), 5, got);
    ASSERT_EQ(got.size(), 5u);
    EXPECT_EQ(got[0].id, 123);
    EXPECT_EQ(got[1].logit, -INFINITY);
}
