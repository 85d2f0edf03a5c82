// TokenSampler ranks the top candidates itself; on a generated model (real tokenizer, random
// weights), it must pick exactly what llama.cpp's own chain (top-k, penalty, then greedy or a
// seeded draw) picks from the same logits, token after token.
#include <gtest/gtest.h>

#include <filesystem>

#include "core/handles.h"
#include "llm/llm.h"
#include "llm/sampler.h"
#include "llm/tokens.h"

using namespace os1;
using namespace os1::llm;
namespace fs = std::filesystem;

namespace {

const fs::path qwen_model = fs::path(OS1_TEST_MODELS_DIR) / "tiny-qwen2-f16.gguf";

// llama.cpp's chain for the same parameters, sampled with llama_sampler_sample.
LlamaSamplerPtr reference_chain(const llama_vocab* vocab, const SamplingParams& params) {
    LlamaSamplerPtr chain(llama_sampler_chain_init(llama_sampler_chain_default_params()));
    llama_sampler_chain_add(chain.get(), llama_sampler_init_top_k(k_sampled_candidates));
    llama_sampler_chain_add(chain.get(), llama_sampler_init_penalties(llama_vocab_n_tokens(vocab), params.repeat_last_n,
                                                                      params.repeat_penalty, 0.0f, 0.0f));
    if (params.temperature <= 0.0f) {
        llama_sampler_chain_add(chain.get(), llama_sampler_init_greedy());
    } else {
        llama_sampler_chain_add(chain.get(), llama_sampler_init_top_p(params.top_p, 1));
        llama_sampler_chain_add(chain.get(), llama_sampler_init_min_p(params.min_p, 1));
        llama_sampler_chain_add(chain.get(), llama_sampler_init_temp(params.temperature));
        llama_sampler_chain_add(chain.get(), llama_sampler_init_dist(params.seed));
    }
    return chain;
}

class TokenSamplerModel : public ::testing::Test {
protected:
    void SetUp() override {
        llama_backend_init();
        llama_log_set([](ggml_log_level, const char*, void*) {}, nullptr);
        m_model.reset(llama_model_load_from_file(qwen_model.c_str(), llama_model_default_params()));
        ASSERT_TRUE(m_model) << qwen_model;
        llama_context_params params = llama_context_default_params();
        params.n_ctx = 512;
        params.n_threads = params.n_threads_batch = 1;
        m_context.reset(llama_init_from_model(m_model.get(), params));
        ASSERT_TRUE(m_context);
        m_vocab = llama_model_get_vocab(m_model.get());
    }

    // Generates `count` tokens, sampling each from the same logits with both samplers; returns
    // how many steps they agreed on before the first disagreement.
    int agreeing_steps(const SamplingParams& params, int count) {
        auto ours = TokenSampler::make(m_vocab, params, "");
        EXPECT_TRUE(ours) << (ours ? "" : ours.error().message);
        LlamaSamplerPtr reference = reference_chain(m_vocab, params);
        std::vector<llama_token> tokens = tokenize(m_vocab, "<|im_start|>user\nHello there<|im_end|>\n", AddSpecial::Yes);
        if (llama_decode(m_context.get(), llama_batch_get_one(tokens.data(), int32_t(tokens.size()))) != 0)
            return -1;
        for (int step = 0; step < count; ++step) {
            const llama_token expected = llama_sampler_sample(reference.get(), m_context.get(), -1);
            const llama_token got = ours->sample(m_context.get(), -1);
            if (got != expected)
                return step;
            llama_token next = got;
            if (llama_decode(m_context.get(), llama_batch_get_one(&next, 1)) != 0)
                return -1;
        }
        return count;
    }

    LlamaModelPtr m_model;
    LlamaContextPtr m_context;
    const llama_vocab* m_vocab = nullptr;
};

}  // namespace

TEST_F(TokenSamplerModel, GreedyPicksWhatLlamasChainPicks) {
    SamplingParams params;
    params.temperature = 0;
    EXPECT_EQ(agreeing_steps(params, 48), 48);
}

TEST_F(TokenSamplerModel, ASeededDrawPicksWhatLlamasChainPicks) {
    SamplingParams params;
    params.temperature = 1.2f;  // hot, so that the draw ranges over many candidates
    params.top_p = 0.98f;
    params.min_p = 0.0f;
    params.seed = 42;
    EXPECT_EQ(agreeing_steps(params, 48), 48);
}

TEST_F(TokenSamplerModel, AGrammarStillConstrainsEveryToken) {
    auto sampler = TokenSampler::make(m_vocab, SamplingParams{}, "root ::= [0-9]+");
    ASSERT_TRUE(sampler) << sampler.error().message;
    std::vector<llama_token> tokens = tokenize(m_vocab, "<|im_start|>user\nA number<|im_end|>\n", AddSpecial::Yes);
    ASSERT_EQ(llama_decode(m_context.get(), llama_batch_get_one(tokens.data(), int32_t(tokens.size()))), 0);
    for (int step = 0; step < 8; ++step) {
        llama_token token = sampler->sample(m_context.get(), -1);
        if (llama_vocab_is_eog(m_vocab, token))
            break;
        const std::string piece = token_piece(m_vocab, token, Special::Plain);
        EXPECT_EQ(piece.find_first_not_of("0123456789"), std::string::npos) << "piece '" << piece << "'";
        ASSERT_EQ(llama_decode(m_context.get(), llama_batch_get_one(&token, 1)), 0);
    }
}

TEST_F(TokenSamplerModel, AGrammarThatDoesNotParseIsAClearError) {
    auto sampler = TokenSampler::make(m_vocab, SamplingParams{}, "root ::= (");
    ASSERT_FALSE(sampler);
    EXPECT_NE(sampler.error().message.find("grammar"), std::string::npos);
}
