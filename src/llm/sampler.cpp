#include "llm/sampler.h"

#include <algorithm>
#include <cmath>

#if defined(__SSE2__)
#include <emmintrin.h>
#elif defined(__aarch64__)
#include <arm_neon.h>
#endif

namespace os1::llm {

namespace {

// Orders candidates from the most likely; among equal logits, the lower token first.
bool more_likely(const llama_token_data& a, const llama_token_data& b) {
    return a.logit > b.logit || (a.logit == b.logit && a.id < b.id);
}

// Logits are scanned in blocks of this many.
constexpr int32_t k_block = 16;

// The largest of the k_block logits from `p`: four vector maxima where the CPU has them. With
// a NaN among them the result may be NaN or a number; either way the caller stays correct.
float block_max(const float* p) {
#if defined(__SSE2__)
    const __m128 low = _mm_max_ps(_mm_loadu_ps(p), _mm_loadu_ps(p + 4));
    const __m128 high = _mm_max_ps(_mm_loadu_ps(p + 8), _mm_loadu_ps(p + 12));
    __m128 m = _mm_max_ps(low, high);
    m = _mm_max_ps(m, _mm_movehl_ps(m, m));
    m = _mm_max_ss(m, _mm_shuffle_ps(m, m, 1));
    return _mm_cvtss_f32(m);
#elif defined(__aarch64__)
    const float32x4_t low = vmaxq_f32(vld1q_f32(p), vld1q_f32(p + 4));
    const float32x4_t high = vmaxq_f32(vld1q_f32(p + 8), vld1q_f32(p + 12));
    return vmaxvq_f32(vmaxq_f32(low, high));
#else
    float m = p[0];
    for (int32_t i = 1; i < k_block; ++i)
        m = p[i] > m ? p[i] : m;
    return m;
#endif
}

// Every logit, NaN as -inf, so that the order is a strict weak one whatever the model wrote.
void all_candidates(const float* logits, int32_t count, std::vector<llama_token_data>& out) {
    out.clear();
    for (llama_token id = 0; id < count; ++id)
        out.push_back({id, std::isnan(logits[id]) ? -INFINITY : logits[id], 0.0f});
}

}  // namespace

std::vector<llama_token_data>& CandidateRanker::rank(const float* logits, int32_t count, int32_t k) {
    std::vector<llama_token_data>& out = m_candidates;
    out.clear();
    count = std::max(count, 0);
    k = std::clamp(k, 0, count);
    if (k == 0)
        return out;
    const int32_t blocks = count / k_block;
    float bar = -INFINITY;
    if (blocks >= k) {
        // One pass takes each block's largest logit. Split the blocks into k groups: each
        // group's largest is a distinct logit, so the smallest of those k is a bar no higher
        // than the k-th largest logit, and usually close to it. Only the blocks that reach the
        // bar are read again.
        m_block_max.resize(size_t(blocks));
        for (int32_t b = 0; b < blocks; ++b)
            m_block_max[size_t(b)] = block_max(logits + ptrdiff_t(b) * k_block);
        bar = INFINITY;
        for (int32_t group = 0; group < k; ++group) {
            const int32_t first = int32_t(int64_t(blocks) * group / k);
            const int32_t last = int32_t(int64_t(blocks) * (group + 1) / k);
            float group_max = -INFINITY;
            for (int32_t b = first; b < last; ++b)
                group_max = m_block_max[size_t(b)] > group_max ? m_block_max[size_t(b)] : group_max;
            bar = std::min(bar, group_max);
        }
        const auto collect = [&](llama_token from, llama_token to) {
            for (llama_token id = from; id < to; ++id) {
                if (logits[id] >= bar)
                    out.push_back({id, logits[id], 0.0f});
            }
        };
        for (int32_t b = 0; b < blocks; ++b) {
            if (m_block_max[size_t(b)] < bar)  // a NaN maximum may hide a number: read the block
                continue;
            collect(b * k_block, (b + 1) * k_block);
        }
        collect(blocks * k_block, count);  // the logits after the last whole block
    }
    // Short rows, and rows whose k-th best is -inf or NaN: every logit competes.
    if (bar == -INFINITY || int32_t(out.size()) < k)
        all_candidates(logits, count, out);
    std::partial_sort(out.begin(), out.begin() + k, out.end(), more_likely);
    out.resize(size_t(k));
    return out;
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
    std::vector<llama_token_data>& candidates = m_ranker.rank(logits, m_vocabulary_size, k_sampled_candidates);
    llama_token_data_array ranked{candidates.data(), candidates.size(), -1, /*sorted=*/true};
    llama_sampler_apply(m_chain.get(), &ranked);
    const llama_token token = ranked.data[ranked.selected].id;
    llama_sampler_accept(m_chain.get(), token);
    return token;
}

}  // namespace os1::llm
