// CandidateRanker: the sampler's own ranking of the most likely tokens, against a full sort.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
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

// The reference with NaN ranked as -inf, as the ranker promises.
std::vector<float> nan_as_negative_infinity(std::vector<float> logits) {
    for (float& value : logits)
        value = std::isnan(value) ? -INFINITY : value;
    return logits;
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
    CandidateRanker ranker;
    std::vector<llama_token_data> got;
    for (int row = 0; row < 20; ++row) {
        for (float& value : logits)
            value = logit(random);
        got = ranker.rank(logits.data(), int32_t(logits.size()), k_sampled_candidates);
        expect_same(got, sorted_top(logits, k_sampled_candidates));
    }
}

TEST(TopCandidates, RisingLogitsReplaceEveryCandidate) {
    // Each logit beats all before it: every winner sits in the last blocks.
    std::vector<float> logits(5000);
    for (size_t i = 0; i < logits.size(); ++i)
        logits[i] = float(i) * 0.01f;
    CandidateRanker ranker;
    std::vector<llama_token_data> got;
    got = ranker.rank(logits.data(), int32_t(logits.size()), 64);
    expect_same(got, sorted_top(logits, 64));
    EXPECT_EQ(got.front().id, 4999);
}

TEST(TopCandidates, TiesKeepTheLowerTokens) {
    // Many equal logits around the cut: which of them are kept must not depend on luck.
    std::vector<float> logits(1000, 1.0f);
    logits[500] = 2.0f;
    logits[900] = 3.0f;
    CandidateRanker ranker;
    std::vector<llama_token_data> got;
    got = ranker.rank(logits.data(), int32_t(logits.size()), 10);
    expect_same(got, sorted_top(logits, 10));
    EXPECT_EQ(got[0].id, 900);
    EXPECT_EQ(got[1].id, 500);
    EXPECT_EQ(got[2].id, 0);
    EXPECT_EQ(got[9].id, 7);
}

TEST(TopCandidates, AskingForMoreThanThereAreGivesAllSorted) {
    const std::vector<float> logits = {0.5f, -1.0f, 4.0f, 2.0f};
    CandidateRanker ranker;
    std::vector<llama_token_data> got;
    got = ranker.rank(logits.data(), int32_t(logits.size()), 64);
    expect_same(got, sorted_top(logits, 64));
    got = ranker.rank(logits.data(), int32_t(logits.size()), 0);
    EXPECT_TRUE(got.empty());
    got = ranker.rank(logits.data(), 0, 64);
    EXPECT_TRUE(got.empty());
}

TEST(TopCandidates, NegativeInfinityIsNeverPreferred) {
    // Logit biases and grammars write -inf; such tokens rank last, never first.
    std::vector<float> logits(300, -INFINITY);
    logits[123] = -50.0f;
    CandidateRanker ranker;
    std::vector<llama_token_data> got;
    got = ranker.rank(logits.data(), int32_t(logits.size()), 5);
    ASSERT_EQ(got.size(), 5u);
    EXPECT_EQ(got[0].id, 123);
    EXPECT_EQ(got[1].logit, -INFINITY);
}

TEST(TopCandidates, TheWinnersMayAllShareOneBlockOrTheShortTail) {
    // The bar comes from the largest logit of each group of blocks; winners crowded into one
    // block, or into the few logits after the last whole block, must all still be found.
    CandidateRanker ranker;
    std::vector<llama_token_data> got;
    for (const size_t size : {size_t(151936), size_t(151943), size_t(1031)}) {
        for (const size_t crowd_start : {size_t(0), size_t(480), size_t(size - 16), size_t(size - 7)}) {
            std::vector<float> logits(size, 0.0f);
            for (size_t i = 0; i < logits.size(); ++i)
                logits[i] = float(i % 97) * 0.01f;
            for (size_t i = crowd_start; i < std::min(size, crowd_start + 16); ++i)
                logits[i] = 10.0f + float(i - crowd_start);
            got = ranker.rank(logits.data(), int32_t(logits.size()), 64);
            expect_same(got, sorted_top(logits, 64));
            got = ranker.rank(logits.data(), int32_t(logits.size()), 3);
            expect_same(got, sorted_top(logits, 3));
        }
    }
}

TEST(TopCandidates, ARowThatStartsAnywhereInMemoryIsReadRight) {
    // llama.cpp hands out row `i` of its logits; nothing aligns it to a vector's width.
    std::mt19937 random(11);
    std::normal_distribution<float> logit(0.0f, 3.0f);
    std::vector<float> storage(4099);
    for (float& value : storage)
        value = logit(random);
    CandidateRanker ranker;
    std::vector<llama_token_data> got;
    for (size_t offset = 1; offset < 4; ++offset) {
        const std::vector<float> row(storage.begin() + ptrdiff_t(offset), storage.end());
        got = ranker.rank(storage.data() + offset, int32_t(row.size()), 64);
        expect_same(got, sorted_top(row, 64));
    }
}

TEST(TopCandidates, NaNLogitsRankLastAndNeverBreakTheOrder) {
    // A damaged model can write NaN. The ranking must still hold k tokens in a strict order.
    std::vector<float> logits(4096, 0.5f);
    for (size_t i = 0; i < logits.size(); i += 3)
        logits[i] = NAN;
    logits[1000] = 7.0f;
    logits[2000] = 9.0f;
    CandidateRanker ranker;
    std::vector<llama_token_data> got = ranker.rank(logits.data(), int32_t(logits.size()), 64);
    expect_same(got, sorted_top(nan_as_negative_infinity(logits), 64));
    EXPECT_EQ(got[0].id, 2000);
    EXPECT_EQ(got[1].id, 1000);

    std::vector<float> masked(300, -INFINITY);  // a grammar's mask, and a NaN among it
    masked[0] = NAN;
    masked[123] = -50.0f;
    got = ranker.rank(masked.data(), int32_t(masked.size()), 5);
    expect_same(got, sorted_top(nan_as_negative_infinity(masked), 5));
    EXPECT_EQ(got[1].id, 0);

    const std::vector<float> all_nan(300, NAN);
    got = ranker.rank(all_nan.data(), int32_t(all_nan.size()), 5);
    ASSERT_EQ(got.size(), 5u);
    EXPECT_EQ(got[0].id, 0);
    EXPECT_EQ(got[4].id, 4);
}
