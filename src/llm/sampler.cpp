#include "llm/sampler.h"

namespace os1::llm {

LlamaSamplerPtr make_sampler(const llama_vocab* vocab, const SamplingParams& params) {
    llama_sampler_chain_params chain_params = llama_sampler_chain_default_params();
    chain_params.no_perf = true;
    LlamaSamplerPtr chain(llama_sampler_chain_init(chain_params));
    if (params.repeat_penalty != 1.0f && params.repeat_last_n != 0) {
        llama_sampler_chain_add(chain.get(), llama_sampler_init_penalties(llama_vocab_n_tokens(vocab),
                                                                          params.repeat_last_n,
                                                                          params.repeat_penalty, 0.0f, 0.0f));
    }
    if (params.temperature <= 0.0f) {
        llama_sampler_chain_add(chain.get(), llama_sampler_init_greedy());
        return chain;
    }
    // top-k bounds the work of the later samplers on 150k-token vocabularies.
    llama_sampler_chain_add(chain.get(), llama_sampler_init_top_k(64));
    llama_sampler_chain_add(chain.get(), llama_sampler_init_top_p(params.top_p, 1));
    llama_sampler_chain_add(chain.get(), llama_sampler_init_min_p(params.min_p, 1));
    llama_sampler_chain_add(chain.get(), llama_sampler_init_temp(params.temperature));
    llama_sampler_chain_add(chain.get(), llama_sampler_init_dist(params.seed));
    return chain;
}

}  // namespace os1::llm
