// Builds the llama.cpp sampler chain for one reply.
#pragma once

#include "core/handles.h"
#include "llm/llm.h"

namespace os1::llm {

// Repetition penalty, then greedy when temperature <= 0, else top-p, min-p, temperature and
// a seeded draw.
LlamaSamplerPtr make_sampler(const llama_vocab* vocab, const SamplingParams& params);

}  // namespace os1::llm
