// Picks each next token of one reply.
#pragma once

#include <string>
#include <vector>

#include "core/error.h"
#include "core/handles.h"
#include "llm/llm.h"

namespace os1::llm {

// How many of the most likely tokens the sampler ranks. The later samplers (penalty, top-p,
// min-p, the draw) then touch 64 candidates instead of the whole vocabulary (150k for Qwen).
// Greedy picks the same token either way unless all 64 leading candidates were penalised.
inline constexpr int32_t k_sampled_candidates = 64;

// Finds the most likely tokens of a row of logits without copying or sorting the vocabulary.
// Between two decodes this is os1's only work proportional to the vocabulary, so it is what a
// fast token (a small model, a GPU) waits for: one pass takes the largest logit of each block
// of 16 with vector instructions, and only the few blocks that can hold a winner are read again.
class CandidateRanker {
public:
    // The `k` largest of `logits` (all of them when k >= count), sorted from the largest, ties
    // in token order; a NaN ranks as -inf. The vector is the ranker's own, valid until the next
    // call.
    std::vector<llama_token_data>& rank(const float* logits, int32_t count, int32_t k);

private:
    std::vector<float> m_block_max;
    std::vector<llama_token_data> m_candidates;
};

// The chain is: the grammar (if any), top-64, repetition penalty, then greedy when
// temperature <= 0, else top-p, min-p, temperature and a seeded draw.
//
// Without a grammar, sample() ranks the top 64 itself (CandidateRanker) and hands only those to
// the rest of the chain; llama_sampler_sample would copy all the logits and partially sort
// them on every token. A grammar must see the whole vocabulary first, so with one the chain
// runs as llama.cpp's does.
class TokenSampler {
public:
    // Fails when the grammar does not parse.
    static ErrorOr<TokenSampler> make(const llama_vocab* vocab, const SamplingParams& params,
                                      const std::string& grammar);

    // The next token from row `index` of the context's last logits; the chain accepts it.
    llama_token sample(llama_context* context, int32_t index);

private:
    TokenSampler(LlamaSamplerPtr chain, bool ranks_candidates, int32_t vocabulary_size)
        : m_chain(std::move(chain)), m_ranks_candidates(ranks_candidates), m_vocabulary_size(vocabulary_size) {}

    LlamaSamplerPtr m_chain;
    bool m_ranks_candidates;
    int32_t m_vocabulary_size;
    CandidateRanker m_ranker;
};

}  // namespace os1::llm
