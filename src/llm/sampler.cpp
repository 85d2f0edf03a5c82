#include "llm/sampler.h"

#include <algorithm>

namespace os1::llm {

namespace {

// Orders candidates from the most likely; among equal logits, the lower token first.
bool more_likely(const llama_token_data& a, const llama_token_data& b) {
    return a.logit > b.logit || (a.logit == b.logit && a.id < b.id);
}

}  // namespace

void top_candidates(const float* logits, int32_t count, int32_t k, std::vector<llama_token_data>& out) {
    out.clear();
    k = std::clamp(k, 0, std::max(count, 0));
    if (k == 0)
        return;
    // A min-heap (by more_likely) of the best k so far; its front is the weakest of them, the
    // bar a later logit must clear. Most logits fail that one comparison.
    for (llama_token id = 0; id < k; ++id)
        out.push_back({id, logits[id], 0.0f});
    std::make_heap(out.begin(), out.end(), more_likely);
    float bar = out.front().logit;
    const auto consider = [&](llama_token id) {
        if (logits[id] <= bar)
            return;
        std::pop_heap(out.begin(), out.end(), more_likely);
        out.back() = {id, logits[id], 0.0f};
        std::push_heap(out.begin(), out.end(), more_likely);
        bar = out.front().logit;
    };
    // Blocks of 16 first: whether any logit of a block clears the bar is a branch-free test
    // the compiler vectorises, and almost every block fails it.
    constexpr int32_t block = 16;
    llama_token id = k;
    for (; id + block <= count; id += block) {
        int32_t above = 0;
        for (int32_t i = 0; i < block; ++i)
            above += logits[id + i] > bar;
        if (above == 0)
            continue;
        for (int32_t i = 0; i < block; ++i)
            consider(id + i);
    }
    for (; id < count; ++id)
        consider(id);
    std::sort_heap(out.begin(), out.end(), more_likely);
}

ErrorOr<TokenSampler> TokenSampler::make(const llama_vocab* vocab, const SamplingParams& params,
                                         const std::string& grammar) {
    llama_sampler_chain_params chain_params = llama_sampler_chain_default_params();
    chain_params.no_perf = true;
    LlamaSamplerPtr chain(llama_sampler_chain_init(chain_params));
    const bool ranks_candidates = grammar.empty();
    if (!ranks_candidates) {
        llama_sampler* constrained = llama_sampler_init_grammar(vocab, grammar.c_str(), "root");
        if (!constrained)
            return make_error("the reply grammar does not parse (GBNF with a 'root' rule expected)");
        llama_sampler_chain_add(chain.get(), constrained);
        llama_sampler_chain_add(chain.get(), llama_sampler_init_top_k(k_sampled_candidates));
    }
    if (params.repeat_penalty != 1.0f && params.repeat_last_n != 0) {
        llama_sampler_chain_add(chain.get(), llama_sampler_init_penalties(llama_vocab_n_tokens(vocab),
                                                                          params.repeat_last_n,
                                                                          params.repeat_penalty, 0.0f, 0.0f));
    }
    if (params.temperature <= 0.0f) {
        llama_sampler_chain_add(chain.get(), llama_sampler_init_greedy());
    } else {
        llama_sampler_chain_add(chain.get(), llama_sampler_init_top_p(params.top_p, 1));
        llama_sampler_chain_add(chain.get(), llama_sampler_init_min_p(params.min_p, 1));
        llama_sampler_chain_add(chain.get(), llama_sampler_init_temp(params.temperature));
        llama_sampler_chain_add(chain.get(), llama_sampler_init_dist(params.seed));
    }
    return TokenSampler(std::move(chain), ranks_candidates, llama_vocab_n_tokens(vocab));
}

llama_token TokenSampler::sample(llama_context* context, int32_t index) {
    const float* logits = m_ranks_candidates ? llama_get_logits_ith(context, index) : nullptr;
    if (!logits)
        return llama_sampler_sample(m_chain.get(), context, index);
    top_candidates(logits, m_vocabulary_size, k_sampled_candidates, m_candidates);
    llama_token_data_array ranked{m_candidates.data(), m_candidates.size(), -1, /*sorted=*/true};
    llama_sampler_apply(m_chain.get(), &ranked);
    const llama_token token = ranked.data[ranked.selected].id;
    llama_sampler_accept(m_chain.get(), token);
    return token;
}

}  // namespace os1::llm
