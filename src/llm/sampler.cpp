#include "llm/sampler.h"

namespace os1::llm {

ErrorOr<LlamaSamplerPtr> make_sampler(const llama_vocab* vocab, const SamplingParams& params,
                                      const std::string& grammar) {
    llama_sampler_chain_params chain_params = llama_sampler_chain_default_params();
    chain_params.no_perf = true;
    LlamaSamplerPtr chain(llama_sampler_chain_init(chain_params));
    if (!grammar.empty()) {
        llama_sampler* constrained = llama_sampler_init_grammar(vocab, grammar.c_str(), "root");
        if (!constrained)
            return make_error("the reply grammar does not parse (GBNF with a 'root' rule expected)");
        llama_sampler_chain_add(chain.get(), constrained);
    }
    // top-k first: the later samplers then touch 64 candidates instead of the whole vocabulary
    // (150k for Qwen), which matters for the repetition penalty's per-candidate lookup. Greedy
    // picks the same token either way unless all 64 leading candidates were penalised.
    llama_sampler_chain_add(chain.get(), llama_sampler_init_top_k(64));
    if (params.repeat_penalty != 1.0f && params.repeat_last_n != 0) {
        llama_sampler_chain_add(chain.get(), llama_sampler_init_penalties(llama_vocab_n_tokens(vocab),
                                                                          params.repeat_last_n,
                                                                          params.repeat_penalty, 0.0f, 0.0f));
    }
    if (params.temperature <= 0.0f) {
        llama_sampler_chain_add(chain.get(), llama_sampler_init_greedy());
        return chain;
    }
    llama_sampler_chain_add(chain.get(), llama_sampler_init_top_p(params.top_p, 1));
    llama_sampler_chain_add(chain.get(), llama_sampler_init_min_p(params.min_p, 1));
    llama_sampler_chain_add(chain.get(), llama_sampler_init_temp(params.temperature));
    llama_sampler_chain_add(chain.get(), llama_sampler_init_dist(params.seed));
    return chain;
}

}  // namespace os1::llm
